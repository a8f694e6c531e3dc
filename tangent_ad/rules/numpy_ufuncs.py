"""NumPy elementwise functions (ufuncs).

Unary ufuncs keep their input's shape, so their adjoints need no
un-broadcasting; binary ones un-broadcast each operand's adjoint once.
Each function's tangent (forward-mode) rule follows its adjoint; forward mode
broadcasts an elementwise tangent to the result's shape where a term with a
zero tangent has dropped an operand (``t_x`` for ``x + b``).
"""

import math

import numpy as np

from ..helpers import (
    clip_inside, clip_to_high, clip_to_low, either, fmax_slope, fmin_slope, logistic, max_slope,
    min_slope, positive_log, sign_of_real, sinc_curvature, sinc_slope,
)
from ..runtime import unbroadcast
from .registry import (
    adjoint, elementwise, fresh, linear, method, nondifferentiable, scalar_result, tangent,
)

# ----- Exponentials and logarithms -----


@adjoint(np.exp)
def exp(y, x):
    d[x] = d[y] * y


@tangent(np.exp)
def exp_tangent(y, x):
    d[y] = d[x] * y


@adjoint(np.exp2)
def exp2(y, x):
    d[x] = d[y] * y * math.log(2.0)


@tangent(np.exp2)
def exp2_tangent(y, x):
    d[y] = d[x] * y * math.log(2.0)


@adjoint(np.expm1)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@tangent(np.expm1)
def expm1_tangent(y, x):
    d[y] = d[x] * (y + 1.0)


@adjoint(np.log)
def log(y, x):
    d[x] = d[y] / x


@tangent(np.log)
def log_tangent(y, x):
    d[y] = d[x] / x


@adjoint(np.log2)
def log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@tangent(np.log2)
def log2_tangent(y, x):
    d[y] = d[x] / (x * math.log(2.0))


@adjoint(np.log10)
def log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@tangent(np.log10)
def log10_tangent(y, x):
    d[y] = d[x] / (x * math.log(10.0))


@adjoint(np.log1p)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@tangent(np.log1p)
def log1p_tangent(y, x):
    d[y] = d[x] / (1.0 + x)


@adjoint(np.sqrt)
def sqrt(y, x):
    d[x] = d[y] * 0.5 / y


@tangent(np.sqrt)
def sqrt_tangent(y, x):
    d[y] = d[x] * 0.5 / y


@adjoint(np.cbrt)
def cbrt(y, x):
    d[x] = d[y] / (3.0 * y * y)


@tangent(np.cbrt)
def cbrt_tangent(y, x):
    d[y] = d[x] / (3.0 * y * y)


@adjoint(np.square)
def square(y, x):
    d[x] = d[y] * 2.0 * x


@tangent(np.square)
def square_tangent(y, x):
    d[y] = d[x] * 2.0 * x


@adjoint(np.reciprocal)
def reciprocal(y, x):
    d[x] = -d[y] * y * y


@tangent(np.reciprocal)
def reciprocal_tangent(y, x):
    d[y] = -d[x] * y * y


@adjoint(np.negative)
def negative(y, x):
    d[x] = -d[y]


@tangent(np.negative)
def negative_tangent(y, x):
    d[y] = -d[x]


@adjoint(np.positive)
def positive(y, x):
    d[x] = d[y]


@tangent(np.positive)
def positive_tangent(y, x):
    d[y] = np.positive(d[x])


@adjoint(np.abs)
def abs_(y, x):
    # slope sign(x) (0 at the kink); complex x is refused at run time
    d[x] = d[y] * sign_of_real(x)


@tangent(np.abs)
def abs_tangent(y, x):
    d[y] = d[x] * sign_of_real(x)


@adjoint(np.fabs)
def fabs(y, x):
    d[x] = d[y] * np.sign(x)


@tangent(np.fabs)
def fabs_tangent(y, x):
    d[y] = d[x] * np.sign(x)


# ----- Trigonometric -----


@adjoint(np.sin)
def sin(y, x):
    d[x] = d[y] * np.cos(x)


@tangent(np.sin)
def sin_tangent(y, x):
    d[y] = d[x] * np.cos(x)


@adjoint(np.cos)
def cos(y, x):
    d[x] = -d[y] * np.sin(x)


@tangent(np.cos)
def cos_tangent(y, x):
    d[y] = -d[x] * np.sin(x)


@adjoint(np.tan)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@tangent(np.tan)
def tan_tangent(y, x):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(np.arcsin)
def arcsin(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@tangent(np.arcsin)
def arcsin_tangent(y, x):
    d[y] = d[x] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos)
def arccos(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@tangent(np.arccos)
def arccos_tangent(y, x):
    d[y] = -d[x] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan)
def arctan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@tangent(np.arctan)
def arctan_tangent(y, x):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(np.deg2rad, np.radians)
def deg2rad(y, x):
    d[x] = d[y] * (np.pi / 180.0)


@tangent(np.deg2rad, np.radians)
def deg2rad_tangent(y, x):
    d[y] = d[x] * (np.pi / 180.0)


@adjoint(np.rad2deg, np.degrees)
def rad2deg(y, x):
    d[x] = d[y] * (180.0 / np.pi)


@tangent(np.rad2deg, np.degrees)
def rad2deg_tangent(y, x):
    d[y] = d[x] * (180.0 / np.pi)


@adjoint(np.sinc)
def sinc(y, x):
    # sinc(x) = sin(pi x) / (pi x);  d/dx = (cos(pi x) - sinc(x)) / x, 0 at x = 0
    d[x] = d[y] * sinc_slope(x)


@tangent(np.sinc)
def sinc_tangent(y, x):
    d[y] = d[x] * sinc_slope(x)


@tangent(positive_log)
def positive_log_tangent(y, x):
    # 1 / x where x > 0, else 0 (log of the constant 1 there)
    d[y] = np.where(x > 0, d[x] / np.where(x > 0, x, 1), 0.0)


@tangent(sinc_slope)
def sinc_slope_tangent(y, x):
    # sinc''(x) = -pi sin(pi x) / x - 2 sinc'(x) / x, -pi^2 / 3 at x = 0
    d[y] = d[x] * sinc_curvature(x)


# ----- Hyperbolic -----


@adjoint(np.sinh)
def sinh(y, x):
    d[x] = d[y] * np.cosh(x)


@tangent(np.sinh)
def sinh_tangent(y, x):
    d[y] = d[x] * np.cosh(x)


@adjoint(np.cosh)
def cosh(y, x):
    d[x] = d[y] * np.sinh(x)


@tangent(np.cosh)
def cosh_tangent(y, x):
    d[y] = d[x] * np.sinh(x)


@adjoint(np.tanh)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@tangent(np.tanh)
def tanh_tangent(y, x):
    d[y] = d[x] * (1.0 - y * y)


@adjoint(np.arcsinh)
def arcsinh(y, x):
    d[x] = d[y] / np.sqrt(x * x + 1.0)


@tangent(np.arcsinh)
def arcsinh_tangent(y, x):
    d[y] = d[x] / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh)
def arccosh(y, x):
    d[x] = d[y] / np.sqrt(x * x - 1.0)


@tangent(np.arccosh)
def arccosh_tangent(y, x):
    d[y] = d[x] / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh)
def arctanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


@tangent(np.arctanh)
def arctanh_tangent(y, x):
    d[y] = d[x] / (1.0 - x * x)


# ----- Binary ufuncs -----


@adjoint(np.add)
def add(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(d[y], x2)


@tangent(np.add)
def add_tangent(y, x1, x2):
    d[y] = d[x1] + d[x2]


@adjoint(np.subtract)
def subtract(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y], x2)


@tangent(np.subtract)
def subtract_tangent(y, x1, x2):
    d[y] = d[x1] - d[x2]


@adjoint(np.multiply)
def multiply(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2, x1)
    d[x2] = unbroadcast(d[y] * x1, x2)


@tangent(np.multiply)
def multiply_tangent(y, x1, x2):
    d[y] = d[x1] * x2 + x1 * d[x2]


@adjoint(np.divide, np.true_divide)
def divide(y, x1, x2):
    d[x1] = unbroadcast(d[y] / x2, x1)
    d[x2] = unbroadcast(-d[y] * y / x2, x2)


@tangent(np.divide, np.true_divide)
def divide_tangent(y, x1, x2):
    d[y] = (d[x1] - y * d[x2]) / x2


@adjoint(np.power)
def power(y, x1, x2):
    # y = x1 ** x2:  dy/dx1 = x2 x1 ** (x2 - 1), 0 where x2 == 0 (0 ** 0 == 1 makes
    # the exponent 0 there: no 0 * inf at x1 == 0; a constant x2 folds it to a
    # number);  dy/dx2 = y log(x1), taken as 0 where x1 <= 0 (autograd: 0 at 0)
    d[x1] = unbroadcast(d[y] * x2 * x1 ** (x2 - 1 + (x1 == 0) * 0 ** (x2 * x2)), x1)
    d[x2] = unbroadcast(d[y] * y * positive_log(x1), x2)


@tangent(np.power)
def power_tangent(y, x1, x2):
    d[y] = (
        d[x1] * x2 * x1 ** (x2 - 1 + (x1 == 0) * 0 ** (x2 * x2))
        + d[x2] * y * positive_log(x1)
    )


@adjoint(np.float_power)
def float_power(y, x1, x2):
    # as np.power
    d[x1] = unbroadcast(d[y] * x2 * np.float_power(x1, x2 - 1 + (x1 == 0) * 0 ** (x2 * x2)), x1)
    d[x2] = unbroadcast(d[y] * y * positive_log(x1), x2)


@tangent(np.float_power)
def float_power_tangent(y, x1, x2):
    d[y] = (
        d[x1] * x2 * np.float_power(x1, x2 - 1 + (x1 == 0) * 0 ** (x2 * x2))
        + d[x2] * y * positive_log(x1)
    )


@adjoint(np.maximum)
def maximum(y, x1, x2):
    # ties share the adjoint equally
    d[x1] = unbroadcast(d[y] * max_slope(x1, x2), x1)
    d[x2] = unbroadcast(d[y] * max_slope(x2, x1), x2)


@tangent(np.maximum)
def maximum_tangent(y, x1, x2):
    d[y] = d[x1] * max_slope(x1, x2) + d[x2] * max_slope(x2, x1)


@adjoint(np.minimum)
def minimum(y, x1, x2):
    d[x1] = unbroadcast(d[y] * min_slope(x1, x2), x1)
    d[x2] = unbroadcast(d[y] * min_slope(x2, x1), x2)


@tangent(np.minimum)
def minimum_tangent(y, x1, x2):
    d[y] = d[x1] * min_slope(x1, x2) + d[x2] * min_slope(x2, x1)


@adjoint(np.fmax)
def fmax(y, x1, x2):
    d[x1] = unbroadcast(d[y] * fmax_slope(x1, x2), x1)
    d[x2] = unbroadcast(d[y] * fmax_slope(x2, x1), x2)


@tangent(np.fmax)
def fmax_tangent(y, x1, x2):
    d[y] = d[x1] * fmax_slope(x1, x2) + d[x2] * fmax_slope(x2, x1)


@adjoint(np.fmin)
def fmin(y, x1, x2):
    d[x1] = unbroadcast(d[y] * fmin_slope(x1, x2), x1)
    d[x2] = unbroadcast(d[y] * fmin_slope(x2, x1), x2)


@tangent(np.fmin)
def fmin_tangent(y, x1, x2):
    d[y] = d[x1] * fmin_slope(x1, x2) + d[x2] * fmin_slope(x2, x1)


@adjoint(np.hypot)
def hypot(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x1 / y, x1)
    d[x2] = unbroadcast(d[y] * x2 / y, x2)


@tangent(np.hypot)
def hypot_tangent(y, x1, x2):
    d[y] = (d[x1] * x1 + d[x2] * x2) / y


@adjoint(np.arctan2)
def arctan2(y, x1, x2):
    # angle of the point (x2, x1)
    d[x1] = unbroadcast(d[y] * x2 / (x1 * x1 + x2 * x2), x1)
    d[x2] = unbroadcast(-d[y] * x1 / (x1 * x1 + x2 * x2), x2)


@tangent(np.arctan2)
def arctan2_tangent(y, x1, x2):
    d[y] = (d[x1] * x2 - d[x2] * x1) / (x1 * x1 + x2 * x2)


@adjoint(np.logaddexp)
def logaddexp(y, x1, x2):
    # d/dx1 log(e^x1 + e^x2) = e^x1 / (e^x1 + e^x2) = logistic(x1 - x2): no need of y
    d[x1] = unbroadcast(d[y] * logistic(x1 - x2), x1)
    d[x2] = unbroadcast(d[y] * logistic(x2 - x1), x2)


@tangent(np.logaddexp)
def logaddexp_tangent(y, x1, x2):
    d[y] = d[x1] * logistic(x1 - x2) + d[x2] * logistic(x2 - x1)


@tangent(logistic)
def logistic_tangent(y, t):
    d[y] = d[t] * y * (1.0 - y)


@adjoint(np.logaddexp2)
def logaddexp2(y, x1, x2):
    d[x1] = unbroadcast(d[y] * np.exp2(x1 - y), x1)
    d[x2] = unbroadcast(d[y] * np.exp2(x2 - y), x2)


@tangent(np.logaddexp2)
def logaddexp2_tangent(y, x1, x2):
    d[y] = d[x1] * np.exp2(x1 - y) + d[x2] * np.exp2(x2 - y)


@adjoint(np.mod)
def mod(y, x1, x2):
    # y = x1 - x2 * floor(x1 / x2)
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y] * np.floor_divide(x1, x2), x2)


@tangent(np.mod)
def mod_tangent(y, x1, x2):
    d[y] = d[x1] - d[x2] * np.floor_divide(x1, x2)


@adjoint(np.fmod)
def fmod(y, x1, x2):
    # y = x1 - x2 * trunc(x1 / x2)
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y] * np.trunc(x1 / x2), x2)


@tangent(np.fmod)
def fmod_tangent(y, x1, x2):
    d[y] = d[x1] - d[x2] * np.trunc(x1 / x2)


@adjoint(np.copysign)
def copysign(y, x1, x2):
    # y = |x1| sign(x2): the adjoint of x1 flips where the signs differ
    d[x1] = unbroadcast(d[y] * np.sign(x1) * np.sign(y), x1)


@tangent(np.copysign)
def copysign_tangent(y, x1, x2):
    d[y] = d[x1] * np.sign(x1) * np.sign(y)


# ----- Selection -----


@adjoint(np.where)
def where(y, condition, x, y_):
    d[x] = unbroadcast(np.where(condition, d[y], 0.0), x)
    d[y_] = unbroadcast(np.where(condition, 0.0, d[y]), y_)


@tangent(np.where)
def where_tangent(y, condition, x, y_):
    d[y] = np.where(condition, d[x], d[y_])


@adjoint(np.clip)
def clip(y, a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    # clip(a, lo, hi) = minimum(maximum(a, lo), hi): the adjoint passes to `a`
    # where it lies inside the bounds (ties included), to a bound where it
    # binds, and to hi alone where the bounds cross (lo > hi); a bound of None
    # is no bound (NumPy 2 also spells the bounds min= / max=, and so does
    # ndarray.clip)
    low = either(a_min, min)
    high = either(a_max, max)
    d[a] = unbroadcast(d[y] * clip_inside(a, low, high), a)
    d[a_min] = unbroadcast(d[y] * clip_to_low(a, low, high), a_min)
    d[a_max] = unbroadcast(d[y] * clip_to_high(a, low, high), a_max)
    d[min] = unbroadcast(d[y] * clip_to_low(a, low, high), min)
    d[max] = unbroadcast(d[y] * clip_to_high(a, low, high), max)


@tangent(np.clip)
def clip_tangent(y, a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    d[y] = (
        d[a] * clip_inside(a, either(a_min, min), either(a_max, max))
        + d[a_min] * clip_to_low(a, either(a_min, min), either(a_max, max))
        + d[a_max] * clip_to_high(a, either(a_min, min), either(a_max, max))
        + d[min] * clip_to_low(a, either(a_min, min), either(a_max, max))
        + d[max] * clip_to_high(a, either(a_min, min), either(a_max, max))
    )


# ----- Zero derivative -----

nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
    np.floor_divide, np.isnan, np.isinf, np.isfinite, np.signbit,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.heaviside, ("method", "round"),
)
# where clip returns which operand, and which of two a maximum or minimum
# returns, is piecewise constant
nondifferentiable(clip_to_low, clip_to_high, max_slope, min_slope, fmax_slope, fmin_slope)
method("clip", np.clip)
linear(np.negative, np.positive, np.deg2rad, np.rad2deg)
linear(np.multiply, positions=(0, 1))

# ----- Helpers the adjoints above call (forward over reverse: Hessians) -----


@tangent(either)
def either_tangent(y, first, second):
    d[y] = d[first] if first is not None else d[second]

_UNARY = [
    np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p, np.sqrt, np.cbrt,
    np.square, np.reciprocal, np.negative, np.positive, np.abs, np.absolute, np.fabs,
    np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.deg2rad, np.rad2deg,
    np.radians, np.degrees, np.sinc, np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh,
    np.arctanh, np.sign, np.floor, np.ceil, np.rint, np.trunc,
]
_BINARY = [
    np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.power, np.float_power,
    np.maximum, np.minimum, np.fmax, np.fmin, np.hypot, np.arctan2, np.logaddexp,
    np.logaddexp2, np.mod, np.remainder, np.floor_divide, np.fmod, np.copysign,
]
scalar_result("if-args", *_UNARY, *_BINARY, np.where, np.clip)
fresh(*_UNARY, *_BINARY, np.where, np.clip, ("method", "clip"))

elementwise(np.where, np.clip, ("method", "clip"))
# helpers the adjoints above call, element-wise like the ufuncs they serve
elementwise(logistic, sign_of_real, sinc_slope, sinc_curvature, max_slope, min_slope, positive_log,
            fmax_slope, fmin_slope)
fresh(logistic, sign_of_real, sinc_slope, sinc_curvature, max_slope, min_slope, positive_log,
      clip_inside, clip_to_low, clip_to_high, fmax_slope, fmin_slope)
