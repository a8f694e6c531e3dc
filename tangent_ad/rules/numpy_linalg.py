"""Linear algebra: @, np.matmul, np.dot, np.outer, np.inner, np.vdot.

Matrix products delegate to helpers that handle 1-D, 2-D and batched
operands once (`matmul_lhs` / `matmul_rhs`), so each rule is two lines.
"""

import operator

import numpy as np

from ..helpers import dot_lhs, dot_rhs, matmul_lhs, matmul_rhs, outer_lhs, outer_rhs
from .registry import adjoint, method, fresh


@adjoint(operator.matmul, np.matmul)
def matmul(y, x1, x2):
    d[x1] = matmul_lhs(d[y], x1, x2)
    d[x2] = matmul_rhs(d[y], x1, x2)


@adjoint(np.dot)
def dot(y, a, b, out=None):
    d[a] = dot_lhs(d[y], a, b)
    d[b] = dot_rhs(d[y], a, b)


@adjoint(np.outer)
def outer(y, a, b, out=None):
    d[a] = outer_lhs(d[y], a, b)
    d[b] = outer_rhs(d[y], a, b)


@adjoint(np.vdot)
def vdot(y, a, b):
    d[a] = np.reshape(d[y] * b, np.shape(a))
    d[b] = np.reshape(d[y] * a, np.shape(b))


method("dot", np.dot)
fresh(operator.matmul, np.matmul, np.dot, np.outer, np.vdot, ("method", "dot"))
