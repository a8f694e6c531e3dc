"""The same generated derivatives on Dask arrays (and CuPy, where present)."""

import numpy as np
import pytest

import tangent_ad as ta


def mlp(W1, b1, W2, x):
    h = np.tanh(x @ W1 + b1)
    return np.mean((h @ W2) ** 2)


def softmax_xent(logits, onehot):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * log_probs, axis=1))


def broadcast_ops(x, b):
    return np.sum(x / b + b ** 2 * np.sqrt(x))


def loop(x, W):
    h = x
    for i in range(3):
        h = np.sin(h @ W) + h
    return np.sum(h * h)


def reductions(x):
    return np.sum(np.mean(x, axis=0) ** 2) + np.sum(x.T @ x) + np.sum(np.maximum(x, 0.1))


def stacked(xs, W):
    return np.sum(np.tanh(xs @ W))


def rnn_bias(W, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] + b)
    return np.sum(h * h) + np.sum(np.max(h, axis=1))


def reshaped(W, b):
    # reshape/ravel adjoints (Dask's reshape takes no order=) and b[None]
    # (a Dask write takes no None in its key)
    return np.sum(W.reshape(-1) ** 2) + np.sum(np.tanh(W.ravel())) + np.sum(b[None] * W)


COLUMNS = np.array([0, 2, 2])


def new_axes(x, A):
    # x[:, None] read into an adjoint already there: written without the
    # new axis (d_x += g[:, 0]), which Dask's writes do not take
    return np.sum(x[:, None] * x[None, :] * A) + np.sum(A[1:, None] * A[None, 0])


def gathered(X):
    # integer-array reads with repeats, along a later axis (scatter-added by
    # position on Dask, which has no np.add.at), a sort along axis 1, a mask
    return (np.sum(X[:, COLUMNS] ** 2) + np.sum(np.take(X, COLUMNS, axis=1))
            + np.sum(np.sort(X, axis=1) * np.array([1.0, 2.0, 3.0])) + np.sum(X[X > 0.0] ** 2))


def make_args(rng):
    return {
        # batch 1: the weight gradients are outer products (np.einsum)
        (mlp, 1): ([rng.normal(size=(6, 5)), rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=(1, 6))], (0, 1, 2)),
        stacked: ([rng.normal(size=(3, 4, 5)), rng.normal(size=(5, 2))], (0, 1)),  # np.tensordot
        rnn_bias: ([0.3 * rng.normal(size=(4, 4)), rng.normal(size=4), rng.normal(size=(3, 5, 4)),
                    rng.normal(size=(5, 4))], (0, 1)),  # loop sums; max without keepdims
        mlp: ([rng.normal(size=(6, 5)), rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=(8, 6))], (0, 1, 2)),
        softmax_xent: ([rng.normal(size=(8, 4)), np.eye(4)[rng.integers(0, 4, 8)]], (0,)),
        broadcast_ops: ([rng.uniform(0.5, 2.0, (6, 4)), rng.uniform(0.5, 2.0, 4)], (0, 1)),
        loop: ([rng.normal(size=(5, 4)), 0.3 * rng.normal(size=(4, 4))], (0, 1)),
        reductions: ([rng.normal(size=(6, 3))], (0,)),
        reshaped: ([rng.normal(size=(4, 3)), rng.normal(size=3)], (0, 1)),
        new_axes: ([rng.normal(size=3), rng.normal(size=(3, 3))], (0, 1)),
        gathered: ([rng.normal(size=(4, 3))], (0,)),
    }


def _function(key):
    return key[0] if isinstance(key, tuple) else key


def run_on(module, as_array, rng):
    for key, (args, wrt) in make_args(rng).items():
        fn = _function(key)
        expected = ta.grad(fn, wrt=wrt)(*args)
        got = ta.grad(fn, wrt=wrt)(*[as_array(a) for a in args])
        expected = expected if len(wrt) > 1 else (expected,)
        got = got if len(wrt) > 1 else (got,)
        for g, e in zip(got, expected):
            assert type(g).__module__.split(".")[0] == module, (fn.__name__, type(g))
            np.testing.assert_allclose(np.asarray(g if module != "cupy" else g.get()), e, rtol=1e-10, atol=1e-12)


@pytest.mark.dask
def test_dask_arrays_match_numpy(rng):
    da = pytest.importorskip("dask.array")

    def as_dask(a):
        return da.from_array(a, chunks=2) if isinstance(a, np.ndarray) else a

    def run(fn, wrt, args):
        return ta.grad(fn, wrt=wrt)(*args)

    for key, (args, wrt) in make_args(rng).items():
        fn = _function(key)
        expected = run(fn, wrt, args)
        got = run(fn, wrt, [as_dask(a) for a in args])
        expected = expected if len(wrt) > 1 else (expected,)
        got = got if len(wrt) > 1 else (got,)
        for g, e in zip(got, expected):
            assert type(g).__module__.startswith("dask"), (fn.__name__, type(g))
            np.testing.assert_allclose(np.asarray(g.compute()), e, rtol=1e-10, atol=1e-12)


def _cupy_or_skip():
    cupy = pytest.importorskip("cupy")
    try:
        cupy.zeros(1)
    except Exception as err:  # no GPU / driver
        pytest.skip(f"CuPy present but no usable GPU: {err}")
    return cupy


@pytest.mark.cupy
def test_cupy_arrays_match_numpy(rng):
    cupy = _cupy_or_skip()
    run_on("cupy", lambda a: cupy.asarray(a) if isinstance(a, np.ndarray) else a, rng)


def spaced(x):
    return np.sum(np.linspace(x[0], x[1], 5) ** 2)


@pytest.mark.dask
def test_dask_forward_mode_of_linspace():
    da = pytest.importorskip("dask.array")
    x, t = np.array([0.5, 2.0]), np.array([1.0, -0.5])
    value, tangent = ta.jvp(spaced)(x, t)
    got_value, got_tangent = ta.jvp(spaced)(da.from_array(x, chunks=1), da.from_array(t, chunks=1))
    assert float(got_value) == pytest.approx(value)
    assert float(got_tangent) == pytest.approx(tangent)
