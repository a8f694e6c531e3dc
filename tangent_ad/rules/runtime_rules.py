"""The runtime's own helpers, so generated code can be differentiated again
(forward over reverse gives Hessian-vector products).

Shape bookkeeping (`like`, `zeros_like`, `grad_seed`, ...) has no
derivative; the adjoint helpers are linear in the adjoint they move around;
the matrix-product adjoints are bilinear.
"""

from .. import containers, helpers, runtime
from ..helpers import dot_lhs, dot_rhs, matmul_lhs, matmul_rhs, outer_lhs, outer_rhs, untranspose
from ..runtime import assigned, copy, unbroadcast, unindex, unreduce, zero_at
from .registry import linear, nondifferentiable, tangent

nondifferentiable(
    runtime.Stack, runtime.like, runtime.grad_seed, runtime.zeros_like, runtime.shape_of,
    helpers.reduced_size, helpers.max_mask, helpers.clip_inside,
)

# ----- Linear in the adjoint they carry -----


@tangent(runtime.unbroadcast)
def unbroadcast_(y, g, x):
    d[y] = unbroadcast(d[g], x)


@tangent(runtime.unreduce)
def unreduce_(y, g, x, axis=None, keepdims=False):
    d[y] = unreduce(d[g], x, axis, keepdims)


@tangent(runtime.copy)
def copy_(y, x):
    d[y] = copy(d[x])


@tangent(runtime.unindex)
def unindex_(y, g, x, index):
    d[y] = unindex(d[g], x, index)


@tangent(runtime.zero_at)
def zero_at_(y, g, index):
    d[y] = zero_at(d[g], index)


@tangent(runtime.assigned)
def assigned_(y, g, index):
    d[y] = assigned(d[g], index)


@tangent(helpers.cast_adjoint)
def cast_adjoint_(y, g, dtype, x=None):
    d[y] = helpers.cast_adjoint(d[g], dtype, x)


@tangent(helpers.untranspose)
def untranspose_(y, g, axes=None):
    d[y] = untranspose(d[g], axes)


@tangent(containers.structure_like)
def structure_like_(y, g, x):
    d[y] = containers.structure_like(d[g], x)


linear(unbroadcast, unreduce, copy, unindex, zero_at, assigned, untranspose, helpers.cast_adjoint,
       containers.structure_like)

# ----- Bilinear: the adjoint and the other operand -----


@tangent(helpers.matmul_lhs)
def matmul_lhs_(y, g, a, b):
    d[y] = matmul_lhs(d[g], a, b) + matmul_lhs(g, a, d[b])


@tangent(helpers.matmul_rhs)
def matmul_rhs_(y, g, a, b):
    d[y] = matmul_rhs(d[g], a, b) + matmul_rhs(g, d[a], b)


@tangent(helpers.dot_lhs)
def dot_lhs_(y, g, a, b):
    d[y] = dot_lhs(d[g], a, b) + dot_lhs(g, a, d[b])


@tangent(helpers.dot_rhs)
def dot_rhs_(y, g, a, b):
    d[y] = dot_rhs(d[g], a, b) + dot_rhs(g, d[a], b)


@tangent(helpers.outer_lhs)
def outer_lhs_(y, g, a, b):
    d[y] = outer_lhs(d[g], a, b) + outer_lhs(g, a, d[b])


@tangent(helpers.outer_rhs)
def outer_rhs_(y, g, a, b):
    d[y] = outer_rhs(d[g], a, b) + outer_rhs(g, d[a], b)


linear(matmul_lhs, matmul_rhs, dot_lhs, dot_rhs, outer_lhs, outer_rhs, positions=(0, 2))
linear(matmul_rhs, dot_rhs, outer_rhs, positions=(0, 1))
