"""The `math` module: scalar functions on Python floats.

Adjoints call `math` too, so derivatives of scalar code stay scalar code.
"""

import math

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


@adjoint(math.sinh)
def sinh(y, x):
    d[x] = d[y] * math.cosh(x)


@adjoint(math.cosh)
def cosh(y, x):
    d[x] = d[y] * math.sinh(x)


@adjoint(math.tanh)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(math.hypot)
def hypot(y, x1, x2):
    d[x1] = d[y] * x1 / y
    d[x2] = d[y] * x2 / y


@adjoint(math.fabs)
def fabs(y, x):
    d[x] = d[y] * math.copysign(1.0, x) * (x != 0.0)


@adjoint(math.erf)
def erf(y, x):
    d[x] = d[y] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite)

scalar_result(
    "always",
    math.exp, math.expm1, math.log, math.log2, math.log10, math.log1p, math.sqrt, math.pow,
    math.sin, math.cos, math.tan, math.asin, math.acos, math.atan, math.atan2,
    math.sinh, math.cosh, math.tanh, math.hypot, math.fabs, math.erf,
    math.floor, math.ceil, math.trunc,
)
