"""The 784-300-100-10 tanh MLP with softmax cross-entropy (batch 128)
matches a hand-written NumPy backprop to 1e-10."""

import numpy as np

import tangent_ad as ta


def mlp_loss(W1, b1, W2, b2, W3, b3, x, onehot):
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * log_probs, axis=1))


def mlp_backprop(W1, b1, W2, b2, W3, b3, x, onehot):
    """The gradient a careful person writes by hand."""
    n = x.shape[0]
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    d_logits = (probs - onehot) / n
    d_W3 = h2.T @ d_logits
    d_b3 = d_logits.sum(axis=0)
    d_h2 = d_logits @ W3.T
    d_z2 = d_h2 * (1.0 - h2 * h2)
    d_W2 = h1.T @ d_z2
    d_b2 = d_z2.sum(axis=0)
    d_h1 = d_z2 @ W2.T
    d_z1 = d_h1 * (1.0 - h1 * h1)
    d_W1 = x.T @ d_z1
    d_b1 = d_z1.sum(axis=0)
    return d_W1, d_b1, d_W2, d_b2, d_W3, d_b3


def make_mlp(rng, batch=128, sizes=(784, 300, 100, 10)):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_in, fan_out)))
        params.append(rng.normal(0.0, 0.1, fan_out))
    x = rng.normal(size=(batch, sizes[0]))
    onehot = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
    return params + [x, onehot]


def test_mlp_matches_handwritten_backprop(rng):
    args = make_mlp(rng)
    grads = ta.grad(mlp_loss, wrt=(0, 1, 2, 3, 4, 5))(*args)
    expected = mlp_backprop(*args)
    for got, want in zip(grads, expected):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_mlp_value_and_grad(rng):
    args = make_mlp(rng, batch=16, sizes=(20, 8, 6, 3))
    value, grads = ta.value_and_grad(mlp_loss, wrt=(0, 2, 4))(*args)
    assert np.isclose(value, mlp_loss(*args))
    expected = mlp_backprop(*args)
    for got, want in zip(grads, expected[0::2]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
