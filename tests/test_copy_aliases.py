"""Copies, views and in-place writes through the optimizer's name-based passes.

`elide_array_copies` turns ``t = copy(a[s])`` into the view ``t = a[s]``,
`coalesce_copies` gives ``s = e; ...; t = s`` one name, and
`merge_split_temporaries` undoes A-normal form's split of ``s = s + x``.
In generated code an array can have several names (``d_b = d_a``, a view
``d_v = d_a[1:]``, a helper returning its argument such as ``unbroadcast``)
and is written in place (``d_a[0] = 0.0``, ``d_a += g``, ``add_at``). Each
case below parses a small derivative body, optimizes it, and checks that it
computes what the unoptimized body computes (and leaves its arguments
alone), like `tests/test_fold_aliases.py`.

`FIXED` are miscompilations found by an audit of these passes (each failed
before its fix: the reason says what the pass did), and the user-level
functions below reach two of them: a wrong `ta.grad` with default options.
"""

import ast
import copy as copy_module

import astor
import gast
import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad import anno, runtime
from tangent_ad.passes import optimize

_HELPERS = {
    name: getattr(runtime, name)
    for name in ("copy", "zeros_like", "unbroadcast", "unreduce", "unindex", "zero_at", "add_at")
}


def _parse(body, args):
    """`def d_f(args): body`, its helpers marked as injected (as generated code
    has them), and ``_sN = e; s = _sN`` marked as A-normal form's split."""
    text = f"def d_f({args}):\n" + "".join(f"    {line}\n" for line in body.strip("\n").split("\n"))
    func = gast.parse(text).body[0]
    for node in gast.walk(func):
        if isinstance(node, gast.Name) and node.id in _HELPERS:
            anno.set(node, "inject", _HELPERS[node.id])
    _mark_splits(func.body)
    return func


def _mark_splits(stmts):
    for i, stmt in enumerate(stmts):
        for field in ("body", "orelse"):
            if getattr(stmt, field, None):
                _mark_splits(getattr(stmt, field))
        if not (
            isinstance(stmt, gast.Assign)
            and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id.startswith("_s")
        ):
            continue
        for nxt in stmts[i + 1: i + 3]:  # a push may sit in between
            if (
                isinstance(nxt, gast.Assign)
                and isinstance(nxt.value, gast.Name)
                and nxt.value.id == stmt.targets[0].id
                and isinstance(nxt.targets[0], gast.Name)
            ):
                anno.set(stmt, "split_for", nxt.targets[0].id)
                break


def _source(func):
    return astor.to_source(gast.gast_to_ast(gast.Module(body=[func], type_ignores=[])))


def _compile(func):
    namespace = {"np": np, **_HELPERS}
    module = ast.fix_missing_locations(gast.gast_to_ast(gast.Module(body=[func], type_ignores=[])))
    exec(compile(module, "<test>", "exec"), namespace)
    return namespace["d_f"]


def _default_values():
    return [np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.25, 2.0]), np.array([4.0, 5.0, 6.0])]


def _same(a, b):
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b)


def _check(body, values=None, args="w, X, d_t", protected=("w", "X"), shapes=None):
    """Optimize `body`; assert it returns what the unoptimized body returns
    and changes its arguments as that does. Returns the optimized source."""
    values = _default_values() if values is None else values
    plain = _compile(_parse(body, args))
    tree = optimize.optimize(_parse(body, args), protected=set(protected), shapes=shapes)
    source = _source(tree)
    optimized = _compile(tree)
    expected_args, got_args = copy_module.deepcopy(values), copy_module.deepcopy(values)
    expected = plain(*expected_args)
    got = optimized(*got_args)
    assert _same(got, expected), f"{source}\nunoptimized: {expected}\noptimized:   {got}"
    for after, pristine in zip(got_args, expected_args):
        assert _same(after, pristine), f"{source}\nan argument changed differently"
    return source


# -- sound today -----------------------------------------------------------------

SOUND = {
    # elision: every read of the copy comes before the base is written
    "elided when read before the write": (
        "d_a = d_t * 2.0\nt = copy(d_a[1:])\nr = t * X[1:]\nd_a[0] = 0.0\nreturn r + d_a[1:]"
    ),
    # ... and kept when a read comes after it
    "kept when read after a write into the base": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nd_a[0] = 9.0\nr = t * X[0:2]\nreturn r"
    ),
    "kept when read after an update of the base": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nd_a += X\nr = t * X[0:2]\nreturn r + d_a[0:2]"
    ),
    "kept when read after add_at into the base": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nadd_at(d_a, [0, 0], X[0:2])\nr = t * X[0:2]\nreturn r"
    ),
    "kept when updated in a loop, then read": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nfor k in range(2):\n    t += X[0:2]\nr = t * X[0:2]\n"
        "return r + d_a[0:2]"
    ),
    "kept when handed on by name": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nu = t\nd_a[0] = 9.0\nr = u * X[0:2]\nreturn r"
    ),
    "kept when returned": "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nd_a[0] = 9.0\nreturn t",
    "kept when read in a later branch": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nd_a[0] = 9.0\nif X[0] > 0:\n    r = t * X[0:2]\n"
        "else:\n    r = t * 2.0\nreturn r"
    ),
    "read by the writer itself (overlapping slices)": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nd_a[1:3] += t\nreturn d_a"
    ),
    "read by add_at into its base": "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nadd_at(d_a, [1, 2], t)\nreturn d_a",
    "elided in a loop body, base written after the last read": (
        "d_a = d_t * 2.0\nfor k in range(2):\n    t = copy(d_a[0:2])\n    r = t * X[0:2]\n"
        "    d_a[0] += r[0]\nreturn d_a"
    ),
    "copy read at the top of the next iteration": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nr = X[0:2] * 0.0\nfor k in range(3):\n    r = r + t * X[0:2]\n"
        "    d_a[0] += 1.0\n    t = copy(d_a[0:2])\nreturn r"
    ),
    # coalescing in straight-line code, with views and writes around it
    "coalesced next to a view written in place": (
        "d_s = d_t * 2.0\nd_v = d_t[1:]\nd_q = d_s\nd_q[0] = 1.0\nreturn d_q * X, d_v * 1.0"
    ),
    "coalesced, then updated in place": "d_s = d_t * 2.0\nd_q = d_s\nd_q += X\nreturn d_q",
    # copy propagation does not move reads across writes under another name
    "propagation stops at a write through the source": (
        "d_a = d_t * 2.0\nd_b = d_a\n_t1 = d_b * 3.0\nd_a[0] = 0.0\nd_c = _t1 + w\nreturn d_c + d_b"
    ),
    "propagation stops at a write through a view of the source": (
        "d_a = d_t * 2.0\nd_v = d_a[1:]\nd_b = d_a\n_t1 = d_b * 3.0\nd_v[0] = 0.0\nd_c = _t1 + w\n"
        "return d_c + d_b"
    ),
    # A-normal form's split merged back: one step, nothing moves across writes
    "split merged": "d_a = d_t * 2.0\n_s1 = d_a + X\nd_a = _s1\nd_a[0] = 0.0\nreturn d_a",
    "split merged next to a view": (
        "d_a = d_t * 2.0\nd_v = d_a[1:]\n_s1 = d_a * X\nd_a = _s1\nd_v[0] = 7.0\nreturn d_a + d_v[0], d_v"
    ),
    "split of a view merged": (
        "d_a = d_t * 2.0\n_s1 = d_a[1:]\nd_a = _s1\nd_a[0] = 7.0\nreturn d_a * 1.0"
    ),
    "split merged across a push": (
        "st = []\nd_a = d_t * 2.0\n_s1 = d_a + X\nst.append(d_a)\nd_a = _s1\nd_a[0] = 5.0\nreturn d_a + st.pop()"
    ),
    "split merged in a loop": (
        "d_a = d_t * 2.0\nd_v = d_a[1:]\nfor k in range(3):\n    _s1 = d_a * X + k\n    d_a = _s1\n"
        "    d_v[0] += d_a[0]\nreturn d_a, d_v"
    ),
    "split read twice is not merged": (
        "d_a = d_t * 2.0\n_s1 = d_a + X\nd_a = _s1\n_s1[0] = 9.0\nreturn d_a"
    ),
}


@pytest.mark.parametrize("body", SOUND.values(), ids=SOUND.keys())
def test_the_optimized_body_computes_what_the_body_computes(body):
    _check(body)


def test_a_copy_only_read_before_the_write_is_elided():
    source = _check(SOUND["elided when read before the write"])
    assert "copy(" not in source, source


SCALARS = {
    # names with shape () are numbers to copy propagation: `+=` rebinds them
    "a number updated after a copy": "d_a = d_t * 2.0\nd_b = d_a\nr = d_b * 3.0\nd_b += X\nreturn r + d_b + d_a",
    "a number updated in a loop": (
        "d_a = d_t * 2.0\nd_b = d_a\nfor k in range(2):\n    d_b += X\n    r = d_a * 2.0\nreturn r + d_b"
    ),
}


@pytest.mark.parametrize("body", SCALARS.values(), ids=SCALARS.keys())
def test_numbers_stay_numbers(body):
    values = [np.float64(2.0), np.float64(0.5), np.float64(4.0)]
    shapes = dict.fromkeys(("w", "X", "d_t", "d_a", "d_b", "r"), ())
    _check(body, values, shapes=shapes)


# Handing the copy on keeps it a copy: ``u = t.T``, ``t[0:2]``, a helper that
# may return its argument, a tuple, a push or any call for its effect (fixed
# by `_hands_on` in passes/copies.py; these were miscompiled before).
HANDED_ON = {
    "handed on transposed": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nu = t.T\nd_a[0] = 9.0\nr = u * X[0:2]\nreturn r"
    ),
    "handed on as a slice": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nu = t[0:2]\nd_a[0] = 9.0\nr = u * X[0:2]\nreturn r"
    ),
    "handed on through unbroadcast": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nu = unbroadcast(t, X[0:2])\nd_a[0] = 9.0\nr = u * X[0:2]\nreturn r"
    ),
    "handed on in a tuple": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nu = (t, X)\nd_a[0] = 9.0\nr = u[0] * X[0:2]\nreturn r"
    ),
    "handed on to a list": (
        "st = []\nd_a = d_t * 2.0\nt = copy(d_a[0:2])\nst.append(t)\nd_a[0] = 9.0\nr = st.pop() * X[0:2]\nreturn r"
    ),
    "only written into by add_at": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nadd_at(t, [0, 0], t[0:2])\ns = d_a * X\nreturn s"
    ),
}


@pytest.mark.parametrize("body", HANDED_ON.values(), ids=HANDED_ON.keys())
def test_a_copy_handed_on_stays_a_copy(body):
    _check(body)


# -- known miscompilations ----------------------------------------------------------

_ELIDE_ALIASES = (
    "elide_array_copies looks for in-place writes only under the names `a` and `t` of "
    "t = copy(a[s]), not under names that may share a's array (passes/aliases.py)"
)
_ELIDE_OWN_WRITE = (
    "elide_array_copies counts an in-place write into t itself (t[0] += g, t[1] = v) "
    "as a read before the write, so the write lands in `a` once t is a view"
)

_ELIDE_OWN_UPDATE = (
    "elide_array_copies counts the target of `t += g` (a store) as one of t's reads, so it "
    "balances a real read after the update: t becomes a view and the update writes into `a`"
)

FIXED = {
    # found by a larger run of the optimizer-level fuzzer
    "a second fold against aliases read before the first": (
        "_tb1 = d_t * 3.0\n_te4 = _tb1 * 1.0\n_tf5 = _tb1 * 1.0\n_tb1 += _tf5\nreturn _tf5 * 1.0",
        "fold_constants read the names' aliases once, before its own folds made `_tf5 = _tb1`",
    ),
    "a copy written in place after the window": (
        "d_b1 = d_t * 2.0\nd_e4 = copy(d_b1[:])\nd_f5 = copy(d_e4)\nd_b1[0] = 0.0\nd_e4 += d_t\nreturn d_b1",
        "elide_array_copies checked only the first in-place writer for writes into the copy",
    ),
    "add_at through a view": (
        "_tb1 = d_t * 0.5\n_td3 = unbroadcast(_tb1, X)\n_te4 = copy(_tb1[:])\nd_f5 = _td3[::-1]\n"
        "add_at(d_f5, [0, 0], _td3[0:2])\n_td3 += _te4\nreturn _tb1 * 1.0",
        "facts recorded add_at(d_a[::-1], ...) as a write into nothing (only a bare name counted)",
    ),
    "a write into a call's result": (
        "_tb1 = d_t * 3.0\nd_d3 = copy(_tb1[::-1])\nd_f5 = unbroadcast(d_d3, X)\nd_f5[1] = 0.0\nreturn _tb1 * 1.0",
        "substitution wrote `unbroadcast(d_d3, X)[1] = 0.0`, a write no pass saw, and the copy became a view",
    ),
    "updated, then read": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nt += X[0:2]\nr = t * X[0:2]\nreturn r + d_a[0:2]",
        _ELIDE_OWN_UPDATE,
    ),
    "written through another name": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nd_c = d_a\nd_c[0] = 5.0\nr = t * X[0:2]\nreturn r",
        _ELIDE_ALIASES,
    ),
    "written through a view": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nd_v = d_a[1:]\nd_v[0] = 5.0\nr = t * X[0:2]\nreturn r",
        _ELIDE_ALIASES,
    ),
    "the base is a view of what is written": (
        "d_a = d_t * 2.0\nd_v = d_a[1:]\nt = copy(d_v[0:2])\nd_a[1] = 5.0\nr = t * X[0:2]\nreturn r",
        _ELIDE_ALIASES,
    ),
    "its last read writes into it": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nr = t * X[0:2]\nt[0] += 1.0\ns = d_a * X\nreturn r + s[0:2]",
        _ELIDE_OWN_WRITE,
    ),
    "only written into": (
        "d_a = d_t * 2.0\nt = copy(d_a[0:2])\nt[1] = 7.0\ns = d_a * X\nreturn s",
        _ELIDE_OWN_WRITE,
    ),
    "coalesced past a read of the previous iteration's value": (
        "r = X * 0.0\nfor k in range(3):\n    d_s = X * k\n    if k > 0:\n        r = r + d_q\n"
        "    d_q = d_s\nreturn r",
        "coalesce_copies moves the binding of t from `t = s` up to `s = e` without checking "
        "that nothing reads t in between (t's value from the previous loop iteration)",
    ),
    "an update through an alias deleted as dead": (
        "d_a = d_t * 2.0\nd_b = d_a\nd_b += X\nr = d_a * X\nreturn r",
        "eliminate_dead_code treats `d_b += g` as rebinding d_b: dead when d_b is not read "
        "again, though it writes into d_a's array",
    ),
    "an update through a view deleted as dead": (
        "d_a = d_t * 2.0\nd_v = d_a[1:]\nd_v += X[1:]\nr = d_a * X\nreturn r",
        "eliminate_dead_code treats `d_v += g` as rebinding d_v: dead when d_v is not read "
        "again, though it writes into d_a's array",
    ),
}


@pytest.mark.parametrize("body", [body for body, _ in FIXED.values()], ids=FIXED.keys())
def test_former_miscompilations(body):
    _check(body)


# -- from the user's code --------------------------------------------------------------


def _elided_view_read_after_write(x):
    # reverse sweep: d_z = copy(d_y[1:]); d_p = d_z.T; d_y[1] += 5.0; ... d_p ...
    # (the copy once became the view d_y[1:], and d_p with it: a wrong gradient)
    y = x * 2.0
    p = np.sin(x[1:])
    s = y[1] * 5.0
    z = p.T
    y[1:] = y[1:] + z
    return np.sum(y * y) + s


def _numeric_gradient(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


_X = np.array([1.0, -2.0, 3.0, 0.5])


def test_the_unoptimized_gradient_of_a_handed_on_copy_is_right():
    got = ta.grad(_elided_view_read_after_write, optimize=False)(_X.copy())
    np.testing.assert_allclose(got, _numeric_gradient(_elided_view_read_after_write, _X), atol=1e-6)


def test_the_optimized_gradient_of_a_handed_on_copy_is_right():
    got = ta.grad(_elided_view_read_after_write)(_X.copy())
    np.testing.assert_allclose(got, _numeric_gradient(_elided_view_read_after_write, _X), atol=1e-6)


def test_the_optimized_hvp_of_a_handed_on_copy_is_right():
    v = np.array([0.3, -0.2, 0.5, 1.0])
    gradient = ta.grad(_elided_view_read_after_write, optimize=False)
    eps = 1e-6
    expected = (gradient(_X + eps * v) - gradient(_X - eps * v)) / (2 * eps)
    np.testing.assert_allclose(ta.hvp(_elided_view_read_after_write)(_X.copy(), v), expected, atol=1e-5)


def _updated_copy_of_a_slot(x):
    # reverse sweep: d_z = copy(d_y[1:]); d_z += d_q * 3.0; ... d_z ...; d_x += d_y * 2.0
    y = x * 2.0
    z = np.sin(x[1:])
    q = z * 3.0
    y[1:] = y[1:] + z
    return np.sum(y * y) + np.sum(q * q)


def test_the_unoptimized_gradient_of_an_updated_copy_is_right():
    got = ta.grad(_updated_copy_of_a_slot, optimize=False)(_X.copy())
    np.testing.assert_allclose(got, _numeric_gradient(_updated_copy_of_a_slot, _X), atol=1e-6)


def test_the_optimized_gradient_of_an_updated_copy_is_right():
    # was wrong (_ELIDE_OWN_UPDATE): d_z = d_y[1:]; d_z += d_q * 3.0
    got = ta.grad(_updated_copy_of_a_slot)(_X.copy())
    np.testing.assert_allclose(got, _numeric_gradient(_updated_copy_of_a_slot, _X), atol=1e-6)


def _updated_in_a_loop(x):
    # reverse sweep: d_s = d_c; d_x = d_c; for ...: d_x += d_s * i (in place
    # when d_c is a 0-d array: d_s, d_x and the caller's seed are one array)
    s = x * 1.0
    for i in range(3):
        s = s * 2.0 + x * i
    c = s + x
    return c


@pytest.mark.parametrize("optimize_it", [True, False])
def test_a_0d_array_seed_is_not_updated_in_place(optimize_it):
    """Was 33 (and the seed became 9): the reverse sweep treats adjoints of
    numbers as immutable (``d_s = d_c; d_x = d_c; d_x += ...``), and a 0-d
    array seed is not. A 0-d array seed or tangent is now passed on as the
    number it holds (`api._as_number`)."""
    seed = np.array(1.0)
    got = ta.vjp(_updated_in_a_loop, optimize=optimize_it)(2.0, seed)
    assert got == 13.0 and seed == 1.0, (got, seed)


@pytest.mark.parametrize("optimize_it", [True, False])
def test_a_0d_array_argument(optimize_it):
    """A 0-d array argument is an array of unknown shape to the generated code
    (shape () in the shape table means a number, whose ``+=`` rebinds)."""
    x, seed, tangent = np.array(2.0), np.array(1.0), np.array(1.0)
    assert ta.grad(_updated_in_a_loop, optimize=optimize_it)(x) == 13.0
    assert ta.vjp(_updated_in_a_loop, optimize=optimize_it)(x, seed) == 13.0
    assert ta.jvp(_updated_in_a_loop, optimize=optimize_it)(x, tangent)[1] == 13.0
    assert x == 2.0 and seed == 1.0 and tangent == 1.0
