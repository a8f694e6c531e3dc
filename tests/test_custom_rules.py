"""The examples of docs/custom-rules.md: a user's rule for a NumPy function
(logsumexp) and for a kernel without Python source (an np.vectorize object)."""

import functools
import importlib.util
import math
import re

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.runtime import unreduce

# ----- docs/custom-rules.md: a rule is a template -----


def logsumexp(a, axis=None, keepdims=False):
    """log(sum(exp(a))) along `axis`, computed stably (like scipy.special.logsumexp)."""
    m = np.max(a, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return s
    return np.squeeze(s, axis=axis)


@ta.adjoint(logsumexp)
def logsumexp_adjoint(y, a, axis=None, keepdims=False):
    # d logsumexp(a) / d a = softmax(a) = exp(a - logsumexp(a))
    softmax = np.exp(a - unreduce(y, a, axis, keepdims))
    d[a] = unreduce(d[y], a, axis, keepdims) * softmax  # noqa: F821


def loss(scores, labels):
    return np.sum(logsumexp(scores, axis=1)) - np.sum(scores * labels)


# ----- docs/custom-rules.md: a compiled kernel -----


def _bump(t):
    return math.exp(-1.0 / (1.0 - t * t)) if abs(t) < 1.0 else 0.0


bump = np.vectorize(_bump, otypes=[float])


def bump_slope(t):
    """bump'(t) / bump(t) = -2t / (1 - t^2)^2 inside (-1, 1), 0 outside."""
    inside = np.abs(t) < 1.0
    safe = np.where(inside, t, 0.0)
    return np.where(inside, -2.0 * safe / (1.0 - safe * safe) ** 2, 0.0)


@ta.adjoint(bump)
def bump_adjoint(y, t):
    d[t] = d[y] * y * bump_slope(t)  # noqa: F821


def smooth_loss(x):
    return np.sum(bump(x * 0.5) * x)


def test_rule_for_a_numpy_function(rng):
    scores = rng.normal(size=(4, 3))
    labels = np.eye(3)[[0, 2, 1, 0]]
    ta.check_grad(loss, scores, labels)
    softmax = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    np.testing.assert_allclose(ta.grad(loss)(scores, labels), softmax - labels, rtol=1e-12)


def test_the_rule_replaces_the_function_body():
    text = ta.source(ta.grad(loss))
    assert "logsumexp(scores, axis=1)" in text  # called as it is, not inlined
    assert "np.max" not in text
    assert "np.exp(scores - unreduce(_t0, scores, 1))" in " ".join(text.split())


def test_rule_for_a_kernel_without_source():
    ta.check_grad(smooth_loss, np.linspace(-1.5, 1.5, 7))


other_bump = np.vectorize(_bump, otypes=[float])


def kernel_without_rule(x):
    return np.sum(other_bump(x))


def test_a_kernel_without_rule_is_refused():
    from tangent_ad.errors import MissingRuleError

    with pytest.raises(MissingRuleError, match="without a derivative rule"):
        ta.grad(kernel_without_rule)(np.zeros(3))


def test_template_with_a_misspelt_name_is_refused_at_registration():
    from tangent_ad.template import TemplateError

    def misspelt(y, x):
        d[x] = d[y] * sloep(x)  # noqa: F821

    with pytest.raises(TemplateError, match="sloep"):
        ta.adjoint(np.vectorize(_bump))(misspelt)


def test_template_with_a_block_is_refused_at_registration():
    # its d[x] = ... inside the block was never read: a zero adjoint, silently
    from tangent_ad.template import TemplateError

    def in_a_block(y, x):
        if True:
            d[x] = d[y] * 2.0  # noqa: F821

    with pytest.raises(TemplateError, match=r"rule template with a block \(if\)"):
        ta.adjoint(np.vectorize(_bump))(in_a_block)


def test_the_doc_shows_the_rule_filled_in():
    import pathlib

    doc = (pathlib.Path(__file__).parent.parent / "docs" / "custom-rules.md").read_text()
    block = doc.split("shows the rule filled in at the call site:")[1].split("```python")[1].split("```")[0]
    text = ta.source(ta.grad(loss))
    for line in block.strip().splitlines():
        assert line.strip() in text, (line, text)


def _private_square(x):
    return x * x


def calls_private_square(x):
    return np.sum(_private_square(x))


def test_a_rule_registered_later_reaches_existing_derivatives():
    # the derivative made before the registration regenerated on its next
    # call (it kept the inlined body: a stale derivative)
    x = np.array([1.0, 2.0])
    df = ta.grad(calls_private_square)
    np.testing.assert_allclose(df(x), 2 * x)

    @ta.adjoint(_private_square)
    def _rule(y, x):
        d[x] = d[y] * 3.0 * x  # noqa: F821 (a made-up slope, to see which rule runs)

    np.testing.assert_allclose(df(x), 3 * x)
    assert "3.0" in ta.source(df)


@pytest.mark.parametrize("body, words", [
    ("d[x] += d[y] * 2.0 * x", "updates d[x] in place"),
    ("x = x * 2.0\n    d[x] = d[y] * x", "assigns to its parameter 'x'"),
    ("d[y] = d[x] * 2.0 * x", "assigns d[y], the adjoint of its result"),
])
def test_malformed_adjoint_templates_are_refused_at_registration(tmp_path, body, words):
    # each gave a zero or a wrong gradient (or overwrote the caller's operand)
    module = tmp_path / "bad_rule.py"
    module.write_text(
        "import numpy as np\nimport tangent_ad as ta\n\n"
        "def f(x):\n    return x * x\n\n"
        f"def rule(y, x):\n    {body}\n"
    )
    spec = importlib.util.spec_from_file_location("bad_rule", module)
    bad = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bad)
    with pytest.raises(ta.TangentADError, match=re.escape(words)) as err:
        ta.adjoint(bad.f)(bad.rule)
    assert "bad_rule.py:7" in str(err.value)  # the template's own place


def test_registration_mistakes_are_refused_clearly():
    with pytest.raises(ta.TangentADError, match="without the function"):
        ta.adjoint()
    with pytest.raises(ta.TangentADError, match="not a function defined with def"):
        ta.adjoint(_private_square)(lambda y, x: None)
    with pytest.raises(ta.TangentADError, match="not a function defined with def"):
        ta.tangent(_private_square)(np.sin)

    class Unhashable:
        __hash__ = None

        def __call__(self, x):
            return x

    with pytest.raises(ta.TangentADError, match="unhashable"):
        ta.adjoint(Unhashable())


def _uses_try(x):
    try:
        return x * 2.0
    except ValueError:
        return x


def _cubed(x):
    return x * x * x


def test_a_registration_after_a_derivative_that_failed_to_build():
    # the half-made derivative, kept alive by the error's traceback, was
    # told of the new rule and raised AttributeError from the registration
    with pytest.raises(ta.TangentADError) as kept:
        ta.grad(_uses_try)

    @ta.adjoint(_cubed)
    def _rule(y, x):
        d[x] = d[y] * 3.0 * x * x  # noqa: F821

    assert kept.value is not None
    assert ta.grad(lambda x: _cubed(x))(2.0) == 12.0


# ----- a rule reached through a method or a functools.partial -----


class Cubic:
    def apply(self, x):
        return x ** 3

    @staticmethod
    def square(x):
        return x * x


@ta.adjoint(Cubic.apply)
def _cubic_apply_adjoint(y, self, x):
    d[x] = d[y] * 3.0 * x * x  # noqa: F821


@ta.tangent(Cubic.apply)
def _cubic_apply_tangent(y, self, x):
    d[y] = d[x] * 3.0 * x * x  # noqa: F821


@ta.adjoint(Cubic.square)
def _cubic_square_adjoint(y, x):
    d[x] = d[y] * 2.0 * x  # noqa: F821


def scaled_cube(x, c=1.0):
    return c * x ** 3


@ta.adjoint(scaled_cube)
def _scaled_cube_adjoint(y, x, c=1.0):
    d[x] = d[y] * 3.0 * c * x * x  # noqa: F821


double_cube = functools.partial(scaled_cube, c=2.0)


def through_methods(x, model):
    return np.sum(model.apply(x)) + np.sum(model.square(x))


def through_a_partial(x):
    return np.sum(double_cube(x))


def test_a_rule_is_found_through_a_method_and_a_partial(rng, tmp_path):
    x = rng.normal(size=3)
    model = Cubic()
    df = ta.grad(through_methods)
    np.testing.assert_allclose(df(x, model), 3 * x ** 2 + 2 * x)
    assert "apply(model, x)" in ta.source(df, x, model)
    np.testing.assert_allclose(ta.grad(through_a_partial)(x), 6 * x ** 2)
    _, tangent = ta.jvp(lambda_free_apply)(x, model, np.ones(3))
    np.testing.assert_allclose(tangent, np.sum(3 * x ** 2))
    # the exported module imports the method through its class
    target = tmp_path / "d_through_methods.py"
    ta.export(df, target, x, model)
    assert "square = Cubic.square" in target.read_text()
    spec = importlib.util.spec_from_file_location(target.stem, target)
    exported = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exported)
    np.testing.assert_allclose(exported.d_through_methods(x, model), df(x, model))


def lambda_free_apply(x, model):
    return np.sum(model.apply(x))


def test_a_partial_with_new_arguments_gets_a_new_derivative(rng):
    global double_cube
    x = rng.normal(size=3)
    df = ta.grad(through_a_partial)
    np.testing.assert_allclose(df(x), 6 * x ** 2)
    saved = double_cube
    try:
        double_cube = functools.partial(scaled_cube, c=3.0)
        np.testing.assert_allclose(df(x), 9 * x ** 2)
    finally:
        double_cube = saved


# ----- a rule's adjoint of the wrong shape -----


def _summed_cube(x):
    return x ** 3


@ta.adjoint(_summed_cube)
def _summed_cube_adjoint(y, x):
    d[x] = np.sum(d[y] * 3.0 * x * x, keepdims=True)  # noqa: F821 (a wrong shape: (1,))


def uses_summed_cube(x):
    return np.sum(_summed_cube(x))


@pytest.mark.parametrize("make, extra", [
    (ta.grad, ()), (ta.value_and_grad, ()), (ta.vjp, (1.0,)),
])
def test_a_rule_giving_an_adjoint_of_the_wrong_shape_is_reported(make, extra):
    df = make(uses_summed_cube)
    for _ in range(2):  # and again: the check stays until a call passes it
        with pytest.raises(ta.TangentADError, match=r"wrong shape.*'x' has shape \(1,\), the argument \(3,\)"):
            df(np.ones(3), *extra)
    # a shape the rule happens to get right passes (and is not checked again)
    for _ in range(2):
        got = df(np.ones(1), *extra)
        np.testing.assert_allclose(got[1] if make is ta.value_and_grad else got, [3.0])


def test_export_imports_a_vectorized_kernel_from_the_users_module(tmp_path, rng):
    # (np.vectorize objects name numpy as their __module__)
    df = ta.grad(smooth_loss)
    x = rng.uniform(-1.5, 1.5, size=4)
    target = tmp_path / "d_smooth_loss.py"
    ta.export(df, target, x)
    assert "from test_custom_rules import bump" in target.read_text()
    spec = importlib.util.spec_from_file_location(target.stem, target)
    exported = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exported)
    np.testing.assert_allclose(exported.d_smooth_loss(x), df(x))


# ----- a helper the rule's template calls, redefined -----


def _tripled(x):
    return x ** 3


def _tripled_slope(x):
    return 3.0 * x * x


@ta.adjoint(_tripled)
def _tripled_adjoint(y, x):
    d[x] = d[y] * _tripled_slope(x)  # noqa: F821


def uses_tripled(x):
    return np.sum(_tripled(x))


def test_a_helper_of_a_rule_redefined_regenerates(monkeypatch):
    x = np.array([0.3, -0.7, 1.1])
    df = ta.grad(uses_tripled)
    np.testing.assert_allclose(df(x), 3 * x ** 2)
    monkeypatch.setitem(globals(), "_tripled_slope", lambda x: 2.0 * x * x)  # (a made-up fix)
    np.testing.assert_allclose(df(x), 2 * x ** 2)
    np.testing.assert_allclose(ta.grad(uses_tripled)(x), 2 * x ** 2)
