"""The examples of docs/control-flow.md (tests/test_control_flow_docs.py
checks that the generated code printed there is what tangent_ad generates)."""

import numpy as np


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(len(xs)):
        h = np.tanh(h @ W + xs[t] @ U + b)
    return np.sum(h ** 2)


def clipped(x, limit):
    if np.sum(x) > limit:
        y = x * limit / np.sum(x)
    else:
        y = x
    return np.sum(y ** 2)


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def first_above(x, level):
    s = 0.0
    for i in range(len(x)):
        if x[i] > level:
            break
        s = s + x[i] ** 2
    return s


def heat(u0, c):
    u = u0.copy()
    for t in range(200):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


def scaled(x):
    u = x * 1.0
    for i in range(len(u)):
        u[i] = u[i] * u[i]
    return np.sum(u)


def example_arguments():
    """Arguments the doc's specialised listings are generated for."""
    rng = np.random.default_rng(0)
    return {
        "rnn": (rng.standard_normal((4, 4)), rng.standard_normal((3, 4)), rng.standard_normal(4),
                rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4))),
        "clipped": (rng.standard_normal(6), 1.0),
        "newton_sqrt": (2.0,),
        "first_above": (rng.standard_normal(6), 0.5),
        "heat": (rng.standard_normal(10), 0.1),
        "scaled": (rng.standard_normal(5),),
    }
