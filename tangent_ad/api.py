"""The public API: grad, value_and_grad, vjp, differentiate, source.

`wrt` is normalised once here (positions or names -> parameter names). A
`Derivative` is what `ta.grad` returns: calling it runs generated code. It is
generated eagerly (so unsupported code fails at `ta.grad` time, with the
user's line), and specialised on first call for arguments that are Python or
NumPy scalars, where the generated code can be plain arithmetic.
"""

import functools
import numbers

from . import cache, transform
from .errors import Location, NonScalarOutputError, TangentADError, UnsupportedConstructError
from .source import require_function, unwrap

__all__ = ["grad", "value_and_grad", "vjp", "differentiate", "source", "Derivative"]

_SCALAR_TYPES = (float, int)


def _normalize_wrt(fn, wrt):
    _check_signature(fn)
    params = transform.parameter_names(fn)
    if isinstance(wrt, (int, str)):
        wrt = (wrt,)
    names = []
    for item in wrt:
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

    for param in inspect.signature(fn).parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            code = fn.__code__
            raise UnsupportedConstructError(
                "*args/**kwargs parameters",
                Location(code.co_filename, code.co_firstlineno, fn.__qualname__),
                "name the parameters explicitly",
            )


def _is_scalar(value):
    return type(value) in _SCALAR_TYPES or (
        isinstance(value, numbers.Number) and not isinstance(value, bool)
    )


def _located(err, fn):
    """The same error, pointing at `fn`'s definition."""
    code = fn.__code__
    location = Location(code.co_filename, code.co_firstlineno, fn.__qualname__)
    return type(err)(err.construct, location, err.hint, err.detail)


class Derivative:
    """A generated derivative of `fn`; call it like `fn` (plus a seed for vjp)."""

    def __init__(self, fn, wrt, mode, optimize=True, verbose=0):
        self.fn = unwrap(fn)
        self.wrt, self.params = _normalize_wrt(self.fn, wrt)
        self.mode = mode
        self.optimize = optimize
        self.verbose = verbose
        self._variants = {}
        self._dependencies = ()
        self.generic = self._generate(frozenset())
        functools.update_wrapper(self, self.fn, updated=())
        self.__name__ = self.generic.name
        self.__qualname__ = self.generic.name

    def _generate(self, scalars):
        key = cache.key(self.fn, "reverse", self.wrt, self.mode, self.optimize, scalars)
        generated = cache.get(key)
        if generated is not None and not all(d.valid() for d in generated.info.get("dependencies", ())):
            generated = None
        if generated is None:
            generated = transform.reverse(
                self.fn, self.wrt, self.mode, scalar_args=scalars, optimize=self.optimize
            )
            cache.stats["generated"] += 1
            cache.put(key, generated, self.fn)
            if self.verbose:
                print(generated.source)
        self._variants[scalars] = generated.function
        self._dependencies = tuple(generated.info.get("dependencies", ()))
        return generated

    def is_current(self):
        """False once a function this derivative inlined has been redefined."""
        return all(dep.valid() for dep in self._dependencies)

    def _refresh(self):
        """Regenerate after a callee changed: a stale derivative is never run."""
        self._variants.clear()
        self.generic = self._generate(frozenset())

    def _scalar_params(self, args, kwargs):
        params = self.params
        found = [params[i] for i, a in enumerate(args[: len(params)]) if _is_scalar(a)]
        found += [k for k, v in kwargs.items() if _is_scalar(v)]
        return frozenset(found)

    def __call__(self, *args, **kwargs):
        if self._dependencies and not self.is_current():
            self._refresh()
        if self.mode == "vjp":
            if not args:
                raise TangentADError("vjp needs the output seed as its last argument")
            *args, seed = args
            bound = self._bind(args, kwargs)
            key = self._scalar_params(bound, {})
            function = self._variants.get(key) or self._generate(key).function
            return function(*bound, seed)
        key = self._scalar_params(args, kwargs)
        function = self._variants.get(key)
        if function is None:
            function = self._generate(key).function
        try:
            return function(*args, **kwargs)
        except NonScalarOutputError as err:
            if err.location is None:
                err = _located(err, self.fn)
            raise err from None

    def _bind(self, args, kwargs):
        import inspect

        bound = inspect.signature(self.fn).bind(*args, **kwargs)
        bound.apply_defaults()
        return [bound.arguments[name] for name in self.params]

    @property
    def __tangent_source__(self):
        return self.generic.source

    def source(self, *args, **kwargs):
        """The generated source; with example arguments, of their specialization."""
        if not args and not kwargs:
            return self.generic.source
        if self.mode == "vjp":
            args = args[:-1]
        key = self._scalar_params(args, kwargs)
        return self._generate(key).source

    def __repr__(self):
        return f"<tangent_ad derivative {self.generic.name} of {self.fn.__qualname__}>"


def _derivative(fn, wrt, mode, optimize, verbose):
    fn = require_function(fn)
    wrt = tuple(wrt) if isinstance(wrt, list) else wrt
    key = cache.key(fn, "api", wrt, mode, optimize)
    found = cache.get(key)
    if found is not None and not found.is_current():
        found = None
    if found is not None:
        if verbose:
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
    has `.grad`, `.value_and_grad` and `.vjp` derivatives, made on first use."""

    def __init__(self, fn, wrt=(0,), optimize=True):
        self.__tangent_function__ = fn
        self._wrt = wrt
        self._optimize = optimize
        functools.update_wrapper(self, fn)
        transform.normalized(fn)  # unsupported code fails at decoration time

    def __call__(self, *args, **kwargs):
        return self.__tangent_function__(*args, **kwargs)

    @functools.cached_property
    def grad(self):
        return grad(self.__tangent_function__, self._wrt, optimize=self._optimize)

    @functools.cached_property
    def value_and_grad(self):
        return value_and_grad(self.__tangent_function__, self._wrt, optimize=self._optimize)

    @functools.cached_property
    def vjp(self):
        return vjp(self.__tangent_function__, self._wrt, optimize=self._optimize)


def differentiate(fn=None, *, wrt=(0,), optimize=True):
    """Decorator: ``@ta.differentiate`` or ``@ta.differentiate(wrt=("x",))``."""
    if fn is None:
        return lambda f: Differentiable(f, wrt, optimize)
    return Differentiable(fn, wrt, optimize)
