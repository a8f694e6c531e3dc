"""Peak memory of the RNN gradient: tangent_ad vs a hand-written backprop.

A tanh RNN over 50 steps (hidden 64, input 32, batch 16). Peak memory is
measured with tracemalloc (NumPy reports its allocations to it) around one
gradient call each, after a warm-up call, so only the call's own
allocations count.

    python benchmarks/memory_rnn.py
"""

import tracemalloc

import numpy as np

import tangent_ad as ta

STEPS, HIDDEN, INPUT, BATCH = 50, 64, 32, 16


def rnn_loss(W, U, b, xs, h0):
    h = h0
    for t in range(len(xs)):
        h = np.tanh(h @ W + xs[t] @ U + b)
    return np.sum(h ** 2)


def rnn_backprop(W, U, b, xs, h0):
    """Hand-written backpropagation through time: keep every hidden state."""
    hs = [h0]
    h = h0
    for t in range(len(xs)):
        h = np.tanh(h @ W + xs[t] @ U + b)
        hs.append(h)
    d_h = 2.0 * h
    d_W = np.zeros_like(W)
    d_U = np.zeros_like(U)
    d_b = np.zeros_like(b)
    for t in range(len(xs) - 1, -1, -1):
        h = hs[t + 1]
        d_z = d_h * (1.0 - h * h)
        d_W += hs[t].T @ d_z
        d_U += xs[t].T @ d_z
        d_b += d_z.sum(axis=0)
        d_h = d_z @ W.T
    return d_W, d_U, d_b


def make_inputs(seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 1 / np.sqrt(HIDDEN), (HIDDEN, HIDDEN))
    U = rng.normal(0, 1 / np.sqrt(INPUT), (INPUT, HIDDEN))
    b = np.zeros(HIDDEN)
    xs = rng.normal(size=(STEPS, BATCH, INPUT))
    h0 = np.zeros((BATCH, HIDDEN))
    return W, U, b, xs, h0


def peak_bytes(fn, args):
    fn(*args)  # warm up: caches, first-call allocations
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def measure():
    args = make_inputs()
    generated = ta.grad(rnn_loss, wrt=(0, 1, 2))
    for got, want in zip(generated(*args), rnn_backprop(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    ours = peak_bytes(generated, args)
    hand = peak_bytes(rnn_backprop, args)
    return ours, hand


def main():
    ours, hand = measure()
    print(f"RNN gradient, {STEPS} steps, hidden {HIDDEN}, input {INPUT}, batch {BATCH}")
    print(f"  hand-written backprop peak: {hand / 1024:8.1f} KiB")
    print(f"  tangent_ad gradient peak:   {ours / 1024:8.1f} KiB")
    print(f"  ratio tangent_ad / hand-written: {ours / hand:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
