"""NumPy reductions: sum, mean, prod, max/min, var, std, with axis/keepdims.

`unreduce(g, x, axis, keepdims)` spreads a reduced adjoint back over `x`.
"""

import numpy as np

from ..helpers import max_mask, reduced_size
from ..runtime import unreduce
from .registry import adjoint, method, scalar_result, fresh

# ----- Sums and means -----


@adjoint(np.sum)
def sum_(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims)


@adjoint(np.mean)
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y] / reduced_size(a, axis), a, axis, keepdims)


@adjoint(np.prod)
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    # d prod / d a_i = prod / a_i  (inputs assumed non-zero)
    d[a] = unreduce(d[y] * y, a, axis, keepdims) / a


# ----- Extremes -----


@adjoint(np.max, np.amax)
def max_(y, a, axis=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * max_mask(a, y, axis, keepdims)


@adjoint(np.min, np.amin)
def min_(y, a, axis=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * max_mask(a, y, axis, keepdims)


# ----- Spread -----


@adjoint(np.var)
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    # var = sum((a - mean)^2) / (N - ddof)
    d[a] = unreduce(d[y], a, axis, keepdims) * 2.0 * (a - np.mean(a, axis=axis, keepdims=True)) / (reduced_size(a, axis) - ddof)


@adjoint(np.std)
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = unreduce(d[y] / y, a, axis, keepdims) * (a - np.mean(a, axis=axis, keepdims=True)) / (reduced_size(a, axis) - ddof)


for _name, _fn in [
    ("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("max", np.max),
    ("min", np.min), ("var", np.var), ("std", np.std),
]:
    method(_name, _fn)

_REDUCTIONS = [np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin, np.var, np.std]
scalar_result("full-reduction", *_REDUCTIONS)
fresh(*_REDUCTIONS)
for _name in ["sum", "mean", "prod", "max", "min", "var", "std"]:
    scalar_result("full-reduction", ("method", _name))
    fresh(("method", _name))
