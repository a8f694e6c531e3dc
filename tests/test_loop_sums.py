"""Sums over a reduced axis leave the reversed loop (`passes/loop_sums.py`):
``d_b += d_t4.sum(axis=0)`` per step becomes ``d_b_steps += d_t4`` and one
``d_b += d_b_steps.sum(axis=0)`` after the loop.

Each case checks the generated code's form (hoisted, or rightly left) and
the values against central finite differences and autograd, for several
step counts including zero.
"""

import numpy as np
import pytest

import tangent_ad as ta

from support import check_gradient


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U + b)
    return np.sum(h * h)


def bias_read_twice(W, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] + b) * b
    return np.sum(h)


def row_bias(W, b, xs, h0):
    """`b` of shape (1, n): the sum keeps its axis."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.sin(h @ W + xs[t] + b)
    return np.sum(h)


def nested(W, b, xs):
    total = 0.0
    for t in range(xs.shape[0]):
        h = xs[t]
        for _ in range(2):
            h = np.tanh(h @ W + b)
        total = total + np.sum(h * h)
    return total


def early_exit(W, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        if t == 2:
            break
        h = np.tanh(h @ W + b + xs[t])
    return np.sum(h)


def _args(rng, steps, bias_shape=(4,)):
    W = rng.standard_normal((4, 4)) * 0.5
    U = rng.standard_normal((3, 4)) * 0.5
    b = rng.standard_normal(bias_shape) * 0.1
    xs = rng.standard_normal((steps, 5, 3))
    xs4 = rng.standard_normal((steps, 5, 4))
    h0 = rng.standard_normal((5, 4)) * 0.3
    return W, U, b, xs, xs4, h0


def _check(fn, args, wrt):
    return check_gradient(fn, args, wrt, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("steps", [0, 1, 6])
def test_the_bias_sum_leaves_the_loop(rng, steps):
    W, U, b, xs, _, h0 = _args(rng, steps)
    args = (W, U, b, xs, h0)
    source = ta.source(ta.grad(rnn, wrt=(0, 1, 2)), *args)
    assert "d_b_steps = zeros_like(h)\n" in source
    assert "d_b_steps += d_t4\n" in source
    assert source.index("d_b += d_b_steps.sum(axis=0)") > source.index("for t in reversed")
    assert "d_t4.sum(" not in source
    got = _check(rnn, args, (0, 1, 2))
    if steps == 0:
        np.testing.assert_array_equal(got[2], np.zeros(4))


def test_the_generic_derivative_is_unchanged():
    assert "_steps" not in ta.source(ta.grad(rnn, wrt=(0, 1, 2)))


def test_an_accumulator_updated_twice_in_the_loop_stays(rng):
    W, _, b, _, xs4, h0 = _args(rng, 4)
    args = (W, b, xs4, h0)
    source = ta.source(ta.grad(bias_read_twice, wrt=(0, 1)), *args)
    assert "_steps" not in source
    _check(bias_read_twice, args, (0, 1))


@pytest.mark.parametrize("steps", [0, 3])
def test_a_sum_that_keeps_its_axis(rng, steps):
    W, _, b, _, xs4, h0 = _args(rng, steps, bias_shape=(1, 4))
    args = (W, b, xs4, h0)
    source = ta.source(ta.grad(row_bias, wrt=(0, 1)), *args)
    assert "d_b_steps" in source
    got = _check(row_bias, args, (0, 1))
    assert got[1].shape == (1, 4)


def test_nested_loops(rng):
    W, _, b, _, xs4, _ = _args(rng, 3)
    args = (W, b, xs4)
    source = ta.source(ta.grad(nested, wrt=(0, 1)), *args)
    assert "d_b_steps" in source
    _check(nested, args, (0, 1))


def test_a_loop_left_early(rng):
    W, _, b, _, xs4, h0 = _args(rng, 5)
    _check(early_exit, (W, b, xs4, h0), (0, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_gradient_keeps_the_dtype(rng, dtype):
    W, U, b, xs, _, h0 = (a.astype(dtype) for a in _args(rng, 3))
    got = ta.grad(rnn, wrt=(2,))(W, U, b, xs, h0)
    assert got.dtype == dtype
    expected = ta.grad(rnn, wrt=(2,))(*(a.astype(np.float64) for a in (W, U, b, xs, h0)))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_hessian_vector_products_through_the_hoisted_sum(rng):
    W, U, b, xs, _, h0 = _args(rng, 3)
    v = rng.standard_normal(b.shape)
    got = ta.hvp(rnn, wrt=(2,))(W, U, b, xs, h0, v)
    eps = 1e-6
    plus = ta.grad(rnn, wrt=(2,))(W, U, b + eps * v, xs, h0)
    minus = ta.grad(rnn, wrt=(2,))(W, U, b - eps * v, xs, h0)
    np.testing.assert_allclose(got, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-9)
