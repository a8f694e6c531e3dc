"""Folding never turns a new array into an alias that is then written into
or handed out (`passes/fold.py`): ``d_w = 0.5 * w * 2`` is ``w`` to the
last bit, but ``d_w += g`` after it must not write into the caller's `w`,
also when the value reaches the update through copies."""

import ast

import astor
import gast
import numpy as np
import pytest

from tangent_ad import runtime
from tangent_ad.passes import optimize

CASES = [
    # (generated code, whether the folded value must stay a copy)
    ("_t5 = w * 1.0\n    d_w = _t5\n    d_w += X\n    return d_w", True),
    ("d_t = 0.5 * w\n    d_w = d_t * 2\n    d_w[0] += 1.0\n    return d_w", True),
    ("d_a = w + 0.0\n    d_b = d_a\n    d_b += X\n    return d_b", True),
    ("d_w = 0.5 * w * 2\n    return d_w", True),  # returned: not the caller's own array
    ("d_w = 0.5 * w * 2\n    d_v = d_w[1:]\n    d_v += X[1:]\n    return d_v * X[1:]", True),  # through a view
    ("_t5 = w * 1.0\n    d_x = _t5 * X\n    return d_x", False),  # read in a product: no copy
    ("d_u = 1.0 * d_t\n    return d_u", False),  # an adjoint, not a primal array
    # updated in place only before the fold: the alias sees no later change
    ("d_u = d_t * 2.0\n    d_u[0] += 1.0\n    d_u += X\n    d_x = d_u * 1.0\n    return d_x * X", False),
    # updated earlier in a loop around the fold: that runs after it too
    ("d_u = d_t * 2.0\n    d_x = X\n    for i in range(2):\n        d_u += X\n        if i == 0:\n"
     "            d_x = d_u * 1.0\n    return d_x * X", True),
    # updated after the loop the fold is in
    ("d_u = d_t * 2.0\n    for i in range(2):\n        d_x = d_u * 1.0\n    d_u[0] = 0.0\n    return d_x * X", True),
]


def _optimized(body):
    func = gast.parse(f"def d_f(w, X, d_t):\n    {body}\n").body[0]
    floats = {node.id for node in gast.walk(func) if isinstance(node, gast.Name)}  # all float arrays here
    optimize.optimize(func, protected={"w", "X"}, inexact=floats)
    return func, astor.to_source(gast.gast_to_ast(gast.Module(body=[func], type_ignores=[])))


@pytest.mark.parametrize("body, copied", CASES)
def test_a_folded_alias_stays_a_copy_where_it_is_updated_or_returned(body, copied):
    func, source = _optimized(body)
    assert ("copy(" in source) == copied, source
    namespace = {"copy": runtime.copy}
    module = ast.fix_missing_locations(gast.gast_to_ast(gast.Module(body=[func], type_ignores=[])))
    exec(compile(module, "<test>", "exec"), namespace)
    w, X, d_t = np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.25, 2.0]), np.array([4.0, 5.0, 6.0])
    before = w.copy(), X.copy(), d_t.copy()
    result = namespace["d_f"](w, X, d_t)
    for after, pristine in zip((w, X), before):
        np.testing.assert_array_equal(after, pristine)
    assert not np.shares_memory(result, w)
    unoptimized = gast.parse(f"def d_f(w, X, d_t):\n    {body}\n").body[0]
    namespace = {}
    module = ast.fix_missing_locations(gast.gast_to_ast(gast.Module(body=[unoptimized], type_ignores=[])))
    exec(compile(module, "<test>", "exec"), namespace)
    np.testing.assert_array_equal(result, namespace["d_f"](w.copy(), X.copy(), d_t.copy()))


MOVES = [
    # a read of d_a must not move past a write into d_a through its view d_v
    "d_a = d_t * 2.0\n    d_v = d_a[1:]\n    _t1 = d_a * 3.0\n    d_v[0] = 0.0\n    d_v[1] = 1.0\n    d_b = _t1 + w\n"
    "    return d_b + d_a",
    # nor a read of the view past a write into the array it views
    "d_a = d_t * 2.0\n    d_v = d_a[1:]\n    _t1 = d_v * 3.0\n    d_a[1] = 0.0\n    d_b = _t1 + w[1:]\n    return d_b",
    # a negation read where it is added, not after its operand changed
    "d_a = d_t * 2.0\n    d_v = d_a[1:]\n    _n = -d_a\n    d_v[0] = 0.0\n    d_b = w + _n * X\n    return d_b + d_a",
]


@pytest.mark.parametrize("body", MOVES)
def test_a_read_does_not_move_past_a_write_under_another_name(body):
    """Passes that move reads (substitution, negations) see writes into an
    array under any of its names: the optimised code computes what the
    unoptimised code does."""
    w, X, d_t = np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.25, 2.0]), np.array([4.0, 5.0, 6.0])
    results = []
    for optimize_it in (False, True):
        func = gast.parse(f"def d_f(w, X, d_t):\n    {body}\n").body[0]
        if optimize_it:
            optimize.optimize(func, protected={"w", "X"})
        namespace = {"copy": runtime.copy}
        module = ast.fix_missing_locations(gast.gast_to_ast(gast.Module(body=[func], type_ignores=[])))
        exec(compile(module, "<test>", "exec"), namespace)
        results.append(namespace["d_f"](w.copy(), X.copy(), d_t.copy()))
    np.testing.assert_array_equal(results[1], results[0])


@pytest.mark.parametrize("body", ["d_x = 1.0 * m\n    d_x += 1.0 * m\n    return d_x",
                                  "d_x = m + 0.0\n    d_x += m * 1\n    return d_x"])
def test_a_constant_that_makes_floats_of_a_mask_stays(body):
    # 1.0 * m is not m for a boolean m: `d_x += m` would be a logical or
    func = gast.parse(f"def d_f(m):\n    {body}\n").body[0]
    optimize.optimize(func, protected={"m"}, inexact={"d_x"})
    namespace = {"copy": runtime.copy}
    module = ast.fix_missing_locations(gast.gast_to_ast(gast.Module(body=[func], type_ignores=[])))
    exec(compile(module, "<test>", "exec"), namespace)
    result = namespace["d_f"](np.array([True, False, True]))
    np.testing.assert_array_equal(result, [2.0, 0.0, 2.0])
    assert result.dtype == np.float64


def _written_after_its_product(x):
    y = x * 1.0
    z = np.sin(x)
    w = z * y
    y[1] = 5.0
    return np.sum(w * y)


def test_an_alias_made_by_the_fold_itself_counts_for_the_writes_after_it():
    # `d_w = unreduce(1.0, ...) * y` folded to `d_w = y`, then the reverse
    # sweep restores `y[1] = _stack.pop()`: the aliases read for the check
    # were those before this fold, so d_w stayed an alias and changed
    import tangent_ad as ta

    x = np.array([0.3, -0.7, 1.2])
    eps = 1e-6
    expected = [
        (_written_after_its_product(x + eps * e) - _written_after_its_product(x - eps * e)) / (2 * eps)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(ta.grad(_written_after_its_product)(x.copy()), expected, rtol=1e-6)
    second = ta.hvp(_written_after_its_product)(x.copy(), np.ones(3))
    step = (
        ta.grad(_written_after_its_product)(x + eps * np.ones(3))
        - ta.grad(_written_after_its_product)(x - eps * np.ones(3))
    ) / (2 * eps)
    np.testing.assert_allclose(second, step, rtol=1e-5, atol=1e-6)
