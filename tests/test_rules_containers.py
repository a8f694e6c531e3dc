"""Rules of `tangent_ad/rules/containers_rules.py`: ``list.append`` on the
differentiated path (the list's adjoint is a list, one entry per element)."""

import numpy as np
import pytest

from rules_support import U, args, rule_catalogue
from support import check_case

CASES, case = rule_catalogue()

BOTH = (0, 1)


@case(args(U((3,)), U((3,))), args(U((2, 3)), U((2, 3))), args(U(()), U(())), wrt=BOTH)
def append_then_stack(a, b):
    xs = []
    xs.append(a)
    xs.append(np.sin(b))
    xs.append(a * b)
    return np.sum(np.stack(xs) * np.arange(3).reshape((3,) + (1,) * np.ndim(a)))


@case(args(U((3,)), U((3,))), args(U((2, 3)), U((3,))), wrt=BOTH,
      autograd="autograd cannot differentiate the builtin sum of a list")
def append_in_a_loop(a, b):
    xs = [a]
    for i in range(3):
        xs.append(xs[-1] * b + 1.0)
    return np.sum(np.sin(sum(xs)))


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)
