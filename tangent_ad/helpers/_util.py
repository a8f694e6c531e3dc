"""Small utilities the helpers share."""

import numbers

import numpy

from ..errors import TangentADError


# ----- Small utilities -----


def _normalize_axes(axis, ndim):
    """`axis` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, numbers.Integral):
        axis = (axis,)
    return tuple(sorted(int(a) % ndim for a in axis))


def _dtype(x):
    dtype = getattr(x, "dtype", None)
    if dtype is None or dtype.kind not in "fc":
        return numpy.float64
    return dtype


def _is_complex(x):
    if isinstance(x, complex):
        return True
    return getattr(getattr(x, "dtype", None), "kind", "f") == "c"


def _refuse_complex(x, function):
    if _is_complex(x):
        raise TangentADError(
            f"{function} of a complex value",
            hint="tangent_ad differentiates real-valued code only (see docs/rules.md, "
            "'Complex numbers'); split real and imaginary parts into real arrays",
        )


def either(first, second):
    """`first` unless it is None (NumPy 2 spells clip's bounds two ways)."""
    return first if first is not None else second
