"""Keyword-only parameters and defaults of the differentiated function.

Every mode takes keyword-only arguments by keyword (the generated code is
``def jvp_f(x, t_x, *, k)``), and a default is read from the function at
each call: assigning ``f.__defaults__`` changes the derivative's result as
it changes f's.
"""

import numpy as np
import pytest

import tangent_ad as ta


def keyword_only(x, *, k=2.0):
    return np.sum(x ** 2 * k)


def keyword_only_without_default(x, *, k):
    return np.sum(x ** 2 * k)


X = np.array([0.5, 1.3])
V = np.array([1.0, -2.0])


@pytest.mark.parametrize("k", [None, 3.0])
def test_every_mode_takes_keyword_only_arguments(k):
    given = {} if k is None else {"k": k}
    k = 2.0 if k is None else k
    gradient = 2 * k * X
    np.testing.assert_allclose(ta.grad(keyword_only)(X, **given), gradient)
    np.testing.assert_allclose(ta.vjp(keyword_only)(X, 1.0, **given), gradient)
    value, tangent = ta.jvp(keyword_only)(X, V, **given)
    assert value == pytest.approx(keyword_only(X, k=k))
    assert tangent == pytest.approx(gradient @ V)
    np.testing.assert_allclose(ta.hvp(keyword_only)(X, V, **given), 2 * k * V)
    np.testing.assert_allclose(ta.jacobian(keyword_only)(X, **given), gradient)
    np.testing.assert_allclose(ta.hessian(keyword_only)(X, **given), 2 * k * np.eye(2))


def test_a_keyword_only_argument_without_default():
    np.testing.assert_allclose(ta.grad(keyword_only_without_default)(X, k=4.0), 8.0 * X)
    _, tangent = ta.jvp(keyword_only_without_default)(X, V, k=4.0)
    assert tangent == pytest.approx(8.0 * X @ V)


def test_new_defaults_are_read_at_the_call():
    def scaled(x, k=2.0, *, m=1.0):
        return np.sum(x * k * m)

    df = ta.grad(scaled)
    np.testing.assert_allclose(df(X), [2.0, 2.0])
    scaled.__defaults__ = (7.0,)
    np.testing.assert_allclose(df(X), [7.0, 7.0])
    np.testing.assert_allclose(ta.grad(scaled)(X), [7.0, 7.0])
    scaled.__kwdefaults__ = {"m": 0.5}
    np.testing.assert_allclose(df(X), [3.5, 3.5])
    np.testing.assert_allclose(df(X, 1.0), [0.5, 0.5])
    _, tangent = ta.jvp(scaled)(X, V)
    assert tangent == pytest.approx(3.5 * V.sum())
