"""Arithmetic on a statement's own temporaries, in place (`passes/inplace.py`):
``h = np.tanh(h @ W + b)`` becomes ``h = h @ W; h += b; np.tanh(h, out=h)``
where every operand is a NumPy float64 array or a real literal and the
temporary has the result's shape.

Each case checks the generated code's form (in place, or rightly left) and
the gradient against central finite differences and autograd, or bit for
bit against the derivative without the optimizer, where the rewrite must
not change a single bit.
"""

import os
import re
import sys

import numpy as np
import pytest

import tangent_ad as ta
from support import check_gradient

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import workloads  # noqa: E402


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U + b)
    return np.sum(h * h)


def reads_its_target_again(W, y):
    """The sum reads the old `y`: the product cannot become `y` first."""
    y = np.tanh(y @ W + y)
    return np.sum(y * y)


def small_temporary(v, M):
    """``np.tanh(v * 2.0)`` has v's shape, smaller than the sum's (and with
    respect to `M` only, no adjoint needs it: it stays nested)."""
    z = np.tanh(v * 2.0) + M
    return np.sum(z * z)


def logistic(x, w):
    p = 1.0 / (1.0 + np.exp(-(x @ w)))
    return np.sum(p * p)


def inactive_scale(x, C, V):
    """No adjoint needs the denominator of an inactive value: it stays nested."""
    s = 1.0 / (1.0 + np.exp(-(C @ V)))
    return np.sum(s * x)


def one_minus(x, W):
    q = 1.0 - np.tanh(x @ W)
    return np.sum(q * x[:, :3])


def stencil(u0, c):
    u = u0.copy()
    for _ in range(3):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u * u)


def _rnn_args(rng, dtype=np.float64):
    W = rng.standard_normal((4, 4)) * 0.5
    U = rng.standard_normal((3, 4)) * 0.5
    b = rng.standard_normal(4) * 0.1
    xs = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((2, 4)) * 0.3
    return tuple(a.astype(dtype) for a in (W, U, b, xs, h0))


def _same_bits(fn, args, wrt):
    """The optimised gradient equals, bit for bit, the same derivative with
    the in-place pass switched off (everything else optimised alike)."""
    from tangent_ad import cache, transform

    cache.clear()
    got = ta.grad(fn, wrt=wrt)(*args)
    real = transform.compute_in_place
    transform.compute_in_place = lambda func, *rest: func
    try:
        cache.clear()
        reference = ta.grad(fn, wrt=wrt)(*args)
    finally:
        transform.compute_in_place = real
        cache.clear()
    for a, b in zip(got if isinstance(got, tuple) else (got,), reference if isinstance(reference, tuple) else (reference,)):
        np.testing.assert_array_equal(a, b)
    return got


def test_the_rnn_step_is_computed_in_its_product(rng):
    args = _rnn_args(rng)
    source = ta.source(ta.grad(rnn, wrt=(0, 1, 2)), *args)
    for line in ("h = h @ W\n", "h += xs[t] @ U\n", "h += b\n", "np.tanh(h, out=h)\n",
                 "d_t4 = h * h\n", "np.subtract(1.0, d_t4, out=d_t4)\n", "d_t4 *= d_h\n"):
        assert line in source, source
    check_gradient(rnn, args, (0, 1, 2), rtol=1e-11, atol=1e-13)
    _same_bits(rnn, args, (0, 1, 2))


def test_float32_arrays_are_left_alone(rng):
    """In place, a float32 sum with a float64 operand would stay float32."""
    args = _rnn_args(rng, np.float32)
    source = ta.source(ta.grad(rnn, wrt=(0, 1, 2)), *args)
    assert "out=" not in source and "h += " not in source, source
    got = ta.grad(rnn, wrt=(1,))(*args)
    assert got.dtype == np.float32


def test_one_float32_operand_keeps_its_statement(rng):
    W, U, b, xs, h0 = _rnn_args(rng)
    xs = xs.astype(np.float32)
    source = ta.source(ta.grad(rnn, wrt=(0, 1, 2)), W, U, b, xs, h0)
    assert "np.tanh(h, out=h)" not in source, source
    check_gradient(rnn, (W, U, b, xs, h0), (0, 1, 2), rtol=1e-6, atol=1e-8)


def test_the_variants_for_each_dtype_are_kept_apart(rng):
    """The same shapes in float32, then float64, then float32 again: each
    call gets the derivative specialised on its dtypes."""
    df = ta.grad(rnn, wrt=(1,))
    single = _rnn_args(rng, np.float32)
    double = tuple(a.astype(np.float64) for a in single)
    first = df(*single)
    second = df(*double)
    third = df(*single)
    assert first.dtype == third.dtype == np.float32 and second.dtype == np.float64
    np.testing.assert_array_equal(first, third)
    np.testing.assert_allclose(first, second, rtol=1e-4)
    assert "out=" in ta.source(df, *double) and "out=" not in ta.source(df, *single)


def test_a_target_read_again_is_not_the_buffer(rng):
    W, y = rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((2, 3))
    source = ta.source(ta.grad(reads_its_target_again, wrt=(0, 1)), W, y)
    assert "y = y @ W\n" not in source, source
    check_gradient(reads_its_target_again, (W, y), (0, 1), rtol=1e-11, atol=1e-13)


def test_a_temporary_smaller_than_the_result_is_not_the_buffer(rng):
    v, M = rng.standard_normal(3), rng.standard_normal((2, 3))
    source = ta.source(ta.grad(small_temporary, wrt=(1,)), v, M)
    assert "np.tanh(v * 2.0) + M" in source and "z += M" not in source, source
    check_gradient(small_temporary, (v, M), (1,), rtol=1e-11, atol=1e-13)
    check_gradient(small_temporary, (v, M), (0, 1), rtol=1e-11, atol=1e-13)


def test_divide_with_the_buffer_second(rng):
    x, w, W = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((3, 3))
    source = ta.source(ta.grad(logistic, wrt=(0, 1)), x, w)
    # the denominator is read again in the reverse sweep: it keeps its name
    assert re.search(r"np\.exp\((_t\d+), out=\1\)\n", source), source
    check_gradient(logistic, (x, w), (0, 1), rtol=1e-11, atol=1e-13)
    _same_bits(logistic, (x, w), (0, 1))
    C, V = rng.standard_normal((4, 2)), rng.standard_normal((2, 3))
    source = ta.source(ta.grad(inactive_scale), x, C, V)
    for line in ("s = C @ V\n", "np.negative(s, out=s)\n", "np.exp(s, out=s)\n", "s += 1.0\n",
                 "np.divide(1.0, s, out=s)\n"):
        assert line in source, source
    check_gradient(inactive_scale, (x, C, V), (0,), rtol=1e-11, atol=1e-13)
    _same_bits(inactive_scale, (x, C, V), (0,))
    # tanh's adjoint reads its result: the subtraction gets a new array
    source = ta.source(ta.grad(one_minus, wrt=(0, 1)), x, W)
    assert re.search(r"np\.tanh\((_t\d+), out=\1\)\n", source) and "q = 1.0 - _t" in source, source
    check_gradient(one_minus, (x, W), (0, 1), rtol=1e-11, atol=1e-13)
    _same_bits(one_minus, (x, W), (0, 1))


def test_slices_of_an_array_written_in_place(rng):
    u0, c = rng.standard_normal(8), 0.2
    source = ta.source(ta.grad(stencil, wrt=(0, 1)), u0, c)
    assert "np.subtract(u[2:], _t" in source, source
    got = ta.grad(stencil, wrt=(0, 1))(u0, c)
    unoptimised = ta.grad(stencil, wrt=(0, 1), optimize=False)(u0, c)
    for a, b in zip(got, unoptimised):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    _same_bits(stencil, (u0, c), (0, 1))


def test_the_gradient_a_hessian_vector_product_runs_over_is_not_rewritten(rng):
    """Forward mode over a gradient does not take ``out=``: the hvp's own
    gradient keeps its statements, and the product stays right."""
    args = _rnn_args(rng)
    v = rng.standard_normal(args[1].shape)
    got = ta.hvp(rnn, wrt=(1,))(*args, v)
    eps = 1e-6
    plus = ta.grad(rnn, wrt=(1,))(args[0], args[1] + eps * v, *args[2:])
    minus = ta.grad(rnn, wrt=(1,))(args[0], args[1] - eps * v, *args[2:])
    np.testing.assert_allclose(got, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_only_the_optimizer_computes_in_place(rng, optimize):
    source = ta.source(ta.grad(rnn, wrt=(0, 1, 2), optimize=optimize), *_rnn_args(rng))
    assert ("out=" in source) == optimize


def test_the_softmax_gradient_through_reductions_and_unspread_adjoints():
    """The benchmarks' MLP: the adjoint of ``np.exp(z)`` is held unspread,
    with the shape of the row sums, not of `z` (the shape table says
    `z`'s): names assigned once take their value's shape, so the sum that
    spreads it is still written into the product, not the other way round."""
    workload = next(w for w in workloads.WORKLOADS if w.name == "mlp_b128")
    args, wrt = workload.make_args("tiny"), workload.wrt
    source = ta.source(ta.grad(workload.primal, wrt=wrt), *args)
    assert re.search(r"np\.subtract\(1\.0, (d_t\d+), out=\1\)\n", source), source
    assert re.search(r"(d_z) = d_t\d+ \* _t\d+\n +\1 \+= d_logp\n", source), source
    check_gradient(workload.primal, args, wrt, rtol=1e-10, atol=1e-12)
    _same_bits(workload.primal, args, wrt)


def sum_in_float32(x, z):
    """``np.sum(x, 0, np.float32)``: the dtype passed by position."""
    s = np.sum(x * 1.0, 0, np.float32)
    y = s * 2.0 + z
    return np.sum(y * y)


def test_a_reduction_with_a_dtype_by_position_is_not_float64(rng):
    """`s` is float32; ``y = s * 2.0; y += z`` would keep `y` float32 where
    ``s * 2.0 + z`` is float64."""
    x, z = rng.standard_normal((3, 4)), rng.standard_normal(4)
    source = ta.source(ta.grad(sum_in_float32, wrt=(1,)), x, z)
    assert "y += z" not in source and "y = s * 2.0 + z" in source, source
    _same_bits(sum_in_float32, (x, z), (1,))


def test_a_long_chain_of_assignments_does_not_recurse_once_per_link(tmp_path, monkeypatch):
    # the kinds of names assigned once were worked out recursively, one level
    # per link: the 400-line synthetic function raised RecursionError
    lines = ["import numpy as np", "", "", "def chain(x):", "    a0 = x * 1.0"]
    lines += [f"    a{k} = a{k - 1} * 1.001" for k in range(1, 600)]
    lines += ["    y = a599 * 1.0", "    y = y + 1.0", "    return np.sum(y)", ""]
    (tmp_path / "long_chain.py").write_text("\n".join(lines))
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    chain = importlib.import_module("long_chain").chain
    try:
        x = np.array([0.5, -1.0, 2.0])
        np.testing.assert_allclose(ta.grad(chain)(x), np.full(3, 1.001 ** 599), rtol=1e-12)
    finally:
        sys.modules.pop("long_chain", None)
