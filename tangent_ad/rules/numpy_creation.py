"""Array creation inside differentiated code.

Most creation functions depend only on shapes (``zeros_like(x)`` reads x's
shape, not its values), so no derivative flows through them. Two take
values: ``full`` / ``full_like`` (the fill value) and ``linspace`` (start and
stop, which every sample depends on linearly). Their tangent rules follow
their adjoints.
"""

import numpy as np

from ..helpers import fill_adjoint, linspace_adjoint, linspace_tangent
from ..runtime import unbroadcast
from ..tangent_helpers import fill_tangent
from .registry import adjoint, fresh, linear, nondifferentiable, tangent

# ----- Values that flow into the new array -----


@adjoint(np.full)
def full(y, shape, fill_value, dtype=None, order="C"):
    # every element is fill_value: its adjoint is the sum of d[y] (to its shape)
    d[fill_value] = unbroadcast(d[y], fill_value)


@tangent(np.full)
def full_tangent(y, shape, fill_value, dtype=None, order="C"):
    d[y] = fill_tangent(d[fill_value], y)


@adjoint(np.full_like)
def full_like(y, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    # an integer prototype (or dtype) makes an integer array: no derivative
    d[fill_value] = unbroadcast(fill_adjoint(d[y], a, dtype), fill_value)


@tangent(np.full_like)
def full_like_tangent(y, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    d[y] = fill_tangent(d[fill_value], y)


@adjoint(np.linspace)
def linspace(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    # y_i = start + t_i (stop - start), t_i = i / (num - 1) (or i / num without endpoint)
    d[start] = linspace_adjoint(d[y], start, stop, num, endpoint, retstep, axis, 0)
    d[stop] = linspace_adjoint(d[y], start, stop, num, endpoint, retstep, axis, 1)


@tangent(np.linspace)
def linspace_tangent_(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    # linspace is linear in (start, stop) together
    d[y] = linspace_tangent(d[start], d[stop], start, stop, num, endpoint, retstep, axis)


linear(fill_tangent)


@tangent(fill_adjoint)
def fill_adjoint_tangent(y, g, a, dtype=None):
    # `a` is read for its dtype only
    d[y] = fill_adjoint(d[g], a, dtype)
# linear in the adjoint; start and stop are read for their shape only
linear(linspace_adjoint)

# ----- Shapes only -----

_CREATION = [
    np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like, np.eye,
    np.identity, np.arange, np.tri,
]
nondifferentiable(*_CREATION, np.random.rand, np.random.randn, np.random.normal,
                  np.random.uniform, np.random.standard_normal, np.isclose, np.allclose,
                  np.any, np.all, np.count_nonzero, np.array_equal, ("method", "any"),
                  ("method", "all"))
fresh(*_CREATION, np.full, np.full_like, np.linspace)
