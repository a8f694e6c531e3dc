"""Rows read again, not saved: ``_t1 = xs[t]`` read by an adjoint.

A name (a temporary, or the user's ``row`` of ``for row in X``) bound by
basic indexing of an array that stays bound to one object (a parameter never rebound, or a name bound once at the top level) is
read again where the adjoint needs it (``d_U += xs[t].T @ d_t4``) instead of
being pushed every step and popped back (`reverse._rematerialize`). A view
reads the same memory at both places; a single element is a copy, so it is
read again only when nothing in the function writes into the array. Each
program is checked against central differences, and where the read must
stay a save, the generated code is checked to push it.
"""

import re

import numpy as np
import pytest

import tangent_ad as ta
from forward_support import check_hvp
from support import Case, check_gradient
from tangent_ad.checking import numerical_gradient
from test_inplace import rnn  # h = np.tanh(h @ W + xs[t] @ U + b) per step


def rows_and_columns(x, w):
    s = 0.0
    for t in range(x.shape[0]):
        s = s + np.sum(np.sin(x[t, 1:] * w[1:])) + np.sum(np.cos(x[:, t] * w[t]))
    return s


def elements_of_a_parameter(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + np.sin(x[i]) * w[i]
    return s


def computed_index(x, w):
    s = 0.0
    for t in range(x.shape[0]):
        k = x.shape[0] - 1 - t
        s = s + np.sum(np.tanh(x[k] * w))
    return s


def element_of_an_array_written_later(x):
    u = x * 1.0
    s = 0.0
    for i in range(len(u)):
        s = s + np.sin(u[i])
        u[i] = 0.0
    return s


def row_of_an_array_written_later(x, w):
    a = x * 1.0
    s = 0.0
    for t in range(3):
        s = s + np.sum(np.tanh(a[t] * w))
        a[t] = a[t] * 2.0
        a[t - 1] = a[t] * 3.0
    return s


def row_of_an_array_rebound_in_the_loop(x, w):
    a = x * 1.0
    s = 0.0
    for t in range(3):
        s = s + np.sum(np.tanh(a[t, 1:] * w[1:]))
        a = a * 1.5
    return s


def _rnn_args(rng):
    return [
        rng.uniform(-0.4, 0.4, (5, 5)),
        rng.uniform(-0.4, 0.4, (3, 5)),
        rng.uniform(-0.1, 0.1, 5),
        rng.uniform(-1.0, 1.0, (6, 2, 3)),
        rng.uniform(-0.5, 0.5, (2, 5)),
    ]


def _check_fd(fn, args, wrt):
    got = ta.grad(fn, wrt=wrt)(*args)
    for value, position in zip(got if len(wrt) > 1 else (got,), wrt):
        reference = numerical_gradient(fn, args, {}, position)
        np.testing.assert_allclose(value, reference, rtol=1e-6, atol=1e-9)


def test_the_input_row_is_read_again(rng):
    args = _rnn_args(rng)
    source = ta.source(ta.grad(rnn, wrt=(0, 1, 2)), *args)
    assert "h += xs[t] @ U\n" in source, source
    assert "d_U += xs[t].T @ d_t4\n" in source, source
    assert source.count("_stack.push(") == 1, source  # h only
    check_gradient(rnn, args, (0, 1, 2), rtol=1e-10, atol=1e-12)


def test_the_hessian_vector_product_reads_the_row_again():
    check_hvp(Case(rnn, _rnn_args, wrt=(0, 1, 2)), np.random.default_rng(3))


@pytest.mark.parametrize("fn", [rows_and_columns, elements_of_a_parameter, computed_index])
def test_reads_of_parameters_are_not_saved(fn, rng):
    args = (rng.uniform(-1.0, 1.0, (4, 4)), rng.uniform(-1.0, 1.0, 4))
    if fn is elements_of_a_parameter:
        args = (rng.uniform(-1.0, 1.0, 4), rng.uniform(-1.0, 1.0, 4))
    source = ta.source(ta.grad(fn, wrt=(0, 1)), *args)
    # no row, column or element is bound to a temporary to be pushed: each
    # is read where it is needed, in both sweeps
    assert not re.search(r"^ *_t\d+ = [xw]\[[^\]]*\]$", source, re.M), source
    assert "x[" in source.split("# reverse sweep")[1], source
    check_gradient(fn, args, (0, 1), rtol=1e-10, atol=1e-12)


def test_an_element_of_an_array_written_later_is_saved(rng):
    x = rng.uniform(-1.0, 1.0, 4)
    source = ta.source(ta.grad(element_of_an_array_written_later), x)
    assert "_t0 = u[i]" in source and "np.cos(_t0)" in source, source
    _check_fd(element_of_an_array_written_later, [x], (0,))


def test_a_row_of_an_array_written_later_is_restored(rng):
    args = (rng.uniform(-1.0, 1.0, (3, 4)), rng.uniform(-1.0, 1.0, 4))
    _check_fd(row_of_an_array_written_later, list(args), (0, 1))


def test_a_row_of_an_array_rebound_in_the_loop_is_saved(rng):
    args = (rng.uniform(-1.0, 1.0, (3, 4)), rng.uniform(-1.0, 1.0, 4))
    source = ta.source(ta.grad(row_of_an_array_rebound_in_the_loop, wrt=1), *args)
    assert "_stack.push(a)" not in source, source  # the row, not the whole array
    check_gradient(row_of_an_array_rebound_in_the_loop, args, (0, 1), rtol=1e-10, atol=1e-12)


def zipped_rows(X, Y):
    s = 0.0
    for r, q in zip(X, Y):
        s = s + np.sum(r * q) ** 2
    return s


def test_rows_a_loop_binds_are_read_again(rng):
    """``for r, q in zip(X, Y)`` binds ``r = X[_i0]``: the user's names, read
    by the adjoint as ``X[_i0]``, are not pushed; nor is the shape record of
    ``r * q``, which no adjoint reads once the sum's spread is left to
    broadcasting (its pops went with its pushes)."""
    args = (rng.uniform(-1.0, 1.0, (3, 4)), rng.uniform(-1.0, 1.0, (3, 4)))
    source = ta.source(ta.grad(zipped_rows, wrt=(0, 1)), *args)
    assert source.count("_stack.push(") == 1, source  # the sum, read by the adjoint of ** 2
    assert "d_q = d_t0 * X[_i0]" in source, source
    check_gradient(zipped_rows, args, (0, 1), rtol=1e-10, atol=1e-12)


def squares_by_element(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * x[i]
    return s


def test_an_element_read_twice_is_read_again_not_pushed(rng):
    # the second read, `_t2 = x[i]`, a name sharing x's memory, counted as a
    # write into x: the first was pushed every iteration
    x = rng.normal(size=5)
    df = ta.grad(squares_by_element)
    assert "_stack" not in ta.source(df, x)
    np.testing.assert_allclose(df(x), 2 * x)
