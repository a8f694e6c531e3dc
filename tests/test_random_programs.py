"""Seeded random programs, differentiated and checked against autograd.

Straight-line programs and loops built from templates that exercise the
optimizer's rewrites together: constants that fold to identities
(``0.5 * (a + b) * 2``, ``a / 2.0 * 2.0``), spreads of reductions with and
without kept axes, copies updated in place, loop sums over a bias, index
assignment into copies, branches on data. Each gradient (optimised and not)
must equal autograd's (finite differences' where autograd cannot: index
assignment), leave the arguments unchanged and share no memory with them;
Hessian-vector products (forward mode over the generated reverse code) must
equal autograd's too. This found a spread that justified its own removal (``d_a + d_a``) and turned an array adjoint into a scalar,
and a copy propagation that moved a read past a write into the same buffer
under another name (``d_c = d_v; d_c[0] = 0.0``): a wrong gradient. The
loops that write into arrays (`writes`) found Hessian-vector products that
copied a tangent before a write while views of it (pushed in the primal
sweep, restored in the reverse one) still pointed at the old buffer.
"""

import copy
import importlib.util
import types
import warnings

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

STRAIGHT = (
    "np.tanh({a} + {b})", "np.sin({a}) * {b}", "0.5 * ({a} + {b}) * 2", "{a} * 1.0 + 0.0 * {b}",
    "{a} * np.cos({b})", "0.5 * {a} ** 2 + {b}", "{a} / 2.0 * 2.0 - {b}",
    "np.sum({a} * {b}, axis=1, keepdims=True) * {a}", "{a} - np.max({a}, axis=1, keepdims=True) + {b}",
    "np.exp(-{a} * {a}) * 0.25 * 4.0", "{a} @ W", "{b} * 3.0 * 0.5", "{a} * 2.0 * 0.5", "-(-{a})",
)
RETURNS = (
    "np.sum({last})", "0.5 * np.sum({last} ** 2) + np.sum(x * y)", "np.sum(x @ W) + 0.5 * np.sum({last} * {last})",
)
IN_LOOP = (
    "np.tanh({a} @ W + {b})", "np.sin({a}) * {b} + bias", "0.5 * ({a} + {b}) * 2", "{a} * 1.0 + 0.0 * {b}",
    "{a} - np.max({a}, axis=1, keepdims=True) + {b}", "np.sum({a} * {b}, axis=1, keepdims=True) * {a}",
    "np.exp(-{a} * {a}) * 0.25 * 4.0 + bias", "{a} / 2.0 * 2.0 - {b}", "{a} @ W * 0.5 * 2",
)
MORE = (
    "np.concatenate([{a}[1:], {a}[:1]]) * {b}", "np.where({a} > 0, {a}, 0.1 * {b})", "np.maximum({a}, {b})",
    "{a} / np.mean({b} * {b} + 1.0, axis=0, keepdims=True)", "{a} @ W.T + {b}", "{a}[[0, 0, 2]] + {b}",
    "np.tanh({a}) * {b}[:, ::-1]", "np.abs({a}) * 0.5 + {b}", "({a} @ W) * 2.0 * 0.5",
    "{a}[:, 1:2] * {b}", "np.clip({a}, -0.5, 0.5) + {b}", "np.sum({a}, axis=0) * {b}",
    "np.log(1.0 + {a} * {a}) - {b}", "{a} * {a}.mean() + {b}",
)
# blocks with index assignment, branches and loops (autograd takes none of
# the first two: those programs are checked against finite differences)
BLOCKS = (
    "    c{k} = {a}.copy()\n    c{k}[0] = {b}[1] * 2.0\n    v{k} = c{k}",
    "    c{k} = {a} * 1.0\n    c{k}[:, 1:] += {b}[:, :-1]\n    v{k} = c{k}",
    "    if np.sum({a}) > 0:\n        v{k} = {a} * 2.0\n    else:\n        v{k} = {b} - {a}",
    "    v{k} = {a}\n    for i in range(2):\n        v{k} = np.sin(v{k}) * 0.5 * 2 + {b}",
    "    v{k} = {a} * 1.0\n    v{k} += {b}",
    "    y{k} = {a}\n    y{k} = y{k} * 0.5 * 2\n    v{k} = y{k} + {b}",
)
LOOP_RETURNS = ("np.sum(h * h) + np.sum(acc)", "0.5 * np.sum(h ** 2) + np.sum(acc * x)",
                "np.sum(h @ W) + 0.5 * np.sum(bias * bias)")


def straight_line(rng, lines=12):
    names, body = ["x", "y"], []
    for k in range(lines):
        a = names[-1 - int(rng.integers(0, min(3, len(names))))]
        b = names[-1 - int(rng.integers(0, min(4, len(names))))]
        body.append(f"    v{k} = " + STRAIGHT[int(rng.integers(0, len(STRAIGHT)))].format(a=a, b=b))
        if rng.random() < 0.2:
            body.append(f"    v{k} = v{k} + {a}")
        if rng.random() < 0.15:
            body.append(f"    c{k} = v{k} * 1.0\n    c{k} += {b}\n    v{k} = c{k}")
        names.append(f"v{k}")
    body.append("    return " + RETURNS[int(rng.integers(0, len(RETURNS)))].format(last=names[-1]))
    args = (rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.5, 0.5, (4, 4)))
    return "def f(x, y, W):\n" + "\n".join(body) + "\n", args


def mixed(rng, lines=10):
    names, body = ["x", "y"], []
    for k in range(lines):
        a = names[-1 - int(rng.integers(0, min(3, len(names))))]
        b = names[-1 - int(rng.integers(0, min(4, len(names))))]
        if rng.random() < 0.35:
            body.append(BLOCKS[int(rng.integers(0, len(BLOCKS)))].format(a=a, b=b, k=k))
        else:
            template = (MORE + STRAIGHT)[int(rng.integers(0, len(MORE) + len(STRAIGHT)))]
            body.append(f"    v{k} = " + template.format(a=a, b=b))
        names.append(f"v{k}")
    body.append("    return " + RETURNS[int(rng.integers(0, len(RETURNS)))].format(last=names[-1]))
    args = (rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.5, 0.5, (4, 4)))
    return "def f(x, y, W):\n" + "\n".join(body) + "\n", args


def loop(rng, lines=4):
    names, body = ["h", "x"], []
    for k in range(lines):
        a = names[-1 - int(rng.integers(0, 2))]
        b = ("y[t]", "h", "x", "acc")[int(rng.integers(0, 4))]
        body.append(f"        u{k} = " + IN_LOOP[int(rng.integers(0, len(IN_LOOP)))].format(a=a, b=b))
        names.append(f"u{k}")
    body.append(f"        h = np.tanh({names[-1]}) * 0.5 + h * 0.5")
    if rng.random() < 0.7:
        body.append("        acc = acc + h * bias")
    source = ("def f(x, y, W, bias):\n    h = x * 1.0\n    acc = 0.0 * x\n    for t in range(y.shape[0]):\n"
              + "\n".join(body) + "\n    return " + LOOP_RETURNS[int(rng.integers(0, len(LOOP_RETURNS)))] + "\n")
    steps = int(rng.integers(0, 4))
    args = (rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.8, 0.8, (steps, 3, 4)),
            rng.uniform(-0.5, 0.5, (4, 4)), rng.uniform(-0.5, 0.5, 4))
    return source, args


# loops that write into arrays: a fresh copy written each iteration, an
# array updated row by row across iterations (checked against finite
# differences: autograd has no index assignment)
WRITES = (
    "        c{k} = {a} * 1.0\n        c{k}[t] = c{k}[t] * {b}[t]",
    "        u[t] = u[t] * {b}[t] + 0.1",
    "        u[(t + 1) % 3] = np.tanh(u[t]) * 0.5 + {b}[t]",
    "        c{k} = {a} * 1.0\n        c{k}[:, 1:] += {b}[:, :-1] * 0.5",
    "        c{k} = np.sin({a}) * {b}",
    "        u[t, :2] = {a}[t, 1:3] * {b}[t, :2]",
    "        c{k} = {a} @ W\n        c{k}[t] = 0.0",
    "        c{k} = u * 1.0\n        u[t] = {b}[t] * c{k}[t]",
)


def writes(rng, lines=3):
    names, body = ["u", "x"], []
    for k in range(lines):
        a = names[-1 - int(rng.integers(0, 2))]
        b = ("x", "y", "u")[int(rng.integers(0, 3))]
        template = WRITES[int(rng.integers(0, len(WRITES)))]
        body.append(template.format(a=a, b=b, k=k))
        if f"c{k}" in template:
            names.append(f"c{k}")
    body.append(f"        acc = acc + np.sum({names[-1]} * u * y)")
    source = ("def f(x, y, W):\n    u = x * 1.0\n    acc = 0.0\n    for t in range(3):\n"
              + "\n".join(body) + "\n    return acc + np.sum(u * u * x)\n")
    args = (rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.5, 0.5, (4, 4)))
    return source, args


def _load(source, directory, name):
    path = directory / f"{name}.py"
    path.write_text("import numpy as np\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def _autograd(fn, args):
    globals_ = dict(fn.__globals__, np=anp)
    rebound = types.FunctionType(fn.__code__, globals_, fn.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "output seems independent of input"
        return [autograd.grad(rebound, i)(*copy.deepcopy(args)) for i in range(len(args))]


GENERATORS = {"straight": straight_line, "loop": loop, "mixed": mixed, "writes": writes}


def _finite_differences(fn, args):
    return [numerical_gradient(fn, [np.copy(a) for a in args], {}, i) for i in range(len(args))]


@pytest.mark.parametrize("kind, seed", [("straight", s) for s in range(40)] + [("loop", s) for s in range(30)]
                         + [("mixed", s) for s in range(40)] + [("writes", s) for s in range(20)])
def test_random_program_matches_autograd(kind, seed, tmp_path):
    rng = np.random.default_rng(1000 + seed)
    source, args = GENERATORS[kind](rng)
    fn = _load(source, tmp_path, f"{kind}_{seed}")
    try:
        expected, rtol = _autograd(fn, args), 1e-9
    except Exception:  # autograd has no VJP for index assignment, no ArrayBox.copy, ...
        if kind not in ("mixed", "writes"):
            pytest.skip("autograd cannot differentiate this program")
        value = fn(*[np.copy(a) for a in args])
        if not abs(value) < 1e3:
            pytest.skip("too steep for finite differences")
        expected, rtol = _finite_differences(fn, args), 1e-5  # index assignment: autograd has no VJP
    for optimize in (True, False):
        pristine = copy.deepcopy(args)
        got = ta.grad(fn, wrt=tuple(range(len(args))), optimize=optimize)(*args)
        for after, before in zip(args, pristine):
            np.testing.assert_array_equal(after, before, err_msg=f"arguments changed\n{source}")
        for value, reference, arg in zip(got, expected, args):
            assert np.shape(value) == np.shape(reference), source
            scale = 1.0 + np.max(np.abs(reference), initial=0.0)
            np.testing.assert_allclose(value, reference, rtol=rtol, atol=rtol * scale, err_msg=source)
            assert not np.shares_memory(value, arg), source


@pytest.mark.parametrize("kind, seed", [("straight", s) for s in range(10)] + [("loop", s) for s in range(10)]
                         + [("mixed", s) for s in range(20)] + [("writes", s) for s in range(30)])
def test_random_program_hvp_matches_autograd(kind, seed, tmp_path):
    """Forward over the generated reverse code: the Hessian-vector product
    with respect to `x` against autograd's jvp of its gradient."""
    rng = np.random.default_rng(2000 + seed)
    source, args = GENERATORS[kind](rng)
    fn = _load(source, tmp_path, f"hvp_{kind}_{seed}")
    v = rng.standard_normal(args[0].shape)
    rebound = types.FunctionType(fn.__code__, dict(fn.__globals__, np=anp), fn.__name__)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gradient = autograd.grad(lambda x: rebound(x, *args[1:]))
            expected, rtol = autograd.make_jvp(gradient)(args[0])(v)[1], 1e-8
    except Exception:  # index assignment: the unoptimised gradient's central difference
        if kind not in ("mixed", "writes"):
            pytest.skip("autograd cannot differentiate this program")
        gradient = ta.grad(fn, optimize=False)
        eps = 1e-6
        expected = (gradient(args[0] + eps * v, *args[1:]) - gradient(args[0] - eps * v, *args[1:])) / (2 * eps)
        if not np.max(np.abs(expected)) < 1e3:
            pytest.skip("too steep for finite differences")
        rtol = 1e-4
    pristine = copy.deepcopy(args)
    got = ta.hvp(fn)(*args, v)
    for after, before in zip(args, pristine):
        np.testing.assert_array_equal(after, before, err_msg=f"arguments changed\n{source}")
    scale = 1.0 + np.max(np.abs(expected), initial=0.0)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale, err_msg=source)
