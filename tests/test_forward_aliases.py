"""A tangent rule may alias where the primal makes a new array.

``v = u * 1.0`` and ``v = u + np.zeros(3)`` are new arrays, but their
tangents are ``t_v = t_u`` (the algebra drops the constant factor and the
zero term); ``u.flatten()`` copies, and its tangent is the view-making rule's
``t_u.flatten()`` passed through as the same expression. A later
``u[0] = 5.0`` then wrote ``t_u[0] = 0.0`` into the buffer ``t_v`` still
holds: the jvp and the Hessian-vector product were silently wrong (0 where 8
was right), with and without the optimizer. Now a tangent that shares a
buffer its primal does not makes both names copy before an in-place write
(`passes/forward.py`, ``_share``). Where the tangent mirrors the primal
(``t_t1 = t_u[2:]`` for ``_t1 = u[2:]``) memory is shared exactly as in the
primal and nothing is copied: the heat stencil's Hessian-vector product has
no copy in its loops.
"""

import numpy as np
import pytest

import tangent_ad as ta
from forward_support import check_hvp, check_jvp
from support import Case


def _vector(rng):
    return [rng.uniform(0.5, 1.5, 3)]


def times_one(x):
    u = x * 2.0
    v = u * 1.0
    u[0] = 5.0
    return np.sum(v * v)


def plus_zero(x):
    u = x * 2.0
    v = u + 0.0
    u[0] = 5.0
    return np.sum(v * v)


def plus_zeros_array(x):
    u = x * 2.0
    v = u + np.zeros(3)
    u[0] = 5.0
    return np.sum(v * v)


def flattened(x):
    u = x * 2.0
    v = u.flatten()
    u[0] = 5.0
    return np.sum(v * v)


def real_part(x):
    u = x * 2.0
    v = np.real(u) * 1.0
    u[1:] = 5.0
    return np.sum(v * v) + np.sum(u * x)


def added_in_place(x):
    u = x * 2.0
    v = u * 1.0
    u[0] += x[1] * x[2]
    return np.sum(v * v * x) + np.sum(u * u)


def in_a_loop(x):
    u = x * 2.0
    total = 0.0
    for i in range(3):
        v = u * 1.0
        u[i] = x[i] * x[0]
        total = total + np.sum(v * v)
    return total


def copied_then_updated(x):
    w = x.copy()
    v = w - 0.0
    w[0] = 5.0
    return np.sum(v * v) + np.sum(w * x)


def _matrix(rng):
    return [rng.uniform(0.5, 1.5, (3, 2))]


def row_times_one(x):
    # t_o = t_t1 with t_t1 = t_c[0]: an alias of c's tangent through a view
    c = x * 2.0
    o = c[0] * 1.0
    c[0] = 5.0
    return np.sum(o * o) + np.sum(c * x)


def row_plus_zero(x):
    c = x * 2.0
    o = c[0:1] + 0.0
    c[0] = 5.0
    return np.sum(o * o) + np.sum(c * x)


CASES = [
    Case(fn, _vector, autograd=False)
    for fn in (times_one, plus_zero, plus_zeros_array, flattened, real_part, added_in_place,
               in_a_loop, copied_then_updated)
] + [Case(fn, _matrix, autograd=False) for fn in (row_times_one, row_plus_zero)]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_jvp_when_a_tangent_aliases_where_the_primal_does_not(case, optimize):
    check_jvp(case, np.random.default_rng(5), optimize=optimize)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_hvp_when_a_tangent_aliases_where_the_primal_does_not(case, optimize):
    check_hvp(case, np.random.default_rng(6), optimize=optimize)


def test_times_one_has_the_slope_the_old_rule_missed():
    """The old code gave 0.0 here: t_v[0] had been overwritten."""
    x, t = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0])
    _, slope = ta.jvp(times_one)(x, t)
    assert slope == pytest.approx(8.0)  # 2 * v[0] * t_v[0] = 2 * 2 * 2


def heat(u0, c):
    u = u0.copy()
    for _ in range(3):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
    return 0.5 * np.sum(u ** 2)


def test_a_mirrored_view_needs_no_copy_in_the_loop():
    u0 = np.linspace(0.0, 1.0, 6)
    source = ta.source(ta.hvp(heat), u0, 0.2, u0)
    in_loops = [line for line in source.splitlines() if line.startswith(" " * 8) and "copy(" in line]
    assert not in_loops, source
    check_hvp(Case(heat, lambda rng: [rng.uniform(0.0, 1.0, 6), 0.2], wrt=(0, 1), autograd=False),
              np.random.default_rng(7))


def restored_inactive(x, y):
    # c does not depend on x when it is written: its pushed tangent is
    # zeros (it was 0.0, and the restore wrote into a float: TypeError)
    c = y * 1.0
    t = np.sum(np.sin(c))
    c[0] = 2.0
    c = c * x
    return t + np.sum(c * c)


def test_an_inactive_array_restored_in_a_hessian_vector_product():
    check_hvp(Case(restored_inactive, lambda rng: [rng.uniform(0.5, 1.5, (3, 2)), rng.uniform(0.5, 1.5, (3, 2))],
                   autograd=False), np.random.default_rng(8))
