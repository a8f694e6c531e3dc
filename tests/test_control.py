"""Every control-flow catalogue function against finite differences and autograd."""

import pytest

from catalogue_control import BUGS, CASES
from support import check_case


def _params(cases, bugs):
    """The cases, with a strict expected failure on those hitting a known bug."""
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=bugs[c.id]))
        if c.id in bugs
        else pytest.param(c, id=c.id)
        for c in cases
    ]


@pytest.mark.parametrize("case", _params(CASES, BUGS))
def test_gradient(case, rng):
    check_case(case, rng)


@pytest.mark.parametrize("case", _params(CASES, BUGS))
def test_gradient_unoptimized(case, rng):
    check_case(case, rng, optimize=False)


def test_catalogue_size():
    assert len(CASES) >= 55


def test_catalogue_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert set(BUGS) <= set(ids)
