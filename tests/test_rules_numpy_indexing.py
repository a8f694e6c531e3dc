"""Rules of `tangent_ad/rules/numpy_indexing.py` (gathers, sort, diagonals,
triangles) and the core's indexing adjoints: repeated indices accumulate."""

import numpy as np
import pytest

import tangent_ad as ta
from rules_support import U, args, rule_catalogue
from support import check_case

CASES, case = rule_catalogue()

M = (3, 4)

# ----- Indexing (the core's adjoints), with repeated indices -----


@case(args(U((4,))), args(U(M)))
def index_repeated(x):
    # x[[0, 0, 1]] reads x[0] twice: its adjoint must add both contributions
    picked = x[[0, 0, 1]]
    return np.sum(np.sin(picked) * np.arange(picked.size).reshape(picked.shape))


@case(args(U((5,))), args(U((5, 2))))
def index_repeated_array_twice(x):
    idx = np.array([3, 1, 3, 3])
    return np.sum(np.sin(x[idx]) * np.arange(4).reshape((4,) + (1,) * (x.ndim - 1))) + np.sum(
        x[idx] ** 2)


@case(args(U(M)), args(U((3, 4, 2))))
def index_basic_and_mixed(x):
    a = x[1]
    b = x[:, 1:3]
    c = x[[0, 2, 0], 1]
    d = x[x > 0]
    return np.sum(np.sin(a)) + np.sum(np.cos(b)) + np.sum(c ** 3) + np.sum(d ** 2)


def test_repeated_index_accumulates():
    x = np.array([0.5, -1.0, 2.0])
    grad = ta.grad(index_repeated)(x)
    # picked = [x0, x0, x1] weighted by 0, 1, 2
    np.testing.assert_allclose(grad, [np.cos(0.5) * (0 + 1), 2 * np.cos(-1.0), 0.0])


# ----- Gathers -----


@case(args(U((5,))), args(U(M)), autograd="autograd has no VJP for numpy.take")
def take(x):
    a = np.take(x, [0, 2, 2, -1])
    b = np.take(x, [1, 1, 0], axis=0)
    return np.sum(np.sin(a) * np.arange(4)) + np.sum(np.cos(b) * np.arange(b.size).reshape(b.shape))


@case(args(U((5,))), args(U(M)), autograd="autograd's take has no mode=")
def take_modes(x):
    a = np.take(x, [0, 7, -9], mode="wrap")
    b = np.take(x, [0, 7, -9], mode="clip")
    return np.sum(np.sin(a) * np.arange(3)) + np.sum(np.cos(b) * np.arange(3))


@case(args(U((5,))), args(U(M)), autograd="autograd arrays have no take method")
def take_method(x):
    return np.sum(np.sin(x.take([1, 1, 3], axis=-1)))


@case(args(U(M), np.array([[0, 0, 3], [1, 2, 2], [3, 0, 1]])),
      args(U((3, 1)), np.array([[0], [0], [0]])), args(U((1, 3)), np.array([[0, 2, 2, 1]])),
      autograd="autograd has no VJP for take_along_axis")
def take_along_axis(x, idx):
    picked = np.take_along_axis(x, idx, axis=-1)
    return np.sum(np.sin(picked) * np.arange(picked.size).reshape(picked.shape))


@case(args(U(M), np.array([[0, 1, 2, 0], [2, 2, 1, 0]])), args(U((4,)), np.array([3, 3, 0])),
      autograd="autograd has no VJP for take_along_axis")
def take_along_axis_0(x, idx):
    picked = np.take_along_axis(x, idx, axis=0)
    return np.sum(np.sin(picked) * np.arange(picked.size).reshape(picked.shape))


@case(args(U((6,))), args(U(M)), autograd="autograd's sort has no VJP on matrices")
def sort(x):
    a = np.sort(x)
    b = np.sort(x, axis=0)
    c = np.sort(x, axis=None)
    return np.sum(np.sin(a) * np.arange(a.size).reshape(a.shape)) + np.sum(
        np.cos(b) * np.arange(b.size).reshape(b.shape)) + np.sum(c * np.arange(c.size))


# ----- Diagonals and triangles -----


@case(args(U((3, 3))), args(U(M)), autograd="autograd's diagonal has no offsets")
def diagonal(x):
    return np.sum(np.sin(np.diagonal(x)) * np.arange(3)) + np.sum(np.cos(np.diagonal(x, 1)))


@case(args(U((2, 3, 3))), args(U((3, 2, 4))), autograd="autograd's diagonal has no axis1/axis2")
def diagonal_axes(x):
    return np.sum(np.sin(np.diagonal(x, 0, 1, 2))) + np.sum(np.cos(np.diagonal(x, -1, 2, 0)))


@case(args(U((3, 3))), args(U(M)), autograd="autograd arrays have no diagonal method")
def diagonal_method(x):
    return np.sum(np.sin(x.diagonal(offset=1)))


@case(args(U((3,))), args(U((3, 3))), args(U(M)),
      autograd="autograd's diag fails on non-square matrices")
def diag(x):
    a = np.diag(x)
    b = np.diag(x, 1)
    c = np.diag(x, -1)
    return np.sum(np.sin(a) * np.arange(a.size).reshape(a.shape)) + np.sum(np.cos(b)) + np.sum(
        c ** 3)


@case(args(U((3, 3))), args(U((2, 3, 4))))
def triu(x):
    return np.sum(np.sin(np.triu(x)) * np.arange(x.size).reshape(x.shape)) + np.sum(
        np.cos(np.triu(x, 1)))


@case(args(U((3, 3))), args(U((2, 3, 4))))
def tril(x):
    return np.sum(np.sin(np.tril(x)) * np.arange(x.size).reshape(x.shape)) + np.sum(
        np.cos(np.tril(x, -1)))


# ----- No derivative -----


@case(args(U((5,))), args(U(M)))
def index_functions_are_flat(x):
    i = np.argmax(x)
    j = np.argsort(x, axis=None)
    return x.ravel()[i] * 2.0 + np.sum(x.ravel()[j] * np.arange(x.size))


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)
