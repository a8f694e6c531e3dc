"""NumPy reductions: sums, products, extremes, spread, cumulative, norms.

`unreduce(g, a, axis, keepdims)` spreads a reduced adjoint back over `a`;
axis may be None, an int or a tuple. Arguments a rule does not name (such as
``where=`` or ``initial=``) make the call not match the template, which is
reported when the derivative is generated.

Each function's tangent (forward-mode) rule follows its adjoint: a reduction
of the tangent (sums and means are linear), or the slope the adjoint uses
times the tangent, reduced (extremes, spread, norms).
"""

import numpy as np

from ..helpers import (
    cumprod_adjoint,
    max_mask,
    nan_mask,
    nanmean_adjoint,
    norm_adjoint,
    prod_adjoint,
    reduced_size,
    std_adjoint,
    uncumsum,
    untrace,
    var_adjoint,
)
from ..runtime import unreduce
from ..tangent_helpers import (
    cumprod_adjoint_tangent,
    cumprod_tangent,
    norm_slope_tangent,
    norm_tangent,
    prod_others_tangent,
)
from .registry import adjoint, fresh, linear, method, nondifferentiable, scalar_result, tangent

# ----- Sums and means -----


@adjoint(np.sum)
def sum_(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims)


@tangent(np.sum)
def sum_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(d[a], axis=axis, dtype=dtype, keepdims=keepdims)


@adjoint(np.mean)
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y] / reduced_size(a, axis), a, axis, keepdims)


@tangent(np.mean)
def mean_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.mean(d[a], axis=axis, dtype=dtype, keepdims=keepdims)


@adjoint(np.nansum)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * nan_mask(a)


@tangent(np.nansum)
def nansum_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]), axis=axis, dtype=dtype, keepdims=keepdims)


@adjoint(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = nanmean_adjoint(d[y], a, axis, keepdims)


@tangent(np.nanmean)
def nanmean_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    # the mean of the tangent where `a` is a number (in a's precision)
    d[y] = np.nanmean(np.where(np.isnan(a), np.nan, d[a]), axis=axis, keepdims=keepdims)


@adjoint(np.prod)
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    # d prod / d a_i = product of the other elements (exact with zeros)
    d[a] = prod_adjoint(d[y], a, axis, keepdims)


@tangent(np.prod)
def prod_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    # sum_i d a_i * (product of the other elements)
    d[y] = np.sum(
        d[a] * prod_adjoint(np.ones_like(y), a, axis, keepdims), axis=axis, keepdims=keepdims
    )


# ----- Extremes -----


@adjoint(np.max, np.amax, np.nanmax)
def max_(y, a, axis=None, out=None, keepdims=False):
    # the adjoint goes to the elements equal to the extreme; ties share it equally
    d[a] = unreduce(d[y], a, axis, keepdims) * max_mask(a, y, axis, keepdims)


@tangent(np.max, np.amax, np.nanmax)
def max_tangent(y, a, axis=None, out=None, keepdims=False):
    d[y] = np.sum(d[a] * max_mask(a, y, axis, keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.min, np.amin, np.nanmin)
def min_(y, a, axis=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * max_mask(a, y, axis, keepdims)


@tangent(np.min, np.amin, np.nanmin)
def min_tangent(y, a, axis=None, out=None, keepdims=False):
    d[y] = np.sum(d[a] * max_mask(a, y, axis, keepdims), axis=axis, keepdims=keepdims)


# ----- Spread -----


@adjoint(np.var)
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = var_adjoint(d[y], a, axis, ddof, keepdims)


@tangent(np.var)
def var_tangent(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    # d var = 2 sum((a - mean) d a) / (N - ddof)
    d[y] = (
        2.0
        * np.sum((a - np.mean(a, axis=axis, keepdims=True)) * d[a], axis=axis, keepdims=keepdims)
        / (reduced_size(a, axis) - ddof)
    )


@adjoint(np.std)
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = std_adjoint(d[y], a, y, axis, ddof, keepdims)


@tangent(np.std)
def std_tangent(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    # d std = d var / (2 std), and 0 where std is 0 (the sum is 0 there)
    d[y] = np.sum(
        (a - np.mean(a, axis=axis, keepdims=True)) * d[a], axis=axis, keepdims=keepdims
    ) / ((reduced_size(a, axis) - ddof) * (y + (y == 0)))


# ----- Cumulative -----


@adjoint(np.cumsum)
def cumsum(y, a, axis=None, dtype=None, out=None):
    d[a] = uncumsum(d[y], a, axis)


@tangent(np.cumsum)
def cumsum_tangent(y, a, axis=None, dtype=None, out=None):
    d[y] = np.cumsum(d[a], axis=axis, dtype=dtype)


@adjoint(np.cumprod)
def cumprod(y, a, axis=None, dtype=None, out=None):
    d[a] = cumprod_adjoint(d[y], a, y, axis)


@tangent(np.cumprod)
def cumprod_tangent_(y, a, axis=None, dtype=None, out=None):
    # y_i = y_(i-1) a_i:  d y_i = d y_(i-1) a_i + y_(i-1) d a_i
    d[y] = cumprod_tangent(d[a], a, y, axis)


# ----- Trace and norms -----


@adjoint(np.trace)
def trace(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[a] = untrace(d[y], a, offset, axis1, axis2)


@tangent(np.trace)
def trace_tangent(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[y] = np.trace(d[a], offset=offset, axis1=axis1, axis2=axis2, dtype=dtype)


@adjoint(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):
    # vector: 2 (x / ||x||), 1, +-inf, 0, any p; matrix: 'fro', 'nuc', +-1, +-2,
    # +-inf; others raise TangentADError at run time
    d[x] = norm_adjoint(d[y], x, y, ord, axis, keepdims)


@tangent(np.linalg.norm)
def norm_tangent_(y, x, ord=None, axis=None, keepdims=False):
    d[y] = norm_tangent(d[x], x, y, ord, axis, keepdims)


_METHODS = [
    ("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("max", np.max), ("min", np.min),
    ("var", np.var), ("std", np.std), ("cumsum", np.cumsum), ("cumprod", np.cumprod),
    ("trace", np.trace),
]
for _name, _fn in _METHODS:
    method(_name, _fn)

linear(np.sum, np.mean, np.cumsum, np.trace, norm_tangent, cumprod_tangent)

# ----- Helpers the adjoints above call (forward over reverse: Hessians) -----


@tangent(nanmean_adjoint)
def nanmean_adjoint_tangent(y, g, a, axis=None, keepdims=False):
    # where a is NaN is piecewise constant
    d[y] = nanmean_adjoint(d[g], a, axis, keepdims)


@tangent(prod_adjoint)
def prod_adjoint_tangent(y, g, a, axis=None, keepdims=False):
    d[y] = prod_adjoint(d[g], a, axis, keepdims) + prod_others_tangent(g, a, d[a], axis, keepdims)


@tangent(var_adjoint)
def var_adjoint_tangent(y, g, a, axis=None, ddof=0, keepdims=False):
    # var_adjoint is bilinear in g and a
    d[y] = var_adjoint(d[g], a, axis, ddof, keepdims) + var_adjoint(g, d[a], axis, ddof, keepdims)


@tangent(std_adjoint)
def std_adjoint_tangent(out, g, a, y, axis=None, ddof=0, keepdims=False):
    # std_adjoint(g, a, y) = var_adjoint(g / (2 y), a)
    d[out] = (
        std_adjoint(d[g], a, y, axis, ddof, keepdims)
        + std_adjoint(g, d[a], y, axis, ddof, keepdims)
        - std_adjoint(g * d[y] / y, a, y, axis, ddof, keepdims)
    )


@tangent(cumprod_adjoint)
def cumprod_adjoint_tangent_(y_, g, a, y, axis=None):
    d[y_] = cumprod_adjoint_tangent(g, a, y, d[g], d[a], d[y], axis)


@tangent(norm_adjoint)
def norm_adjoint_tangent(y_, g, x, y, ord=None, axis=None, keepdims=False):
    d[y_] = norm_adjoint(d[g], x, y, ord, axis, keepdims) + norm_slope_tangent(
        g, x, y, d[x], d[y], ord, axis, keepdims
    )


linear(nanmean_adjoint, uncumsum, untrace)
linear(var_adjoint, std_adjoint, positions=(0, 1))
linear(prod_others_tangent, positions=(0, 2))
linear(prod_adjoint, norm_adjoint)
nondifferentiable(nan_mask)

_REDUCTIONS = [
    np.sum, np.mean, np.nansum, np.nanmean, np.prod, np.max, np.amax, np.nanmax, np.min,
    np.amin, np.nanmin, np.var, np.std,
]
scalar_result("full-reduction", *_REDUCTIONS, np.linalg.norm)
fresh(*_REDUCTIONS, np.cumsum, np.cumprod, np.trace, np.linalg.norm)
for _name in ["sum", "mean", "prod", "max", "min", "var", "std"]:
    scalar_result("full-reduction", ("method", _name))
for _name, _fn in _METHODS:
    fresh(("method", _name))
# helpers that always return a new array (so its adjoint may be updated in place)
fresh(prod_adjoint, var_adjoint, std_adjoint, nanmean_adjoint, uncumsum, cumprod_adjoint,
      untrace, norm_adjoint)
