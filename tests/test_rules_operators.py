"""Rules of `tangent_ad/rules/operators.py`: Python operators on floats and
arrays (with broadcasting) and the builtins abs, float, max, min, pow, sum."""

import numpy as np
import pytest

import tangent_ad as ta
from rules_support import U, args, away, rule_catalogue
from support import check_case

CASES, case = rule_catalogue()

BOTH = (0, 1)


def operands(lo=-1.0, hi=1.0):
    """Two floats, equal shapes, a row against a matrix, a float against a vector."""
    return [
        args(U((), lo, hi), U((), lo, hi)),
        args(U((2, 3), lo, hi), U((2, 3), lo, hi)),
        args(U((2, 3), lo, hi), U((3,), lo, hi)),
        args(U((), lo, hi), U((4,), lo, hi)),
    ]


@case(*operands(), wrt=BOTH)
def add(x1, x2):
    return np.sum(np.sin(x1 + x2))


@case(*operands(), wrt=BOTH)
def sub(x1, x2):
    return np.sum(np.sin(x1 - x2))


@case(*operands(), wrt=BOTH)
def mul(x1, x2):
    return np.sum(np.sin(x1 * x2))


@case(*operands(0.5, 2.0), wrt=BOTH)
def truediv(x1, x2):
    return np.sum(np.sin(x1 / x2))


@case(*operands(0.5, 2.0), wrt=BOTH)
def pow_(x1, x2):
    return np.sum(x1 ** x2)


@case(args(U(()), 3), args(U((3,)), 2), args(U((2, 2)), -1))
def pow_int(x, n):
    return np.sum(x ** n * x)


@case(*operands(0.3, 1.0), wrt=BOTH)
def mod(x1, x2):
    return np.sum(np.sin((x1 * 3.0) % x2))


@case(args(U(())), args(U((2, 3))))
def neg(x):
    return np.sum(np.sin(-x) * x)


@case(args(U(())), args(U((2, 3))), autograd="autograd has no unary +")
def pos(x):
    return np.sum(np.sin(+x) * x)


@case(args(away(())), args(away((2, 3))))
def abs_(x):
    return np.sum(abs(x) * x)


@case(args(U(())), args(lambda rng: np.array(rng.uniform())),
      autograd="autograd cannot differentiate through float()")
def float_(x):
    return float(x) * 2.0 + np.sum(x)


@case(args(0.3, -0.4), args(-0.5, 0.2), wrt=BOTH)
def max_(a, b):
    return max(a, b) * a + b


@case(args(0.3, -0.4), args(-0.5, 0.2), wrt=BOTH)
def min_(a, b):
    return min(a, b) * a + b


@case(args(0.3, -0.4), args(-0.5, 0.2), wrt=BOTH,
      autograd="autograd cannot differentiate max/min of a list")
def max_min_of_list(a, b):
    xs = [a, b * 2.0, a * b]
    return max(xs) + min(xs) * a


@case(args(1.3, 0.4), args(0.5, 2.0), wrt=BOTH)
def builtin_pow(a, b):
    return pow(a, b)


@case(args(U((3,)), U((3,))), args(U((2, 3)), U((3,))), args(U(()), U(())), wrt=BOTH,
      autograd="autograd cannot differentiate the builtin sum of a list")
def sum_of_list(a, b):
    total = sum([a, b, a * b])
    return np.sum(np.sin(total)) + np.sum(sum([a, b], b))


@case(args(U((3, 2))), args(U((4,))), autograd="autograd cannot differentiate builtin sum")
def sum_of_array(x):
    return np.sum(np.sin(sum(x)))


def test_max_and_min_of_equal_arguments_go_to_the_first():
    # like Python, which returns the first of equal arguments
    assert ta.grad(max_, wrt=(0, 1))(0.7, 0.7) == (0.7 + 0.7, 1.0)
    assert ta.grad(min_, wrt=(0, 1))(0.7, 0.7) == (0.7 + 0.7, 1.0)


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)
