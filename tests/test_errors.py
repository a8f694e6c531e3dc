"""Every error path: the construct, the user's file and line, and a hint."""

import math

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.errors import MissingRuleError, NoSourceError, UnsupportedConstructError


def generator(x):
    for i in range(3):
        yield x


def calls_eig(x):
    w, v = np.linalg.eig(x)
    return np.sum(w)


def with_block(x):
    with np.errstate(all="ignore"):
        y = x * 2.0
    return y


def try_block(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def for_else(x):
    for i in range(3):
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def comprehension(x):
    return sum({x * i for i in range(3)})


def global_statement(x):
    global COUNTER
    return x


def and_of_values(x):
    y = x or 1.0
    return y * 2.0


def unknown_callable(x, f):
    return f(x) * 2.0


def star_args(*xs):
    return xs[0]


def mutates_list(x, items):
    items.append(x)
    return x * 2.0


CASES = [
    (generator, UnsupportedConstructError, "generator", 14),
    (calls_eig, MissingRuleError, "call to numpy.linalg.eig without a derivative rule", 18),
    (with_block, UnsupportedConstructError, "with block", 23),
    (try_block, UnsupportedConstructError, "try/except block", 29),
    (for_else, UnsupportedConstructError, "for ... else", 37),
    (comprehension, UnsupportedConstructError, "set comprehension", 45),
    (global_statement, UnsupportedConstructError, "global statement", 49),
    (and_of_values, UnsupportedConstructError, "and/or on differentiated values", 54),
    (star_args, UnsupportedConstructError, "*args", 62),
    (mutates_list, UnsupportedConstructError, "items.append(), a change in place", 67),
]


@pytest.mark.parametrize("fn, kind, construct, line", CASES, ids=[c[0].__name__ for c in CASES])
def test_error_names_construct_file_and_line(fn, kind, construct, line):
    with pytest.raises(kind) as info:
        ta.grad(fn)
    err = info.value
    assert isinstance(err, ta.TangentADError)
    message = str(err)
    assert construct in message
    assert f"test_errors.py:{line}" in message, message
    assert err.location.lineno == line
    assert "hint:" in message


def test_builtin_has_no_source():
    with pytest.raises(NoSourceError, match="without Python source"):
        ta.grad(np.sin)
    with pytest.raises(NoSourceError):
        ta.grad(math.exp)


def test_eval_lambda_has_no_source():
    made = eval("lambda x: x * 2.0")
    with pytest.raises(NoSourceError, match="source cannot be read"):
        ta.grad(made)


def test_out_argument_rejected():
    def f(x):
        y = np.empty_like(x)
        np.exp(x, out=y)
        return np.sum(y)

    with pytest.raises(ta.TangentADError):
        ta.grad(f)


def test_no_raw_internal_errors_on_odd_input():
    def f(x):
        return x.shape

    with pytest.raises(ta.TangentADError):
        ta.grad(f)(np.ones(3))


def diff_with_prepend(x):
    return np.sum(np.diff(np.sin(x), prepend=0.0) ** 2)


def sum_where(x):
    return np.sum(x, where=x > 0)


@pytest.mark.parametrize("fn, keyword", [(diff_with_prepend, "prepend"), (sum_where, "where")])
@pytest.mark.parametrize("make", [ta.grad, ta.jvp, ta.hvp])
def test_an_argument_the_rule_does_not_take_is_refused_at_the_line(fn, keyword, make):
    with pytest.raises(UnsupportedConstructError) as info:
        make(fn)
    message = str(info.value)
    assert "with arguments its derivative rule does not take" in message
    assert f"unexpected keyword argument '{keyword}'" in message
    assert f"test_errors.py:{fn.__code__.co_firstlineno + 1}" in message
    assert "hint: the rule takes (" in message


def variable_named_stack(x):
    _stack = x * 2.0
    return np.sum(_stack)


def test_a_variable_named_like_the_generated_stack_is_refused():
    # it was overwritten by the generated code's stack: a NameError inside it
    with pytest.raises(UnsupportedConstructError, match="a variable named _stack") as info:
        ta.grad(variable_named_stack)(np.ones(3))
    assert f"test_errors.py:{variable_named_stack.__code__.co_firstlineno + 1}" in str(info.value)
    assert "rename the variable" in str(info.value)


def loop_over_nditer(x):
    s = 0.0
    for i in np.nditer(np.array([2, 0])):
        s = s + x[i]
    return s


def loop_over_map(x):
    s = 0.0
    for i in map(int, [1.0, 0.0]):
        s = s * x[i] + x[i]
    return s


@pytest.mark.parametrize("fn, name", [(loop_over_nditer, "nditer"), (loop_over_map, "map")])
def test_a_loop_over_an_iterator_is_refused(fn, name):
    # np.nditer has a len() and items by index of another meaning: the index
    # loop it became gave a silently wrong gradient
    with pytest.raises(UnsupportedConstructError, match=f"loop over {name}") as info:
        ta.grad(fn)(np.array([0.5, -0.3, 0.2]))
    assert f"test_errors.py:{fn.__code__.co_firstlineno + 2}" in str(info.value)


def einsum_of_seven(x):
    return np.einsum("i,i,i,i,i,i,i->", x, x, x, x, x, x, x)


@pytest.mark.parametrize("make", [ta.grad, ta.jvp])
def test_einsum_of_more_operands_than_its_rule_takes_is_refused_at_the_line(make):
    # the seventh operand was bound to out=: a misleading message in reverse
    # mode, NumPy's ValueError in forward mode
    with pytest.raises(UnsupportedConstructError, match="too many positional arguments") as info:
        make(einsum_of_seven)
    assert f"test_errors.py:{einsum_of_seven.__code__.co_firstlineno + 1}" in str(info.value)


def unpacks_three_into_two(x):
    a, b = x, x * 2.0, x * 3.0
    return a * b


def test_unpacking_a_display_of_the_wrong_length_is_refused():
    # (Python raises ValueError there; the derivative took the first two)
    with pytest.raises(ta.TangentADError, match="unpacking 3 values into 2 names") as err:
        ta.grad(unpacks_three_into_two)(1.5)
    assert "test_errors.py" in str(err.value)


square, cube = lambda z: z ** 2, lambda z: z ** 3


def calls_a_lambda_sharing_its_line(x):
    return np.sum(cube(x))


def test_a_lambda_that_cannot_be_isolated_is_refused_at_its_line():
    with pytest.raises(NoSourceError) as err:
        ta.grad(calls_a_lambda_sharing_its_line)(np.array([0.3, -1.2]))
    line = cube.__code__.co_firstlineno
    assert f"test_errors.py:{line}" in str(err.value)
    assert "lambda whose source cannot be isolated" in str(err.value)


def real_part_of_complex(x):
    z = x * 1j
    return np.sum(np.real(z) + x)


def test_a_refusal_while_running_names_the_user_line():
    """The refusal of a complex intermediate comes from a helper the
    generated code calls: it names the user's line that was running."""
    with pytest.raises(ta.TangentADError) as err:
        ta.grad(real_part_of_complex)(np.array([0.3, -1.2]))
    line = real_part_of_complex.__code__.co_firstlineno + 2
    assert f"test_errors.py:{line}" in str(err.value)
    assert "np.sum(np.real(z) + x)" in str(err.value)


def test_a_call_of_an_argument_is_refused_at_the_first_call():
    """`f` may be an object whose class has a Python __call__, known on the
    first call (``model(x)``): a function is refused then, at the line."""
    df = ta.grad(unknown_callable)
    with pytest.raises(MissingRuleError) as info:
        df(np.ones(2), np.sin)
    assert "a function only known at run time" in str(info.value)
    assert info.value.location.lineno == 59 and "hint:" in str(info.value)


def three_values(x):
    return x, x * 2.0, x * 3.0


def unpacks_a_helpers_three_values(x):
    a, b = three_values(x)
    return np.sum(a * b)


def unpacks_an_argument(x, pair):
    a, b = pair
    return np.sum(a * b * x)


def unpacks_rows(x):
    W, b = x
    return np.sum(W * b)


@pytest.mark.parametrize("fn, args", [
    (unpacks_a_helpers_three_values, (np.ones(2),)),
    (unpacks_an_argument, (np.ones(2), (1.0, 2.0, 3.0))),
    (unpacks_an_argument, (np.ones(2), (1.0,))),
    (unpacks_rows, (np.ones((3, 2)),)),
])
def test_unpacking_another_number_of_values_raises_as_python_does(fn, args):
    """``a, b = t`` with `t` of another length: Python raises ValueError,
    and so does the derivative (it took the first two)."""
    with pytest.raises(ValueError) as python:
        fn(*args)
    with pytest.raises(ValueError) as derivative:
        ta.grad(fn)(*args)
    assert str(derivative.value) == str(python.value)


def test_unpacking_the_right_number_of_values_is_checked_once_or_not_at_all():
    x = np.ones((2, 3))
    np.testing.assert_allclose(ta.grad(unpacks_rows)(x), x[::-1])
    assert ta.source(ta.grad(unpacks_rows), x).count("check_unpack(x, 2)") == 1
    # a helper's returned display of two: counted when the code is generated
    source = ta.source(ta.grad(unpacks_a_helpers_two_values), np.ones(2))
    assert "check_unpack" not in source


def two_values(x):
    return x, x * 2.0


def unpacks_a_helpers_two_values(x):
    a, b = two_values(x)
    return np.sum(a * b)


def root_of_a_number(x):
    return math.sqrt(x) * 2.0


@pytest.mark.skipif(not hasattr(ValueError(), "add_note"), reason="exception notes: Python 3.11+")
def test_a_division_by_zero_in_the_derivative_names_the_users_line():
    """math.sqrt at 0: Python floats raise where NumPy gives inf; the error
    says which line's derivative raised."""
    with pytest.raises(ZeroDivisionError) as err:
        ta.grad(root_of_a_number)(0.0)
    line = root_of_a_number.__code__.co_firstlineno + 1
    assert any(f"test_errors.py:{line}" in note for note in err.value.__notes__)
