"""Generating a derivative takes time in proportion to the function's length.

The work is counted, not timed (a count is the same on every run; a time on
a shared machine is not): the calls the interpreter makes, as cProfile
counts them, to generate the gradient of the synthetic straight-line
function of `benchmarks/generation.py` -- generic, then specialised for
arrays, as its first call does -- at 100 and at 200 lines. Linear work plus
a fixed cost doubles at most (1.85 here); one look from every statement at
all the later ones per optimizer round gives 2.10, and the optimizer's scans
gave about 2.5 before they used a position index.

The optimizer runs a fixed number of rounds here: how many rounds it needs
to settle depends on what the code offers (one function may settle a round
earlier than one twice its length), and one round more or less moves the
count by about 10%. The check is on the work per round, whose growth
decides whether generation is linear (the rounds are capped).
"""

import cProfile
import os
import pstats
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import generation  # noqa: E402

import tangent_ad as ta  # noqa: E402
from tangent_ad.passes import optimize  # noqa: E402

LINES = 100
LIMIT = 2.05  # calls at 2 * LINES over calls at LINES (deterministic: counted, not timed)
ROUNDS = 4  # optimizer rounds per optimize() call in this test (it settles in 2-4)


def _fixed_rounds(passes, facts):
    for _ in range(ROUNDS):
        for run in passes:
            run()


@pytest.fixture(autouse=True)
def fixed_rounds(monkeypatch):
    monkeypatch.setattr(optimize, "_rounds", _fixed_rounds)


def calls_to_generate(lines, directory):
    """How many calls generating the synthetic gradient of `lines` lines makes."""
    fn, path = generation.load_synthetic(lines, directory=directory)
    x, y = np.linspace(-1.0, 1.0, 50), np.linspace(0.5, 1.5, 50)
    try:
        ta.cache.clear()
        profile = cProfile.Profile()
        profile.enable()
        try:
            ta.source(ta.grad(fn, wrt=(0, 1)), x, y)
        finally:
            profile.disable()
    finally:
        generation.unload_synthetic(path)
        ta.cache.clear()
    return pstats.Stats(profile).total_calls


def growth(directory):
    return calls_to_generate(2 * LINES, directory) / calls_to_generate(LINES, directory)


@pytest.mark.slow
def test_generation_work_grows_linearly(tmp_path):
    ratio = growth(str(tmp_path))
    assert ratio < LIMIT, f"doubling the function's length multiplied the work by {ratio:.2f}"


def _with_pairwise_scan(fold_constants):
    """`fold_constants`, then a look from every statement at each later one."""

    def scanning(func, facts, *args, **kwargs):
        fold_constants(func, facts, *args, **kwargs)
        for i, stmt in enumerate(func.body):
            for later in func.body[i + 1:]:
                isinstance(later, type(stmt))

    return scanning


@pytest.mark.slow
def test_a_quadratic_pass_fails_the_check(tmp_path, monkeypatch):
    """The check can fail: one quadratic scan per optimizer round is caught."""
    monkeypatch.setattr(optimize, "fold_constants", _with_pairwise_scan(optimize.fold_constants))
    assert growth(str(tmp_path)) > LIMIT
