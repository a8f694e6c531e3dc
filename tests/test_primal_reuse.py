"""The primal sweep's values, used again rather than computed again.

* `passes/reuse.py`: a pure call the primal sweep has computed (the user's
  ``np.cos(th)``) is read from its name where an adjoint needs the same value;
* `passes/displays.py`: a helper's returned tuple is unpacked by name, so
  each adjoint goes on by name (no container of adjoints built and read back)
  and each item keeps its shape.
Each only where the value is surely the same: these tests also change the
names involved in between, by rebinding and by writes in place.
"""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def polar(r, th):
    return r * np.cos(th), r * np.sin(th)


def through_a_tuple(r, th):
    x, y = polar(r, th)
    return np.sum(x * y + x)


def written_in_place(x):
    a = x * 1.0
    c = np.sin(a)
    a[0] = 3.0
    return np.sum(c * np.sin(a)) + np.sum(np.cos(a))


def item_stored_before_read(x):
    items = [x, x * 2.0]
    items[0] = x * 3.0
    y = items[0]
    return np.sum(y * y)


def item_name_rebound_before_read(x):
    a = x * 2.0
    pair = (a, 1.0)
    a = x * 5.0
    y = pair[0]
    return np.sum(y * a)


def _check(fn, args, wrt):
    got = ta.grad(fn, wrt=wrt)(*args)
    got = got if len(wrt) > 1 else (got,)
    for value, position in zip(got, wrt):
        np.testing.assert_allclose(value, numerical_gradient(fn, args, {}, position), rtol=1e-6, atol=1e-9)


def test_a_returned_tuple_is_unpacked_by_name_and_cosines_are_read_again():
    r, th = np.array([1.0, 2.0]), np.array([0.3, 0.4])
    _check(through_a_tuple, (r, th), (0, 1))
    source = ta.source(ta.grad(through_a_tuple, wrt=(0, 1)), r, th)
    assert "unindex(" not in source and "unbroadcast(" not in source
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    assert code.count("np.cos(") == 1 and code.count("np.sin(") == 1


@pytest.mark.parametrize("fn", [written_in_place, item_stored_before_read, item_name_rebound_before_read])
def test_a_value_changed_in_between_is_not_taken_for_the_same(fn):
    _check(fn, (np.array([0.3, -0.7, 1.1]),), (0,))


def parameter_rebound_in_a_loop(x):
    c = np.cos(x)
    for i in range(3):
        x = 0.5 * x + 0.1 * np.sin(x)
    return np.sum(np.cos(x) * c)


def while_test_on_a_rebound_parameter(x):
    while np.max(np.abs(x)) > 0.2:
        x = 0.5 * x + 0.1 * np.sin(x)
    return np.sum(x ** 2)


@pytest.mark.parametrize("fn", [parameter_rebound_in_a_loop, while_test_on_a_rebound_parameter])
def test_a_parameter_bound_again_is_not_read_as_its_first_value(fn):
    """A parameter is bound by the call: rebound once more, it holds two
    values (``np.abs(x)`` before the loop is not the one at its end)."""
    x = np.array([1.2, -1.5, 1.9])
    _check(fn, (x,), (0,))
    value, tangent = ta.jvp(fn)(x, np.ones(3))
    assert value == fn(x)


def two_exps_one_written(a):
    a1, a2 = np.exp(a), np.exp(a)  # two arrays: writing one leaves the other
    a1[0] = 5.0 * a1[1]
    return np.sum(a1 * a2)


def cosine_updated_in_place(x):
    c = np.cos(x)
    return np.sum(c * x) + np.sum(np.sin(x) ** 2)


def test_two_calls_of_a_pure_function_are_two_arrays():
    a = np.array([0.3, 0.7, 1.2])
    value, _ = ta.value_and_grad(two_exps_one_written)(a)
    assert np.isclose(value, two_exps_one_written(a))
    _check(two_exps_one_written, (a,), (0,))
    _, tangent = ta.jvp(two_exps_one_written)(a, np.ones(3))
    np.testing.assert_allclose(tangent, numerical_gradient(two_exps_one_written, [a], {}, 0).sum(), rtol=1e-6)


def test_a_call_read_again_is_only_ever_an_operand():
    """``np.cos(x)``, the adjoint of ``np.sin(x) ** 2``'s sine, is read from
    `c` where it is multiplied, never bound to a name updated in place."""
    x = np.array([0.3, 0.7, 1.2])
    _check(cosine_updated_in_place, (x,), (0,))
    hv = ta.hvp(cosine_updated_in_place)(x, np.ones(3))
    grad = ta.grad(cosine_updated_in_place)
    fd = (grad(x + 1e-6) - grad(x - 1e-6)) / 2e-6
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-8)
