"""The implementations a workload's gradient is timed with, behind one interface.

`prepare(impl, workload, args)` returns a `Prepared`: a zero-argument `run`
that computes one gradient (blocking until it is done), the arguments `run`
passes (for the mutation check) and `to_numpy`, which turns its result into a
tuple of NumPy values in `wrt` order. Peers are optional imports: a missing one
raises `Unavailable`, which the report shows as n/a.

Each implementation gets its own copy of the inputs, so one that writes into
its arguments cannot change what the others compute.

How the peers' code relates to the primal:
- autograd runs the very same function with `np` bound to `autograd.numpy`
  (the heat stencil: `heat_loss_functional`, as autograd has no index
  assignment);
- PyTorch (eager, CPU, float64) runs the same operations written with torch
  (index assignment included, which torch supports);
- JAX runs the same operations with `jax.numpy`; loops are `lax.fori_loop`
  (a Python loop is unrolled: 1000 Euler steps took 5.8 s per eager call and
  132 s to jit-compile), except the eager RNN (see `_JAX_EAGER_PYTHON_LOOP`);
  the heat stencil uses concatenate like autograd.
  `jax.jit(jax.grad(f))` is compiled by one call in `prepare`, outside timing.
"""

import copy
import dataclasses
import importlib
import time
import types
from typing import Callable

import numpy as np

from benchmarks import workloads as W

IMPLEMENTATIONS = ("forward", "hand", "tangent_ad", "autograd", "torch", "jax", "jax.jit")
GRADIENTS = IMPLEMENTATIONS[1:]


class Unavailable(Exception):
    """The implementation cannot run here (peer not installed, no code for it)."""


@dataclasses.dataclass
class Prepared:
    run: Callable
    args: tuple
    to_numpy: Callable
    note: str = ""
    setup_seconds: float = 0.0


def prepare(impl, workload, args):
    """A `Prepared` for `impl` on `workload`, on a private copy of `args`."""
    return _PREPARE[impl](workload, copy.deepcopy(args))


def as_tuple(result, n):
    if n == 1 and not isinstance(result, (tuple, list)):
        return (result,)
    return tuple(result)


def _numpy_tuple(n):
    return lambda result: tuple(np.asarray(g, dtype=np.float64) for g in as_tuple(result, n))


def _import(name):
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise Unavailable(f"{name} not installed ({error})") from None


def with_numpy(fn, module):
    """`fn` itself, with its global `np` bound to `module` (same code object)."""
    scope = dict(fn.__globals__, np=module)
    return types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)


# ----- NumPy: the primal, the hand-written gradient, tangent_ad -----


def _forward(workload, args):
    return Prepared(lambda: workload.primal(*args), args, lambda result: ())


def _hand(workload, args):
    return Prepared(lambda: workload.hand_grad(*args), args, _numpy_tuple(len(workload.wrt)))


def _tangent_ad(workload, args):
    import tangent_ad as ta

    df = ta.grad(workload.primal, wrt=workload.wrt)
    return Prepared(lambda: df(*args), args, _numpy_tuple(len(workload.wrt)))


# ----- autograd -----

_AUTOGRAD_PRIMAL = {"heat": W.heat_loss_functional}


def _autograd(workload, args):
    autograd = _import("autograd")
    anp = _import("autograd.numpy")
    primal = _AUTOGRAD_PRIMAL.get(workload.name, workload.primal)
    wrt = workload.wrt if len(workload.wrt) > 1 else workload.wrt[0]
    grad = autograd.grad(with_numpy(primal, anp), argnum=wrt)
    note = "heat_loss_functional (concatenate)" if workload.name in _AUTOGRAD_PRIMAL else ""
    return Prepared(lambda: grad(*args), args, _numpy_tuple(len(workload.wrt)), note)


# ----- PyTorch (eager, CPU, float64) -----


def _torch_mlp(torch):
    def mlp_loss(W1, b1, W2, b2, W3, b3, x, y):
        h1 = torch.tanh(x @ W1 + b1)
        h2 = torch.tanh(h1 @ W2 + b2)
        logits = h2 @ W3 + b3
        m = torch.amax(logits, dim=1, keepdim=True)
        z = logits - m
        logp = z - torch.log(torch.sum(torch.exp(z), dim=1, keepdim=True))
        return -torch.sum(y * logp) / x.shape[0]

    return mlp_loss


def _torch_rnn(torch):
    def rnn_loss(W_hh, W_xh, b, xs, h0, target):
        h = h0
        for t in range(xs.shape[0]):
            h = torch.tanh(h @ W_hh + xs[t] @ W_xh + b)
        return 0.5 * torch.sum((h - target) ** 2)

    return rnn_loss


def _torch_logreg(torch):
    def logreg_loss(w, X, y, lam):
        z = X @ w
        loss = torch.mean(torch.logaddexp(torch.zeros_like(z), z) - y * z)
        return loss + 0.5 * lam * torch.sum(w * w)

    return logreg_loss


def _torch_heat(torch):
    def heat_loss(u0, c, target, steps):
        u = u0.clone()
        for _ in range(steps):
            u[1:-1] = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
        return 0.5 * torch.sum((u - target) ** 2)

    return heat_loss


_TORCH_CODE = {
    "mlp_b128": _torch_mlp,
    "mlp_b1": _torch_mlp,
    "rnn": _torch_rnn,
    "ode": lambda torch: W.ode_euler,  # float arithmetic: runs on 0-d tensors as is
    "ode_inline": lambda torch: W.ode_euler_inline,
    "logreg": _torch_logreg,
    "heat": _torch_heat,
}


def _torch(workload, args):
    torch = _import("torch")
    loss = _TORCH_CODE[workload.name](torch)
    targs = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) or (isinstance(a, float) and i in workload.wrt):
            a = torch.tensor(a, dtype=torch.float64, requires_grad=i in workload.wrt)
        targs.append(a)
    params = [targs[i] for i in workload.wrt]

    def run():
        return torch.autograd.grad(loss(*targs), params)

    def to_numpy(result):
        return tuple(np.asarray(g.detach().numpy(), dtype=np.float64) for g in result)

    return Prepared(run, tuple(targs), to_numpy)


# ----- JAX (x64; jax.grad eager, and jax.jit of it) -----


def _jax_code(jax, jnp, name):
    lax = jax.lax
    if name in ("mlp_b128", "mlp_b1"):
        return with_numpy(W.mlp_loss, jnp)
    if name == "logreg":
        return with_numpy(W.logreg_loss, jnp)
    if name == "rnn":
        def rnn_loss(W_hh, W_xh, b, xs, h0, target):
            def step(t, h):
                return jnp.tanh(h @ W_hh + xs[t] @ W_xh + b)

            h = lax.fori_loop(0, xs.shape[0], step, h0)
            return 0.5 * jnp.sum((h - target) ** 2)

        return rnn_loss
    if name in ("ode", "ode_inline"):
        def ode_euler(a, b, c, y0, dt, steps):
            def step(_, y):
                return y + dt * W.ode_rhs(y, a, b, c)

            return lax.fori_loop(0, steps, step, y0)

        return ode_euler
    if name == "heat":
        def heat_loss(u0, c, target, steps):
            def step(_, u):
                inner = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
                return jnp.concatenate([u[:1], inner, u[-1:]])

            u = lax.fori_loop(0, steps, step, u0)
            return 0.5 * jnp.sum((u - target) ** 2)

        return heat_loss
    raise Unavailable(f"no JAX code for {name}")


_JAX_NOTES = {
    "rnn": "lax.fori_loop",
    "ode": "lax.fori_loop",
    "ode_inline": "lax.fori_loop",
    "heat": "lax.fori_loop + concatenate",
}


def _jax_setup(workload, args):
    jax = _import("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = _import("jax.numpy")
    loss = _jax_code(jax, jnp, workload.name)
    jargs = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
    static = tuple(i for i, a in enumerate(args) if isinstance(a, int))
    return jax, loss, jargs, static


# Eager jax.grad retraces a fori_loop body on every call; for the RNN a Python
# loop was faster (220 ms against 450 ms per call here), for the heat stencil
# (2.4 s against 0.36 s) and the ODE (5.8 s against 0.2 s) it was slower.
_JAX_EAGER_PYTHON_LOOP = {"rnn": W.rnn_loss}


def _jax(workload, args):
    jax, loss, jargs, _ = _jax_setup(workload, args)
    note = _JAX_NOTES.get(workload.name, "")
    if workload.name in _JAX_EAGER_PYTHON_LOOP:
        loss = with_numpy(_JAX_EAGER_PYTHON_LOOP[workload.name], jax.numpy)
        note = "Python loop (faster than fori_loop in eager mode)"
    grad = jax.grad(loss, argnums=workload.wrt)
    run = lambda: jax.block_until_ready(grad(*jargs))  # noqa: E731
    return Prepared(run, jargs, _numpy_tuple(len(workload.wrt)), note)


def _jax_jit(workload, args):
    jax, loss, jargs, static = _jax_setup(workload, args)
    grad = jax.jit(jax.grad(loss, argnums=workload.wrt), static_argnums=static)
    run = lambda: jax.block_until_ready(grad(*jargs))  # noqa: E731
    start = time.perf_counter()
    run()  # compile, outside any timing
    setup = time.perf_counter() - start
    note = _JAX_NOTES.get(workload.name, "")
    return Prepared(run, jargs, _numpy_tuple(len(workload.wrt)), note, setup)


_PREPARE = {
    "forward": _forward,
    "hand": _hand,
    "tangent_ad": _tangent_ad,
    "autograd": _autograd,
    "torch": _torch,
    "jax": _jax,
    "jax.jit": _jax_jit,
}


def versions():
    """Installed versions of the peers (None when missing), without importing them."""
    from importlib import metadata

    found = {}
    for name in ("autograd", "torch", "jax", "jaxlib"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found
