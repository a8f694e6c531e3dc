"""The gradients a derivative returns are the caller's arrays.

Each is a new, writable array, sharing memory with no other gradient and
with no argument: ``dx *= 0.5`` must not change ``dy``. Two cases broke this:
the adjoints of ``x + y`` became one name in the optimised code, returned
twice (``return d_t0, d_t0``), and the gradient of ``np.sum(x)`` was the
read-only broadcast view ``unreduce(1.0, x)``, so ``g *= lr`` raised.
"""

import numpy as np
import pytest

import tangent_ad as ta


def sum_of_squares_of_a_sum(x, y):
    return np.sum((x + y) ** 2)


def plain_sum(x, y):
    return np.sum(x) + np.sum(y * 0.0)


def mean_plus_constant(x, y):
    return np.mean(x) + 2.0 * np.mean(y)


def branch_spread(x, y):
    if np.sum(x) > 0:
        s = np.sum(x + y)
    else:
        s = np.sum(x * y)
    return s


CASES = [sum_of_squares_of_a_sum, plain_sum, mean_plus_constant, branch_spread]


@pytest.mark.parametrize("fn", CASES)
@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("mode", ["grad", "value_and_grad"])
def test_gradients_are_new_writable_arrays(fn, optimize, mode):
    x, y = np.array([0.5, 1.5, -0.2]), np.array([0.3, -0.1, 0.8])
    pristine = x.copy(), y.copy()
    derivative = getattr(ta, mode)(fn, wrt=(0, 1), optimize=optimize)
    result = derivative(x, y)
    dx, dy = result[1] if mode == "value_and_grad" else result
    expected = dx.copy(), dy.copy()
    for g in (dx, dy):
        assert g.flags.writeable
        assert not np.shares_memory(g, x) and not np.shares_memory(g, y)
    assert not np.shares_memory(dx, dy)
    dx *= 0.5  # a caller's update of one gradient
    dy -= 1.0
    np.testing.assert_array_equal(dx, expected[0] * 0.5)
    np.testing.assert_array_equal(dy, expected[1] - 1.0)
    np.testing.assert_array_equal(x, pristine[0])
    np.testing.assert_array_equal(y, pristine[1])


def test_a_name_returned_twice_is_copied_once():
    x, y = np.ones(3), np.ones(3)
    source = ta.grad(sum_of_squares_of_a_sum, wrt=(0, 1)).source(x, y)
    assert source.rstrip().endswith("return d_t0, copy(d_t0)")


def test_an_adjoint_rebound_after_its_spread_is_not_copied():
    def spread_then_scaled(x):
        s = np.sum(x)
        return np.sum(s * np.sin(x))

    source = ta.grad(spread_then_scaled).source(np.ones(3))
    assert "copy(" not in source


@pytest.mark.parametrize("fn", ["sum", "mean", "sum_axis", "max_axis"])
def test_float32_arguments_get_float32_spreads(fn):
    # unreduce(1.0, x) spread the Python float as a float64 array
    def total(x):
        return np.sum(x * 2.0)

    def mean(x):
        return np.mean(x)

    def sum_axis(x):
        return np.sum(np.sum(x, axis=0) ** 2)

    def max_axis(x):
        return np.sum(np.max(x * x, axis=1)) + np.max(x)

    f = {"sum": total, "mean": mean, "sum_axis": sum_axis, "max_axis": max_axis}[fn]
    x = np.linspace(0.5, 1.5, 6, dtype=np.float32).reshape(2, 3)
    g = ta.grad(f)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, ta.grad(f)(x.astype(np.float64)), rtol=1e-6)


def identity(x):
    return x


def twice(x):
    return x, x


def test_a_vjp_never_returns_the_callers_seed():
    x, seed = np.arange(3.0), np.ones(3)
    d = ta.vjp(identity)(x, seed)
    assert not np.shares_memory(d, seed)
    d *= 10.0
    np.testing.assert_array_equal(seed, np.ones(3))


def test_a_jvp_never_returns_the_callers_tangent():
    x, t = np.arange(3.0), np.ones(3)
    value, tangents = ta.jvp(twice)(x, t)
    assert not any(np.shares_memory(tangent, t) for tangent in tangents)
    assert not np.shares_memory(tangents[0], tangents[1])
    np.testing.assert_array_equal(tangents[0], t)


def float32_maximum(x):
    return np.sum(np.maximum(x, 0.8) + np.minimum(x * x, 1.0) + np.fmax(x, 0.9) + np.fmin(x, 1.1))


def float32_logarithms(x):
    return np.sum(np.log2(x) + np.log10(x) + np.exp2(x) + np.power(0.7, x) + 0.7 ** x)


def float32_reductions(x):
    return np.nanmean(x) + np.linalg.norm(x.ravel(), np.inf) + np.trace(x[:, :2]) + max(x[0, 0], x[1, 1])


def float32_scalar(s):
    return np.sum(s * 2.0)


@pytest.mark.parametrize("fn", [float32_maximum, float32_logarithms, float32_reductions])
def test_float32_arguments_get_float32_derivatives_in_every_mode(fn):
    # masks, log(2.0) and counts were float64 NumPy values, which promote
    # (no element ties with a bound: float32 and float64 would differ there)
    x = np.linspace(0.55, 1.45, 6, dtype=np.float32).reshape(2, 3)
    t = np.full_like(x, 0.5)
    reference = ta.grad(fn)(x.astype(np.float64))
    for optimize in (True, False):
        g = ta.grad(fn, optimize=optimize)(x)
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, reference, rtol=1e-5)
        value, tangent = ta.jvp(fn, optimize=optimize)(x, t)
        assert np.result_type(tangent) == np.float32
        assert tangent == pytest.approx(float(np.sum(reference * t)), rel=1e-5)
        assert ta.hvp(fn, optimize=optimize)(x, t).dtype == np.float32


def test_a_float32_number_gets_a_float32_derivative():
    assert ta.grad(float32_scalar)(np.float32(0.7)).dtype == np.float32


def linear_in_a_bias(w, b, x):
    return np.sum(x * w) + b


@pytest.mark.parametrize("b", [np.float32(0.5), np.array(0.5, np.float32), np.array(1, np.int32)])
def test_a_bias_entering_linearly_gets_a_derivative_of_its_type(b):
    # its gradient is the seed, a Python 1.0, or a folded constant
    w, x = np.ones(3, np.float32), np.arange(3, dtype=np.float32)
    expected = np.float64 if b.dtype.kind == "i" else np.float32
    for mode in (ta.grad, ta.value_and_grad):
        result = mode(linear_in_a_bias, wrt=(0, 1))(w, b, x)
        d_w, d_b = result[1] if mode is ta.value_and_grad else result
        assert type(d_b) is type(b) if b.dtype.kind == "f" else isinstance(d_b, np.ndarray)
        assert d_b.dtype == expected and d_b == 1.0
        np.testing.assert_array_equal(d_w, x)


def rebinds_its_parameter(x, s):
    s = 2.0
    return np.sum(x * s)


def test_a_parameter_rebound_to_a_number_gets_zeros_of_its_own_shape():
    # the generic variant took the rebound `s` for a number: 0.0
    x, s = np.ones(3), np.ones(3)
    df = ta.grad(rebinds_its_parameter, wrt=(0, 1))
    for d_x, d_s in (df(x, s), df.generic.function(x, s)):
        np.testing.assert_array_equal(d_x, 2.0 * np.ones(3))
        assert np.shape(d_s) == (3,) and not np.any(d_s)
    assert ta.grad(rebinds_its_parameter, wrt=1)(x, 1.5) == 0.0


def returns_a_view_of_a_restored_array(x):
    y = x * 1.0
    s = np.sum(np.sin(y))
    y[0] = y[0] * 3.0 + s
    return y[0, ...]  # a 0-d view of y, whose element the sweep restores


def test_a_value_that_views_an_array_the_sweep_restores_is_kept_as_it_was():
    x = np.array([0.3, -0.7, 1.2])
    expected = returns_a_view_of_a_restored_array(x.copy())
    value, _ = ta.value_and_grad(returns_a_view_of_a_restored_array)(x.copy())
    _, kept = ta.grad(returns_a_view_of_a_restored_array, preserve_result=True)(x.copy())
    assert value == pytest.approx(expected) and kept == pytest.approx(expected)


def squared(x):
    return x * x


@pytest.mark.parametrize("x", [2, np.int64(2), np.array(2)])
def test_an_integer_argument_gets_a_float_gradient(x):
    # (`d_x = x * 2` is an integer computation: 4 came back)
    got = ta.grad(squared)(x)
    assert got == 4.0
    assert isinstance(got, float) or got.dtype == np.float64
