"""Generated source: compilable, commented with source lines, debuggable."""

import ast
import linecache
import traceback

import numpy as np
import pytest

import tangent_ad as ta


def model(x, W):
    h = np.tanh(W @ x)
    for i in range(2):
        h = h * x[i]
    return np.sum(h ** 2)


def test_source_is_valid_python_with_line_comments():
    text = ta.source(ta.grad(model, wrt=(0, 1)))
    ast.parse(text)
    assert text.startswith("def d_model(x, W):")
    lines = text.splitlines()
    assert "    # test_source.py:14  h = np.tanh(W @ x)" in lines
    assert "        # test_source.py:16  h = h * x[i]" in lines
    assert "    # test_source.py:17  return np.sum(h ** 2)" in lines
    assert any(line.strip() == "# reverse sweep" for line in lines)


def test_source_is_deterministic():
    from tangent_ad import cache

    first = ta.source(ta.grad(model, wrt=(0, 1)))
    cache.clear()
    second = ta.source(ta.grad(model, wrt=(0, 1)))
    assert first == second


def test_names_follow_the_scheme():
    text = ta.source(ta.grad(model, wrt=(0, 1)))
    assert "d_x" in text and "d_W" in text and "_stack.push(" in text and "_stack.pop()" in text


def test_dunder_source_matches():
    df = ta.grad(model)
    assert df.__tangent_source__ == ta.source(df)


def test_verbose_prints_source(capsys):
    from tangent_ad import cache

    cache.clear()
    df = ta.grad(model, verbose=1)
    assert capsys.readouterr().out.strip() == ta.source(df).strip()


def exploding(x):
    y = np.log(x)
    return np.sum(y)


def test_tracebacks_show_generated_lines():
    df = ta.grad(exploding)
    with pytest.raises(TypeError) as info:
        df("not an array")
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [f for f in frames if f.filename.startswith("<tangent_ad")]
    assert generated, frames
    assert generated[-1].line  # linecache knows the generated source
    assert linecache.getline(generated[-1].filename, generated[-1].lineno).strip() == generated[-1].line


def test_no_dead_statements_in_simple_gradient():
    def f(x, c):
        return np.sum(np.exp(x) * c)

    text = ta.source(ta.grad(f))
    assert "d_c" not in text  # c is not differentiated
    tree = ast.parse(text)
    assigned = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    assert assigned <= loaded | {"d_x"}


@pytest.mark.parametrize("shapes, d_a, d_b", [
    (((4, 3), (3, 2)), "d_a = d_t0 @ b.T", "d_b = a.T @ d_t0"),
    (((4, 3), (3,)), "d_a = np.einsum('i,j->ij', d_t0, b)", "d_b = a.T @ d_t0"),
    (((1, 3), (3, 2)), "d_a = d_t0 @ b.T", "d_b = np.einsum('ki,kj->ij', a, d_t0)"),
    (((4, 3), (3, 1)), "d_a = np.einsum('ik,jk->ij', d_t0, b)", "d_b = a.T @ d_t0"),
    (((4,), (4, 3)), "d_a = d_t0 @ b.T", "d_b = np.einsum('i,j->ij', a, d_t0)"),
])
def test_specialised_matrix_products_are_written_out(shapes, d_a, d_b):
    def f(a, b):
        return np.sum(np.sin(a @ b))

    rng = np.random.default_rng(3)
    a, b = (rng.standard_normal(shape) for shape in shapes)
    df = ta.grad(f, wrt=(0, 1))
    source = ta.source(df, a, b)
    assert d_a in source and d_b in source and "matmul_" not in source
    g = np.cos(a @ b)
    np.testing.assert_allclose(df(a, b)[0], g @ b.T if b.ndim == 2 else np.outer(g, b), rtol=1e-12)
    np.testing.assert_allclose(df(a, b)[1], a.T @ g if a.ndim == 2 else np.outer(a, g), rtol=1e-12)


def test_batched_matrix_products_keep_the_helper():
    def f(a, b):
        return np.sum(np.sin(a @ b))

    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 3, 2))
    source = ta.source(ta.grad(f, wrt=(0, 1)), a, b)
    assert "matmul_lhs(" in source and "matmul_rhs(" in source
    ta.check_grad(f, a, b, wrt=(0, 1))


@pytest.mark.parametrize("a_shape", [(2, 4, 3), (2, 5, 4, 3)])
def test_a_stack_times_a_matrix_is_one_product(a_shape):
    def f(a, b):
        return np.sum(np.sin(a @ b))

    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(a_shape), rng.standard_normal((3, 2))
    df = ta.grad(f, wrt=(0, 1))
    source = ta.source(df, a, b)
    stacked = list(range(len(a_shape) - 1))
    assert "d_a = d_t0 @ b.T" in source
    assert f"d_b = np.tensordot(a, d_t0, ({stacked}, {stacked}))" in source
    g = np.cos(a @ b)
    d_a, d_b = df(a, b)
    np.testing.assert_allclose(d_a, g @ b.T, rtol=1e-12)
    np.testing.assert_allclose(d_b, a.reshape(-1, 3).T @ g.reshape(-1, 2), rtol=1e-12)
    ta.check_grad(f, a, b, wrt=(0, 1))


def test_a_square_gives_one_adjoint_term_not_two():
    def f(w):
        return 0.5 * np.sum(w * w)

    w = np.array([0.5, -1.5, 2.0])
    df = ta.grad(f)
    source = ta.source(df, w)
    assert source.count("d_w") == 2, source  # d_w = copy(w); return d_w
    # 0.5 * w * 2 is w to the last bit; the gradient is a new array, not w
    assert "d_w = copy(w)\n" in source
    got = df(w)
    np.testing.assert_array_equal(got, w)
    assert got is not w and not np.shares_memory(got, w)
    assert ta.grad(lambda x: x * x)(3.0) == 6.0


def small_l2(w):
    return np.sum(np.sin(w)) + 1e-3 * np.sum(w * w)


def three_quarters_l2(w):
    return np.sum(np.sin(w)) + 0.75 * np.sum(w * w)


def scaled_product(w):
    return np.sum(np.sin(w) * 0.3 * w * 3.0)


@pytest.mark.parametrize("fn, form, expected", [
    (small_l2, "d_w = 0.002 * w\n", lambda w: 0.002 * w + np.cos(w)),
    (three_quarters_l2, "d_w = 1.5 * w\n", lambda w: 1.5 * w + np.cos(w)),
    # neither 3.0 nor 0.3 is a power of two: merging them could round differently
    (scaled_product, "3.0 * w * 0.3 *", lambda w: 0.9 * (np.sin(w) + w * np.cos(w))),
])
def test_constant_factors_merge_only_when_exact(fn, form, expected):
    w = np.array([0.3, -1.2, 2.5])
    source = ta.source(ta.grad(fn), w)
    assert form in source, source
    np.testing.assert_allclose(ta.grad(fn)(w), expected(w), rtol=1e-14)


def alternating(x, n):
    return x * (-1.0) ** n


def powers_of_minus_two(x):
    return np.sum((-2.0) ** x)


def test_a_negative_constant_base_keeps_its_parentheses():
    # folded to the constant -1.0, the base printed bare would read
    # -1.0 ** n, which is -(1.0 ** n)
    df = ta.grad(alternating)
    assert "(-1.0) ** n" in df.source(2.0, 2)
    for n in (2, 3):
        assert df(2.0, n) == (-1.0) ** n
    xs = np.array([1.0, 2.0, 3.0])
    value, _ = ta.value_and_grad(powers_of_minus_two)(xs)
    assert value == -6.0
    jvp_value, tangent = ta.jvp(powers_of_minus_two)(xs, np.ones(3))
    assert jvp_value == -6.0


def euler_steps(a, y0, n):
    y = y0
    for _ in range(n):
        y = y + 0.1 * (a * y - y ** 3)
    return y


def absolute_sum(x):
    return np.sum(np.abs(x))


def gated(h, x, Wz, Wh):
    z = 1.0 / (1.0 + np.exp(-(x @ Wz)))
    return np.sum((1.0 - z) * h + z * np.tanh(x @ Wh))


def test_no_needless_copies_in_generated_code():
    # a number is never copied (nothing can change it); a helper's new array
    # (sign_of_real) is returned as it is; arithmetic on a copy copies nothing
    jvp_code = ta.source(ta.jvp(euler_steps), 0.5, 1.0, 3, 1.0)
    assert "return y, t_y" in jvp_code
    grad_code = ta.source(ta.grad(absolute_sum), np.array([0.5, -1.0]))
    assert "copy(" not in grad_code
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(3), rng.standard_normal((2, 4)), rng.standard_normal((4, 3)),
            rng.standard_normal((4, 3))]
    hvp_code = ta.source(ta.hvp(gated, wrt=(2, 3)), *args, *args[2:])
    copies_in_arithmetic = [
        node for node in ast.walk(ast.parse(hvp_code)) if isinstance(node, ast.BinOp)
        for side in (node.left, node.right)
        if isinstance(side, ast.Call) and getattr(side.func, "id", None) == "copy"
    ]
    assert not copies_in_arithmetic, hvp_code


def test_source_of_a_forward_derivative_with_or_without_tangents():
    # the function's own arguments alone: the last ones were taken for tangents
    rng = np.random.default_rng(1)
    W, b, x = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((5, 3))

    def layer(W, b, x):
        return np.sum(np.tanh(x @ W + b))

    for make in (ta.jvp, ta.hvp):
        df = make(layer, wrt=(0,))
        assert ta.source(df, W, b, x) == ta.source(df, W, b, x, np.ones_like(W))
