"""NumPy shape functions: reshaping, transposition, joining and splitting,
repetition, flips, rolls and padding.

Each adjoint undoes the shape change on the incoming adjoint. Functions that
take a sequence of arrays (concatenate, stack) produce a list of adjoints,
one per element; functions that return a list (split) receive one.
"""

import numpy as np

from ..helpers import (
    cast_adjoint,
    hsplit_axis,
    negated,
    pad_fill_adjoint,
    real_part_adjoint,
    undiff,
    unreshape,
    unconcatenate,
    unitem,
    unpad,
    unrepeat,
    unsplit,
    unstack,
    unstack_along,
    untile,
    untranspose,
)
from ..runtime import shape_of, unbroadcast
from .registry import adjoint, fresh, method, nondifferentiable, scalar_result

# ----- Reshaping -----


@adjoint(np.reshape)
def reshape(y, a, newshape=None, order="C", shape=None, copy=None):
    # reshape back in the same index order (C or F)
    d[a] = unreshape(d[y], a, order)


@adjoint(("method", "reshape"))
def reshape_method(y, x, *shape, order="C", copy=None):
    d[x] = unreshape(d[y], x, order)


@adjoint(np.ravel)
def ravel(y, a, order="C"):
    d[a] = unreshape(d[y], a, order)


@adjoint(("method", "ravel"), ("method", "flatten"))
def ravel_method(y, x, order="C"):
    d[x] = unreshape(d[y], x, order)


@adjoint(np.squeeze)
def squeeze(y, a, axis=None):
    d[a] = np.reshape(d[y], shape_of(a))


@adjoint(np.expand_dims)
def expand_dims(y, a, axis):
    d[a] = np.reshape(d[y], shape_of(a))


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast(y, a):
    d[a] = np.reshape(d[y], shape_of(a))


@adjoint(np.broadcast_to)
def broadcast_to(y, array, shape, subok=False):
    d[array] = unbroadcast(d[y], array)


# ----- Transposition -----


@adjoint(np.transpose)
def transpose(y, a, axes=None):
    d[a] = untranspose(d[y], axes)


@adjoint(("method", "transpose"))
def transpose_method(y, x, *axes):
    d[x] = untranspose(d[y], axes or None)


@adjoint(("attr", "T"))
def T(y, x):
    d[x] = d[y].T


_MATRIX_TRANSPOSE = [("attr", "mT")] + [np.matrix_transpose] * hasattr(np, "matrix_transpose")


@adjoint(*_MATRIX_TRANSPOSE)
def mT(y, x):
    d[x] = np.swapaxes(d[y], -1, -2)


@adjoint(np.swapaxes)
def swapaxes(y, a, axis1, axis2):
    d[a] = np.swapaxes(d[y], axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis(y, a, source, destination):
    d[a] = np.moveaxis(d[y], destination, source)


# ----- Joining and splitting -----


@adjoint(np.concatenate)
def concatenate(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unconcatenate(d[y], arrays, axis)


@adjoint(np.stack)
def stack(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unstack(d[y], arrays, axis)


@adjoint(np.hstack)
def hstack(y, tup, dtype=None, casting="same_kind"):
    d[tup] = unstack_along(d[y], tup, "hstack")


@adjoint(np.vstack)
def vstack(y, tup, dtype=None, casting="same_kind"):
    d[tup] = unstack_along(d[y], tup, "vstack")


@adjoint(np.dstack)
def dstack(y, tup):
    d[tup] = unstack_along(d[y], tup, "dstack")


@adjoint(np.column_stack)
def column_stack(y, tup):
    d[tup] = unstack_along(d[y], tup, "column_stack")


@adjoint(np.split, np.array_split)
def split(y, ary, indices_or_sections, axis=0):
    # d[y] is a list, one adjoint per piece
    d[ary] = unsplit(d[y], ary, indices_or_sections, axis)


@adjoint(np.hsplit)
def hsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], ary, indices_or_sections, hsplit_axis(ary))


@adjoint(np.vsplit)
def vsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], ary, indices_or_sections, 0)


# ----- Repetition, flips, rolls, padding -----


@adjoint(np.tile)
def tile(y, A, reps):
    d[A] = untile(d[y], A, reps)


@adjoint(np.repeat)
def repeat(y, a, repeats, axis=None):
    d[a] = unrepeat(d[y], a, repeats, axis)


@adjoint(np.flip)
def flip(y, m, axis=None):
    d[m] = np.flip(d[y], axis)


@adjoint(np.fliplr)
def fliplr(y, m):
    d[m] = np.fliplr(d[y])


@adjoint(np.flipud)
def flipud(y, m):
    d[m] = np.flipud(d[y])


@adjoint(np.roll)
def roll(y, a, shift, axis=None):
    d[a] = np.roll(d[y], negated(shift), axis)


@adjoint(np.pad)
def pad(y, array, pad_width, mode="constant", constant_values=0, **options):
    # constant: the inner block; edge/reflect/symmetric/wrap: copies added back;
    # other modes raise at run time
    d[array] = unpad(d[y], array, pad_width, mode, options)
    d[constant_values] = pad_fill_adjoint(d[y], array, pad_width, constant_values)


@adjoint(np.diff)
def diff(y, a, n=1, axis=-1):
    d[a] = undiff(d[y], n, axis)


# ----- Copies, casts and views that keep the values -----


@adjoint(("method", "copy"), np.copy)
def copy(y, a, *args, **kwargs):
    d[a] = d[y]


@adjoint(np.array)
def array(y, object, dtype=None, *args, **kwargs):
    # also gathers a (nested) list of arrays into one: d[object] is then an
    # array whose rows go to the list's elements
    d[object] = cast_adjoint(np.reshape(d[y], shape_of(object)), dtype)


@adjoint(np.asarray, np.ascontiguousarray)
def asarray(y, a, dtype=None, *args, **kwargs):
    d[a] = cast_adjoint(np.reshape(d[y], shape_of(a)), dtype)


@adjoint(("method", "astype"))
def astype(y, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    # a cast to an integer type has a zero derivative
    d[x] = cast_adjoint(d[y], dtype)


@adjoint(("attr", "real"), np.real)
def real(y, val):
    d[val] = real_part_adjoint(d[y], val)


@adjoint(("method", "item"))
def item(y, x, *args):
    d[x] = unitem(d[y], x, args)


method("swapaxes", np.swapaxes)
method("squeeze", np.squeeze)
method("repeat", np.repeat)

nondifferentiable(np.shape, np.ndim, np.size, ("attr", "shape"), ("attr", "ndim"),
                  ("attr", "size"), ("attr", "dtype"))
scalar_result("always", np.ndim, np.size, ("method", "item"))
fresh(
    np.copy, np.array, ("method", "copy"), ("method", "astype"), ("method", "flatten"),
    np.concatenate, np.stack, np.hstack, np.vstack, np.dstack, np.column_stack, np.tile,
    np.repeat, ("method", "repeat"), np.roll, np.pad, np.diff,
    # helpers that always return a new array (so its adjoint may be updated in place)
    unsplit, untile, unrepeat, unitem,
)
