"""Annotations carried on AST nodes through every pass.

A node's annotations live in one dict attribute, so `copy.deepcopy` keeps them
and passes never hand data to each other through visitor state.

Keys in use:
    lineno      the user's source line a statement came from
    binding     for a Name load: ("local" | "global" | "closure" | "builtin", value)
    value       for an Attribute/Name that resolves statically: the Python object
    func        for a Call: the callee object, or ("method", name) for x.name(...)
    trips       for a loop: the name of its trip counter (loops that may exit early)
    saves       for an assignment: how its overwritten value is saved (set by analysis)
"""

_ATTR = "_tangent_anno"


class _Annotations(dict):
    """Annotation values are shared, not copied, when a node is deep-copied
    (they hold Python objects such as modules and functions)."""

    def __deepcopy__(self, memo):
        return _Annotations(self)


def get(node, key, default=None):
    return getattr(node, _ATTR, {}).get(key, default)


def has(node, key):
    return key in getattr(node, _ATTR, {})


def set(node, key, value):  # noqa: A001 - mirrors dict.set semantics on nodes
    annos = getattr(node, _ATTR, None)
    if annos is None:
        annos = _Annotations()
        setattr(node, _ATTR, annos)
    annos[key] = value


def copy_from(target, source, keys=None):
    """Copy annotations (all, or `keys`) from one node to another."""
    annos = getattr(source, _ATTR, {})
    for key, value in annos.items():
        if keys is None or key in keys:
            set(target, key, value)
    return target
