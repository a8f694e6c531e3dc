"""An array nothing reads goes with every write into it (`passes/dead_code.py`):
the gradient inside a Hessian-vector product, which returns only its tangent,
is not updated slice by slice for nothing. Values are checked against
finite differences; arrays something reads (directly or through a view)
keep their writes."""

import re

import numpy as np

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def scratch_written_never_read(x):
    u = x * 2.0
    u[0] = 5.0
    return np.sum(x ** 3)


def scratch_read_after_the_write(x):
    u = x * 2.0
    u[0] = 5.0
    return np.sum(u * x)


def _code(source):
    """The generated statements, without comments."""
    return [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_hvp_does_not_update_the_gradient_it_drops(rng):
    x, v = rng.standard_normal(6), rng.standard_normal(6)
    hvp = ta.hvp(rosen)
    source = ta.source(hvp, x, v)
    assert not re.search(r"\bd_x\b", source), source
    eps = 1e-6
    grad = ta.grad(rosen)
    expected = (grad(x + eps * v) - grad(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp(x, v), expected, rtol=1e-6, atol=1e-8)


def heat(u0, c):
    u = u0.copy()
    for _ in range(3):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
    return 0.5 * np.sum(u ** 2)


def test_hvp_drops_a_gradient_that_only_feeds_itself(rng):
    """In the reversed loop ``d_t6 = d_u[1:-1] * c`` and ``d_u[:-2] = d_u[:-2]
    + d_t6`` read each other and nothing else: both go (the tangent sweep
    was half of the loop's work)."""
    u0, v = rng.standard_normal(8), rng.standard_normal(8)
    hvp = ta.hvp(heat)
    source = ta.source(hvp, u0, 0.2, v)
    assert not re.search(r"\bd_(u|t6)\b", source), source
    eps = 1e-6
    grad = ta.grad(heat, optimize=False)
    expected = (grad(u0 + eps * v, 0.2) - grad(u0 - eps * v, 0.2)) / (2 * eps)
    np.testing.assert_allclose(hvp(u0, 0.2, v), expected, rtol=1e-6, atol=1e-8)


def test_a_scratch_array_nothing_reads_goes(rng):
    x = rng.standard_normal(4)
    df = ta.grad(scratch_written_never_read)
    source = ta.source(df, x)
    assert not [line for line in _code(source) if line.startswith("u")], source
    np.testing.assert_allclose(df(x), 3 * x ** 2, rtol=1e-12)


def test_an_array_read_after_the_write_keeps_it(rng):
    x = rng.standard_normal(4)
    df = ta.grad(scratch_read_after_the_write)
    source = ta.source(df, x)
    assert "u[0] = 5.0" in _code(source)
    reference = numerical_gradient(scratch_read_after_the_write, (x,), {}, 0)
    np.testing.assert_allclose(df(x), reference, rtol=1e-6, atol=1e-9)


def loop_on_the_other_argument(x, y):
    v = y
    for i in range(2):
        v = np.sin(v) + y
    return np.sum(x * x * y) + np.sum(v * y)


def test_a_loop_emptied_by_the_optimizer_goes(rng):
    """Differentiated with respect to x, the Hessian-vector product needs
    nothing of the loop over y: its body went and the loop was left empty,
    generated as a `for` with no body (an IndentationError)."""
    x, y, v = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(4)
    hvp = ta.hvp(loop_on_the_other_argument)
    np.testing.assert_allclose(hvp(x, y, v), 2 * y * v, rtol=1e-12)
    assert "for " not in ta.source(hvp, x, y, v)


def overwritten_row_of_a_gathered_copy(x):
    rows = x[[0, 0, 2]]
    c = rows.copy()
    c[0] = x[1] * 2.0
    return 0.5 * np.sum(c ** 2)


def test_a_read_through_a_view_is_not_moved_past_a_write(rng):
    """In the Hessian-vector product, ``t_t7 = unbroadcast(t_d_c[0], _t2)`` is
    a view of row 0 of `t_d_c`; substitution moved ``copy(t_t7)`` past
    ``t_d_c[0] = 0.0`` and read zeros (found by a random-program test)."""
    x, v = rng.uniform(-1, 1, (3, 4)), rng.standard_normal((3, 4))
    gradient = ta.grad(overwritten_row_of_a_gathered_copy, optimize=False)
    eps = 1e-6
    expected = (gradient(x + eps * v) - gradient(x - eps * v)) / (2 * eps)
    for optimize in (True, False):
        got = ta.hvp(overwritten_row_of_a_gathered_copy, optimize=optimize)(x, v)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
