"""Writes through aliases are exact or refused; unsupported syntax is refused
with the construct's name and the user's file and line.

A function that writes into memory another name can see (an argument, a
view, a second name for the same array) would need the reverse sweep to know
which names changed; tangent_ad must then raise `AliasingError` rather than
return a wrong gradient. Each refused function marks the line the error must
point at with ``# <- refused``.
"""

import contextlib
import inspect
import re

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient
from tangent_ad.errors import AliasingError

MARK = "# <- refused"


def _rows(*rows):
    """Parameter rows whose test id is the function's name (the row's first item)."""
    return [pytest.param(*row, id=row[0].__name__) for row in rows]


def marked_line(fn):
    """The file line of `fn` carrying the MARK comment."""
    lines, start = inspect.getsourcelines(fn)
    found = [start + i for i, line in enumerate(lines) if MARK in line]
    assert len(found) == 1, fn.__name__
    return found[0]


def assert_refused(fn, error, *words):
    """`ta.grad(fn)` raises `error` naming the words, the file and the marked line."""
    with pytest.raises(error) as info:
        ta.grad(fn)
    message = str(info.value)
    where = f"{fn.__code__.co_filename}:{marked_line(fn)}"
    assert where in message
    assert info.value.location.lineno == marked_line(fn)
    for word in words:
        assert word in message
    return message


def assert_exact(fn, *args):
    """The gradient agrees with central finite differences (optimised and not)."""
    expected = numerical_gradient(fn, [np.copy(a) for a in args], {}, 0)
    for optimize in (True, False):
        got = ta.grad(fn, optimize=optimize)(*[np.copy(a) for a in args])
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def assert_exact_or_refused(fn, *args):
    """Either an `AliasingError` (at generation, or at the first call when it
    depends on the arguments' kinds, as for `+=`), or a correct gradient."""
    try:
        ta.grad(fn)(*args)
    except AliasingError:
        return
    assert_exact(fn, *args)


# ----- writes through aliases are refused -----


def write_through_name_of_argument(x):
    y = x
    y[0] = 5.0  # <- refused
    return np.sum(y * y)


def write_into_argument(x):
    x[0] = 5.0  # <- refused
    return np.sum(x * x)


def write_slice_of_argument_in_loop(x):
    for i in range(len(x)):
        x[i] += 1.0  # <- refused
    return np.sum(x * x)


def write_then_read_view(x):
    u = x * 1.0
    v = u[0:3]
    u[0] = 7.0  # <- refused
    return np.sum(v * x[0:3])


def write_then_read_second_name(x):
    u = x * 1.0
    v = u
    u[0] = 7.0  # <- refused
    return np.sum(v * x)


def write_then_read_row_view(x):
    u = np.zeros((2, 2))
    r = u[0]
    u[0, 0] = x[0]  # <- refused
    return np.sum(r) * x[1]


def write_then_read_transpose(x):
    u = x * 1.0
    v = u.T
    u[0] = 3.0  # <- refused
    return np.sum(v * x)


def write_then_read_reshape(x):
    u = x * 1.0
    v = np.reshape(u, (2, 2))
    u[0] = 3.0  # <- refused
    return np.sum(v) * x[0]


def write_then_read_list_holding_array(x):
    u = np.zeros(4)
    held = [u, x]
    u[0] = x[0]  # <- refused
    total = 0.0
    for item in held:
        total = total + np.sum(item * x)
    return total


def item_of_a_display_read_by_constant_index(x):
    u = np.zeros(4)
    held = [u, x]
    u[0] = x[0]
    return np.sum(held[0] * x)  # `u` itself: differentiated as `u`


def test_an_item_read_by_a_constant_index_is_the_name_it_holds():
    x = np.array([0.5, -1.0, 2.0, 0.3])
    np.testing.assert_allclose(ta.grad(item_of_a_display_read_by_constant_index)(x), [1.0, 0.0, 0.0, 0.0])


def write_through_second_name_of_copy(x):
    y = x.copy()
    z = y
    z[0] = 1.0  # <- refused
    return np.sum(y * x)


@pytest.mark.parametrize(
    "fn, words",
    _rows(
        (write_through_name_of_argument, ["`y`"]),
        (write_into_argument, ["argument `x`"]),
        (write_slice_of_argument_in_loop, ["argument `x`"]),
        (write_then_read_view, ["`u`", "`v`"]),
        (write_then_read_second_name, ["`u`", "`v`"]),
        (write_then_read_row_view, ["`u`", "`r`"]),
        (write_then_read_transpose, ["`u`", "`v`"]),
        (write_then_read_reshape, ["`u`", "`v`"]),
        (write_then_read_list_holding_array, ["`u`", "`held`"]),
        (write_through_second_name_of_copy, ["`z`"]),
    ),
)
def test_write_through_alias_is_refused(fn, words):
    message = assert_refused(fn, AliasingError, *words)
    assert "hint:" in message


def test_aliasing_error_is_a_tangent_ad_error():
    with pytest.raises(ta.TangentADError):
        ta.grad(write_into_argument)


# ----- writes into memory nobody else sees are exact -----


def write_into_copy(x):
    y = x.copy()
    y[0] = 5.0
    return np.sum(y * y * x)


def write_into_np_copy(x):
    y = np.copy(x)
    y[1] = y[0] * 2.0
    return np.sum(y * y)


def write_into_np_array(x):
    y = np.array(x)
    y[1] = 2.0
    return np.sum(y * y)


def write_then_view_afterwards(x):
    u = np.zeros(4)
    u[0] = x[0] * x[1]
    v = u[1:]
    return np.sum(v * x[1:]) + u[0] * x[2]


def view_read_before_write(x):
    u = x * 1.0
    v = u[0:3]
    s = np.sum(v)
    u[0] = 7.0
    return s * np.sum(u)


def recurrence_in_copy(x):
    y = x.copy()
    for i in range(1, len(x)):
        y[i] = y[i - 1] * y[i]
    return np.sum(y)


def overwritten_copy_renamed(x):
    """The adjoint of `v = c` is the copy ``d_c = d_v``; the overwritten
    element's adjoint is read as ``copy(d_c[0])`` and then zeroed through
    `d_c`. Copy propagation read it as ``d_v[0]`` and substitution moved that
    read past the zeroing: a wrong gradient (found by a random-program test)."""
    c = x.copy()
    c[0] = x[1] * 2.0
    v = c
    return np.sum(np.concatenate([v[1:], v[:1]]) * x)


def overwritten_sine_renamed(x):
    c = np.sin(x)
    c[0] = x[1] * 2.0
    v = c
    return np.sum(np.concatenate([v[1:], v[:1]]) * x)


@pytest.mark.parametrize(
    "fn",
    [
        write_into_copy,
        write_into_np_copy,
        write_into_np_array,
        write_then_view_afterwards,
        view_read_before_write,
        recurrence_in_copy,
        overwritten_copy_renamed,
        overwritten_sine_renamed,
    ],
    ids=lambda fn: fn.__name__,
)
def test_write_into_fresh_array_is_exact(fn, rng):
    assert_exact(fn, rng.uniform(-1, 1, 4))


@pytest.mark.parametrize("fn", [overwritten_copy_renamed, overwritten_sine_renamed], ids=lambda fn: fn.__name__)
def test_an_overwritten_row_of_a_renamed_copy(fn, rng):
    assert_exact(fn, rng.uniform(-1, 1, (3, 4)))


def test_write_into_copy_gradient_value(rng):
    x = rng.uniform(-1, 1, 4)
    expected = 3.0 * x * x
    expected[0] = 25.0
    np.testing.assert_allclose(ta.grad(write_into_copy)(x), expected, rtol=1e-12)


# ----- known holes: silent wrong gradients or refusals of correct code -----


def write_then_read_view_of_view(x):
    u = x * 1.0
    v = u[0:3]
    w = v[0:2]
    u[0] = 7.0
    return np.sum(w * x[0:2])


def augmented_assign_through_argument_alias(x):
    s = x
    s += 1.0
    return np.sum(s * x)


def augmented_assign_through_second_name(x):
    u = x * 1.0
    v = u
    u += 1.0
    return np.sum(v * x)


def augmented_assign_while_view_live(x):
    u = x * 1.0
    v = u[0:3]
    u *= 2.0
    return np.sum(v * x[0:3])


@pytest.mark.parametrize(
    "fn",
    [
        write_then_read_view_of_view,
        augmented_assign_through_argument_alias,
        augmented_assign_through_second_name,
        augmented_assign_while_view_live,
    ],
)
def test_write_through_alias_is_exact_or_refused(fn, rng):
    assert_exact_or_refused(fn, rng.uniform(-1, 1, 4))


def copy_argument_under_its_own_name(x):
    x = x.copy()
    x[0] = 5.0
    return np.sum(x * x * x)


def recurrence_with_len_bound(x):
    y = x.copy()
    n = len(y)
    for i in range(1, n):
        y[i] = y[i - 1] * y[i]
    return np.sum(y)


def recurrence_with_len_of_copy(x):
    y = x.copy()
    for i in range(1, len(y)):
        y[i] = y[i - 1] * y[i]
    return np.sum(y)


@pytest.mark.parametrize(
    "fn",
    [
        copy_argument_under_its_own_name,
        recurrence_with_len_bound,
        recurrence_with_len_of_copy,
    ],
)
def test_write_into_fresh_array_is_not_refused(fn, rng):
    assert_exact(fn, rng.uniform(-1, 1, 4))


def write_into_array_being_iterated(x):
    u = np.zeros(4)
    for v in u:
        u[1] = x[1]  # <- refused
        u[2] = u[2] + v * x[0]
    return np.sum(u * u)


def test_write_into_array_being_iterated_is_refused():
    # Python's loop sees the writes (it iterates the live array): refused
    assert_refused(write_into_array_being_iterated, AliasingError, "`u`")


def test_aliasing_error_names_only_user_variables():
    message = assert_refused(write_into_array_being_iterated, AliasingError, "`u`")
    assert "`_t" not in message


# ----- unsupported constructs name themselves, the file and the line -----


def with_block(x):
    with contextlib.suppress(ValueError):  # <- refused
        y = x * 2.0
    return np.sum(y)


def try_except(x):
    try:  # <- refused
        y = x * 2.0
    except ValueError:
        y = x
    return np.sum(y)


def try_finally(x):
    y = x * 2.0
    try:  # <- refused
        y = y + 1.0
    finally:
        y = y * 3.0
    return np.sum(y)


def for_else(x):
    s = 0.0
    for v in x:  # <- refused
        s = s + v
    else:
        s = s * 2.0
    return s


def while_else(x):
    s = 0.0
    while s < 1.0:  # <- refused
        s = s + np.sum(x * x) + 0.1
    else:
        s = -s
    return s


def generator_function(x):
    s = np.sum(x)
    yield s  # <- refused


def list_comprehension_in_loop_header(x):
    s = 0.0
    for v in [w * w for w in x]:  # <- refused
        s = s + v
    return s


def set_comprehension(x):
    return len({v for v in x}) * np.sum(x)  # <- refused


def dict_comprehension(x):
    d = {i: v for i, v in enumerate(x)}  # <- refused
    return d[0]


def generator_expression(x):
    return sum(v * v for v in x)  # <- refused


def lambda_as_value(x):
    squares = [lambda v: v * v]  # <- refused
    return np.sum(squares[0](x))


@pytest.mark.parametrize(
    "fn, construct",
    _rows(
        (with_block, "with block"),
        (try_except, "try/except"),
        (try_finally, "try"),
        (for_else, "for ... else"),
        (while_else, "while ... else"),
        (generator_function, "generator (yield)"),
        (list_comprehension_in_loop_header, "list comprehension"),
        (set_comprehension, "set comprehension"),
        (dict_comprehension, "dict comprehension"),
        (generator_expression, "generator expression"),
        (lambda_as_value, "lambda"),
    ),
)
def test_unsupported_construct_is_named_with_file_and_line(fn, construct):
    message = assert_refused(fn, ta.TangentADError, construct)
    assert "hint:" in message


def list_comprehension(x):
    return np.sum([v * v for v in x])


def squares_by_append(x):
    ys = []
    for v in x:
        ys.append(v * v)
    s = 0.0
    for y in ys:
        s = s + y
    return s


@pytest.mark.parametrize("fn", [list_comprehension, squares_by_append], ids=lambda fn: fn.__name__)
def test_list_building_is_exact_or_refused_by_name(fn, rng):
    # a plain list comprehension, or the loop appending to a list that the
    # comprehension error used to suggest: a correct gradient, or an error
    # that names the construct
    x = rng.uniform(-1, 1, 4)
    try:
        ta.grad(fn)
    except ta.TangentADError as err:
        assert "list comprehension" in str(err) or "append" in str(err)
        return
    assert_exact(fn, x)
    np.testing.assert_allclose(ta.grad(fn)(x), 2.0 * x, rtol=1e-12)


# ----- an array stored into a list or dict is held, not copied -----


def stored_in_a_dict_then_updated(x, s):
    d = {}
    y = x * 1.0
    d["k"] = y
    y += x * s  # d["k"] is y
    return np.sum(d["k"] ** 2)


def stored_in_a_list_then_scaled(x, s):
    y = x * 1.0
    items = [x]
    items[0] = y
    y *= s
    return np.sum(items[0] ** 2)


def stored_in_a_dict_then_written(x, s):
    d = {}
    y = x * 1.0
    d["k"] = y
    y[0] = s
    return np.sum(d["k"] ** 2)


@pytest.mark.parametrize("fn", [stored_in_a_dict_then_updated, stored_in_a_list_then_scaled,
                                stored_in_a_dict_then_written])
def test_an_in_place_change_of_an_array_a_container_holds_is_refused(fn):
    # the change was not seen as the container's: silently wrong gradients
    with pytest.raises(AliasingError, match="may view the same memory"):
        ta.grad(fn, wrt=(0, 1))(np.array([0.3, -0.2, 0.5]), 0.37)


def returns_an_outer_name(x):
    y = x * 2.0
    g = lambda: y  # noqa: E731
    z = g()
    return np.sum(z * x)


def test_a_local_function_returning_an_outer_name_binds_the_result():
    # z = g() was dropped (NameError), and a write into z was lost
    x = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(ta.grad(returns_an_outer_name)(x), 4.0 * x)
    np.testing.assert_allclose(ta.grad(returns_an_outer_name, optimize=False)(x), 4.0 * x)
    _, tangent = ta.jvp(returns_an_outer_name)(x, np.ones(3))
    assert tangent == pytest.approx(np.sum(4.0 * x))


def stored_after_its_writes(x, s):
    D = {"a": x[:2] * 1.0}
    out = np.zeros(2)
    out[0] = x[0] * s
    out[1] = x[1] + s
    D["b"] = out
    return np.sum(D["b"] * D["a"]) + np.sum(D["b"])


def pair(x):
    return x[0] * 2.0, x[1:]


def rebound_to_a_view_after_an_in_place_update(x, s):
    t = s * 1.0
    t /= 2.0 + x[0]
    t, u = pair(x)
    return t + np.sum(u) * s


@pytest.mark.parametrize("fn", [stored_after_its_writes, rebound_to_a_view_after_an_in_place_update])
def test_aliases_made_after_a_write_do_not_refuse_it(fn):
    # only bindings and stores that may run before the write can share its
    # memory then (they were refused, pointing at the later line)
    x, s = np.array([0.3, -0.4, 0.8]), 0.7
    got = ta.grad(fn, wrt=(0, 1))(x, s)
    for value, position in zip(got, (0, 1)):
        np.testing.assert_allclose(value, numerical_gradient(fn, [x, s], {}, position), rtol=1e-6, atol=1e-9)


def stored_in_a_loop_then_written(x):
    D = {}
    out = x * 1.0
    for k in range(2):
        out[0] = out[0] * 2.0
        D["b"] = out
    return np.sum(D["b"])


def test_a_store_in_an_earlier_iteration_still_refuses_the_write():
    with pytest.raises(ta.TangentADError, match="may view the same memory"):
        ta.grad(stored_in_a_loop_then_written)(np.array([0.3, -0.4]))


# ----- augmented assignment to a container's item; writes into free names -----


def item_of_a_list_updated(x):
    y = x * 1.0
    items = [y]
    items[0] += 1.0  # Python: y += 1.0, the same array
    return np.sum(y * x)


def item_of_the_callers_array(x):
    items = [x]
    items[0] *= 2.0  # would double the caller's x
    return np.sum(x ** 2)


SHARED = np.array([1.0, 2.0, 3.0])
SHARED_VIEW = SHARED[1:]


def writes_into_a_global(x):
    SHARED[1] = x[0] ** 2  # also changes SHARED_VIEW
    return np.sum(SHARED_VIEW * x[1:])


def _closure_writer():
    buffer = np.zeros(3)

    def writes_into_a_closure(x):
        buffer[0] = x[0]
        return np.sum(buffer * x)

    return writes_into_a_closure


@pytest.mark.parametrize("fn, words", [
    (item_of_a_list_updated, "augmented assignment to an item of the list or dict `items`"),
    (item_of_the_callers_array, "augmented assignment to an item of the list or dict `items`"),
    (writes_into_a_global, "index assignment into `SHARED`, which the function does not bind"),
    (_closure_writer(), "index assignment into `buffer`, which the function does not bind"),
])
def test_writes_that_python_makes_in_place_elsewhere_are_refused(fn, words):
    x = np.array([0.3, -0.7, 1.2])
    for make in (ta.grad, ta.jvp):
        with pytest.raises(AliasingError, match=re.escape(words)) as err:
            make(fn)(x, *([np.ones(3)] if make is ta.jvp else []))
        assert "test_aliasing.py" in str(err.value)


def test_a_number_item_written_out_is_differentiated():
    # (``totals[1] += 2.0`` is refused too: the item is not known to be a number)
    def written_out(x):
        totals = [0.0, 1.0]
        totals[1] = totals[1] + 2.0
        return np.sum(x * totals[1])

    x = np.array([0.3, -0.7, 1.2])
    np.testing.assert_allclose(ta.grad(written_out)(x), np.full(3, 3.0))


# ----- a view ends when its names are bound again -----


def leapfrog(u0, c):
    u_prev = u0 * 1.0
    u = u0 * 1.0
    for _ in range(3):
        u_next = np.zeros_like(u)
        u_next[1:-1] = 2.0 * u[1:-1] - u_prev[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u_prev = u
        u = u_next
    return np.sum(u ** 2)


def jacobi(v0):
    v = v0 * 1.0
    for _ in range(3):
        w = v.copy()
        w[1:-1] = 0.5 * (v[2:] + v[:-2])
        v = w
    return np.sum(v * v0)


def rebound_before_the_write(x):
    u = x * 1.0
    v = u[1:]
    u = u * 2.0  # a new array: v views the old one
    u[0] = 5.0
    return np.sum(v * u[1:])


def viewed_through_a_rebound_view(x):
    u = x * 1.0
    v = u[1:]
    w = v[1:]  # w views u through v
    v = x * 3.0
    u[2] = 5.0  # changes w
    return np.sum(w * v[1:])


@pytest.mark.parametrize("fn, args", [
    (leapfrog, (np.linspace(0.0, 1.0, 6), 0.3)),
    (jacobi, (np.linspace(0.1, 1.0, 6),)),
    (rebound_before_the_write, (np.array([0.3, -0.7, 1.2]),)),
])
def test_double_buffers_and_views_of_rebound_names(fn, args):
    # refused before: a view made at the end of one iteration (u = u_next)
    # was taken to hold at a write into the next iteration's fresh array
    got = ta.grad(fn)(*args)
    np.testing.assert_allclose(got, numerical_gradient(fn, args, {}, 0), rtol=1e-6, atol=1e-9)


def test_a_view_through_a_rebound_view_still_counts():
    with pytest.raises(AliasingError, match="may view the same memory"):
        ta.grad(viewed_through_a_rebound_view)(np.array([0.3, -0.7, 1.2, 0.4]))
