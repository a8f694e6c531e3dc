"""Where derivative rules are registered and looked up.

Rules are keyed by the Python object they differentiate (``numpy.sin``,
``operator.mul``, ``math.exp``), by ``("method", name)`` for array methods
(``x.sum()``) and by ``("attr", name)`` for array attributes (``x.T``).

Besides templates, a few tables describe functions for the analyses:
``NONDIFFERENTIABLE`` (derivative zero everywhere it exists: ``argmax``,
``zeros_like``, comparisons), ``SCALAR_RESULT`` (when a call returns a shape-()
value), ``FRESH`` (calls that return a new array, never a view) and
``OBSERVERS`` (calls that only read their arguments: ``print``, logging).
"""

import operator
import types

import gast

from .. import anno
from ..source import is_library, is_resolved, static_value
from ..template import Accumulate, Template

ADJOINTS = {}
TANGENTS = {}
NONDIFFERENTIABLE = set()
SCALAR_RESULT = {}
FRESH_RESULT = set()
LINEAR = {}  # fn -> argument positions it is linear in: f(.., 0, ..) == 0
OBSERVERS = set()  # functions that only read their arguments
OBSERVER_METHODS = {}  # class -> names of its methods that only read their arguments
_version = [0]


_listeners = []  # called after every registration (api: existing derivatives regenerate)


def version():
    """Bumped on every registration, so cached derivatives notice new rules."""
    return _version[0]


def on_change(listener):
    """Call `listener()` after every registration from now on."""
    _listeners.append(listener)


def _changed():
    _version[0] += 1
    for listener in _listeners:
        listener()


def _label(fn):
    from ..source import describe

    if isinstance(fn, tuple):
        return f"{fn[0]} {fn[1]}"
    return describe(fn)


def adjoint(*fns):
    """Register the decorated template as the reverse-mode rule of `fns`."""
    return _registrar(fns, ADJOINTS, "adjoint")


def tangent(*fns):
    """Register the decorated template as the forward-mode rule of `fns`."""
    return _registrar(fns, TANGENTS, "tangent")


def _registrar(fns, table, kind):
    """The decorator that puts a template into `table` for each of `fns`."""
    from .. import template as template_module

    if not fns:
        raise template_module.TemplateError(
            f"@ta.{kind} without the function the rule is for",
            hint=f"@ta.{kind}(np.tanh), then def rule(y, x): ...",
        )
    for fn in fns:
        try:
            hash(fn)
        except TypeError:
            raise template_module.TemplateError(
                f"@ta.{kind} for an object that cannot be a key (unhashable)", detail=repr(fn),
                hint="register the rule for the function (or method name) that is called",
            ) from None

    def register(template_fn):
        template = Template(template_fn, _label(fns[0]), kind)
        for fn in fns:
            table[fn] = template
        _changed()
        return template_fn

    return register


def nondifferentiable(*fns):
    """Declare `fns` to have a zero derivative (or none worth having)."""
    NONDIFFERENTIABLE.update(fns)
    _changed()


def observers(*fns):
    """Declare `fns` to only read their arguments (``print``, ``logging.info``):
    no derivative, and a call to them writes into nothing."""
    NONDIFFERENTIABLE.update(fns)
    OBSERVERS.update(fns)
    _changed()


def observer_methods(cls, *names):
    """Declare the methods `names` of `cls` instances to only read their
    arguments (``log.info(...)`` with ``log`` a `logging.Logger`)."""
    OBSERVER_METHODS.setdefault(cls, set()).update(names)
    _changed()


def observes_only(call):
    """Whether `call` only reads its arguments: a registered observer, or an
    observer method of an object the code reads from its module
    (``log.info`` with ``log = logging.getLogger(...)``)."""
    func = call.func
    value = static_value(func)
    if is_resolved(value):
        return _hashable(value) in OBSERVERS
    if isinstance(func, gast.Attribute):
        owner = static_value(func.value)
        if is_resolved(owner):
            return any(
                isinstance(owner, cls) and func.attr in names for cls, names in OBSERVER_METHODS.items()
            )
    return False


def dtype_kind(node):
    """The NumPy kind letter ("f", "i", "b", "c", ...) of the dtype a node
    names when the code is generated (``int``, ``np.float32``, ``"int64"``),
    or None when it is known only at run time (``x.dtype``)."""
    import numpy

    if not (isinstance(node, gast.Constant) or _fixed_name(node)):
        return None  # (a global ``DT`` of the user's may be bound to another dtype later)
    value = node.value if isinstance(node, gast.Constant) else static_value(node)
    if not is_resolved(value) or value is None:
        return None
    try:
        return numpy.dtype(value).kind
    except TypeError:
        return None


def _fixed_name(node):
    """Whether `node` names what a program does not rebind: a builtin
    (``int``) or a library's attribute (``np.float32``)."""
    if isinstance(node, gast.Name):
        return (anno.get(node, "binding") or ("",))[0] == "builtin"
    if isinstance(node, gast.Attribute):
        module = static_value(node.value)
        return isinstance(module, types.ModuleType) and is_library(module.__name__)
    return False


def cast_of(bindings):
    """What a call's ``dtype=`` argument does to its derivative: None (no
    dtype), ``"integer"`` (an integer or boolean dtype: the result is
    piecewise constant, its derivative zero) or the dtype's node (a float
    one, or one known at run time only, ``dtype=x.dtype``: an adjoint goes
    through `cast_adjoint`, back to its operand's dtype, and a tangent
    through `cast_tangent`, to the result's)."""
    node = bindings.get("dtype")
    if node is None or (isinstance(node, gast.Constant) and node.value is None):
        return None
    kind = dtype_kind(node)
    if kind is None or kind in "fc":
        return node
    return "integer"


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
    _changed()


ELEMENTWISE = set()


def elementwise(*fns):
    """Declare `fns` elementwise with NumPy broadcasting (their result has the
    operands' broadcast shape), beyond operators and ufuncs."""
    ELEMENTWISE.update(fns)


def is_elementwise(key):
    """Whether the result of `key` has its operands' broadcast shape."""
    import numpy

    if key is operator.matmul:
        return False
    if key in _BINOPS.values() or key in _UNARYOPS.values() or key in ELEMENTWISE:
        return True
    # (a generalised ufunc such as np.matmul has core dimensions: not element-wise)
    return isinstance(key, numpy.ufunc) and key.signature is None


def fresh(*fns):
    """Declare that `fns` return newly allocated arrays (never views).
    Some return an argument for some arguments (``out=``, ``copy=False``):
    `fresh_call` judges a call by its arguments too."""
    FRESH_RESULT.update(fns)


# Array methods (with rules) whose `out` parameter may also be passed
# positionally: its position after the receiver (functions: their signature).
_METHOD_OUT_POSITION = {
    "sum": 2, "mean": 2, "prod": 2, "var": 2, "std": 2, "cumsum": 2, "cumprod": 2,
    "max": 1, "min": 1, "trace": 4, "clip": 2, "take": 2, "dot": 1, "round": 1,
    "argmax": 1, "argmin": 1, "any": 1, "all": 1,
}


def fresh_call(call, key=None):
    """Whether the gast `call` surely returns a new array, never one of its
    arguments or a view of one: its callee is declared `fresh` and its
    arguments keep it so. NumPy returns the `out` array when given one (by
    keyword or position), ``np.array(a, copy=False or None)`` and
    ``a.astype(t, copy=False)`` may return `a`, ``np.einsum('ij->ij', a)``
    with one operand returns a view, and ``np.diff(a, n=0)`` returns `a`:
    only literal arguments that rule these out count."""
    key = call_key(call) if key is None else key
    if key is None or key not in FRESH_RESULT or may_return_argument(call, key):
        return False
    condition = _FRESH_IF.get(key)
    return condition is None or condition(call, _keywords(call))


def may_return_argument(call, key=None):
    """Whether `call` may hand back an array it was given to write into:
    an `out` argument (by keyword, or by position: ``np.floor(a, b)``
    writes into `b` and returns it), or arguments unpacked with `*`/`**`."""
    key = call_key(call) if key is None else key
    if any(isinstance(arg, gast.Starred) for arg in call.args):
        return True
    if any(keyword.arg is None for keyword in call.keywords):  # **kwargs
        return True
    out = _keywords(call).get("out")
    if out is not None and not _is_literal(out, lambda v: v is None):
        return True
    out_position = _out_position(key)
    return out_position is False or (out_position is not None and len(call.args) > out_position)


def passes_out(call, key=None):
    """Whether `call` is given an array to write its result into: ``out=``
    (not None), or `out` by position (``np.floor(a, b)``, ``x.sum(0, None, b)``)."""
    out = _keywords(call).get("out")
    if out is not None and not _is_literal(out, lambda v: v is None):
        return True
    position = _out_position(call_key(call) if key is None else key)
    if position is None or position is False or len(call.args) <= position:
        return False
    return not _is_literal(call.args[position], lambda v: v is None)  # (``np.sum(x, None, None, None)``)


def _keywords(call):
    return {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg is not None}


def _out_position(key):
    """Where `key` takes `out` positionally: an index, None (nowhere) or
    False (unknown: not to be trusted)."""
    import inspect

    import numpy

    if key is None:
        return False
    if isinstance(key, tuple):
        return _METHOD_OUT_POSITION.get(key[1]) if key[0] == "method" else None
    if isinstance(key, numpy.ufunc):
        return key.nin
    try:
        parameters = list(inspect.signature(key).parameters.values())
    except (TypeError, ValueError):  # builtins such as int(); NumPy's all have one
        return False if str(getattr(key, "__module__", "")).startswith("numpy") else None
    for position, parameter in enumerate(parameters):
        if parameter.kind is parameter.VAR_POSITIONAL or parameter.kind is parameter.KEYWORD_ONLY:
            return None
        if parameter.name == "out":
            return position
    return None


def _is_literal(node, accept):
    return isinstance(node, gast.Constant) and accept(node.value)


def _argument(call, keywords, position, name):
    """The argument node passed for a parameter, or None when left out."""
    if position is not None and len(call.args) > position:
        return call.args[position]
    return keywords.get(name)


def _copies(position):
    """A `copy` parameter (at `position`, or keyword-only) left out or a literal True."""

    def condition(call, keywords):
        given = _argument(call, keywords, position, "copy")
        return given is None or _is_literal(given, lambda v: v is True)

    return condition


def _diff_fresh(call, keywords):
    given = _argument(call, keywords, 1, "n")  # n=0 returns the input itself
    return given is None or _is_literal(given, lambda v: type(v) is int and v >= 1)


def _einsum_fresh(call, keywords):
    # one operand: a view when it can be (`'ij->ji'`, `'ii->i'`); two or more
    # (subscripts given as a string, a contraction order chosen by NumPy): new
    if not (call.args and _is_literal(call.args[0], lambda v: isinstance(v, str))):
        return False
    optimize = keywords.get("optimize")
    if optimize is not None and not isinstance(optimize, gast.Constant):
        return False  # an explicit path may leave a single-operand step last
    return len(call.args) >= 3


def _fresh_conditions():
    import numpy

    return {
        numpy.array: _copies(None),
        ("method", "astype"): _copies(4),
        numpy.diff: _diff_fresh,
        numpy.einsum: _einsum_fresh,
    }


_FRESH_IF = _fresh_conditions()


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
    "observers",
    "observer_methods",
    "observes_only",
    "cast_of",
    "dtype_kind",
    "method",
    "scalar_result",
    "fresh",
    "call_key",
    "binop_key",
    "unaryop_key",
    "anno",
]
