"""Linear algebra: products (@, matmul, dot, vdot, inner, outer, tensordot,
einsum, kron) and numpy.linalg (solve, inv, det, slogdet, cholesky, qr, eigh,
eigvalsh; norm is with the reductions).

Products delegate to helpers that handle 1-D, 2-D and batched operands once,
so each rule is two lines. Decompositions returning a tuple receive a list of
adjoints ``d[y]`` (one per result, zeros where a result is unused).
"""

import operator

import numpy as np

from ..helpers import (
    cholesky_adjoint,
    det_adjoint,
    dot_lhs,
    dot_rhs,
    eigh_adjoint,
    eigvalsh_adjoint,
    einsum_adjoint,
    field_adjoint,
    inner_lhs,
    inner_rhs,
    inv_adjoint,
    kron_adjoint,
    matmul_lhs,
    matmul_rhs,
    outer_lhs,
    outer_rhs,
    qr_adjoint,
    slogdet_adjoint,
    solve_back,
    solve_lhs,
    tensordot_lhs,
    tensordot_rhs,
)
from ..runtime import shape_of, unbroadcast
from .registry import adjoint, fresh, method, nondifferentiable

# ----- Products -----


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
    # vdot flattens both operands (complex conjugation is not supported)
    d[a] = np.reshape(d[y] * b, shape_of(a))
    d[b] = np.reshape(d[y] * a, shape_of(b))


@adjoint(np.inner)
def inner(y, a, b):
    d[a] = inner_lhs(d[y], a, b)
    d[b] = inner_rhs(d[y], a, b)


@adjoint(np.tensordot)
def tensordot(y, a, b, axes=2):
    d[a] = tensordot_lhs(d[y], a, b, axes)
    d[b] = tensordot_rhs(d[y], a, b, axes)


@adjoint(np.einsum)
def einsum(y, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, out=None,
           optimize=False):
    # each operand's adjoint is einsum of d[y] with the other operands (up to six
    # operands); in the sublist format `subscripts` is an array: refused at run time
    d[subscripts] = einsum_adjoint(d[y], subscripts, 0, x0, x1, x2, x3, x4, x5)
    d[x0] = einsum_adjoint(d[y], subscripts, 0, x0, x1, x2, x3, x4, x5)
    d[x1] = einsum_adjoint(d[y], subscripts, 1, x0, x1, x2, x3, x4, x5)
    d[x2] = einsum_adjoint(d[y], subscripts, 2, x0, x1, x2, x3, x4, x5)
    d[x3] = einsum_adjoint(d[y], subscripts, 3, x0, x1, x2, x3, x4, x5)
    d[x4] = einsum_adjoint(d[y], subscripts, 4, x0, x1, x2, x3, x4, x5)
    d[x5] = einsum_adjoint(d[y], subscripts, 5, x0, x1, x2, x3, x4, x5)


@adjoint(np.kron)
def kron(y, a, b):
    d[a] = kron_adjoint(d[y], a, b, 0)
    d[b] = kron_adjoint(d[y], a, b, 1)


# ----- Solving and inverting -----


@adjoint(np.linalg.solve)
def solve(y, a, b):
    # y = a^-1 b:  d b = a^-T d y,  d a = -(d b) y^T
    back = solve_back(d[y], y, a)
    d[a] = solve_lhs(back, y, a)
    d[b] = unbroadcast(back, b)


@adjoint(np.linalg.inv)
def inv(y, a):
    # y = a^-1:  d a = -y^T d y y^T
    d[a] = inv_adjoint(d[y], y)


@adjoint(np.linalg.det)
def det(y, a):
    # d det(a) = det(a) tr(a^-1 da):  d a = d y det(a) a^-T
    d[a] = det_adjoint(d[y], y, a)


@adjoint(np.linalg.slogdet)
def slogdet(y, a):
    # d[y] is [d sign, d logabsdet]; d log|det a| = tr(a^-1 da)
    d[a] = slogdet_adjoint(d[y], a)


# ----- Decompositions -----


@adjoint(np.linalg.cholesky)
def cholesky(y, a, *, upper=False):
    d[a] = cholesky_adjoint(d[y], y, upper)


@adjoint(np.linalg.eigh)
def eigh(y, a, UPLO="L"):
    # d[y] is [d eigenvalues, d eigenvectors]
    d[a] = eigh_adjoint(d[y], y[0], y[1], UPLO)


@adjoint(np.linalg.eigvalsh)
def eigvalsh(y, a, UPLO="L"):
    d[a] = eigvalsh_adjoint(d[y], a, UPLO)


@adjoint(np.linalg.qr)
def qr(y, a, mode="reduced"):
    # d[y] is [d q, d r]; other modes, and wide matrices, raise at run time
    d[a] = qr_adjoint(d[y], a, y[0], y[1], mode)


# Fields of the named tuples that slogdet, eigh and qr return: the adjoint of
# ``result.field`` is the adjoint of ``result[i]`` (other objects with an
# attribute of the same name are refused at run time).


@adjoint(("attr", "logabsdet"))
def logabsdet(y, x):
    d[x] = field_adjoint(d[y], x, 1)


@adjoint(("attr", "eigenvalues"))
def eigenvalues(y, x):
    d[x] = field_adjoint(d[y], x, 0)


@adjoint(("attr", "eigenvectors"))
def eigenvectors(y, x):
    d[x] = field_adjoint(d[y], x, 1)


@adjoint(("attr", "Q"))
def q_field(y, x):
    d[x] = field_adjoint(d[y], x, 0)


@adjoint(("attr", "R"))
def r_field(y, x):
    d[x] = field_adjoint(d[y], x, 1)


method("dot", np.dot)
nondifferentiable(np.linalg.matrix_rank, np.linalg.cond)
fresh(
    operator.matmul, np.matmul, np.dot, np.outer, np.vdot, np.inner, np.tensordot, np.einsum,
    np.kron, np.linalg.solve, np.linalg.inv, np.linalg.det, np.linalg.cholesky,
    np.linalg.eigvalsh, ("method", "dot"),
    # helpers that always return a new array (so its adjoint may be updated in place)
    matmul_lhs, matmul_rhs, dot_lhs, dot_rhs, outer_lhs, outer_rhs, inner_lhs, inner_rhs,
    tensordot_lhs, tensordot_rhs, kron_adjoint, solve_lhs, inv_adjoint, det_adjoint,
    slogdet_adjoint, cholesky_adjoint, eigh_adjoint, eigvalsh_adjoint, qr_adjoint,
)
