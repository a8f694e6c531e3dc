"""Benchmark workloads: each a primal in plain NumPy and its hand-written gradient.

A primal is written the way a user would write it (that is what tangent_ad
differentiates); the hand-written gradient next to it is the limit: the same
maths with fused/in-place NumPy calls, no wasted work, and whatever structure a
person would exploit by hand (say so in its docstring). Every hand-written
gradient returns a tuple in `wrt` order and is checked against central finite
differences in `tests/test_benchmarks_smoke.py`.

`WORKLOADS` lists them as `Workload` records; `make_args(size)` builds seeded
inputs for `size` in `SIZES` ("tiny" for finite differences, "small" for
checks and `--quick`, "full" for the benchmark).
"""

import dataclasses
from typing import Callable

import numpy as np

SIZES = ("tiny", "small", "full")


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmark problem: `primal(*args)` is a scalar loss."""

    name: str
    title: str
    primal: Callable
    hand_grad: Callable
    wrt: tuple
    make_args: Callable  # size -> tuple of arguments
    note: str = ""


def _rng(size):
    return np.random.default_rng({"tiny": 11, "small": 22, "full": 33}[size])


# ----- (1, 2) MLP 784-300-100-10, tanh, softmax cross-entropy -----


def mlp_loss(W1, b1, W2, b2, W3, b3, x, y):
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def _weight_grad(inputs, d_out):
    """inputs.T @ d_out; for one row, an outer product, which np.einsum
    computes 2-3x faster than a matrix product over one row."""
    if inputs.shape[0] == 1:
        return np.einsum("ki,kj->ij", inputs, d_out)
    return inputs.T @ d_out


def mlp_loss_grad(W1, b1, W2, b2, W3, b3, x, y):
    """Backprop by hand. Exploits that each row of `y` sums to 1 (one-hot
    labels), so d loss / d logits = (softmax - y) / n; reuses buffers in place."""
    n = x.shape[0]
    h1 = x @ W1
    h1 += b1
    np.tanh(h1, out=h1)
    h2 = h1 @ W2
    h2 += b2
    np.tanh(h2, out=h2)
    d3 = h2 @ W3
    d3 += b3
    d3 -= d3.max(axis=1, keepdims=True)
    np.exp(d3, out=d3)
    d3 /= d3.sum(axis=1, keepdims=True)
    d3 -= y
    d3 /= n
    dW3 = _weight_grad(h2, d3)
    db3 = d3.sum(axis=0)
    d2 = d3 @ W3.T
    h2 *= h2
    np.subtract(1.0, h2, out=h2)
    d2 *= h2
    dW2 = _weight_grad(h1, d2)
    db2 = d2.sum(axis=0)
    d1 = d2 @ W2.T
    h1 *= h1
    np.subtract(1.0, h1, out=h1)
    d1 *= h1
    dW1 = _weight_grad(x, d1)
    db1 = d1.sum(axis=0)
    return dW1, db1, dW2, db2, dW3, db3


def _mlp_args(size, batch):
    layers = {"tiny": (6, 5, 4, 3), "small": (20, 12, 8, 5), "full": (784, 300, 100, 10)}[size]
    if size != "full":
        batch = min(batch, 4)
    rng = _rng(size)
    params = []
    for fan_in, fan_out in zip(layers[:-1], layers[1:]):
        params.append(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
        params.append(0.1 * rng.standard_normal(fan_out))
    x = rng.standard_normal((batch, layers[0]))
    y = np.eye(layers[-1])[rng.integers(0, layers[-1], size=batch)]
    return (*params, x, y)


# ----- (3) tanh RNN, 50 steps, hidden 64, input 32, batch 16 -----


def rnn_loss(W_hh, W_xh, b, xs, h0, target):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W_hh + xs[t] @ W_xh + b)
    return 0.5 * np.sum((h - target) ** 2)


def rnn_loss_grad(W_hh, W_xh, b, xs, h0, target):
    """Backprop through time. The input projections of all steps are one
    matmul; dW_hh, dW_xh, db are one matmul / sum over all steps at the end."""
    steps, batch, n_in = xs.shape
    hidden = h0.shape[1]
    rows = steps * batch
    pre = (xs.reshape(rows, n_in) @ W_xh).reshape(steps, batch, hidden)
    pre += b
    hs = np.empty((steps + 1, batch, hidden))
    hs[0] = h0
    for t in range(steps):
        a = hs[t] @ W_hh
        a += pre[t]
        np.tanh(a, out=hs[t + 1])
    dh = hs[steps] - target
    da = pre  # reuse the buffer: da[t] = dh_t * (1 - h_t ** 2)
    for t in range(steps - 1, -1, -1):
        np.multiply(hs[t + 1], hs[t + 1], out=da[t])
        np.subtract(1.0, da[t], out=da[t])
        da[t] *= dh
        dh = da[t] @ W_hh.T
    da_rows = da.reshape(rows, hidden)
    dW_hh = hs[:-1].reshape(rows, hidden).T @ da_rows
    dW_xh = xs.reshape(rows, n_in).T @ da_rows
    db = da_rows.sum(axis=0)
    return dW_hh, dW_xh, db


def _rnn_args(size):
    steps, hidden, n_in, batch = {
        "tiny": (3, 4, 3, 2), "small": (6, 8, 5, 3), "full": (50, 64, 32, 16)}[size]
    rng = _rng(size)
    W_hh = rng.standard_normal((hidden, hidden)) * (0.9 / np.sqrt(hidden))
    W_xh = rng.standard_normal((n_in, hidden)) / np.sqrt(n_in)
    b = 0.1 * rng.standard_normal(hidden)
    xs = rng.standard_normal((steps, batch, n_in))
    h0 = np.zeros((batch, hidden))
    target = 0.5 * rng.standard_normal((batch, hidden))
    return W_hh, W_xh, b, xs, h0, target


# ----- (4) explicit Euler on Python floats, 1000 steps, 3 parameters -----


def ode_rhs(y, a, b, c):
    return a * y - b * y ** 3 + c


def ode_euler(a, b, c, y0, dt, steps):
    y = y0
    for _ in range(steps):
        y = y + dt * ode_rhs(y, a, b, c)
    return y


def ode_euler_inline(a, b, c, y0, dt, steps):
    y = y0
    for _ in range(steps):
        y = y + dt * (a * y - b * y ** 3 + c)
    return y


def ode_euler_grad(a, b, c, y0, dt, steps):
    """Forward sensitivities s_p = dy/dp carried along the loop: one pass,
    nothing stored (cheaper than a reverse sweep for 3 parameters in Python)."""
    y = y0
    sa = sb = sc = 0.0
    for _ in range(steps):
        y2 = y * y
        m = 1.0 + dt * (a - 3.0 * b * y2)
        sa = m * sa + dt * y
        sb = m * sb - dt * y2 * y
        sc = m * sc + dt
        y = y + dt * (a * y - b * y2 * y + c)
    return sa, sb, sc


def _ode_args(size):
    steps = {"tiny": 5, "small": 20, "full": 1000}[size]
    return 0.5, 0.1, 0.2, 1.0, 1.0 / steps, steps


# ----- (5) logistic regression with L2, 10000 x 100 -----


def logreg_loss(w, X, y, lam):
    z = X @ w
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    return loss + 0.5 * lam * np.sum(w * w)


def logreg_loss_grad(w, X, y, lam):
    """X^T (sigmoid(Xw) - y) / n + lam w, with sigmoid(z) = (1 + tanh(z/2)) / 2
    (stable, one transcendental) computed in place."""
    r = X @ w
    r *= 0.5
    np.tanh(r, out=r)
    r += 1.0
    r *= 0.5
    r -= y
    g = r @ X
    g *= 1.0 / X.shape[0]
    g += lam * w
    return (g,)


def _logreg_args(size):
    n, d = {"tiny": (12, 4), "small": (40, 6), "full": (10000, 100)}[size]
    rng = _rng(size)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    y = (X @ w_true + 0.5 * rng.standard_normal(n) > 0).astype(np.float64)
    w = 0.1 * rng.standard_normal(d)
    return w, X, y, 1e-2


# ----- (6) 1-D heat equation, explicit stencil with slice updates -----


def heat_loss(u0, c, target, steps):
    u = u0.copy()
    for _ in range(steps):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
    return 0.5 * np.sum((u - target) ** 2)


def heat_loss_functional(u0, c, target, steps):
    """The same maths without index assignment (for autograd and JAX, which
    cannot differentiate `u[1:-1] = ...`): rebuild u with concatenate."""
    u = u0
    for _ in range(steps):
        inner = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
        u = np.concatenate([u[:1], inner, u[-1:]])
    return 0.5 * np.sum((u - target) ** 2)


def heat_loss_grad(u0, c, target, steps):
    """The stencil is linear in u: the adjoint sweep applies its transpose.
    Keeps only the Laplacians (needed for dc), in one preallocated array."""
    u = u0.copy()
    lap = np.empty((steps, u.shape[0] - 2))
    for k in range(steps):
        lk = lap[k]
        np.add(u[2:], u[:-2], out=lk)
        lk -= 2.0 * u[1:-1]
        u[1:-1] += c * lk
    g = u
    g -= target
    dc = 0.0
    v = np.empty(u.shape[0] - 2)
    for k in range(steps - 1, -1, -1):
        inner = g[1:-1]
        dc += inner @ lap[k]
        np.multiply(inner, c, out=v)
        g[2:] += v
        g[:-2] += v
        g[1:-1] -= 2.0 * v
    return g, dc


def _heat_args(size):
    points, steps = {"tiny": (8, 3), "small": (16, 10), "full": (1000, 200)}[size]
    rng = _rng(size)
    x = np.linspace(0.0, 1.0, points)
    u0 = np.sin(np.pi * x) + 0.1 * rng.standard_normal(points)
    target = 0.5 * np.sin(np.pi * x)
    return u0, 0.2, target, steps


WORKLOADS = [
    Workload(
        "mlp_b128", "MLP 784-300-100-10 tanh, softmax x-ent, batch 128",
        mlp_loss, mlp_loss_grad, (0, 1, 2, 3, 4, 5), lambda size: _mlp_args(size, 128),
    ),
    Workload(
        "mlp_b1", "MLP 784-300-100-10 tanh, softmax x-ent, batch 1",
        mlp_loss, mlp_loss_grad, (0, 1, 2, 3, 4, 5), lambda size: _mlp_args(size, 1),
    ),
    Workload(
        "rnn", "tanh RNN, 50 steps, hidden 64, input 32, batch 16",
        rnn_loss, rnn_loss_grad, (0, 1, 2), _rnn_args,
    ),
    Workload(
        "ode", "explicit Euler on floats, 1000 steps, 3 params (rhs helper call)",
        ode_euler, ode_euler_grad, (0, 1, 2), _ode_args,
    ),
    Workload(
        "ode_inline", "explicit Euler on floats, 1000 steps, 3 params (rhs inlined)",
        ode_euler_inline, ode_euler_grad, (0, 1, 2), _ode_args,
        note="same maths as `ode` with ode_rhs inlined by hand",
    ),
    Workload(
        "logreg", "logistic regression + L2, 10000 x 100",
        logreg_loss, logreg_loss_grad, (0,), _logreg_args,
    ),
    Workload(
        "heat", "1-D heat stencil, 1000 points, 200 steps, wrt u0 and c",
        heat_loss, heat_loss_grad, (0, 1), _heat_args,
        note="autograd/JAX run heat_loss_functional (concatenate, no index assignment)",
    ),
]

BY_NAME = {w.name: w for w in WORKLOADS}
