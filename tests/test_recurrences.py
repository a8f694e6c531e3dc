"""Recurrences over an array's elements: the gradient a careful person writes.

``u[i] = u[i - 1] * 0.5 + u[i] * u[i]`` reads the element twice (read once:
`passes/cse.py`), reads ``u[i - 1]`` by an index computed again in the
reverse sweep (not saved), saves the overwritten element once, and writes
nothing back into `u` when the reverse sweep never reads `u`
(`dead_code._drop_unread_restores`); the slot's adjoint is assigned, not
zeroed and added to (`copies.assign_over_zeros`).
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def recurrence(x):
    u = x.copy()
    for i in range(1, len(u)):
        u[i] = u[i - 1] * 0.5 + u[i] * u[i]
    return np.sum(u)


def recurrence_on_rows(x):
    u = x.copy()
    for i in range(1, len(u)):
        u[i] = u[i - 1] * 0.5 + u[i] * u[i]
    return np.sum(u)


def read_written_read(x):
    u = x.copy()
    y = u[1] * 2.0
    u[1] = 3.0
    z = u[1] * 2.0
    return y * z + u[1] * x[0]


def reads_the_array_in_the_sweep(x):
    u = x.copy()
    for i in range(1, len(u)):
        u[i] = u[i - 1] * 0.5 + u[i] * u[i]
        u[i - 1] = np.sin(u[i])
    return np.sum(u * u)


@pytest.mark.parametrize("fn, x", [
    (recurrence, np.array([0.3, 0.5, -0.2, 0.4])),
    (recurrence_on_rows, np.array([[0.3, 0.1], [0.5, -0.4], [-0.2, 0.6]])),
    (read_written_read, np.array([0.3, 0.5, -0.2])),
    (reads_the_array_in_the_sweep, np.array([0.3, 0.5, -0.2, 0.4])),
])
def test_gradient(fn, x):
    got = ta.grad(fn)(x)
    np.testing.assert_allclose(got, numerical_gradient(fn, [x], {}, 0), rtol=1e-6, atol=1e-10)


def test_the_recurrence_saves_one_element_a_step():
    source = ta.source(ta.grad(recurrence), np.array([0.3, 0.5, -0.2, 0.4]))
    assert source.count("_stack.push(") + source.count(".append(") == 1
    assert "= _stack.pop()" in source and "u[i] = _stack.pop()" not in source
    assert "d_u[i - 1] +=" in source and "= 0.0" not in source


def newton_sqrt(a):
    x = a
    for i in range(30):
        x = 0.5 * (x + a / x)
    return x


def test_a_quotient_read_by_its_own_adjoint_is_computed_again():
    """The division rule reads its result: ``a / x`` again (one saved value
    a step, the iterate, as by hand)."""
    got = ta.grad(newton_sqrt)(2.0)
    np.testing.assert_allclose(got, 0.5 / np.sqrt(2.0), rtol=1e-12)
    source = ta.source(ta.grad(newton_sqrt), 2.0)
    assert "_stack1.append(x)" in source and "_t0" not in source


def ring(a, n):
    vals = [0.0] * 4
    for i in range(n):
        vals[i % 4] = vals[(i + 3) % 4] * a + 1.0
    return vals[0] + vals[1] + vals[2] + vals[3]


def test_index_temporaries_are_computed_again_in_the_sweep():
    """``vals[i % 4] = vals[(i + 3) % 4] * a``: both indexes are computed again
    (the second through the temporary its own operand is); one value saved
    a step, as by hand."""
    got = ta.grad(ring)(0.5, 50)
    np.testing.assert_allclose(got, numerical_gradient(ring, [0.5, 50], {}, 0), rtol=1e-7)
    source = ta.source(ta.grad(ring), 0.5, 50)
    assert source.count("_stack.push(") == 1
    assert "d_vals[(i + 3) % 4] +=" in source and "d_vals[i % 4] = 0.0" in source
