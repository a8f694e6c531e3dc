"""Index assignment with an index that repeats an element.

NumPy writes a repeated element once, from its last occurrence:
``y[[0, 0]] = v`` is ``y[0] = v[1]``, and ``y[[0, 0]] += v`` is
``y[0] = y[0] + v[1]`` (no accumulation, unlike ``np.add.at``). The reverse
sweep gave every occurrence the element's adjoint (``d_v = d_y[idx]``), so
these gradients were silently wrong; `runtime.assigned` now gives the
earlier occurrences zero. Forward mode, which replays the same assignment
on tangents, was right already, and is checked too.
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient
from tangent_ad.runtime import assigned


def assign_repeated(x, v):
    y = x * 1.0
    y[[0, 0]] = v
    return np.sum(y * np.arange(1.0, 4.0) ** 2)


def increment_repeated(x, v):
    y = x * 1.0
    y[[0, 2, 0]] += v
    return np.sum(y ** 2)


def scale_repeated(x, v):
    y = x * 1.0
    y[[1, 1]] *= 3.0
    return np.sum(y ** 2) + np.sum(v)


def rows_repeated(x, v):
    Y = np.outer(x, x)
    Y[[2, 0, 2]] = np.sin(v)[:, None] * x
    return np.sum(Y ** 2)


def elements_repeated(x, v):
    Y = np.outer(x, x)
    Y[np.array([0, 1, 0]), np.array([2, 2, 2])] = v
    return np.sum(np.tanh(Y))


def negative_repeats(x, v):
    y = x * 1.0
    y[np.array([0, -3, 1])] = v * v
    return np.sum(y * y * np.arange(1.0, 4.0))


def in_a_loop(x, v):
    y = x * 1.0
    for i in range(2):
        y[[i, i, 2]] = v * (i + 1.0) + y[[2, 1, 0]]
    return np.sum(y ** 2)


CASES = [assign_repeated, increment_repeated, scale_repeated, rows_repeated,
         elements_repeated, negative_repeats, in_a_loop]


def _args(fn):
    x = np.array([0.3, -0.7, 1.1])
    v = np.array([0.5, -1.3, 0.8]) if fn not in (assign_repeated,) else np.array([0.5, -1.3])
    return x, v


@pytest.mark.parametrize("fn", CASES)
@pytest.mark.parametrize("optimize", [True, False])
def test_gradient_against_central_differences(fn, optimize):
    x, v = _args(fn)
    got = ta.grad(fn, wrt=(0, 1), optimize=optimize)(x, v)
    for position, g in enumerate(got):
        want = numerical_gradient(fn, [x, v], {}, position)
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fn", CASES)
def test_tangent_and_hessian(fn):
    x, v = _args(fn)
    t = np.array([1.0, -0.5, 2.0])
    value, tangent = ta.jvp(fn, wrt=(0,))(x, v, t)
    eps = 1e-6
    expected = (fn(x + eps * t, v) - fn(x - eps * t, v)) / (2 * eps)
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-9)
    product = ta.hvp(fn, wrt=(0,))(x, v, t)
    d = ta.grad(fn, wrt=(0,))
    expected = (d(x + eps * t, v) - d(x - eps * t, v)) / (2 * eps)
    np.testing.assert_allclose(product, expected, rtol=1e-5, atol=1e-7)


def test_the_last_occurrence_wins():
    g = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(assigned(g, [0, 0]), [0.0, 1.0])
    np.testing.assert_array_equal(assigned(g, np.array([0, 2, -3])), [0.0, 3.0, 1.0])
    np.testing.assert_array_equal(assigned(g, [1, 2]), [2.0, 3.0])
    G = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(assigned(G, [0, 0]), [[0, 0, 0, 0], [0, 1, 2, 3]])
    np.testing.assert_array_equal(assigned(G, (slice(None), [1, 1])), [[0, 1], [0, 5], [0, 9]])
    np.testing.assert_array_equal(assigned(G, (np.array([0, 0, 1]), np.array([1, 1, 2]))), [0, 1, 6])
    # what NumPy writes, element by element, agrees
    Y = np.zeros((3, 4))
    Y[:, [1, 1]] = np.array([[1.0, 2.0]] * 3)
    np.testing.assert_array_equal(Y[:, 1], [2.0, 2.0, 2.0])


def test_unique_indices_keep_the_plain_read():
    source = ta.grad(assign_repeated, wrt=(1,)).source(*_args(assign_repeated))
    assert "assigned(d_y, _t0)" in source
    def sliced(x, v):
        y = x * 1.0
        y[1:] = v
        return np.sum(y ** 2)
    source = ta.grad(sliced, wrt=(1,)).source(np.ones(3), np.ones(2))
    assert "assigned" not in source
