"""The stack of saved values: balanced on every call, and only what is needed.

The generated code makes its stack with the `Stack` helper that
`tangent_ad.runtime.Stack` names *when the derivative is generated* (helpers
are injected as closure cells). The `stacks` fixture therefore swaps in a
recording subclass and clears the derivative cache, so every derivative made
inside a test uses it; both are restored afterwards.
"""

import math
import re

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad import cache, runtime

from support import check_gradient
from test_rematerialized_views import rows_and_columns
from catalogue_control import CASES, euler_ode_1000_steps, heat_stencil_200_steps, rnn_tanh_50_steps

# Known bugs that stop a derivative from being generated or running (id ->
# reason); the gradient bugs of the catalogue need not unbalance the stack, so
# this list is kept apart from `catalogue_control.BUGS`.
STACK_BUGS = {}


def _recording_stack_class(log):
    class Stack(runtime.Stack):
        """A `Stack` that keeps every value pushed and counts the pops."""

        def __init__(self):
            super().__init__()
            self.pushed = []
            self.pops = 0
            push, pop = self.push, self.pop

            def recording_push(value):
                self.pushed.append(value)
                push(value)

            def counting_pop():
                self.pops += 1
                return pop()

            self.push = recording_push
            self.pop = counting_pop
            log.append(self)

    return Stack


@pytest.fixture
def stacks():
    """The list of every `Stack` a derivative generated in the test creates."""
    log = []
    original = runtime.Stack
    runtime.Stack = _recording_stack_class(log)
    cache.clear()
    try:
        yield log
    finally:
        runtime.Stack = original
        cache.clear()


def _params(cases, bugs):
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=bugs[c.id]))
        if c.id in bugs
        else pytest.param(c, id=c.id)
        for c in cases
    ]


def _uses_stack(source):
    # a word match: the comments name this file, test_stack.py
    return re.search(r"\b_stack\b", source) is not None


def _assert_balanced(stacks):
    for stack in stacks:
        assert len(stack) == 0
        assert stack.pops == len(stack.pushed)


# ----- (a) the stack is empty when a derivative returns -----


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("case", _params(CASES, STACK_BUGS))
def test_stack_empty_after_grad(case, optimize, rng, stacks):
    args = case.make(rng)
    df = ta.grad(case.fn, wrt=case.wrt, optimize=optimize)
    df(*args)
    df(*args)
    uses_stack = _uses_stack(ta.source(df, *args))
    # one fresh stack per call, and none when the code has no stack
    assert len(stacks) == (2 if uses_stack else 0)
    _assert_balanced(stacks)


@pytest.mark.parametrize("case", _params(CASES, STACK_BUGS))
def test_stack_empty_after_value_and_grad(case, rng, stacks):
    args = case.make(rng)
    value, _ = ta.value_and_grad(case.fn, wrt=case.wrt)(*args)
    np.testing.assert_allclose(value, case.fn(*args), rtol=1e-12, atol=0.0)
    _assert_balanced(stacks)


# ----- (b) minimal recording -----


def affine_float_loop(y, n):
    for i in range(n):
        y = y * 2.0 + 1.0
    return y


def running_sum_loop(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i]
    return s


def test_loop_needing_nothing_has_no_stack(stacks):
    df = ta.grad(affine_float_loop)
    assert df(0.5, 4) == 16.0
    assert not _uses_stack(ta.source(df))
    assert not _uses_stack(ta.source(df, 0.5, 4))
    assert stacks == []


def test_running_sum_has_no_stack(rng, stacks):
    x = rng.uniform(-1, 1, 5)
    df = ta.grad(running_sum_loop)
    np.testing.assert_array_equal(df(x), np.ones(5))
    assert not _uses_stack(ta.source(df, x))
    assert stacks == []


def _push_counts(stacks, fn, wrt, args):
    """(all pushes, pushes of full values) made by one call of fn's gradient."""
    stacks_before = len(stacks)
    ta.grad(fn, wrt=wrt)(*args)
    made = stacks[stacks_before:]
    assert len(made) == 1
    pushed = made[0].pushed
    full = [v for v in pushed if v is not None and not isinstance(v, runtime.Like)]
    return len(pushed), len(full)


def _per_step(stacks, fn, wrt, make_args, steps):
    """Pushes per loop step, checked to be exactly linear in the step count."""
    counts = [_push_counts(stacks, fn, wrt, make_args(n)) for n in steps]
    (total0, full0), (total1, full1) = counts[0], counts[1]
    k_total = (total1 - total0) // (steps[1] - steps[0])
    k_full = (full1 - full0) // (steps[1] - steps[0])
    for n, (total, full) in zip(steps, counts):
        assert total == total0 + k_total * (n - steps[0])
        assert full == full0 + k_full * (n - steps[0])
    return k_total, k_full, counts


def _rnn_args(rng):
    params = [
        rng.uniform(-0.3, 0.3, (8, 8)),
        rng.uniform(-0.3, 0.3, (8, 3)),
        rng.uniform(-0.1, 0.1, 8),
    ]
    xs = rng.uniform(-1, 1, (50, 3))
    return lambda n: params + [xs[:n]]


def test_rnn_pushes_grow_linearly(rng, stacks):
    steps = (5, 9, 50)
    k_total, k_full, counts = _per_step(stacks, rnn_tanh_50_steps, (0, 1, 2), _rnn_args(rng), steps)
    # one push per step: the hidden state h before it is overwritten (the
    # input row xs[t] is read again by the adjoint, not saved; the matmul/add
    # temporaries need no `like(...)` records); nothing outside the loop
    assert counts[0][0] == 5 * k_total
    assert k_full == 1
    assert k_total == 1
    _assert_balanced(stacks)


def test_rnn_pushes_only_full_values(rng, stacks):
    steps = (5, 9, 50)
    k_total, k_full, _ = _per_step(stacks, rnn_tanh_50_steps, (0, 1, 2), _rnn_args(rng), steps)
    assert k_total == k_full == 1


def _euler_steps(n):
    # the catalogue function runs 1000 steps; same body, n steps
    def euler(k, c, f):
        x = 1.0
        v = 0.0
        dt = 0.01
        for i in range(n):
            a = -k * x - c * v + f * math.sin(dt * i)
            x = x + dt * v
            v = v + dt * a
        return x * x + v

    return euler


def test_euler_pushes_per_step(stacks):
    counts = {}
    for n in (10, 20, 1000):
        counts[n] = _push_counts(stacks, _euler_steps(n), (0, 1, 2), [2.0, 0.3, 0.5])
    k = (counts[20][0] - counts[10][0]) // 10
    assert counts[1000][0] == counts[10][0] + k * 990
    # x and v (overwritten, read by the adjoint) and sin(dt * i) (read by the
    # adjoint of f * sin); the loop-invariant -k is recomputed, not saved
    assert k == 3
    _assert_balanced(stacks)


def test_catalogue_models_balanced_at_full_size(rng, stacks):
    for case in (rnn_tanh_50_steps, euler_ode_1000_steps, heat_stencil_200_steps):
        entry = next(c for c in CASES if c.fn is case)
        ta.grad(entry.fn, wrt=entry.wrt)(*entry.make(rng))
    assert len(stacks) == 3
    _assert_balanced(stacks)


def test_a_save_no_adjoint_reads_any_more_goes(rng, stacks):
    """The save plan keeps `like(_t3)` of ``np.sin(...)`` for the spread of
    ``np.sum``'s adjoint; specialised, the spread is left to broadcasting and
    nothing reads `_t3`: its pushes and pops go (and with them the sine the
    primal no longer needs), the rest of the stack stays balanced."""
    x, w = rng.uniform(-1, 1, (4, 4)), rng.uniform(-1, 1, 4)
    generic = ta.source(ta.grad(rows_and_columns, wrt=(0, 1)))
    assert "push(like(" in generic, generic
    source = ta.source(ta.grad(rows_and_columns, wrt=(0, 1)), x, w)
    assert "push(like(" not in source and "= np.sin(" not in source.split("# reverse sweep")[0], source
    check_gradient(rows_and_columns, (x, w), (0, 1), rtol=1e-12, atol=1e-14)
    _assert_balanced(stacks)


def rebound_once(x):
    s = x[0]
    s = s * x[1]
    return s


def test_a_save_whose_assignment_went_is_dropped():
    # s = s * x[1] is dead in a gradient (its value is the output's); the
    # push of the old s and its pop restored what s still held
    x = np.array([0.3, -0.2, 0.5])
    source = ta.grad(rebound_once).source(x)
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    assert "_stack" not in code and "Stack()" not in code, source
    np.testing.assert_allclose(ta.grad(rebound_once)(x), [-0.2, 0.3, 0.0])
