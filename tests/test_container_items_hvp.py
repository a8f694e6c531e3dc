"""Hessian-vector products through list and dict items overwritten in a loop.

The reverse sweep zeros an item's adjoint (`d_d['k'] = zeros_like(_t2)`)
once the item is rebound; differentiated again, that item's tangent must be
zeros of the item's shape too, not the scalar 0.0, or the next reversed
iteration takes a matrix product of a scalar.
"""

import numpy as np
import pytest

import tangent_ad as ta


def dict_item_overwritten(M, s):
    d = {'k': M[0] * 0.0}
    for row in M:
        d['k'] = row * s
    return np.sum(d['k'] ** 2)


def list_item_overwritten(M, s):
    L = [M[0] * 0.0, M[0]]
    for row in M:
        L[0] = row * s
    return np.sum(L[0] ** 2) + np.sum(L[1] * s)


@pytest.mark.parametrize("fn", [dict_item_overwritten, list_item_overwritten])
@pytest.mark.parametrize("optimize", [True, False])
def test_hvp_against_differences_of_the_gradient(fn, optimize):
    rng = np.random.default_rng(3)
    M, s = rng.uniform(-1, 1, (3, 4)), 0.37
    t_M, t_s = rng.uniform(-1, 1, (3, 4)), 0.6
    gradient = ta.grad(fn, wrt=(0, 1), optimize=optimize)
    eps = 1e-6
    plus = gradient(M + eps * t_M, s + eps * t_s)
    minus = gradient(M - eps * t_M, s - eps * t_s)
    got = ta.hvp(fn, wrt=(0, 1), optimize=optimize)(M, s, t_M, t_s)
    for value, hi, lo in zip(got, plus, minus):
        np.testing.assert_allclose(value, (hi - lo) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_dict_item_hvp_values():
    M = np.array([[0.2, -0.5, 0.4, 0.7], [-0.3, 0.6, 0.1, -0.2], [0.5, 0.15, -0.35, 0.25]])
    s = 0.37
    h_M, h_s = ta.hvp(dict_item_overwritten, wrt=(0, 1))(M, s, np.zeros_like(M), 1.0)
    np.testing.assert_allclose(h_s, 2 * np.sum(M[-1] ** 2))
    np.testing.assert_allclose(h_M[-1], 4 * s * M[-1])
    np.testing.assert_allclose(h_M[:-1], 0.0)
