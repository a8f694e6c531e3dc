"""An item of a dict or list stored again, with a value of another shape.

The reverse of ``out["a"] = v`` zeroes the slot's adjoint for what the slot
held before; the zero must have that item's shape. It had the new value's,
so a read of the old scalar item in between had its adjoint broadcast into
an array (a gradient 3x too large, silently).
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def scalar_then_array(x, y):
    out = {}
    out["a"] = x * 2.0
    s = out["a"] ** 2
    out["a"] = y * 3.0
    return s + np.sum(out["a"])


def array_then_scalar(x, y):
    out = {}
    out["a"] = y * 2.0
    s = np.sum(out["a"] ** 2)
    out["a"] = x * 3.0
    return s + out["a"]


def display_then_stores(x, y):
    out = {"a": y * 1.0}
    out["a"] = y * 2.0
    out["a"] = x * 3.0
    return np.sum(out["a"])


def list_item_stored_again(x, y):
    items = [x * 1.0, y]
    t = np.sum(items[1] * items[0])
    items[0] = y * 2.0
    return t + np.sum(items[0])


@pytest.mark.parametrize("fn", [scalar_then_array, array_then_scalar, display_then_stores, list_item_stored_again])
def test_an_item_stored_again_with_another_shape(fn):
    x, y = 1.5, np.array([1.0, 2.0])
    got = ta.grad(fn, wrt=(0, 1))(x, y)
    for value, position in zip(got, (0, 1)):
        expected = numerical_gradient(fn, [x, y], {}, position)
        assert np.shape(value) == np.shape(expected)
        np.testing.assert_allclose(value, expected, rtol=1e-7, atol=1e-9)


def repeated_key_in_a_display(x, y):
    d = {"a": x * 1.0, "a": y * 2.0}  # noqa: F601 (the dict holds the last)
    return np.sum(d["a"]) + np.sum(x)


def test_a_repeated_key_of_a_dict_display_holds_the_last_value():
    for y in (np.ones(3), np.ones(2)):  # (of one shape, x got the adjoint too, silently)
        x = np.ones(3)
        d_x, d_y = ta.grad(repeated_key_in_a_display, wrt=(0, 1))(x, y)
        np.testing.assert_allclose(d_x, np.ones(3))
        np.testing.assert_allclose(d_y, 2.0 * np.ones_like(y))
