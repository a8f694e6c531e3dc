"""Element-wise helpers: masks, signs, stable logistic, sinc slopes."""

import math

import numpy

from ._util import _dtype, _refuse_complex


# ----- Elementwise -----


def clip_inside(a, a_min, a_max):
    """1.0 where ``clip(a, a_min, a_max)`` returns `a`: `a` within [a_min,
    a_max] (ties included; None is no bound), else 0.0."""
    mask = True
    if a_min is not None:
        mask = mask & (a >= a_min)
    if a_max is not None:
        mask = mask & (a <= a_max)
    return _weight(mask, a)


def clip_to_low(a, a_min, a_max):
    """1.0 where clip returns `a_min`: `a` below it, and a_min not above a_max
    (NumPy's clip is minimum(maximum(a, a_min), a_max): where the bounds
    cross, a_max wins), else 0.0."""
    mask = a < a_min
    if a_max is not None:
        mask = mask & (a_min <= a_max)
    return _weight(mask, a)


def clip_to_high(a, a_min, a_max):
    """1.0 where clip returns `a_max`: `a` above it, or a_min above it, else 0.0."""
    mask = a > a_max
    if a_min is not None:
        mask = mask | (a_min > a_max)
    return _weight(mask, a)


def _weight(mask, *likes):
    """A boolean `mask` as 1.0 / 0.0 in the floating type of `likes` (the
    widest of the float arrays among them; float64 if none is): a slope, so
    that the derivative of a scalar is a float, never True or False."""
    if isinstance(mask, (bool, numpy.bool_)):
        return float(mask)
    floats = [like.dtype for like in likes if getattr(getattr(like, "dtype", None), "kind", None) in ("f", "c")]
    return mask.astype(numpy.result_type(*floats) if floats else numpy.float64)


def max_slope(a, b):
    """The slope of ``maximum(a, b)`` in `a`: 1.0 where a > b, 0.5 where they
    tie (the two share the adjoint), else 0.0; in the operands' float type
    (a float32 array keeps float32 derivatives)."""
    return _weight(a > b, a, b) + _weight(a == b, a, b) * 0.5


def min_slope(a, b):
    """The slope of ``minimum(a, b)`` in `a` (see `max_slope`)."""
    return _weight(a < b, a, b) + _weight(a == b, a, b) * 0.5


def fmax_slope(a, b):
    """The slope of ``fmax(a, b)`` in `a`: that of ``maximum``, and 1.0 where
    `b` is NaN (fmax then takes `a`); in the operands' float type."""
    return max_slope(a, b) + _weight(numpy.isnan(b), a, b)


def fmin_slope(a, b):
    """The slope of ``fmin(a, b)`` in `a` (see `fmax_slope`)."""
    return min_slope(a, b) + _weight(numpy.isnan(b), a, b)


def positive_log(x):
    """log(x) where x > 0, else 0: the slope of ``x ** y`` in `y`, divided by
    the power (which is 0 or NaN where x <= 0). Python floats stay Python
    floats, so a float32 exponent keeps float32 derivatives."""
    if isinstance(x, (int, float)):
        return math.log(x) if x > 0 else 0.0
    return numpy.log(numpy.where(x > 0, x, 1))


def sign_of_real(x, function="abs"):
    """sign(x), the slope of |x|; complex `x` is refused (|z| is not holomorphic).
    A Python number gets a Python float (numpy.sign would make the rest of a
    scalar sweep NumPy-scalar arithmetic, several times slower)."""
    if type(x) is float or type(x) is int:
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x  # (NaN stays NaN)
    _refuse_complex(x, function)
    return numpy.sign(x)


def real_identity(g, x, function="the real part"):
    """`g` for real `x`: the adjoint (and tangent) of ``x.real`` and of
    ``np.conj(x)``, both the identity on real values (complex `x` is refused)."""
    _refuse_complex(x, function)
    return g


def cast_adjoint(g, dtype, x=None):
    """The adjoint of ``x.astype(dtype)`` (and of a call's ``dtype=``): zero
    for a cast to integers; else `g`, in `x`'s floating dtype when `x` is
    given (a float64 argument cast down to float32 gets a float64 gradient)."""
    kind = numpy.dtype(dtype).kind if dtype is not None else "f"
    if kind not in "fc":
        return g * 0.0
    own = getattr(x, "dtype", None) if x is not None else None
    if own is None and isinstance(x, float):
        own = numpy.dtype(numpy.float64)
    if own is not None and own.kind in "fc" and getattr(g, "dtype", own) != own:
        return g.astype(own)
    return g


def cast_tangent(t, dtype):
    """The tangent of ``x.astype(dtype)`` (and of a call's ``dtype=``): zero
    for a cast to integers, else `t` in that dtype."""
    kind = numpy.dtype(dtype).kind if dtype is not None else "f"
    if kind not in "fc":
        return t * 0.0
    if dtype is not None and getattr(t, "dtype", None) is not None and t.dtype != numpy.dtype(dtype):
        return t.astype(dtype)
    return t


def fill_adjoint(g, a, dtype=None):
    """The adjoint of ``full_like(a, v, dtype)`` before it is summed to `v`'s
    shape: `g`, or zero when the result holds integers (`a`'s dtype, or
    `dtype`): a fill value cast to integers is piecewise constant."""
    found = dtype if dtype is not None else getattr(a, "dtype", None)
    kind = numpy.dtype(found).kind if found is not None else numpy.asarray(a).dtype.kind
    return g if kind in "fc" else g * 0.0


def logistic(t):
    """1 / (1 + exp(-t)), computed stably as (1 + tanh(t / 2)) / 2."""
    return 0.5 + 0.5 * numpy.tanh(0.5 * t)


def sinc_slope(x):
    """d sinc(x) / dx = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    safe = numpy.where(x == 0, 1.0, x)
    return numpy.where(x == 0, 0.0, (numpy.cos(numpy.pi * x) - numpy.sinc(x)) / safe)


def sinc_curvature(x):
    """d^2 sinc(x) / dx^2 = -pi sin(pi x) / x - 2 sinc'(x) / x, and -pi^2/3 at 0."""
    safe = numpy.where(x == 0, 1.0, x)
    value = (-numpy.pi * numpy.sin(numpy.pi * x) - 2.0 * sinc_slope(x)) / safe
    return numpy.where(x == 0, -numpy.pi ** 2 / 3.0, value)
