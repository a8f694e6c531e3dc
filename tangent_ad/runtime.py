"""What generated code calls: the stack, broadcasting helpers, zeros.

Nothing here creates a NumPy array unconditionally: zeros, broadcasts and
scatters go through the array namespace of the value they stand in for, so
the same generated derivative runs on NumPy, CuPy and Dask arrays.
"""

import numbers

import numpy

from .containers import DictAdjoint, SeqAdjoint, add

__all__ = [
    "Stack",
    "Like",
    "like",
    "shape_of",
    "namespace",
    "unbroadcast",
    "unreduce",
    "zeros_like",
    "add_at",
    "unindex",
    "zero_at",
    "copy",
    "grad_seed",
    "check_unpack",
]


class Stack:
    """The stack of values the primal sweep saves for the reverse sweep."""

    __slots__ = ("_items", "push", "pop")

    def __init__(self):
        self._items = []
        self.push = self._items.append
        self.pop = self._items.pop

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return f"Stack({len(self._items)} items)"


# -- array namespaces ------------------------------------------------------

_NAMESPACES = {}


def namespace(x):
    """The array module of `x`: numpy, cupy or dask.array (numpy for scalars)."""
    if isinstance(x, Like):
        return x.xp
    kind = type(x)
    xp = _NAMESPACES.get(kind)
    if xp is None:
        xp = _NAMESPACES[kind] = _find_namespace(kind)
    return xp


def _find_namespace(kind):
    root = (kind.__module__ or "").split(".")[0]
    if root == "cupy":
        import cupy

        return cupy
    if root == "dask":
        import dask.array

        return dask.array
    return numpy


class Like:
    """Shape, dtype and array module of a value the reverse sweep no longer
    needs in full (saved instead of the array to keep memory low)."""

    __slots__ = ("shape", "dtype", "xp")

    def __init__(self, shape, dtype, xp):
        self.shape = shape
        self.dtype = dtype
        self.xp = xp

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        size = 1
        for extent in self.shape:
            size *= extent
        return size

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return f"Like(shape={self.shape}, dtype={self.dtype})"


_IMMUTABLE = (float, int, complex, bool, numpy.generic, type(None))


def like(x):
    """What the reverse sweep needs of `x` when only its shape matters."""
    if isinstance(x, _IMMUTABLE):
        return x
    shape = getattr(x, "shape", None)
    if shape is None:
        return x
    return Like(shape, x.dtype, namespace(x))


def shape_of(x):
    shape = getattr(x, "shape", None)
    if shape is None:
        if isinstance(x, (list, tuple)):
            return numpy.shape(x)
        return ()
    return tuple(shape)


# -- broadcasting ------------------------------------------------------------


def unbroadcast(g, x):
    """Sum the adjoint `g` of a broadcast result down to the shape of `x`."""
    shape = shape_of(x)
    gshape = shape_of(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0 and isinstance(g, numbers.Number):
        return g  # a number stands for the same value at every element (0.0: zero)
    if lead < 0:
        # x has leading axes of size 1 that the result dropped (an assignment
        # ``h[i] = v`` of a (1, n) value into a row of n): give g them back
        g = g.reshape((1,) * -lead + tuple(gshape))
        gshape, lead = shape_of(g), 0
        if gshape == shape:
            return g
    axes = list(range(lead))
    for i, extent in enumerate(shape):
        if extent == 1 and gshape[lead + i] != 1:
            axes.append(lead + i)
    summed = g.sum(axis=tuple(axes), keepdims=False) if axes else g
    if shape == ():
        return summed
    return summed.reshape(shape)


_FLOAT64 = numpy.dtype(numpy.float64)


def _normalize_axes(axis, ndim):
    if isinstance(axis, numbers.Integral):
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis))


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the adjoint `g` of a reduction of `x` back over `x`'s shape."""
    shape = shape_of(x)
    if shape == ():
        # of a NumPy 0-d array or scalar: a NumPy number (``.T`` of it works)
        if not isinstance(x, (numpy.ndarray, numpy.generic)):
            return g
        return numpy.asarray(g, dtype=x.dtype if x.dtype.kind == "f" and isinstance(g, (int, float)) else None)[()]
    xp = namespace(x)
    if isinstance(g, (int, float)) and getattr(x, "dtype", None) not in (None, _FLOAT64):
        if x.dtype.kind == "f":
            g = xp.asarray(g, dtype=x.dtype)  # a float32 x keeps float32 adjoints
    if axis is not None and not keepdims:
        axes = _normalize_axes(axis, len(shape))
        if axes:  # (axis=() reduces nothing: g has x's shape already)
            g = xp.expand_dims(g, axes) if len(axes) > 1 else xp.expand_dims(g, axes[0])
    if any(extent != extent for extent in shape):
        # sizes known only once computed (Dask, after a mask): by arithmetic
        return g + xp.zeros_like(x, dtype=_dtype_of(g, x))
    return xp.broadcast_to(g, shape)


def _dtype_of(g, x):
    """The dtype of `g` spread over `x`: x's float dtype, or float64."""
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None and dtype.kind == "f" else numpy.result_type(g, numpy.float64)


def _attributes(x):
    """(name, value) of an object's attributes: its `__dict__`, or its slots."""
    if hasattr(x, "__dict__"):
        return list(vars(x).items())
    names = [name for cls in type(x).__mro__ for name in getattr(cls, "__slots__", ())]
    return [(name, getattr(x, name)) for name in names if hasattr(x, name)]


_PLAIN_NUMBERS = frozenset({float, int, bool})


def zeros_like(x):
    """A zero adjoint for `x`: 0.0 for scalars, zeros in `x`'s array module."""
    if isinstance(x, (float, int, bool)):
        return 0.0
    if isinstance(x, complex):
        return 0j
    if isinstance(x, (list, tuple)):
        if set(map(type, x)) <= _PLAIN_NUMBERS:
            return SeqAdjoint([0.0] * len(x))  # (a long list of floats, at C speed)
        return SeqAdjoint(zeros_like(item) for item in x)
    if isinstance(x, dict):
        return DictAdjoint((key, zeros_like(value)) for key, value in x.items())
    if not hasattr(x, "shape") and (hasattr(x, "__dict__") or hasattr(type(x), "__slots__")):
        # an object: one adjoint per attribute that holds numbers or arrays
        return DictAdjoint(
            (key, zeros_like(value))
            for key, value in _attributes(x)
            if isinstance(value, (numbers.Number, list, tuple, dict)) or hasattr(value, "shape")
        )
    shape = shape_of(x)
    dtype = getattr(x, "dtype", None)
    if dtype is None or dtype.kind not in "fc":
        dtype = numpy.float64
    xp = namespace(x)
    if shape == () and xp is numpy and not isinstance(x, numpy.ndarray):
        return dtype.type(0.0) if hasattr(dtype, "type") else 0.0
    return xp.zeros(shape, dtype=dtype)


def copy(x):
    """A copy that later in-place updates may write into: arrays copied, and
    lists, tuples and dicts (adjoints of containers too) rebuilt, of the same
    type, around copies of their items."""
    if type(x) is numpy.ndarray:
        return x.copy()
    if isinstance(x, (list, tuple, dict)):
        if isinstance(x, dict):
            return type(x)((key, copy(value)) for key, value in x.items())
        items = [copy(item) for item in x]
        return x._make(items) if hasattr(x, "_make") else type(x)(items)
    method = getattr(x, "copy", None)
    return method() if method is not None else x


# -- indexing ----------------------------------------------------------------


def _is_basic(index):
    if isinstance(index, tuple):
        return all(_is_basic(part) for part in index)
    return index is None or index is Ellipsis or isinstance(index, (slice, numbers.Integral))


def _without_new_axes(index, g):
    """(index, g) for ``acc[index] += g`` with the new axes (None) read out
    of `g` instead of written through (Dask's writes take no None in their
    key): ``x[:, None]`` gives ``acc[:] += g[:, 0]``."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(part is None for part in parts):
        return index, g
    kept, picks = [], []
    for part in parts:
        if part is None:
            picks.append(0)  # a new axis of extent 1
            continue
        kept.append(part)
        if isinstance(part, slice):
            picks.append(slice(None))
        elif part is Ellipsis:
            picks.append(Ellipsis)
        # an integer drops its axis from `g` already
    return tuple(kept), g[tuple(picks)]


def add_at(acc, index, g):
    """acc[index] += g, in place, correct when `index` repeats elements."""
    if isinstance(acc, dict):
        # an object's class attribute read through it (``self.scale``) has
        # no entry of its own until then
        acc[index] = add(acc[index], g) if index in acc else g
        return acc
    if isinstance(acc, list):
        acc[index] = add(acc[index], g)
        return acc
    if getattr(index, "dtype", None) == bool and type(acc) is not numpy.ndarray and namespace(acc) is not numpy:
        # a mask read in a lazy array module (Dask): what it read has sizes
        # known only once computed, so it is added back by position
        return _add_by_position(acc, namespace(acc).flatnonzero(index), g)
    if _is_basic(index) or getattr(index, "dtype", None) == bool:
        if type(acc) is not numpy.ndarray:
            index, g = _without_new_axes(index, g)
        acc[index] += g
        return acc
    xp = namespace(acc)
    scatter = getattr(getattr(xp, "add", None), "at", None)
    if scatter is not None:
        scatter(acc, index, g)
        return acc
    # no unbuffered scatter-add in this array module (Dask): add the
    # contributions of repeated indices one occurrence at a time
    return _add_at_by_occurrence(acc, index, g)


def _add_at_by_occurrence(acc, index, g):
    """acc[index] += g for an index with integer arrays that may repeat, in
    an array module with no unbuffered scatter-add (Dask): the flat position
    of every element the index reads, and one weighted `bincount` over them
    (repeats add up)."""
    xp = namespace(acc)
    shape = tuple(shape_of(acc))
    read = numpy.arange(int(numpy.prod(shape, dtype=numpy.int64))).reshape(shape)[index]
    positions = read.reshape(-1)  # the flat position of each element read
    weights = (g + xp.zeros(read.shape, dtype=acc.dtype)).reshape(-1)  # g at every element read
    if xp is not numpy and hasattr(weights, "chunks"):
        positions = xp.from_array(positions, chunks=weights.chunks)
    return _add_by_position(acc, positions, weights)


def _add_by_position(acc, positions, weights):
    """acc += the `weights` added up at their flat `positions`, in place (a
    Dask array's `+=` would rebind, not write): one weighted `bincount`."""
    shape = tuple(shape_of(acc))
    size = int(numpy.prod(shape, dtype=numpy.int64))
    summed = namespace(acc).bincount(positions, weights=weights, minlength=size)
    acc[...] = acc + summed.reshape(shape).astype(acc.dtype)
    return acc


def unindex(g, x, index):
    """The adjoint of ``x[index]``: zeros shaped like `x` with `g` added at index."""
    zero = zeros_like(x)
    if isinstance(zero, numbers.Number):
        # a 0-d x (x[()], x[...], x[None]): a 0-d array, not the scalar
        # zeros_like gives, which could not be written into (here, nor by a
        # later ``d_x[()] += g``)
        zero = numpy.zeros((), dtype=getattr(zero, "dtype", numpy.float64))
    return add_at(zero, index, g)


def assigned(g, index):
    """The adjoint of `v` in ``y[index] = v``, from the adjoint `g` of `y`:
    ``g[index]``, except where `index` repeats an element. NumPy writes such
    an element once, from its last occurrence (``y[[0, 0]] = v`` is
    ``y[0] = v[1]``), so the earlier occurrences get zero."""
    taken = g[index]
    if isinstance(g, (list, dict)) or _is_basic(index) or getattr(index, "dtype", None) == bool:
        return taken
    xp = namespace(g)
    if isinstance(index, tuple):  # several index arrays: mark every element
        board_shape, tail = shape_of(g), ()
    else:  # one index array, over the first axis: mark rows
        board_shape, tail = shape_of(g)[:1], (1,) * (len(shape_of(g)) - 1)
    taken_shape = shape_of(taken)
    marked = taken_shape[: len(taken_shape) - len(tail)]
    ids = xp.arange(int(numpy.prod(marked))).reshape(marked)
    board = xp.full(board_shape, -1, dtype=ids.dtype)
    board[index] = ids  # NumPy's assignment: the last occurrence stays
    won = board[index] == ids
    if bool(won.all()):
        return taken
    return taken * won.reshape(marked + tail)


def zero_at(g, index):
    """A copy of the adjoint `g` with the elements at `index` set to zero."""
    if isinstance(g, numbers.Number):  # of a 0-d array (y[()] = v): all of it
        return numpy.zeros_like(g)[()]
    g = copy(g)
    g[index] = 0.0
    return g


# -- seeds -------------------------------------------------------------------


def grad_seed(y, function):
    """The seed 1.0 of a scalar output; any other output is refused."""
    shape = shape_of(y)
    if shape != ():
        from .errors import NonScalarOutputError

        raise NonScalarOutputError(
            "grad of a function whose output is not a scalar",
            detail=f"{function} returned a value of shape {shape}",
            hint=f"use ta.vjp({function}) with a seed shaped like the output, or ta.jacobian",
        )
    if isinstance(y, complex) or getattr(getattr(y, "dtype", None), "kind", "f") == "c":
        from .errors import NonScalarOutputError

        raise NonScalarOutputError(
            "grad of a complex-valued function",
            detail=f"{function} returned a complex value",
            hint="differentiate its real part (y.real) or abs(y)**2",
        )
    if not isinstance(y, numbers.Number) and not hasattr(y, "shape"):
        from .errors import NonScalarOutputError

        raise NonScalarOutputError(
            "grad of a function whose output is not a number",
            detail=f"{function} returned a {type(y).__name__}",
            hint="return a scalar loss",
        )
    return 1.0


def check_unpack(values, count):
    """Raise as Python does when unpacking `values` into `count` names fails
    (``a, b = t`` becomes ``a = t[0]; b = t[1]``, which would not)."""
    found = len(values)
    if found > count:
        raise ValueError(f"too many values to unpack (expected {count})")
    if found < count:
        raise ValueError(f"not enough values to unpack (expected {count}, got {found})")
