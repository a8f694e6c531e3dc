"""The public API: wrt by position and name, result-preserving variants,
vjp, the decorator, source, and checks of inputs."""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def poly(x, y, scale=2.0):
    return scale * np.sum(x * x * y)


def test_wrt_by_position_and_name_agree(rng):
    x, y = rng.normal(size=3), rng.normal(size=3)
    by_position = ta.grad(poly, wrt=(0, 1))(x, y)
    by_name = ta.grad(poly, wrt=("x", "y"))(x, y)
    for a, b in zip(by_position, by_name):
        np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(by_position[0], 4.0 * x * y)
    np.testing.assert_allclose(by_position[1], 2.0 * x * x)


def test_single_wrt_returns_one_gradient(rng):
    x, y = rng.normal(size=3), rng.normal(size=3)
    g = ta.grad(poly, wrt="y")(x, y)
    assert isinstance(g, np.ndarray)
    np.testing.assert_allclose(g, 2.0 * x * x)


def test_default_and_keyword_arguments(rng):
    x, y = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(ta.grad(poly)(x, y), 4.0 * x * y)
    np.testing.assert_allclose(ta.grad(poly)(x, y, scale=3.0), 6.0 * x * y)
    np.testing.assert_allclose(ta.grad(poly, wrt="scale")(x, y, 3.0), np.sum(x * x * y))


def test_preserve_result_and_value_and_grad(rng):
    x, y = rng.normal(size=3), rng.normal(size=3)
    grads, value = ta.grad(poly, preserve_result=True)(x, y)
    assert np.isclose(value, poly(x, y))
    np.testing.assert_allclose(grads, 4.0 * x * y)
    value2, grads2 = ta.value_and_grad(poly)(x, y)
    assert value2 == value
    np.testing.assert_allclose(grads2, grads)


def elementwise(x, W):
    return np.tanh(W @ x)


def test_vjp_of_vector_output(rng):
    x, W = rng.normal(size=3), rng.normal(size=(4, 3))
    dy = rng.normal(size=4)
    d_x, d_W = ta.vjp(elementwise, wrt=(0, 1))(x, W, dy)
    dz = dy * (1.0 - np.tanh(W @ x) ** 2)
    np.testing.assert_allclose(d_x, W.T @ dz)
    np.testing.assert_allclose(d_W, np.outer(dz, x))


def test_vjp_with_defaults(rng):
    x, y = rng.normal(size=3), rng.normal(size=3)
    d_x = ta.vjp(poly)(x, y, 1.0)
    np.testing.assert_allclose(d_x, 4.0 * x * y)


def test_grad_of_vector_output_refuses_with_vjp_hint(rng):
    with pytest.raises(ta.TangentADError) as info:
        ta.grad(elementwise)(rng.normal(size=3), rng.normal(size=(4, 3)))
    message = str(info.value)
    assert "not a scalar" in message and "ta.vjp" in message and "test_api.py" in message


@ta.differentiate
def decorated(x):
    return np.sum(np.sin(x) * x)


@ta.differentiate(wrt=("b",))
def decorated_wrt(a, b):
    return a * b * b


def test_differentiate_decorator(rng):
    x = rng.normal(size=4)
    assert decorated(x) == np.sum(np.sin(x) * x)
    np.testing.assert_allclose(decorated.grad(x), np.cos(x) * x + np.sin(x))
    value, g = decorated.value_and_grad(x)
    assert np.isclose(value, decorated(x))
    assert decorated_wrt.grad(2.0, 3.0) == 12.0
    np.testing.assert_allclose(decorated.vjp(x, 1.0), g)


def test_python_float_arguments_and_specialisation():
    def cube(x):
        return x * x * x

    df = ta.grad(cube)
    assert df(2.0) == 12.0
    np.testing.assert_allclose(df(np.float64(2.0)), 12.0)
    scalar_source = ta.source(df, 2.0)
    assert "unbroadcast" not in scalar_source
    assert "unbroadcast" in ta.source(df)


def test_lambda():
    df = ta.grad(lambda x: x ** 3 + 2.0 * x)
    assert df(2.0) == 14.0


def test_wrt_errors():
    with pytest.raises(ta.TangentADError, match="no argument 'z'"):
        ta.grad(poly, wrt="z")
    with pytest.raises(ta.TangentADError, match="out of range"):
        ta.grad(poly, wrt=5)
    with pytest.raises(ta.TangentADError, match="twice"):
        ta.grad(poly, wrt=(0, "x"))


def test_gradient_wrt_argument_that_does_not_matter(rng):
    def f(x, y):
        return np.sum(x ** 2)

    x, y = rng.normal(size=3), rng.normal(size=(2, 2))
    d_x, d_y = ta.grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(d_x, 2 * x)
    assert d_y.shape == y.shape and not d_y.any()


def test_check_grad_reports_mismatch(rng):
    def f(x):
        return np.sum(np.floor(x) * x)

    x = np.array([0.5, 1.5, 1.0])  # floor jumps at 1.0
    with pytest.raises(ta.GradientCheckError) as info:
        ta.check_grad(f, x)
    assert "index (2,)" in str(info.value) and "MISMATCH" in str(info.value)
    report = ta.check_grad(f, np.array([0.5, 1.5]))
    assert "ok" in report


def test_specialize_returns_the_plain_generated_function(rng):
    def f(x, w, scale=2.0):
        return scale * np.sum(np.tanh(x @ w))

    x, w = rng.standard_normal(3), rng.standard_normal((3, 2))
    df = ta.grad(f, wrt=(0, 1))
    plain = df.specialize(x, w)
    assert plain.__name__ == "d_f"
    for got, want in zip(plain(x, w, 2.0), df(x, w)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    t = 1.0 - np.tanh(x @ w) ** 2
    np.testing.assert_allclose(plain(x, w, 2.0)[0], 2.0 * w @ t, rtol=1e-12)
    # vjp and jvp: the trailing seed / tangents are passed and ignored for the key
    dv = ta.vjp(lambda v: np.sin(v) * 2)
    seed = rng.standard_normal(3)
    np.testing.assert_allclose(dv.specialize(x, seed)(x, seed), 2 * np.cos(x) * seed, rtol=1e-12)
    jv = ta.jvp(f, wrt=(0, 1))
    value, tangent = jv.specialize(x, w, x, w)(x, w, 2.0, x, w)
    np.testing.assert_allclose(value, f(x, w), rtol=1e-12)
    np.testing.assert_allclose(tangent, jv(x, w, x, w)[1], rtol=1e-12)


class _Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def loss(self, x):
        return np.sum(np.tanh(x @ self.W + self.b) ** 2)


def _object_loss(model, x):
    return model.loss(x)


def test_check_grad_walks_containers_and_objects(rng):
    def list_loss(params, x):
        W, b = params
        return np.sum(np.sin(x @ W + b))

    def dict_loss(p, x):
        return np.sum((x @ p["W"]) ** 2) * p["s"]

    x = rng.standard_normal((3, 4))
    W, b = rng.standard_normal((4, 2)), rng.standard_normal(2)
    report = ta.check_grad(list_loss, [W, b], x)
    assert report.splitlines()[0].startswith("  params[0]: ok") and "params[1]: ok" in report
    assert "params[0]: ok" in ta.check_grad(list_loss, (W, b), x)
    report = ta.check_grad(dict_loss, {"W": W, "s": 0.7}, x)
    assert "p['W']: ok" in report and "p['s']: ok" in report
    report = ta.check_grad(_object_loss, _Affine(W, b), x)
    assert "model.W: ok" in report and "model.b: ok" in report


def test_check_grad_finds_a_mismatch_inside_a_container():
    def f(params):
        return np.sum(np.floor(params[1]) * params[1]) + np.sum(params[0] ** 2)

    with pytest.raises(ta.GradientCheckError) as info:
        ta.check_grad(f, [np.array([0.5, 2.0]), np.array([0.5, 1.0])])  # floor jumps at 1.0
    message = str(info.value)
    assert "params[0]: ok" in message and "params[1]: MISMATCH" in message and "index (1,)" in message


def shifted_in_place(x):
    s = x
    s += 1.0
    return np.sum(s)


def test_repr_of_a_derivative_generated_at_its_first_call():
    df = ta.grad(shifted_in_place)  # (refused only once the arguments are known)
    assert repr(df) == "<tangent_ad derivative d_shifted_in_place of shifted_in_place>"


def index_a_zero_d_array(x):
    return x[()] * 2.0 + x * x + np.sum(x[None] * 3.0) + x[...] * 0.5


def test_a_python_number_is_the_tangent_of_a_zero_d_array():
    x = np.array(3.0)
    for tangent in (1.0, 1, np.float64(1.0), np.array(1.0)):
        value, t_value = ta.jvp(index_a_zero_d_array)(x, tangent)
        assert value == 25.5 and t_value == 11.5, tangent
        assert ta.hvp(index_a_zero_d_array)(x, tangent) == 2.0


@pytest.mark.parametrize("optimize", [True, False])
def test_indexing_a_zero_d_array_after_arithmetic_on_it(optimize):
    # x * x of a 0-d array is a NumPy scalar: its adjoint takes no `d_x[()] += g`
    x = np.array(3.0)
    assert ta.grad(index_a_zero_d_array, optimize=optimize)(x) == 11.5


def cubic_of_a_zero_d(x):
    return x * x * 3.0 + np.sin(x)


def looped_over_a_zero_d(x):
    y = x
    for i in range(3):
        y = y * x + 1.0
    return y


@pytest.mark.parametrize("fn", [cubic_of_a_zero_d, looped_over_a_zero_d])
def test_the_gradient_of_a_zero_d_array_is_a_zero_d_array(fn):
    # arithmetic on a 0-d array gives a NumPy number: the gradient was one or
    # the other depending on the code
    x = np.array(0.7)
    expected = numerical_gradient(fn, [x], {}, 0)
    for got in (ta.grad(fn)(x), ta.value_and_grad(fn)(x)[1], ta.grad(fn, preserve_result=True)(x)[0],
                ta.vjp(fn)(x, 1.0), ta.grad(fn, wrt=(0,))(x)):
        assert type(got) is np.ndarray and got.shape == (), type(got)
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert type(ta.hvp(fn)(x, 1.0)) is np.ndarray
    assert type(ta.grad(fn)(0.7)) is not np.ndarray  # a number's is a number


def _factory(a):
    def scaled(x, a=a):
        return np.sum(x * x * a)
    return scaled


def test_functions_of_one_code_object_have_their_own_derivatives():
    # a factory's functions share their code: the second got the first's
    # derivative object, with the first's defaults
    first, second = _factory(1.0), _factory(5.0)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ta.grad(first)(x), [2.0, 4.0])
    np.testing.assert_allclose(ta.grad(second)(x), [10.0, 20.0])


def test_check_grad_reports_a_nan_gradient():
    @ta.adjoint(_nan_slope)
    def _rule(y, x):
        d[x] = d[y] * np.nan  # noqa: F821

    with pytest.raises(ta.GradientCheckError, match="MISMATCH"):
        ta.check_grad(calls_nan_slope, np.array([0.5, 1.0]))


def _nan_slope(x):
    return x * 1.0


def calls_nan_slope(x):
    return np.sum(_nan_slope(x))


def test_wrt_of_numpy_integers_and_clear_refusals():
    assert ta.grad(poly, wrt=np.int64(0)).wrt == ("x",)
    for wrt in (None, 1.0):
        with pytest.raises(ta.TangentADError, match="wrt must be"):
            ta.grad(poly, wrt=wrt)


def test_verbose_on_a_cached_derivative_known_only_at_its_first_call(capsys):
    class Holder:
        def __init__(self, w):
            self.w = w

        def value(self, x):
            return np.sum(self.w * x)

    def uses(holder, x):
        return holder.value(x)

    ta.grad(uses, wrt=1)
    ta.grad(uses, wrt=1, verbose=1)  # (it raised AttributeError: no generic variant)


@ta.differentiate
def decorated_sine(x):
    return np.sum(np.sin(x))


def calls_a_decorated_function(x):
    return decorated_sine(x) * 2.0


class DecoratedModel:
    def __init__(self, w):
        self.w = w

    @ta.differentiate(wrt=("x",))
    def loss(self, x):
        return np.sum(np.tanh(x * self.w))


def test_decorated_functions_as_callees_and_methods():
    x = np.linspace(0.1, 1.0, 3)
    np.testing.assert_allclose(ta.grad(calls_a_decorated_function)(x), 2 * np.cos(x))
    m = DecoratedModel(np.array([1.0, 2.0, 0.5]))
    assert m.loss(x) == pytest.approx(np.sum(np.tanh(x * m.w)))
    expected = m.w * (1 - np.tanh(x * m.w) ** 2)
    np.testing.assert_allclose(DecoratedModel.loss.grad(m, x), expected)
    # through the instance, the derivatives take it as self too
    np.testing.assert_allclose(m.loss.grad(x), expected)
    value, gradient = m.loss.value_and_grad(x)
    assert value == pytest.approx(m.loss(x))
    np.testing.assert_allclose(gradient, expected)
    np.testing.assert_allclose(m.loss.jvp(x, np.ones(3))[1], np.sum(expected))


class PlainModel:
    def loss(self, x):
        return np.sum(x * x)


@pytest.mark.parametrize("bound", [lambda: PlainModel().loss, lambda: DecoratedModel(np.ones(3)).loss])
def test_a_bound_method_is_refused_with_the_way_to_write_it(bound):
    # (a decorated one was unwrapped to its function: `self` took the first argument)
    with pytest.raises(ta.TangentADError, match="bound method") as err:
        ta.grad(bound())
    assert "wrt=1" in str(err.value)
