"""Rules of `tangent_ad/rules/numpy_creation.py`: values that flow into new
arrays (full, full_like, linspace); shape-only creation has no derivative."""

import numpy as np
import pytest

from rules_support import U, args, rule_catalogue
from support import check_case

CASES, case = rule_catalogue()

BOTH = (0, 1)


@case(args(U(()), U((3,))), args(U((2, 1)), U((2, 3))), wrt=BOTH,
      autograd="autograd has no VJP for numpy.full")
def full(c, x):
    filled = np.full(x.shape, c)
    return np.sum(np.sin(filled * x))


@case(args(U(()), 4), args(U((1,)), 3), autograd="autograd has no VJP for numpy.full")
def full_scalar_shape(c, n):
    # a scalar shape and a scalar fill value: the adjoint is still the sum
    return np.sum(np.sin(np.full(n, c)) * np.arange(n))


@case(args(U(()), U((3,))), args(U((3,)), U((2, 3))), wrt=BOTH,
      autograd="autograd has no VJP for numpy.full_like")
def full_like(c, x):
    return np.sum(np.sin(np.full_like(x, c) * x))


@case(args(U(()), U(())), args(U((2,)), U((2,))), wrt=BOTH)
def linspace(start, stop):
    return np.sum(np.sin(np.linspace(start, stop, 5)))


@case(args(U(()), U(())), args(U((2,)), U((2,))), wrt=BOTH,
      autograd="autograd's linspace has no endpoint=")
def linspace_no_endpoint(start, stop):
    return np.sum(np.cos(np.linspace(start, stop, 4, endpoint=False)))


@case(args(U(()), U(())), args(U((2,)), U((2,))), wrt=BOTH,
      autograd="autograd's linspace has no retstep= or axis=")
def linspace_retstep_axis(start, stop):
    samples, step = np.linspace(start, stop, 5, retstep=True)
    moved = np.linspace(start, stop, 3, axis=-1)
    return np.sum(np.sin(samples)) + np.sum(step ** 2) + np.sum(np.cos(moved) * np.arange(3))


@case(args(U((3,))), args(U((2, 3))))
def creation_is_flat(x):
    z = np.zeros_like(x) + np.ones(x.shape) + np.eye(3)[0] + np.arange(3.0)
    return np.sum(np.sin(x) * z)


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)
