"""The public API: grad, value_and_grad, vjp, differentiate, source.

`wrt` is normalised once here (positions or names -> parameter names). A
`Derivative` is what `ta.grad` returns: calling it runs generated code. It is
generated eagerly (so unsupported code fails at `ta.grad` time, with the
user's line), and specialised on first call for arguments that are Python or
NumPy scalars, where the generated code can be plain arithmetic.
"""

import functools
import numbers
import sys
import types
import weakref

import numpy as np

from . import cache, codegen, fence, transform
from .errors import Location, NonScalarOutputError, TangentADError, UnsupportedConstructError
from .passes.shapes import NUMBERS
from .rules import registry
from .source import require_function, unwrap

__all__ = [
    "grad", "value_and_grad", "vjp", "jvp", "hvp", "jacobian", "hessian",
    "differentiate", "source", "Derivative",
]

_SCALAR_TYPES = (float, int)
_CONTAINER_TYPES = (list, tuple, dict)


def _normalize_wrt(fn, wrt):
    _check_signature(fn)
    params = transform.parameter_names(fn)
    if isinstance(wrt, (numbers.Integral, str)):
        wrt = (wrt,)
    try:
        wrt = tuple(wrt)
    except TypeError:
        raise TangentADError(
            "wrt must be an argument position or name, or a tuple of them", detail=f"got {wrt!r}"
        ) from None
    names = []
    for item in wrt:
        if isinstance(item, numbers.Integral) and not isinstance(item, bool):
            item = int(item)  # (np.int64 from np.argmax, say)
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise TangentADError(
                "wrt must hold argument positions or names", detail=f"got {item!r}"
            )
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise TangentADError(
                    "wrt position out of range",
                    detail=f"{fn.__name__} has {len(params)} arguments {params}, wrt={item}",
                )
            names.append(params[item])
        elif item in params:
            names.append(item)
        else:
            raise TangentADError(
                "wrt names an argument the function does not have",
                detail=f"{fn.__name__}{tuple(params)} has no argument {item!r}",
            )
    if not names:
        raise TangentADError("wrt is empty", hint="name at least one argument")
    if len(set(names)) != len(names):
        raise TangentADError("wrt names an argument twice", detail=str(names))
    return tuple(names), params


def _check_signature(fn):
    import inspect

    for param in inspect.signature(fn, follow_wrapped=False).parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise UnsupportedConstructError(
                "*args/**kwargs parameters", _definition(fn), fence.variadic_hint(fn),
            )


def _kind_of_type(kind):
    """What the generated code may assume about an argument of type `kind`:
    "scalar" (Python/NumPy number), "container" (list, tuple, dict), the class
    itself for other objects (attributes and methods resolved at generation),
    or None (arrays and anything else)."""
    if kind in _SCALAR_TYPES:
        return "scalar"
    if issubclass(kind, dict):
        return "dict"
    if kind in _CONTAINER_TYPES:
        return "container"
    if issubclass(kind, numbers.Number):
        return None if issubclass(kind, bool) else "scalar"
    if hasattr(kind, "shape") or issubclass(kind, type) or kind.__module__ == "builtins":
        return None
    if hasattr(kind, "__array__") or hasattr(kind, "__array_namespace__") or hasattr(kind, "__array_function__"):
        return None
    return kind


_KINDS = {}


def _kind(value):
    """The kind of `value` (see `_kind_of_type`), memoised by type."""
    kind = type(value)
    try:
        return _KINDS[kind]
    except KeyError:
        found = _KINDS[kind] = _kind_of_type(kind)
        return found


def _array_kind(value, classes, literals):
    """An array's shape pattern: ("shape", classes, element type) where a
    class is 1, ("=", n) for an extent equal to a literal n of the code, or
    a number shared by equal extents (across all arguments), and the element
    type is the dtype's name for a NumPy array ("float64"), else the array
    type and dtype (``passes/inplace.py`` computes in place only on NumPy
    float64 arrays); None when it has no integer shape."""
    shape = getattr(value, "shape", None)
    if not (isinstance(shape, tuple) and all(isinstance(d, int) for d in shape)):
        return None
    if shape == ():
        # a 0-d array is mutable (`d_x += g` updates it in place), while
        # shape () in the shape table means a number: leave its shape unknown
        return None
    return ("shape", tuple(
        1 if d == 1 else ("=", d) if d in literals else classes.setdefault(d, len(classes) + 2)
        for d in shape
    ), _element_type(value))


def _element_type(value):
    """"float64" for a NumPy float64 array; other arrays name their type too."""
    dtype = str(getattr(value, "dtype", None))
    return dtype if type(value) is np.ndarray else f"{type(value).__module__}.{type(value).__name__}:{dtype}"


# at most this many items of a list/tuple/dict argument enter the key; a
# longer list or tuple of numbers is specialised as such (NUMBERS)
_MAX_ITEMS = 64
_NUMBER_TYPES = frozenset({float, int, np.float64})
_HOLDERS = frozenset({list, tuple, dict})


def _container_kind(kind, value, classes, literals):
    """("container", leaf kinds) or ("dict", ((key, leaf kind), ...)) when every
    item is an array or a number (so `params[0]` has a known shape when
    generating); else just `kind`."""
    if len(value) > _MAX_ITEMS:
        if kind != "dict" and _numbers_only(value):
            return (kind, NUMBERS)  # every item a number, of any length
        return kind
    pairs = list(value.items()) if kind == "dict" else list(enumerate(value))
    leaves = []
    for key, item in pairs:
        leaf = _kind(item)
        if leaf is None:
            leaf = _array_kind(item, classes, literals)
        if leaf is None or (leaf != "scalar" and not isinstance(leaf, tuple)):
            return kind
        leaves.append((key, leaf) if kind == "dict" else leaf)
    return (kind, tuple(leaves))


def _numbers_only(value):
    """Whether every item of the list or tuple `value` is a float or an int
    (one pass of C over the items: the key of a long list)."""
    return set(map(type, value)) <= _NUMBER_TYPES


def _items_key(value):
    """The fast-path key of a list, tuple or dict argument: its items' types,
    shapes and dtypes (or types); for a long list or tuple, whether its
    items are all numbers."""
    if type(value) is dict:
        if len(value) > _MAX_ITEMS:
            return dict
        return (dict,) + tuple([(k, _leaf_key(v)) for k, v in value.items()])
    if len(value) > _MAX_ITEMS:
        return (type(value), _numbers_only(value))
    return (type(value),) + tuple([_leaf_key(v) for v in value])


def _leaf_key(value):
    """The fast-path key of an argument that is not a container (written
    out in `Derivative._function`, the per-call path)."""
    return (type(value), value.shape, value.dtype) if hasattr(value, "dtype") else getattr(value, "shape", type(value))


def _plain_key(args):
    """The look-up key of a call without arrays: its argument types (the
    short forms for one and two arguments are several times cheaper)."""
    n = len(args)
    if n == 1:
        return type(args[0])
    if n == 2:
        return (type(args[0]), type(args[1]))
    return tuple(map(type, args))


def _definition(fn):
    """Where `fn` is defined, for errors about a call of its derivative."""
    code = fn.__code__
    return Location(code.co_filename, code.co_firstlineno, fn.__qualname__)


def _located(err, fn):
    """The same error, pointing at `fn`'s definition."""
    return type(err)(err.construct, _definition(fn), err.hint, err.detail)


_COMPLEX_HINT = (
    "tangent_ad differentiates real-valued code: split it into real and imaginary parts "
    "(docs/rules.md, Complex numbers)"
)


def _as_number(value):
    """A 0-d NumPy array seed or tangent as the number it holds: the
    generated code updates adjoints of numbers with ``+=``, which would
    write into the caller's 0-d array (and into every name sharing it)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


_LIVE = weakref.WeakSet()  # every Derivative, told when a rule is registered


class _Stale:
    """A dependency that no longer holds: a rule was registered since."""

    def valid(self):
        return False


_STALE = _Stale()


def _tell_derivatives():
    for derivative in list(_LIVE):
        derivative._rules_changed()


registry.on_change(_tell_derivatives)


def _is_zero_d(value):
    return type(value) is np.ndarray and value.ndim == 0


_GRADIENT_MODES = ("grad", "grad_and_value", "value_and_grad", "vjp", "hvp")  # (they return gradients)


def _as_argument(gradient, argument):
    """The gradient of a 0-d array argument as a 0-d array, of a NumPy float
    scalar as that scalar type, in the argument's floating dtype; of an
    integer as a float (float64 for a NumPy integer)."""
    if type(argument) is int:
        return float(gradient)
    dtype = _real_dtype(argument)
    if isinstance(argument, np.ndarray):
        return np.asarray(gradient, dtype=dtype)
    return dtype.type(gradient)


def _keeps_type(value):
    """Whether the gradient of `value` must be made its type: a 0-d array, a
    NumPy float scalar other than float64 (a float64 gradient is one), or an
    integer (whose gradient the code may compute as an integer: ``2 * x``)."""
    return _is_zero_d(value) or type(value) is int or isinstance(value, np.integer) or (
        isinstance(value, np.floating) and type(value) is not np.float64
    )


def _known(shape):
    """Whether every extent of `shape` is known (Dask's unknown chunks are NaN)."""
    return all(isinstance(extent, numbers.Integral) for extent in shape)


def _inexact(value):
    """An integer or boolean seed or tangent array as float64: the generated
    code computes with it as with real numbers (``t_x * 2`` must not wrap
    around in int8)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind in "biu" and hasattr(value, "astype"):
        return value.astype(np.float64)
    return value


def _like_argument(tangent, argument):
    """A Python number as the tangent of a 0-d array argument: a NumPy scalar
    of its dtype, which the generated code may index like the array
    (``t_x[()]``)."""
    if isinstance(argument, np.ndarray) and argument.ndim == 0 and type(tangent) in (int, float):
        return argument.dtype.type(tangent) if argument.dtype.kind == "f" else np.float64(tangent)
    return tangent


def _parameter_kinds(fn):
    """(how many parameters are positional, the keyword-only names)."""
    import inspect

    positional, kwonly = 0, []
    for param in inspect.signature(fn, follow_wrapped=False).parameters.values():
        if param.kind == inspect.Parameter.KEYWORD_ONLY:
            kwonly.append(param.name)
        else:
            positional += 1
    return positional, tuple(kwonly)


class Derivative:
    """A generated derivative of `fn`; call it like `fn` (plus a seed for vjp)."""

    __tangent_derivative__ = True  # never unwrapped to `fn` (source.unwrap)

    def __init__(self, fn, wrt, mode, optimize=True, verbose=0):
        self.fn = unwrap(fn)
        self.wrt, self.params = _normalize_wrt(self.fn, wrt)
        self.mode = mode
        self.optimize = optimize
        self.verbose = verbose
        self._variants = {}
        self._by_types = {}  # argument shapes / types -> generated function
        self._by_plain_types = {}  # the same for calls without array arguments
        self._shapes_checked = set()  # argument kinds whose gradients' shapes were checked
        self._literals = frozenset()
        self._extra = self._trailing()
        self._positional, self._kwonly = _parameter_kinds(self.fn)
        # calls with fewer positional arguments than this take defaults (all
        # calls, with keyword-only parameters): one comparison per call
        self._fill_below = self._positional if not self._kwonly else sys.maxsize
        self._dependencies = ()  # of every variant made since the last refresh
        self._code = self.fn.__code__
        self._deferred = None
        functools.update_wrapper(self, self.fn, updated=())
        try:
            self.generic = self._generate(frozenset())
        except TangentADError as err:
            if not getattr(err, "deferrable", False):
                raise
            # e.g. `model.loss(x)`: resolved once a call shows model's class
            self.generic, self._deferred = None, err
        name = self.generic.name if self.generic else f"d_{self.fn.__name__}"
        self.__name__ = self.__qualname__ = name
        _LIVE.add(self)  # (made): a rule registered later makes it regenerate

    def _generate(self, kinds):
        key = cache.key(self.fn, "derivative", self.wrt, self.mode, self.optimize, kinds)
        generated = cache.get(key)
        if generated is not None and not all(d.valid() for d in generated.info.get("dependencies", ())):
            generated = None
        if generated is None:
            generated = self._transform(kinds)
            cache.stats["generated"] += 1
            cache.put(key, generated, self.fn)
            if self.verbose:
                print(generated.source)
        function = generated.function
        objects = [(self.params.index(name), kind) for name, kind in kinds
                   if isinstance(kind, type) and name in self.params]
        if objects:
            function = _own_methods_checked(function, objects, self.fn)
        self._variants[kinds] = function
        known = {id(dep) for dep in self._dependencies}
        self._dependencies += tuple(
            dep for dep in generated.info.get("dependencies", ()) if id(dep) not in known)
        self._literals = generated.info.get("literals", self._literals)
        return generated

    def _variant(self, kinds):
        """The function to call for arguments of these kinds (generated now)."""
        self._generate(kinds)
        return self._variants[kinds]

    def _transform(self, kinds):
        fn, wrt, optimize = self.fn, self.wrt, self.optimize
        if self.mode == "jvp":
            return transform.forward(fn, wrt, kinds=kinds, optimize=optimize)
        if self.mode == "hvp":
            # forward mode over the generated gradient (itself cached)
            gradient = _derivative(fn, wrt, "hvp_gradient", optimize, 0)._generate(kinds)
            generated = transform.forward(
                gradient.function, wrt, kinds=kinds, optimize=optimize, trusted=True,
                name="hvp_" + gradient.name[2:], value=False,
            )
            generated.info["dependencies"] = gradient.info["dependencies"]
            generated.info["gradient"] = gradient
            return generated
        if self.mode == "hvp_gradient":  # what hvp's forward mode runs over
            return transform.reverse(fn, wrt, "grad", kinds=kinds, optimize=optimize, loop_stacks=False)
        return transform.reverse(fn, wrt, self.mode, kinds=kinds, optimize=optimize)

    def is_current(self):
        """False once the function's code was replaced (``f.__code__ = ...``,
        as IPython's autoreload does) or a function this derivative inlined
        has been redefined."""
        return self.fn.__code__ is self._code and all(dep.valid() for dep in self._dependencies)

    def _refresh(self):
        """Regenerate after a callee changed: a stale derivative is never run."""
        if self.fn.__code__ is not self._code:  # (its parameters may have changed too)
            self._code = self.fn.__code__
            self.wrt, self.params = _normalize_wrt(self.fn, self.wrt)
            self._positional, self._kwonly = _parameter_kinds(self.fn)
            self._fill_below = self._positional if not self._kwonly else sys.maxsize
            self._extra = self._trailing()
        self._variants.clear()
        self._by_types.clear()
        self._by_plain_types.clear()
        self._shapes_checked.clear()
        self._dependencies = ()  # (what is generated next says what it depends on)
        if self.generic is not None:
            self.generic = self._generate(frozenset())

    def _rules_changed(self):
        """A rule was registered: what was generated may use the one it
        replaces. Regenerated on next use (the check every call makes of what
        the derivative depends on fails from now), never run stale."""
        self._dependencies = (_STALE,)

    def _kinds(self, args, kwargs):
        """The specialisation key of a call: (parameter, kind) pairs. Arrays
        are described by their shape pattern (which extents are equal, which
        are 1), so shapes can be reasoned about when generating; so are the
        arrays held by a list, tuple or dict argument."""
        found = []
        classes = {}
        items = list(zip(self.params, args)) + list(kwargs.items())
        for name, value in items:
            if name in self.wrt and _is_complex(value):
                raise TangentADError(
                    f"differentiating with respect to a complex value (argument {name!r})",
                    _definition(self.fn), _COMPLEX_HINT,
                )
            kind = _kind(value)
            if name in self.wrt and isinstance(kind, type) and _makes_up_attributes(kind):
                raise TangentADError(
                    f"differentiating with respect to an object whose class defines __getattr__ "
                    f"(argument {name!r})",
                    _definition(self.fn),
                    "its gradient is keyed by its attributes, which __getattr__ makes up: pass the "
                    "arrays it holds as arguments",
                )
            if kind is None:
                kind = _array_kind(value, classes, self._literals)
            elif type(value) in _HOLDERS:  # (the fast path's key knows their items)
                kind = _container_kind(kind, value, classes, self._literals)
            if kind is not None:
                found.append((name, kind))
        return frozenset(found)

    def _function(self, args, kwargs):
        """The generated function for these arguments (positional fast path:
        one dictionary look-up keyed by the argument types and shapes, and
        the shapes of what lists, tuples and dicts hold)."""
        if kwargs:
            key = self._kinds(args, kwargs)
            return self._variants.get(key) or self._variant(key)
        key = tuple([  # _leaf_key, written out
            _items_key(a) if type(a) in _HOLDERS
            else (type(a), a.shape, a.dtype) if hasattr(a, "dtype") else getattr(a, "shape", type(a))
            for a in args
        ])
        function = self._by_types.get(key)
        if function is None:
            kinds = self._kinds(args, {})
            function = self._variants.get(kinds) or self._variant(kinds)
            function = self._zero_d_kept(function, args)
            unchecked = function
            function = self._shapes_checked_once(
                function, args, lambda: self._by_types.__setitem__(key, unchecked))
            self._by_types[key] = function
            if not any(hasattr(a, "shape") or type(a) in _HOLDERS for a in args):
                # scalars and objects: the types alone are the key (cheaper
                # than asking each argument for a shape it does not have)
                self._by_plain_types[_plain_key(args)] = function
        return function

    def __call__(self, *args, **kwargs):
        if self.fn.__code__ is not self._code or (self._dependencies and not self.is_current()):
            self._refresh()
        try:
            if self._extra:
                return self._call_with_trailing(args, kwargs)
            n = len(args)  # _plain_key, written out: this is the per-call cost
            if n < self._fill_below:
                kwargs = self._with_defaults(args, kwargs)
            key = type(args[0]) if n == 1 else (type(args[0]), type(args[1])) if n == 2 else tuple(map(type, args))
            function = None if kwargs else self._by_plain_types.get(key)
            if function is None:
                function = self._function(args, kwargs)
            return function(*args, **kwargs)
        except (ZeroDivisionError, OverflowError, ValueError) as err:
            # Python floats raise where NumPy gives inf or nan (math.sqrt at 0):
            # say at which line of the user's code the derivative was
            where = codegen.user_location(err.__traceback__)
            if where is not None and hasattr(err, "add_note"):
                err.add_note(f"tangent_ad: raised by the derivative code of {where}: {where.text}")
            raise
        except TangentADError as err:
            if err.location is not None:
                raise
            if isinstance(err, NonScalarOutputError):  # (the seed: at the definition)
                raise _located(err, self.fn) from None
            # refused while running (a complex intermediate): at the user's
            # line the generated code was running
            where = codegen.user_location(err.__traceback__)
            if where is not None:
                raise type(err)(err.construct, where, err.hint, err.detail) from None
            raise

    def _call_with_trailing(self, args, kwargs):
        """vjp (a seed) and jvp/hvp (tangents) take arguments after f's own."""
        extra = self._extra
        if extra:
            if len(args) < extra:
                raise TangentADError(
                    f"{self.mode} takes the function's arguments followed by {self._trailing_what()}",
                    detail=f"got {len(args)} positional arguments",
                )
            args, trailing = args[: len(args) - extra], args[len(args) - extra:]
            try:
                bound = self._bind(args, kwargs)
            except TypeError as err:
                raise TangentADError(
                    f"{self.mode} takes the function's arguments followed by {self._trailing_what()}",
                    detail=str(err),
                ) from None
            if any(_is_complex(value) for value in trailing):
                raise TangentADError(
                    f"a complex value among what follows the function's arguments "
                    f"({self._trailing_what()})",
                    _definition(self.fn), _COMPLEX_HINT,
                )
            key = self._kinds(bound, {})
            function = self._variants.get(key) or self._variant(key)
            trailing = [_as_number(_inexact(value)) for value in trailing]
            if self.mode in ("jvp", "hvp"):
                arguments = [bound[self.params.index(name)] for name in self.wrt]
                self._check_tangent_shapes(trailing, arguments)
                trailing = [_like_argument(t, a) for t, a in zip(trailing, arguments)]
            given = dict(zip(self._kwonly, bound[self._positional:]))  # by keyword
            function = self._zero_d_kept(function, bound)
            if key not in self._shapes_checked:
                function = self._shapes_checked_once(
                    function, bound, lambda: self._shapes_checked.add(key))
            result = function(*bound[: self._positional], *trailing, **given)
            return _tangent_in_value_dtype(result) if self.mode == "jvp" else result

    def _check_tangent_shapes(self, tangents, arguments):
        """A jvp's tangent or an hvp's vector has the shape of its argument
        (an array or a number); NumPy would broadcast another one silently."""
        for name, tangent, argument in zip(self.wrt, tangents, arguments):
            if type(argument) in _HOLDERS or not (
                isinstance(getattr(argument, "shape", None), tuple) or isinstance(argument, numbers.Number)
            ):
                continue  # (containers and objects: their structure is read by the code)
            want, got = np.shape(argument), np.shape(tangent)
            if want != got:
                what = "vector" if self.mode == "hvp" else "tangent"
                raise TangentADError(
                    f"a {what} of another shape than its argument",
                    _definition(self.fn),
                    f"give one {what} per wrt argument, shaped like it",
                    detail=f"argument {name!r} has shape {want}, its {what} {got}",
                )

    def _gradients(self, result):
        """The gradients in what a derivative returned, in `wrt` order."""
        if self.mode == "value_and_grad":
            result = result[1]
        elif self.mode == "grad_and_value":
            result = result[0]
        return (result,) if len(self.wrt) == 1 else result

    def _with_gradients(self, result, gradients):
        """`result` with its gradients (in `wrt` order) replaced."""
        grads = gradients[0] if len(self.wrt) == 1 else tuple(gradients)
        if self.mode == "value_and_grad":
            return result[0], grads
        if self.mode == "grad_and_value":
            return grads, result[1]
        return grads

    def _wrt_arguments(self, args):
        """(position in `wrt`, name, value) of each `wrt` argument in `args`."""
        for i, name in enumerate(self.wrt):
            position = self.params.index(name)
            if position < len(args):
                yield i, name, args[position]

    def _shapes_checked_once(self, function, args, passed):
        """`function`, checking on its first call that the gradient of each
        array argument has that argument's shape (a user's rule may give an
        adjoint of another shape); `passed()` then installs `function` itself."""
        expected = [
            (i, name, value.shape) for i, name, value in self._wrt_arguments(args)
            if isinstance(getattr(value, "shape", None), tuple) and type(value) not in _HOLDERS
        ]
        if not expected or self.mode not in _GRADIENT_MODES:
            passed()
            return function

        @functools.wraps(function)
        def checked(*call_args, **call_kwargs):
            result = function(*call_args, **call_kwargs)
            gradients = self._gradients(result)
            for i, name, shape in expected:
                got = getattr(gradients[i], "shape", shape)
                if _known(got) and _known(shape) and tuple(got) != shape:
                    raise TangentADError(
                        "a gradient of the wrong shape",
                        _definition(self.fn),
                        "an adjoint rule registered with ta.adjoint may give an adjoint of another "
                        "shape than its argument (docs/custom-rules.md); without one, this is a "
                        "bug of tangent_ad: please report it",
                        detail=f"the gradient of {name!r} has shape {tuple(got)}, the argument {shape}",
                    )
            passed()
            return result

        return checked

    def _zero_d_kept(self, function, args):
        """`function`, or one returning the gradient of a 0-d array argument
        as a 0-d array (arithmetic on it gives a NumPy number, so a gradient
        is one or the other depending on the code), and of a float32 scalar
        as a float32 scalar (a seed or a folded constant is a Python float)."""
        positions = {i: value for i, _, value in self._wrt_arguments(args) if _keeps_type(value)}
        if not positions or self.mode not in _GRADIENT_MODES:
            return function

        @functools.wraps(function)
        def kept(*call_args, **call_kwargs):
            result = function(*call_args, **call_kwargs)
            gradients = [
                _as_argument(g, positions[i]) if i in positions else g
                for i, g in enumerate(self._gradients(result))
            ]
            return self._with_gradients(result, gradients)

        return kept

    def _with_defaults(self, args, kwargs):
        """`kwargs` with every parameter the call leaves to its default, the
        default read from the function now: its `__defaults__` may have
        changed since the derivative was made, which bakes in the old ones."""
        fn = self.fn
        kwargs = dict(kwargs)
        defaults = fn.__defaults__ or ()
        names = self.params[: self._positional]
        first = len(names) - len(defaults)
        for i in range(max(len(args), first), len(names)):
            kwargs.setdefault(names[i], defaults[i - first])
        for name, value in (fn.__kwdefaults__ or {}).items():
            kwargs.setdefault(name, value)
        return kwargs

    def _trailing(self):
        """How many arguments follow the function's own: seed or tangents."""
        if self.mode == "vjp":
            return 1
        if self.mode in ("jvp", "hvp"):
            return len(self.wrt)
        return 0

    def _trailing_what(self):
        if self.mode == "vjp":
            return "the output seed dy"
        return f"one {'tangent' if self.mode == 'jvp' else 'vector'} per wrt argument ({', '.join(self.wrt)})"

    def _bind(self, args, kwargs):
        import inspect

        bound = inspect.signature(self.fn, follow_wrapped=False).bind(*args, **kwargs)
        bound.apply_defaults()
        return [bound.arguments[name] for name in self.params]

    @property
    def __tangent_source__(self):
        return self.source()

    def source(self, *args, **kwargs):
        """The generated source; with example arguments, of their specialization."""
        if not self.is_current():
            self._refresh()
        if not args and not kwargs:
            if self.generic is None:
                err = self._deferred
                raise type(err)(
                    err.construct, err.location,
                    "this derivative depends on the arguments' types: pass example "
                    "arguments, ta.source(df, *args)", err.detail,
                )
            return self.generic.source
        extra = self._trailing()
        if extra and len(args) > self._positional:
            args = args[: len(args) - extra]  # (the seed or tangents; the function's own alone too)
        key = self._kinds(args, kwargs)
        return self._generate(key).source

    def specialize(self, *args, **kwargs):
        """The plain generated function for arguments like these, with no
        wrapper: for tight loops of calls on same-kind arguments. It takes the
        function's own arguments in order (then the seed or tangents, as the
        derivative does), checks nothing, and is not regenerated when a
        callee changes: call `specialize` again after editing code."""
        if not self.is_current():
            self._refresh()
        extra = self._trailing()
        if extra and len(args) > self._positional:
            args = args[: len(args) - extra]  # (the seed or tangents; the function's own alone too)
        if kwargs or extra:
            args, kwargs = self._bind(args, kwargs), {}
        return self._function(tuple(args), kwargs)

    def __repr__(self):
        return f"<tangent_ad derivative {self.__name__} of {self.fn.__qualname__}>"


def _tangent_in_value_dtype(result):
    """A jvp's (value, tangent), the tangent in the value's floating dtype: a
    tangent that met no tangent of a float64 operand (``x + grid`` with a
    float32 `x`, ``np.sum(x) + np.float64(1)``) kept the float32 of `x`."""
    if not (isinstance(result, tuple) and len(result) == 2):
        return result
    value, tangent = result
    dtype = getattr(value, "dtype", None)
    if dtype is None and type(value) is float:
        dtype = np.dtype(np.float64)
    own = getattr(tangent, "dtype", None)
    if dtype is None or own is None or dtype.kind != "f" or own == dtype:
        return result
    cast = tangent.astype(dtype)
    return value, float(cast) if type(value) is float else cast


def _is_complex(value):
    """Whether `value` is a complex number or array, or a container holding one."""
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= _NUMBER_TYPES:
            return False  # (a long list of floats, checked at C speed)
        return any(_is_complex(item) for item in value)
    if isinstance(value, dict):
        return any(_is_complex(item) for item in value.values())
    if isinstance(value, complex):
        return True
    return getattr(getattr(value, "dtype", None), "kind", None) == "c"


def _makes_up_attributes(cls):
    """Whether `cls` answers any attribute name (`__getattr__`)."""
    return any("__getattr__" in vars(klass) for klass in cls.__mro__[:-1])


def _own_attributes(obj):
    """The instance `__dict__` of `obj`, or None (`__slots__`); never what a
    `__getattr__` fallback makes up."""
    try:
        own = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    return own if isinstance(own, dict) else None


def _own_methods_checked(function, objects, fn):
    """`function` (generated with the methods of these classes inlined),
    refusing an object whose own attributes shadow a method of its class
    (``m.act = lambda z: z ** 2``): the derivative follows the class's."""
    methods = [
        (position, cls, frozenset(
            name for klass in cls.__mro__ for name, value in vars(klass).items()
            if isinstance(value, (types.FunctionType, staticmethod, classmethod))
        ))
        for position, cls in objects
    ]

    @functools.wraps(function)
    def checked(*args, **kwargs):
        for position, cls, names in methods:
            own = _own_attributes(args[position]) if position < len(args) else None
            if own and not names.isdisjoint(own):
                shadowed = sorted(names.intersection(own))
                raise UnsupportedConstructError(
                    f"an object whose own attribute {shadowed[0]!r} replaces its class's method",
                    _definition(fn),
                    hint=f"the derivative inlines {cls.__name__}.{shadowed[0]}; set it on the class, "
                    "or pass the function as an argument",
                )
        return function(*args, **kwargs)

    return checked


def _derivative(fn, wrt, mode, optimize, verbose):
    if isinstance(fn, Derivative):
        raise TangentADError(
            f"{mode} of a derivative made by tangent_ad",
            detail=f"{fn!r}",
            hint="second derivatives are forward mode over the generated gradient: use "
            "ta.hvp(f) for Hessian-vector products or ta.hessian(f)",
        )
    fn = require_function(fn)
    wrt = tuple(wrt) if isinstance(wrt, list) else wrt
    # (per function object: two functions of one code -- a factory's -- have
    # their own defaults and their own derivative objects)
    key = cache.key(fn, "api", wrt, mode, optimize) + (id(fn),)
    found = cache.get(key)
    if found is not None and not found.is_current():
        found = None
    if found is not None:
        if verbose and found.generic is not None:
            print(found.generic.source)
        return found
    return cache.put(key, Derivative(fn, wrt, mode, optimize, verbose), fn)


def grad(fn, wrt=(0,), *, preserve_result=False, optimize=True, verbose=0):
    """The gradient of scalar-valued `fn` with respect to the `wrt` arguments.

    Returns ``df(*args, **kwargs)`` giving one gradient (one `wrt`) or a tuple
    (several); with ``preserve_result=True`` it gives ``(grads, value)``.
    """
    mode = "grad_and_value" if preserve_result else "grad"
    return _derivative(fn, wrt, mode, optimize, verbose)


def value_and_grad(fn, wrt=(0,), *, optimize=True, verbose=0):
    """``df(*args)`` -> ``(value, grads)``."""
    return _derivative(fn, wrt, "value_and_grad", optimize, verbose)


def vjp(fn, wrt=(0,), *, optimize=True, verbose=0):
    """Vector-Jacobian product for any output shape: ``df(*args, dy)`` -> grads."""
    return _derivative(fn, wrt, "vjp", optimize, verbose)


def jvp(fn, wrt=(0,), *, optimize=True, verbose=0):
    """Forward mode: ``df(*args, *tangents)`` -> ``(value, tangent of value)``,
    one tangent per `wrt` argument, shaped like it."""
    return _derivative(fn, wrt, "jvp", optimize, verbose)


def hvp(fn, wrt=(0,), *, optimize=True, verbose=0):
    """Hessian-vector product of scalar `fn`: ``h(*args, *vectors)`` -> H v,
    shaped like the `wrt` arguments (a tuple when several). Forward mode over
    the generated gradient."""
    return _derivative(fn, wrt, "hvp", optimize, verbose)


def source(derivative, *args, **kwargs):
    """The generated Python source of a derivative (of its specialization for
    example `args`, when given)."""
    if isinstance(derivative, Derivative):
        return derivative.source(*args, **kwargs)
    text = getattr(derivative, "__tangent_source__", None)
    if text is None:
        raise TangentADError(
            "not a tangent_ad derivative", detail=repr(derivative), hint="pass what ta.grad returned"
        )
    return text


class Differentiable:
    """A function decorated with `@ta.differentiate`: it runs unchanged and
    has `.grad`, `.value_and_grad`, `.vjp`, `.jvp` and `.hvp` derivatives,
    made on first use."""

    def __init__(self, fn, wrt=(0,), optimize=True):
        self.__tangent_function__ = fn
        self._wrt = wrt
        self._optimize = optimize
        functools.update_wrapper(self, fn)
        transform.normalized(fn)  # unsupported code fails at decoration time

    def __call__(self, *args, **kwargs):
        return self.__tangent_function__(*args, **kwargs)

    def __get__(self, instance, owner=None):
        """A decorated method called through an instance gets it as `self`,
        and so do its derivatives: ``m.loss.grad(x)`` is ``Model.loss.grad(m, x)``."""
        return self if instance is None else _BoundDifferentiable(self, instance)

    @functools.cached_property
    def grad(self):
        return grad(self.__tangent_function__, self._wrt, optimize=self._optimize)

    @functools.cached_property
    def value_and_grad(self):
        return value_and_grad(self.__tangent_function__, self._wrt, optimize=self._optimize)

    @functools.cached_property
    def vjp(self):
        return vjp(self.__tangent_function__, self._wrt, optimize=self._optimize)

    @functools.cached_property
    def jvp(self):
        return jvp(self.__tangent_function__, self._wrt, optimize=self._optimize)

    @functools.cached_property
    def hvp(self):
        return hvp(self.__tangent_function__, self._wrt, optimize=self._optimize)


class _BoundDifferentiable:
    """``m.loss`` for a method decorated with `@ta.differentiate`: like a
    bound method, and its derivatives take `m` as their first argument."""

    _DERIVATIVES = ("grad", "value_and_grad", "vjp", "jvp", "hvp")

    def __init__(self, decorated, instance):
        self.__func__ = decorated
        self.__self__ = instance

    def __call__(self, *args, **kwargs):
        return self.__func__(self.__self__, *args, **kwargs)

    def __getattr__(self, name):
        if name in self._DERIVATIVES:
            return functools.partial(getattr(self.__func__, name), self.__self__)
        return getattr(self.__func__, name)


def differentiate(fn=None, *, wrt=(0,), optimize=True):
    """Decorator: ``@ta.differentiate`` or ``@ta.differentiate(wrt=("x",))``."""
    if fn is None:
        return lambda f: Differentiable(f, wrt, optimize)
    return Differentiable(fn, wrt, optimize)


# -- Jacobians and Hessians, assembled from generated jvp/vjp/hvp -----------------


def _wrt_value(fn, name, args, kwargs, what):
    """The value of the argument `name` in a call ``fn(*args, **kwargs)``
    (positional, by keyword or its default): an array or a number."""
    import inspect

    bound = inspect.signature(unwrap(fn), follow_wrapped=False).bind(*args, **kwargs)
    bound.apply_defaults()
    value = bound.arguments[name]
    if isinstance(value, (list, tuple, dict)) or not (
        isinstance(value, numbers.Number) or hasattr(value, "shape")
    ):
        raise TangentADError(
            f"{what} with respect to {name!r}, which is not an array or a number",
            hint=f"take the {what} of a function of one array (ta.grad, ta.jvp and ta.hvp "
            "take containers)",
            detail=type(value).__name__,
        )
    return value


def _real_dtype(value):
    """The floating dtype of `value`'s derivatives: its own, or float64."""
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None and dtype.kind == "f" else np.dtype(np.float64)


def _basis(x):
    """Unit tangents for every element of `x` (a float or an array)."""
    import numpy

    value = numpy.asarray(x)
    value = value.astype(_real_dtype(value))
    for index in numpy.ndindex(value.shape):
        unit = numpy.zeros_like(value)
        unit[index] = 1.0
        yield index, (float(unit) if value.ndim == 0 and not hasattr(x, "shape") else unit)


def jacobian(fn, wrt=0, mode=None, *, optimize=True):
    """``J(*args)`` -> the Jacobian of `fn` w.r.t. one argument, shaped
    ``out.shape + x.shape``. `mode` "forward" (one jvp per input element) or
    "reverse" (one vjp per output element); by default the cheaper one."""
    import numpy

    if isinstance(wrt, (tuple, list)):
        if len(wrt) != 1:
            raise TangentADError("jacobian takes one wrt argument", detail=f"wrt={wrt}")
        wrt = wrt[0]
    if mode not in (None, "forward", "reverse"):
        raise TangentADError("jacobian mode must be 'forward', 'reverse' or None", detail=repr(mode))
    forward_df = jvp(fn, wrt, optimize=optimize) if mode != "reverse" else None
    reverse_df = vjp(fn, wrt, optimize=optimize) if mode != "forward" else None
    wrt_name = forward_df.wrt[0] if forward_df else reverse_df.wrt[0]

    def J(*args, **kwargs):
        x = _wrt_value(fn, wrt_name, args, kwargs, "jacobian")
        value = fn(*args, **kwargs)
        if isinstance(value, (tuple, list, dict)):
            raise TangentADError(
                "jacobian of a function returning a tuple, list or dict",
                _definition(fn),
                "take the jacobian of each output (a function returning one array), "
                "or use ta.vjp / ta.jvp, which take containers",
            )
        out = numpy.asarray(value)
        chosen = mode or ("reverse" if out.size <= numpy.size(x) else "forward")
        dtype = numpy.result_type(_real_dtype(out), _real_dtype(numpy.asarray(x)))
        result = numpy.zeros(out.shape + numpy.shape(x), dtype=dtype)
        if chosen == "forward":
            df = forward_df or jvp(fn, wrt, optimize=optimize)
            for index, unit in _basis(x):
                _, column = df(*args, unit, **kwargs)
                result[(Ellipsis,) + index] = column
        else:
            df = reverse_df or vjp(fn, wrt, optimize=optimize)
            for index, unit in _basis(out):
                seed = unit if out.ndim else 1.0
                result[index] = df(*args, seed, **kwargs)
        return result

    J.__name__ = f"jacobian_{fn.__name__}"
    return J


def hessian(fn, wrt=0, *, optimize=True):
    """``H(*args)`` -> the Hessian of scalar `fn` w.r.t. one argument, shaped
    ``x.shape + x.shape``: one generated Hessian-vector product (forward over
    reverse) per element of x."""
    import numpy

    if isinstance(wrt, (tuple, list)):
        if len(wrt) != 1:
            raise TangentADError("hessian takes one wrt argument", detail=f"wrt={wrt}")
        wrt = wrt[0]
    product = hvp(fn, wrt, optimize=optimize)

    def H(*args, **kwargs):
        x = _wrt_value(fn, product.wrt[0], args, kwargs, "hessian")
        shape = numpy.shape(x)
        result = numpy.zeros(shape + shape, dtype=_real_dtype(numpy.asarray(x)))
        for index, unit in _basis(x):
            result[(Ellipsis,) + index] = product(*args, unit, **kwargs)
        return result

    H.__name__ = f"hessian_{fn.__name__}"
    return H
