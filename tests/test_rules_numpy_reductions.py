"""Rules of `tangent_ad/rules/numpy_reductions.py`: reductions over axis None,
an int, a tuple and with keepdims; their array methods; norms."""

import numpy as np
import pytest

import tangent_ad as ta
from rules_support import U, args, rule_catalogue
from support import check_case

CASES, case = rule_catalogue()

T3 = (2, 3, 4)


def shapes(lo=-1.0, hi=1.0):
    return [args(U((5,), lo, hi)), args(U(T3, lo, hi))]


# ----- Sums and means -----


@case(*shapes())
def sum_(x):
    return np.sum(np.sin(np.sum(x, axis=0))) + np.sum(x) ** 2


@case(args(U(T3)), args(U((3, 4))))
def sum_axes(x):
    a = np.sum(x, axis=(0, -1), keepdims=True)
    b = np.sum(x, axis=-1)
    return np.sum(np.sin(a)) + np.sum(np.cos(b)) + np.sum(np.sum(x, keepdims=True)) ** 2


@case(*shapes())
def sum_method(x):
    return np.sum(np.sin(x.sum(axis=-1, keepdims=True) * x)) + x.sum() ** 2


@case(*shapes())
def mean(x):
    return np.sum(np.sin(np.mean(x, axis=-1))) + np.mean(x) ** 2


@case(args(U(T3)), args(U((3, 4))))
def mean_keepdims(x):
    return np.sum(np.sin(np.mean(x, axis=(0, 1), keepdims=True) * x))


@case(*shapes())
def mean_method(x):
    return np.sum(np.sin(x.mean(axis=0))) + x.mean() ** 2


@case(args(np.array([1.0, np.nan, 0.5, -0.3])), args(np.array([[0.2, np.nan], [0.7, -1.0]])),
      autograd="autograd has no VJP for numpy.nansum")
def nansum(x):
    return np.sum(np.sin(np.nansum(x, axis=-1))) + np.nansum(x) ** 2


@case(args(np.array([1.0, np.nan, 0.5, -0.3])), args(np.array([[0.2, np.nan], [0.7, -1.0]])),
      autograd="autograd has no VJP for numpy.nanmean")
def nanmean(x):
    return np.sum(np.sin(np.nanmean(x, axis=-1, keepdims=True))) + np.nanmean(x) ** 2


@case(*shapes(0.5, 1.5))
def prod(x):
    return np.sum(np.sin(np.prod(x, axis=0))) + np.prod(x)


@case(args(np.array([0.5, 0.0, 2.0, -1.5])), args(np.array([[0.0, 0.0, 1.5], [0.7, 0.0, 1.2]])),
      autograd="autograd's prod gradient divides by the input (NaN at zeros)")
def prod_with_zeros(x):
    return np.prod(x) + np.sum(np.prod(x, axis=-1)) + np.sum(np.prod(x, axis=0, keepdims=True))


@case(args(U(T3, 0.5, 1.5)), args(U((3, 4), 0.5, 1.5)))
def prod_method(x):
    return np.sum(np.sin(x.prod(axis=(0, 1)))) + x.prod()


# ----- Extremes -----


@case(*shapes())
def max_(x):
    return np.sum(np.sin(np.max(x, axis=0))) + np.max(x) ** 2


@case(*shapes())
def amax(x):
    return np.sum(np.sin(np.amax(x, axis=-1, keepdims=True) * x))


@case(args(np.array([1.0, np.nan, 0.5, -0.3])), args(np.array([[0.2, np.nan], [0.7, -1.0]])),
      autograd="autograd has no VJP for numpy.nanmax")
def nanmax(x):
    return np.sum(np.sin(np.nanmax(x, axis=-1))) + np.nanmax(x) ** 2


@case(*shapes())
def min_(x):
    return np.sum(np.sin(np.min(x, axis=(0,)))) + np.min(x) ** 2


@case(*shapes())
def amin(x):
    return np.sum(np.sin(np.amin(x, axis=-1, keepdims=True) * x))


@case(args(np.array([1.0, np.nan, 0.5, -0.3])), args(np.array([[0.2, np.nan], [0.7, -1.0]])),
      autograd="autograd has no VJP for numpy.nanmin")
def nanmin(x):
    return np.sum(np.sin(np.nanmin(x, axis=0))) + np.nanmin(x) ** 2


@case(*shapes())
def max_min_methods(x):
    return np.sum(np.sin(x.max(axis=0) - x.min(axis=0))) + x.max() * x.min()


def test_max_ties_share_the_adjoint(rng):
    x = np.array([1.0, 3.0, 3.0, 2.0])
    np.testing.assert_allclose(ta.grad(max_)(x), [0.0, 0.5, 0.5, 0.0] * np.array(
        np.cos(3.0) + 2 * 3.0))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), (1, True), ((0, 2), False), ((0, 2), True), (-1, False)])
def test_max_mask_shares_ties_along_the_reduced_axes(axis, keepdims):
    from tangent_ad.helpers import max_mask

    x = np.array([[[1.0, 3.0], [3.0, 0.0]], [[2.0, 2.0], [-1.0, 3.0]], [[0.5, 0.5], [0.5, 0.5]]])
    y = np.max(x, axis=axis, keepdims=keepdims)
    wide = np.max(x, axis=axis, keepdims=True)
    hit = (x == wide).astype(float)
    expected = hit / hit.sum(axis=axis, keepdims=True)
    np.testing.assert_array_equal(max_mask(x, y, axis, keepdims), expected)


# ----- Spread -----


@case(*shapes())
def var(x):
    return np.sum(np.sin(np.var(x, axis=0))) + np.var(x)


@case(*shapes())
def var_ddof(x):
    return np.sum(np.sin(np.var(x, axis=-1, ddof=1, keepdims=True) * x)) + np.var(x, ddof=1)


@case(*shapes())
def std(x):
    return np.sum(np.sin(np.std(x, axis=0))) + np.std(x)


@case(*shapes())
def std_ddof(x):
    return np.sum(np.sin(np.std(x, axis=-1, ddof=1, keepdims=True) * x)) + np.std(x, ddof=1)


@case(*shapes(), autograd="autograd arrays have no var/std methods")
def var_std_methods(x):
    return np.sum(np.sin(x.var(axis=0))) + x.std(ddof=1) + x.var()


# ----- Cumulative -----


@case(*shapes())
def cumsum(x):
    return np.sum(np.sin(np.cumsum(x, axis=0))) + np.sum(np.cos(np.cumsum(x)))


@case(args(U(T3)), args(U((3, 4))))
def cumsum_last_axis(x):
    return np.sum(np.sin(np.cumsum(x, axis=-1)))


@case(*shapes(), autograd="autograd has no VJP for numpy.cumprod")
def cumprod(x):
    return np.sum(np.sin(np.cumprod(x, axis=0))) + np.sum(np.cos(np.cumprod(x)))


@case(args(np.array([0.5, 0.0, 2.0, -1.5])), args(np.array([[0.0, 0.9, 1.5], [0.7, 0.0, 1.2]])),
      autograd="autograd has no VJP for numpy.cumprod")
def cumprod_with_zeros(x):
    return np.sum(np.sin(np.cumprod(x, axis=-1)))


@case(*shapes(), autograd="autograd arrays have no cumsum/cumprod methods")
def cumulative_methods(x):
    return np.sum(np.sin(x.cumsum(axis=0))) + np.sum(np.sin(x.cumprod(axis=0)))


# ----- Trace and norms -----


@case(args(U((3, 3))), args(U((3, 4))))
def trace(x):
    return np.sin(np.trace(x)) + np.trace(x, 1) ** 2 + np.trace(x, -1) ** 3


@case(args(U(T3)), args(U((2, 2, 3))), autograd="autograd's trace has no axis1/axis2")
def trace_axes(x):
    return np.sum(np.sin(np.trace(x, axis1=1, axis2=2))) + np.sum(np.trace(x, 1, 0, 2) ** 2)


@case(args(U((3, 3))), args(U((3, 4))), autograd="autograd arrays have no trace method")
def trace_method(x):
    return np.sin(x.trace()) + x.trace(offset=1) ** 2


@case(*shapes())
def norm(x):
    return np.linalg.norm(x) + np.sum(np.sin(np.linalg.norm(x, axis=-1)))


@case(args(U((5,))), args(U((2, 4))), autograd="autograd's norm has no VJP for ord=1")
def norm_vector_ords(x):
    v = x.reshape(-1)
    return (np.linalg.norm(v, 1) + np.linalg.norm(v, np.inf) + np.linalg.norm(v, -np.inf)
            + np.linalg.norm(v, 3) + np.linalg.norm(v, 0.5) + np.linalg.norm(v, 0))


@case(args(U((3, 4))), args(U((2, 3, 3))), autograd="autograd's norm mishandles keepdims")
def norm_axis_keepdims(x):
    return np.sum(np.sin(np.linalg.norm(x, axis=-1, keepdims=True) * x))


@case(args(U((3, 4))), args(U((4, 3))), autograd="autograd's norm has no VJP for ord=2")
def norm_matrix_ords(x):
    return (np.linalg.norm(x, "fro") + np.linalg.norm(x, "nuc") + np.linalg.norm(x, 2)
            + np.linalg.norm(x, -2) + np.linalg.norm(x, 1) + np.linalg.norm(x, -1)
            + np.linalg.norm(x, np.inf) + np.linalg.norm(x, -np.inf))


@case(args(U((2, 3, 4))), args(U((3, 2, 2))),
      autograd="autograd's norm has no VJP for matrix ord=1 over a pair of axes")
def norm_matrix_axes(x):
    a = np.linalg.norm(x, "fro", axis=(0, 2))
    b = np.linalg.norm(x, 1, axis=(2, 1), keepdims=True)
    return np.sum(np.sin(a)) + np.sum(np.sin(b))


def norm_of_complex(x):
    return np.linalg.norm(x * 1j + 1.0)


def test_norm_refuses_complex_values():
    with pytest.raises(ta.TangentADError, match="norm of a complex value"):
        ta.grad(norm_of_complex)(np.ones(3))


def sum_with_where(x):
    return np.sum(x, where=x > 0)


def test_reduction_arguments_without_rule_are_refused():
    with pytest.raises(ta.TangentADError, match="arguments its derivative rule does not take"):
        ta.grad(sum_with_where)(np.ones(3))


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)
