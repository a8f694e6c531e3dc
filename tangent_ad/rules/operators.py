"""Python operators and builtins: + - * / ** @ % unary minus, abs, min, max.

Placeholders: the result is `y`, operands `x1, x2` (binary) or `x` (unary),
``d[y]`` the incoming adjoint. `unbroadcast(g, x)` sums a result-shaped
adjoint down to `x`'s shape; the generator drops it where shapes are known
to agree, so scalar code stays plain arithmetic.
"""

import builtins
import operator

import numpy as np

from ..runtime import unbroadcast
from .registry import adjoint, nondifferentiable, scalar_result, fresh

# ----- Binary arithmetic -----


@adjoint(operator.add)
def add(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(d[y], x2)


@adjoint(operator.sub)
def sub(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y], x2)


@adjoint(operator.mul)
def mul(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2, x1)
    d[x2] = unbroadcast(d[y] * x1, x2)


@adjoint(operator.truediv)
def truediv(y, x1, x2):
    # y = x1 / x2:  dy/dx1 = 1 / x2,  dy/dx2 = -x1 / x2**2 = -y / x2
    d[x1] = unbroadcast(d[y] / x2, x1)
    d[x2] = unbroadcast(-d[y] * y / x2, x2)


@adjoint(operator.pow)
def pow_(y, x1, x2):
    # y = x1 ** x2:  dy/dx1 = x2 * x1 ** (x2 - 1),  dy/dx2 = y * log(x1)
    d[x1] = unbroadcast(d[y] * x2 * x1 ** (x2 - 1), x1)
    d[x2] = unbroadcast(d[y] * y * np.log(np.where(x1 > 0, x1, 1)), x2)


@adjoint(operator.mod)
def mod(y, x1, x2):
    # y = x1 - x2 * floor(x1 / x2)
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y] * np.floor_divide(x1, x2), x2)


# ----- Unary -----


@adjoint(operator.neg)
def neg(y, x):
    d[x] = -d[y]


@adjoint(operator.pos)
def pos(y, x):
    d[x] = d[y]


# ----- Builtins on numbers -----


@adjoint(builtins.abs)
def abs_(y, x):
    d[x] = d[y] * np.sign(x)


@adjoint(builtins.float)
def float_(y, x):
    d[x] = d[y]


@adjoint(builtins.max)
def max_(y, x1, x2):
    # max returns its first argument on ties
    d[x1] = d[y] * (x1 >= x2)
    d[x2] = d[y] * (x2 > x1)


@adjoint(builtins.min)
def min_(y, x1, x2):
    d[x1] = d[y] * (x1 <= x2)
    d[x2] = d[y] * (x2 < x1)


@adjoint(builtins.pow)
def builtin_pow(y, base, exp):
    d[base] = d[y] * exp * base ** (exp - 1)
    d[exp] = d[y] * y * np.log(np.where(base > 0, base, 1))


nondifferentiable(
    operator.floordiv,
    operator.not_,
    operator.invert,
    operator.lshift,
    operator.rshift,
    operator.or_,
    operator.xor,
    operator.and_,
    builtins.len,
    builtins.int,
    builtins.round,
    builtins.bool,
    builtins.range,
    builtins.isinstance,
    builtins.print,
    builtins.type,
    builtins.str,
    builtins.repr,
)

scalar_result("always", builtins.len, builtins.int, builtins.float, builtins.bool, builtins.round)
scalar_result("if-args", builtins.abs, builtins.max, builtins.min, builtins.pow)
fresh(operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg)
