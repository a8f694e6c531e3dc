"""NumPy shape functions: reshape, transpose, .T, ravel, squeeze, stacking.

Each adjoint undoes the shape change on the incoming adjoint.
"""

import numpy as np

from ..helpers import untranspose
from ..runtime import shape_of, unbroadcast
from .registry import adjoint, method, nondifferentiable, scalar_result, fresh

# ----- Reshaping -----


@adjoint(np.reshape)
def reshape(y, a, newshape=None, order="C", shape=None):
    d[a] = np.reshape(d[y], shape_of(a))


@adjoint(("method", "reshape"))
def reshape_method(y, x, *shape, order="C"):
    d[x] = np.reshape(d[y], shape_of(x))


@adjoint(np.ravel)
def ravel(y, a, order="C"):
    d[a] = np.reshape(d[y], shape_of(a))


@adjoint(("method", "ravel"), ("method", "flatten"))
def ravel_method(y, x, order="C"):
    d[x] = np.reshape(d[y], shape_of(x))


@adjoint(np.squeeze)
def squeeze(y, a, axis=None):
    d[a] = np.reshape(d[y], shape_of(a))


@adjoint(np.expand_dims)
def expand_dims(y, a, axis):
    d[a] = np.reshape(d[y], shape_of(a))


@adjoint(np.atleast_1d, np.atleast_2d)
def atleast(y, a):
    d[a] = np.reshape(d[y], shape_of(a))


@adjoint(np.broadcast_to)
def broadcast_to(y, array, shape, subok=False):
    d[array] = unbroadcast(d[y], array)


# ----- Transposition -----


@adjoint(np.transpose)
def transpose(y, a, axes=None):
    d[a] = untranspose(d[y], axes)


@adjoint(("method", "transpose"))
def transpose_method(y, x, *axes):
    d[x] = untranspose(d[y], axes or None)


@adjoint(("attr", "T"))
def T(y, x):
    d[x] = d[y].T


@adjoint(np.swapaxes)
def swapaxes(y, a, axis1, axis2):
    d[a] = np.swapaxes(d[y], axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis(y, a, source, destination):
    d[a] = np.moveaxis(d[y], destination, source)


# ----- Copies and views that keep the values -----


@adjoint(("method", "copy"), np.copy, np.array, np.asarray, np.ascontiguousarray)
def copy(y, a, *args, **kwargs):
    d[a] = d[y]


@adjoint(("method", "astype"))
def astype(y, x, dtype):
    d[x] = d[y]


@adjoint(("attr", "real"), np.real)
def real(y, val):
    d[val] = d[y]


method("swapaxes", np.swapaxes)
method("squeeze", np.squeeze)

nondifferentiable(np.shape, np.ndim, np.size, ("attr", "shape"), ("attr", "ndim"),
                  ("attr", "size"), ("attr", "dtype"))
scalar_result("always", np.ndim, np.size)
fresh(np.copy, np.array, ("method", "copy"), ("method", "astype"), ("method", "flatten"))
