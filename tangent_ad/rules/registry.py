"""Where derivative rules are registered and looked up.

Rules are keyed by the Python object they differentiate (``numpy.sin``,
``operator.mul``, ``math.exp``), by ``("method", name)`` for array methods
(``x.sum()``) and by ``("attr", name)`` for array attributes (``x.T``).

Besides templates, a few tables describe functions for the analyses:
``NONDIFFERENTIABLE`` (derivative zero everywhere it exists: ``argmax``,
``zeros_like``, comparisons), ``SCALAR_RESULT`` (when a call returns a shape-()
value) and ``FRESH`` (calls that return a new array, never a view).
"""

import operator

import gast

from .. import anno
from ..source import static_value, is_resolved
from ..template import Accumulate, Template

ADJOINTS = {}
TANGENTS = {}
NONDIFFERENTIABLE = set()
SCALAR_RESULT = {}
FRESH_RESULT = set()
LINEAR = {}  # fn -> argument positions it is linear in: f(.., 0, ..) == 0
_version = [0]


def version():
    """Bumped on every registration, so cached derivatives notice new rules."""
    return _version[0]


def _label(fn):
    from ..source import describe

    if isinstance(fn, tuple):
        return f"{fn[0]} {fn[1]}"
    return describe(fn)


def adjoint(*fns):
    """Register the decorated template as the reverse-mode rule of `fns`."""

    def register(template_fn):
        template = Template(template_fn, _label(fns[0]))
        for fn in fns:
            ADJOINTS[fn] = template
        _version[0] += 1
        return template_fn

    return register


def tangent(*fns):
    """Register the decorated template as the forward-mode rule of `fns`."""

    def register(template_fn):
        template = Template(template_fn, _label(fns[0]))
        for fn in fns:
            TANGENTS[fn] = template
        _version[0] += 1
        return template_fn

    return register


def nondifferentiable(*fns):
    """Declare `fns` to have a zero derivative (or none worth having)."""
    NONDIFFERENTIABLE.update(fns)
    _version[0] += 1


def method(name, fn):
    """``x.name(...)`` differentiates like ``fn(x, ...)``."""
    key = ("method", name)
    if fn in ADJOINTS:
        ADJOINTS[key] = ADJOINTS[fn]
    if fn in TANGENTS:
        TANGENTS[key] = TANGENTS[fn]
    if fn in NONDIFFERENTIABLE:
        NONDIFFERENTIABLE.add(key)
    if fn in FRESH_RESULT:
        FRESH_RESULT.add(key)
    if fn in SCALAR_RESULT:
        SCALAR_RESULT[key] = SCALAR_RESULT[fn]


def scalar_result(kind, *fns):
    """`kind`: "always", "if-args" (scalar when all arguments are) or
    "full-reduction" (scalar when called without axis arguments)."""
    for fn in fns:
        SCALAR_RESULT[fn] = kind


def linear(*fns, positions=(0,)):
    """Declare `fns` linear in the arguments at `positions` (multilinear when
    several: zero at any of them makes the result zero), so forward mode drops
    a call whose argument there has a zero tangent. A function without a
    tangent rule gets one from this: the sum over `positions` of the call with
    that argument replaced by its tangent."""
    for fn in fns:
        LINEAR[fn] = tuple(positions)
    _version[0] += 1


ELEMENTWISE = set()


def elementwise(*fns):
    """Declare `fns` elementwise with NumPy broadcasting (their result has the
    operands' broadcast shape), beyond operators and ufuncs."""
    ELEMENTWISE.update(fns)


def is_elementwise(key):
    """Whether the result of `key` has its operands' broadcast shape."""
    import numpy

    if key in _BINOPS.values() or key in _UNARYOPS.values() or key in ELEMENTWISE:
        return True
    return isinstance(key, numpy.ufunc)


def fresh(*fns):
    """Declare that `fns` return newly allocated arrays (never views)."""
    FRESH_RESULT.update(fns)


def differentiable_params(template):
    """Parameters the template writes adjoints for (d[param] = ...)."""
    cached = getattr(template, "_diff_params", None)
    if cached is None:
        cached = set()
        for stmt in template.body:
            if isinstance(stmt, gast.Assign):
                target = stmt.targets[0]
                if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                    if target.value.id == "d" and isinstance(target.slice, gast.Name):
                        cached.add(target.slice.id)
        template._diff_params = cached
    return cached


_BINOPS = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.FloorDiv: operator.floordiv,
    gast.Mod: operator.mod,
    gast.Pow: operator.pow,
    gast.MatMult: operator.matmul,
    gast.LShift: operator.lshift,
    gast.RShift: operator.rshift,
    gast.BitOr: operator.or_,
    gast.BitXor: operator.xor,
    gast.BitAnd: operator.and_,
}

_UNARYOPS = {
    gast.USub: operator.neg,
    gast.UAdd: operator.pos,
    gast.Not: operator.not_,
    gast.Invert: operator.invert,
}


def binop_key(op):
    return _BINOPS[type(op)]


def unaryop_key(op):
    return _UNARYOPS[type(op)]


def call_key(call):
    """The registry key of a call's callee, or None if unknown until run time."""
    func = call.func
    value = static_value(func)
    if is_resolved(value):
        return _hashable(value)
    if isinstance(func, gast.Attribute):
        return ("method", func.attr)
    return None


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return ("unhashable", id(value))
    return value


def lookup(table, key):
    if key is None:
        return None
    return table.get(key)


__all__ = [
    "ADJOINTS",
    "TANGENTS",
    "NONDIFFERENTIABLE",
    "Accumulate",
    "adjoint",
    "tangent",
    "nondifferentiable",
    "method",
    "scalar_result",
    "fresh",
    "call_key",
    "binop_key",
    "unaryop_key",
    "anno",
]
