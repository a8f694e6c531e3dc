"""Indexing: take, take_along_axis, sort, diagonals and triangles.

Reading ``x[index]`` is differentiated by the reverse generator itself (its
adjoint accumulates into the adjoint of `x` in place, with `add_at`, which is
correct when an index repeats); index assignment ``x[index] = v`` likewise.
The functions here gather elements, so their adjoints scatter `d[y]` back with
the same accumulation. This module also declares the index-producing
functions, which have no derivative.

Gathers are linear: each tangent rule (after its adjoint) gathers the
tangent the same way (sort through the same stable permutation).
"""

import numpy as np

from ..helpers import diag_adjoint, undiagonal, unsort, untake, untake_along_axis
from ..runtime import unbroadcast
from ..tangent_helpers import sort_tangent
from .registry import adjoint, fresh, linear, method, nondifferentiable, tangent

# ----- Gathers -----


@adjoint(np.take)
def take(y, a, indices, axis=None, out=None, mode="raise"):
    d[a] = untake(d[y], a, indices, axis, mode)


@tangent(np.take)
def take_tangent(y, a, indices, axis=None, out=None, mode="raise"):
    d[y] = np.take(d[a], indices, axis=axis, mode=mode)


@adjoint(np.take_along_axis)
def take_along_axis(y, arr, indices, axis=-1):
    d[arr] = untake_along_axis(d[y], arr, indices, axis)


@tangent(np.take_along_axis)
def take_along_axis_tangent(y, arr, indices, axis=-1):
    d[y] = np.take_along_axis(d[arr], indices, axis)


@adjoint(np.sort)
def sort(y, a, axis=-1, kind=None):
    # sort is a gather through argsort's permutation
    d[a] = unsort(d[y], a, axis)


@tangent(np.sort)
def sort_tangent_(y, a, axis=-1, kind=None):
    d[y] = sort_tangent(d[a], a, axis)


# ----- Diagonals and triangles -----


@adjoint(np.diagonal)
def diagonal(y, a, offset=0, axis1=0, axis2=1):
    d[a] = undiagonal(d[y], a, offset, axis1, axis2)


@tangent(np.diagonal)
def diagonal_tangent(y, a, offset=0, axis1=0, axis2=1):
    d[y] = np.diagonal(d[a], offset, axis1, axis2)


@adjoint(np.diag)
def diag(y, v, k=0):
    # a vector becomes a matrix with it on diagonal k, a matrix gives its diagonal k
    d[v] = diag_adjoint(d[y], v, k)


@tangent(np.diag)
def diag_tangent(y, v, k=0):
    d[y] = np.diag(d[v], k)


@adjoint(np.triu)
def triu(y, m, k=0):
    # a 1-D m is broadcast to a square matrix (each row a masked copy of m)
    d[m] = unbroadcast(np.triu(d[y], k), m)


@tangent(np.triu)
def triu_tangent(y, m, k=0):
    d[y] = np.triu(d[m], k)


@adjoint(np.tril)
def tril(y, m, k=0):
    d[m] = unbroadcast(np.tril(d[y], k), m)


@tangent(np.tril)
def tril_tangent(y, m, k=0):
    d[y] = np.tril(d[m], k)


linear(np.take, np.take_along_axis, np.diagonal, np.diag, np.triu, np.tril, sort_tangent)

# ----- Helpers the adjoints above call (forward over reverse: Hessians) -----


@tangent(unsort)
def unsort_tangent(y, g, a, axis=-1):
    # the sorting permutation is piecewise constant
    d[y] = unsort(d[g], a, axis)


# linear in the adjoint; the array argument is read for its shape only
linear(unsort, untake, untake_along_axis, undiagonal, diag_adjoint)

method("take", np.take)
method("diagonal", np.diagonal)

nondifferentiable(
    np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
    np.searchsorted, np.digitize, np.unique, np.argpartition, np.nanargmax, np.nanargmin,
    ("method", "argmax"), ("method", "argmin"), ("method", "argsort"), ("method", "nonzero"),
)
fresh(np.take, np.take_along_axis, np.sort, np.triu, np.tril, ("method", "take"),
      untake, untake_along_axis, unsort, undiagonal)
