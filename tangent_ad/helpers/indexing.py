"""Adjoints of indexing, array creation and builtins."""

import numpy

from ..containers import SeqAdjoint
from ..runtime import add_at, namespace, shape_of, unbroadcast, unindex, unreduce, zeros_like
from .elementwise import _weight


# ----- Indexing -----


def untake(g, a, indices, axis=None, mode="raise"):
    """The adjoint of ``take(a, indices, axis, mode)``: `g` added at the indices
    (repeats accumulate; only a's shape is read)."""
    shape = shape_of(a)
    out = zeros_like(a)
    if axis is None:
        out = numpy.reshape(out, (-1,))
    axis = 0 if axis is None else axis % len(shape)
    length = out.shape[axis]
    if mode == "wrap":
        indices = namespace(out).asarray(indices) % length
    elif mode == "clip":
        indices = namespace(out).clip(namespace(out).asarray(indices), 0, length - 1)
    return numpy.reshape(add_at(out, (slice(None),) * axis + (indices,), g), shape)


def untake_along_axis(g, arr, indices, axis=-1):
    """The adjoint of ``take_along_axis(arr, indices, axis)`` (only arr's shape
    is read)."""
    shape = shape_of(arr)
    out = zeros_like(arr)
    if axis is None:
        return numpy.reshape(add_at(numpy.reshape(out, (-1,)), indices, g), shape)
    axis = axis % len(shape)
    xp = namespace(out)
    index = []
    for dim, extent in enumerate(g.shape):
        if dim == axis:
            index.append(indices)
        else:
            along = [1] * len(g.shape)
            along[dim] = extent
            # arr may have had extent 1 here, broadcast against the indices
            index.append(xp.reshape(xp.arange(extent) % shape[dim], along))
    return add_at(out, tuple(index), g)


def unsort(g, a, axis=-1):
    """The adjoint of ``sort(a, axis)``: `g` sent back through the sorting
    permutation (ties take either order; the gradient is the same)."""
    if axis is None:
        order = numpy.argsort(numpy.reshape(a, (-1,)), kind="stable")
        return untake(g, a, order)
    order = numpy.argsort(a, axis=axis, kind="stable")
    return untake_along_axis(g, a, order, axis)


def unitem(g, x, args):
    """The adjoint of ``x.item(*args)``: `g` at that element."""
    shape = shape_of(x)
    if not args:
        return zeros_like(x) + g
    if len(args) == 1 and numpy.ndim(args[0]) == 0:
        flat = numpy.reshape(zeros_like(x), (-1,))
        flat[args[0]] += g
        return numpy.reshape(flat, shape)
    out = zeros_like(x)
    out[args[0] if len(args) == 1 else tuple(args)] += g
    return out


# ----- Creation -----


def linspace_adjoint(g, start, stop, num=50, endpoint=True, retstep=False, axis=0, which=0):
    """Adjoint of `start` (which=0) or `stop` (which=1) of linspace:
    y_i = start + t_i (stop - start) with t_i = i / div (div = num - 1 with the
    endpoint, num without); with retstep, step = (stop - start) / div too."""
    div = (num - 1 if endpoint else num) or 1
    step_g = None
    if retstep:
        g, step_g = g[0], g[1]
    xp = namespace(g)
    moved = numpy.moveaxis(g, axis, 0)
    t = xp.reshape(xp.arange(num) / div, (num,) + (1,) * (moved.ndim - 1))
    weight = t if which == 1 else 1 - t
    total = (moved * weight).sum(axis=0)
    if step_g is not None:
        total = total + (step_g / div if which == 1 else -step_g / div)
    return unbroadcast(total, start if which == 0 else stop)


def linspace_tangent(t_start, t_stop, start, stop, num=50, endpoint=True, retstep=False, axis=0):
    """The tangent of ``linspace(start, stop, ...)``, which is linear in (start,
    stop) together: linspace of the tangents, each first broadcast to the shape
    start and stop have together (a zero tangent is the scalar 0.0; only the
    shapes of start and stop are read)."""
    shape = numpy.broadcast_shapes(shape_of(start), shape_of(stop))
    t_start, t_stop = (numpy.broadcast_to(t, shape) for t in (t_start, t_stop))
    extra = {"axis": axis} if axis else {}  # (Dask's linspace takes no axis)
    return numpy.linspace(t_start, t_stop, num, endpoint, retstep, **extra)


# ----- Builtins -----


def unsum_sequence(g, items):
    """The adjoint of ``sum(items)``: a list (one per item, each summed to the
    item's shape), or for an array `items` (summed over axis 0) `g` spread
    back over that axis."""
    if hasattr(items, "shape"):
        return unreduce(g, items, 0)
    return SeqAdjoint(unbroadcast(g, item) for item in items)


def extreme_first(g, x1, x2, y):
    """The adjoint of the first argument of Python's max/min: `x1` when it is
    returned (max(a, b) returns a on ties), or for ``max(seq)`` `g` at the
    first element equal to the result: in zeros shaped like an array `seq`,
    in a list of zeros for a list or tuple."""
    if x2 is None:
        first = [i for i, item in enumerate(x1) if item == y][0]
        if hasattr(x1, "shape"):
            return unindex(g, x1, first)
        return SeqAdjoint(g if i == first else 0.0 * g for i in range(len(x1)))
    return g * _weight(x1 == y, x1)  # (x1's precision)


def zeros(x):
    xp = namespace(x)
    return xp.zeros(shape_of(x))
