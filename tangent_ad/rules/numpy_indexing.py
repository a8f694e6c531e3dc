"""Indexing: take, take_along_axis, sort, diagonals and triangles.

Reading ``x[index]`` is differentiated by the reverse generator itself (its
adjoint accumulates into the adjoint of `x` in place, with `add_at`, which is
correct when an index repeats); index assignment ``x[index] = v`` likewise.
The functions here gather elements, so their adjoints scatter `d[y]` back with
the same accumulation. This module also declares the index-producing
functions, which have no derivative.
"""

import numpy as np

from ..helpers import diag_adjoint, undiagonal, unsort, untake, untake_along_axis
from .registry import adjoint, fresh, method, nondifferentiable

# ----- Gathers -----


@adjoint(np.take)
def take(y, a, indices, axis=None, out=None, mode="raise"):
    d[a] = untake(d[y], a, indices, axis, mode)


@adjoint(np.take_along_axis)
def take_along_axis(y, arr, indices, axis=-1):
    d[arr] = untake_along_axis(d[y], arr, indices, axis)


@adjoint(np.sort)
def sort(y, a, axis=-1, kind=None):
    # sort is a gather through argsort's permutation
    d[a] = unsort(d[y], a, axis)


# ----- Diagonals and triangles -----


@adjoint(np.diagonal)
def diagonal(y, a, offset=0, axis1=0, axis2=1):
    d[a] = undiagonal(d[y], a, offset, axis1, axis2)


@adjoint(np.diag)
def diag(y, v, k=0):
    # a vector becomes a matrix with it on diagonal k, a matrix gives its diagonal k
    d[v] = diag_adjoint(d[y], v, k)


@adjoint(np.triu)
def triu(y, m, k=0):
    d[m] = np.triu(d[y], k)


@adjoint(np.tril)
def tril(y, m, k=0):
    d[m] = np.tril(d[y], k)


method("take", np.take)
method("diagonal", np.diagonal)

nondifferentiable(
    np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
    np.searchsorted, np.digitize, np.unique, np.argpartition, np.nanargmax, np.nanargmin,
    ("method", "argmax"), ("method", "argmin"), ("method", "argsort"), ("method", "nonzero"),
)
fresh(np.take, np.take_along_axis, np.sort, np.triu, np.tril, ("method", "take"),
      untake, untake_along_axis, unsort, undiagonal)
