"""Every straight-line catalogue function against finite differences and autograd."""

import pytest

from catalogue_straightline import CASES
from support import check_case


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_gradient(case, rng):
    check_case(case, rng)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_gradient_unoptimized(case, rng):
    check_case(case, rng, optimize=False)


def test_catalogue_size():
    assert len(CASES) >= 60
