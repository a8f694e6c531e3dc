"""The examples of docs/forward-mode.md (tests/test_forward_mode.py checks
that the generated code printed there is what tangent_ad generates)."""

import numpy as np


def f(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * x
    return np.sum(y)


def g(x):
    return np.sum(np.tanh(x) * x)
