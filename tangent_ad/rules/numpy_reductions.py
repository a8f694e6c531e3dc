"""NumPy reductions: sums, products, extremes, spread, cumulative, norms.

`unreduce(g, a, axis, keepdims)` spreads a reduced adjoint back over `a`;
axis may be None, an int or a tuple. Arguments a rule does not name (such as
``where=`` or ``initial=``) make the call not match the template, which is
reported when the derivative is generated.
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
from .registry import adjoint, fresh, method, scalar_result

# ----- Sums and means -----


@adjoint(np.sum)
def sum_(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims)


@adjoint(np.mean)
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y] / reduced_size(a, axis), a, axis, keepdims)


@adjoint(np.nansum)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * nan_mask(a)


@adjoint(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = nanmean_adjoint(d[y], a, axis, keepdims)


@adjoint(np.prod)
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    # d prod / d a_i = product of the other elements (exact with zeros)
    d[a] = prod_adjoint(d[y], a, axis, keepdims)


# ----- Extremes -----


@adjoint(np.max, np.amax, np.nanmax)
def max_(y, a, axis=None, out=None, keepdims=False):
    # the adjoint goes to the elements equal to the extreme; ties share it equally
    d[a] = unreduce(d[y], a, axis, keepdims) * max_mask(a, y, axis, keepdims)


@adjoint(np.min, np.amin, np.nanmin)
def min_(y, a, axis=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * max_mask(a, y, axis, keepdims)


# ----- Spread -----


@adjoint(np.var)
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = var_adjoint(d[y], a, axis, ddof, keepdims)


@adjoint(np.std)
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = std_adjoint(d[y], a, y, axis, ddof, keepdims)


# ----- Cumulative -----


@adjoint(np.cumsum)
def cumsum(y, a, axis=None, dtype=None, out=None):
    d[a] = uncumsum(d[y], a, axis)


@adjoint(np.cumprod)
def cumprod(y, a, axis=None, dtype=None, out=None):
    d[a] = cumprod_adjoint(d[y], a, y, axis)


# ----- Trace and norms -----


@adjoint(np.trace)
def trace(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[a] = untrace(d[y], a, offset, axis1, axis2)


@adjoint(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):
    # vector: 2 (x / ||x||), 1, +-inf, 0, any p; matrix: 'fro', 'nuc', +-1, +-2,
    # +-inf; others raise TangentADError at run time
    d[x] = norm_adjoint(d[y], x, y, ord, axis, keepdims)


_METHODS = [
    ("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("max", np.max), ("min", np.min),
    ("var", np.var), ("std", np.std), ("cumsum", np.cumsum), ("cumprod", np.cumprod),
    ("trace", np.trace),
]
for _name, _fn in _METHODS:
    method(_name, _fn)

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
