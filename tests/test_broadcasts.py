"""A scalar adjoint stays scalar where broadcasting spreads it anyway
(`passes/broadcasts.py`): ``unreduce(0.5, u) * 2 * (u - t)`` is ``u - t``.

Every case checks values against central finite differences and autograd,
and the gradient's shape; the rewrite must never leave a scalar where an
array is needed (returned, indexed, a matrix product, a smaller operand).
"""

import numpy as np
import pytest

import tangent_ad as ta

from support import check_gradient
from tangent_ad.checking import numerical_gradient


def squared_error(u, t):
    return 0.5 * np.sum((u - t) ** 2)


def plain_sum(x):
    return np.sum(x)


def sum_of_product(A, x):
    return np.sum(A @ x)


def sum_against_row(x, w):
    return np.sum(x * w)


def sum_of_every_other(x):
    return np.sum(x[::2] * 3.0)


def mean_of_scaled(x, s):
    return np.mean(s * np.tanh(x))


def log_softmax_loss(z, y):
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    return -np.sum(y * (z - m - np.log(np.sum(e, axis=1, keepdims=True))))


def row_normalised(x):
    return np.sum(np.sin(x / np.sum(x * x, axis=1, keepdims=True)))


def row_sums_without_keepdims(x):
    return np.sum(np.sum(x, axis=1) * np.arange(x.shape[0]))


def row_sums_returned(x):
    s = np.sum(np.cos(x), axis=0, keepdims=True)
    return np.sum(s * s)


def _check(fn, args, wrt):
    return check_gradient(fn, args, wrt)


def _reverse_sweep(fn, args, wrt):
    source = ta.source(ta.grad(fn, wrt=wrt), *args)
    return source.split("# reverse sweep")[1]


def test_squared_error_reads_like_hand_code(rng):
    args = (rng.standard_normal(7), rng.standard_normal(7))
    assert "d_u = u - t\n" in _reverse_sweep(squared_error, args, (0,))
    _check(squared_error, args, (0, 1))


def test_a_returned_spread_stays_an_array(rng):
    x = rng.standard_normal((3, 4))
    assert "unreduce(1.0, x)" in _reverse_sweep(plain_sum, (x,), (0,))
    (got,) = _check(plain_sum, (x,), (0,))
    np.testing.assert_array_equal(got, np.ones((3, 4)))


def test_a_spread_into_a_matrix_product_stays_an_array(rng):
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4))
    assert "unreduce" in _reverse_sweep(sum_of_product, args, (0, 1))
    _check(sum_of_product, args, (0, 1))


def test_a_spread_meeting_a_smaller_operand_stays_an_array(rng):
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4))
    assert "unreduce" in _reverse_sweep(sum_against_row, args, (0, 1))
    _check(sum_against_row, args, (0, 1))


def test_a_spread_into_a_strided_slice(rng):
    _check(sum_of_every_other, (rng.standard_normal(9),), (0,))


def test_mean_of_a_scaled_array(rng):
    args = (rng.standard_normal((2, 5)), 1.7)
    # wrt x alone the spread only meets x-shaped arrays; wrt s too it feeds
    # a dot product (np.vdot) and stays an array
    assert "unreduce" not in _reverse_sweep(mean_of_scaled, args, (0,))
    assert "unreduce" in _reverse_sweep(mean_of_scaled, args, (0, 1))
    _check(mean_of_scaled, args, (0,))
    _check(mean_of_scaled, args, (0, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_gradient_keeps_the_argument_dtype(rng, dtype):
    u = rng.standard_normal(6).astype(dtype)
    t = rng.standard_normal(6).astype(dtype)
    got = ta.grad(squared_error)(u, t)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, (u - t).astype(np.float64), rtol=1e-6)


def test_a_kept_axis_spread_is_left_to_broadcasting(rng):
    """unreduce(g, e, 1, True) * e is g * e: g of shape (n, 1) broadcasts."""
    z = rng.standard_normal((5, 4))
    y = np.eye(4)[rng.integers(0, 4, size=5)]
    sweep = _reverse_sweep(log_softmax_loss, (z, y), (0,))
    assert "unreduce" not in sweep, sweep
    assert "* max_mask(z, m, 1, True)" in sweep
    _check(log_softmax_loss, (z, y), (0, 1))
    sweep = _reverse_sweep(row_normalised, (z,), (0,))
    assert "unreduce" not in sweep, sweep
    _check(row_normalised, (z,), (0,))


def test_spreads_broadcasting_would_misalign_stay(rng):
    """Without keepdims the reduced axis is gone: g of shape (n,) would
    broadcast along the last axis, so its unreduce stays."""
    x = rng.standard_normal((3, 3))  # square: a misaligned broadcast would not even fail
    assert "unreduce" in _reverse_sweep(row_sums_without_keepdims, (x,), (0,))
    _check(row_sums_without_keepdims, (x,), (0,))
    _check(row_sums_returned, (x,), (0,))


def data_then_l2(w, X):
    return np.sum(np.tanh(X @ w)) + 0.5 * np.sum(w ** 2)


def l2_then_data(w, X):
    return 0.5 * np.sum(w ** 2) + np.sum(np.tanh(X @ w))


def halves_and_doubles(w, X):
    return np.sum(np.tanh(X @ w)) + np.sum(w * w) / 2.0


@pytest.mark.parametrize("fn", [data_then_l2, l2_then_data, halves_and_doubles])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_adjoint_that_folds_to_an_argument_is_never_updated_in_place(rng, fn, dtype):
    """``d_w = 0.5 * w * 2`` folds to ``w``; when `d_w` is then updated in
    place (``d_w += X.T @ g``), it must be a copy: the gradient once wrote
    into the caller's `w` here."""
    w = rng.standard_normal(4).astype(dtype)
    X = rng.standard_normal((3, 4)).astype(dtype)
    before = w.copy()
    source = ta.source(ta.grad(fn), w, X)
    assert "d_w = w\n" not in source, source
    _check(fn, (w.astype(np.float64), X.astype(np.float64)), (0,))
    got = ta.grad(fn)(w, X)
    np.testing.assert_array_equal(w, before)
    assert got is not w and got.dtype == dtype


def spread_read_twice(x, y):
    """Found by tests/test_random_programs.py's generator: the adjoint of `b`
    is ``d_b + d_b * 2 * 0.5`` of a scalar spread, which met only itself;
    it became a scalar and ``d_b * (row sums)`` had the rows' shape."""
    rows = np.sum(x * y, axis=1, keepdims=True)
    a = rows * x
    b = 0.5 * (a + y) * 2
    b = b + a
    return np.sum(b)


def test_a_spread_does_not_justify_its_own_removal(rng):
    args = (rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
    got = _check(spread_read_twice, args, (0, 1))
    assert got[0].shape == (3, 4) and got[1].shape == (3, 4)


def attention(q, k, v):
    s = q @ k.T / np.sqrt(q.shape[1])
    s = s - np.max(s, axis=1, keepdims=True)
    a = np.exp(s)
    a = a / np.sum(a, axis=1, keepdims=True)
    return np.sum((a @ v) ** 2) / len(q) + q.size * 0.0


def test_extents_and_counts_keep_the_derivative_specialised():
    # x.shape[1], len(x) and x.size are Python ints: every later shape is
    # still known (the scale made all of them unknown: unbroadcast,
    # matmul_lhs at run time); a keepdims spread added into an adjoint of
    # the full shape is left to broadcasting (`d_a += d_t7`)
    rng = np.random.default_rng(2)
    args = [rng.standard_normal((4, 3)) for _ in range(3)]
    df = ta.grad(attention, wrt=(0, 1, 2))
    code = ta.source(df, *args)
    for generic in ("unbroadcast(", "matmul_lhs(", "matmul_rhs(", "unreduce("):
        assert generic not in code, generic
    got = df(*args)
    for position, value in enumerate(got):
        np.testing.assert_allclose(value, numerical_gradient(attention, args, {}, position), rtol=1e-6, atol=1e-9)
