"""The derivative cache is keyed on the whole call tree.

Redefining a callee -- new source exec'd into its module, `importlib.reload`
of the module it lives in, a new `__code__`, a rebound closure cell or
partial -- makes the next `ta.grad` and every existing derivative object
regenerate: a stale derivative is never run. What Python itself still calls
(a name imported with ``from m import f`` before the reload, a partial
holding the old function) stays what the derivative differentiates.

Also: the printed derivative of a program with two helpers is readable code
whose comments name each helper's file and line.
"""

import ast
import functools
import importlib
import inspect
import linecache
import sys
import textwrap
import types

import numpy as np
import pytest

import programs_helpers
import tangent_ad as ta
from tangent_ad import cache
from tangent_ad.checking import numerical_gradient

# ----- modules made from source text -----


def exec_source(module, text, version):
    """Run `text` in `module`'s namespace under a file name linecache knows,
    as if the module's file had been edited and re-run."""
    text = textwrap.dedent(text)
    filename = f"<{module.__name__} v{version}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), vars(module))


@pytest.fixture
def make_module(monkeypatch):
    """A fresh module registered in sys.modules (removed afterwards)."""

    def make(name, text):
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
        exec_source(module, text, 1)
        return module

    return make


def assert_matches_function(df, fn, x):
    """The derivative's gradient equals finite differences of what `fn` computes now."""
    np.testing.assert_allclose(df(x), numerical_gradient(fn, [x], {}, 0), rtol=1e-6, atol=1e-8)


# `outer`'s docstring names its module: functions with identical source in two
# modules have equal code objects (see test_same_source_in_two_modules_...).
PROGRAM = """
import numpy as np

def inner(x):
    return np.sin(x) * {factor}

def middle(x):
    return inner(x) + x * x

def outer(x):
    "the program of {name}"
    return np.sum(middle(x))
"""

INNER = """
import numpy as np

def inner(x):
    return np.cos(x) * {factor}
"""


def test_unchanged_call_tree_is_a_lookup(make_module, rng):
    module = make_module("program_cache_lookup", PROGRAM.format(factor=2.0, name="lookup"))
    x = rng.normal(size=4)
    df = ta.grad(module.outer)
    df(x)
    before = cache.stats["generated"]
    assert ta.grad(module.outer) is df
    assert df.is_current()
    assert_matches_function(df, module.outer, x)
    assert cache.stats["generated"] == before


def test_exec_new_callee_source_regenerates(make_module, rng):
    module = make_module("program_cache_exec", PROGRAM.format(factor=2.0, name="exec"))
    x = rng.normal(size=4)
    df = ta.grad(module.outer)
    np.testing.assert_allclose(df(x), 2.0 * np.cos(x) + 2.0 * x)
    before = cache.stats["generated"]

    exec_source(module, INNER.format(factor=3.0), 2)  # only the innermost helper changes
    assert not df.is_current()
    fresh = ta.grad(module.outer)
    assert fresh is not df
    np.testing.assert_allclose(fresh(x), -3.0 * np.sin(x) + 2.0 * x)
    np.testing.assert_allclose(df(x), -3.0 * np.sin(x) + 2.0 * x)  # the old object, regenerated
    assert_matches_function(df, module.outer, x)
    assert cache.stats["generated"] > before


def test_redefining_twice_never_serves_an_older_version(make_module, rng):
    module = make_module("program_cache_twice", PROGRAM.format(factor=1.0, name="twice"))
    x = rng.normal(size=3)
    df = ta.grad(module.outer)
    for version, factor in enumerate((4.0, 1.0, -2.0), start=2):
        text = PROGRAM.format(factor=factor, name="twice").replace("def outer", "def _unused")
        exec_source(module, text, version)
        np.testing.assert_allclose(df(x), factor * np.cos(x) + 2.0 * x)
        np.testing.assert_allclose(ta.grad(module.outer)(x), factor * np.cos(x) + 2.0 * x)


def test_same_source_in_two_modules_does_not_share_a_derivative(make_module, rng):
    same = PROGRAM.format(factor=2.0, name="either")
    first = make_module("program_cache_same_a", same)
    second = make_module("program_cache_same_b", same.replace("np.sin(x) * 2.0", "np.cos(x)"))
    x = rng.normal(size=3)
    np.testing.assert_allclose(ta.grad(first.outer)(x), 2.0 * np.cos(x) + 2.0 * x)
    np.testing.assert_allclose(ta.grad(second.outer)(x), -np.sin(x) + 2.0 * x)


def test_new_code_object_on_the_same_function_regenerates(make_module, rng):
    module = make_module("program_cache_code", PROGRAM.format(factor=2.0, name="code"))
    x = rng.normal(size=3)
    df = ta.grad(module.outer)
    df(x)
    replacement = types.ModuleType("program_cache_code_new")
    exec_source(replacement, INNER.format(factor=5.0), 1)
    module.inner.__code__ = replacement.inner.__code__
    np.testing.assert_allclose(df(x), -5.0 * np.sin(x) + 2.0 * x)


def test_rebound_closure_cell_regenerates(rng):
    def make():
        def act(z):
            return np.tanh(z)

        def loss(x):
            return np.sum(act(x) * x)

        return loss

    loss = make()
    x = rng.normal(size=4)
    df = ta.grad(loss)
    assert_matches_function(df, loss, x)
    cell = loss.__closure__[loss.__code__.co_freevars.index("act")]
    cell.cell_contents = programs_helpers.shifted_tanh
    np.testing.assert_allclose(df(x[:3]), numerical_gradient(loss, [x[:3]], {}, 0), rtol=1e-6, atol=1e-8)


def test_rebound_partial_regenerates_old_partial_keeps_old_function(make_module, rng):
    module = make_module(
        "program_cache_partial",
        """
        import functools
        import numpy as np

        def scaled(x, scale):
            return scale * np.sin(x)

        layer = functools.partial(scaled, scale=2.0)

        def outer(x):
            return np.sum(layer(x))
        """,
    )
    x = rng.normal(size=3)
    df = ta.grad(module.outer)
    np.testing.assert_allclose(df(x), 2.0 * np.cos(x))

    # redefining the wrapped function does not change the partial: still 2 cos x
    exec_source(module, "import numpy as np\ndef scaled(x, scale):\n    return scale * x\n", 2)
    np.testing.assert_allclose(module.outer(x), np.sum(2.0 * np.sin(x)))
    np.testing.assert_allclose(df(x), 2.0 * np.cos(x))

    # rebinding the partial does
    module.layer = functools.partial(module.scaled, scale=3.0)
    np.testing.assert_allclose(df(x), np.full(3, 3.0))
    np.testing.assert_allclose(ta.grad(module.outer)(x), np.full(3, 3.0))


def test_redefined_method_regenerates(make_module, rng):
    module = make_module(
        "program_cache_method",
        """
        import numpy as np

        class Model:
            def __init__(self, W):
                self.W = W

            def predict(self, x):
                return np.tanh(x @ self.W)

            def loss(self, x):
                return np.sum(self.predict(x) ** 2)

        def outer(model, x):
            return model.loss(x)
        """,
    )
    model = module.Model(rng.normal(size=(3, 2)))
    x = rng.normal(size=(4, 3))
    df = ta.grad(module.outer, wrt=1)
    assert_matches_function(lambda v: df(model, v), lambda v: module.outer(model, v), x)
    exec_source(module, "import numpy as np\ndef predict(self, x):\n    return np.sin(x @ self.W)\n", 2)
    module.Model.predict = module.predict
    assert_matches_function(lambda v: df(model, v), lambda v: module.outer(model, v), x)


# ----- importlib.reload of a real module file -----


HELPER_FILE = """
import numpy as np

GAIN = {gain}

def inner(x):
    return GAIN * np.{fn}(x)
"""

MAIN_FILE = """
import numpy as np

import program_cache_helper
from program_cache_helper import inner as imported_inner


def through_module(x):
    return np.sum(program_cache_helper.inner(x) * x)


def through_import(x):
    return np.sum(imported_inner(x) * x)
"""


@pytest.fixture
def module_files(tmp_path, monkeypatch):
    """program_cache_helper / program_cache_main as files under tmp_path."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    for name in ("program_cache_helper", "program_cache_main"):
        monkeypatch.delitem(sys.modules, name, raising=False)

    def write_helper(gain, fn):
        (tmp_path / "program_cache_helper.py").write_text(HELPER_FILE.format(gain=gain, fn=fn))
        importlib.invalidate_caches()

    write_helper(2.0, "sin")
    (tmp_path / "program_cache_main.py").write_text(MAIN_FILE)
    yield write_helper
    for name in ("program_cache_helper", "program_cache_main"):
        sys.modules.pop(name, None)


def test_reload_of_the_callee_module_regenerates(module_files, rng):
    main = importlib.import_module("program_cache_main")
    helper = sys.modules["program_cache_helper"]
    x = rng.normal(size=4)
    df = ta.grad(main.through_module)
    np.testing.assert_allclose(df(x), 2.0 * np.cos(x) * x + 2.0 * np.sin(x))

    module_files(5.0, "tanh")
    importlib.reload(helper)
    assert helper.GAIN == 5.0
    expected = 5.0 * (1.0 - np.tanh(x) ** 2) * x + 5.0 * np.tanh(x)
    np.testing.assert_allclose(df(x), expected)
    np.testing.assert_allclose(ta.grad(main.through_module)(x), expected)
    assert_matches_function(df, main.through_module, x)


def test_reload_leaves_a_from_import_alone(module_files, rng):
    """`from m import f` still calls the old f after reload(m): so does the derivative."""
    main = importlib.import_module("program_cache_main")
    helper = sys.modules["program_cache_helper"]
    x = rng.normal(size=4)
    df = ta.grad(main.through_import)
    assert_matches_function(df, main.through_import, x)

    module_files(5.0, "tanh")
    importlib.reload(helper)
    # the old function still reads the (reloaded) module's GAIN, live
    np.testing.assert_allclose(main.through_import(x), np.sum(5.0 * np.sin(x) * x))
    assert_matches_function(df, main.through_import, x)
    assert_matches_function(ta.grad(main.through_import), main.through_import, x)


def other_module_loss(pred, target):
    return programs_helpers.squared_error(pred, target)


def test_other_module_constant_is_read_live(monkeypatch, rng):
    """Data (not functions) in the callee's module is read when the derivative
    runs: changing it needs no regeneration and is never stale."""
    pred, target = rng.normal(size=3), rng.normal(size=3)
    df = ta.grad(other_module_loss)
    np.testing.assert_allclose(df(pred, target), 0.75 * 2.0 * (pred - target) / 3.0)
    before = cache.stats["generated"]
    monkeypatch.setattr(programs_helpers, "WEIGHT", 2.0)
    np.testing.assert_allclose(df(pred, target), 2.0 * 2.0 * (pred - target) / 3.0)
    assert cache.stats["generated"] == before


# ----- the printed derivative of a program with two helpers -----


def layer(x, W, b):
    z = x @ W + b
    return np.tanh(z)


def two_helper_loss(W, b, x, y):
    h = layer(x, W, b)
    return programs_helpers.squared_error(h, y)


def _line(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


def test_printed_program_names_helpers_file_and_line(rng):
    df = ta.grad(two_helper_loss, wrt=(0, 1))
    text = ta.source(df)
    ast.parse(text)
    compile(text, "<generated>", "exec")
    expected_comments = [
        f"# test_program_cache.py:{_line(layer, 'z = x @ W + b')}  z = x @ W + b",
        f"# test_program_cache.py:{_line(layer, 'return np.tanh(z)')}  return np.tanh(z)",
        f"# programs_helpers.py:{_line(programs_helpers.squared_error, 'diff = pred')}  diff = pred - target",
        f"# programs_helpers.py:{_line(programs_helpers.squared_error, 'return WEIGHT')}  "
        "return WEIGHT * np.mean(diff * diff)",
    ]
    for comment in expected_comments:
        assert comment in text, f"{comment!r} not in\n{text}"
    assert "programs_helpers.WEIGHT" in text  # the other module's constant, read live
    assert "# reverse sweep" in text
    for line in text.splitlines():
        assert len(line) <= 120, line
        assert ";" not in line.split("#")[0], line  # one statement per line
    assert ta.source(ta.grad(two_helper_loss, wrt=(0, 1))) == text  # deterministic

    W, b, x, y = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    dW, db = df(W, b, x, y)
    for got, position in ((dW, 0), (db, 1)):
        reference = numerical_gradient(two_helper_loss, [W, b, x, y], {}, position)
        np.testing.assert_allclose(got, reference, rtol=1e-6, atol=1e-8)


def test_rebound_function_with_a_rule_regenerates(make_module, rng):
    # `act` names a NumPy function: the call is not inlined, its rule is
    # chosen for the function the name held; rebound, that rule is stale
    module = make_module(
        "program_cache_rule_alias",
        """
        import numpy as np

        act = np.tanh

        def outer(x):
            return np.sum(act(x))
        """,
    )
    x = rng.normal(size=3)
    df = ta.grad(module.outer)
    np.testing.assert_allclose(df(x), 1.0 - np.tanh(x) ** 2)
    module.act = np.exp
    np.testing.assert_allclose(df(x), np.exp(x))
    np.testing.assert_allclose(ta.grad(module.outer)(x), np.exp(x))


def test_rebound_closure_cell_holding_a_numpy_function_regenerates(rng):
    def make():
        act = np.sin

        def loss(x):
            return np.sum(act(x))

        def switch():
            nonlocal act
            act = np.exp

        return loss, switch

    loss, switch = make()
    x = rng.normal(size=3)
    df = ta.grad(loss)
    np.testing.assert_allclose(df(x), np.cos(x))
    switch()
    np.testing.assert_allclose(df(x), np.exp(x))


def test_partial_with_new_arguments_regenerates(make_module, rng):
    module = make_module(
        "program_cache_partial_arguments",
        """
        import functools
        import numpy as np

        def power(x, p):
            return x ** p

        POW = functools.partial(power, p=3.0)

        def outer(x):
            return np.sum(POW(x))
        """,
    )
    x = rng.uniform(0.5, 1.5, size=3)
    df = ta.grad(module.outer)
    np.testing.assert_allclose(df(x), 3.0 * x ** 2)
    module.POW = functools.partial(module.power, p=2.0)  # the same function, new arguments
    np.testing.assert_allclose(df(x), 2.0 * x)
    np.testing.assert_allclose(ta.grad(module.outer)(x), 2.0 * x)


def test_new_defaults_regenerate(make_module, rng):
    module = make_module(
        "program_cache_defaults",
        """
        import numpy as np

        def scaled(x, scale=2.0):
            return scale * np.sin(x)

        def outer(x):
            return np.sum(scaled(x))
        """,
    )
    x = rng.normal(size=3)
    df = ta.grad(module.outer)
    np.testing.assert_allclose(df(x), 2.0 * np.cos(x))
    module.scaled.__defaults__ = (5.0,)
    np.testing.assert_allclose(df(x), 5.0 * np.cos(x))


def test_a_global_of_an_unregistered_module_beside_a_local_of_its_name(tmp_path):
    # a module loaded from a file without sys.modules: its globals are
    # injected by name, and the caller's own K took the helper's K's place
    import importlib.util

    path = tmp_path / "unregistered_globals.py"
    path.write_text(textwrap.dedent(
        """
        K = 0.7

        def hk(a):
            return a * K

        def f(s):
            K = s * 2.0
            return hk(s) + K

        def g(s):
            t = hk(s)
            K = s * 2.0
            return t + K
        """
    ))
    spec = importlib.util.spec_from_file_location("unregistered_globals", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for fn in (module.f, module.g):
        assert ta.grad(fn)(0.37) == pytest.approx(2.7)
        assert ta.grad(fn, optimize=False)(0.37) == pytest.approx(2.7)
        assert ta.jvp(fn)(0.37, 1.0)[1] == pytest.approx(2.7)


def test_a_module_read_by_a_callee_beside_a_local_of_its_name(make_module):
    # the callee reads `scaling_module.K`; the caller has a local named like
    # the module: it was refused with a misleading message
    module = make_module("scaling_module", "K = 0.7\n\ndef hk(a):\n    return a * K\n")
    hk = module.hk

    def loss(s):
        scaling_module = s * 2.0
        return hk(s) + scaling_module

    for optimize in (True, False):
        assert ta.grad(loss, optimize=optimize)(0.37) == pytest.approx(2.7)
