"""The reverse-mode catalogues in forward mode and in Hessian-vector products.

The catalogues are sampled with fixed strides, so the whole file stays
fast: every second straight-line function and every fourth control-flow and
program function through `jvp`, every fifth or eighth through `hvp`
(starting at different offsets), and every sixteenth generated without
optimisation (the unoptimised output must be correct too). The rules
themselves are each run in both modes by `test_forward_rules.py`.
Container and object arguments get tangents of the same structure (an
object's is a dict by attribute name), see `forward_support`.
"""

import pytest

import catalogue_control
import catalogue_programs
import catalogue_straightline
from forward_support import check_hvp, check_jvp

# Known wrong results: case id -> reason (each one a strict expected failure).
HVP_BUGS = {}  # case id -> reason (none open)


# autograd's nested reverse passes over 1000 scalar steps take seconds: these
# are checked against finite differences of the gradient only.
AUTOGRAD_TOO_SLOW = {"euler_ode_1000_steps"}


def hvp_check(case, rng, optimize=True):
    with_autograd = False if case.id in AUTOGRAD_TOO_SLOW else None
    return check_hvp(case, rng, optimize, with_autograd=with_autograd)


def sample(cases, stride, offset=0):
    return cases[offset::stride]


def params(cases, bugs=None):
    bugs = bugs or {}
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=bugs[c.id]))
        if c.id in bugs else pytest.param(c, id=c.id)
        for c in cases
    ]


STRAIGHT = catalogue_straightline.CASES
CONTROL = catalogue_control.CASES
PROGRAMS = catalogue_programs.CASES
# the known bug is always run (an expected failure), sampled or not
HEAT = [c for c in CONTROL if c.id in HVP_BUGS]
CONTROL_HVP = sample(CONTROL, 8, 1) + [c for c in HEAT if c not in sample(CONTROL, 8, 1)]


@pytest.mark.parametrize("case", params(sample(STRAIGHT, 2)))
def test_straightline_jvp(case, rng):
    check_jvp(case, rng)


@pytest.mark.parametrize("case", params(sample(STRAIGHT, 5, 1)))
def test_straightline_hvp(case, rng):
    hvp_check(case, rng)


@pytest.mark.parametrize("case", params(sample(CONTROL, 4)))
def test_control_jvp(case, rng):
    check_jvp(case, rng)


@pytest.mark.parametrize("case", params(CONTROL_HVP, HVP_BUGS))
def test_control_hvp(case, rng):
    hvp_check(case, rng)


@pytest.mark.parametrize("case", params(sample(PROGRAMS, 4, 2)))
def test_programs_jvp(case, rng):
    check_jvp(case, rng)


@pytest.mark.parametrize("case", params(sample(PROGRAMS, 8, 3)))
def test_programs_hvp(case, rng):
    hvp_check(case, rng)


UNOPTIMIZED = sample(STRAIGHT, 16, 5) + sample(CONTROL, 16, 7) + sample(PROGRAMS, 16, 9)


@pytest.mark.parametrize("case", params(UNOPTIMIZED))
def test_unoptimized_jvp_and_hvp(case, rng):
    check_jvp(case, rng, optimize=False)
    hvp_check(case, rng, optimize=False)


def test_samples_cover_every_kind_of_argument():
    """The program samples include container and object arguments."""
    from forward_support import children, is_object

    chosen = sample(PROGRAMS, 4, 2) + sample(PROGRAMS, 8, 3)
    import numpy as np

    kinds = set()
    for case in chosen:
        for value in case.make(np.random.default_rng(0)):
            if is_object(value):
                kinds.add("object")
            elif isinstance(value, dict):
                kinds.add("dict")
            elif children(value) is not None:
                kinds.add("sequence")
    assert {"object", "dict", "sequence"} <= kinds, kinds
