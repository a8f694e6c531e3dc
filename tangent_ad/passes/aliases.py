"""Which names may share an array, for the passes that move reads.

Several passes reason by name: "nothing writes `a` between here and there".
An array can have several names (``b = a``, ``v = a[1:]``, a helper that
returns its argument), and a write under one changes what the others read.
`Aliases` reads the assignments of a function once and answers, for some
names, which other names may share their arrays.
"""

import gast
import numpy

from .. import nodes as n
from .. import runtime
from ..source import static_value
from .dataflow import all_statements
from .reverse import LIKE_ARGS

# helpers whose result is a new array, never a view of an argument
_NEW_ARRAY = (runtime.copy, runtime.zeros_like, runtime.unindex, runtime.zero_at)


class Aliases:
    """For each name, the names whose arrays it may be (a view of): those its
    assignments read, unless the value is surely a new array (arithmetic, a
    NumPy ufunc, a helper that copies), and except what a helper reads only
    for its shape. Flow-insensitive, so on the safe side."""

    def __init__(self, func):
        self.of = {}
        for node in all_statements(func.body):
            if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
                if not surely_new(node.value):
                    self.of.setdefault(node.targets[0].id, set()).update(viewable_names(node.value))

        # both directions: a write under any name of a buffer changes it for all
        self.linked = {}
        for name, viewed in self.of.items():
            for other in viewed:
                self.linked.setdefault(name, set()).add(other)
                self.linked.setdefault(other, set()).add(name)

    def views(self, names):
        """The names that may share an array with one of `names`: views of
        it and what it may view, transitively (`names` excluded)."""
        seen, todo = set(), [other for name in names for other in self.linked.get(name, ())]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.linked.get(name, ()))
        return seen - set(names)


def viewable_names(value):
    """The names whose arrays `value` may return (a view of)."""
    if isinstance(value, gast.Call):
        shape_only = LIKE_ARGS.get(static_value(value.func), ())
        args = [arg for position, arg in enumerate(value.args) if position not in shape_only]
        # an argument computed afresh (``d_t2 * labels``) shares no name's
        # array; a call as an argument lends only what it may return
        return {name for arg in args if not surely_new(arg) for name in viewable_names(arg)}
    if isinstance(value, (gast.Attribute, gast.Subscript)):
        # a view (``.T``, ``[1:]``) of its base only -- an index lends no
        # memory -- and of nothing when the base is new (``(q.T @ g).T``)
        base = value.value
        return set() if surely_new(base) else viewable_names(base)
    return set(n.load_names(value))


def surely_new(value):
    """Whether `value` is surely a new array (or a number), never a view of a name."""
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant)):
        return True
    if isinstance(value, gast.Call):
        callee = static_value(value.func)
        if isinstance(callee, numpy.ufunc) or callee in _NEW_ARRAY:
            return True
        from ..rules import registry  # (the rules read this module's callers)

        return registry.fresh_call(value)  # np.sum(y), y.copy(), np.stack(...)
    return False
