"""Forward mode and second derivatives at their edges.

* the power rule's guard against ``0 * 0 ** -1`` at a zero exponent no
  longer changes the mixed derivative d2/dx dp of ``x ** p`` there (1/x);
* a tangent has the dtype of its value (NumPy promotes ``x + grid`` of a
  float32 `x` and a float64 `grid` to float64);
* a tangent or hvp vector of another shape than its argument is refused;
* ``specialize`` of a jvp takes the function's own arguments alone too.
"""

import math

import numpy as np
import pytest

import tangent_ad as ta

GRID = np.array([1.0, 2.0, 3.0])


def power_sum(x, p):
    return np.sum(x ** p)


def power_of_numbers(x, p):
    return math.pow(x, p) + x ** p + pow(x, p)


def test_the_mixed_second_derivative_of_a_power_at_exponent_zero():
    x = np.array([0.5, 2.0, 3.0])
    # d/dp (d/dx sum(x ** p)) = sum over x of x**(p-1) (1 + p log x): 1/x at p = 0
    mixed = ta.hvp(power_sum, wrt=(0, 1))(x, 0.0, np.zeros(3), 1.0)[0]
    np.testing.assert_allclose(mixed, 1.0 / x, rtol=1e-12)
    mixed = ta.hvp(power_of_numbers, wrt=(0, 1))(2.0, 0.0, 0.0, 1.0)[0]
    assert np.isclose(mixed, 3 * 0.5, rtol=1e-12)  # math.pow, ** and pow


def test_the_power_rule_at_a_constant_exponent_folds_its_guard():
    source = ta.source(ta.grad(lambda_free_square), np.ones(3))
    assert "== 0" not in source


def lambda_free_square(x):
    return np.sum(x ** 3)


def shifted(x):
    return np.sum(x + GRID)


def plus_a_float64_scalar(x):
    return np.sum(x * x) + np.float64(1.0)


@pytest.mark.parametrize("fn", [shifted, plus_a_float64_scalar])
def test_a_tangent_has_its_values_dtype(fn):
    x = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    value, tangent = ta.jvp(fn)(x, np.ones(3, dtype=np.float32))
    assert np.asarray(tangent).dtype == np.asarray(value).dtype == np.float64


def test_a_tangent_of_another_shape_is_refused():
    x = np.array([0.1, 0.2, 0.3])
    with pytest.raises(ta.TangentADError, match="a tangent of another shape than its argument"):
        ta.jvp(shifted)(x, np.ones((2, 3)))
    hvp = ta.hvp(power_sum, wrt=0)
    hvp(x, 2.0, np.ones(3))
    with pytest.raises(ta.TangentADError, match="a vector of another shape than its argument"):
        hvp(x, 2.0, np.ones((3, 1)))


def test_specialize_of_a_jvp_takes_the_functions_own_arguments():
    x = np.array([0.1, 0.2, 0.3])
    jvp = ta.jvp(shifted).specialize(x)
    assert jvp(x, np.ones(3))[1] == 3.0
