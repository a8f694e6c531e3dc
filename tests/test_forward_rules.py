"""Every rule has a forward-mode (tangent) rule, and every rule is run in
forward mode and in a Hessian-vector product (forward over reverse).

* Coverage: a key of `registry.ADJOINTS` without a tangent fails; so does a
  function that an adjoint template calls (the helpers generated reverse
  code runs, which forward over reverse differentiates) with neither a
  tangent rule, a `linear` declaration nor a `nondifferentiable` one.
* Catalogue: from the rule catalogues (`tests/test_rules_*.py`) a covering
  subset is chosen -- the fewest cases, in catalogue order, such that every
  registered rule is exercised -- and each chosen case is checked by
  `forward_support.check_jvp` (finite differences, dot-product test against
  reverse mode) and `check_hvp` (finite differences of the gradient, autograd).
"""

import builtins
import importlib
import inspect
import pathlib

import gast
import numpy as np
import pytest

from forward_support import check_hvp, check_jvp
from rules_support import exercised_keys
from tangent_ad import containers, helpers, runtime, tangent_helpers, transform
from tangent_ad.passes.dataflow import all_statements
from tangent_ad.rules import registry
from tangent_ad.template import Accumulate

HERE = pathlib.Path(__file__).resolve().parent

# Helpers the reverse generator itself emits (not through a template).
GENERATED_HELPERS = (
    runtime.unbroadcast, runtime.unreduce, runtime.zeros_like, runtime.unindex, runtime.zero_at,
    runtime.copy, runtime.like, runtime.grad_seed, runtime.Stack, runtime.shape_of,
    containers.structure_like,
)

# Rule cases whose Hessian-vector product is known wrong: id -> reason.
HVP_BUGS = {}  # case id -> reason, for known wrong second derivatives (none open)


# ----- coverage -----


def _template_callees(template):
    """The objects a template calls (resolved through its module's globals)."""
    found = set()
    for stmt in template.body:
        for node in gast.walk(stmt):
            if not isinstance(node, gast.Call):
                continue
            chain, func = [], node.func
            while isinstance(func, gast.Attribute):
                chain.append(func.attr)
                func = func.value
            if not isinstance(func, gast.Name):
                continue
            if func.id in template.globals:
                obj = template.globals[func.id]
            elif hasattr(builtins, func.id):
                obj = getattr(builtins, func.id)
            else:
                continue  # a template parameter, e.g. d[y].T
            for attr in reversed(chain):
                obj = getattr(obj, attr, None)
            if obj is not None:
                found.add(obj)
    return found


def _has_forward_rule(fn):
    return fn in registry.TANGENTS or fn in registry.LINEAR or fn in registry.NONDIFFERENTIABLE


def _builtin_adjoints():
    """The rules tangent_ad ships (other tests register users' rules too)."""
    ours = "tangent_ad.rules."
    return {k: t for k, t in registry.ADJOINTS.items() if t.fn.__module__.startswith(ours)}


def test_every_adjoint_has_a_tangent():
    missing = sorted(registry._label(k) for k in _builtin_adjoints() if k not in registry.TANGENTS)
    assert not missing, f"rules without a tangent (forward-mode) rule: {missing}"
    assert len(_builtin_adjoints()) >= 200


def test_every_function_adjoints_call_has_a_forward_rule():
    callees = set(GENERATED_HELPERS)
    for template in _builtin_adjoints().values():
        callees |= _template_callees(template)
    missing = sorted(registry._label(fn) for fn in callees if not _has_forward_rule(fn))
    assert not missing, (
        f"functions that generated reverse code calls, without a tangent rule, a linear "
        f"declaration or a nondifferentiable one (forward over reverse fails on them): {missing}"
    )


def test_template_callee_finder_sees_helpers_and_numpy():
    found = _template_callees(registry.ADJOINTS[np.linalg.solve])
    assert {helpers.solve_back, helpers.solve_lhs, runtime.unbroadcast} <= found
    assert np.cos in _template_callees(registry.ADJOINTS[np.sin])


def test_builtin_tangent_templates_are_one_line_for_the_result():
    for key, template in registry.TANGENTS.items():
        if not template.fn.__module__.startswith("tangent_ad.rules."):
            continue  # a user's rule may assign temporaries first
        assert len(template.body) == 1, registry._label(key)
        names = {p: _name(p) for p in template.params[1:]}
        item = template.expand(names, _name("out"), lambda: "_tmp")
        assert isinstance(item[0], Accumulate), registry._label(key)
        assert item[0].param == template.result, registry._label(key)


def _name(ident):
    return gast.Name(id=ident, ctx=gast.Load(), annotation=None, type_comment=None)


def test_linear_declarations_name_real_arguments():
    for fn, positions in registry.LINEAR.items():
        if isinstance(fn, tuple):
            continue
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue  # a ufunc
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            continue
        assert max(positions) < len(params), registry._label(fn)


def test_forward_helpers_are_in_the_runtime_namespace():
    for name in tangent_helpers.__all__:
        assert callable(getattr(tangent_helpers, name)), name


# ----- every rule in forward mode and in an hvp -----


def _rule_cases():
    cases = []
    for path in sorted(HERE.glob("test_rules_*.py")):
        if path.stem in ("test_rules_coverage",):
            continue
        cases.extend(importlib.import_module(path.stem).CASES)
    return cases


def _cost(case):
    """Roughly what checking a case costs: its statements in normal form (a
    Python float argument adds a specialised derivative)."""
    src, _ = transform.normalized(case.fn)
    floats = any(isinstance(a, float) for a in case.make(np.random.default_rng(0)))
    return len(list(all_statements(src.tree.body))) + 3 + 4 * floats


def covering_cases():
    """A cheap subset of the rule cases exercising every rule they exercise
    (greedy set cover: most new rules per unit of cost first), in catalogue order."""
    cases = _rule_cases()
    keys = [exercised_keys(case) for case in cases]
    costs = [_cost(case) for case in cases]
    uncovered = set().union(*keys)
    chosen = []
    while uncovered:
        best = max(range(len(cases)), key=lambda i: (len(keys[i] & uncovered) / costs[i], -i))
        chosen.append(best)
        uncovered -= keys[best]
    return [cases[i] for i in sorted(chosen)], set().union(*keys)


COVER, COVERED_KEYS = covering_cases()


def test_the_cover_exercises_every_rule():
    builtin = set(_builtin_adjoints())
    assert builtin <= COVERED_KEYS, sorted(registry._label(k) for k in builtin - COVERED_KEYS)
    assert 50 <= len(COVER) <= 200


@pytest.mark.parametrize("case", COVER, ids=repr)
def test_rule_jvp(case, rng):
    check_jvp(case, rng)


def _hvp_params():
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=HVP_BUGS[c.id]))
        if c.id in HVP_BUGS else pytest.param(c, id=c.id)
        for c in COVER + [c for c in _rule_cases() if c.id in HVP_BUGS and c not in COVER]
    ]


@pytest.mark.parametrize("case", _hvp_params())
def test_rule_hvp(case, rng):
    check_hvp(case, rng)
