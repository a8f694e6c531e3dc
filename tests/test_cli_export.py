"""The command line (`python -m tangent_ad show|check`) and `ta.export`."""

import importlib.util
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tangent_ad as ta

MODEL = textwrap.dedent(
    """
    import numpy as np

    SCALE = 0.5


    def loss(W, b, x):
        h = np.tanh(x @ W + b)
        return SCALE * np.mean(h ** 2)


    def broken(x):
        return np.sum(np.floor(x) * x)


    import tangent_ad as ta


    @ta.differentiate
    def decorated(x, y):
        return np.sum(np.sin(x) * y)
    """
)


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "cli_model.py"
    path.write_text(MODEL)
    return path


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "tangent_ad", *args], capture_output=True, text=True, timeout=120
    )


def test_show_prints_the_generated_gradient(model):
    out = run("show", f"{model}:loss", "--wrt", "W,b")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("def d_loss(W, b, x):")
    assert "cli_model.py:8  h = np.tanh(x @ W + b)" in out.stdout
    compile(out.stdout, "<shown>", "exec")


def test_show_forward_mode_and_specialised(model):
    out = run("show", f"{model}:loss", "--mode", "forward", "--wrt", "b")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("def jvp_loss(W, b, x, t_b):")
    out = run("show", f"{model}:loss", "--wrt", "W,b", "--shapes", "W=3,4", "b=4", "x=5,3")
    assert "d_b = d_t1.sum(axis=0)" in out.stdout


def test_check_passes_and_fails(model):
    good = run("check", f"{model}:loss", "--wrt", "W,b", "--shapes", "W=3,4", "b=4", "x=5,3")
    assert good.returncode == 0, good.stderr
    assert "W: ok" in good.stdout and "b: ok" in good.stdout
    bad = run("check", f"{model}:broken", "--shapes", "x=4")
    assert bad.returncode == 0  # floor has zero derivative almost everywhere: matches


def test_errors_are_reported(model, tmp_path):
    out = run("show", f"{model}:missing")
    assert out.returncode != 0 and "no function 'missing'" in (out.stderr + out.stdout)
    out = run("check", f"{model}:loss", "--shapes", "W=3,4")
    assert out.returncode != 0 and "give a shape for b" in (out.stderr + out.stdout)


def test_check_of_a_decorated_function_and_shape_mistakes(model):
    good = run("check", f"{model}:decorated", "--shapes", "x=3", "y=3")
    assert good.returncode == 0, good.stderr + good.stdout
    assert "gradient matches finite differences" in good.stdout
    out = run("check", f"{model}:loss", "--shapes", "W=3,x", "b=4", "x=5,3")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "whole numbers for W" in out.stderr + out.stdout
    out = run("check", f"{model}:loss", "--shapes", "W=3,4", "b=4", "x=5,3", "z=7")
    assert out.returncode != 0 and "no parameter 'z'" in out.stderr + out.stdout


def load_module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_export_writes_a_standalone_module(model, tmp_path, rng):
    sys.path.insert(0, str(model.parent))
    try:
        user = load_module(model)
        sys.modules["cli_model"] = user
        df = ta.grad(user.loss, wrt=("W", "b"))
        W, b, x = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3))
        target = tmp_path / "d_loss_exported.py"
        ta.export(df, target, W, b, x)
        text = target.read_text()
        assert "import numpy as np" in text and "from cli_model import SCALE" in text
        exported = load_module(target)
        for got, want in zip(exported.d_loss(W, b, x), df(W, b, x)):
            np.testing.assert_allclose(got, want)
        generic = tmp_path / "d_loss_generic.py"
        ta.export(df, generic)
        for got, want in zip(load_module(generic).d_loss(W, b, x), df(W, b, x)):
            np.testing.assert_allclose(got, want)
    finally:
        sys.path.remove(str(model.parent))
        sys.modules.pop("cli_model", None)


def test_export_refuses_non_derivatives(tmp_path):
    with pytest.raises(ta.TangentADError):
        ta.export(lambda x: x, tmp_path / "nope.py")


class _Linear:
    def __init__(self, W):
        self.W = W

    def out(self, x):
        return self.W @ x


def _method_loss(m, x):
    return np.sum(m.out(x) ** 2)


def test_export_of_a_derivative_that_needs_example_arguments(tmp_path):
    path = tmp_path / "d_method_loss.py"
    df = ta.grad(_method_loss, wrt=(1,))
    with pytest.raises(ta.TangentADError, match=r"pass example arguments, ta.export\(df, path, \*args\)"):
        ta.export(df, str(path))
    assert not path.exists()  # no empty file left behind
    m, x = _Linear(np.array([[1.0, 2.0], [0.5, -1.0]])), np.array([0.3, -0.7])
    ta.export(df, str(path), m, x)
    assert "def d_method_loss(m, x):" in path.read_text()


def test_export_of_an_hvp_and_of_a_closure(tmp_path, rng):
    # the hvp's module lacked the gradient's helpers (NameError); a closure's
    # captured array is refused at export time, not at import
    def loss(x):
        return np.sum(np.sin(x) * x)

    x, v = rng.normal(size=3), rng.normal(size=3)
    hvp = ta.hvp(loss)
    target = tmp_path / "hvp_exported.py"
    ta.export(hvp, target, x, v)
    exported = load_module(target)
    np.testing.assert_allclose(getattr(exported, hvp.__name__)(x, v), hvp(x, v))

    with pytest.raises(ta.TangentADError, match="cannot be imported"):
        ta.export(ta.grad(uses_a_closure), tmp_path / "closure.py", x)
    assert not (tmp_path / "closure.py").exists()


def _scaled_by(weights):
    def scaled(x):
        return x * weights
    return scaled


SCALED = _scaled_by(np.array([3.0, 6.0, 9.0]))


def uses_a_closure(x):
    return np.sum(SCALED(x) ** 2)
