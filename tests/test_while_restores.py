"""A ``while`` loop's counter, read by the restore of an element the loop
overwrites.

``c[j] = 2.0`` in a ``while`` loop pushes the row it overwrites, and the
reverse sweep restores it with ``c[j] = _stack.pop()``. That restore reads
``j``; when nothing else in the reverse sweep read ``j`` (the adjoint of ``c``
still zero there), ``j`` was never pushed nor restored, so every iteration of
the reversed loop restored the row of the *final* ``j``: a silently wrong
gradient, or an IndexError when the final counter is out of range. (`for`
loops were fine when the index was the loop target, which the reversed header
rebinds; not with an index computed in the body, ``k = 2 - i; c[k, i] = ...``.)
The save plan (`saves.plan`) now adds the names a restore's index reads once
it knows which elements are restored.
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


# -- the programs ----------------------------------------------------------------


def counter_restore_only(x):
    c = x * 1.0
    t = np.sum(c * c)
    j = 0
    while j < 2:
        c[j] = 2.0
        j += 1
    return t


def final_counter_out_of_range(x):
    c = np.ones_like(x) * 2.0
    t = np.sum(x * c)
    j = 0
    while j < 3:
        q = c[:, j] * 1.0
        c[j] = 0.5
        j += 1
    return t + np.sum(q * x[:, 0])


def final_counter_out_of_range_active(x):
    c = x * 1.0
    t = np.sum(c * c)
    j = 0
    while j < 3:
        q = c[:, j] * 1.0
        c[j] = 2.0
        j += 1
    return t + np.sum(q * x[0, 0])


def inactive_array_out_of_range(x):
    c = np.ones_like(x) * 2.0
    t = np.sum(x * c * c)
    s = 0.0
    j = 0
    while j < 3:
        q = c[:, j]
        s = s + np.sum(q * x[:, j])
        c[j] = 0.5
        j += 1
    return t + s


def counter_plus_one(x):
    c = x * 1.0
    t = np.sum(c * c * x)
    j = 0
    while j < 3:
        c[j] = 0.25
        j = j + 1
    return t


def counter_plus_two(x):
    c = x * 1.0
    t = np.sum(np.sin(c) * x)
    j = 0
    while j < 3:
        c[j, 1:] = 2.0
        j += 2
    return t


def while_in_for(x):
    c = np.ones_like(x) * 1.5
    s = 0.0
    for i in range(2):
        s = s + np.sum(c * x) * (i + 1.0)
        j = i
        while j < 3:
            c[j, i] = 3.0 + j
            j += 1
    return s


def branch_in_while(x):
    c = x * 1.0
    t = np.sum(c * c * c)
    j = 0
    while j < 3:
        if j % 2 == 0:
            c[j] = 2.0
        else:
            c[j, 2] = 5.0
        j += 1
    return t


def two_counters(x):
    c = x * 1.0
    t = np.sum(np.exp(c) * c * x)
    j = 0
    while j < 2:
        k = 0
        while k < 2:
            c[j + k, k] = 0.5
            k += 1
        j += 1
    return t


def two_counters_in_tuple(x):
    c = np.ones_like(x) * 2.0
    s = 0.0
    j = 0
    while j < 2:
        s = s + np.sum(c * x * x)
        k = 1
        while k < 3:
            c[j, k] = 0.5 * k
            k += 1
        j += 1
    return s


def index_array_counter(x):
    c = x * 1.0
    t = np.sum(c * c * x)
    idx = np.array([0, 1])
    j = 0
    while j < 2:
        c[idx] = 2.0
        idx = idx + 1
        j += 1
    return t


def index_array_written_in_place(x):
    c = x * 1.0
    t = np.sum(c * c * x)
    idx = np.array([0, 1])
    j = 0
    while j < 2:
        c[idx] = 2.0
        idx[1] = idx[1] + 1
        j += 1
    return t


def for_with_derived_index(x):
    c = x * 1.0
    t = np.sum(c * c * x)
    for i in range(3):
        k = 2 - i
        c[k, i] = 2.0
    return t


def active_in_loop(x):
    c = x * 1.0
    s = 0.0
    j = 0
    while j < 3:
        s = s + np.sum(c * c)
        c[j] = c[j] * 0.5
        j += 1
    return s + np.sum(c)


CASES = [
    counter_restore_only,
    final_counter_out_of_range,
    final_counter_out_of_range_active,
    inactive_array_out_of_range,
    counter_plus_one,
    counter_plus_two,
    while_in_for,
    branch_in_while,
    two_counters,
    two_counters_in_tuple,
    index_array_counter,
    index_array_written_in_place,
    for_with_derived_index,
    active_in_loop,
]


def _point(seed=0):
    return np.random.default_rng(seed).uniform(0.5, 1.5, (3, 4))


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "plain"])
@pytest.mark.parametrize("fn", CASES, ids=lambda fn: fn.__name__)
def test_gradient_matches_finite_differences(fn, optimize):
    x = _point()
    expected = numerical_gradient(fn, (x,), {}, 0)
    got = ta.grad(fn, optimize=optimize)(x.copy())
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "plain"])
@pytest.mark.parametrize("fn", CASES, ids=lambda fn: fn.__name__)
def test_gradient_leaves_argument_and_is_repeatable(fn, optimize):
    x = _point(1)
    kept = x.copy()
    g = ta.grad(fn, optimize=optimize)
    first = g(x)
    np.testing.assert_array_equal(x, kept)
    np.testing.assert_array_equal(g(x), first)


def test_counter_is_restored_in_the_reverse_sweep():
    text = ta.source(ta.grad(counter_restore_only), _point())
    assert "_stack.push(j)" in text
    assert "j = _stack.pop()" in text


def test_no_counter_saved_without_element_restore():
    """Only a restored element reads the counter: a loop whose overwritten
    rows the reverse sweep never reads saves neither rows nor counter."""

    for optimize in (True, False):
        text = ta.source(ta.grad(unread_rows, optimize=optimize), _point())
        assert "_stack" not in text


def unread_rows(x):
    c = np.ones_like(x)
    j = 0
    while j < 2:
        c[j] = 2.0
        j += 1
    return np.sum(x * x) + np.sum(c)


HVP_CASES = [counter_restore_only, counter_plus_one, two_counters, branch_in_while, while_in_for]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "plain"])
@pytest.mark.parametrize("fn", HVP_CASES, ids=lambda fn: fn.__name__)
def test_hvp_matches_finite_differences_of_the_gradient(fn, optimize):
    x = _point(2)
    v = np.random.default_rng(3).uniform(-1.0, 1.0, x.shape)
    grad = ta.grad(fn, optimize=False)
    eps = 1e-5
    expected = (grad(x + eps * v) - grad(x - eps * v)) / (2 * eps)
    got = ta.hvp(fn, optimize=optimize)(x.copy(), v)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_a_save_plan_that_does_not_settle_is_refused(monkeypatch):
    """The plan is redone until the restores' reads settle; one that never
    settles (forced here: every round reads a new name) raises instead of
    being used half-done."""
    from tangent_ad.passes import saves

    rounds = []

    def restore_reads_never_settling(stmt, rev):
        rounds.append(1)
        return {f"_never{len(rounds)}"}

    monkeypatch.setattr(saves, "_restore_reads", restore_reads_never_settling)
    with pytest.raises(ta.TangentADError, match="save plan did not settle"):
        ta.grad(counter_restore_only)(np.array([1.0, 2.0, 3.0]))
    assert len(rounds) > 10  # it did try, for more rounds than the old cap of 10
