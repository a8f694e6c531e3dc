"""Rules of `tangent_ad/rules/math_rules.py`: `math` functions of Python
floats, each at two points, against finite differences (autograd cannot
trace `math`)."""

import math

import pytest

from rules_support import args, rule_catalogue
from support import check_case

CASES, case = rule_catalogue()

NO_AUTOGRAD = "autograd cannot trace the math module"


def at(*points):
    """One argument maker per point (a float, or a tuple of floats)."""
    return [args(*(p if isinstance(p, tuple) else (p,))) for p in points]


def unary(*points):
    return case(*at(*points), autograd=NO_AUTOGRAD)


def binary(*points):
    return case(*at(*points), wrt=(0, 1), autograd=NO_AUTOGRAD)


@unary(0.3, -1.2)
def exp(x):
    return math.exp(x) * x


@unary(0.3, -1.2)
def expm1(x):
    return math.expm1(x) * x


@unary(0.7, 2.5)
def log(x):
    return math.log(x) * x


@binary((0.7, 3.0), (2.5, 1.5))
def log_base(x, base):
    return math.log(x, base) * x


@unary(0.7, 2.5)
def log2(x):
    return math.log2(x) * x


@unary(0.7, 2.5)
def log10(x):
    return math.log10(x) * x


@unary(0.7, -0.5)
def log1p(x):
    return math.log1p(x) * x


if hasattr(math, "exp2"):  # Python 3.11+, like the rules

    @unary(0.3, -1.2)
    def exp2(x):
        return math.exp2(x) * x

    @unary(0.3, -1.2)
    def cbrt(x):
        return math.cbrt(x) * x


@unary(0.7, 2.5)
def sqrt(x):
    return math.sqrt(x) * x


@binary((0.7, 2.5), (1.5, -0.5))
def pow_(x, p):
    return math.pow(x, p)


@unary(0.3, -1.2)
def sin(x):
    return math.sin(x) * x


@unary(0.3, -1.2)
def cos(x):
    return math.cos(x) * x


@unary(0.3, -1.2)
def tan(x):
    return math.tan(x) * x


@unary(0.3, -0.8)
def asin(x):
    return math.asin(x) * x


@unary(0.3, -0.8)
def acos(x):
    return math.acos(x) * x


@unary(0.3, -1.2)
def atan(x):
    return math.atan(x) * x


@binary((0.3, 1.2), (-0.7, -0.4))
def atan2(y, x):
    return math.atan2(y, x)


@unary(0.3, -1.2)
def degrees(x):
    return math.degrees(x) * x


@unary(0.3, -1.2)
def radians(x):
    return math.sin(math.radians(x * 90.0))


@unary(0.3, -1.2)
def sinh(x):
    return math.sinh(x) * x


@unary(0.3, -1.2)
def cosh(x):
    return math.cosh(x) * x


@unary(0.3, -1.2)
def tanh(x):
    return math.tanh(x) * x


@unary(0.3, -1.2)
def asinh(x):
    return math.asinh(x) * x


@unary(1.3, 2.2)
def acosh(x):
    return math.acosh(x) * x


@unary(0.3, -0.8)
def atanh(x):
    return math.atanh(x) * x


@binary((0.3, 1.2), (-0.7, -0.4))
def hypot(x, y):
    return math.hypot(x, y)


@unary(0.3, -1.2)
def fabs(x):
    return math.fabs(x) * x


@binary((0.3, -1.2), (-0.7, 0.4))
def copysign(x, y):
    return math.copysign(x, y) * x


@binary((2.3, 0.7), (-1.7, 0.4))
def fmod(x, y):
    return math.fmod(x, y) * x


@unary(0.3, -1.2)
def erf(x):
    return math.erf(x) * x


@unary(0.3, -1.2)
def erfc(x):
    return math.erfc(x) * x


@binary((0.3, -1.2), (1.7, 0.4))
def fsum(x, y):
    return math.fsum([x, y * y, x * y])


@unary(1.3, -2.7)
def flat_functions(x):
    return (math.floor(x) + math.ceil(x) + math.trunc(x)) * x


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)
