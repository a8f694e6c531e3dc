"""Derivatives built on both modes: jacobian (forward, reverse and the
default choice) and hessian against autograd; the Rosenbrock Hessian in ten
dimensions against its closed form; Hessian-vector products of the MLP loss;
the printed source of jvp and hvp; `@ta.differentiate`'s `.jvp` / `.hvp`;
and reverse over reverse, which is refused.
"""

import ast
import math

import numpy as np
import pytest

import tangent_ad as ta
from forward_support import autograd_hvp, autograd_numpy, finite_difference
from test_mlp import make_mlp, mlp_backprop, mlp_loss

# ----- functions for jacobian / hessian (numpy `np` re-bound to autograd's) -----


def sin_times(x):
    return np.sin(x) * x


def tanh_layer(x, W):
    return np.tanh(W @ x + 0.5)


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def cumulative(x):
    return np.cumsum(x * x) * np.cos(x)


def outer_flat(x):
    return np.ravel(np.outer(x, np.sin(x)))


def looped(x):
    for i in range(3):
        x = x * np.cos(x) + 0.1 * i
    return x


def branched(x):
    if np.sum(x) > 0:
        y = x ** 2
    else:
        y = -(x ** 3)
    return y


def normalized(x):
    return x / np.sqrt(np.sum(x * x))


def gram(x):
    return x.T @ x


def joined(x):
    return np.concatenate([x, x ** 2, np.tanh(x[:2])])


def leaky(x):
    return np.where(x > 0, x, 0.1 * x)


def column_norms(x):
    return np.sum(x ** 2, axis=0)


def scalar_to_vector(x):
    return np.array([x, x * x, np.sin(x)])


def sorted_squares(x):
    return np.sort(x) ** 2


def while_loop(x):
    y = x
    while np.sum(y * y) < 10.0:
        y = y * 1.5 + 0.1
    return y


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def log_sum_exp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def quadratic_form(x, A):
    return np.sum(x * (A @ x)) + np.sum(np.sin(x)) ** 2


def looped_scalar(x):
    total = 0.0
    for i in range(4):
        total = total + np.sum(np.tanh(x * (i + 1.0)))
    return total * total


def branched_scalar(x):
    if np.sum(x) > 0:
        return np.sum(np.exp(x) * x)
    return np.sum(x ** 4)


def matrix_energy(X):
    return np.sum((X @ X.T) ** 2) + np.sum(np.log(1.0 + X * X))


def softplus_norm(x):
    return np.sqrt(np.sum(np.log1p(np.exp(x)) ** 2))


def scalar_cubic(x):
    return math.sin(x) * x ** 3


def vec(n, lo=-1.0, hi=1.0):
    return lambda rng: [rng.uniform(lo, hi, n)]


JACOBIANS = [
    (sin_times, vec(4)),
    (tanh_layer, lambda rng: [rng.normal(size=3), rng.normal(size=(5, 3))]),
    (softmax, vec(5)),
    (cumulative, vec(4)),
    (outer_flat, vec(3)),
    (looped, vec(4)),
    (branched, vec(4, 0.1, 1.0)),
    (branched, vec(4, -1.0, -0.1)),
    (normalized, vec(4)),
    (gram, lambda rng: [rng.normal(size=(3, 2))]),
    (joined, vec(3)),
    (leaky, lambda rng: [rng.choice([-1.0, 1.0], 5) * rng.uniform(0.2, 1.0, 5)]),
    (column_norms, lambda rng: [rng.normal(size=(3, 4))]),
    (scalar_to_vector, lambda rng: [0.7]),
    (sorted_squares, vec(5)),
    (while_loop, vec(3, 0.1, 0.5)),
    (rosenbrock, vec(6)),
]

HESSIANS = [
    (rosenbrock, vec(6)),
    (log_sum_exp, vec(5)),
    (quadratic_form, lambda rng: [rng.normal(size=4), rng.normal(size=(4, 4))]),
    (looped_scalar, vec(4)),
    (branched_scalar, vec(4, 0.1, 1.0)),
    (branched_scalar, vec(4, -1.0, -0.1)),
    (matrix_energy, lambda rng: [rng.normal(size=(2, 3))]),
    (softplus_norm, vec(4)),
    (scalar_cubic, lambda rng: [0.8]),
]


def _ids(entries):
    return [f"{fn.__name__}{i}" for i, (fn, _) in enumerate(entries)]


def autograd_of(operator, fn, args, argnum=0):
    import autograd

    with autograd_numpy(fn):
        return getattr(autograd, operator)(fn, argnum)(*args)


@pytest.mark.parametrize("mode", ["forward", "reverse", None])
@pytest.mark.parametrize("fn, make", JACOBIANS, ids=_ids(JACOBIANS))
def test_jacobian_matches_autograd(fn, make, mode, rng):
    args = make(rng)
    got = ta.jacobian(fn, mode=mode)(*args)
    expected = autograd_of("jacobian", fn, args)
    assert got.shape == np.shape(fn(*args)) + np.shape(args[0])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("fn, make", HESSIANS, ids=_ids(HESSIANS))
def test_hessian_matches_autograd(fn, make, rng):
    args = make(rng)
    got = ta.hessian(fn)(*args)
    assert got.shape == np.shape(args[0]) * 2
    if fn is scalar_cubic:  # math.sin: autograd has no rule; the closed form
        x = args[0]
        expected = -math.sin(x) * x ** 3 + 6 * math.cos(x) * x ** 2 + 6 * math.sin(x) * x
    else:
        expected = autograd_of("hessian", fn, args)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10)
    square = np.reshape(got, (np.size(args[0]), np.size(args[0])))
    np.testing.assert_allclose(square, square.T, rtol=1e-10, atol=1e-10)


def test_hessian_is_symmetric_and_jacobian_of_the_gradient(rng):
    x, A = rng.normal(size=4), rng.normal(size=(4, 4))
    H = ta.hessian(quadratic_form)(x, A)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    gradient = ta.grad(quadratic_form)

    def grad_of(x, A):
        return gradient(x, A)

    # the Jacobian of the gradient by finite differences
    fd = np.stack([finite_difference(grad_of, [x, A], [0], [e]) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-7)


def test_jacobian_default_mode_on_wide_and_tall_functions():
    """Few outputs (one vjp per output) and few inputs (one jvp per input)."""
    wide = ta.jacobian(lambda x: np.sum(x * x, keepdims=True))
    tall = ta.jacobian(lambda x: np.array([x, 2.0 * x, x * x, 3.0 * x]))
    np.testing.assert_allclose(wide(np.arange(5.0)), [2.0 * np.arange(5.0)])
    np.testing.assert_allclose(tall(1.5), [1.0, 2.0, 3.0, 3.0])


def test_jacobian_and_hessian_wrt_a_second_argument(rng):
    x, W = rng.normal(size=3), rng.normal(size=(5, 3))
    got = ta.jacobian(tanh_layer, wrt=1)(x, W)
    expected = autograd_of("jacobian", tanh_layer, [x, W], 1)
    assert got.shape == (5, 5, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    H = ta.hessian(quadratic_form, wrt="A")(x, np.eye(3))
    assert H.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(H, 0.0, atol=1e-12)  # linear in A


def test_jacobian_and_hessian_refuse_bad_arguments():
    with pytest.raises(ta.TangentADError, match="one wrt"):
        ta.jacobian(sin_times, wrt=(0, 1))
    with pytest.raises(ta.TangentADError, match="mode"):
        ta.jacobian(sin_times, mode="sideways")
    with pytest.raises(ta.TangentADError, match="one wrt"):
        ta.hessian(quadratic_form, wrt=(0, 1))


# ----- Rosenbrock in ten dimensions -----


def rosenbrock_hessian(x):
    """The closed form: f = sum 100 (x_(i+1) - x_i^2)^2 + (1 - x_i)^2."""
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
    return H


def test_rosenbrock_hessian_in_ten_dimensions(rng):
    x = rng.uniform(-1.5, 1.5, 10)
    H = ta.hessian(rosenbrock)(x)
    np.testing.assert_allclose(H, rosenbrock_hessian(x), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(H, autograd_of("hessian", rosenbrock, [x]), rtol=1e-12, atol=1e-9)
    v = rng.normal(size=10)
    expected = rosenbrock_hessian(x) @ v
    np.testing.assert_allclose(ta.hvp(rosenbrock)(x, v), expected, rtol=1e-12, atol=1e-9)


# ----- the MLP loss -----


def test_mlp_loss_hessian_vector_product(rng):
    args = make_mlp(rng, batch=8, sizes=(6, 5, 4, 3))
    wrt = (0, 1, 2, 3, 4, 5)
    vectors = [rng.normal(size=np.shape(p)) for p in args[:6]]
    got = ta.hvp(mlp_loss, wrt=wrt)(*args, *vectors)
    assert len(got) == 6
    expected = autograd_hvp(mlp_loss, args, list(wrt), vectors)
    handwritten = finite_difference(mlp_backprop, args, list(wrt), vectors)
    for g, e, h, p in zip(got, expected, handwritten, args):
        assert g.shape == p.shape
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(g, h, rtol=1e-5, atol=1e-7)


def test_mlp_loss_hvp_one_layer(rng):
    args = make_mlp(rng, batch=8, sizes=(6, 5, 4, 3))
    v = rng.normal(size=args[2].shape)
    got = ta.hvp(mlp_loss, wrt="W2")(*args, v)
    expected = autograd_hvp(mlp_loss, args, [2], [v])[0]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)


# ----- printed source -----


def loop_fn(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * x
    return np.sum(y)


def test_source_of_jvp_and_hvp_is_compilable_python(rng):
    jvp, hvp = ta.jvp(loop_fn), ta.hvp(loop_fn)
    for derivative, name in ((jvp, "jvp_loop_fn"), (hvp, "hvp_loop_fn")):
        text = ta.source(derivative)
        assert text == derivative.__tangent_source__
        tree = ast.parse(text)
        assert [node.name for node in tree.body] == [name]
        compile(text, f"<{name}>", "exec")
    jvp_text, hvp_text = ta.source(jvp), ta.source(hvp)
    assert "# test_hessian.py:" in jvp_text  # the user's lines as comments
    assert "# test_hessian.py:" in hvp_text  # the user's lines the gradient came from
    assert "_stack" not in jvp_text and "Stack" not in jvp_text  # forward mode needs no stack
    assert "t_y = t_t0 * x + _t0 * t_x" in jvp_text
    assert "_stack.push(t_" in hvp_text and "= _stack.pop()" in hvp_text  # tangents ride the stack


def test_source_of_specialised_jvp_and_hvp(rng):
    def cube(x):
        return x * x * x

    text = ta.source(ta.jvp(cube), 2.0, 1.0)
    assert "broadcast_like" not in text and "unbroadcast" not in text
    compile(text, "<cube>", "exec")
    compile(ta.source(ta.hvp(cube), 2.0, 1.0), "<cube>", "exec")
    assert ta.jvp(cube)(2.0, 1.0) == (8.0, 12.0)
    assert ta.hvp(cube)(2.0, 1.0) == 12.0


def test_jvp_and_hvp_values_of_the_loop(rng):
    x, v = rng.uniform(0.2, 0.8, 3), rng.normal(size=3)
    value, tangent = ta.jvp(loop_fn)(x, 3, v)
    assert value == pytest.approx(loop_fn(x, 3))
    np.testing.assert_allclose(tangent, np.dot(ta.grad(loop_fn)(x, 3), v), rtol=1e-12)
    expected = autograd_hvp(loop_fn, [x, 3], [0], [v])[0]
    np.testing.assert_allclose(ta.hvp(loop_fn)(x, 3, v), expected, rtol=1e-10, atol=1e-12)


def test_hvp_of_a_lambda():
    assert ta.hvp(lambda x: x ** 3)(2.0, 1.0) == 12.0


def test_jvp_of_a_lambda():
    assert ta.jvp(lambda x: x ** 3)(2.0, 1.0) == (8.0, 12.0)


# ----- @ta.differentiate -----


@ta.differentiate
def decorated(x):
    return np.sum(np.sin(x) * x)


@ta.differentiate(wrt=("a", "b"))
def decorated_two(a, b):
    return np.sum(a * a * b)


def test_differentiate_jvp_and_hvp(rng):
    x, v = rng.normal(size=4), rng.normal(size=4)
    value, tangent = decorated.jvp(x, v)
    assert value == pytest.approx(decorated(x))
    np.testing.assert_allclose(tangent, np.dot(np.cos(x) * x + np.sin(x), v), rtol=1e-12)
    hessian_diagonal = -np.sin(x) * x + 2.0 * np.cos(x)
    np.testing.assert_allclose(decorated.hvp(x, v), hessian_diagonal * v, rtol=1e-12)
    assert decorated.jvp is decorated.jvp and decorated.hvp is decorated.hvp  # made once


def test_differentiate_with_wrt_names_jvp_and_hvp(rng):
    a, b = rng.normal(size=3), rng.normal(size=3)
    va, vb = rng.normal(size=3), rng.normal(size=3)
    value, tangent = decorated_two.jvp(a, b, va, vb)
    assert value == pytest.approx(decorated_two(a, b))
    np.testing.assert_allclose(tangent, np.sum(2 * a * b * va + a * a * vb), rtol=1e-12)
    ha, hb = decorated_two.hvp(a, b, va, vb)
    np.testing.assert_allclose(ha, 2 * b * va + 2 * a * vb, rtol=1e-12)
    np.testing.assert_allclose(hb, 2 * a * va, rtol=1e-12)


# ----- reverse over reverse -----


def test_calling_a_derivative_inside_a_differentiated_function_is_refused():
    gradient = ta.grad(decorated.__wrapped__)

    def uses_gradient(x):
        return np.sum(gradient(x))

    with pytest.raises(ta.TangentADError, match="d_decorated"):
        ta.grad(uses_gradient)


@pytest.mark.parametrize("outer", [ta.grad, ta.jvp, ta.hvp, ta.vjp], ids=lambda f: f.__name__)
def test_reverse_over_reverse_raises_a_clear_error(outer):
    def f(x):
        return np.sum(np.sin(x) * x)

    with pytest.raises(ta.TangentADError, match="derivative"):
        outer(ta.grad(f))


def two_outputs(x):
    return x * 2.0, np.sum(x)


@pytest.mark.parametrize("mode", [None, "forward", "reverse"])
def test_jacobian_of_a_tuple_output_is_refused(mode):
    # it failed in NumPy, building an array of the tuple
    with pytest.raises(ta.TangentADError, match="jacobian of a function returning a tuple") as info:
        ta.jacobian(two_outputs, mode=mode)(np.ones(3))
    assert "test_hessian.py" in str(info.value)


def scaled_sine(x, a=2.0):
    return np.sin(x) * a ** 2


def test_jacobian_and_hessian_of_an_argument_by_keyword_or_default():
    x = np.array([0.3, -0.7])
    expected = 2 * 2.0 * np.sin(x)  # d/da of sin(x) a^2 at a = 2
    np.testing.assert_allclose(ta.jacobian(scaled_sine, wrt="a")(x), expected)
    np.testing.assert_allclose(ta.jacobian(scaled_sine, wrt="a")(x, a=3.0), 2 * 3.0 * np.sin(x))
    np.testing.assert_allclose(ta.jacobian(scaled_sine, wrt="x")(x=x), np.diag(4.0 * np.cos(x)))

    def total(x, a=2.0):
        return np.sum(scaled_sine(x, a))

    assert ta.hessian(total, wrt="a")(x) == pytest.approx(2 * np.sum(np.sin(x)))


def layer_loss(p, x):
    return np.sum(np.tanh(x @ p["W"] + p["b"]) ** 2)


@pytest.mark.parametrize("make", [ta.jacobian, ta.hessian])
def test_jacobian_and_hessian_of_a_container_are_refused(make):
    p = {"W": np.ones((2, 2)), "b": np.zeros(2)}
    with pytest.raises(ta.TangentADError, match="not an array or a number"):
        make(layer_loss)(p, np.ones((3, 2)))


def horner_reversed(x):
    s = 0.0
    for i in reversed(range(3)):
        s = s * x[i] + 1.0
    return s


def horner_reversed_with_break(x):
    s = 0.0
    for i in reversed(range(3)):
        s = s * x[i] + 1.0
        if s > 2.5:
            break
    return s * s


@pytest.mark.parametrize("fn", [horner_reversed, horner_reversed_with_break])
def test_hvp_of_a_loop_over_a_reversed_range(fn):
    # the gradient loops backwards over the primal's range (`_t3[::-1]`),
    # which forward over reverse reads like any range
    x, v = np.array([0.5, 1.3, 2.1]), np.array([1.0, -0.5, 0.25])
    gradient = ta.grad(fn)
    eps = 1e-6
    expected = (gradient(x + eps * v) - gradient(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(ta.hvp(fn)(x, v), expected, rtol=1e-6, atol=1e-8)


def einsum_trace_of_a_reshape(x):
    return np.einsum("ii->", x.reshape(2, 2)) + np.sum(x ** 2)


def kron_of_a_reshape(x):
    return np.sum(np.kron(x.reshape(2, 2), np.ones((2, 2)))) + np.sum(x ** 2)


def linear_einsum(x):
    return np.einsum("ii->", x)


@pytest.mark.parametrize("fn, shape", [(einsum_trace_of_a_reshape, (4,)), (kron_of_a_reshape, (4,)), (linear_einsum, (2, 2))])
def test_hvp_of_linear_einsum_and_kron_is_shaped_like_the_argument(fn, shape):
    # the tangent of their adjoint along a constant is zeros of the operand's
    # shape, not 0.0 (which a reshape's adjoint cannot take)
    rng = np.random.default_rng(5)
    x, v = rng.uniform(-1, 1, shape), rng.uniform(-1, 1, shape)
    got = ta.hvp(fn)(x, v)
    assert np.shape(got) == shape
    gradient = ta.grad(fn)
    eps = 1e-6
    np.testing.assert_allclose(got, (gradient(x + eps * v) - gradient(x - eps * v)) / (2 * eps), rtol=1e-6, atol=1e-8)


def sine_weighted_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x[i]) * x[i]
    return s


def test_hvp_keeps_no_gradient_updates_only_for_their_shape():
    # the tangent of d_x starts as zeros_like(x): the gradient's own updates
    # of d_x, which nothing returns, go (they were kept to lend a shape)
    x, v = np.array([0.3, 0.5, 0.9]), np.array([1.0, -2.0, 0.5])
    hvp = ta.hvp(sine_weighted_loop)
    code = ta.source(hvp, x, 3, v)
    assert "t_d_x = zeros_like(x)" in code
    assert "\n        d_x[i] = " not in code and "zeros_like(d_x)" not in code
    expected = (2 * np.cos(x) - x * np.sin(x)) * v
    np.testing.assert_allclose(hvp(x, 3, v), expected, rtol=1e-12)


def test_hvp_of_a_vector_output_is_refused_though_its_seed_is_unread():
    with pytest.raises(ta.TangentADError, match="not a scalar"):
        ta.hvp(lambda x: x * 2.0)(np.ones(2), np.ones(2))


def linear_in_both(x, y):
    return np.sum(x * 2.0) + np.sum(y)


def test_hvp_of_several_arguments_is_a_tuple_also_when_the_hessian_is_zero():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.5])
    got = ta.hvp(linear_in_both, wrt=(0, 1))(x, y, np.ones(3), np.ones(2))
    assert type(got) is tuple and len(got) == 2  # (it was the gradient's SeqAdjoint)
    np.testing.assert_array_equal(got[0], np.zeros(3))
    np.testing.assert_array_equal(got[1], np.zeros(2))


def _softmax32(w, X):
    z = X @ w
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def _nll32(w, X):
    return np.sum(np.logaddexp(0.0, X @ w))


@pytest.mark.parametrize("make", [
    lambda: ta.jacobian(_softmax32, mode="forward"),
    lambda: ta.jacobian(_softmax32, mode="reverse"),
    lambda: ta.hessian(_nll32),
])
def test_jacobian_and_hessian_of_float32_arguments_are_float32(make, rng):
    w, X = rng.normal(size=3), rng.normal(size=(5, 3))
    exact = make()(w, X)
    low = make()(w.astype(np.float32), X.astype(np.float32))
    assert exact.dtype == np.float64 and low.dtype == np.float32
    np.testing.assert_allclose(low, exact, rtol=1e-4, atol=1e-5)
    assert make()(np.arange(3), X).dtype == np.float64  # integers: float64
