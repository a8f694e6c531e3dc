"""Rules of `tangent_ad/rules/containers_rules.py`: ``list.append`` on the
differentiated path (the list's adjoint is a list, one entry per element)."""

import numpy as np
import pytest

import tangent_ad as ta
from rules_support import U, args, rule_catalogue
from support import check_case

CASES, case = rule_catalogue()

BOTH = (0, 1)


@case(args(U((3,)), U((3,))), args(U((2, 3)), U((2, 3))), args(U(()), U(())), wrt=BOTH)
def append_then_stack(a, b):
    xs = []
    xs.append(a)
    xs.append(np.sin(b))
    xs.append(a * b)
    return np.sum(np.stack(xs) * np.arange(3).reshape((3,) + (1,) * np.ndim(a)))


@case(args(U((3,)), U((3,))), args(U((2, 3)), U((3,))), wrt=BOTH,
      autograd="autograd cannot differentiate the builtin sum of a list")
def append_in_a_loop(a, b):
    xs = [a]
    for i in range(3):
        xs.append(xs[-1] * b + 1.0)
    return np.sum(np.sin(sum(xs)))


@case(args(U((3,)), U((3,))), args(U((2, 3)), U(())), wrt=BOTH)
def dict_copy_then_store(a, b):
    p = dict({"a": a, "b": b})
    q = dict(p)
    q["a"] = q["a"] * q["b"]
    return np.sum(np.sin(q["a"]) * p["a"]) + np.sum(q["b"] ** 2)


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)


def dict_item_overwritten_in_a_loop(M, s):
    d = {"k": M[0] * 0.0}
    for row in M:
        d["k"] = row * s
    return np.sum(d["k"] ** 2)


@pytest.mark.parametrize("optimize", [True, False])
def test_a_dict_item_overwritten_in_a_loop(optimize):
    # its adjoint was zeroed with the number 0.0, which the next reversed
    # step could not spread back over the item's shape
    M = np.array([[0.2, -0.5, 0.4], [-0.3, 0.6, 0.1], [0.5, 0.15, -0.35]])
    dM, ds = ta.grad(dict_item_overwritten_in_a_loop, wrt=(0, 1), optimize=optimize)(M, 0.37)
    np.testing.assert_allclose(ds, 2 * 0.37 * np.sum(M[-1] ** 2))
    expected = np.zeros_like(M)
    expected[-1] = 2 * 0.37 ** 2 * M[-1]
    np.testing.assert_allclose(dM, expected)
    _, tangent = ta.jvp(dict_item_overwritten_in_a_loop, wrt=(1,))(M, 0.37, 1.0)
    assert tangent == pytest.approx(2 * 0.37 * np.sum(M[-1] ** 2))
