"""Shapes the specialised derivative infers, where they were wrong.

`np.matmul` is a generalised ufunc in NumPy 2: it was taken for an
element-wise one (a broadcast of its operands' shapes), and `ones_like(x,
shape=...)` for `x`'s shape; a boolean used as an index (`x[s > 0.5]`, which
adds an axis) for an integer. Each gave gradients of wrong values or shape.
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def mean_of_a_matmul(A, v):
    return np.mean(np.matmul(A, v) ** 2)


def sum_of_a_vector_matmul(x, y):
    return np.sum(np.matmul(x, y) * np.arange(1.0, 3.0))


def ones_of_another_shape(x):
    y = np.ones_like(x, shape=(2, 3))
    return np.sum(y * x)


def indexed_by_a_boolean(x, s):
    y = x[s > 0.5]
    return np.sum(y * x)


CASES = [
    (mean_of_a_matmul, [np.arange(6.0).reshape(2, 3) / 5, np.array([0.5, -1.0, 2.0])], (0, 1)),
    (sum_of_a_vector_matmul, [np.arange(6.0).reshape(2, 3) / 5, np.array([0.5, -1.0, 2.0])], (0, 1)),
    (ones_of_another_shape, [np.array([1.0, 2.0, 3.0])], (0,)),
    (indexed_by_a_boolean, [np.array([1.0, 2.0, 3.0]), 1.0], (0,)),
    (indexed_by_a_boolean, [np.array([1.0, 2.0, 3.0]), 0.0], (0,)),
]


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_specialised_gradients_match_finite_differences(fn, args, wrt):
    got = ta.grad(fn, wrt=wrt)(*args)
    got = got if len(wrt) > 1 else (got,)
    for value, position in zip(got, wrt):
        assert np.shape(value) == np.shape(args[position])
        np.testing.assert_allclose(value, numerical_gradient(fn, args, {}, position), rtol=1e-6, atol=1e-9)


def clipped_cross_entropy(w, X, y):
    p = np.clip(1.0 / (1.0 + np.exp(-(X @ w))), 1e-7, 1 - 1e-7)
    q = np.where(y > 0.5, p, 1.0 - p)
    return -np.mean(np.log(q)) + 0.1 * np.std(w) + np.var(X @ w, axis=0) + np.linalg.norm(w)


def test_clip_where_std_var_and_norm_have_shapes(rng):
    # unknown shapes after them kept full-size logs computed only to lend
    # their shapes to the adjoints (the gradient does not return the loss)
    w, X = rng.normal(size=3), rng.normal(size=(6, 3))
    y = (rng.uniform(size=6) > 0.5).astype(float)
    df = ta.grad(clipped_cross_entropy)
    primal = ta.source(df, w, X, y).split("# reverse sweep")[0]
    assert "np.log(" not in primal and "unbroadcast" not in ta.source(df, w, X, y)
    for position, got in enumerate(ta.grad(clipped_cross_entropy, wrt=(0, 1))(w, X, y)):
        expected = numerical_gradient(clipped_cross_entropy, (w, X, y), {}, position)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def filled_by_index(x, xs):
    n = x.shape[0]
    y = np.zeros(n)
    z = np.zeros(x.shape)
    out = np.zeros((len(xs), n))
    for i in range(n):
        y[i] = np.sin(x[i]) * x[i]
        z[i] = y[i] * 2.0
    for k in range(len(xs)):
        out[k] = xs[k] * x
    tail = np.ones(x.shape[0] - 1) * x[1:]
    return np.sum(y * z) + np.sum(out ** 2) + np.sum(tail)


def test_arrays_made_from_extents_have_shapes(rng):
    # np.zeros(n) with n = x.shape[0], np.zeros(x.shape), len(xs): before,
    # only literal ints gave a shape, and everything after was generic
    x, xs = rng.normal(size=4), [rng.normal(size=4), rng.normal(size=4)]
    df = ta.grad(filled_by_index)
    text = ta.source(df, x, xs)
    assert "unbroadcast(d_y" not in text and "unbroadcast(d_z" not in text and "like(_t" not in text.split("for k")[0]
    np.testing.assert_allclose(df(x, xs), numerical_gradient(filled_by_index, (x, xs), {}, 0), rtol=1e-6, atol=1e-9)
