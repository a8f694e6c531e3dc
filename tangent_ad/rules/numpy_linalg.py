"""Linear algebra: products (@, matmul, dot, vdot, inner, outer, tensordot,
einsum, kron) and numpy.linalg (solve, inv, det, slogdet, cholesky, qr, eigh,
eigvalsh; norm is with the reductions).

Products delegate to helpers that handle 1-D, 2-D and batched operands once,
so each rule is two lines. Decompositions returning a tuple receive a list of
adjoints ``d[y]`` (one per result, zeros where a result is unused).

Tangent rules follow their adjoints: products are bilinear (one term per
operand); solve, inv, det and slogdet differentiate a^-1; the decompositions'
tangents (helpers in `tangent_helpers`) return a tuple shaped like the result.
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
from ..tangent_helpers import (
    cholesky_adjoint_tangent,
    cholesky_tangent,
    eigh_adjoint_tangent,
    eigh_tangent,
    eigvalsh_adjoint_tangent,
    eigvalsh_tangent,
    einsum_adjoint_tangent,
    einsum_tangent,
    field_tangent,
    kron_adjoint_tangent,
    qr_adjoint_tangent,
    qr_tangent,
    solve_back_tangent,
    solve_tangent,
)
from .registry import adjoint, fresh, linear, method, nondifferentiable, tangent

# ----- Products -----


@adjoint(operator.matmul, np.matmul)
def matmul(y, x1, x2):
    d[x1] = matmul_lhs(d[y], x1, x2)
    d[x2] = matmul_rhs(d[y], x1, x2)


@tangent(operator.matmul, np.matmul)
def matmul_tangent(y, x1, x2):
    d[y] = d[x1] @ x2 + x1 @ d[x2]


@adjoint(np.dot)
def dot(y, a, b, out=None):
    d[a] = dot_lhs(d[y], a, b)
    d[b] = dot_rhs(d[y], a, b)


@tangent(np.dot)
def dot_tangent(y, a, b, out=None):
    d[y] = np.dot(d[a], b) + np.dot(a, d[b])


@adjoint(np.outer)
def outer(y, a, b, out=None):
    d[a] = outer_lhs(d[y], a, b)
    d[b] = outer_rhs(d[y], a, b)


@tangent(np.outer)
def outer_tangent(y, a, b, out=None):
    d[y] = np.outer(d[a], b) + np.outer(a, d[b])


@adjoint(np.vdot)
def vdot(y, a, b):
    # vdot flattens both operands (complex conjugation is not supported)
    d[a] = np.reshape(d[y] * b, shape_of(a))
    d[b] = np.reshape(d[y] * a, shape_of(b))


@tangent(np.vdot)
def vdot_tangent(y, a, b):
    d[y] = np.vdot(d[a], b) + np.vdot(a, d[b])


@adjoint(np.inner)
def inner(y, a, b):
    d[a] = inner_lhs(d[y], a, b)
    d[b] = inner_rhs(d[y], a, b)


@tangent(np.inner)
def inner_tangent(y, a, b):
    d[y] = np.inner(d[a], b) + np.inner(a, d[b])


@adjoint(np.tensordot)
def tensordot(y, a, b, axes=2):
    d[a] = tensordot_lhs(d[y], a, b, axes)
    d[b] = tensordot_rhs(d[y], a, b, axes)


@tangent(np.tensordot)
def tensordot_tangent(y, a, b, axes=2):
    d[y] = np.tensordot(d[a], b, axes=axes) + np.tensordot(a, d[b], axes=axes)


@adjoint(np.einsum)
def einsum(y, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, *, out=None,
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


@tangent(np.einsum)
def einsum_tangent_(y, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, *, out=None,
                    optimize=False):
    # one term per operand (einsum is multilinear)
    d[y] = einsum_tangent(subscripts, (x0, x1, x2, x3, x4, x5),
                          (d[x0], d[x1], d[x2], d[x3], d[x4], d[x5]), optimize)


@adjoint(np.kron)
def kron(y, a, b):
    d[a] = kron_adjoint(d[y], a, b, 0)
    d[b] = kron_adjoint(d[y], a, b, 1)


@tangent(np.kron)
def kron_tangent(y, a, b):
    d[y] = np.kron(d[a], b) + np.kron(a, d[b])


# ----- Solving and inverting -----


@adjoint(np.linalg.solve)
def solve(y, a, b):
    # y = a^-1 b:  d b = a^-T d y,  d a = -(d b) y^T
    back = solve_back(d[y], y, a)
    d[a] = solve_lhs(back, y, a)
    d[b] = unbroadcast(back, b)


@tangent(np.linalg.solve)
def solve_tangent_(y, a, b):
    # d y = a^-1 (d b - d a y)
    d[y] = solve_tangent(d[a], d[b], a, y)


@adjoint(np.linalg.inv)
def inv(y, a):
    # y = a^-1:  d a = -y^T d y y^T
    d[a] = inv_adjoint(d[y], y)


@tangent(np.linalg.inv)
def inv_tangent(y, a):
    d[y] = -(y @ d[a] @ y)


@adjoint(np.linalg.det)
def det(y, a):
    # d det(a) = det(a) tr(a^-1 da):  d a = d y det(a) a^-T
    d[a] = det_adjoint(d[y], y, a)


@tangent(np.linalg.det)
def det_tangent(y, a):
    # d det(a) = det(a) tr(a^-1 d a)
    d[y] = y * np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1)


@adjoint(np.linalg.slogdet)
def slogdet(y, a):
    # d[y] is [d sign, d logabsdet]; d log|det a| = tr(a^-1 da)
    d[a] = slogdet_adjoint(d[y], a)


@tangent(np.linalg.slogdet)
def slogdet_tangent(y, a):
    # (d sign, d log|det a|) = (0, tr(a^-1 d a))
    d[y] = (0.0 * y[0], np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1))


# ----- Decompositions -----


@adjoint(np.linalg.cholesky)
def cholesky(y, a, *, upper=False):
    d[a] = cholesky_adjoint(d[y], y, upper)


@tangent(np.linalg.cholesky)
def cholesky_tangent_(y, a, *, upper=False):
    d[y] = cholesky_tangent(d[a], y, upper)


@adjoint(np.linalg.eigh)
def eigh(y, a, UPLO="L"):
    # d[y] is [d eigenvalues, d eigenvectors]
    d[a] = eigh_adjoint(d[y], y[0], y[1], UPLO)


@tangent(np.linalg.eigh)
def eigh_tangent_(y, a, UPLO="L"):
    # (d eigenvalues, d eigenvectors)
    d[y] = eigh_tangent(d[a], y, UPLO)


@adjoint(np.linalg.eigvalsh)
def eigvalsh(y, a, UPLO="L"):
    d[a] = eigvalsh_adjoint(d[y], a, UPLO)


@tangent(np.linalg.eigvalsh)
def eigvalsh_tangent_(y, a, UPLO="L"):
    d[y] = eigvalsh_tangent(d[a], a, UPLO)


@adjoint(np.linalg.qr)
def qr(y, a, mode="reduced"):
    # d[y] is [d q, d r]; other modes, and wide matrices, raise at run time
    d[a] = qr_adjoint(d[y], a, y[0], y[1], mode)


@tangent(np.linalg.qr)
def qr_tangent_(y, a, mode="reduced"):
    # (d q, d r); other modes, and wide matrices, raise at run time
    d[y] = qr_tangent(d[a], a, y, mode)


# Fields of the named tuples that slogdet, eigh and qr return: the adjoint of
# ``result.field`` is the adjoint of ``result[i]`` (other objects with an
# attribute of the same name are refused at run time).


@adjoint(("attr", "logabsdet"))
def logabsdet(y, x):
    d[x] = field_adjoint(d[y], x, 1)


@tangent(("attr", "logabsdet"))
def logabsdet_tangent(y, x):
    d[y] = field_tangent(d[x], x, 1)


@adjoint(("attr", "eigenvalues"))
def eigenvalues(y, x):
    d[x] = field_adjoint(d[y], x, 0)


@tangent(("attr", "eigenvalues"))
def eigenvalues_tangent(y, x):
    d[y] = field_tangent(d[x], x, 0)


@adjoint(("attr", "eigenvectors"))
def eigenvectors(y, x):
    d[x] = field_adjoint(d[y], x, 1)


@tangent(("attr", "eigenvectors"))
def eigenvectors_tangent(y, x):
    d[y] = field_tangent(d[x], x, 1)


@adjoint(("attr", "Q"))
def q_field(y, x):
    d[x] = field_adjoint(d[y], x, 0)


@tangent(("attr", "Q"))
def q_field_tangent(y, x):
    d[y] = field_tangent(d[x], x, 0)


@adjoint(("attr", "R"))
def r_field(y, x):
    d[x] = field_adjoint(d[y], x, 1)


@tangent(("attr", "R"))
def r_field_tangent(y, x):
    d[y] = field_tangent(d[x], x, 1)


linear(np.dot, np.outer, np.vdot, np.inner, np.tensordot, np.kron, np.matmul, positions=(0, 1))
linear(np.linalg.solve, positions=(1,))
linear(np.trace, field_tangent, cholesky_tangent, eigh_tangent, eigvalsh_tangent, qr_tangent)

# ----- Helpers the adjoints above call (forward over reverse: Hessians) -----


@tangent(inner_lhs)
def inner_lhs_tangent(y, g, a, b):
    d[y] = inner_lhs(d[g], a, b) + inner_lhs(g, a, d[b])


@tangent(inner_rhs)
def inner_rhs_tangent(y, g, a, b):
    d[y] = inner_rhs(d[g], a, b) + inner_rhs(g, d[a], b)


@tangent(tensordot_lhs)
def tensordot_lhs_tangent(y, g, a, b, axes=2):
    d[y] = tensordot_lhs(d[g], a, b, axes) + tensordot_lhs(g, a, d[b], axes)


@tangent(tensordot_rhs)
def tensordot_rhs_tangent(y, g, a, b, axes=2):
    d[y] = tensordot_rhs(d[g], a, b, axes) + tensordot_rhs(g, d[a], b, axes)


@tangent(einsum_adjoint)
def einsum_adjoint_tangent_(y, g, subscripts, which, *operands):
    # linear in g and in every operand but operand `which` (read for its shape)
    d[y] = einsum_adjoint_tangent(d[g], g, subscripts, which, operands, d[operands])


@tangent(kron_adjoint)
def kron_adjoint_tangent_(y, g, a, b, which):
    d[y] = kron_adjoint(d[g], a, b, which) + kron_adjoint_tangent(g, a, b, which, d[a], d[b])


@tangent(solve_back)
def solve_back_tangent_(y, g, x, a):
    # a^-T g:  a^-T (d g - d a^T a^-T g)
    d[y] = solve_back_tangent(g, x, a, d[g], d[a])


@tangent(solve_lhs)
def solve_lhs_tangent(y, gb, x, a):
    # bilinear in gb and x (a is read for its shape)
    d[y] = solve_lhs(d[gb], x, a) + solve_lhs(gb, d[x], a)


@tangent(inv_adjoint)
def inv_adjoint_tangent(y_, g, y):
    # -(y^T g y^T)
    d[y_] = (
        inv_adjoint(d[g], y)
        - np.swapaxes(d[y], -1, -2) @ g @ np.swapaxes(y, -1, -2)
        - np.swapaxes(y, -1, -2) @ g @ np.swapaxes(d[y], -1, -2)
    )


@tangent(det_adjoint)
def det_adjoint_tangent(y_, g, y, a):
    # g y a^-T;  d(a^-T) = -a^-T d a^T a^-T
    d[y_] = (
        det_adjoint(d[g], y, a)
        + det_adjoint(g, d[y], a)
        - det_adjoint(g, y, a) @ np.swapaxes(d[a], -1, -2) @ np.swapaxes(np.linalg.inv(a), -1, -2)
    )


@tangent(slogdet_adjoint)
def slogdet_adjoint_tangent(y, g, a):
    # g_logabsdet a^-T;  d(a^-T) = -a^-T d a^T a^-T
    d[y] = (
        slogdet_adjoint(d[g], a)
        - slogdet_adjoint(g, a) @ np.swapaxes(d[a], -1, -2) @ np.swapaxes(np.linalg.inv(a), -1, -2)
    )


@tangent(cholesky_adjoint)
def cholesky_adjoint_tangent_(y, g, L, upper=False):
    d[y] = cholesky_adjoint_tangent(g, L, upper, d[g], d[L])


@tangent(eigh_adjoint)
def eigh_adjoint_tangent_(y, g, w, v, uplo="L"):
    d[y] = eigh_adjoint_tangent(g, w, v, uplo, d[g], d[w], d[v])


@tangent(eigvalsh_adjoint)
def eigvalsh_adjoint_tangent_(y, g, a, uplo="L"):
    d[y] = eigvalsh_adjoint_tangent(g, a, uplo, d[g], d[a])


@tangent(qr_adjoint)
def qr_adjoint_tangent_(y, g, a, q, r, mode="reduced"):
    d[y] = qr_adjoint_tangent(g, a, q, r, d[g], d[q], d[r], mode)


@tangent(field_adjoint)
def field_adjoint_tangent(y, g, result, index):
    d[y] = field_adjoint(d[g], result, index)


linear(inner_lhs, tensordot_lhs, positions=(0, 2))
linear(inner_rhs, tensordot_rhs, solve_lhs, det_adjoint, positions=(0, 1))
linear(np.swapaxes, inv_adjoint, slogdet_adjoint, field_adjoint, kron_adjoint)

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
