"""Calls that change an array in place, their result discarded.

``c.sort()``, ``c.fill(v)``, ``np.copyto(c, v)``, ``rng.shuffle(c)`` write
into `c` where no assignment shows it. When the reverse sweep reads `c` (or a
view of it, or an index array) as it was *before* such a call, the gradient
would read the changed values: these programs gave silently wrong gradients
(``idx.sort()`` after ``y = x[idx]`` put each adjoint at the sorted
positions). They are now refused with `AliasingError`, naming the call. A
call before every read, or one on something the reverse sweep never reads,
is differentiated as before.
"""

import warnings

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient
from tangent_ad.errors import AliasingError


def sorted_after_a_row_is_read(x):
    c = np.array([[3.0, 1.0], [2.0, 0.5], [1.0, 4.0]])
    s = np.sum(x[0] * c[0])
    c.sort(axis=0)
    return s + np.sum(x[1] * c[1])


def sorted_in_the_loop(x):
    c = np.array([[3.0, 1.0], [2.0, 0.5], [1.0, 4.0]])
    s = 0.0
    for i in range(3):
        s = s + np.sum(x[i] * c[i])
        c.sort(axis=0)
    return s


def filled_in_the_loop(x):
    c = np.ones((3, 2))
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.sin(x[i] * c[i]))
        c.fill(2.0)
    return s


def index_sorted_after_use(x):
    idx = np.array([2, 0, 1])
    y = x[idx]
    idx.sort()
    return np.sum(y * np.arange(3.0)) + np.sum(x[idx] ** 2)


def copied_into(x):
    c = np.ones(3)
    s = np.sum(np.sin(x * c))
    np.copyto(c, np.full(3, 2.0))
    return s + np.sum(c)


def shuffled(x):
    c = np.arange(3.0)
    s = np.sum(x * c)
    np.random.default_rng(0).shuffle(c)
    return s + np.sum(x * c)


@pytest.mark.parametrize(
    "fn, name",
    [
        (sorted_after_a_row_is_read, "c"),
        (sorted_in_the_loop, "c"),
        (filled_in_the_loop, "c"),
        (index_sorted_after_use, "idx"),
        (copied_into, "c"),
        (shuffled, "c"),
    ],
)
def test_a_change_in_place_after_a_read_is_refused(fn, name):
    x = np.array([[0.5, 0.2], [0.3, 0.7], [0.9, 0.1]])
    if fn in (index_sorted_after_use, copied_into, shuffled):
        x = np.array([0.5, 0.2, 0.3])
    with pytest.raises(AliasingError, match=f"may change `{name}` in place") as info:
        ta.grad(fn)(x)
    assert f"{fn.__code__.co_filename}:" in str(info.value)
    assert "np.sort" in str(info.value)  # the hint names the way out


def filled_before_any_read(x):
    c = np.ones(3)
    c.fill(2.0)
    return np.sum(np.sin(x * c))


def sorted_into_a_new_name(x):
    idx = np.array([2, 0, 1])
    y = x[idx]
    idx = np.sort(idx)
    return np.sum(y * np.arange(3.0)) + np.sum(x[idx] ** 2)


def printed(x):
    y = x * 2.0
    print(y.shape)
    return np.sum(y * y)


@pytest.mark.parametrize("fn", [filled_before_any_read, sorted_into_a_new_name, printed])
def test_calls_the_reverse_sweep_does_not_see_are_differentiated(fn, capsys):
    x = np.array([0.5, 0.2, 0.3])
    got = ta.grad(fn)(x)
    np.testing.assert_allclose(got, numerical_gradient(fn, [x], {}, 0), rtol=1e-7, atol=1e-10)


def checked_and_logged(x):
    c = np.arange(3.0)
    y = x * c
    np.testing.assert_array_less(c, 10.0)
    print(c)
    if np.any(c > 5.0):
        warnings.warn("large", RuntimeWarning, c.size)
    return np.sum(np.sin(y)) + np.sum(y * y)


def test_checks_and_messages_change_nothing(capsys):
    x = np.array([0.5, 0.2, 0.3])
    got = ta.grad(checked_and_logged)(x)
    c = np.arange(3.0)
    np.testing.assert_allclose(got, np.cos(x * c) * c + 2.0 * x * c * c, rtol=1e-12)


def sorted_result_kept(x):
    y = x * 1.0
    _ = y.sort()
    return np.sum(y * np.arange(3.0))


def copied_into_and_printed(x):
    y = x * 1.0
    print(np.copyto(y, x[::-1]))
    return np.sum(y * np.arange(3.0))


def index_sorted_result_kept(x):
    idx = np.array([2, 0, 1])
    y = x[idx]
    done = idx.sort()
    return np.sum(y * np.arange(3.0)) + np.sum(x[idx] ** 2) + (done is None)


@pytest.mark.parametrize("fn, refusal", [
    (sorted_result_kept, "y.sort(), a change in place, on differentiated values"),
    (copied_into_and_printed, "np.copyto(), a change in place, on differentiated values"),
    (index_sorted_result_kept, "may change `idx` in place"),
])
def test_a_change_in_place_whose_none_is_kept_is_seen_as_one(fn, refusal, capsys):
    """``_ = y.sort()``, ``print(np.copyto(y, v))``: the call still changes
    `y` (these gave silently wrong gradients when the result was kept)."""
    with pytest.raises(ta.TangentADError, match=refusal.replace("(", r"\(").replace(")", r"\)")) as info:
        ta.grad(fn)(np.array([0.5, 0.2, 0.3]))
    assert f"{fn.__code__.co_filename}:" in str(info.value)
