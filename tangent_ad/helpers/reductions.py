"""Adjoints of reductions and norms."""

import numbers

import numpy

from ..errors import TangentADError
from ..runtime import namespace, shape_of, unreduce, zeros_like
from ._util import _dtype, _normalize_axes, _refuse_complex


# ----- Reductions -----


def reduced_size(x, axis=None):
    """How many elements each output of a reduction over `axis` combines."""
    shape = shape_of(x)
    size = 1
    for a in _normalize_axes(axis, len(shape)):
        size *= shape[a]
    return size


def max_mask(x, y, axis=None, keepdims=False):
    """Where `x` attains the reduction result `y` (ties share equally)."""
    if axis is not None and not shape_of(x):
        axis = None  # (a 0-d x reduced along "its" axis 0 or -1: itself)
    if axis is not None and not keepdims:
        axes = _normalize_axes(axis, len(shape_of(x)))
        if axes:  # (axis=() reduces nothing)
            y = namespace(x).expand_dims(y, axes if len(axes) > 1 else axes[0])
    hit = x == y  # y broadcasts against x: no spread copy
    count = hit.sum(axis=axis, keepdims=True) if axis is not None else hit.sum()
    mask = hit / count
    dtype = getattr(x, "dtype", None)
    if getattr(dtype, "kind", None) == "f" and mask.dtype != dtype:
        mask = mask.astype(dtype)  # a float32 x keeps float32 adjoints
    return mask


def _ones_like(x):
    return namespace(x).ones_like(x)


def _exclusive_cumprod(x):
    """prod(x[..., :i]) along the last axis."""
    head = _ones_like(x[..., :1])
    return numpy.concatenate([head, numpy.cumprod(x[..., :-1], axis=-1)], axis=-1)


def prod_adjoint(g, a, axis=None, keepdims=False):
    """The adjoint of ``prod(a, axis)``: `g` times the product of the *other*
    elements, formed from exclusive products from both ends (no division, so
    zeros in `a` are handled exactly)."""
    shape = shape_of(a)
    if shape == ():
        return g
    axes = _normalize_axes(axis, len(shape))
    last = tuple(range(len(shape) - len(axes), len(shape)))
    moved = numpy.moveaxis(a, axes, last)
    flat = moved.reshape(tuple(moved.shape[: len(shape) - len(axes)]) + (-1,))
    left = _exclusive_cumprod(flat)
    right = numpy.flip(_exclusive_cumprod(numpy.flip(flat, -1)), -1)
    others = numpy.moveaxis((left * right).reshape(moved.shape), last, axes)
    return unreduce(g, a, axis, keepdims) * others


def var_adjoint(g, a, axis=None, ddof=0, keepdims=False):
    """var = sum((a - mean)^2) / (N - ddof);  d var / d a = 2 (a - mean) / (N - ddof)."""
    centred = a - numpy.mean(a, axis=axis, keepdims=True)
    scale = 2.0 / (reduced_size(a, axis) - ddof)
    return unreduce(g, a, axis, keepdims) * (scale * centred)


def std_adjoint(g, a, y, axis=None, ddof=0, keepdims=False):
    """std = sqrt(var);  d std / d a = (a - mean) / ((N - ddof) std), and 0
    where std is 0 (every element equal to the mean: a - mean is 0 there)."""
    return var_adjoint(g / (2.0 * _safe(y)), a, axis, ddof, keepdims)


def nan_mask(a):
    """1 where `a` is a number, 0 where it is NaN."""
    return ~numpy.isnan(a)


def nanmean_adjoint(g, a, axis=None, keepdims=False):
    """nanmean = nansum / (count of non-NaN elements)."""
    mask = nan_mask(a)
    count = mask.sum(axis=axis, keepdims=True) if axis is not None else mask.sum()
    return unreduce(g, a, axis, keepdims) * mask / count.astype(_dtype(a))  # (a's precision)


def uncumsum(g, a, axis=None):
    """The adjoint of ``cumsum(a, axis)``: the reversed cumulative sum of `g`
    (only the shape of `a` is read)."""
    if axis is None or not shape_of(a):  # (a 0-d `a` is summed as one element)
        flipped = numpy.flip(numpy.reshape(g, (-1,)))
        return numpy.reshape(numpy.flip(numpy.cumsum(flipped)), shape_of(a))
    return numpy.flip(numpy.cumsum(numpy.flip(g, axis), axis=axis), axis)


def cumprod_adjoint(g, a, y, axis=None):
    """The adjoint of ``y = cumprod(a, axis)``.

    d a_i = sum_{j >= i} g_j prod_{k <= j, k != i} a_k = y_{i-1} S_i with
    S_i = g_i + a_{i+1} S_{i+1}: a backward recurrence along the axis, with no
    division, so zeros in `a` are handled exactly.
    """
    shape = shape_of(a)
    if axis is None:
        a, y, axis = numpy.reshape(a, (-1,)), numpy.reshape(y, (-1,)), 0
    a0, g0, y0 = (numpy.moveaxis(v, axis, 0) for v in (a, g, y))
    if a0.shape[0] == 0:  # an empty axis: an empty adjoint
        return numpy.reshape(zeros_like(a), shape)
    sums = [g0[-1]]
    for i in range(a0.shape[0] - 2, -1, -1):
        sums.append(g0[i] + a0[i + 1] * sums[-1])
    before = numpy.concatenate([_ones_like(y0[:1]), y0[:-1]], axis=0)
    out = numpy.moveaxis(before * numpy.stack(sums[::-1]), 0, axis)
    return numpy.reshape(out, shape)


def _diagonal_length(shape, offset):
    rows = shape[-2] - max(-offset, 0)
    cols = shape[-1] - max(offset, 0)
    return max(0, min(rows, cols))


def undiagonal(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``diagonal(a, offset, axis1, axis2)``: zeros shaped like
    `a` (only its shape is read) with `g` on that diagonal."""
    shape = shape_of(a)
    axis1, axis2 = axis1 % len(shape), axis2 % len(shape)
    rest = tuple(shape[i] for i in range(len(shape)) if i not in (axis1, axis2))
    rows, cols = shape[axis1], shape[axis2]
    xp = namespace(a)
    # write through one flat index (Dask allows a single index array)
    dtype = _dtype(a) if getattr(getattr(a, "dtype", None), "kind", None) == "f" else _dtype(g)
    flat = xp.zeros(rest + (rows * cols,), dtype=dtype)  # (a's precision)
    first = max(-offset, 0) * cols + max(offset, 0)
    length = _diagonal_length((rows, cols), offset)
    flat[..., xp.arange(length) * (cols + 1) + first] = g
    out = xp.reshape(flat, rest + (rows, cols))
    return numpy.moveaxis(out, (-2, -1), (axis1, axis2))


def diag_adjoint(g, v, k=0):
    """The adjoint of ``diag(v, k)``: diagonal k of `g` for a vector `v`, or `g`
    put on diagonal k for a matrix `v` (only v's shape is read)."""
    if len(shape_of(v)) == 1:
        return numpy.diagonal(g, k)
    return undiagonal(g, v, k)


def untrace(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``trace(a, ...)``: `g` spread along the diagonal."""
    moved = shape_of(a)
    ndim = len(moved)
    rest = [moved[i] for i in range(ndim) if i not in (axis1 % ndim, axis2 % ndim)]
    length = _diagonal_length((moved[axis1], moved[axis2]), offset)
    diag = numpy.broadcast_to(numpy.expand_dims(g, -1), tuple(rest) + (length,))
    return undiagonal(diag, a, offset, axis1, axis2)


# ----- Norms -----


def _safe(y):
    """`y` with zeros replaced by ones (for 0/0 -> 0 in slopes)."""
    return y + (y == 0)


def _vector_slope(x, y, ord, axis):
    """d ||x||_ord / d x for vector norms; `y` is the norm broadcast to x."""
    if ord is None or ord == 2:
        return x / _safe(y)
    sign = numpy.sign(x)
    if ord == 1:
        return sign
    if ord in (numpy.inf, -numpy.inf):
        hit = abs(x) == y
        return sign * hit / hit.sum(axis=axis, keepdims=True).astype(_dtype(x))  # (x's precision)
    if ord == 0:
        return x * 0.0
    if isinstance(ord, numbers.Number):
        # ||x||_p = (sum |x|^p)^(1/p);  slope sign(x) (|x| / ||x||)^(p - 1)
        return sign * (abs(x) / _safe(y)) ** (ord - 1)
    raise TangentADError("numpy.linalg.norm with ord={!r} on vectors".format(ord))


def _matrix_slope(x, y, ord, axes):
    """d ||x||_ord / d x for matrix norms over `axes` (rows, cols)."""
    if ord is None or ord == "fro":
        return x / _safe(y)
    if ord in ("nuc", 2, -2):
        moved = numpy.moveaxis(x, axes, (-2, -1))
        u, _, vh = numpy.linalg.svd(moved, full_matrices=False)
        if ord == "nuc":
            slope = u @ vh  # d sum(s) = U V^T
        else:
            # d s_k = u_k v_k^T for the largest (2) or the smallest (-2) singular value
            k = slice(0, 1) if ord == 2 else slice(-1, None)
            slope = u[..., :, k] @ vh[..., k, :]
        return numpy.moveaxis(slope, (-2, -1), axes)
    if ord in (1, -1, numpy.inf, -numpy.inf):
        # 1: max over columns of the column sums of |x|; inf: the same for rows
        summed, across = (axes[0], axes[1]) if ord in (1, -1) else (axes[1], axes[0])
        sums = abs(x).sum(axis=summed, keepdims=True)
        hit = sums == y
        share = (hit / hit.sum(axis=across, keepdims=True)).astype(_dtype(x))  # (x's precision)
        return numpy.sign(x) * share
    raise TangentADError("numpy.linalg.norm with ord={!r} on matrices".format(ord))


def norm_adjoint(g, x, y, ord=None, axis=None, keepdims=False):
    """The adjoint of ``y = numpy.linalg.norm(x, ord, axis, keepdims)``.

    Vector norms: 2 (x / y), 1, inf, -inf, 0 and any other number p;
    matrix norms: 'fro', 'nuc', 2, -2 (through the SVD), 1, -1, inf, -inf.
    Where the norm is zero the slope is taken as zero.
    """
    _refuse_complex(x, "numpy.linalg.norm")
    ndim = len(shape_of(x))
    matrix = (axis is None and ord is not None and ndim == 2) or (
        axis is not None and not isinstance(axis, numbers.Integral) and len(axis) == 2
    )
    gx = unreduce(g, x, axis, keepdims)
    yx = unreduce(y, x, axis, keepdims)
    if matrix:
        axes = tuple(int(a) % ndim for a in (axis if axis is not None else (0, 1)))
        return gx * _matrix_slope(x, yx, ord, axes)
    return gx * _vector_slope(x, yx, ord, axis)
