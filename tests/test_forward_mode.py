"""Forward mode itself: the shape of the generated jvp, zero tangents folded
away, broadcasting, arguments left at their defaults, in-place writes,
control flow, containers, user rules (`ta.tangent`, `linear`), what is
refused, and the tangent helpers that need exact arithmetic.
"""

import math
import pathlib
import re

import numpy as np
import pytest

import tangent_ad as ta
import forward_examples
from forward_support import finite_difference
from tangent_ad.rules import registry
from tangent_ad.runtime import unreduce

# ----- the generated code -----


def loop(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * x
    return np.sum(y)


def test_jvp_interleaves_tangents_and_needs_no_stack(rng):
    text = ta.source(ta.jvp(loop))
    assert "_stack" not in text
    lines = [line.strip() for line in text.splitlines()]
    primal = lines.index("y = _t0 * x")
    assert lines[primal + 1] == "t_y = t_t0 * x + _t0 * t_x"
    assert lines[-1] == "return _t1, t_t1"
    x, v = rng.uniform(0.1, 0.9, 3), rng.normal(size=3)
    value, tangent = ta.jvp(loop)(x, 4, v)
    assert value == loop(x, 4)
    np.testing.assert_allclose(tangent, finite_difference(loop, [x, 4], [0], [v]), rtol=1e-7)


def products(x, y):
    return np.sum(x * y + y ** 2 + np.sin(y))


def test_zero_tangents_are_folded_away():
    text = ta.source(ta.jvp(products, wrt="x"))
    assert "t_y" not in text and "cos" not in text  # y has no tangent: its terms vanish
    assert "0.0" not in text


def test_scalar_code_stays_arithmetic():
    def f(x, y):
        return x * y + y / x - math.sin(x)

    text = ta.source(ta.jvp(f, wrt=(0, 1)), 1.0, 2.0, 1.0, 1.0)
    assert "broadcast_like" not in text and "zeros_like" not in text
    value, tangent = ta.jvp(f, wrt=(0, 1))(1.0, 2.0, 0.5, -1.0)
    assert tangent == pytest.approx(0.5 * (2.0 - 2.0 - math.cos(1.0)) - 1.0 * (1.0 + 1.0))


GRID = np.linspace(0.0, 1.0, 12).reshape(3, 4)


def add_grid(x):
    return x + GRID


def test_a_tangent_is_broadcast_to_its_result(rng):
    """`x + GRID` with only x differentiated: the tangent has the result's shape."""
    x, v = rng.normal(size=4), rng.normal(size=4)
    value, tangent = ta.jvp(add_grid)(x, v)
    assert tangent.shape == value.shape == (3, 4)
    np.testing.assert_allclose(tangent, np.broadcast_to(v, (3, 4)))
    assert "broadcast_like(t_x, " in ta.source(ta.jvp(add_grid))


def reductions(x):
    return np.sum(x) + np.sum(np.sum(x, axis=1)) + np.sum(x.mean(axis=0, keepdims=True))


def test_arguments_left_at_their_defaults_are_left_out(rng):
    text = ta.source(ta.jvp(reductions))
    assert "np.sum(t_x) +" in text
    assert "np.sum(t_x, axis=1)" in text
    assert "np.mean(t_x, axis=0, keepdims=True)" in text
    assert "dtype" not in text and "keepdims=False" not in text
    x, v = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    expected = finite_difference(reductions, [x], [0], [v])
    np.testing.assert_allclose(ta.jvp(reductions)(x, v)[1], expected)


def test_python_float_and_array_specialisations_agree(rng):
    def f(x):
        return np.exp(x) * x

    assert ta.jvp(f)(0.5, 2.0)[1] == pytest.approx(2.0 * np.exp(0.5) * 1.5)
    _, tangent = ta.jvp(f)(np.array([0.5]), np.array([2.0]))
    np.testing.assert_allclose(tangent, [2.0 * np.exp(0.5) * 1.5])


def numpy_scalar_indexed(s):
    y = np.add(s, 1.0)[None]
    z = np.multiply(s, 3.0)[..., None]
    return np.sum(y * z) + np.negative(s)[()]


@pytest.mark.parametrize("s", [0.5, np.float64(0.5), np.array(0.5)])
def test_a_numpy_scalar_made_from_a_number_is_indexed_in_forward_mode(s):
    # np.add(s, 1.0) is a NumPy scalar; its tangent t_s may be a Python float
    expected = finite_difference(numpy_scalar_indexed, [s], [0], [1.0])
    _, tangent = ta.jvp(numpy_scalar_indexed)(s, 1.0)
    np.testing.assert_allclose(tangent, expected, rtol=1e-7)
    assert ta.hvp(numpy_scalar_indexed)(s, 1.0) == pytest.approx(6.0)


def test_an_array_indexed_with_new_axes_keeps_a_plain_subscript(rng):
    def outer_sum(x):
        return np.sum(x[None] * x[..., None])

    x, v = rng.normal(size=3), rng.normal(size=3)
    jvp = ta.jvp(outer_sum)
    assert "scalar_index_tangent" not in ta.source(jvp, x, v)
    np.testing.assert_allclose(jvp(x, v)[1], finite_difference(outer_sum, [x], [0], [v]))


# ----- in-place writes and aliasing -----


def copy_then_write(x):
    y = x * 1.0
    y[0] = 0.0
    z = x
    return np.sum(y * z)


def stencil(u0, alpha):
    u = u0
    for step in range(3):
        new = u * 1.0
        new[1:-1] = u[1:-1] + alpha * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u = new
    return np.sum(u ** 3)


def test_in_place_writes_never_touch_the_callers_tangent(rng):
    x, v = rng.normal(size=4), rng.normal(size=4)
    kept = v.copy()
    _, tangent = ta.jvp(copy_then_write)(x, v)
    np.testing.assert_array_equal(v, kept)
    expected = finite_difference(copy_then_write, [x], [0], [v])
    np.testing.assert_allclose(tangent, expected, rtol=1e-7)
    u0, t = rng.uniform(0, 1, 6), rng.normal(size=6)
    kept_u0, kept_t = u0.copy(), t.copy()
    _, tangent = ta.jvp(stencil, wrt=(0, 1))(u0, 0.2, t, 0.5)
    np.testing.assert_array_equal(u0, kept_u0)
    np.testing.assert_array_equal(t, kept_t)
    expected = finite_difference(stencil, [u0, 0.2], [0, 1], [t, 0.5])
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)


def test_hvp_never_touches_the_callers_arrays(rng):
    u0, t = rng.uniform(0, 1, 6), rng.normal(size=6)
    kept = u0.copy()
    ta.hvp(stencil)(u0, 0.2, t)
    np.testing.assert_array_equal(u0, kept)


# ----- control flow -----


def branch_defines(x):
    if np.sum(x) > 0:
        a = np.sin(x)
        y = a * x
    else:
        b = np.cos(x)
        y = b * x
    return np.sum(y)


def while_break(x):
    y = x
    k = 0
    while np.sum(y * y) < 50.0:
        y = y * 1.3 + 0.1
        k = k + 1
        if k > 100:
            break
    return np.sum(y)


@pytest.mark.parametrize("fn", [branch_defines, while_break])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_branches_and_loops(fn, sign, rng):
    x, v = sign * rng.uniform(0.2, 0.6, 3), rng.normal(size=3)
    value, tangent = ta.jvp(fn)(x, v)
    assert value == fn(x)
    np.testing.assert_allclose(tangent, finite_difference(fn, [x], [0], [v]), rtol=1e-6)
    hv = ta.hvp(fn)(x, v)
    gradient = ta.grad(fn)
    expected = finite_difference(gradient, [x], [0], [v])
    np.testing.assert_allclose(hv, expected, rtol=1e-5, atol=1e-8)


def test_a_name_bound_in_one_branch_only_gets_no_zero_tangent_in_the_other():
    text = ta.source(ta.hvp(branch_defines))
    compile(text, "<hvp>", "exec")
    assert "zeros_like(a)" not in text and "zeros_like(b)" not in text


# ----- containers -----


def pair_out(x):
    return x * 2.0, np.sin(x)


def dict_in(p, x):
    return np.sum(np.tanh(x @ p["W"] + p["b"]) ** 2)


def test_container_outputs_and_arguments(rng):
    x, v = rng.normal(size=3), rng.normal(size=3)
    (a, b), (ta_, tb) = ta.jvp(pair_out)(x, v)
    np.testing.assert_allclose(ta_, 2.0 * v)
    np.testing.assert_allclose(tb, np.cos(x) * v)
    p = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    tp = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    _, tangent = ta.jvp(dict_in)(p, x, tp)
    gradient = ta.grad(dict_in)(p, x)
    expected = np.sum(gradient["W"] * tp["W"]) + np.sum(gradient["b"] * tp["b"])
    assert tangent == pytest.approx(expected, rel=1e-10)
    hv = ta.hvp(dict_in)(p, x, tp)
    assert set(hv) == {"W", "b"} and hv["W"].shape == (3, 2)


# ----- user rules -----


def softlog(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return s
    return np.squeeze(s, axis=axis)


@ta.tangent(softlog)
def softlog_tangent(y, a, axis=None, keepdims=False):
    # d logsumexp(a) = sum(softmax(a) da)
    softmax = np.exp(a - unreduce(y, a, axis, keepdims))
    d[y] = np.sum(d[a] * softmax, axis=axis, keepdims=keepdims)  # noqa: F821


def uses_softlog(scores):
    return np.sum(softlog(scores, axis=1) ** 2)


def test_a_user_tangent_rule_with_a_temporary(rng):
    jvp = ta.jvp(uses_softlog)
    text = ta.source(jvp)
    assert "softlog(scores, axis=1)" in text  # the rule is used, the function not looked into
    assert "np.exp(scores - unreduce(" in text
    x, v = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    expected = finite_difference(uses_softlog, [x], [0], [v])
    np.testing.assert_allclose(jvp(x, v)[1], expected, rtol=1e-7)


scale_rows = np.vectorize(lambda a, k: a * k, otypes=[float])  # no Python source
registry.linear(scale_rows, positions=(0, 1))


def uses_scale_rows(x, k):
    return np.sum(np.sin(scale_rows(x, k)))


def test_a_function_declared_linear_needs_no_tangent_rule(rng):
    x, k = rng.normal(size=3), rng.normal(size=3)
    vx, vk = rng.normal(size=3), rng.normal(size=3)
    value, tangent = ta.jvp(uses_scale_rows, wrt=(0, 1))(x, k, vx, vk)
    expected = np.sum(np.cos(x * k) * (vx * k + x * vk))
    assert tangent == pytest.approx(expected, rel=1e-12)
    text = ta.source(ta.jvp(uses_scale_rows, wrt=(0, 1)))
    assert "scale_rows(t_x, k) + scale_rows(x, t_k)" in text


opaque = np.vectorize(math.erf, otypes=[float])


def uses_opaque(x):
    return np.sum(opaque(x))


def test_a_call_without_a_tangent_rule_is_refused_with_its_line():
    with pytest.raises(ta.TangentADError, match="without a forward-mode") as info:
        ta.jvp(uses_opaque)
    assert "test_forward_mode.py" in str(info.value) and "opaque(x)" in str(info.value)


def test_a_linear_function_with_a_nonlinear_differentiated_argument_is_refused():
    def uses(x):
        return np.sum(scale_shape(np.ones(2), x))

    with pytest.raises(ta.TangentADError, match="declared linear"):
        ta.jvp(uses)


scale_shape = np.vectorize(lambda a, k: a * k, otypes=[float])
registry.linear(scale_shape, positions=(0,))


@pytest.mark.parametrize("make", [ta.jvp, ta.hvp], ids=["jvp", "hvp"])
def test_a_missing_tangent_argument_is_a_clear_error(make):
    with pytest.raises(ta.TangentADError, match="followed by"):
        make(products)(np.ones(2))


# ----- refused in forward mode too -----


def out_argument(x):
    y = np.zeros(3)
    np.sin(x, out=y)
    return np.sum(y)


def test_out_arguments_are_refused():
    with pytest.raises(ta.TangentADError, match="out="):
        ta.jvp(out_argument)


def test_refusals_at_run_time(rng):
    def wide_qr(a):
        return np.sum(np.linalg.qr(a)[1])

    def ramp_pad(x):
        return np.sum(np.pad(x, 2, mode="linear_ramp"))

    def sublist_einsum(a):
        return np.sum(np.einsum(a, [0, 1], [1]))

    cases = [(wide_qr, rng.normal(size=(2, 3)), "qr"), (ramp_pad, rng.normal(size=3), "pad"),
             (sublist_einsum, rng.normal(size=(2, 2)), "sublist")]
    for fn, x, what in cases:
        with pytest.raises(ta.TangentADError, match=what):
            ta.jvp(fn)(x, np.ones_like(x))


def test_the_matrix_2_norm_is_differentiated_twice(rng):
    def spectral(x):
        return np.linalg.norm(x, 2) + np.linalg.norm(x, "nuc")

    x, v = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    gradient = ta.grad(spectral)
    np.testing.assert_allclose(ta.hvp(spectral)(x, v), finite_difference(gradient, [x], [0], [v]),
                               rtol=1e-6, atol=1e-8)


# ----- exact arithmetic where values are zero -----


def test_products_with_zeros_are_exact(rng):
    def prods(x):
        return np.sum(np.prod(x, axis=0)) + np.sum(np.cumprod(x) ** 2)

    x = rng.normal(size=(3, 2))
    x[1, 0] = 0.0
    x[2, 1] = 0.0
    v = rng.normal(size=(3, 2))
    expected = finite_difference(prods, [x], [0], [v])
    np.testing.assert_allclose(ta.jvp(prods)(x, v)[1], expected, rtol=1e-8)
    gradient = ta.grad(prods)
    np.testing.assert_allclose(ta.hvp(prods)(x, v), finite_difference(gradient, [x], [0], [v]),
                               rtol=1e-6, atol=1e-8)


def product(x):
    return np.prod(x)


def test_hessian_of_a_product_with_a_zero(rng):
    """d^2 prod / dx_i dx_j = product of the others, also where one of them is 0."""
    x = np.array([2.0, 0.0, 3.0, -1.0])
    H = ta.hessian(product)(x)
    expected = np.array([[np.prod(np.delete(x, [i, j])) if i != j else 0.0 for j in range(4)]
                         for i in range(4)])
    np.testing.assert_allclose(H, expected, atol=1e-12)


# ----- docs/forward-mode.md shows what is generated -----

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "forward-mode.md"


def _doc_blocks():
    """The complete functions printed in the doc, by name."""
    text = DOC.read_text()
    functions = re.finditer(r"^def (\w+)\(.*?(?=\n```)", text, re.S | re.M)
    return {m.group(1): m.group(0) for m in functions}


def _normalized(text):
    return re.sub(r"#\d+>", "#N>", text.strip())


@pytest.mark.parametrize("name, make", [
    ("jvp_f", lambda: ta.jvp(forward_examples.f)),
    ("d_f", lambda: ta.grad(forward_examples.f)),
    ("d_g", lambda: ta.grad(forward_examples.g)),
    ("hvp_g", lambda: ta.hvp(forward_examples.g)),
])
def test_the_docs_print_the_generated_code(name, make):
    blocks = _doc_blocks()
    assert _normalized(blocks[name]) == _normalized(ta.source(make())), (
        f"docs/forward-mode.md is out of date: paste ta.source(...) of {name} "
        "(tests/forward_examples.py) into it"
    )


def reset_before_a_break(x, s):
    acc = x * s
    while True:
        acc = 0.5
        break
    return s + acc * x * x


def reset_in_a_loop_that_breaks(x, s):
    acc = x * s
    for k in range(3):
        acc = 0.5
        if x > 0.0:
            break
    return s + acc * x * x


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("fn", [reset_before_a_break, reset_in_a_loop_that_breaks])
def test_a_tangent_reset_on_the_iteration_that_breaks(fn, optimize):
    # the zero of `acc`'s tangent was set at the body's end, after the break
    # (and dead-code elimination took a zero set before it for dead: it did
    # not know where a break goes)
    x, s = 0.2, 0.3
    value, tangent = ta.jvp(fn, wrt=(0, 1), optimize=optimize)(x, s, 1.0, 1.0)
    assert value == pytest.approx(s + 0.5 * x * x)
    assert tangent == pytest.approx(1.0 + x)
    h_x, h_s = ta.hvp(fn, wrt=(0, 1), optimize=optimize)(x, s, 1.0, 0.0)
    assert (h_x, h_s) == (pytest.approx(1.0), pytest.approx(0.0))


def squared_then_scaled(x):
    y = np.sin(x)
    z = y * y
    return np.sum(z * x)


def test_the_tangent_of_a_square_is_one_product():
    """``t_y * y + y * t_y`` is ``2 * t_y * y`` (exactly: the products commute)."""
    x, v = np.array([0.3, 0.5]), np.array([1.0, -2.0])
    _, tangent = ta.jvp(squared_then_scaled)(x, v)
    np.testing.assert_allclose(tangent, ta.grad(squared_then_scaled)(x) @ v, rtol=1e-12)
    assert "t_z = 2 * t_y * y" in ta.source(ta.jvp(squared_then_scaled), x, v)
