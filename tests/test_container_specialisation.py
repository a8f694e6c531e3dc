"""Arrays held by list, tuple and dict arguments are part of the
specialisation key: `params[0]` has a known shape when generating, so the
derivative gets the static forms (``x.T @ g``, ``g.sum(axis=0)``) instead of
the run-time helpers, and a call whose items have other shapes gets its own
specialisation. Values are checked against finite differences and autograd.
"""

import collections

import numpy as np
import pytest

import tangent_ad as ta

from support import autograd_gradient


def mlp(params, x, onehot):
    W1, b1, W2, b2 = params
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    z = logits - np.max(logits, axis=1, keepdims=True)
    return -np.mean(np.sum(onehot * (z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))), axis=1))


def scaled(p, x):
    return np.sum(np.tanh(x @ p["W"] + p["b"]) ** 2) * p["scale"]


def nested(groups, x):
    return np.sum(np.tanh(x @ groups[0][0] + groups[0][1]))


def many(values, x):
    total = 0.0
    for v in values:
        total = total + v * np.sum(x)
    return total


def _params(rng, n_in=5, hidden=4, n_out=3, bias=None):
    return [
        rng.standard_normal((n_in, hidden)),
        rng.standard_normal(hidden if bias is None else bias),
        rng.standard_normal((hidden, n_out)),
        rng.standard_normal(n_out),
    ]


def _data(rng, batch=6, n_in=5, n_out=3):
    return rng.standard_normal((batch, n_in)), np.eye(n_out)[rng.integers(0, n_out, batch)]


def _matches_references(fn, args, got, position=0):
    ta.check_grad(fn, *args, wrt=(position,), rtol=1e-6, atol=1e-9)
    expected = autograd_gradient(fn, args, (position,))[0]
    if isinstance(got, dict):
        for key in got:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-10, atol=1e-12)
    else:
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_list_of_parameters_gets_static_code(rng):
    args = (_params(rng), *_data(rng))
    source = ta.source(ta.grad(mlp), *args)
    assert "d_W1 = x.T @ d_" in source
    assert "d_b1 = d_" in source and ".sum(axis=0)" in source
    assert "matmul_rhs" not in source and "unbroadcast" not in source
    _matches_references(mlp, args, ta.grad(mlp)(*args))


def test_tuple_of_parameters(rng):
    args = (tuple(_params(rng)), *_data(rng))
    assert "matmul_rhs" not in ta.source(ta.grad(mlp), *args)
    _matches_references(mlp, args, ta.grad(mlp)(*args))


def test_other_item_shapes_get_their_own_specialisation(rng):
    df = ta.grad(mlp)
    x, y = _data(rng)
    first = (_params(rng), x, y)
    narrow = (_params(rng, hidden=2), x, y)
    broadcast_bias = (_params(rng, hidden=2, bias=1), x, y)
    for args in (first, narrow, broadcast_bias, first):
        got = df(*args)
        assert [g.shape for g in got] == [p.shape for p in args[0]]
        _matches_references(mlp, args, got)
    assert "x.T @ d_" in ta.source(df, *narrow)
    assert ta.source(df, *narrow) != ta.source(df, *broadcast_bias)


def test_an_item_replaced_in_place_by_another_shape(rng):
    df = ta.grad(mlp)
    x, y = _data(rng)
    params = _params(rng)
    df(params, x, y)
    params[1] = rng.standard_normal(1)  # same list, b1 now broadcasts
    got = df(params, x, y)
    assert got[1].shape == (1,)
    _matches_references(mlp, (params, x, y), got)


def test_dict_with_a_scalar_item(rng):
    p = {"W": rng.standard_normal((5, 4)), "b": rng.standard_normal(4), "scale": 0.7}
    args = (p, rng.standard_normal((6, 5)))
    source = ta.source(ta.grad(scaled), *args)
    assert "x.T @ d_" in source and "matmul_rhs" not in source
    _matches_references(scaled, args, ta.grad(scaled)(*args))


def test_dict_subclass_stays_generic_and_correct(rng):
    p = collections.OrderedDict(W=rng.standard_normal((5, 4)), b=rng.standard_normal(4), scale=0.7)
    args = (p, rng.standard_normal((6, 5)))
    got = ta.grad(scaled)(*args)
    for key in ("W", "b", "scale"):
        assert np.shape(got[key]) == np.shape(p[key])
    ta.check_grad(scaled, *args, rtol=1e-6, atol=1e-9)


def test_nested_lists_stay_generic_and_correct(rng):
    groups = [[rng.standard_normal((5, 4)), rng.standard_normal(4)]]
    args = (groups, rng.standard_normal((6, 5)))
    got = ta.grad(nested)(*args)
    assert got[0][0].shape == (5, 4) and got[0][1].shape == (4,)
    ta.check_grad(nested, *args, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("count", [3, 70])
def test_long_lists(rng, count):
    args = (list(rng.standard_normal(count)), rng.standard_normal(4))
    got = ta.grad(many)(*args)
    np.testing.assert_allclose(got, np.full(count, np.sum(args[1])), rtol=1e-12)
