"""Lists the function builds by appending: in place and O(1) a step.

The primal sweep appends in place where no earlier version of the list is
needed (`passes/list_appends.py`); the reverse sweep pops the list's adjoint
(``d_hs = drop_last(d_hs)``, `Reverse.list_append`). A list another name also
holds is refused: appending in place would change it under both names.
"""

import numpy as np
import pytest

import tangent_ad as ta
from support import check_gradient
from tangent_ad.checking import numerical_gradient


def states(x, W, n):
    hs = []
    h = x
    for i in range(n):
        h = np.tanh(h @ W)
        hs.append(h)
    return np.sum(hs[-1] ** 2) + np.sum(hs[0])


def reads_earlier_items(x, n):
    hs = [x]
    for i in range(n):
        hs.append(hs[-1] * 1.5)
        hs.append(np.sin(hs[-2]))
    return np.sum(hs[-1]) + np.sum(hs[1] * hs[2])


def floats_appended(xs):
    out = []
    for i in range(len(xs)):
        out.append(xs[i] * xs[i])
    s = 0.0
    for v in out:
        s = s + v
    return s


def stacked_every_step(x, n):
    hs = [x]
    total = 0.0
    for i in range(n):
        hs.append(np.cos(hs[-1]) * x)
        total = total + np.sum(np.stack(hs) ** 2)
    return total


def plus_builds_new_list(x):
    hs = [x]
    before = hs
    for i in range(3):
        hs = hs + [hs[-1] * 2.0]
    return np.sum(hs[-1]) + np.sum(before[-1] ** 2) + len(before)


def appended_by_plus_equals(x, n):
    hs = []
    for i in range(n):
        hs += [x * float(i + 1)]
    return np.sum(np.stack(hs) ** 2)


def returns_list(x):
    hs = []
    for i in range(3):
        hs.append(x * float(i + 1))
    return hs


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def test_states_are_appended_in_place_and_popped(rng):
    x, W = rng.standard_normal(4), rng.standard_normal((4, 4)) * 0.5
    check_gradient(states, [x, W, 6], wrt=(0, 1))
    source = ta.source(ta.grad(states, wrt=(0, 1)), x, W, 6)
    assert "hs.append(h)" in source
    assert "d_hs = drop_last(d_hs)" in source
    assert "list_append(" not in source and "[:-1]" not in source


def test_earlier_items_read_in_the_loop(rng):
    x = rng.standard_normal(3)
    check_gradient(reads_earlier_items, [x, 4], wrt=(0,))
    source = ta.source(ta.grad(reads_earlier_items), x, 4)
    assert "like(hs)" not in source and "list_append(" not in source


def test_floats_appended_to_a_list():
    xs = list(np.linspace(-1.0, 2.0, 7))
    got = ta.grad(floats_appended)(xs)
    np.testing.assert_allclose(got, [2.0 * v for v in xs], rtol=1e-12)
    assert "out.append(" in ta.source(ta.grad(floats_appended), xs)


def test_versions_the_sweep_reads_are_kept(rng):
    """np.stack(hs) each step: the sweep reads every version of hs, so the
    appends make new lists (and the gradient is right)."""
    x = rng.standard_normal(3)
    got = ta.grad(stacked_every_step)(x, 4)
    np.testing.assert_allclose(got, numerical_gradient(stacked_every_step, [x, 4], {}, 0), rtol=1e-6)


def test_a_list_another_name_holds_is_extended_into_a_new_list(rng):
    """``hs = hs + [h]`` makes a new list: `before` keeps the old one."""
    x = rng.standard_normal(3)
    got = ta.grad(plus_builds_new_list)(x)
    np.testing.assert_allclose(got, numerical_gradient(plus_builds_new_list, [x], {}, 0), rtol=1e-6)
    assert "list_append(" in ta.source(ta.grad(plus_builds_new_list), x)


def test_plus_equals_appends(rng):
    x = rng.standard_normal(3)
    got = ta.grad(appended_by_plus_equals)(x, 5)
    np.testing.assert_allclose(got, numerical_gradient(appended_by_plus_equals, [x, 5], {}, 0), rtol=1e-6)


def test_vjp_of_a_returned_list_leaves_the_cotangent_unchanged(rng):
    x = rng.standard_normal(3)
    seed = [rng.standard_normal(3) for _ in range(3)]
    pristine = [s.copy() for s in seed]
    got = ta.vjp(returns_list)(x, seed)
    np.testing.assert_allclose(got, seed[0] + 2.0 * seed[1] + 3.0 * seed[2], rtol=1e-12)
    for s, p in zip(seed, pristine):
        np.testing.assert_array_equal(s, p)
    assert len(seed) == 3


def test_hvp_and_jvp_of_appends(rng):
    x, W = rng.standard_normal(4), rng.standard_normal((4, 4)) * 0.5
    v = rng.standard_normal(4)
    _, tangent = ta.jvp(states, wrt=(0,))(x, W, 5, v)
    expected = numerical_gradient(states, [x, W, 5], {}, 0) @ v
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)
    hv = ta.hvp(states, wrt=(0,))(x, W, 5, v)
    grad = ta.grad(states)
    eps = 1e-5
    fd = (grad(x + eps * v, W, 5) - grad(x - eps * v, W, 5)) / (2 * eps)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-8)


def aliased_then_appended(x):
    hs = []
    a = hs
    hs.append(x * 2.0)
    return np.sum(a[0])


def appended_as_an_item_then_appended(x):
    hs = []
    snaps = []
    snaps.append(hs)
    hs.append(x * 2.0)
    return np.sum(snaps[0][0])


def in_a_display_then_appended(x):
    hs = []
    pair = (hs, 1)
    hs += [x * 2.0]
    return np.sum(pair[0][0])


@pytest.mark.parametrize("fn, line", [
    (aliased_then_appended, "hs.append(x * 2.0)"),
    (appended_as_an_item_then_appended, "hs.append(x * 2.0)"),
    (in_a_display_then_appended, "hs += [x * 2.0]"),
])
def test_appending_to_a_list_another_name_holds_is_refused(fn, line):
    with pytest.raises(ta.TangentADError) as err:
        ta.grad(fn)(np.ones(3))
    message = str(err.value)
    assert "appending to the list `hs` that another name or container also holds" in message
    assert "test_list_appends.py:" in message and line in message


W2 = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])


def appended_then_stacked(x):
    hs = [x]
    hs.append(np.sin(x))
    return np.sum(np.stack(hs) * W2)


def appended_in_a_branch(x, n):
    zs = [x]
    for i in range(n):
        if i % 2 == 0:
            zs.append(np.sin(x * i))
    return np.sum(np.stack(zs) ** 2)


def returns_appended_list(x):
    hs = []
    for i in range(3):
        hs = hs + [x * float(i + 1)]
    return hs


def repeated_then_appended(x):
    hs = [1.0] * 3
    hs.append(x)
    return hs[-1] * 2.0 + hs[0]


def repeated_then_stored(x, n):
    items = [0.0] * n
    for k in range(n):
        items[k] = x * k
    return sum(items)


def returned_with_the_loss(x):
    hs = []
    for i in range(2):
        hs.append(x * 2.0)
    return hs, 0.0


def unpacked_after_appends(x):
    hs = []
    hs.append(x * 1.2)
    hs.append(x * 2.0)
    a, b = hs
    return np.sum(a + b)


def test_an_appended_items_adjoint_is_read_before_the_pop():
    """Straight-line appends: the list's adjoint is a shared one copied first;
    the item's adjoint was read after the pop (a wrong gradient)."""
    x = np.array([0.3, 0.5, -0.2])
    got = ta.grad(appended_then_stacked)(x)
    np.testing.assert_allclose(got, W2[0] + W2[1] * np.cos(x), rtol=1e-12)


def test_an_append_in_a_branch_copies_the_adjoint_once():
    x = np.array([0.3, 0.2])
    got = ta.grad(appended_in_a_branch)(x, 9)
    np.testing.assert_allclose(got, numerical_gradient(appended_in_a_branch, [x, 9], {}, 0), rtol=1e-6)
    source = ta.source(ta.grad(appended_in_a_branch), x, 9)
    loop = source.index("for i in reversed(")
    assert source.count("owned_list(") == 1 and source.index("owned_list(") < loop


def test_a_tuple_cotangent_of_an_appended_list():
    x = np.array([0.3, 0.5])
    seed = (np.ones(2), 2.0 * np.ones(2), 3.0 * np.ones(2))
    got = ta.vjp(returns_appended_list)(x, seed)
    np.testing.assert_allclose(got, (1.0 + 4.0 + 9.0) * np.ones(2))


@pytest.mark.parametrize("fn, args, expected", [
    (repeated_then_appended, (1.5,), 2.0),
    (repeated_then_stored, (1.5, 4), 6.0),
])
def test_a_repeated_display_is_a_list_of_the_function(fn, args, expected):
    assert ta.grad(fn)(*args) == expected


def test_a_list_returned_or_unpacked_is_not_held_elsewhere():
    x = np.array([0.3, 0.5])
    np.testing.assert_allclose(ta.vjp(returned_with_the_loss)(x, ([np.ones(2), np.ones(2)], 1.0)), 4.0)
    np.testing.assert_allclose(ta.grad(unpacked_after_appends)(x), 3.2)


def ident(items):
    return items


def held_through_a_helper(x):
    hs = [x]
    a = ident(hs)
    hs.append(x * 2.0)
    return np.sum(a[-1])


def held_through_or(x):
    hs = [x]
    a = hs or [x]
    hs.append(x * 2.0)
    return np.sum(a[-1])


@pytest.mark.parametrize("fn", [held_through_a_helper, held_through_or])
def test_a_list_another_name_may_hold_is_not_appended_to(fn):
    with pytest.raises(ta.TangentADError, match="another name or container also holds"):
        ta.grad(fn)(np.ones(3))
