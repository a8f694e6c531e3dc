"""Calling objects: ``model(x)``, class-based decorators, ``super().f(x)``.

An object whose class defines ``__call__`` in Python is called through it:
an argument's (``model(x)``, its class known on the first call) and a
module-level object's (a class-based decorator, which may change values and
is never skipped by following ``__wrapped__``). ``super().f(x)`` in a method
finds `f` where Python does: after the method's class, in the MRO of the
object's class. A callable that holds a differentiated value and is known
only at run time (``s = x.sum; s()``) is refused, not taken for a constant.
"""

import functools

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


class Linear:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return x @ self.W


def through_call(model, x):
    return np.sum(model(x) ** 2)


class Doubled:
    """A class-based decorator that changes the value."""

    def __init__(self, fn):
        self.fn = fn
        functools.update_wrapper(self, fn)

    def __call__(self, x):
        return 2.0 * np.sin(x)


class Scaled:
    def __init__(self, s):
        self.s = s

    def __call__(self, x):
        return self.s * np.sin(x)


act = Scaled(3.0)


@Doubled
def decorated(x):
    return np.sin(x)


def uses_module_objects(x):
    return np.sum(act(x)) + np.sum(decorated(x))


class Base:
    def f(self, x):
        return x * 2.0


class Child(Base):
    def f(self, x):
        return super().f(x) + x


class Left(Base):
    def f(self, x):
        return super().f(x) * 3.0


class Right(Base):
    def f(self, x):
        return np.sin(x)


class Diamond(Left, Right):
    pass


def calls_f(c, x):
    return np.sum(c.f(x))


def test_an_argument_called_is_called_through_its_class(rng):
    m, x = Linear(rng.standard_normal((3, 2))), rng.standard_normal((4, 3))
    d_m, d_x = ta.grad(through_call, wrt=(0, 1))(m, x)
    y = x @ m.W
    np.testing.assert_allclose(d_m["W"], 2.0 * x.T @ y, rtol=1e-12)
    np.testing.assert_allclose(d_x, 2.0 * y @ m.W.T, rtol=1e-12)


def test_module_level_callable_objects_are_inlined_and_read_live(rng):
    x = rng.standard_normal(3)
    df = ta.grad(uses_module_objects)
    np.testing.assert_allclose(df(x), 3.0 * np.cos(x) + 2.0 * np.cos(x), rtol=1e-12)
    act.s = 5.0
    try:
        np.testing.assert_allclose(df(x), 5.0 * np.cos(x) + 2.0 * np.cos(x), rtol=1e-12)
    finally:
        act.s = 3.0


def test_a_redefined_call_method_is_a_new_derivative(rng):
    x = rng.standard_normal(3)
    df = ta.grad(uses_module_objects)
    df(x)
    old = Scaled.__call__
    Scaled.__call__ = lambda self, x: self.s * np.cos(x)
    try:
        np.testing.assert_allclose(df(x), -3.0 * np.sin(x) + 2.0 * np.cos(x), rtol=1e-12)
    finally:
        Scaled.__call__ = old


@pytest.mark.parametrize("obj, expected", [
    (Child(), lambda x: np.full_like(x, 3.0)),
    (Diamond(), lambda x: 3.0 * np.cos(x)),  # Left's super() is Right in Diamond's MRO
])
def test_super_finds_the_method_python_finds(obj, expected, rng):
    x = rng.standard_normal(3)
    got = ta.grad(calls_f, wrt=1)(obj, x)
    np.testing.assert_allclose(got, expected(x), rtol=1e-12)
    np.testing.assert_allclose(got, numerical_gradient(calls_f, [obj, x], {}, 1), rtol=1e-6)


def bound_method_kept(x):
    s = x.sum
    return s() * 2.0


def partial_of_a_differentiated_value(x):
    return np.sum(functools.partial(np.multiply, x)(2.0))


@pytest.mark.parametrize("fn", [bound_method_kept, partial_of_a_differentiated_value])
def test_a_callable_holding_a_differentiated_value_is_refused(fn):
    with pytest.raises(ta.TangentADError) as err:
        ta.grad(fn)(np.ones(3))
    assert "call to a function only known at run time" in str(err.value)
    assert "test_callables.py:" in str(err.value)


@pytest.fixture
def rng():
    return np.random.default_rng(5)


class Sorted:
    def __init__(self, w):
        self.w = w

    def sort(self):  # a method of the user's named like ndarray.sort, returning a value
        return self.w * 3.0


def calls_a_users_sort(m, x):
    y = m.sort()
    return np.sum(y * x)


def test_a_users_method_named_like_an_in_place_one_keeps_its_value():
    """``y = m.sort()`` of an object of the user's is the method's value (the
    normal form puts only an array's or a list's ``y = a.sort()`` apart)."""
    x = np.ones(3)
    np.testing.assert_allclose(ta.grad(calls_a_users_sort, wrt=1)(Sorted(2.0 * np.ones(3)), x), 6.0)
