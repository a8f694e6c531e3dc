"""Catalogues of rule tests: one function, several argument shapes.

`rule_catalogue()` gives a list of `support.Case` and a decorator taking one
argument maker per shape variant::

    CASES, case = rule_catalogue()

    @case(args(U((5,))), args(U((2, 3))))
    def sin(x):
        return np.sum(np.sin(x))

registers ``sin[0]`` and ``sin[1]``. Every case is checked (optimised and
not) against central finite differences and, unless ``autograd=False`` with
a reason, against autograd. `exercised_keys` tells which registry keys a case
really differentiates through; `tests/test_rules_coverage.py` uses it to fail
when a registered rule has no case (or fewer than two argument shapes).
"""

import gast
import numpy as np

from support import Case
from tangent_ad import transform
from tangent_ad.api import _normalize_wrt
from tangent_ad.passes import analysis
from tangent_ad.rules import registry


def rule_catalogue():
    cases = []

    def case(*makers, wrt=(0,), autograd=True, rtol=1e-5, atol=1e-7):
        """`autograd`: True, or a string saying why autograd cannot check it."""

        def register(fn):
            for i, make in enumerate(makers):
                cid = f"{fn.__name__}[{i}]"
                cases.append(Case(fn, make, wrt, autograd is True, rtol, atol, id=cid))
            return fn

        return register

    return cases, case


def U(shape=(), lo=-1.0, hi=1.0):
    """A uniform draw in [lo, hi): a Python float for shape (), else an array."""

    def draw(rng):
        if shape == ():
            return float(rng.uniform(lo, hi))
        return rng.uniform(lo, hi, shape)

    return draw


def away(shape, lo=0.3, hi=1.0):
    """Values of either sign with |x| in [lo, hi) (away from kinks at 0)."""

    def draw(rng):
        sign = rng.choice([-1.0, 1.0], shape)
        return sign * rng.uniform(lo, hi, shape)

    return draw


def spd(n, batch=()):
    """A well-conditioned symmetric positive definite matrix (or a stack)."""

    def draw(rng):
        b = rng.uniform(-1.0, 1.0, batch + (n, n))
        return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)

    return draw


def args(*parts):
    """An argument maker: each part is a draw function or a constant."""
    return lambda rng: [part(rng) if callable(part) else part for part in parts]


# ----- which rules a case exercises -----


def _key(value):
    if isinstance(value, gast.Call):
        return registry.call_key(value)
    if isinstance(value, gast.BinOp):
        return registry.binop_key(value.op)
    if isinstance(value, gast.UnaryOp):
        return registry.unaryop_key(value.op)
    if isinstance(value, gast.Attribute):
        return ("attr", value.attr)
    return None


def exercised_keys(case):
    """Registry keys whose adjoint rule the case's gradient applies: calls,
    operators and attributes whose result is active."""
    src, _ = transform.normalized(case.fn)
    wrt, _ = _normalize_wrt(case.fn, case.wrt)
    func = src.tree
    active = analysis.activity(func, wrt, func.body[-1].value.id)
    keys = set()
    for node in gast.walk(func):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            if node.targets[0].id in active:
                key = _key(node.value)
                if key is not None and key in registry.ADJOINTS:
                    keys.add(key)
    return keys


def _signature(value):
    if isinstance(value, (list, tuple)):
        return tuple(_signature(item) for item in value)
    return np.shape(value)


def shape_signature(case, rng):
    """The shapes of a case's arguments (to tell shape variants apart)."""
    return _signature(case.make(rng))
