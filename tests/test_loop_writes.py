"""Index assignment inside loops: what the reverse sweep restores, and the
tangents of what it restores (Hessian-vector products).

Four bugs, each a silently wrong result, found by writing such loops:

* ``v = u * 1.0`` in a loop counted as loop-invariant ("it assigns the same
  value every time", so the old value was not saved), although ``v[i] = ...``
  then changes it: the reverse sweep of an earlier iteration read the later
  iteration's ``v``. The gradient was wrong, optimised or not
  (`analysis._loop_invariant_definitions`).
* An element saved before ``u[i] = ...`` was pushed with a zero tangent: the
  Hessian-vector product's activity analysis did not link a pop to its push,
  so the restored element's tangent was 0 (`forward._edges`).
* Copy elision made the pushed tangent of a row a view (``_stack.push(t_u[i])``)
  of the array written next: the push is a hand-on, like ``t = s``
  (`copies._hands_on`).
* A shape-only argument (``unbroadcast(g, _t1)``) may read another name of
  the same shape (a "donor"); one assigned after the loop had been restored
  to None by then (`reverse._donors` now takes only names bound before).
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient
from forward_support import check_hvp, check_jvp
from support import Case, check_case


def _vector(rng):
    return [rng.uniform(0.5, 1.5, 3)]


def _matrix(rng):
    return [rng.uniform(0.5, 1.5, (3, 2))]


def fresh_copy_written_in_loop(x):
    u = x * 2.0
    s = 0.0
    for i in range(2):
        v = u * 1.0
        v[i] = v[i] * x[i]
        s = s + np.sum(v * u)
    return s


def written_in_loop(x):
    """An element of a vector, or a row of a matrix: a view the push keeps."""
    u = x * 2.0
    s = 0.0
    for i in range(2):
        u[i] = u[i] * x[i]
        s = s + np.sum(u * u)
    return s


def both_written_in_loop(x):
    u = x * 2.0
    s = 0.0
    for i in range(3):
        v = np.real(u) * 1.0
        v[i] = v[i] * x[i]
        u[(i + 1) % 3] = v[i] * 2.0
        s = s + np.sum(v * u)
    return s


def slice_added_in_loop(x):
    u = x * 1.5
    s = 0.0
    for i in range(2):
        w = u * 1.0
        w[1:] += x[:-1] * w[:-1]
        u[i] = w[i] * u[i]
        s = s + np.sum(w * w * x)
    return s + np.sum(u * x)


def shape_donor_bound_later(x, y, W):
    # the loop's adjoint needs the shape of c0[i]; `_t3 = y[1]` (4,) is
    # assigned once at the top level, but after the loop: the reverse sweep
    # has restored it to None by the time the loop's adjoint runs, and
    # unbroadcast(g, None) summed g to a number (a wrong gradient)
    c0 = y @ W
    c1 = c0 @ W
    for i in range(3):
        c1[i] = c1[i, ::-1] * c0[i]
    xc2 = x.copy()
    xc2[0] = y[1] * 2.0
    return np.sum(c1 ** 3)


def element_written_then_scaled(x):
    # the rebinding v = v * 2.0 needs only v's shape, but the element written
    # before it is restored into what the reverse sweep pops back as v
    v = x * 1.0
    v[0] *= x[1]
    v = v * 2.0
    v += 1.0
    return np.sum(v * v)


def element_written_then_scaled_in_a_loop(x):
    v = x * 1.0
    for i in range(2):
        v[i] = v[i + 1] * v[i]
        v = -v
    return np.sum(np.sin(v))


def _three(rng):
    return [rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.5, 0.5, (4, 4))]


CASES = [
    Case(shape_donor_bound_later, _three, wrt=(0, 1, 2), autograd=False),
    Case(fresh_copy_written_in_loop, _vector, autograd=False),
    Case(written_in_loop, _vector, autograd=False, id="element_written_in_loop"),
    Case(written_in_loop, _matrix, autograd=False, id="row_written_in_loop"),
    Case(both_written_in_loop, _vector, autograd=False),
    Case(slice_added_in_loop, _vector, autograd=False),
    Case(element_written_then_scaled, _vector, autograd=False),
    Case(element_written_then_scaled_in_a_loop, _vector, autograd=False),
]
IDS = [case.id for case in CASES]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient(case, optimize):
    check_case(case, np.random.default_rng(1), optimize=optimize)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hessian_vector_product(case, optimize):
    check_hvp(case, np.random.default_rng(2), optimize=optimize)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp(case):
    check_jvp(case, np.random.default_rng(3))


def test_the_value_the_invariant_rule_got_wrong():
    """x = (1.5, 2, 3): the old code gave 36 for the first component, the
    derivative is 39 (iteration 0's v[0] is 3 * 1.5, not 3)."""
    gradient = ta.grad(fresh_copy_written_in_loop)(np.array([1.5, 2.0, 3.0]))
    np.testing.assert_allclose(gradient, [39.0, 64.0, 48.0])


def test_the_loop_saves_the_array_it_writes_into():
    source = ta.source(ta.grad(fresh_copy_written_in_loop), np.array([1.5, 2.0, 3.0]))
    assert "_stack.push(v)" in source, source


def row_from_a_one_row_product(x, W):
    h = np.zeros((3, 4))
    for i in range(3):
        h[i] = np.tanh(x[i:i + 1] @ W)  # (1, 4) into a row of 4
    return np.sum(h * h)


@pytest.mark.parametrize("optimize", [True, False])
def test_a_value_with_a_leading_axis_of_one_written_into_a_row(optimize):
    rng = np.random.default_rng(4)
    x, W = rng.normal(size=(3, 2)), rng.normal(size=(2, 4))
    got = ta.grad(row_from_a_one_row_product, wrt=(0, 1), optimize=optimize)(x, W)
    for position, g in enumerate(got):
        want = numerical_gradient(row_from_a_one_row_product, [x, W], {}, position)
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-9)
