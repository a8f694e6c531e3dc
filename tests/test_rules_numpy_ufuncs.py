"""Rules of `tangent_ad/rules/numpy_ufuncs.py`: every elementwise function on
two shapes (and broadcasting for the binary ones), against finite differences
and autograd."""

import numpy as np
import pytest

import tangent_ad as ta
from rules_support import U, args, away, rule_catalogue
from support import check_case

CASES, case = rule_catalogue()

V, M = (5,), (2, 3)  # the two shapes every unary ufunc is tried on


def unary(lo=-1.0, hi=1.0):
    return [args(U(V, lo, hi)), args(U(M, lo, hi))]


# ----- Exponentials and logarithms -----


@case(*unary())
def exp(x):
    return np.sum(np.exp(x))


@case(*unary())
def exp2(x):
    return np.sum(np.exp2(x))


@case(*unary())
def expm1(x):
    return np.sum(np.expm1(x))


@case(*unary(0.5, 2.0))
def log(x):
    return np.sum(np.log(x))


@case(*unary(0.5, 2.0))
def log2(x):
    return np.sum(np.log2(x))


@case(*unary(0.5, 2.0))
def log10(x):
    return np.sum(np.log10(x))


@case(*unary(-0.5, 2.0))
def log1p(x):
    return np.sum(np.log1p(x))


@case(*unary(0.5, 2.0))
def sqrt(x):
    return np.sum(np.sqrt(x))


@case(args(away(V)), args(away(M)), autograd="autograd has no VJP for numpy.cbrt")
def cbrt(x):
    return np.sum(np.cbrt(x))


@case(*unary())
def square(x):
    return np.sum(np.square(x) * x)


@case(args(away(V)), args(away(M)))
def reciprocal(x):
    return np.sum(np.reciprocal(x))


@case(*unary())
def negative(x):
    return np.sum(np.negative(x) * x)


@case(*unary(), autograd="autograd has no VJP for numpy.positive")
def positive(x):
    return np.sum(np.positive(x) * x)


@case(args(away(V)), args(away(M)))
def absolute(x):
    return np.sum(np.abs(x) * x)


@case(args(away(V)), args(away(M)))
def fabs(x):
    return np.sum(np.fabs(x) * x)


# ----- Trigonometric -----


@case(*unary())
def sin(x):
    return np.sum(np.sin(x))


@case(*unary())
def cos(x):
    return np.sum(np.cos(x))


@case(*unary())
def tan(x):
    return np.sum(np.tan(x))


@case(*unary(-0.9, 0.9))
def arcsin(x):
    return np.sum(np.arcsin(x))


@case(*unary(-0.9, 0.9))
def arccos(x):
    return np.sum(np.arccos(x))


@case(*unary(-2.0, 2.0))
def arctan(x):
    return np.sum(np.arctan(x))


@case(*unary())
def deg2rad(x):
    return np.sum(np.sin(np.deg2rad(x * 90.0)))


@case(*unary())
def radians(x):
    return np.sum(np.sin(np.radians(x * 90.0)))


@case(*unary())
def rad2deg(x):
    return np.sum(np.rad2deg(x) * x)


@case(*unary())
def degrees(x):
    return np.sum(np.degrees(x) * x)


@case(*unary(-2.0, 2.0))
def sinc(x):
    return np.sum(np.sinc(x))


@case(args(np.array([0.0, 0.5, -1.5])), args(np.array([[0.0], [2.5]])),
      autograd="autograd's sinc gradient is NaN at 0")
def sinc_at_zero(x):
    return np.sum(np.sinc(x))


# ----- Hyperbolic -----


@case(*unary())
def sinh(x):
    return np.sum(np.sinh(x))


@case(*unary())
def cosh(x):
    return np.sum(np.cosh(x))


@case(*unary())
def tanh(x):
    return np.sum(np.tanh(x))


@case(*unary(-2.0, 2.0))
def arcsinh(x):
    return np.sum(np.arcsinh(x))


@case(*unary(1.2, 3.0))
def arccosh(x):
    return np.sum(np.arccosh(x))


@case(*unary(-0.9, 0.9))
def arctanh(x):
    return np.sum(np.arctanh(x))


# ----- Binary ufuncs, with broadcasting -----

BOTH = (0, 1)


def binary(lo=-1.0, hi=1.0):
    """Equal shapes, a row against a matrix, a column against a matrix, a
    Python float against a vector."""
    return [
        args(U(M, lo, hi), U(M, lo, hi)),
        args(U(M, lo, hi), U((3,), lo, hi)),
        args(U((2, 1), lo, hi), U(M, lo, hi)),
        args(U((), lo, hi), U(V, lo, hi)),
    ]


@case(*binary(), wrt=BOTH)
def add(x1, x2):
    return np.sum(np.sin(np.add(x1, x2)))


@case(*binary(), wrt=BOTH)
def subtract(x1, x2):
    return np.sum(np.sin(np.subtract(x1, x2)))


@case(*binary(), wrt=BOTH)
def multiply(x1, x2):
    return np.sum(np.sin(np.multiply(x1, x2)))


@case(*binary(0.5, 2.0), wrt=BOTH)
def divide(x1, x2):
    return np.sum(np.divide(x1, x2))


@case(*binary(0.5, 2.0), wrt=BOTH)
def true_divide(x1, x2):
    return np.sum(np.true_divide(x1, x2) ** 2)


@case(*binary(0.5, 2.0), wrt=BOTH)
def power(x1, x2):
    return np.sum(np.power(x1, x2))


@case(args(U(V), 3), args(U(M), 0), args(U(M), 1))
def power_int_exponent(x, n):
    return np.sum(np.power(x, n) * x)


@case(*binary(0.5, 2.0), wrt=BOTH, autograd="autograd has no VJP for numpy.float_power")
def float_power(x1, x2):
    return np.sum(np.float_power(x1, x2))


@case(*binary(), wrt=BOTH)
def maximum(x1, x2):
    return np.sum(np.maximum(x1, x2) * x1)


@case(*binary(), wrt=BOTH)
def minimum(x1, x2):
    return np.sum(np.minimum(x1, x2) * x1)


@case(*binary(), args(U(V), np.array([np.nan, 0.5, np.nan, -2.0, 2.0])), wrt=BOTH)
def fmax(x1, x2):
    return np.sum(np.fmax(x1, x2) * x1)


@case(*binary(), args(U(V), np.array([np.nan, 0.5, np.nan, -2.0, 2.0])), wrt=BOTH)
def fmin(x1, x2):
    return np.sum(np.fmin(x1, x2) * x1)


@case(*binary(0.3, 2.0), wrt=BOTH)
def hypot(x1, x2):
    return np.sum(np.hypot(x1, x2))


@case(*binary(0.3, 2.0), wrt=BOTH)
def arctan2(x1, x2):
    return np.sum(np.arctan2(x1, x2 - 1.0))


@case(*binary(), wrt=BOTH)
def logaddexp(x1, x2):
    return np.sum(np.logaddexp(x1, x2))


@case(*binary(), wrt=BOTH)
def logaddexp2(x1, x2):
    return np.sum(np.logaddexp2(x1, x2))


@case(*binary(0.3, 1.0), wrt=BOTH)
def remainder(x1, x2):
    return np.sum(np.mod(x1 * 3.0, x2))


@case(*binary(0.3, 1.0), args(U(M, -3.0, -1.0), U((3,), 0.3, 1.0)), wrt=BOTH,
      autograd="autograd has no VJP for numpy.fmod")
def fmod(x1, x2):
    return np.sum(np.fmod(x1 * 3.0, x2))


@case(args(away(M), away(M)), args(away(M), away((3,))),
      autograd="autograd has no VJP for numpy.copysign")
def copysign(x1, x2):
    return np.sum(np.copysign(x1, x2) * x1)


# ----- Selection -----


@case(args(U(M), U(M)), args(U(V), U(V)), wrt=BOTH)
def where(x1, x2):
    return np.sum(np.sin(np.where(x1 > x2, x1, x2 * 2.0)))


@case(args(U(V), U(())), args(U(M), U((3,))), args(U((2, 1)), U(M)), wrt=BOTH,
      autograd="autograd's where does not sum broadcast operands back to their shape")
def where_broadcast(x, y):
    return np.sum(np.sin(np.where(x > 0, x, y)))


@case(args(U(V, -2, 2), U(V, -1.0, -0.5), U(V, 0.5, 1.0)),
      args(U(M, -2, 2), U((3,), -1.0, -0.5), U((2, 1), 0.5, 1.0)), wrt=(0, 1, 2),
      autograd="autograd has no VJP of clip with respect to its bounds")
def clip(x, lo, hi):
    return np.sum(np.sin(np.clip(x, lo, hi)))


@case(args(U(V, -2, 2), U((), 0.0, 0.5)), args(U(M, -2, 2), U((), 0.0, 0.5)), wrt=BOTH,
      autograd="autograd's clip does not accept None bounds")
def clip_no_lower(x, hi):
    return np.sum(np.sin(np.clip(x, None, hi)))


@case(args(U(V, -2, 2), U((), -0.5, 0.0)), args(U(M, -2, 2), U((), -0.5, 0.0)), wrt=BOTH,
      autograd="autograd's clip does not accept None bounds")
def clip_no_upper(x, lo):
    return np.sum(np.sin(np.clip(x, lo, None)))


@case(args(U(V, -2, 2), U((), -0.5, 0.0), U((), 0.0, 0.5)),
      args(U(M, -2, 2), U((), -0.5, 0.0), U((), 0.0, 0.5)), wrt=(0, 1, 2),
      autograd="autograd's clip has no min=/max= keywords (NumPy 2)")
def clip_keywords(x, lo, hi):
    return np.sum(np.sin(np.clip(x, min=lo, max=hi)))


@case(args(U(V, -2, 2), U((), -0.5, 0.0), U((), 0.0, 0.5)),
      args(U(M, -2, 2), U((), -0.5, 0.0), U((), 0.0, 0.5)), wrt=(0, 1, 2),
      autograd="autograd arrays have no clip method")
def clip_method(x, lo, hi):
    return np.sum(np.sin(x.clip(lo, hi))) + np.sum(x.clip(max=hi) * x)


# ----- Zero derivative -----


@case(args(U(V, -3, 3)), args(U(M, -3, 3)))
def rounding_is_flat(x):
    return np.sum((np.floor(x) + np.ceil(x) + np.round(x) + np.sign(x) + np.trunc(x)) * x)


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)


def test_clip_with_a_bound_of_none_keeps_the_gradient_inside():
    x = np.array([-2.0, -0.2, 0.3, 2.0])
    grad = ta.grad(clip_no_lower, wrt=(0, 1))(x, 0.5)
    np.testing.assert_array_equal(grad[0], [1.0 * np.cos(-2.0), np.cos(-0.2), np.cos(0.3), 0.0])
    assert grad[1] == pytest.approx(np.cos(0.5))


def complex_abs(x):
    z = x * 1j + 1.0
    return np.sum(np.abs(z))


def test_complex_values_are_refused():
    with pytest.raises(ta.TangentADError, match="complex"):
        ta.grad(complex_abs)(np.array([0.5, 1.0]))
