"""Edge cases of index writes, reductions and products, each once silently
wrong or a crash: a value written back into its own array (`y[::-1] = y`),
overlapping writes NumPy does element by element (refused), writes into a
0-d array, `axis=()`, an einsum operand broadcast by another, and `np.dot`
with a second argument of three axes."""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient

WEIGHTS = np.arange(1.0, 5.0)


def reversed_into_itself(x):
    y = x.copy()
    y[::-1] = y
    return np.sum(np.sin(y) * WEIGHTS)


def written_whole_into_itself(x):
    y = x.copy()
    y[:] = y
    return np.sum(np.sin(y) * WEIGHTS)


def permuted_into_itself(x):
    y = x.copy()
    y[[3, 2, 1, 0]] = y
    return np.sum(np.sin(y) * WEIGHTS)


def shifted_by_one(x):
    y = x.copy()
    y[1:] = y[:-1]
    return np.sum(np.sin(y) * WEIGHTS)


def copied_forward_element_by_element(x):
    y = x.copy()
    for i in range(1, 4):
        y[i] = y[i - 1]
    return np.sum(np.sin(y) * WEIGHTS)


def rows_and_columns_copied(X):
    Y = X.copy()
    Y[1] = Y[0]
    Y[:, 0] = Y[:, 1]
    Y[:] = Y[::-1]
    return np.sum(np.sin(Y) * np.arange(6.0).reshape(2, 3))


def into_a_zero_d_array(x):
    y = np.zeros(())
    y[...] = x[0] * x[1]
    z = np.zeros(())
    z[()] = y * x[2]
    return np.sin(z) + y


def reduces_over_no_axes(x):
    return np.sum(np.sum(x * x, axis=()) + np.max(x, axis=()) * 2.0)


def einsum_broadcast_by_another(a, b):
    return np.sum(np.einsum("ij,jk->ik", a, b) ** 2)


def dot_with_three_axes(a, b):
    return np.sum(np.dot(a, b) ** 2)


CASES = [
    (reversed_into_itself, [np.array([0.3, 0.7, 1.1, 1.9])], (0,)),
    (written_whole_into_itself, [np.array([0.3, 0.7, 1.1, 1.9])], (0,)),
    (permuted_into_itself, [np.array([0.3, 0.7, 1.1, 1.9])], (0,)),
    (shifted_by_one, [np.array([0.3, 0.7, 1.1, 1.9])], (0,)),
    (copied_forward_element_by_element, [np.array([0.3, 0.7, 1.1, 1.9])], (0,)),
    (rows_and_columns_copied, [np.array([[0.3, 0.7, 1.1], [1.9, -0.4, 0.2]])], (0,)),
    (into_a_zero_d_array, [np.array([0.3, 0.7, 1.1])], (0,)),
    (reduces_over_no_axes, [np.array([[0.3, -0.7], [1.1, 0.4]])], (0,)),
    # a's j has extent 1, b's 3: NumPy broadcasts a along j, so d_b is (3, 2)
    (einsum_broadcast_by_another, [np.array([[0.5], [1.5], [-1.0]]), np.arange(6.0).reshape(3, 2) / 6], (0, 1)),
    (dot_with_three_axes, [np.arange(6.0).reshape(2, 3) / 5, np.arange(24.0).reshape(2, 3, 4) / 20], (0, 1)),
]


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("fn, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_matches_finite_differences(fn, args, wrt, optimize):
    got = ta.grad(fn, wrt=wrt, optimize=optimize)(*args)
    got = got if len(wrt) > 1 else (got,)
    for value, position in zip(got, wrt):
        assert np.shape(value) == np.shape(args[position])
        np.testing.assert_allclose(value, numerical_gradient(fn, args, {}, position), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_hvp_matches_differences_of_the_gradient(fn, args, wrt):
    rng = np.random.default_rng(0)
    directions = [rng.uniform(-1, 1, np.shape(args[p])) for p in wrt]
    gradient = ta.grad(fn, wrt=wrt)
    eps = 1e-6

    def moved(sign):
        shifted = list(args)
        for p, d in zip(wrt, directions):
            shifted[p] = args[p] + sign * eps * d
        out = gradient(*shifted)
        return out if len(wrt) > 1 else (out,)

    got = ta.hvp(fn, wrt=wrt)(*args, *directions)
    got = got if len(wrt) > 1 else (got,)
    for value, hi, lo in zip(got, moved(1), moved(-1)):
        np.testing.assert_allclose(value, (hi - lo) / (2 * eps), rtol=1e-5, atol=1e-7)


def every_other_from_a_prefix(x):
    y = x.copy()
    y[::2] = y[:3]  # NumPy copies element by element: y[2] gets the new y[1]
    return np.sum(np.sin(y))


def every_other_from_a_named_view(x):
    y = x.copy()
    v = y[:3]
    y[::2] = v
    return np.sum(np.sin(y))


@pytest.mark.parametrize("fn", [every_other_from_a_prefix, every_other_from_a_named_view])
def test_an_overlapping_write_numpy_does_element_by_element_is_refused(fn):
    with pytest.raises(ta.TangentADError, match="may view `y` itself") as err:
        ta.grad(fn)(np.arange(6.0))
    assert "test_index_write_edges.py" in str(err.value)
