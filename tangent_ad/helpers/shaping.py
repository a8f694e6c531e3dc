"""Adjoints of concatenation, stacking and splitting, repetition, padding and rolling."""

import numpy

from ..containers import SeqAdjoint
from ..errors import TangentADError
from ..runtime import add_at, namespace, shape_of, zeros_like
from ._util import _dtype


# ----- Shapes: concatenation and splitting -----


def _slices(sizes, axis):
    start = 0
    for size in sizes:
        yield (slice(None),) * axis + (slice(start, start + size),)
        start += size


def _split_pieces(g, shapes, axis):
    """Cut `g` along `axis` into pieces of the given shapes (views)."""
    return [g[index] for index in _slices([s[axis] for s in shapes], axis)]


def unconcatenate(g, arrays, axis=0):
    """The adjoint of ``concatenate(arrays, axis)``: a list, one piece of `g`
    per array (axis=None: the arrays were flattened)."""
    shapes = [shape_of(x) for x in arrays]
    if axis is None:
        pieces = _split_pieces(g, [(_size(s),) for s in shapes], 0)
        return SeqAdjoint(numpy.reshape(p, s) for p, s in zip(pieces, shapes))
    return SeqAdjoint(_split_pieces(g, shapes, axis % max(len(shapes[0]), 1)))


def _size(shape):
    size = 1
    for extent in shape:
        size *= extent
    return size


def unstack(g, arrays, axis=0):
    """The adjoint of ``stack(arrays, axis)``: the slices of `g` along `axis`."""
    moved = numpy.moveaxis(g, axis, 0)
    return SeqAdjoint(moved[i] for i in range(len(arrays)))


def _promoted(shape, ndmin):
    """Shapes of atleast_1d/2d/3d."""
    if ndmin == 1:
        return shape if shape else (1,)
    if ndmin == 2:
        return {0: (1, 1), 1: (1,) + shape}.get(len(shape), shape)
    return {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}.get(len(shape), shape)


def unstack_along(g, arrays, kind):
    """The adjoint of hstack / vstack / dstack / column_stack (`kind`)."""
    shapes = [shape_of(x) for x in arrays]
    if kind == "hstack":
        used = [_promoted(s, 1) for s in shapes]
        axis = 0 if len(used[0]) == 1 else 1
    elif kind == "vstack":
        used, axis = [_promoted(s, 2) for s in shapes], 0
    elif kind == "dstack":
        used, axis = [_promoted(s, 3) for s in shapes], 2
    else:  # column_stack: vectors become columns
        used, axis = [s + (1,) if len(s) == 1 else _promoted(s, 2) for s in shapes], 1
    pieces = _split_pieces(g, used, axis)
    return SeqAdjoint(numpy.reshape(p, s) for p, s in zip(pieces, shapes))


def _split_slices(length, indices_or_sections):
    """The slice of each piece, as numpy.array_split cuts them."""
    if numpy.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        each, extra = divmod(length, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        cuts = [sum(sizes[:i]) for i in range(sections + 1)]
    else:
        cuts = [0] + [int(i) for i in indices_or_sections] + [length]
    return [slice(i, j) for i, j in zip(cuts[:-1], cuts[1:])]


def unsplit(g, ary, indices_or_sections, axis=0):
    """The adjoint of ``split(ary, ...)`` (and array_split): `g` is a list of
    adjoints, one per piece (arrays or zeros); only ary's shape is read."""
    shape = shape_of(ary)
    axis = axis % len(shape)
    out = zeros_like(ary)
    for piece_slice, piece in zip(_split_slices(shape[axis], indices_or_sections), g):
        out[(slice(None),) * axis + (piece_slice,)] += piece
    return out


def hsplit_axis(ary):
    """The axis numpy.hsplit cuts along."""
    return 1 if len(shape_of(ary)) > 1 else 0


# ----- Shapes: repetition, padding, rolling -----


def unreshape(g, x, order="C"):
    """The adjoint of a reshape (or ravel) of `x` in index order 'C' or 'F':
    reshape back in that order (only x's shape is read). Orders 'A' and 'K'
    depend on x's memory layout and are refused."""
    if order not in ("C", "F", None):
        raise TangentADError(
            "a reshape or ravel with order={!r}".format(order),
            hint="pass order='C' or order='F' explicitly",
        )
    if order in ("C", None) and hasattr(g, "reshape"):
        return g.reshape(shape_of(x))  # (Dask's reshape takes no order)
    if order is None:
        order = "C"  # (a Python number: the adjoint of a 0-d result)
    return numpy.reshape(g, shape_of(x), order=order)


def untile(g, A, reps):
    """The adjoint of ``tile(A, reps)``: sum the copies (only A's shape is read)."""
    reps = (int(reps),) if numpy.ndim(reps) == 0 else tuple(int(r) for r in reps)
    shape = shape_of(A)
    nd = max(len(shape), len(reps))
    padded = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    blocks = numpy.reshape(g, tuple(e for pair in zip(reps, padded) for e in pair))
    return numpy.reshape(blocks.sum(axis=tuple(range(0, 2 * nd, 2))), shape)


def unrepeat(g, a, repeats, axis=None):
    """The adjoint of ``repeat(a, repeats, axis)``: sum each element's copies
    (only a's shape is read)."""
    shape = shape_of(a)
    if axis is None:
        flat_shape, axis = (_size(shape),), 0
    else:
        axis = axis % len(shape)
        flat_shape = shape
    length = flat_shape[axis]
    moved = numpy.moveaxis(g, axis, 0)
    if numpy.size(repeats) == 1:
        count = int(numpy.reshape(repeats, (-1,))[0]) if numpy.ndim(repeats) else int(repeats)
        summed = numpy.reshape(moved, (length, count) + tuple(moved.shape[1:])).sum(axis=1)
    else:
        xp = namespace(g)
        owner = xp.repeat(xp.arange(length), repeats)
        summed = xp.zeros((length,) + tuple(moved.shape[1:]), dtype=_dtype(g))
        add_at(summed, owner, moved)
    return numpy.reshape(numpy.moveaxis(summed, 0, axis), shape)


def negated(shift):
    """-shift for an int or a tuple of ints (np.roll's shift)."""
    if numpy.ndim(shift) == 0:
        return -shift
    return tuple(-s for s in shift)


def undiff(g, a, n=1, axis=-1):
    """The adjoint of ``diff(a, n, axis)``: y_i = a_(i+1) - a_i, so
    d a_j = g_(j-1) - g_j (with g zero beyond its ends), applied n times.
    A diff of no elements (`n` at least `a`'s extent) reads nothing of `a`
    (only `a`'s shape is read)."""
    shape = tuple(shape_of(a))
    if shape and shape[axis % len(shape)] <= n:
        return namespace(g).zeros(shape, dtype=_dtype(g))
    for _ in range(n):
        ndim = len(shape_of(g))
        ax = axis % ndim
        first = (slice(None),) * ax + (slice(0, 1),)
        last = (slice(None),) * ax + (slice(-1, None),)
        g = numpy.concatenate([-g[first], -numpy.diff(g, axis=ax), g[last]], axis=ax)
    return g


_GATHER_PADS = ("edge", "reflect", "symmetric", "wrap")


def _pad_widths(pad_width, ndim):
    """(before, after) per axis, as numpy.pad reads `pad_width` (host ints)."""
    widths = numpy.broadcast_to(numpy.asarray(pad_width, dtype=int), (ndim, 2))
    return [(int(before), int(after)) for before, after in widths]


def unpad(g, array, pad_width, mode="constant", options=None):
    """The adjoint of ``pad(array, pad_width, mode, **options)`` (only array's
    shape is read). 'constant'/'empty': the inner block of `g`; the modes that
    copy elements ('edge', 'reflect', 'symmetric', 'wrap'): every copy's
    adjoint added back through the map of which element went where."""
    shape = shape_of(array)
    options = options or {}
    if mode in ("constant", "empty"):
        widths = _pad_widths(pad_width, len(shape))
        return g[tuple(slice(before, before + n) for (before, _), n in zip(widths, shape))]
    if mode in _GATHER_PADS and options.get("reflect_type", "even") == "even":
        xp = namespace(g)
        where = xp.pad(xp.reshape(xp.arange(_size(shape)), shape), pad_width, mode, **options)
        out = xp.zeros((_size(shape),), dtype=_dtype(g))
        add_at(out, xp.reshape(where, (-1,)), xp.reshape(g, (-1,)))
        return xp.reshape(out, shape)
    odd = " and reflect_type='odd'" if mode in _GATHER_PADS else ""
    raise TangentADError(
        "numpy.pad with mode={!r}{}".format(mode, odd),
        hint="differentiable pad modes: 'constant', 'empty', 'edge', 'reflect', 'symmetric', "
        "'wrap' (with reflect_type='even')",
    )


def pad_fill_adjoint(g, array, pad_width, constant_values=0):
    """The adjoint of pad's scalar `constant_values`: the sum of `g` outside the
    inner block."""
    if numpy.ndim(constant_values) != 0:
        raise TangentADError(
            "numpy.pad with differentiated per-axis constant_values",
            hint="pass one scalar constant_values, or pad with zeros and add",
        )
    if _holds_integers(array):
        return 0.0  # padded with the value cast to integers: piecewise constant
    return g.sum() - unpad(g, array, pad_width).sum()


def _holds_integers(array):
    dtype = getattr(array, "dtype", None)
    kind = dtype.kind if dtype is not None else numpy.asarray(array).dtype.kind
    return kind not in "fc"
