"""docs/control-flow.md prints generated code: it must be what tangent_ad
generates today, and the examples it shows must be correct."""

import inspect
import pathlib
import re

import numpy as np
import pytest

import tangent_ad as ta

import control_flow_examples as examples

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "control-flow.md"
ARGS = examples.example_arguments()

# (name, wrt, specialised?) in the order the listings appear in the doc
LISTINGS = [
    ("rnn", (0, 1, 2), False),
    ("rnn", (0, 1, 2), True),
    ("clipped", (0,), True),
    ("newton_sqrt", (0,), True),
    ("first_above", (0,), True),
    ("scaled", (0,), True),
    ("heat", (0, 1), True),
]


def _generate(index):
    name, wrt, specialised = LISTINGS[index]
    df = ta.grad(getattr(examples, name), wrt=wrt)
    return (ta.source(df, *ARGS[name]) if specialised else ta.source(df)).strip()


def generated_listings():
    """Today's listings, in the doc's order (`tools/refresh_doc_listings.py`)."""
    return [_generate(index) for index in range(len(LISTINGS))]


def _generated_listings():
    text = DOC.read_text()
    return re.findall(r"^(def d_\w+\(.*?)(?=\n```)", text, re.S | re.M)


def _source_listings():
    text = DOC.read_text()
    return {m.group(1): m.group(0) for m in re.finditer(r"^def (\w+)\(.*?(?=\n```)", text, re.S | re.M)
            if not m.group(1).startswith("d_")}


def test_the_doc_shows_every_listing_in_order():
    names = [re.match(r"def d_(\w+)", block).group(1) for block in _generated_listings()]
    assert names == [name for name, _, _ in LISTINGS]


@pytest.mark.parametrize("index", range(len(LISTINGS)))
def test_the_doc_prints_the_generated_code(index):
    name, _, specialised = LISTINGS[index]
    assert _generated_listings()[index].strip() == _generate(index), (
        f"docs/control-flow.md is out of date: paste the derivative of {name} "
        f"({'specialised' if specialised else 'generic'}) into it (tools/refresh_doc_listings.py)"
    )


@pytest.mark.parametrize("name", sorted(ARGS))
def test_the_doc_shows_the_example_source(name):
    shown = _source_listings()[name]
    assert shown.strip() == inspect.getsource(getattr(examples, name)).strip()


@pytest.mark.parametrize("name, wrt", sorted({(n, w) for n, w, _ in LISTINGS}))
def test_the_examples_differentiate_correctly(name, wrt):
    args = ARGS[name]
    if name == "newton_sqrt":
        np.testing.assert_allclose(ta.grad(examples.newton_sqrt)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-10)
        return
    ta.check_grad(getattr(examples, name), *args, wrt=wrt, rtol=1e-6, atol=1e-8)
