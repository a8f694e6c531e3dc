"""Every built-in rule has tests, and docs/rules.md matches the registry.

The rule catalogues (`tests/test_rules_*.py`, each with a `CASES` list) are
collected here; for each case, `rules_support.exercised_keys` finds the
registry keys whose rules its gradient really applies (calls, operators and
attributes on the differentiated path). A registered rule that no case
exercises -- or that only one argument shape exercises -- fails the test,
so a new rule cannot land without tests.
"""

import importlib
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from rules_support import args, exercised_keys, rule_catalogue, shape_signature
from tangent_ad.rules import registry

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

# Rules of functions on Python numbers only: two points stand for two shapes.
SCALAR_ONLY_MODULES = {"tangent_ad.rules.math_rules"}
SCALAR_ONLY_KEYS = {float, max, min, pow}


def _catalogues():
    names = sorted(p.stem for p in HERE.glob("test_rules_*.py") if p.stem != "test_rules_coverage")
    return {name: importlib.import_module(name) for name in names}


def _builtin_keys():
    return {
        key: template
        for key, template in registry.ADJOINTS.items()
        if template.fn.__module__.startswith("tangent_ad.rules.")
    }


def _exercised():
    """{key: set of (case id, argument shapes)} over every catalogue."""
    found = {}
    for module in _catalogues().values():
        for case in module.CASES:
            signature = shape_signature(case, np.random.default_rng(0))
            for key in exercised_keys(case):
                found.setdefault(key, set()).add((case.id, signature))
    return found


def test_every_rule_module_has_a_test_module():
    modules = {t.fn.__module__.rsplit(".", 1)[1] for t in _builtin_keys().values()}
    expected = {"test_rules_" + m.replace("_rules", "") for m in modules}
    assert expected <= set(_catalogues())


def test_every_registered_rule_is_tested_on_two_shapes():
    exercised = _exercised()
    missing, one_shape = [], []
    for key, template in _builtin_keys().items():
        label = registry._label(key)
        uses = exercised.get(key, set())
        if not uses:
            missing.append(label)
            continue
        scalar_only = template.fn.__module__ in SCALAR_ONLY_MODULES or key in SCALAR_ONLY_KEYS
        distinct = len(uses) if scalar_only else len({signature for _, signature in uses})
        if distinct < 2:
            one_shape.append(label)
    assert not missing, f"rules without a test case: {sorted(missing)}"
    assert not one_shape, f"rules tested on a single argument shape: {sorted(one_shape)}"


def _probe(x):
    return np.sum(x.T.sum(axis=0)) + np.sin(x[0, 0]) + np.sum(np.cos(np.zeros_like(x)))


def test_exercised_keys_sees_methods_attributes_and_only_active_calls():
    cases, case = rule_catalogue()
    case(args(np.ones((2, 3))))(_probe)
    keys = exercised_keys(cases[0])
    assert {("attr", "T"), ("method", "sum"), np.sum, np.sin} <= keys
    assert np.cos not in keys  # its argument does not depend on x


def test_docs_rules_table_is_up_to_date():
    tool = ROOT / "tools" / "rules_table.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("key", [("method", "sum"), np.sin, ("attr", "T")], ids=str)
def test_docs_name_every_kind_of_key(key):
    text = (ROOT / "docs" / "rules.md").read_text()
    spot = {("method", "sum"): "`x.sum(...)`", np.sin: "`numpy.sin`", ("attr", "T"): "`x.T`"}
    assert spot[key] in text
