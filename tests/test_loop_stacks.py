"""Loops that save one value per step get a list of their own, and the
reversed loop iterates over it (`passes/loop_stacks.py`); the optimizer folds
negations into subtractions and small integer powers into products.

Each case checks the generated code's form (the rewrite happened, or was
rightly refused) and its values against central finite differences and
autograd, for several step counts including zero.
"""


import re

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient

from support import autograd_gradient


def euler(a, b, c, y0, dt, steps):
    y = y0
    for _ in range(steps):
        y = y + dt * (a * y - b * y ** 3 + c)
    return y


def counter_read_in_reverse(x, steps):
    y = x
    for i in range(steps):
        y = y * np.cos(0.1 * i) + x
    return y


def restored_name_read_first(w, xs):
    h = np.zeros(3)
    for t in range(xs.shape[0]):
        h = np.tanh(h * w + xs[t])
    return np.sum(h * h)


def two_loops(a, steps):
    y = a
    for _ in range(steps):
        y = y * y * 0.5 + 0.25
    z = y
    for _ in range(steps):
        z = z * a * z + 0.1
    return z + y


def counter_read_after(x, steps):
    y = x
    i = 0
    for i in range(steps):
        y = y * y * 0.3 + x
    return y * (i + 1)


def early_exit(x, limit):
    y = x
    for k in range(100):
        y = y * y * 0.5 + x
        if y > limit:
            break
    return y


def nested(x, outer, inner):
    y = x
    for _ in range(outer):
        for _ in range(inner):
            y = np.sin(y) * x
    return y


def while_loop(x, steps):
    y = x
    k = 0
    while k < steps:
        y = np.sin(y) + x * y
        k += 1
    return y


def _check(fn, args, wrt):
    got = ta.grad(fn, wrt=wrt)(*args)
    got = got if len(wrt) > 1 else (got,)
    for value, position in zip(got, wrt):
        reference = numerical_gradient(fn, args, {}, position)
        np.testing.assert_allclose(value, reference, rtol=1e-6, atol=1e-9)
    for value, expected in zip(got, autograd_gradient(fn, args, wrt)):
        np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
    return got


def _source(fn, args, wrt):
    return ta.source(ta.grad(fn, wrt=wrt), *args)


@pytest.mark.parametrize("steps", [0, 1, 7, 200])
def test_euler_reverses_over_its_own_list(steps):
    args = (0.5, 0.1, 0.2, 1.0, 0.01, steps)
    source = _source(euler, args, (0, 1, 2))
    assert "_stack1 = []" in source
    assert "_stack1.append(y)" in source
    assert "for y in reversed(_stack1):" in source
    assert "Stack()" not in source and "_stack.pop" not in source
    _check(euler, args, (0, 1, 2))


def test_euler_adjoint_has_no_negation_and_no_pow():
    source = _source(euler, (0.5, 0.1, 0.2, 1.0, 0.01, 5), (0, 1, 2))
    reverse = source.split("# reverse sweep")[1]
    reverse = "\n".join(line for line in reverse.splitlines() if not line.strip().startswith("#"))
    assert re.search(r"d_b -= d_t\d+ \* \(y \* y \* y\)", reverse)
    assert "= -d_" not in reverse
    assert "**" not in reverse


def test_counter_read_by_the_reverse_sweep_keeps_the_range():
    args = (0.7, 6)
    source = _source(counter_read_in_reverse, args, (0,))
    assert "for i in reversed(range(steps)):" in source
    _check(counter_read_in_reverse, args, (0,))


def test_name_read_before_its_pop_keeps_the_shared_stack(rng):
    args = (rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (5, 3)))
    source = _source(restored_name_read_first, args, (0, 1))
    assert "_stack.pop()" in source and "_stack1" not in source
    _check(restored_name_read_first, args, (0, 1))


@pytest.mark.parametrize("steps", [0, 3, 20])
def test_two_loops_get_two_lists(steps):
    args = (0.4, steps)
    source = _source(two_loops, args, (0,))
    assert "for y in reversed(_stack1):" in source or "for y in reversed(_stack2):" in source
    assert "for z in reversed(_stack1):" in source or "for z in reversed(_stack2):" in source
    _check(two_loops, args, (0,))


@pytest.mark.parametrize("steps", [0, 1, 5])
def test_counter_read_after_the_loop(steps):
    _check(counter_read_after, (0.3, steps), (0,))


@pytest.mark.parametrize("limit", [0.5, 2.0, 1e9])
def test_loop_with_break(limit):
    _check(early_exit, (0.6, limit), (0,))


def test_inner_loop_of_a_nest_keeps_the_shared_stack():
    args = (0.8, 3, 4)
    source = _source(nested, args, (0,))
    assert "_stack1" not in source
    _check(nested, args, (0,))


@pytest.mark.parametrize("steps", [0, 4])
def test_while_loop(steps):
    _check(while_loop, (0.3, steps), (0,))


def test_hvp_differentiates_a_gradient_without_loop_lists():
    def f(x):
        y = x
        for _ in range(5):
            y = y * 0.9 + np.sin(y)
        return np.sum(y * y)

    x = np.array([0.3, -0.4, 0.8])
    v = np.array([1.0, 0.5, -2.0])
    got = ta.hvp(f)(x, v)
    df = ta.grad(f)
    eps = 1e-6
    expected = (df(x + eps * v) - df(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    assert "_stack1" in ta.source(df, x)


def test_negation_used_outside_a_sum_stays(rng):
    def f(x, w):
        z = -x
        return np.sum(np.sin(z * w) + z)

    args = (rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4))
    ta.check_grad(f, *args, wrt=(0, 1), rtol=1e-6, atol=1e-9)


def while_on_a_value(x):
    y = x
    k = 0
    while y < 10.0:
        y = y * 1.5 + np.sin(y)
        k = k + 1
    return y * k


def test_a_while_loop_reversed_over_its_list_counts_no_trips():
    """Its reversed loop iterates over the list: the trip counter, which only
    served the reversed range, is gone."""
    _check(while_on_a_value, (0.8,), (0,))
    source = _source(while_on_a_value, (0.8,), (0,))
    assert "in reversed(_stack1)" in source
    assert "_trips" not in source
