"""Adjoints of Python containers (part of the runtime).

The adjoint of a list or tuple is a `SeqAdjoint`, of a dict (or of an
object's attributes) a `DictAdjoint`: containers whose ``+`` adds element by
element, so generated code accumulates them like arrays. `structure_like`
turns them back into the type of the argument they belong to, so the
gradient with respect to a dict of parameters is a dict of gradients.
"""

__all__ = ["SeqAdjoint", "DictAdjoint", "structure_like", "list_append", "owned_list", "drop_last", "add"]


def add(a, b):
    """a + b for adjoints: element by element for containers."""
    if isinstance(a, (SeqAdjoint, DictAdjoint)):
        return a + b
    if isinstance(b, (SeqAdjoint, DictAdjoint)):
        return b + a
    if isinstance(a, (list, tuple)):
        return SeqAdjoint(a) + b
    if isinstance(a, dict):
        return DictAdjoint(a) + b
    return a + b


class SeqAdjoint(list):
    """The adjoint of a list or tuple: a list whose + is elementwise."""

    def __add__(self, other):
        if len(other) != len(self):
            raise ValueError(f"adding adjoints of sequences of lengths {len(self)} and {len(other)}")
        return SeqAdjoint(add(a, b) for a, b in zip(self, other))

    __radd__ = __add__

    def __iadd__(self, other):
        for i, value in enumerate(other):
            self[i] = add(self[i], value)
        return self

    def __getitem__(self, index):
        item = list.__getitem__(self, index)
        return SeqAdjoint(item) if isinstance(index, slice) else item

    def __neg__(self):
        return SeqAdjoint(-a for a in self)

    def copy(self):
        return SeqAdjoint(self)


class DictAdjoint(dict):
    """The adjoint of a dict or of an object's attributes, keyed the same way."""

    def __add__(self, other):
        out = DictAdjoint(self)
        for key, value in other.items():
            out[key] = add(out[key], value) if key in out else value
        return out

    __radd__ = __add__

    def __iadd__(self, other):
        for key, value in other.items():
            self[key] = add(self[key], value) if key in self else value
        return self

    def __neg__(self):
        return DictAdjoint((k, -v) for k, v in self.items())

    def copy(self):
        return DictAdjoint(self)


_HOLDERS = (list, tuple, dict)


def structure_like(g, x):
    """The adjoint `g` in the container types of `x` (tuple, list, dict)."""
    if isinstance(x, tuple) and isinstance(g, list):
        return tuple(structure_like(a, b) for a, b in zip(g, x))
    if isinstance(x, list) and isinstance(g, list):
        if not any(isinstance(a, _HOLDERS) for a in g):
            return list(g)  # (items that are numbers or arrays: as they are)
        return [structure_like(a, b) for a, b in zip(g, x)]
    if isinstance(x, dict) and isinstance(g, dict):
        return {key: structure_like(g[key], x[key]) for key in x}
    if isinstance(g, DictAdjoint):
        # an object's attributes: a plain dict by attribute name
        return {key: structure_like(value, getattr(x, key, None)) for key, value in g.items()}
    return g


def owned_list(g):
    """A copy of the adjoint `g` of a list (its items copied too), which the
    reverse sweep may shorten and update in place."""
    from .runtime import copy  # (runtime imports this module)

    return SeqAdjoint(copy(item) for item in g)


def drop_last(g):
    """The adjoint `g` of a list without its last item: the same list, its
    last item removed in place, or a view of an array adjoint (``np.sum(hs)``
    gives one)."""
    if isinstance(g, list):
        g.pop()
        return g
    return g[:-1]


def list_append(items, item):
    """``items.append(item)`` as a value: a new list (earlier versions, which
    the reverse sweep may still need, stay unchanged)."""
    return items + [item]
