"""Rules at their edges: integer results, 0-d inputs with an axis, a zero
standard deviation, casts, float32 slopes, empty differences, ``out=None``.

Each case was wrong before (a value, a shape or a dtype) or raised."""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def full_like_of_integers(x):
    return np.sum(np.full_like(np.arange(6).reshape(2, 3), x) * 1.0)


def padded_integers(x):
    return np.sum(np.pad(np.arange(3), 1, constant_values=x) * 1.0)


@pytest.mark.parametrize("fn", [full_like_of_integers, padded_integers])
def test_a_fill_value_cast_to_integers_has_no_derivative(fn):
    assert ta.grad(fn)(1.5) == 0.0
    assert ta.jvp(fn)(1.5, 1.0)[1] == 0.0


def max_along_the_last_axis(x):
    return np.max(x, axis=-1) * 2.0


def cumsum_along_axis_zero(x):
    return np.sum(np.cumsum(x, axis=0)) * 2.0


@pytest.mark.parametrize("fn", [max_along_the_last_axis, cumsum_along_axis_zero])
@pytest.mark.parametrize("x", [np.array(0.5), 0.5])
def test_a_reduction_with_an_axis_of_a_0d_value(fn, x):
    got = ta.grad(fn)(x)
    assert np.shape(got) == () and got == 2.0


def std_of_rows(x):
    return np.sum(np.std(x, axis=0)) + np.sum(x)


def test_a_zero_standard_deviation_has_slope_zero():
    x = np.array([[0.5, -1.0, 2.0]])  # one row: the std over axis 0 is 0
    np.testing.assert_array_equal(ta.grad(std_of_rows)(x), np.ones((1, 3)))
    assert ta.jvp(std_of_rows)(x, np.ones((1, 3)))[1] == 3.0


def cast_down(x):
    return np.sum(np.sin(x.astype(np.float32)))


def summed_in_float32(x):
    return np.sin(np.sum(x, dtype=np.float32))


def as_float32_array(x):
    return np.sum(np.sin(np.asarray(x, dtype=np.float32)))


@pytest.mark.parametrize("fn, slope", [
    (cast_down, lambda x: np.cos(x.astype(np.float32))),
    (summed_in_float32, lambda x: np.cos(np.sum(x, dtype=np.float32)) * np.ones(4)),
    (as_float32_array, lambda x: np.cos(x.astype(np.float32))),
])
def test_a_cast_down_gives_the_gradient_in_the_arguments_dtype(fn, slope):
    x = np.linspace(0.1, 0.9, 4)
    got = ta.grad(fn)(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, slope(x), rtol=1e-6)
    assert np.asarray(ta.jvp(fn)(x, np.ones(4))[1]).dtype == np.float32  # the result's dtype


@pytest.mark.parametrize("ord", [1, -1, np.inf, -np.inf])
def test_a_float32_matrix_norm_keeps_float32(ord):
    def norm(x):
        return np.linalg.norm(x, ord)
    x = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    assert ta.grad(norm)(x).dtype == np.float32


def fmax_of(a, b):
    return np.fmax(a, b) * np.fmin(a, b)


def test_fmax_and_fmin_of_float32_scalars_keep_float32():
    a, b = np.float32(0.5), np.float32(2.0)
    _, tangent = ta.jvp(fmax_of, wrt=(0, 1))(a, b, np.float32(1.0), np.float32(1.0))
    assert np.asarray(tangent).dtype == np.float32 and tangent == np.float32(2.5)


def diff_of_one(x):
    return np.sum(np.diff(x)) + np.sum(x * x)


def diff_three_times(x):
    return np.sum(np.diff(x, n=3)) + np.sum(x * x)


@pytest.mark.parametrize("fn, x", [
    (diff_of_one, np.array([0.5])), (diff_of_one, np.ones((2, 1))), (diff_three_times, np.array([0.5, 1.5])),
])
def test_a_difference_of_no_elements(fn, x):
    np.testing.assert_allclose(ta.grad(fn)(x), 2 * x)


def out_none_by_position(x):
    return np.sum(x * x, None, None, None)


def test_out_none_by_position_is_no_out_argument():
    np.testing.assert_allclose(ta.grad(out_none_by_position)(np.ones(3)), 2.0 * np.ones(3))
