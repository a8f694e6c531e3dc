"""The `math` module: scalar functions on Python floats.

Adjoints call `math` too, so derivatives of scalar code stay scalar code.
"""

import math

from ..helpers import unsum_sequence
from .registry import adjoint, nondifferentiable, scalar_result

# ----- Exponentials and logarithms -----


@adjoint(math.exp)
def exp(y, x):
    d[x] = d[y] * y


@adjoint(math.expm1)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(math.log)
def log(y, x, base=math.e):
    d[x] = d[y] / (x * math.log(base))
    d[base] = -d[y] * y / (base * math.log(base))


@adjoint(math.log2)
def log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@adjoint(math.log10)
def log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@adjoint(math.log1p)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


if hasattr(math, "exp2"):  # Python 3.11+

    @adjoint(math.exp2)
    def exp2(y, x):
        d[x] = d[y] * y * math.log(2.0)


if hasattr(math, "cbrt"):  # Python 3.11+

    @adjoint(math.cbrt)
    def cbrt(y, x):
        d[x] = d[y] / (3.0 * y * y)


@adjoint(math.sqrt)
def sqrt(y, x):
    d[x] = d[y] * 0.5 / y


@adjoint(math.pow)
def pow_(y, x, p):
    d[x] = d[y] * p * math.pow(x, p - 1.0)
    d[p] = d[y] * y * math.log(x)


# ----- Trigonometric and hyperbolic -----


@adjoint(math.sin)
def sin(y, x):
    d[x] = d[y] * math.cos(x)


@adjoint(math.cos)
def cos(y, x):
    d[x] = -d[y] * math.sin(x)


@adjoint(math.tan)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(math.asin)
def asin(y, x):
    d[x] = d[y] / math.sqrt(1.0 - x * x)


@adjoint(math.acos)
def acos(y, x):
    d[x] = -d[y] / math.sqrt(1.0 - x * x)


@adjoint(math.atan)
def atan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(math.atan2)
def atan2(y_, y, x):
    # angle of (x, y): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
    d[y] = d[y_] * x / (x * x + y * y)
    d[x] = -d[y_] * y / (x * x + y * y)


@adjoint(math.degrees)
def degrees(y, x):
    d[x] = d[y] * (180.0 / math.pi)


@adjoint(math.radians)
def radians(y, x):
    d[x] = d[y] * (math.pi / 180.0)


@adjoint(math.sinh)
def sinh(y, x):
    d[x] = d[y] * math.cosh(x)


@adjoint(math.cosh)
def cosh(y, x):
    d[x] = d[y] * math.sinh(x)


@adjoint(math.tanh)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(math.asinh)
def asinh(y, x):
    d[x] = d[y] / math.sqrt(x * x + 1.0)


@adjoint(math.acosh)
def acosh(y, x):
    d[x] = d[y] / math.sqrt(x * x - 1.0)


@adjoint(math.atanh)
def atanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


# ----- Other -----


@adjoint(math.hypot)
def hypot(y, x1, x2):
    d[x1] = d[y] * x1 / y
    d[x2] = d[y] * x2 / y


@adjoint(math.fabs)
def fabs(y, x):
    d[x] = d[y] * math.copysign(1.0, x) * (x != 0.0)


@adjoint(math.copysign)
def copysign(y, x1, x2):
    # y = |x1| sign(x2)
    d[x1] = d[y] * math.copysign(1.0, x1) * math.copysign(1.0, x2) * (x1 != 0.0)


@adjoint(math.fmod)
def fmod(y, x1, x2):
    # y = x1 - x2 * trunc(x1 / x2)
    d[x1] = d[y]
    d[x2] = -d[y] * math.trunc(x1 / x2)


@adjoint(math.erf)
def erf(y, x):
    d[x] = d[y] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@adjoint(math.erfc)
def erfc(y, x):
    d[x] = -d[y] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@adjoint(math.fsum)
def fsum(y, seq):
    # the adjoint of a sequence is a list, one entry per element
    d[seq] = unsum_sequence(d[y], seq)


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
