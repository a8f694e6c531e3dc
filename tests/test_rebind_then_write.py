"""A value rebound through a rule that reads its own result, then written.

``c = np.exp(c)`` is split into ``_t0 = np.exp(c); c = _t0``; the adjoint
of ``exp`` reads ``_t0``. A later ``c[0] = ...`` writes into ``_t0``'s
memory too, so the element it overwrites must be saved and restored before
the reverse sweep reads ``_t0``. The save plan followed only views *of*
``c``, not what ``c`` was bound *to*, and nothing was saved: the gradient
was wrong (twice the right value in the written element), optimised or
not (`analysis._sharing`). Found by a random alias fuzzer.
"""

import numpy as np
import pytest

import tangent_ad as ta
from forward_support import check_hvp
from support import Case, check_case


def _args(rng):
    return [rng.uniform(0.5, 1.5, (3, 2)), rng.uniform(0.5, 1.5, (3, 2))]


def exp_rebound(x, y):
    c = x * 1.0
    c = np.exp(c)
    c[0] = c[0] * 2.0
    return np.sum(c * y)


def tanh_rebound(x, y):
    c = x * 1.0
    c = np.tanh(c)
    c[1, 0] = c[1, 0] * y[0, 0]
    return np.sum(c * y)


def reciprocal_rebound(x, y):
    c = x * 1.0
    c = 1.0 / c
    c[0] = c[0] * 2.0
    return np.sum(c * y)


def divided_rebound(x, y):
    c = x * 1.0
    c = c / y
    c[0] = c[0] * 2.0
    return np.sum(c * c)


def divided_in_place(x, y):
    c = x * 1.0
    c /= y
    c[0] = c[0] * 2.0
    return np.sum(c * x)


def powered_in_place(x, y):
    c = x * 1.0
    c **= y
    c[:, 1] = c[:, 1] * 3.0
    return np.sum(c * x)


def sqrt_rebound_in_loop(x, y):
    c = x * 1.0
    for i in range(2):
        c = np.sqrt(c)
        c[i] = c[i] * y[i]
    return np.sum(c * y)


CASES = [
    Case(fn, _args, wrt=(0, 1), autograd=False)
    for fn in (exp_rebound, tanh_rebound, reciprocal_rebound, divided_rebound, divided_in_place,
               powered_in_place, sqrt_rebound_in_loop)
]
IDS = [case.id for case in CASES]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient(case, optimize):
    check_case(case, np.random.default_rng(3), optimize=optimize)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hessian_vector_product(case):
    check_hvp(case, np.random.default_rng(4))


def unpacked_new_arrays_updated(x):
    s, t = x * 1.0, x * 2.0  # both new arrays
    s += t
    return np.sum(s * s)


def unpacked_argument_updated(x, y):
    s, t = x, y * 2.0  # `s` is the caller's `x`
    s += t
    return np.sum(s)


def test_a_name_unpacked_from_a_new_array_may_be_updated_in_place():
    x = np.array([0.1, 0.2, 0.3])
    got = ta.grad(unpacked_new_arrays_updated)(x)
    np.testing.assert_allclose(got, 18.0 * x, rtol=1e-12)
    with pytest.raises(ta.TangentADError, match="may share memory"):
        ta.grad(unpacked_argument_updated)(x, x)
