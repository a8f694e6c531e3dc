"""Numeric helpers that derivative templates call (part of the runtime).

Each is a small, array-module-agnostic function: it calls methods of its
arguments or the `numpy` API (which CuPy and Dask arrays dispatch through
``__array_function__``), never a NumPy constructor on its own.
"""

import numbers

import numpy

from .runtime import namespace, shape_of, unbroadcast


def clip_inside(a, a_min, a_max):
    """1 where `a` lies within [a_min, a_max] (None means unbounded), else 0."""
    mask = True
    if a_min is not None:
        mask = mask & (a >= a_min)
    if a_max is not None:
        mask = mask & (a <= a_max)
    return mask


def reduced_size(x, axis=None):
    """How many elements each output of a reduction over `axis` combines."""
    shape = shape_of(x)
    if axis is None:
        size = 1
        for extent in shape:
            size *= extent
        return size
    if isinstance(axis, numbers.Integral):
        axis = (axis,)
    size = 1
    for a in axis:
        size *= shape[a]
    return size


def untranspose(g, axes=None):
    """The adjoint of ``transpose(x, axes)``: transpose back."""
    if axes is None:
        return numpy.transpose(g)
    inverse = [0] * len(axes)
    for position, axis in enumerate(axes):
        inverse[axis % len(axes)] = position
    return numpy.transpose(g, inverse)


def _as_matrix_args(g, a, b):
    """Promote 1-D operands of matmul to matrices (and the adjoint with them)."""
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if a_vec:
        a = a.reshape((1,) + a.shape)
        g = numpy.expand_dims(g, -2)
    if b_vec:
        b = b.reshape(b.shape + (1,))
        g = numpy.expand_dims(g, -1)
    return g, a, b, a_vec, b_vec


def matmul_lhs(g, a, b):
    """Adjoint of `a` in ``a @ b`` (1-D, 2-D and batched operands)."""
    if getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2:
        return g @ b.T
    if a.ndim == 1 and b.ndim == 1:
        return g * b
    g, a2, b2, a_vec, _ = _as_matrix_args(g, a, b)
    result = g @ numpy.swapaxes(b2, -1, -2)
    if a_vec:
        result = result[..., 0, :]
    return unbroadcast(result, a)


def matmul_rhs(g, a, b):
    """Adjoint of `b` in ``a @ b`` (1-D, 2-D and batched operands)."""
    if getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2:
        return a.T @ g
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    g, a2, b2, _, b_vec = _as_matrix_args(g, a, b)
    result = numpy.swapaxes(a2, -1, -2) @ g
    if b_vec:
        result = result[..., 0]
    return unbroadcast(result, b)


def dot_lhs(g, a, b):
    """Adjoint of `a` in ``np.dot(a, b)``."""
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
        return unbroadcast(g * b, a)
    _check_dot(b)
    return matmul_lhs(g, a, b)


def dot_rhs(g, a, b):
    """Adjoint of `b` in ``np.dot(a, b)``."""
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
        return unbroadcast(g * a, b)
    _check_dot(b)
    if numpy.ndim(a) > 2:
        # dot(a, b) with b 1-D/2-D contracts a's last axis: fold a's leading axes
        a2 = a.reshape((-1, a.shape[-1]))
        g2 = g.reshape((a2.shape[0],) + tuple(shape_of(b)[1:]))
        return matmul_rhs(g2, a2, b)
    return matmul_rhs(g, a, b)


def _check_dot(b):
    if numpy.ndim(b) > 2:
        from .errors import TangentADError

        raise TangentADError(
            "numpy.dot with a second argument of more than two dimensions",
            hint="use np.matmul (@) or np.einsum, whose derivatives are supported",
        )


def outer_lhs(g, a, b):
    return (g @ numpy.ravel(b)).reshape(shape_of(a))


def outer_rhs(g, a, b):
    return (numpy.ravel(a) @ g).reshape(shape_of(b))


def max_mask(x, y, axis=None, keepdims=False):
    """Where `x` attains the reduction result `y` (ties share equally)."""
    from .runtime import unreduce

    hit = x == unreduce(y, x, axis, keepdims)
    count = hit.sum(axis=axis, keepdims=True) if axis is not None else hit.sum()
    return hit / count


def zeros(x):
    xp = namespace(x)
    return xp.zeros(shape_of(x))
