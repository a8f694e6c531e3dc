"""`check_grad`: compare a generated gradient with central finite differences.

Differences are taken in float64 on every element of every `wrt` argument
(Python floats and arrays alike, and every leaf of a container or object
argument: a list, tuple or dict of arrays, or an object whose gradient is a
dict by attribute). On a mismatch, `GradientCheckError` carries a report per
argument (per leaf): the largest absolute and relative error and the index of
the worst element.
"""

import copy

import numpy

from .errors import GradientCheckError, TangentADError

__all__ = ["check_grad", "numerical_gradient"]


def _replace(args, kwargs, key, value):
    if isinstance(key, int):
        args = list(args)
        args[key] = value
        return args, kwargs
    kwargs = dict(kwargs)
    kwargs[key] = value
    return args, kwargs


def _get(args, kwargs, key):
    return args[key] if isinstance(key, int) else kwargs[key]


def numerical_gradient(f, args, kwargs, key, eps=1e-6):
    """Central differences of scalar `f` w.r.t. argument `key` (position or
    name), an array or a number."""

    def f_of(leaf):
        a, k = _replace(args, kwargs, key, leaf)
        return f(*a, **k)

    return _numerical_leaf(f_of, _get(args, kwargs, key), eps)


def check_grad(f, *args, wrt=(0,), rtol=1e-5, atol=1e-7, eps=1e-6, **kwargs):
    """Raise `GradientCheckError` unless ``ta.grad(f, wrt)`` agrees with central
    finite differences at `args`; return the per-argument report otherwise."""
    from .api import grad, _normalize_wrt
    from .source import unwrap

    names, params = _normalize_wrt(unwrap(f), wrt)
    got = grad(f, wrt)(*args, **kwargs)
    if len(names) == 1:
        got = (got,)
    lines, failed = [], False
    for name, value in zip(names, got):
        position = params.index(name)
        key = position if position < len(args) else name
        if not isinstance(key, int) and key not in kwargs:
            raise TangentADError("check_grad needs a value for every wrt argument", detail=name)
        argument = _get(args, kwargs, key)
        for path, leaf_grad in _leaves(value, argument):
            label = name + "".join(f"[{step!r}]" if not isinstance(step, _Attr) else f".{step}" for step in path)

            def shifted_f(leaf, _path=path, _key=key):
                a, k = _replace(args, kwargs, _key, _with_leaf(argument, _path, leaf))
                return f(*a, **k)

            reference = _numerical_leaf(shifted_f, _leaf_at(argument, path), eps)
            line, bad = _compare(
                label, numpy.asarray(leaf_grad, dtype=numpy.float64), numpy.asarray(reference), rtol, atol
            )
            lines.append(line)
            failed |= bad
    report = "\n".join(lines)
    if failed:
        raise GradientCheckError(
            f"gradient of {getattr(f, '__name__', f)} disagrees with finite differences "
            f"(rtol={rtol}, atol={atol}):\n{report}"
        )
    return report


class _Attr(str):
    """A path step naming an object's attribute (printed as `.name`)."""


def _leaves(grad, value, path=()):
    """(path, gradient leaf) pairs, walking the gradient's structure along the
    argument's: list/tuple positions, dict keys, object attributes."""
    if isinstance(grad, (list, tuple)) and isinstance(value, (list, tuple)):
        for i, (g, v) in enumerate(zip(grad, value)):
            yield from _leaves(g, v, path + (i,))
    elif isinstance(grad, dict) and isinstance(value, dict):
        for k, g in grad.items():
            yield from _leaves(g, value[k], path + (k,))
    elif isinstance(grad, dict) and not hasattr(value, "shape"):  # an object: by attribute
        for k, g in grad.items():
            yield from _leaves(g, getattr(value, k), path + (_Attr(k),))
    elif grad is not None:
        yield path, grad


def _leaf_at(value, path):
    for step in path:
        value = getattr(value, step) if isinstance(step, _Attr) else value[step]
    return value


def _with_leaf(value, path, leaf):
    """A copy of `value` with the leaf at `path` replaced (containers and
    objects along the path are copied, the rest shared)."""
    if not path:
        return leaf
    step, rest = path[0], path[1:]
    if isinstance(step, _Attr):
        clone = copy.copy(value)
        setattr(clone, step, _with_leaf(getattr(value, step), rest, leaf))
        return clone
    if isinstance(value, tuple):
        items = list(value)
        items[step] = _with_leaf(value[step], rest, leaf)
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    clone = copy.copy(value)
    clone[step] = _with_leaf(value[step], rest, leaf)
    return clone


def _numerical_leaf(f_of_leaf, value, eps):
    """Central differences of scalar `f_of_leaf(leaf)` at `value`."""
    is_scalar = numpy.ndim(value) == 0 and not hasattr(value, "shape")
    x = numpy.array(value, dtype=numpy.float64)
    grad = numpy.zeros_like(x)
    for index in numpy.ndindex(x.shape):
        shifted = []
        for sign in (1.0, -1.0):
            moved = x.copy()
            moved[index] += sign * eps
            shifted.append(float(numpy.real(f_of_leaf(float(moved) if is_scalar else moved))))
        grad[index] = (shifted[0] - shifted[1]) / (2.0 * eps)
    return float(grad) if is_scalar else grad


def _compare(name, got, reference, rtol, atol):
    if got.shape != reference.shape:
        return f"  {name}: gradient shape {got.shape} but argument shape {reference.shape}", True
    error = numpy.abs(got - reference)
    if error.size == 0:
        return f"  {name}: empty", False
    worst = numpy.unravel_index(numpy.argmax(error), error.shape) if error.ndim else ()
    abs_err = float(error[worst]) if error.ndim else float(error)
    scale = numpy.abs(reference)
    rel = error / numpy.maximum(scale, 1e-300)
    rel_err = float(rel[worst]) if error.ndim else float(rel)
    bad = not bool(numpy.all(error <= atol + rtol * scale))  # (NaN anywhere is bad too)
    where = f" at index {tuple(int(i) for i in worst)}" if error.ndim else ""
    status = "MISMATCH" if bad else "ok"
    line = (
        f"  {name}: {status}: max abs error {abs_err:.3g}{where} "
        f"(rel {rel_err:.3g}); gradient {_fmt(got, worst)} vs finite differences {_fmt(reference, worst)}"
    )
    return line, bad


def _fmt(array, index):
    value = array[index] if array.ndim else array
    return f"{float(value):.6g}"
