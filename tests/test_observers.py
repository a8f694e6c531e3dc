"""Calls that only look at values: print, logging, warnings, numpy.testing.

A differentiated function may print, log, warn about or check its
differentiated values. These calls have no derivative and write into
nothing: the generated code keeps them in its primal sweep, where they see
the values the original function computed, and the gradient is unchanged.
Before, `logging.debug(...)` was inlined (it is a Python function) and
refused for its ``*args``, and `log.info(y)` on a differentiated `y` was
refused as a call that might change `y`.

Functions of the standard library are library code, not the user's: they
are not inlined. One without a rule, on differentiated values, is refused
naming the user's line, not a line inside the standard library.
"""

import copy
import logging
import warnings

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient
from tangent_ad.errors import MissingRuleError

log = logging.getLogger("tangent_ad.tests.observers")
adapter = logging.LoggerAdapter(log, {"run": 1})


def logged(x):
    y = np.sin(x)
    logging.debug("y = %s", y)
    log.info("sum of y: %s", np.sum(y))
    log.log(logging.WARNING, "largest: %s", np.max(y))
    adapter.warning("y again: %s", y)
    return np.sum(y * y)


def logged_in_a_loop(x):
    h = x
    for t in range(3):
        h = np.tanh(h * 1.5 + t)
        log.debug("step %d: %s", t, h)
    return np.sum(h)


def warned_and_checked(x):
    y = x * x
    if np.any(y > 10.0):
        warnings.warn(f"large values: {y}", RuntimeWarning)
    np.testing.assert_array_less(-1.0, y)
    np.testing.assert_allclose(y, x * x)
    print("y:", y)
    return np.sum(np.exp(-y))


def logged_float(a):
    b = a * a
    log.info("b = %.3f", b)
    print(b)
    return b * a


X = np.array([0.5, -0.2, 0.3])


@pytest.mark.parametrize("fn", [logged, logged_in_a_loop, warned_and_checked])
@pytest.mark.parametrize("optimize", [True, False])
def test_gradient_of_a_function_that_logs(fn, optimize, capsys):
    got = ta.grad(fn, optimize=optimize)(X)
    np.testing.assert_allclose(got, numerical_gradient(fn, [X], {}, 0), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("fn", [logged, logged_in_a_loop, warned_and_checked])
def test_tangent_of_a_function_that_logs(fn, capsys):
    v = np.array([1.0, -2.0, 0.5])
    value, tangent = ta.jvp(fn)(X, v)
    assert value == pytest.approx(fn(X), rel=1e-14)
    eps = 1e-6
    expected = (fn(X + eps * v) - fn(X - eps * v)) / (2 * eps)
    assert tangent == pytest.approx(expected, rel=1e-7)


def test_python_float_that_is_logged_and_printed(capsys):
    assert ta.grad(logged_float)(1.5) == pytest.approx(3 * 1.5**2, rel=1e-14)
    assert capsys.readouterr().out.strip().splitlines()[-1] == "2.25"


def test_messages_see_the_primal_values(caplog):
    caplog.set_level(logging.DEBUG, logger=log.name)
    ta.grad(logged_in_a_loop)(X)
    steps = [r.getMessage() for r in caplog.records if r.getMessage().startswith("step")]
    h = X
    expected = []
    for t in range(3):
        h = np.tanh(h * 1.5 + t)
        expected.append(f"step {t}: {h}")
    assert steps == expected


def test_logging_is_kept_in_the_generated_code():
    source = ta.grad(logged).source(X)
    assert "logging.debug('y = %s', y)" in source
    assert "log.info(" in source
    assert "adapter.warning(" in source
    assert "*args" not in source  # not inlined


def copied_by_the_standard_library(x):
    y = copy.copy(x)
    return np.sum(y * y)


def test_standard_library_functions_are_not_inlined():
    with pytest.raises(MissingRuleError, match="call to copy.copy without a derivative rule") as info:
        ta.grad(copied_by_the_standard_library)(X)
    assert f"{__file__}:" in str(info.value)
    assert "copy.py" not in str(info.value).splitlines()[0]


def unknown_method_of_a_global(x):
    y = np.sin(x)
    collector.append(y)  # a list's append: may keep `y`, not an observer
    return np.sum(y)


collector = []


def test_other_methods_of_globals_are_still_refused():
    with pytest.raises(ta.TangentADError, match=r"collector.append\(\), a change in place, on differentiated"):
        ta.grad(unknown_method_of_a_global)(X)
