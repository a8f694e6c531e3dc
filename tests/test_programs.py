"""Whole programs (calls inlined, containers, objects) against finite
differences on every leaf and against autograd; and the programs refused.

`check_program` extends `support.check_case` to container and object
arguments: the gradient must have the argument's structure (a tuple argument
gets a tuple, a list a list, a dict a dict, an object a dict by attribute
name) and every leaf must match central differences taken on that leaf.
"""

import contextlib
import copy
import inspect
import math

import numpy as np
import pytest

import catalogue_programs
import programs_helpers
import tangent_ad as ta
from catalogue_programs import CASES
from tangent_ad.checking import numerical_gradient

# ----- structures: leaves, replacement, comparison -----


def _is_object(value):
    return hasattr(value, "__dict__") and not hasattr(value, "shape") and not callable(value)


def _children(value):
    """(key, child) pairs of a container or object; None for a leaf."""
    if isinstance(value, (list, tuple)):
        return list(enumerate(value))
    if isinstance(value, dict):
        return list(value.items())
    if _is_object(value):
        return [(k, v) for k, v in vars(value).items() if _differentiable(v)]
    return None


def _differentiable(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, (list, tuple, dict)) or _is_object(value):
        return True
    return isinstance(value, float) or np.issubdtype(np.asarray(value).dtype, np.floating)


def _replace(value, path, leaf):
    """A copy of `value` with the leaf at `path` replaced (containers rebuilt,
    objects shallow-copied; the original is left unchanged)."""
    if not path:
        return leaf
    head, rest = path[0], path[1:]
    if isinstance(value, tuple):
        items = list(value)
        items[head] = _replace(value[head], rest, leaf)
        return tuple(items)
    if isinstance(value, list):
        items = list(value)
        items[head] = _replace(value[head], rest, leaf)
        return items
    if isinstance(value, dict):
        items = dict(value)
        items[head] = _replace(value[head], rest, leaf)
        return items
    new = copy.copy(value)
    setattr(new, head, _replace(getattr(value, head), rest, leaf))
    return new


def _map_leaves(value, fn, path=()):
    """The gradient structure of `value`: tuples stay tuples, lists lists,
    dicts dicts, an object becomes a dict by attribute name."""
    children = _children(value)
    if children is None:
        return fn(path, value)
    mapped = [(k, _map_leaves(v, fn, path + (k,))) for k, v in children]
    if isinstance(value, tuple):
        return tuple(v for _, v in mapped)
    if isinstance(value, list):
        return [v for _, v in mapped]
    return dict(mapped)


def numerical_structure_gradient(fn, args, position, eps=1e-6):
    """Central differences w.r.t. every float leaf of ``args[position]``."""
    root = args[position]

    def leaf_gradient(path, leaf):
        def f(value):
            moved = list(args)
            moved[position] = _replace(root, path, value)
            return fn(*moved)

        return numerical_gradient(f, [leaf], {}, 0, eps)

    return _map_leaves(root, leaf_gradient)


def assert_structure_close(got, expected, rtol, atol, where):
    """Same container types and keys all the way down; leaves close."""
    if isinstance(expected, (tuple, list, dict)):
        kind, wanted = type(got).__name__, type(expected).__name__
        assert type(got) is type(expected), f"{where}: {kind} gradient, expected {wanted}"
        assert len(got) == len(expected), f"{where}: {len(got)} entries, expected {len(expected)}"
        keys = expected.keys() if isinstance(expected, dict) else range(len(expected))
        if isinstance(expected, dict):
            assert set(got) == set(expected), f"{where}: keys {sorted(got)} != {sorted(expected)}"
        for key in keys:
            assert_structure_close(got[key], expected[key], rtol, atol, f"{where}[{key!r}]")
        return
    assert not isinstance(got, (tuple, list, dict)), f"{where}: container {type(got).__name__} for a leaf"
    assert got is not None, f"{where}: None gradient"
    assert np.shape(got) == np.shape(expected), f"{where}: shape {np.shape(got)} != {np.shape(expected)}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=where)


def assert_same_values(a, b, where):
    """Arguments are not changed by calling the derivative."""
    if isinstance(a, (tuple, list)):
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_values(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        for key in a:
            assert_same_values(a[key], b[key], f"{where}[{key!r}]")
    elif _is_object(a):
        assert_same_values(vars(a), vars(b), where)
    else:
        np.testing.assert_array_equal(a, b, err_msg=f"{where} changed by the derivative")


# ----- autograd, with every module of the program re-bound to autograd.numpy -----


@contextlib.contextmanager
def autograd_numpy(*modules):
    import autograd.numpy as anp

    saved = [m.np for m in modules]
    try:
        for m in modules:
            m.np = anp
        yield
    finally:
        for m, value in zip(modules, saved):
            m.np = value


def autograd_structure_gradient(fn, args, position):
    """autograd's gradient; an object argument is differentiated as the dict
    of its float attributes (autograd cannot take an object)."""
    import autograd

    root = args[position]
    if _is_object(root):
        names = [k for k, _ in _children(root)]

        def of_attributes(attributes, *rest):
            obj = copy.copy(root)
            for name in names:
                setattr(obj, name, attributes[name])
            moved = list(rest)
            moved.insert(position, obj)
            return fn(*moved)

        others = args[:position] + args[position + 1:]
        with autograd_numpy(catalogue_programs, programs_helpers):
            return autograd.grad(of_attributes)({k: getattr(root, k) for k in names}, *others)
    with autograd_numpy(catalogue_programs, programs_helpers):
        return autograd.grad(fn, position)(*args)


# ----- the checker -----


def wrt_positions(fn, wrt):
    wrt = (wrt,) if isinstance(wrt, (int, str)) else tuple(wrt)
    params = list(inspect.signature(fn).parameters)
    return wrt, [w if isinstance(w, int) else params.index(w) for w in wrt]


def check_program(case, rng, optimize=True):
    args = case.make(rng)
    pristine = copy.deepcopy(args)
    wrt, positions = wrt_positions(case.fn, case.wrt)
    got = ta.grad(case.fn, wrt=case.wrt, optimize=optimize)(*args)
    if len(wrt) == 1:
        got = (got,)
    assert isinstance(got, tuple) and len(got) == len(wrt), case.id
    assert_same_values(args, pristine, f"{case.id} arguments")
    for value, position, name in zip(got, positions, wrt):
        reference = numerical_structure_gradient(case.fn, args, position)
        assert_structure_close(value, reference, case.rtol, case.atol, f"{case.id} wrt {name} vs FD")
        if case.autograd:
            expected = autograd_structure_gradient(case.fn, args, position)
            assert_structure_close(value, expected, 1e-7, 1e-9, f"{case.id} wrt {name} vs autograd")


_OPEN_SLICE = (
    "BUG: the adjoint of x[a:] is taken as x[:a] (reverse.py _index_expr prints slice(a, None) as slice(a))"
)
_REBOUND_PARAMETER = (
    "BUG: a callee that assigns to its parameter writes it under the original name while reads use "
    "the fresh binding (x_1) once that name is taken: wrong values, or a while loop that never ends"
)
_TRIPS = (
    "BUG: the inliner renames a helper's loop trip counter (_trips0 -> _trips1) but not the loop's "
    "'trips' annotation: its reverse loop runs the caller's or the first copy's trip count"
)
_DICT_DISPLAY = "BUG: a dict display of differentiated values is refused ('dicts are not supported yet')"
METHOD_DEPENDENCY = "BUG: Dependency.valid() on a method: vars(cls) is a mappingproxy, raw AttributeError"
_XFAIL = {}  # id -> reason, for bugs found and not yet fixed (none open)


def _params(cases):
    params = []
    for c in cases:
        marks = [pytest.mark.xfail(strict=True, reason=_XFAIL[c.id])] if c.id in _XFAIL else []
        params.append(pytest.param(c, id=c.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _params(CASES))
def test_program_gradient(case, rng):
    check_program(case, rng)


@pytest.mark.parametrize("case", _params(CASES))
def test_program_gradient_unoptimized(case, rng):
    check_program(case, rng, optimize=False)


def test_catalogue_size():
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)


def test_container_checker_catches_wrong_structure():
    """The checker itself: a list where a tuple belongs is an error."""
    with pytest.raises(AssertionError, match="list gradient, expected tuple"):
        assert_structure_close([np.ones(2)], (np.ones(2),), 1e-7, 1e-9, "self-test")
    with pytest.raises(AssertionError, match="keys"):
        assert_structure_close({"a": 1.0}, {"b": 1.0}, 1e-7, 1e-9, "self-test")


def test_object_gradient_is_a_plain_dict_by_attribute(rng):
    def loss(model, x, y):  # a fresh function: its derivative is not cached yet
        return model.loss(x, y)

    model, x, y = catalogue_programs.two_layer_model(rng)
    g = ta.grad(loss)(model, x, y)
    assert type(g) is dict
    assert sorted(g) == ["W1", "W2", "scale"]
    assert np.ndim(g["scale"]) == 0


def test_method_derivative_called_twice(rng):
    def loss(model, x, y):  # a fresh function, so no other test shares its derivative
        return model.loss(x, y)

    model, x, y = catalogue_programs.linear_model(rng)
    df = ta.grad(loss)
    first = df(model, x, y)
    second = df(model, x, y)
    assert ta.grad(loss) is df
    np.testing.assert_array_equal(first["W"], second["W"])


def test_dict_items_loop_is_refused_cleanly_if_at_all(rng):
    """Whatever `for k, v in d.items()` does, it is never a raw Python error."""
    fn = catalogue_programs.dict_items_loop
    p = {"a": rng.normal(size=2), "b": rng.normal(size=3)}
    try:
        g = ta.grad(fn)(p)
    except ta.TangentADError as err:
        line = _line_of(fn, "p.items()")
        assert ".items" in str(err)
        assert f"catalogue_programs.py:{line}" in str(err)
    else:
        assert type(g) is dict
        np.testing.assert_allclose(g["a"], 2.0 * p["a"])
        np.testing.assert_allclose(g["b"], 2.0 * p["b"])


# ----- refusals: construct, the user's file and line, what to do -----


def _line_of(fn, text):
    """The file line of the first line of `fn` containing `text`."""
    lines, start = inspect.getsourcelines(fn)
    for offset, line in enumerate(lines):
        if text in line:
            return start + offset
    raise LookupError(text)


def assert_refused(fn, construct, where_fn, where_text, *call_args):
    """`ta.grad(fn)` (or its first call) raises TangentADError naming the
    construct and the file and line of `where_text` in `where_fn`."""
    with pytest.raises(ta.TangentADError) as info:
        df = ta.grad(fn)
        df(*call_args)
    message = str(info.value)
    line = _line_of(where_fn, where_text)
    filename = inspect.getsourcefile(where_fn).rsplit("/", 1)[-1]
    assert construct in message, message
    assert f"{filename}:{line}" in message, message
    return info.value


def halve_until(x, n):
    if n <= 0:
        return x
    return halve_until(0.5 * x, n - 1)


def recursion_on_argument(x, n):
    return np.sum(halve_until(x, n))


def shrink(x):
    if np.sum(x * x) < 1.0:
        return x
    return shrink(0.5 * x)


def recursion_on_data(x):
    return np.sum(shrink(x))


def test_refuses_recursion_decided_by_an_argument():
    assert_refused(recursion_on_argument, "recursive call to halve_until", halve_until, "return halve_until(")


def test_refuses_recursion_decided_by_data():
    err = assert_refused(recursion_on_data, "recursive call to shrink", shrink, "return shrink(")
    assert "hint:" in str(err) and "loop" in str(err)


def never_stops(x, n):
    return never_stops(np.sin(x), n + 1)


def unbounded_recursion(x):
    return np.sum(never_stops(x, 0))


def test_refuses_unbounded_recursion_with_constant_arguments():
    err = assert_refused(unbounded_recursion, "recursion deeper than", never_stops, "return never_stops(")
    assert "never_stops" in str(err)


def deep(x, depth):
    if depth == 0:
        return x
    return deep(np.sin(x), depth - 1)


def too_deep(x):
    return np.sum(deep(x, 100))


def test_refuses_constant_recursion_beyond_the_limit():
    assert_refused(too_deep, "recursion deeper than", deep, "return deep(")


def calls_math_gamma(x):
    return math.gamma(x) * 2.0


def test_refuses_c_function_without_rule():
    err = assert_refused(calls_math_gamma, "gamma", calls_math_gamma, "math.gamma(", 1.5)
    assert "ta.adjoint" in str(err)


def calls_callable_object(x):
    return np.sum(programs_helpers.SCALER(x))


def test_a_callable_object_is_called_through_its_class():
    """An object of a class defining __call__ in Python (it was refused):
    its __call__ is inlined with the object as self."""
    x = np.array([0.5, -1.0, 2.0])
    got = ta.grad(calls_callable_object)(x)
    np.testing.assert_allclose(got, numerical_gradient(calls_callable_object, [x], {}, 0), rtol=1e-7)


def calls_global_writer(x):
    return np.sum(programs_helpers.bump_counter(x))


def test_refuses_global_statement_in_a_helper_of_another_module():
    assert_refused(calls_global_writer, "global statement", programs_helpers.bump_counter, "global COUNTER")
    assert programs_helpers.COUNTER == 0


def calls_an_aliasing_helper(x):
    return np.sum(programs_helpers.writes_through_an_alias(x))


def test_a_refusal_in_a_helper_names_its_function_and_variable():
    # not the caller's function, nor the temporary inlining bound `y` to
    err = assert_refused(calls_an_aliasing_helper, "index assignment into `y`",
                         programs_helpers.writes_through_an_alias, "y[0] = 1.0")
    assert "(in writes_through_an_alias)" in str(err)
    assert "`y` is bound at line" in str(err)


class Stateful:
    def __init__(self, W):
        self.W = W
        self.last = None

    def forward(self, x):
        out = np.tanh(x @ self.W)
        self.last = out
        return out


def method_writes_attribute(model, x):
    return np.sum(model.forward(x))


def test_refuses_attribute_assignment_in_a_method(rng):
    model = Stateful(rng.normal(size=(3, 2)))
    x = rng.normal(size=(4, 3))
    assert_refused(method_writes_attribute, "attribute", Stateful.forward, "self.last = out", model, x)
    assert model.last is None


def nonlocal_accumulator(x):
    total = 0.0

    def add(v):
        nonlocal total
        total = total + np.sum(v)
        return v

    add(x * x)
    return total


def test_refuses_nonlocal_write():
    assert_refused(nonlocal_accumulator, "nonlocal", nonlocal_accumulator, "nonlocal total")


def nested_function_as_value(x):
    def act(z):
        return np.tanh(z)

    activations = [act, np.sin]
    return np.sum(activations[0](x))


def nested_function_passed_as_argument(x):
    def act(z):
        return np.tanh(z)

    return np.sum(catalogue_programs.softplus(x) + apply_twice(act, x))


def apply_twice(fn, x):
    return fn(fn(x))


def test_refuses_nested_function_used_as_value():
    assert_refused(
        nested_function_as_value, "nested function 'act' used as a value",
        nested_function_as_value, "activations = [act",
    )


def test_refuses_nested_function_passed_as_argument():
    assert_refused(
        nested_function_passed_as_argument, "nested function 'act' used as a value",
        nested_function_passed_as_argument, "apply_twice(act, x)",
    )
