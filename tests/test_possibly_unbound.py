"""Names bound only on some paths (a branch that may never run).

The reverse sweep zeros such a name's adjoint before the reversed loop,
shaped like the name's final value (`zeros_like(a)`); when no iteration
bound it, that read must not raise. Forward mode zeros a tangent where
branches join, also for a name only an earlier branch may have bound
(`return 0.0` in one branch, lowered to `_retval = 0.0`). The derivative
binds such names to None first, and a zero of no shape is then never read.
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def bound_in_one_branch_read_in_another(x, s):
    y = x * 1.0
    for i in range(2):
        if s > 0.0:
            a = x
        elif s > 0.5:
            y = a * y
    return np.sum(y * x)


def bound_in_a_branch_read_later(x, s):
    y = x * 1.0
    for i in range(3):
        if i > 0:
            if s > 0.1:
                y = a * y
        if s > 0.0:
            a = x * 0.5
    return np.sum(y * x)


def bound_in_a_loop_that_may_not_run(x, n):
    y = x * 1.0
    for i in range(n):
        if i > 0:
            y = a * y
        a = x + 0.5
    return np.sum(y)


CASES = [
    (bound_in_one_branch_read_in_another, -0.5),
    (bound_in_one_branch_read_in_another, 0.3),
    (bound_in_a_branch_read_later, -0.5),
    (bound_in_a_branch_read_later, 0.05),
    (bound_in_a_branch_read_later, 0.2),
    (bound_in_a_loop_that_may_not_run, 0),
    (bound_in_a_loop_that_may_not_run, 1),
    (bound_in_a_loop_that_may_not_run, 3),
]


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("fn, other", CASES, ids=[f"{fn.__name__}-{other}" for fn, other in CASES])
def test_gradient_and_jvp(fn, other, optimize):
    x = np.array([0.3, -0.2, 0.7])
    args = [x, other]
    expected = numerical_gradient(fn, args, {}, 0)
    np.testing.assert_allclose(ta.grad(fn, optimize=optimize)(*args), expected, rtol=1e-6, atol=1e-9)
    direction = np.array([0.5, -1.0, 2.0])
    _, tangent = ta.jvp(fn, optimize=optimize)(*args, direction)
    np.testing.assert_allclose(tangent, expected @ direction, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fn, other", CASES[:2] + CASES[5:6], ids=["never-bound", "bound", "no-trips"])
def test_hvp(fn, other):
    x = np.array([0.3, -0.2, 0.7])
    direction = np.array([0.5, -1.0, 2.0])
    gradient = ta.grad(fn)
    eps = 1e-6
    expected = (gradient(x + eps * direction, other) - gradient(x - eps * direction, other)) / (2 * eps)
    np.testing.assert_allclose(ta.hvp(fn)(x, other, direction), expected, rtol=1e-6, atol=1e-8)


def test_the_name_is_bound_to_none_before_the_primal():
    x = np.array([0.3, -0.2, 0.7])
    code = ta.source(ta.grad(bound_in_one_branch_read_in_another), x, -0.5)
    assert "    a = None\n" in code
    assert "d_a = zeros_like(a)" in code


def returns_a_constant_in_one_branch(x, a):
    if a > 0:
        return 0.0
    return np.sum(x * x)


def returns_an_argument_in_one_branch(x, a):
    if a > 0:
        return a
    return np.sum(x * x)


def binds_a_constant_in_an_earlier_branch(x, a):
    if a > 0:
        y = 1.0
    if a <= 0:
        y = np.sum(x * x)
    return y


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("a", [0.5, -0.5])
@pytest.mark.parametrize(
    "fn", [returns_a_constant_in_one_branch, returns_an_argument_in_one_branch, binds_a_constant_in_an_earlier_branch]
)
def test_forward_mode_where_one_branch_has_no_tangent(fn, a, optimize):
    x, direction = np.array([0.5, 1.3]), np.array([1.0, -2.0])
    value, tangent = ta.jvp(fn, wrt=(0,), optimize=optimize)(x, a, direction)
    assert value == fn(x, a)
    expected = 0.0 if a > 0 else 2 * x @ direction
    assert tangent == pytest.approx(expected)
    np.testing.assert_allclose(ta.hvp(fn, wrt=(0,), optimize=optimize)(x, a, direction),
                               0.0 if a > 0 else 2 * direction)
