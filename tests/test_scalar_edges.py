"""Scalar code at the edges: adjoints and tangents that are Python numbers,
and the math rules at the points where a naive slope fails.

The seed of a 0-d result, and the tangent of a NumPy scalar made from a
Python float, are Python numbers: `.T` and `.reshape` of them crashed
(``(x @ w).T``, ``np.exp(s).reshape(())``). ``math.pow``'s slope called
``math.pow(x, p - 1)`` and ``math.log(x)`` (a domain error at x = 0, where
the slope is finite), and ``math.fmod``'s called ``math.trunc`` of a float32.
"""

import math

import numpy as np
import pytest

import tangent_ad as ta


def central(fn, args, i, eps=1e-6):
    up, down = list(args), list(args)
    up[i] = args[i] + eps
    down[i] = args[i] - eps
    return (fn(*up) - fn(*down)) / (2 * eps)


def transposed_dot(x, w):
    return (x @ w).T * 2.0


def transposed_exp(s):
    return np.exp(s).T * s


def reshaped_exp(s):
    return np.exp(s).reshape(()) * s


def squeezed_exp(s):
    return np.exp(s).squeeze() * s


def reshaped_sum(s):
    return np.add(s, 1.0).reshape(1).sum() * s


@pytest.mark.parametrize("fn", [transposed_exp, reshaped_exp, squeezed_exp, reshaped_sum])
def test_a_number_adjoint_or_tangent_through_transpose_and_reshape(fn):
    s = 0.7
    slope = central(fn, [s], 0)
    assert ta.grad(fn)(s) == pytest.approx(slope, rel=1e-6)
    assert ta.jvp(fn)(s, 1.0)[1] == pytest.approx(slope, rel=1e-6)
    second = (ta.grad(fn)(s + 1e-5) - ta.grad(fn)(s - 1e-5)) / 2e-5
    assert ta.hvp(fn)(s, 1.0) == pytest.approx(second, rel=1e-5)


def test_the_transpose_of_a_scalar_product():
    x, w = np.array([1.0, -0.5]), np.array([1.5, -0.5])
    np.testing.assert_allclose(ta.grad(transposed_dot)(x, w), 2.0 * w)


def power(x, p):
    return math.pow(x, p)


@pytest.mark.parametrize("x, p, slopes", [
    (0.0, 2.0, (0.0, 0.0)),    # log(0) is not needed: y = 0
    (-2.0, 3.0, (12.0, 0.0)),  # log(-2) is not defined: taken as 0, as for x ** p
    (0.0, 0.0, (0.0, 0.0)),    # pow(0, -1) is not needed: p = 0
    (1.5, 2.5, None),
])
def test_math_pow_where_the_naive_slope_fails(x, p, slopes):
    if slopes is None:
        slopes = (central(power, [x, p], 0), central(power, [x, p], 1))
    got = ta.grad(power, wrt=(0, 1))(x, p)
    assert got == pytest.approx(slopes, rel=1e-6, abs=1e-9)
    tangent = ta.jvp(power, wrt=(0, 1))(x, p, 1.0, 1.0)[1]
    assert tangent == pytest.approx(sum(slopes), rel=1e-6, abs=1e-9)
    assert ta.hvp(power, wrt=0)(x, 1.0, 1.0) == pytest.approx(0.0, abs=1e-9)  # (x ** 1)


def remainder(x1, x2):
    return math.fmod(x1, x2)


@pytest.mark.parametrize("make", [np.float32, lambda v: np.array(v, np.float32), float])
def test_math_fmod_of_float32_numbers(make):
    x1, x2 = make(3.7), make(1.2)
    d1, d2 = ta.grad(remainder, wrt=(0, 1))(x1, x2)
    assert (float(d1), float(d2)) == pytest.approx((1.0, -3.0))
    assert float(ta.jvp(remainder)(x1, x2, make(1.0))[1]) == pytest.approx(1.0)


def floor_times(x):
    return math.floor(x) * x


def round_times(x):
    return round(x) * x + round(x, 1) * 0.0


@pytest.mark.parametrize("fn", [floor_times, round_times])
def test_a_float_argument_gets_a_float_through_rounding(fn):
    # `1.0 * math.floor(x)` was folded to the int itself
    got = ta.grad(fn)(2.3)
    assert isinstance(got, float) and got == 2.0


def distance_loop(x):
    s = 0.0
    for _ in range(20):
        s = s + abs(x - 0.7) * 0.1
        x = x * 0.99
    return s


def test_abs_of_a_python_float_keeps_the_sweep_in_python_floats():
    # numpy.sign made the slope, and all that followed, NumPy scalars
    got = ta.grad(distance_loop)(0.65)
    assert type(got) is float
    assert got == pytest.approx(central(distance_loop, [0.65], 0), rel=1e-6)
    assert ta.grad(distance_loop)(0.75) == pytest.approx(central(distance_loop, [0.75], 0), rel=1e-6)
