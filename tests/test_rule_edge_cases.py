"""Edge cases of single rules that a bug hunt found wrong, one test per bug:
each gradient against central finite differences (float64), each tangent
against central differences along a random direction, and against autograd
where autograd differentiates the function correctly.

* tril / triu of a vector (broadcast to a square matrix);
* linspace's tangent when only `stop` has one (start's zero tangent has no shape);
* clip with crossed bounds (lo > hi: NumPy returns hi);
* x ** y with y == 0 where x == 0 (the slope is 0, not 0 * inf);
* x[()] of a 0-d array;
* cumprod over an empty axis;
* builtin max / min over an array (the gradient is an array).
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def directional_difference(f, args, wrt, tangents, eps=1e-6):
    """Central difference of `f` at `args` along `tangents` (one per `wrt` position)."""

    def moved(sign):
        shifted = list(args)
        for position, tangent in zip(wrt, tangents):
            shifted[position] = args[position] + sign * eps * tangent
        return f(*shifted)

    return (moved(1.0) - moved(-1.0)) / (2 * eps)


def assert_gradient(f, args, wrt, rtol=1e-6, atol=1e-8):
    """ta.grad w.r.t. each position in `wrt` equals finite differences, shape included."""
    got = ta.grad(f, wrt=wrt)(*args)
    got = got if len(wrt) > 1 else (got,)
    for position, value in zip(wrt, got):
        expected = numerical_gradient(f, list(args), {}, position)
        assert np.shape(value) == np.shape(args[position])
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol)


def assert_tangent(f, args, wrt, rng, rtol=1e-6, atol=1e-8):
    """ta.jvp along a random direction equals the directional difference."""
    tangents = [rng.normal(size=np.shape(args[p])) if np.shape(args[p]) else float(rng.normal()) for p in wrt]
    _, got = ta.jvp(f, wrt=wrt)(*args, *tangents)
    np.testing.assert_allclose(got, directional_difference(f, args, wrt, tangents), rtol=rtol, atol=atol)


# ----- tril / triu of a vector -----


def tril_of_vector(x):
    return np.sum(np.sin(np.tril(x)) * np.arange(16.0).reshape(4, 4))


def triu_of_vector(x):
    return np.sum(np.sin(np.triu(x, 1)) * np.arange(16.0).reshape(4, 4))


def tril_below_of_vector(x):
    return np.sum(np.tril(x, -1) ** 2)


@pytest.mark.parametrize("f", [tril_of_vector, triu_of_vector, tril_below_of_vector], ids=lambda f: f.__name__)
def test_tril_triu_of_a_vector_sum_the_broadcast_rows(f, rng):
    # autograd's own tril/triu rules return the matrix-shaped adjoint here too
    x = rng.uniform(-1.0, 1.0, size=4)
    assert_gradient(f, (x,), (0,))
    assert_tangent(f, (x,), (0,), rng)


def sum_of_tril(x):
    return np.sum(np.tril(x))


def test_tril_of_a_vector_counts_the_rows_each_element_is_in():
    # np.tril(x) has x[j] in rows j..n-1: d sum(tril(x)) / dx = [4, 3, 2, 1]
    grad = ta.grad(sum_of_tril)(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(grad, [4.0, 3.0, 2.0, 1.0])


# ----- linspace: the tangent of stop alone, start of more dimensions -----

WEIGHTS = np.random.default_rng(7).normal(size=(4, 4, 4))


def linspace_default(start, stop):
    return np.sum(np.sin(np.linspace(start, stop, 4)) * WEIGHTS[:4, :2, :3])


def linspace_no_endpoint(start, stop):
    return np.sum(np.sin(np.linspace(start, stop, 4, endpoint=False)) * WEIGHTS[:4, :2, :3])


def linspace_axis_1(start, stop):
    return np.sum(np.sin(np.linspace(start, stop, num=4, axis=1)) * WEIGHTS[:2, :4, :3])


def linspace_last_axis(start, stop):
    return np.sum(np.sin(np.linspace(start, stop, 4, axis=-1)) * WEIGHTS[:2, :3, :4])


def linspace_retstep(start, stop):
    samples, step = np.linspace(start, stop, 3, retstep=True)
    return np.sum(np.sin(samples) * WEIGHTS[:3, :2, :3]) + np.sum(step * step)


LINSPACES = [linspace_default, linspace_no_endpoint, linspace_axis_1, linspace_last_axis, linspace_retstep]


@pytest.mark.parametrize("f", LINSPACES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("wrt", [(0,), (1,), (0, 1)], ids=["start", "stop", "both"])
def test_linspace_tangent_has_the_shape_of_both_endpoints(f, wrt, rng):
    start = rng.uniform(-1.0, 1.0, size=(2, 3))
    stop = rng.uniform(-1.0, 1.0, size=3)
    assert_tangent(f, (start, stop), wrt, rng)
    assert_gradient(f, (start, stop), wrt)
    # and with the shapes the other way round
    assert_tangent(f, (stop, start), wrt, rng)
    assert_gradient(f, (stop, start), wrt)


# ----- clip with crossed bounds -----


def clip_sum(a, lo, hi):
    return np.sum(np.sin(np.clip(a, lo, hi)))


def clip_scalar(a, lo, hi):
    return np.clip(a, lo, hi)


def clip_by_square(x):
    # the lower bound x**2 - 0.5 is above the upper bound 0.5 where |x| > 1
    return np.sum(np.sin(np.clip(x, x ** 2 - 0.5, 0.5)))


def test_clip_with_the_lower_bound_above_the_upper_gives_the_upper(rng):
    # elements: inside, below lo, above hi, and crossed bounds (lo > hi) with
    # `a` below both, between them and above both: NumPy returns hi there
    a = np.array([0.1, -0.9, 0.9, -0.9, 0.25, 0.9])
    lo = np.array([-0.5, -0.5, -0.5, 0.4, 0.4, 0.4])
    hi = np.array([0.5, 0.5, 0.5, 0.1, 0.1, 0.1])
    assert_gradient(clip_sum, (a, lo, hi), (0, 1, 2))
    assert_tangent(clip_sum, (a, lo, hi), (0, 1, 2), rng)
    np.testing.assert_allclose(
        ta.grad(clip_sum)(a, lo, hi), autograd.grad(lambda v: anp.sum(anp.sin(anp.clip(v, lo, hi))))(a)
    )


def test_clip_of_scalars_has_float_slopes():
    for a, lo, hi, expected in [
        (0.0, 2.0, 1.0, (0.0, 0.0, 1.0)),  # crossed bounds: hi
        (1.5, 0.0, 1.0, (0.0, 0.0, 1.0)),
        (-1.0, 0.0, 1.0, (0.0, 1.0, 0.0)),
        (0.5, 0.0, 1.0, (1.0, 0.0, 0.0)),
    ]:
        grad = ta.grad(clip_scalar, wrt=(0, 1, 2))(a, lo, hi)
        assert grad == expected
        assert all(isinstance(g, float) and not isinstance(g, (bool, np.bool_)) for g in grad)
        _, tangent = ta.jvp(clip_scalar, wrt=(0, 1, 2))(a, lo, hi, 1.0, 10.0, 100.0)
        assert tangent == np.dot(expected, [1.0, 10.0, 100.0])


def test_clip_by_a_crossed_bound_of_the_argument(rng):
    x = np.array([0.3, 1.5, -1.4])
    assert_gradient(clip_by_square, (x,), (0,))
    assert_tangent(clip_by_square, (x,), (0,), rng)
    jacobians = [ta.jacobian(clip_by_square, mode=mode)(x) for mode in ("forward", "reverse")]
    for jacobian in jacobians:
        np.testing.assert_allclose(jacobian, numerical_gradient(clip_by_square, [x], {}, 0), atol=1e-8)


# ----- x ** y with y == 0 where x == 0 -----

COEFFICIENTS = np.array([1.0, 2.0, 3.0, 4.0])


def polynomial(x):
    return np.sum(COEFFICIENTS * x ** np.arange(4.0))  # 1 + 2x + 3x^2 + 4x^3


def polynomial_power(x):
    return np.sum(COEFFICIENTS * np.power(x, np.arange(4.0)))


def polynomial_float_power(x):
    return np.sum(COEFFICIENTS * np.float_power(x, np.arange(4.0)))


def power_of_variables(x, y):
    return np.sum(np.sin(x ** y))


def scalar_power(x, y):
    return x ** y + pow(x, y)


def constant_zero_power(x):
    return x ** 0.0


def square(x):
    return np.sum(x ** 2)


def cube(x):
    return np.sum(x ** 3.0)


def autograd_polynomial(x):
    return anp.sum(COEFFICIENTS * x ** anp.arange(4.0))


def elementwise_polynomial(x):
    return np.sum(np.sin(x[:, None] ** np.arange(4.0)) * COEFFICIENTS)


def elementwise_polynomial_power(x):
    return np.sum(np.sin(np.power(x[:, None], np.arange(4.0))) * COEFFICIENTS)


def elementwise_polynomial_float_power(x):
    return np.sum(np.sin(np.float_power(x[:, None], np.arange(4.0))) * COEFFICIENTS)


@pytest.mark.parametrize("f", [polynomial, polynomial_power, polynomial_float_power], ids=lambda f: f.__name__)
def test_power_with_a_zero_exponent_has_a_zero_slope_at_zero(f, rng):
    # d/dx x**0 is 0 everywhere, also at x == 0 (where x**(0 - 1) is inf)
    assert_gradient(f, (0.0,), (0,))
    assert_tangent(f, (0.0,), (0,), rng)
    assert ta.grad(f)(0.0) == pytest.approx(autograd.grad(autograd_polynomial)(0.0))
    assert ta.hessian(f)(0.0) == pytest.approx(autograd.hessian(autograd_polynomial)(0.0))


@pytest.mark.parametrize(
    "f", [elementwise_polynomial, elementwise_polynomial_power, elementwise_polynomial_float_power],
    ids=lambda f: f.__name__,
)
def test_power_with_a_zero_exponent_has_a_zero_slope_at_zero_elementwise(f, rng):
    x = np.array([0.0, 0.5, -0.5])
    assert_gradient(f, (x,), (0,))
    assert_tangent(f, (x,), (0,), rng)


def test_power_of_variables_at_a_zero_base(rng):
    # y == 0 at x == 0: slope 0 w.r.t. x; w.r.t. y, log(x) is taken as 0 where
    # x <= 0, as autograd does at x == 0
    x = np.array([0.0, 0.0, 0.7, 1.3])
    y = np.array([0.0, 2.0, 0.0, 1.5])
    grad = ta.grad(power_of_variables, wrt=(0, 1))(x, y)
    expected = autograd.grad(lambda a, b: anp.sum(anp.sin(a ** b)), argnum=(0, 1))(x, y)
    np.testing.assert_allclose(grad[0], expected[0])
    np.testing.assert_allclose(grad[1], expected[1])
    np.testing.assert_allclose(grad[0], [0.0, 0.0, 0.0, np.cos(1.3 ** 1.5) * 1.5 * 1.3 ** 0.5])
    _, tangent = ta.jvp(power_of_variables, wrt=(0, 1))(x, y, np.ones(4), np.ones(4))
    assert tangent == pytest.approx(np.sum(grad[0]) + np.sum(grad[1]))


def test_power_of_python_floats_with_a_zero_exponent_at_zero():
    assert ta.grad(constant_zero_power)(0.0) == 0.0
    assert ta.grad(scalar_power, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    assert ta.grad(scalar_power, wrt=(0, 1))(0.0, 2.0) == (0.0, 0.0)
    assert ta.jvp(scalar_power, wrt=(0, 1))(0.0, 0.0, 1.0, 1.0)[1] == 0.0


def test_power_by_a_constant_exponent_stays_plain_arithmetic():
    x = np.array([1.0, 2.0])
    for f in (square, cube):
        for source in (ta.grad(f).source(x), ta.jvp(f).source(x)):
            derivative = [line for line in source.splitlines() if line.strip().startswith(("d_", "t_"))]
            assert derivative and not any("**" in line for line in derivative), source


# ----- x[()] of a 0-d array -----


def index_0d(x):
    return x[()] * 2.0


def index_0d_many(x):
    return x[()] * 2.0 + np.sum(x[None] * 3.0) + np.sum(x[...] ** 2)


def test_indexing_a_0d_array(rng):
    for x in (np.array(3.0), np.array(-0.5)):
        assert ta.grad(index_0d)(x) == 2.0
        assert ta.grad(index_0d)(x) == autograd.grad(lambda v: v[()] * 2.0)(x)
        assert ta.jvp(index_0d)(x, np.array(1.0))[1] == 2.0
        assert_gradient(index_0d_many, (x,), (0,))
        assert np.shape(ta.grad(index_0d_many)(x)) == ()


# ----- cumprod over an empty axis -----


def cumprod_axis_0(x):
    return np.sum(np.cumprod(x, axis=0))


def cumprod_flat(x):
    return np.sum(np.cumprod(x))


@pytest.mark.parametrize("f", [cumprod_axis_0, cumprod_flat], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(0, 3), (0,)], ids=str)
def test_cumprod_over_an_empty_axis_has_an_empty_gradient(f, shape):
    x = np.zeros(shape)
    grad = ta.grad(f)(x)
    assert grad.shape == shape
    assert ta.jvp(f)(x, np.zeros(shape))[1] == 0.0


# ----- builtin max / min over an array -----


def builtin_extremes(x):
    return max(x) * 2.0 + min(x) ** 2


def test_builtin_max_min_of_an_array_give_an_array(rng):
    x = np.array([1.0, 3.0, 2.0, -1.5])
    grad = ta.grad(builtin_extremes)(x)
    assert isinstance(grad, np.ndarray) and grad.shape == x.shape
    np.testing.assert_allclose(grad, numerical_gradient(builtin_extremes, [x], {}, 0), atol=1e-8)
    np.testing.assert_allclose(grad, autograd.grad(builtin_extremes)(x))
    assert_tangent(builtin_extremes, (x,), (0,), rng)
    # a list keeps its list of adjoints
    assert list(ta.grad(builtin_extremes)([1.0, 3.0, 2.0])) == [2.0, 2.0, 0.0]


def array_of_ndmin_two(x):
    return np.sum(np.array(x, ndmin=2).T * x)


def test_the_tangent_of_array_keeps_ndmin():
    # the tangent was np.array(t_x): shape (3,) beside a value of shape (1, 3)
    x, t = np.array([1.0, 2.0, 3.0]), np.array([1.0, -0.5, 0.25])
    value, tangent = ta.jvp(array_of_ndmin_two)(x, t)
    assert value == pytest.approx(np.sum(x) ** 2)
    assert tangent == pytest.approx(2 * np.sum(x) * np.sum(t))
    np.testing.assert_allclose(ta.grad(array_of_ndmin_two)(x), np.full(3, 2 * np.sum(x)))


def transposed_zero_d(b):
    return np.sum(b.T * 3.0)


def test_a_zero_d_arrays_spread_adjoint_is_a_numpy_number():
    # unreduce gave the Python float 1.0, whose .T does not exist
    assert ta.grad(transposed_zero_d)(np.array(0.7)) == 3.0
    assert ta.grad(transposed_zero_d, optimize=False)(np.array(0.7)) == 3.0
