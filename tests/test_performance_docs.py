"""docs/performance.md prints the benchmarks' generated gradients: they must
be what tangent_ad generates today (`tools/refresh_doc_listings.py` pastes
them in)."""

import pathlib
import re
import sys

import pytest

import tangent_ad as ta

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import workloads  # noqa: E402

DOC = ROOT / "docs" / "performance.md"

# (workload, optimize) in the order the listings appear in the doc
LISTINGS = [
    ("mlp_b128", False),
    ("mlp_b128", True),
    ("rnn", True),
    ("ode", True),
    ("heat", True),
]


def _generate(index):
    name, optimize = LISTINGS[index]
    workload = workloads.BY_NAME[name]
    args = workload.make_args("full")
    df = ta.grad(workload.primal, wrt=workload.wrt, optimize=optimize)
    return ta.source(df, *args).strip()


def generated_listings():
    """Today's listings, in the doc's order."""
    return [_generate(index) for index in range(len(LISTINGS))]


def _doc_listings():
    return re.findall(r"^(def d_\w+\(.*?)(?=\n```)", DOC.read_text(), re.S | re.M)


def test_the_doc_shows_every_listing():
    assert len(_doc_listings()) == len(LISTINGS)


@pytest.mark.parametrize("index", range(len(LISTINGS)))
def test_the_doc_prints_the_generated_code(index):
    assert _doc_listings()[index].strip() == _generate(index), (
        f"docs/performance.md is out of date: the listing of {LISTINGS[index]} "
        "(run tools/refresh_doc_listings.py)"
    )
