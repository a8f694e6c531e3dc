"""Rules of `tangent_ad/rules/numpy_linalg.py`: products on 1-D, 2-D and
batched operands, einsum in its forms, and numpy.linalg."""

import numpy as np
import pytest

import tangent_ad as ta
from rules_support import U, args, rule_catalogue, spd
from support import check_case

CASES, case = rule_catalogue()

BOTH = (0, 1)

# ----- Products -----


@case(args(U((3, 4)), U((4, 2))), args(U((4,)), U((4, 3))), args(U((3, 4)), U((4,))),
      args(U((4,)), U((4,))), args(U((2, 3, 4)), U((4, 2))), args(U((2, 1, 3, 4)), U((5, 4, 2))),
      args(U((1, 4)), U((4, 3))), args(U((3, 4)), U((4, 1))), args(U((3, 1)), U((1, 2))),
      wrt=BOTH)
def matmul_operator(a, b):
    return np.sum(np.sin(a @ b))


@case(args(U((3, 4)), U((4, 2))), args(U((2, 3, 4)), U((2, 4, 3))), wrt=BOTH)
def matmul(a, b):
    return np.sum(np.sin(np.matmul(a, b)))


@case(args(U((3, 4)), U((4, 2))), args(U((4,)), U((4,))), args(U((2, 3, 4)), U((4,))),
      args(U((2, 3, 4)), U((4, 2))), args(U(()), U((3,))), wrt=BOTH)
def dot(a, b):
    return np.sum(np.sin(np.dot(a, b)))


@case(args(U((3, 4)), U((4, 2))), args(U((4,)), U((4,))), wrt=BOTH,
      autograd="autograd arrays have no dot method")
def dot_method(a, b):
    return np.sum(np.sin(a.dot(b)))


@case(args(U((3,)), U((4,))), wrt=BOTH)
def outer(a, b):
    return np.sum(np.sin(np.outer(a, b)))


@case(args(U((2, 2)), U((3,))), args(U((3,)), U((2, 1, 2))), wrt=BOTH,
      autograd="autograd's outer does not flatten its operands")
def outer_flattens(a, b):
    return np.sum(np.sin(np.outer(a, b)))


@case(args(U((4,)), U((4,))), args(U((2, 3)), U((3, 2))), wrt=BOTH,
      autograd="autograd has no VJP for numpy.vdot")
def vdot(a, b):
    return np.sin(np.vdot(a, b))


@case(args(U((4,)), U((4,))), args(U((2, 3)), U((4, 3))), args(U((2, 2, 3)), U((3,))),
      args(U(()), U((3,))), wrt=BOTH)
def inner(a, b):
    return np.sum(np.sin(np.inner(a, b)))


@case(args(U((2, 3, 4)), U((3, 4, 2))), args(U((3, 4)), U((3, 4))), wrt=BOTH)
def tensordot(a, b):
    return np.sum(np.sin(np.tensordot(a, b)))


@case(args(U((2, 3, 4)), U((4, 2, 3))), args(U((2, 2, 3)), U((3, 2, 2))), wrt=BOTH)
def tensordot_pairs(a, b):
    c = np.tensordot(a, b, axes=([1, 2], [2, 0]))
    d = np.tensordot(a, b, axes=1)
    e = np.tensordot(a, b, axes=0)
    return np.sum(np.sin(c)) + np.sum(np.cos(d)) + np.sum(np.sin(e))


@case(args(U((2, 3)), U((3, 4)), U((4,))), args(U((3, 3)), U((3, 3)), U((3,))), wrt=(0, 1, 2))
def einsum(a, b, c):
    return np.sum(np.sin(np.einsum("ij,jk,k->ij", a, b, c))) + np.einsum("ij,jk,k->", a, b, c)


@case(args(U((3, 3)), U((3,))), args(U((4, 4)), U((4,))), wrt=BOTH,
      autograd="autograd's einsum cannot differentiate repeated indices")
def einsum_repeated_indices(a, v):
    diag = np.einsum("ii->i", a)
    trace = np.einsum("ii", a)
    return np.sum(np.sin(diag * v)) + trace ** 2 + np.einsum("ii,i->", a, v)


@case(args(U((2, 3)), U((3,))), args(U((4, 2)), U((2,))), wrt=BOTH)
def einsum_implicit(a, b):
    return np.sum(np.sin(np.einsum("ij,j", a, b))) + np.sum(np.cos(np.einsum("ba", a)))


@case(args(U((2, 3)), U((2,))), args(U((4, 2)), U((4,))), wrt=BOTH)
def einsum_sum_out(a, b):
    # j is summed within a only; the adjoint spreads it back with ones
    return np.sum(np.sin(np.einsum("ij,i->i", a, b)))


@case(args(U((2, 3, 4)), U((4, 2))), args(U((5, 4)), U((4, 3))), wrt=BOTH)
def einsum_ellipsis(a, b):
    return np.sum(np.sin(np.einsum("...j,jk->...k", a, b)))


@case(args(U((2, 1, 3)), U((4, 3))), args(U((1, 3)), U((2, 3))), wrt=BOTH,
      autograd="autograd's einsum does not sum broadcast ellipsis axes back")
def einsum_ellipsis_broadcast(a, b):
    return np.sum(np.sin(np.einsum("...j,...j->...j", a, b)))


@case(args(U((2, 3)), U((2, 2))), args(U((3,)), U((2, 2))), args(U(()), U((2, 3))), wrt=BOTH)
def kron(a, b):
    return np.sum(np.sin(np.kron(a, b)))


# ----- Solving and inverting -----


def well_conditioned(n, batch=()):
    def draw(rng):
        return rng.uniform(-1.0, 1.0, batch + (n, n)) + 3.0 * np.eye(n)

    return draw


@case(args(well_conditioned(3), U((3,))), args(well_conditioned(3), U((3, 2))),
      args(well_conditioned(2, (2,)), U((2, 2, 3))), wrt=BOTH)
def solve(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


@case(args(well_conditioned(3, (2,)), U((3,))), wrt=BOTH,
      autograd="autograd's solve follows NumPy 1's rule for 1-D b with a stack of matrices")
def solve_batched_vector(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


@case(args(well_conditioned(3)), args(well_conditioned(2, (2,))))
def inv(a):
    return np.sum(np.sin(np.linalg.inv(a)))


@case(args(well_conditioned(3)), args(well_conditioned(2, (3,))))
def det(a):
    return np.sum(np.sin(np.linalg.det(a)))


@case(args(well_conditioned(3)), args(well_conditioned(2, (3,))))
def slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(np.sin(logdet) * sign)


@case(args(well_conditioned(3)), args(well_conditioned(2, (2,))),
      autograd="autograd's slogdet result has no named fields")
def slogdet_fields(a):
    result = np.linalg.slogdet(a)
    return np.sum(np.sin(result.logabsdet))


# ----- Decompositions -----


@case(args(U((3, 3))), args(U((2, 4, 4))))
def cholesky_of_gram(b):
    a = b @ np.swapaxes(b, -1, -2) + 4.0 * np.eye(b.shape[-1])
    return np.sum(np.sin(np.linalg.cholesky(a)))


@case(args(spd(3)), args(spd(2, (2,))),
      autograd="autograd's cholesky gradient is symmetrised; NumPy reads one triangle")
def cholesky_raw(a):
    return np.sum(np.sin(np.linalg.cholesky(a)))


@case(args(spd(3)), args(spd(2, (2,))), autograd="autograd's cholesky has no upper=")
def cholesky_upper(a):
    return np.sum(np.sin(np.linalg.cholesky(a, upper=True)))


@case(args(U((3, 3))), args(U((2, 4, 4))))
def eigh_of_symmetric(b):
    a = b + np.swapaxes(b, -1, -2)
    w, v = np.linalg.eigh(a)
    # v ** 2 does not depend on the eigenvectors' signs
    return np.sum(np.sin(w)) + np.sum(np.sin(v ** 2))


@case(args(U((3, 3))), args(U((2, 4, 4))),
      autograd="autograd's eigh result has no named fields")
def eigh_fields(b):
    a = b + np.swapaxes(b, -1, -2)
    result = np.linalg.eigh(a, UPLO="U")
    return np.sum(np.sin(result.eigenvalues)) + np.sum(np.cos(result.eigenvectors ** 2))


@case(args(U((3, 3))), args(U((2, 4, 4))), autograd="autograd has no VJP for eigvalsh")
def eigvalsh(a):
    # NumPy reads the lower triangle only: the gradient says so
    return np.sum(np.sin(np.linalg.eigvalsh(a)))


@case(args(U((4, 3))), args(U((3, 3))), args(U((2, 4, 2))), autograd="autograd has no VJP for qr")
def qr(a):
    q, r = np.linalg.qr(a)
    # signs of q's columns and r's rows flip together: use sign-free values
    return np.sum(np.sin(q * q)) + np.sum(np.cos(r * r)) + np.sum(q @ r)


@case(args(U((4, 3))), args(U((3, 3))), autograd="autograd has no VJP for qr")
def qr_fields(a):
    result = np.linalg.qr(a)
    return np.sum(np.sin(result.R ** 2)) + np.sum(np.sin(result.Q ** 2))


def qr_wide(a):
    q, r = np.linalg.qr(a)
    return np.sum(r ** 2)


def test_qr_of_a_wide_matrix_is_refused():
    with pytest.raises(ta.TangentADError, match="qr"):
        ta.grad(qr_wide)(np.ones((2, 3)))


def einsum_sublists(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1]))


def test_einsum_sublist_format_is_refused():
    with pytest.raises(ta.TangentADError, match="sublist"):
        ta.grad(einsum_sublists)(np.ones((2, 3)), np.ones(3))


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)


@pytest.mark.parametrize("a_shape, b_shape", [((1, 4), (4, 3)), ((3, 4), (4, 1)), ((3, 1), (1, 2))])
def test_run_time_matmul_adjoints_of_outer_products(a_shape, b_shape, rng):
    """The helpers used where shapes are not known at generation time take
    the einsum path for a contracted extent of 1; same values as the products."""
    from tangent_ad.helpers import matmul_lhs, matmul_rhs

    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    g = rng.standard_normal((a_shape[0], b_shape[1]))
    np.testing.assert_allclose(matmul_lhs(g, a, b), g @ b.T, rtol=1e-15)
    np.testing.assert_allclose(matmul_rhs(g, a, b), a.T @ g, rtol=1e-15)
    assert matmul_lhs(g, a, b).shape == a.shape and matmul_rhs(g, a, b).shape == b.shape


def test_run_time_matmul_adjoint_of_a_matrix_under_a_stack(rng):
    from tangent_ad.helpers import matmul_rhs

    a, b = rng.standard_normal((2, 5, 4, 3)), rng.standard_normal((3, 2))
    g = rng.standard_normal((2, 5, 4, 2))
    expected = sum(a[i, j].T @ g[i, j] for i in range(2) for j in range(5))
    np.testing.assert_allclose(matmul_rhs(g, a, b), expected, rtol=1e-13)
