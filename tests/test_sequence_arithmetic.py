"""``+`` and ``*`` on lists and tuples: concatenation and repetition.

``[x] * 2`` got the adjoint of a multiplication (``d_x = (d_b * 2)[0]``,
half the gradient: silently wrong) and ``[x] + [y]`` crashed inside the
generated code. Displays of names and constants are now spelled out before
differentiation (``[x, x]``, ``[x, y]``), so each item is an element of its
own; a list the function made, extended by a display (``hs = hs + [h]``,
``hs += [a, b]``), is appended to like ``hs.append(h)``; any other ``+`` or
``*`` on a list or tuple of differentiated values is refused at its line.
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def repeated(x):
    b = [x] * 2
    return np.sum(b[0] * b[1])


def repeated_on_the_left(x):
    b = 3 * (x, 1.5)
    return np.sum(b[0] * b[3] * b[4] + b[5])


def concatenated(x):
    c = [x] + [2.0 * x, np.sin(x)]
    return np.sum(c[0] * c[1] * c[2])


def tuples_concatenated(x):
    c = (x,) + (x * x,)
    return np.sum(c[0] + c[1])


def stacked_repetition(x):
    return np.sum(np.stack([x] * 3) * np.arange(3.0)[:, None])


def constant_list_repeated(x):
    weights = [0.5, 2.0] * 2
    return np.sum(x * weights[3])


@pytest.mark.parametrize("fn", [repeated, repeated_on_the_left, concatenated, tuples_concatenated,
                                stacked_repetition, constant_list_repeated])
@pytest.mark.parametrize("optimize", [True, False])
def test_spelled_out_displays(fn, optimize):
    x = np.array([0.3, -0.5, 1.2])
    got = ta.grad(fn, optimize=optimize)(x)
    np.testing.assert_allclose(got, numerical_gradient(fn, [x], {}, 0), rtol=1e-7, atol=1e-9)
    value, tangent = ta.jvp(fn)(x, np.ones(3))
    assert tangent == pytest.approx(np.sum(got), rel=1e-10)


def accumulated(x):
    hs = []
    h = x
    for _ in range(3):
        h = np.sin(h)
        hs = hs + [h]
    return np.sum(np.stack(hs))


def computed_item_repeated(x):
    b = [x * 2.0] * 2
    return np.sum(b[0] * b[1])


def argument_list_doubled(xs):
    ys = xs + xs
    return np.sum(ys[0] * ys[3])


def test_a_list_extended_by_a_display_is_appended_to():
    # hs = hs + [h], hs += [a, b]: one list_append per item
    x = np.array([0.3, -0.5, 1.2])
    np.testing.assert_allclose(ta.grad(accumulated)(x), numerical_gradient(accumulated, [x], {}, 0),
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ta.grad(extended_in_place)(x),
                               numerical_gradient(extended_in_place, [x], {}, 0), rtol=1e-7, atol=1e-9)
    assert "hs.append(h)" in ta.grad(accumulated).source(x)  # (in place: nothing else holds hs)


def extended_in_place(x):
    hs = [x]
    for _ in range(2):
        hs += [np.sin(hs[-1]), hs[-1] * 2.0]
    return np.sum(np.stack(hs))


@pytest.mark.parametrize("fn, line", [(computed_item_repeated, 1), (argument_list_doubled, 1)])
def test_other_sequence_arithmetic_is_refused(fn, line):
    x = np.array([0.3, -0.5, 1.2])
    arg = [x, 2.0 * x] if fn is argument_list_doubled else x
    with pytest.raises(ta.TangentADError, match="concatenation, repetition") as info:
        ta.grad(fn)(arg)
    assert f"test_sequence_arithmetic.py:{fn.__code__.co_firstlineno + line}" in str(info.value)
