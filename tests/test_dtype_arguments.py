"""A ``dtype=`` argument decides the derivative before the rule does.

``np.sum(x, dtype=int)`` truncates to integers: piecewise constant, its
derivative zero. The rules took `dtype` and ignored it (reverse mode gave the
float derivative) or passed it on to the tangent (forward mode truncated the
tangent). Now an integer or boolean dtype known when the code is generated
makes the call's derivative zero, a float or complex one leaves the rule as
it is, and one known only at run time (``dtype=k.dtype``) puts the rule's
result through `cast_adjoint`.
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient

K = np.array([1, 2, 3])


def sum_int(x):
    return np.sum(x * 3.0, dtype=int) * 1.0 + np.sum(x ** 2)


def cumsum_int(x):
    return np.sum(np.cumsum(x, dtype=np.int64) * x)


def mean_method_int(x):
    return x.mean(dtype="int32") * x[0] + np.sum(x)


def prod_bool(x):
    return np.prod(x, dtype=bool) * np.sum(np.sin(x))


def linspace_int(x):
    return np.sum(np.linspace(x[0], x[1] * 4.0, 4, dtype=int) * x[2])


def full_int(x):
    return np.sum(np.full(3, x[1] * 5.0, dtype=int) * x)


def trace_int(x):
    return np.trace(np.outer(x, x) * 2.0, dtype=int) * 1.0 + np.sum(x ** 3)


def sum_float32(x):
    return float(np.sum(x * x, dtype=np.float32))


def sum_dtype_of_a_variable(x):
    return np.sum(x * x, dtype=x.dtype) + np.sum(x * 2.5, dtype=K.dtype)


def cumsum_dtype_of_a_variable(x):
    return np.sum(np.cumsum(x * x, dtype=x.dtype)) + np.sum(np.cumsum(x, dtype=K.dtype) * x)


CASES = [sum_int, cumsum_int, mean_method_int, prod_bool, linspace_int, full_int, trace_int,
         sum_float32, sum_dtype_of_a_variable, cumsum_dtype_of_a_variable]
X = np.array([0.41, 1.73, 2.29])  # away from the jumps of the truncations


@pytest.mark.parametrize("fn", CASES)
@pytest.mark.parametrize("optimize", [True, False])
def test_gradient(fn, optimize):
    # float32 sums: a wider step, exact for this quadratic up to rounding
    rtol, eps = (1e-4, 1e-2) if fn is sum_float32 else (1e-7, 1e-5)
    got = ta.grad(fn, optimize=optimize)(X)
    np.testing.assert_allclose(got, numerical_gradient(fn, [X], {}, 0, eps=eps), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("fn", CASES)
def test_tangent(fn):
    t = np.array([1.0, -2.0, 0.5])
    value, tangent = ta.jvp(fn)(X, t)
    assert value == pytest.approx(fn(X))
    rtol, eps = (1e-4, 1e-2) if fn is sum_float32 else (1e-7, 1e-5)
    expected = (fn(X + eps * t) - fn(X - eps * t)) / (2 * eps)
    assert tangent == pytest.approx(expected, rel=rtol, abs=1e-6)


def test_an_integer_dtype_leaves_no_adjoint_code():
    source = ta.grad(sum_int).source(X)
    code = [line for line in source.splitlines() if not line.strip().startswith("#")]
    assert code == ["def d_sum_int(x):", "    d_x = 2.0 * x", "    return d_x"]


def test_a_run_time_dtype_goes_through_cast_adjoint():
    source = ta.grad(sum_dtype_of_a_variable).source(X)
    assert "cast_adjoint(" in source


# ----- a differentiated value written into an integer array is truncated -----


def written_into_zeros_of_int(x):
    y = np.zeros(2, dtype=int)
    y[0] = x[0]
    return np.sum(y * x)


def written_into_arange(x):
    y = np.arange(3)
    y[1] = x[1] * 2.0
    return np.sum(y * x * x)


def written_into_a_cast_copy(x):
    y = (x * 3.0).astype(np.int64)
    y[2] += x[0]
    return np.sum(y * np.sin(x))


def written_into_an_integer_argument(x, k):
    j = k.copy()
    j[0] = x[0] * 4.0
    return np.sum(j * x)


@pytest.mark.parametrize("fn", [written_into_zeros_of_int, written_into_arange, written_into_a_cast_copy])
def test_a_write_into_an_integer_array_has_no_derivative(fn):
    x = np.array([3.55, 2.41, 1.27])[: 2 if fn is written_into_zeros_of_int else 3]
    want = numerical_gradient(fn, [x], {}, 0, eps=1e-6)
    np.testing.assert_allclose(ta.grad(fn)(x), want, rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(ta.grad(fn, optimize=False)(x), want, rtol=1e-7, atol=1e-6)
    t = np.linspace(1.0, -0.5, x.size)
    _, tangent = ta.jvp(fn)(x, t)
    assert tangent == pytest.approx(float(want @ t), rel=1e-7, abs=1e-6)


def test_a_write_into_a_copy_of_an_integer_argument_has_no_derivative():
    x = np.array([3.55, 2.41])
    g = ta.grad(written_into_an_integer_argument)(x, np.array([1, 2]))
    k = np.array([int(3.55 * 4.0), 2])
    np.testing.assert_allclose(g, k)  # only the product's own factor


def cube_sum(x):
    return np.sum(x * x * x)


def test_an_integer_array_argument_has_its_derivative_in_every_mode():
    # reverse mode treats an integer argument as real-valued; forward mode
    # (jvp, hvp, hessian) must too (it dropped its tangent: 0.0)
    x, t = np.array([1, 2, 3]), np.array([1.0, -1.0, 0.5])
    np.testing.assert_allclose(ta.grad(cube_sum)(x), 3.0 * x ** 2)
    assert ta.jvp(cube_sum)(x, t)[1] == pytest.approx(3.0 * x ** 2 @ t)
    np.testing.assert_allclose(ta.hvp(cube_sum)(x, t), 6.0 * x * t)
    np.testing.assert_allclose(ta.hessian(cube_sum)(x), np.diag(6.0 * x))


def square_sum(x):
    return np.sum(x * x)


def test_an_integer_tangent_does_not_wrap_around():
    # the hvp is `t_x * 2`: in int8, 200 would wrap around to -56
    x = np.array([1.0, 1.0])
    for optimize in (True, False):
        got = ta.hvp(square_sum, optimize=optimize)(x, np.array([100, 1], dtype=np.int8))
        np.testing.assert_allclose(got, [200.0, 2.0])
        assert got.dtype == np.float64


def test_a_vector_output_is_refused_at_the_user_line_in_every_mode():
    def vector(x):
        return x * 2.0

    x = np.array([1.0, 2.0])
    for call in (lambda: ta.grad(vector)(x), lambda: ta.hvp(vector)(x, x), lambda: ta.hessian(vector)(x)):
        with pytest.raises(ta.TangentADError, match="not a scalar") as err:
            call()
        assert "test_dtype_arguments.py" in str(err.value)


DT = np.float64  # a global the program may rebind


def cast_by_global(x):
    return np.sum(x.astype(DT) * x)


def test_a_dtype_held_by_a_global_is_read_when_the_derivative_runs(monkeypatch):
    # the float cast's derivative, made while DT was float64, must not outlive it
    x = np.array([0.3, -0.7, 1.1])
    df = ta.grad(cast_by_global)
    np.testing.assert_allclose(df(x), 2 * x)
    monkeypatch.setitem(globals(), "DT", np.int64)
    np.testing.assert_allclose(df(x), x.astype(np.int64))  # d/dx sum(int(x) * x)
    np.testing.assert_allclose(ta.jvp(cast_by_global)(x, np.ones(3))[1], np.sum(x.astype(np.int64)))
