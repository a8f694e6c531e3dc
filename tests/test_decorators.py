"""Decorated functions: a wrapper is code like any other.

A `functools.wraps` wrapper may change values, so it is differentiated as
written (never skipped by following `__wrapped__`), at the top level and as
a callee; a wrapper taking *args/**kwargs is refused at its line with a hint
naming the wrapped function. C-level wrappers (`lru_cache`) are looked
through.
"""

import functools

import numpy as np
import pytest

import tangent_ad as ta


def doubled(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2.0 * fn(x)
    return wrapper


def scaled(factor):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(x, k):
            return factor * fn(x, k)
        return wrapper
    return decorate


def passthrough(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


@doubled
def sine(x):
    return np.sin(x)


@doubled
def summed_sine(x):
    return np.sum(np.sin(x))


@scaled(3.0)
def power_sum(x, k):
    return np.sum(x ** k)


@passthrough
def passed(x):
    return np.sum(np.sin(x))


@functools.lru_cache(maxsize=None)
def cached_scale(k):
    return k * 2.0


def calls_a_decorated_function(x):
    return np.sum(sine(x))


X = np.array([0.5, 1.0, 2.0])


def test_a_decorated_callee_keeps_its_wrapper():
    np.testing.assert_allclose(ta.grad(calls_a_decorated_function)(X), 2.0 * np.cos(X))


def test_a_decorated_function_keeps_its_wrapper():
    value, gradient = ta.value_and_grad(summed_sine)(X)
    assert value == pytest.approx(summed_sine(X))
    np.testing.assert_allclose(gradient, 2.0 * np.cos(X))
    _, tangent = ta.jvp(summed_sine)(X, np.ones(3))
    assert tangent == pytest.approx(2.0 * np.sum(np.cos(X)))


def test_a_decorator_with_arguments():
    gradient = ta.grad(power_sum)(X, 3.0)
    np.testing.assert_allclose(gradient, 3.0 * 3.0 * X ** 2)
    assert "return factor * fn(x, k)" in ta.source(ta.grad(power_sum), X, 3.0)  # the wrapper's line


def test_a_variadic_wrapper_is_refused_with_the_wrapped_name():
    with pytest.raises(ta.TangentADError) as err:
        ta.grad(passed)(X)
    text = str(err.value)
    assert "*args/**kwargs" in text and "test_decorators.py" in text
    assert "passed.__wrapped__" in text
    np.testing.assert_allclose(ta.grad(passed.__wrapped__)(X), np.cos(X))


def test_an_lru_cache_is_looked_through():
    np.testing.assert_allclose(ta.grad(cached_scale.__wrapped__)(1.5), 2.0)
    assert ta.grad(cached_scale)(1.5) == 2.0
