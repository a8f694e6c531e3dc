"""The second identical request is a dictionary look-up; changes regenerate."""

import types

import numpy as np
import pytest

import programs_helpers
import tangent_ad as ta
from tangent_ad import cache
from tangent_ad.errors import StaleSourceError


def square_sum(x):
    return np.sum(x * x)


def test_generation_runs_once():
    cache.clear()
    before = cache.stats["generated"]
    first = ta.grad(square_sum)
    second = ta.grad(square_sum)
    assert first is second
    assert cache.stats["generated"] == before + 1
    # the first call specialises for the arguments' kinds and shape pattern...
    first(np.ones(3))
    specialised = cache.stats["generated"]
    assert specialised <= before + 2
    # ...after which the same request, and calls of the same kind, only look up
    third = ta.grad(square_sum)
    assert third is first
    for _ in range(3):
        second(np.full(3, 2.0))
        third(np.ones(3))
    assert cache.stats["generated"] == specialised


def test_options_are_part_of_the_key():
    cache.clear()
    a = ta.grad(square_sum)
    b = ta.grad(square_sum, optimize=False)
    c = ta.value_and_grad(square_sum)
    assert a is not b and a is not c
    assert ta.grad(square_sum, optimize=False) is b


def test_redefined_function_regenerates():
    namespace = {}
    source = "import numpy as np\ndef f(x):\n    return np.sum(x * {})\n"
    import linecache
    import types

    for factor in (2.0, 3.0):
        text = source.format(factor)
        filename = f"<cache-test-{factor}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        exec(compile(text, filename, "exec"), namespace)
        g = ta.grad(namespace["f"])(np.ones(2))
        np.testing.assert_allclose(g, [factor, factor])
    assert isinstance(namespace["f"], types.FunctionType)


def test_closures_over_different_values_do_not_share_a_derivative():
    def make(w):
        def f(x):
            return np.sum(w * x)

        return f

    g2 = ta.grad(make(np.full(3, 2.0)))(np.ones(3))
    g5 = ta.grad(make(np.full(3, 5.0)))(np.ones(3))
    np.testing.assert_allclose(g2, 2.0)
    np.testing.assert_allclose(g5, 5.0)


SCALE = 2.0


def uses_global(x):
    return SCALE * np.sum(x)


def test_globals_are_read_live():
    global SCALE
    df = ta.grad(uses_global)
    np.testing.assert_allclose(df(np.ones(2)), 2.0)
    SCALE = 7.0
    try:
        np.testing.assert_allclose(df(np.ones(2)), 7.0)
    finally:
        SCALE = 2.0


def test_new_rule_invalidates_cached_derivatives():
    def f(x):
        return np.sum(np.cbrt(x))

    before = ta.grad(f)
    ta.adjoint(np.cbrt)(_cbrt_rule)
    after = ta.grad(f)
    assert before is not after
    np.testing.assert_allclose(after(np.array([8.0])), 1.0 / 12.0)


def _cbrt_rule(y, x):
    d[x] = d[y] / (3.0 * y * y)  # noqa: F821 - template placeholder


EDITED = '''
import numpy as np
import pytest


def helper(x):
    return x * {factor}


class Model:
    def __init__(self, w):
        self.__w = w

    def loss(self, x):
        return np.sum(helper(x) * self.__w) + super().__hash__() * 0.0


def loss(x):
    return np.sum(helper(x) ** 2)
'''


def test_a_file_edited_since_import_is_refused_until_reloaded(tmp_path, monkeypatch):
    import importlib
    import sys

    path = tmp_path / "edited_module.py"
    path.write_text(EDITED.format(factor="2.0"))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("edited_module")
    try:
        x = np.ones(3)
        df = ta.grad(module.loss)
        np.testing.assert_allclose(df(x), 8.0 * x)
        model = module.Model(1.0)
        # (a method with a mangled name and super(): no false refusal)
        np.testing.assert_allclose(ta.grad(module.Model.loss, wrt=1)(model, x), 2.0)
        path.write_text(EDITED.format(factor="3.0"))  # edited, not reloaded
        with pytest.raises(StaleSourceError, match=r"edited_module.py:\d+ .*source that differs"):
            df(np.ones((2, 2)))  # a new specialisation reads the file again
        np.testing.assert_allclose(df(x), 8.0 * x)  # the one made before still holds
        module = importlib.reload(module)
        np.testing.assert_allclose(ta.grad(module.loss)(np.ones(4)), 18.0 * np.ones(4))
        path.write_text(EDITED.format(factor="3.0").replace("** 2)", "** 2"))  # saved mid-edit
        with pytest.raises(StaleSourceError, match="no longer parses"):
            ta.grad(module.loss)(np.ones((2, 2)))
    finally:
        sys.modules.pop("edited_module", None)


# ----- what a derivative depends on, beyond the functions it inlined -----


def _square(x):
    return x * x


act = _square


def passes_act_on(x):
    return np.sum(programs_helpers.apply(act, x))


def test_a_function_passed_to_another_modules_helper_is_followed(monkeypatch):
    x = np.array([0.3, -0.7, 1.1])
    df = ta.grad(passes_act_on)
    np.testing.assert_allclose(df(x), 2 * x)
    monkeypatch.setitem(globals(), "act", np.sin)
    np.testing.assert_allclose(df(x), np.cos(x))


def scaled(x, *, k=2.0):
    return x * k


def calls_scaled(x):
    return np.sum(scaled(x))


def test_keyword_defaults_changed_in_place_regenerate(monkeypatch):
    x = np.array([0.3, -0.7, 1.1])
    df = ta.grad(calls_scaled)
    np.testing.assert_allclose(df(x), np.full(3, 2.0))
    monkeypatch.setitem(scaled.__kwdefaults__, "k", 5.0)
    np.testing.assert_allclose(df(x), np.full(3, 5.0))


class _Base:
    def g(self, z):
        return z * z


class _Sub(_Base):
    pass


class _Ops:
    @staticmethod
    def act(z):
        return z * z


def calls_a_method(model, x):
    return np.sum(model.g(x))


def through_a_class_attribute(x):
    return np.sum(_Ops.act(x))


def test_a_method_defined_later_on_the_objects_own_class_regenerates(monkeypatch):
    x = np.array([0.3, -0.7, 1.1])
    df = ta.grad(calls_a_method, wrt=1)
    np.testing.assert_allclose(df(_Sub(), x), 2 * x)
    monkeypatch.setattr(_Sub, "g", lambda self, z: np.sin(z), raising=False)
    np.testing.assert_allclose(df(_Sub(), x), np.cos(x))


def test_a_class_attribute_rebound_regenerates(monkeypatch):
    x = np.array([0.3, -0.7, 1.1])
    df = ta.grad(through_a_class_attribute)
    np.testing.assert_allclose(df(x), 2 * x)
    monkeypatch.setattr(_Ops, "act", staticmethod(np.sin))
    np.testing.assert_allclose(df(x), np.cos(x))


def test_a_derivative_follows_every_variant_and_its_own_code():
    x = np.array([0.3, -0.7, 1.1])

    def loss(x):
        return np.sum(x * x)

    def edited(x):
        return np.sum(np.sin(x))

    df = ta.grad(loss)
    np.testing.assert_allclose(df(x), 2 * x)
    loss.__code__ = edited.__code__  # what IPython's autoreload does
    np.testing.assert_allclose(df(x), np.cos(x))
    assert df(0.3) == pytest.approx(np.cos(0.3))


def _lazy_attribute(name):
    if name == "square":
        return _square
    raise AttributeError(name)


lazy = types.ModuleType("lazy")  # a module whose functions come from __getattr__ (PEP 562)
lazy.__getattr__ = _lazy_attribute


def through_a_lazy_module(x):
    return np.sum(lazy.square(x))


def test_a_function_from_a_modules_getattr_is_inlined():
    # (the dependency read vars(module)["square"]: KeyError)
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(ta.grad(through_a_lazy_module)(x), 2 * x)


def test_the_cache_keeps_the_entries_used_last(monkeypatch):
    # a closure made per step (a per-batch loss) must not keep every one alive
    monkeypatch.setattr(cache, "LIMIT", 6)
    x = np.array([0.3, -0.7, 1.1])

    def make(batch):
        def loss(w):
            return np.sum(np.sin(w * batch))

        return loss

    kept = ta.grad(make(np.full(3, 2.0)))
    for step in range(20):
        batch = np.full(3, float(step))
        np.testing.assert_allclose(ta.grad(make(batch))(x), np.cos(x * batch) * batch)
        assert len(cache._ENTRIES) <= 6
    np.testing.assert_allclose(kept(x), np.cos(2 * x) * 2)  # (held by the caller: still works)


def test_a_file_indented_with_tabs_is_not_taken_for_an_edited_one(tmp_path, monkeypatch):
    import importlib
    import sys

    text = "import numpy as np\n\n\nclass M:\n\tdef loss(self, x):\n\t\treturn np.sum(x * x)\n"
    (tmp_path / "tabbed_module.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module("tabbed_module")
        x = np.array([0.1, 0.2])
        np.testing.assert_allclose(ta.grad(module.M.loss, wrt=1)(module.M(), x), 2 * x)
    finally:
        sys.modules.pop("tabbed_module", None)
