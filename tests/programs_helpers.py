"""Helpers the program catalogue calls into from ANOTHER module.

The catalogue reaches these as ``programs_helpers.name(...)`` and through
``from programs_helpers import ...``; they read this module's own constants
(`WEIGHT`, `OFFSETS`) and call each other, so inlining has to resolve names
in this module, not the caller's. The functions at the bottom are refused on
purpose (the refusal tests check the error points at THIS file).
"""

import numpy as np

WEIGHT = 0.75
OFFSETS = np.array([0.1, -0.2, 0.3])
COUNTER = 0


def squared_error(pred, target):
    diff = pred - target
    return WEIGHT * np.mean(diff * diff)


def softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy(logits, onehot):
    probs = softmax(logits)
    return -np.mean(np.sum(onehot * np.log(probs), axis=-1))


def huber(r, delta=1.0):
    a = np.abs(r)
    quadratic = np.minimum(a, delta)
    linear = a - quadratic
    return np.sum(0.5 * quadratic * quadratic + delta * linear)


def shifted_tanh(x):
    return np.tanh(x + OFFSETS)


GATED = True
SCALES = np.array([[1.0, 2.0, 3.0]])  # broadcast against an (n, 1) argument


def gated_square(x):
    """Branches on this module's flag (inlined, the test reads it as
    ``programs_helpers.GATED``, which an `if` cannot test directly)."""
    if GATED:
        y = x * x
    else:
        y = x * 3.0
    return y


def scaled_columns(x):
    """Broadcasts against this module's array: read as an attribute, it must
    not be taken for a number (the adjoint of x sums over the columns)."""
    return np.sin(x * SCALES)


def apply(fn, x):
    """Calls a function the caller passes in (test_cache: the caller's name for
    it is what a rebinding changes)."""
    return fn(x)


def attention(q, k, v):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    return softmax(scores) @ v


# ----- refused on purpose -----


ROWS = np.array([[1.0, 0.5], [0.8, -1.0]])


def scaled_by_rows(x):
    """Loops over this module's `ROWS`: item by item, with enumerate, with zip
    (the caller's module has a `ROWS` of its own, which must not be read)."""
    h = x
    for row in ROWS:
        h = h * row[0] + row[1]
    for i, row in enumerate(ROWS):
        h = h + i * row[1] * h
    for row, offset in zip(ROWS, OFFSETS):
        h = np.sin(h * row[0]) + offset
    return h


def bump_counter(x):
    global COUNTER
    COUNTER = COUNTER + 1
    return x * 2.0


class Scaler:
    """A callable object: called through its class's __call__."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, x):
        return self.factor * x


SCALER = Scaler(3.0)


def writes_through_an_alias(x):
    y = x
    y[0] = 1.0
    return y
