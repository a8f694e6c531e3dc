"""The generated code the README prints must be what tangent_ad generates."""

import importlib.util
import pathlib
import re

import numpy as np

import tangent_ad as ta

README = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()


def _readme_function(name):
    """The README's code block of function `name`, as a module namespace."""
    match = re.search(rf"^def {name}\(.*?(?=\n```|\n\n\S)", README, re.S | re.M)
    assert match, f"README has no listing of {name}"
    return match.group(0)


def _define(name, directory):
    """Define the README's function in a module file (tangent_ad reads source)."""
    path = directory / f"readme_{name}.py"
    path.write_text("import numpy as np\n\n\n" + _readme_function(name) + "\n")
    spec = importlib.util.spec_from_file_location(f"readme_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _normalized(text):
    """Source comments name the file and line; the README's file is imagined."""
    return re.sub(r"# [\w.]+\.py:\d+ ", "# FILE:N ", text.strip())


def test_the_readme_loss_listing_is_generated(tmp_path):
    loss = _define("loss", tmp_path)
    rng = np.random.default_rng(0)
    W, b, x = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((5, 3))
    d_loss = ta.grad(loss, wrt=("W", "b"))
    assert _normalized(_readme_function("d_loss")) == _normalized(ta.source(d_loss, W, b, x))
    d_W, d_b = d_loss(W, b, x)
    h = np.tanh(x @ W + b)
    d_pre = 2 * h * (1 - h * h) / h.size
    np.testing.assert_allclose(d_W, x.T @ d_pre, rtol=1e-12)
    np.testing.assert_allclose(d_b, d_pre.sum(axis=0), rtol=1e-12)


def test_the_readme_loop_listing_is_generated(tmp_path):
    f = _define("f", tmp_path)
    x = np.array([0.3, -0.2, 0.5])
    df = ta.grad(f)
    assert _normalized(_readme_function("d_f")) == _normalized(ta.source(df, x, 3))
    ta.check_grad(f, x, 3, rtol=1e-7, atol=1e-9)
