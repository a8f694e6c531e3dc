"""Python operators and builtins: + - * / ** % unary minus, abs, float, min,
max, pow, sum. (``@`` is with the matrix products in `numpy_linalg`.)

Placeholders: the result is `y`, operands `x1, x2` (binary) or `x` (unary),
``d[y]`` the incoming adjoint. `unbroadcast(g, x)` sums a result-shaped
adjoint down to `x`'s shape; the generator drops it where shapes are known
to agree, so scalar code stays plain arithmetic.

Each function's tangent (forward-mode) rule follows its adjoint: there
``d[x]`` is the tangent of `x` and the one line ``d[y] = ...`` gives the
result's. Terms with a zero tangent vanish when the code is generated, and an
elementwise rule's tangent is broadcast to the result's shape where it needs
to be, so tangent rules never broadcast by hand.
"""

import builtins
import operator

import numpy as np

from ..helpers import extreme_first, positive_log, sign_of_real, unsum_sequence
from ..runtime import unbroadcast
from ..tangent_helpers import extreme_tangent
from .registry import (
    adjoint, elementwise, fresh, linear, nondifferentiable, scalar_result, tangent,
)

# ----- Binary arithmetic -----


@adjoint(operator.add)
def add(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(d[y], x2)


@tangent(operator.add)
def add_tangent(y, x1, x2):
    d[y] = d[x1] + d[x2]


@adjoint(operator.sub)
def sub(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y], x2)


@tangent(operator.sub)
def sub_tangent(y, x1, x2):
    d[y] = d[x1] - d[x2]


@adjoint(operator.mul)
def mul(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2, x1)
    d[x2] = unbroadcast(d[y] * x1, x2)


@tangent(operator.mul)
def mul_tangent(y, x1, x2):
    d[y] = d[x1] * x2 + x1 * d[x2]


@adjoint(operator.truediv)
def truediv(y, x1, x2):
    # y = x1 / x2:  dy/dx1 = 1 / x2,  dy/dx2 = -x1 / x2**2 = -y / x2
    d[x1] = unbroadcast(d[y] / x2, x1)
    d[x2] = unbroadcast(-d[y] * y / x2, x2)


@tangent(operator.truediv)
def truediv_tangent(y, x1, x2):
    d[y] = (d[x1] - y * d[x2]) / x2


@adjoint(operator.pow)
def pow_(y, x1, x2):
    # y = x1 ** x2:  dy/dx1 = x2 x1 ** (x2 - 1), 0 where x2 == 0 (0 ** 0 == 1 makes
    # the exponent 0 there: no 0 * inf at x1 == 0; a constant x2 folds it to a
    # number);  dy/dx2 = y log(x1), taken as 0 where x1 <= 0 (autograd: 0 at 0)
    d[x1] = unbroadcast(d[y] * x2 * x1 ** (x2 - 1 + (x1 == 0) * 0 ** (x2 * x2)), x1)
    d[x2] = unbroadcast(d[y] * y * positive_log(x1), x2)


@tangent(operator.pow)
def pow_tangent(y, x1, x2):
    d[y] = (
        d[x1] * x2 * x1 ** (x2 - 1 + (x1 == 0) * 0 ** (x2 * x2))
        + d[x2] * y * positive_log(x1)
    )


@adjoint(operator.mod)
def mod(y, x1, x2):
    # y = x1 - x2 * floor(x1 / x2)
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y] * np.floor_divide(x1, x2), x2)


@tangent(operator.mod)
def mod_tangent(y, x1, x2):
    d[y] = d[x1] - d[x2] * np.floor_divide(x1, x2)


# ----- Unary -----


@adjoint(operator.neg)
def neg(y, x):
    d[x] = -d[y]


@tangent(operator.neg)
def neg_tangent(y, x):
    d[y] = -d[x]


# ----- Builtins on numbers -----


@adjoint(builtins.abs)
def abs_(y, x):
    # slope sign(x), 0 at the kink; complex x is refused at run time
    d[x] = d[y] * sign_of_real(x)


@tangent(builtins.abs)
def abs_tangent(y, x):
    d[y] = d[x] * sign_of_real(x)


@adjoint(builtins.float)
def float_(y, x):
    d[x] = d[y]


@tangent(builtins.float)
def float_tangent(y, x):
    d[y] = float(d[x])


@adjoint(builtins.max)
def max_(y, x1, x2=None):
    # max(a, b) returns a on ties; max(seq): the first element equal to the result
    d[x1] = extreme_first(d[y], x1, x2, y)
    d[x2] = d[y] * (x2 > x1)


@tangent(builtins.max)
def max_tangent(y, x1, x2=None):
    d[y] = extreme_tangent(d[x1], x1, x2, y) + d[x2] * (x2 > x1)


@adjoint(builtins.min)
def min_(y, x1, x2=None):
    d[x1] = extreme_first(d[y], x1, x2, y)
    d[x2] = d[y] * (x2 < x1)


@tangent(builtins.min)
def min_tangent(y, x1, x2=None):
    d[y] = extreme_tangent(d[x1], x1, x2, y) + d[x2] * (x2 < x1)


@adjoint(builtins.pow)
def builtin_pow(y, base, exp):
    # as x1 ** x2 (operator.pow above)
    d[base] = d[y] * exp * base ** (exp - 1 + (base == 0) * 0 ** (exp * exp))
    d[exp] = d[y] * y * np.log(np.where(base > 0, base, 1))


@tangent(builtins.pow)
def builtin_pow_tangent(y, base, exp):
    d[y] = (
        d[base] * exp * base ** (exp - 1 + (base == 0) * 0 ** (exp * exp))
        + d[exp] * y * np.log(np.where(base > 0, base, 1))
    )


@adjoint(builtins.sum)
def sum_(y, iterable, start=0):
    # sum(seq) = start + seq[0] + seq[1] + ...: each element gets d[y] (summed to
    # its shape); the adjoint of a list is a list
    d[iterable] = unsum_sequence(d[y], iterable)
    d[start] = unbroadcast(d[y], start)


@tangent(builtins.sum)
def sum_tangent(y, iterable, start=0):
    d[y] = sum(d[iterable]) + d[start]


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
    builtins.type,
    builtins.str,
    builtins.repr,
)

scalar_result("always", builtins.len, builtins.int, builtins.float, builtins.bool, builtins.round)
scalar_result("if-args", builtins.abs, builtins.max, builtins.min, builtins.pow)
linear(builtins.sum, builtins.float)

# ----- Helpers the adjoints above call (forward over reverse: Hessians) -----


@tangent(extreme_first)
def extreme_first_tangent(y, g, x1, x2, y_):
    # which argument is the extreme is piecewise constant
    d[y] = extreme_first(d[g], x1, x2, y_)


@tangent(unsum_sequence)
def unsum_sequence_tangent(y, g, items):
    d[y] = unsum_sequence(d[g], items)


linear(extreme_first, unsum_sequence, extreme_tangent)
nondifferentiable(sign_of_real)

fresh(operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg)

elementwise(builtins.abs, builtins.float, builtins.pow)
