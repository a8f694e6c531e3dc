"""Products of a loop's rows by loop-invariant weights are taken out of the
loop (`passes/hoist.py`): ``xs[t] @ U`` per step becomes one ``xs @ U``
before the loop, and its adjoint one product after the reversed loop.

Each case checks the generated code's form (hoisted, or rightly left) and
the gradient against central finite differences and autograd; the loops
the transformation must leave alone are the ones where hoisting would read
a stale value or raise where the function does not.
"""

import numpy as np
import pytest

import tangent_ad as ta
from forward_support import check_hvp, check_jvp
from support import Case, check_case, check_gradient

HOISTED = "for every t, before the loop"


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U + b)
    return np.sum(h * h)


def rows_of_a_matrix(W, xs):
    """`xs` of shape (T, n): each row is a vector; `len` gives the count."""
    s = 0.0
    for t in range(len(xs)):
        s = s + np.sum(np.sin(xs[t] @ W))
    return s


def vector_weights(w, xs, h0):
    """A 1-d `w`: ``xs[t] @ w`` has one value per batch row."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(0.5 * h + xs[t] @ w)
    return np.sum(h * h)


def named_row_read_again(W, xs):
    """The user's own name for the row stays, and is read again."""
    s = 0.0
    for t in range(xs.shape[0]):
        x_t = xs[t]
        s = s + np.sum(np.tanh(x_t @ W)) + np.sum(x_t * x_t)
    return s


def two_products_of_one_row(W, V, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        row = xs[t]
        s = s + np.sum(np.tanh(row @ W) * np.cos(row @ V))
    return s


def weights_change_in_the_loop(W, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.tanh(xs[t] @ W))
        W = W * 0.9
    return s


def rows_written_in_the_loop(W, xs):
    u = xs * 1.0
    s = 0.0
    for t in range(u.shape[0]):
        s = s + np.sum(np.tanh(u[t] @ W))
        u[(t + 1) % u.shape[0]] = u[t] * 0.5
    return s


def fewer_steps_than_rows(W, xs):
    s = 0.0
    for t in range(2):
        s = s + np.sum(np.tanh(xs[t] @ W))
    return s


def steps_counted_by_another_array(W, xs, ys):
    s = 0.0
    for t in range(len(ys)):
        s = s + np.sum(np.tanh(xs[t] @ W)) * ys[t]
    return s


def loop_left_early(W, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        if s > 0.5:
            break
        s = s + np.sum(np.tanh(xs[t] @ W))
    return s


def weights_bound_in_a_branch(W, xs, flag):
    """`V` is unbound when `flag` <= 0: hoisting `xs @ V` before the loop
    would raise even when the loop runs no step."""
    s = 0.0
    if flag > 0:
        V = W * 2.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.tanh(xs[t] @ V))
    return s


def unknown_call_in_the_loop(W, xs, order):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.tanh(xs[t] @ W))
        order.sort()  # no rule: it might write into any array
    return s


def _rnn_args(rng, steps):
    W = rng.standard_normal((4, 4)) * 0.5
    U = rng.standard_normal((3, 4)) * 0.5
    b = rng.standard_normal(4) * 0.1
    xs = rng.standard_normal((steps, 5, 3))
    h0 = rng.standard_normal((5, 4)) * 0.3
    return W, U, b, xs, h0


def _check(fn, args, wrt):
    return check_gradient(fn, args, wrt, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("steps", [0, 1, 6])
def test_the_input_projection_leaves_the_loop(rng, steps):
    args = _rnn_args(rng, steps)
    source = ta.source(ta.grad(rnn, wrt=(0, 1, 2)), *args)
    loop = source.index("\n    for t in range(")
    assert source.index(" = xs @ U\n") < loop, source
    assert "xs[t] @ U for every t, before the loop" in source
    assert ".T @ d_t" in source  # W's adjoint stays in the loop: h changes
    assert "np.tensordot(xs, " in source, source
    got = _check(rnn, args, (0, 1, 2))
    if steps == 0:
        np.testing.assert_array_equal(got[1], np.zeros((3, 4)))


def test_no_row_read_is_left_in_the_loops(rng):
    source = ta.source(ta.grad(rnn, wrt=(0, 1, 2)), *_rnn_args(rng, 4))
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    assert "xs[t]" not in code, source


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_only_the_optimizer_hoists(rng, optimize):
    args = _rnn_args(rng, 3)
    source = ta.source(ta.grad(rnn, wrt=(1,), optimize=optimize), *args)
    assert (HOISTED in source) == optimize
    got = ta.grad(rnn, wrt=(1,), optimize=optimize)(*args)
    np.testing.assert_allclose(got, ta.grad(rnn, wrt=(1,), optimize=not optimize)(*args), rtol=1e-12)


def test_the_generic_derivative_is_unchanged():
    """Without the arguments' shapes nothing is known to fit."""
    assert HOISTED not in ta.source(ta.grad(rnn, wrt=(0, 1, 2)))


def _hoistable():
    return [
        (rows_of_a_matrix, lambda rng: [rng.standard_normal((3, 4)), rng.standard_normal((5, 3))], (0, 1)),
        (vector_weights, lambda rng: [rng.standard_normal(3), rng.standard_normal((4, 5, 3)),
                                      rng.standard_normal(5)], (0, 1, 2)),
        (named_row_read_again, lambda rng: [rng.standard_normal((3, 4)), rng.standard_normal((4, 2, 3))], (0, 1)),
        (two_products_of_one_row, lambda rng: [rng.standard_normal((3, 4)), rng.standard_normal((3, 4)),
                                               rng.standard_normal((4, 2, 3))], (0, 1, 2)),
    ]


@pytest.mark.parametrize("fn, make, wrt", _hoistable(), ids=lambda v: getattr(v, "__name__", ""))
def test_hoisted(rng, fn, make, wrt):
    args = make(rng)
    source = ta.source(ta.grad(fn, wrt=wrt), *args)
    assert HOISTED in source, source
    _check(fn, args, wrt)


def test_the_users_row_name_stays(rng):
    args = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2, 3))]
    source = ta.source(ta.grad(named_row_read_again, wrt=(0, 1)), *args)
    assert "x_t = xs[t]" in source


def test_two_products_of_one_row_each_leave(rng):
    args = [rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2, 3))]
    source = ta.source(ta.grad(two_products_of_one_row, wrt=(0, 1, 2)), *args)
    assert " = xs @ W\n" in source and " = xs @ V\n" in source, source


def _matrix_rows(rng):
    return [rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((4, 2, 3))]


LEFT = [
    Case(weights_change_in_the_loop, _matrix_rows, wrt=(0, 1)),
    Case(rows_written_in_the_loop, lambda rng: [rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((3, 3))],
         wrt=(0, 1), autograd=False),
    Case(fewer_steps_than_rows, _matrix_rows, wrt=(0, 1)),
    Case(loop_left_early, _matrix_rows, wrt=(0, 1)),
]


@pytest.mark.parametrize("case", LEFT, ids=[case.id for case in LEFT])
def test_left_in_the_loop(rng, case):
    source = ta.source(ta.grad(case.fn, wrt=case.wrt), *case.make(np.random.default_rng(0)))
    assert HOISTED not in source, source
    check_case(case, np.random.default_rng(0))


@pytest.mark.parametrize("rows", [2, 4])
def test_the_steps_must_cover_every_row(rng, rows):
    """Four rows of `xs`, `rows` steps: ``xs @ W`` would multiply rows no
    step reads (the loop runs over another array's length)."""
    W, xs, ys = rng.standard_normal((3, 3)), rng.standard_normal((4, 2, 3)), rng.standard_normal(rows)
    source = ta.source(ta.grad(steps_counted_by_another_array, wrt=(0, 1, 2)), W, xs, ys)
    assert (HOISTED in source) == (rows == 4), source
    check_gradient(steps_counted_by_another_array, (W, xs, ys), (0, 1, 2), rtol=1e-10, atol=1e-12)


def test_weights_bound_on_one_path_only(rng):
    W, xs = rng.standard_normal((3, 3)), rng.standard_normal((4, 2, 3))
    assert HOISTED not in ta.source(ta.grad(weights_bound_in_a_branch), W, xs, 1.0)
    check_gradient(weights_bound_in_a_branch, (W, xs, 1.0), (0, 1), rtol=1e-10, atol=1e-12)
    # no step, and `V` never bound: the function returns 0, so must its gradient
    empty = np.zeros((0, 2, 3))
    np.testing.assert_array_equal(ta.grad(weights_bound_in_a_branch)(W, empty, -1.0), np.zeros((3, 3)))


def test_an_unknown_call_keeps_the_product_in_the_loop(rng):
    W, xs = rng.standard_normal((3, 3)), rng.standard_normal((4, 2, 3))
    order = np.array([3, 1, 2])
    source = ta.source(ta.grad(unknown_call_in_the_loop), W, xs, order)
    assert HOISTED not in source
    np.testing.assert_allclose(
        ta.grad(unknown_call_in_the_loop)(W, xs, order), ta.grad(unknown_call_in_the_loop, optimize=False)(W, xs, order),
        rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_gradient_keeps_the_dtype(rng, dtype):
    args = tuple(a.astype(dtype) for a in _rnn_args(rng, 3))
    got = ta.grad(rnn, wrt=(1,))(*args)
    assert got.dtype == dtype
    expected = ta.grad(rnn, wrt=(1,))(*(a.astype(np.float64) for a in args))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


CASES = [Case(rnn, lambda rng: list(_rnn_args(rng, 4)), wrt=(0, 1, 2, 3))]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_hessian_vector_products(rng, optimize):
    check_hvp(CASES[0], rng, optimize=optimize)


def test_jvp(rng):
    check_jvp(CASES[0], rng)
    args = _rnn_args(rng, 3)
    assert HOISTED in ta.source(ta.jvp(rnn, wrt=(1,)), *args)
