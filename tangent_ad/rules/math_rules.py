"""The `math` module: scalar functions on Python floats.

Adjoints call `math` too, so derivatives of scalar code stay scalar code.
Each function's tangent (forward-mode) rule follows its adjoint: ``d[x]`` is
the tangent of `x` there, and ``d[y] = ...`` gives the result's.
"""

import math

from ..helpers import positive_log, unsum_sequence
from .registry import adjoint, linear, nondifferentiable, scalar_result, tangent

# ----- Exponentials and logarithms -----


@adjoint(math.exp)
def exp(y, x):
    d[x] = d[y] * y


@tangent(math.exp)
def exp_tangent(y, x):
    d[y] = d[x] * y


@adjoint(math.expm1)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@tangent(math.expm1)
def expm1_tangent(y, x):
    d[y] = d[x] * (y + 1.0)


@adjoint(math.log)
def log(y, x, base=math.e):
    d[x] = d[y] / (x * math.log(base))
    d[base] = -d[y] * y / (base * math.log(base))


@tangent(math.log)
def log_tangent(y, x, base=math.e):
    d[y] = d[x] / (x * math.log(base)) - d[base] * y / (base * math.log(base))


@adjoint(math.log2)
def log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@tangent(math.log2)
def log2_tangent(y, x):
    d[y] = d[x] / (x * math.log(2.0))


@adjoint(math.log10)
def log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@tangent(math.log10)
def log10_tangent(y, x):
    d[y] = d[x] / (x * math.log(10.0))


@adjoint(math.log1p)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@tangent(math.log1p)
def log1p_tangent(y, x):
    d[y] = d[x] / (1.0 + x)


if hasattr(math, "exp2"):  # Python 3.11+

    @adjoint(math.exp2)
    def exp2(y, x):
        d[x] = d[y] * y * math.log(2.0)


    @tangent(math.exp2)
    def exp2_tangent(y, x):
        d[y] = d[x] * y * math.log(2.0)


if hasattr(math, "cbrt"):  # Python 3.11+

    @adjoint(math.cbrt)
    def cbrt(y, x):
        d[x] = d[y] / (3.0 * y * y)


    @tangent(math.cbrt)
    def cbrt_tangent(y, x):
        d[y] = d[x] / (3.0 * y * y)


@adjoint(math.sqrt)
def sqrt(y, x):
    d[x] = d[y] * 0.5 / y


@tangent(math.sqrt)
def sqrt_tangent(y, x):
    d[y] = d[x] * 0.5 / y


@adjoint(math.pow)
def pow_(y, x, p):
    # as for x ** p (rules/operators.py): the exponent is 0 where p == 0, so
    # no 0 ** -1 at x == 0; the slope in p taken as 0 where x <= 0
    d[x] = d[y] * p * x ** (p - 1.0 + (x == 0) * 0.0 ** (p * p))
    d[p] = d[y] * y * positive_log(x)


@tangent(math.pow)
def pow_tangent(y, x, p):
    d[y] = d[x] * p * x ** (p - 1.0 + (x == 0) * 0.0 ** (p * p)) + d[p] * y * positive_log(x)


# ----- Trigonometric and hyperbolic -----


@adjoint(math.sin)
def sin(y, x):
    d[x] = d[y] * math.cos(x)


@tangent(math.sin)
def sin_tangent(y, x):
    d[y] = d[x] * math.cos(x)


@adjoint(math.cos)
def cos(y, x):
    d[x] = -d[y] * math.sin(x)


@tangent(math.cos)
def cos_tangent(y, x):
    d[y] = -d[x] * math.sin(x)


@adjoint(math.tan)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@tangent(math.tan)
def tan_tangent(y, x):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(math.asin)
def asin(y, x):
    d[x] = d[y] / math.sqrt(1.0 - x * x)


@tangent(math.asin)
def asin_tangent(y, x):
    d[y] = d[x] / math.sqrt(1.0 - x * x)


@adjoint(math.acos)
def acos(y, x):
    d[x] = -d[y] / math.sqrt(1.0 - x * x)


@tangent(math.acos)
def acos_tangent(y, x):
    d[y] = -d[x] / math.sqrt(1.0 - x * x)


@adjoint(math.atan)
def atan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@tangent(math.atan)
def atan_tangent(y, x):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(math.atan2)
def atan2(y_, y, x):
    # angle of (x, y): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
    d[y] = d[y_] * x / (x * x + y * y)
    d[x] = -d[y_] * y / (x * x + y * y)


@tangent(math.atan2)
def atan2_tangent(y_, y, x):
    d[y_] = (d[y] * x - d[x] * y) / (x * x + y * y)


@adjoint(math.degrees)
def degrees(y, x):
    d[x] = d[y] * (180.0 / math.pi)


@tangent(math.degrees)
def degrees_tangent(y, x):
    d[y] = d[x] * (180.0 / math.pi)


@adjoint(math.radians)
def radians(y, x):
    d[x] = d[y] * (math.pi / 180.0)


@tangent(math.radians)
def radians_tangent(y, x):
    d[y] = d[x] * (math.pi / 180.0)


@adjoint(math.sinh)
def sinh(y, x):
    d[x] = d[y] * math.cosh(x)


@tangent(math.sinh)
def sinh_tangent(y, x):
    d[y] = d[x] * math.cosh(x)


@adjoint(math.cosh)
def cosh(y, x):
    d[x] = d[y] * math.sinh(x)


@tangent(math.cosh)
def cosh_tangent(y, x):
    d[y] = d[x] * math.sinh(x)


@adjoint(math.tanh)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@tangent(math.tanh)
def tanh_tangent(y, x):
    d[y] = d[x] * (1.0 - y * y)


@adjoint(math.asinh)
def asinh(y, x):
    d[x] = d[y] / math.sqrt(x * x + 1.0)


@tangent(math.asinh)
def asinh_tangent(y, x):
    d[y] = d[x] / math.sqrt(x * x + 1.0)


@adjoint(math.acosh)
def acosh(y, x):
    d[x] = d[y] / math.sqrt(x * x - 1.0)


@tangent(math.acosh)
def acosh_tangent(y, x):
    d[y] = d[x] / math.sqrt(x * x - 1.0)


@adjoint(math.atanh)
def atanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


@tangent(math.atanh)
def atanh_tangent(y, x):
    d[y] = d[x] / (1.0 - x * x)


# ----- Other -----


@adjoint(math.hypot)
def hypot(y, x1, x2):
    d[x1] = d[y] * x1 / y
    d[x2] = d[y] * x2 / y


@tangent(math.hypot)
def hypot_tangent(y, x1, x2):
    d[y] = (d[x1] * x1 + d[x2] * x2) / y


@adjoint(math.fabs)
def fabs(y, x):
    d[x] = d[y] * math.copysign(1.0, x) * (x != 0.0)


@tangent(math.fabs)
def fabs_tangent(y, x):
    d[y] = d[x] * math.copysign(1.0, x) * (x != 0.0)


@adjoint(math.copysign)
def copysign(y, x1, x2):
    # y = |x1| sign(x2)
    d[x1] = d[y] * math.copysign(1.0, x1) * math.copysign(1.0, x2) * (x1 != 0.0)


@tangent(math.copysign)
def copysign_tangent(y, x1, x2):
    d[y] = d[x1] * math.copysign(1.0, x1) * math.copysign(1.0, x2) * (x1 != 0.0)


@adjoint(math.fmod)
def fmod(y, x1, x2):
    # y = x1 - x2 * trunc(x1 / x2)
    d[x1] = d[y]
    d[x2] = -d[y] * math.trunc(float(x1 / x2))  # (np.float32 has no __trunc__)


@tangent(math.fmod)
def fmod_tangent(y, x1, x2):
    d[y] = d[x1] - d[x2] * math.trunc(float(x1 / x2))


@adjoint(math.erf)
def erf(y, x):
    d[x] = d[y] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@tangent(math.erf)
def erf_tangent(y, x):
    d[y] = d[x] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@adjoint(math.erfc)
def erfc(y, x):
    d[x] = -d[y] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@tangent(math.erfc)
def erfc_tangent(y, x):
    d[y] = -d[x] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@adjoint(math.fsum)
def fsum(y, seq):
    # the adjoint of a sequence is a list, one entry per element
    d[seq] = unsum_sequence(d[y], seq)


@tangent(math.fsum)
def fsum_tangent(y, seq):
    d[y] = math.fsum(d[seq])


linear(math.fsum, math.degrees, math.radians)

nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
                  math.isclose)

scalar_result(
    "always",
    math.exp, math.expm1, math.log, math.log2, math.log10, math.log1p, math.sqrt, math.pow,
    math.sin, math.cos, math.tan, math.asin, math.acos, math.atan, math.atan2,
    math.sinh, math.cosh, math.tanh, math.asinh, math.acosh, math.atanh, math.hypot,
    math.fabs, math.erf, math.erfc, math.degrees, math.radians, math.copysign, math.fmod,
    math.fsum, math.floor, math.ceil, math.trunc,
    *[getattr(math, name) for name in ("exp2", "cbrt") if hasattr(math, name)],
)
