"""NumPy shape functions: reshaping, transposition, joining and splitting,
repetition, flips, rolls and padding.

Each adjoint undoes the shape change on the incoming adjoint. Functions that
take a sequence of arrays (concatenate, stack) produce a list of adjoints,
one per element; functions that return a list (split) receive one.

Every function here is linear in its array arguments, so each tangent rule
(after its adjoint) applies the function itself to the tangents; reshapes
take the result's shape, and copies copy (a tangent must not share memory
that a later in-place write to either array would change).
"""

import numpy as np

from ..helpers import (
    hsplit_axis,
    negated,
    pad_fill_adjoint,
    real_identity,
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
from ..runtime import copy as copy_value
from ..runtime import shape_of, unbroadcast
from ..tangent_helpers import item_tangent, method_axes, pad_tangent
from .registry import adjoint, fresh, linear, method, nondifferentiable, scalar_result, tangent

# ----- Reshaping -----


@adjoint(np.reshape)
def reshape(y, a, newshape=None, order="C", shape=None, copy=None):
    # reshape back in the same index order (C or F)
    d[a] = unreshape(d[y], a, order)


@tangent(np.reshape)
def reshape_tangent(y, a, newshape=None, order="C", shape=None, copy=None):
    d[y] = unreshape(d[a], y, order)


@adjoint(("method", "reshape"))
def reshape_method(y, x, *shape, order="C", copy=None):
    d[x] = unreshape(d[y], x, order)


@tangent(("method", "reshape"))
def reshape_method_tangent(y, x, *shape, order="C", copy=None):
    d[y] = unreshape(d[x], y, order)


@adjoint(np.ravel)
def ravel(y, a, order="C"):
    d[a] = unreshape(d[y], a, order)


@tangent(np.ravel)
def ravel_tangent(y, a, order="C"):
    d[y] = unreshape(d[a], y, order)


@adjoint(("method", "ravel"), ("method", "flatten"))
def ravel_method(y, x, order="C"):
    d[x] = unreshape(d[y], x, order)


@tangent(("method", "ravel"), ("method", "flatten"))
def ravel_method_tangent(y, x, order="C"):
    d[y] = unreshape(d[x], y, order)


@adjoint(np.squeeze)
def squeeze(y, a, axis=None):
    d[a] = np.reshape(d[y], shape_of(a))


@tangent(np.squeeze)
def squeeze_tangent(y, a, axis=None):
    d[y] = np.reshape(d[a], shape_of(y))


@adjoint(np.expand_dims)
def expand_dims(y, a, axis):
    d[a] = np.reshape(d[y], shape_of(a))


@tangent(np.expand_dims)
def expand_dims_tangent(y, a, axis):
    d[y] = np.reshape(d[a], shape_of(y))


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast(y, a):
    d[a] = np.reshape(d[y], shape_of(a))


@tangent(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_tangent(y, a):
    d[y] = np.reshape(d[a], shape_of(y))


@adjoint(np.broadcast_to)
def broadcast_to(y, array, shape, subok=False):
    d[array] = unbroadcast(d[y], array)


@tangent(np.broadcast_to)
def broadcast_to_tangent(y, array, shape, subok=False):
    d[y] = np.broadcast_to(d[array], shape_of(y))


# ----- Transposition -----


@adjoint(np.transpose)
def transpose(y, a, axes=None):
    d[a] = untranspose(d[y], axes)


@tangent(np.transpose)
def transpose_tangent(y, a, axes=None):
    d[y] = np.transpose(d[a], axes)


@adjoint(("method", "transpose"))
def transpose_method(y, x, *axes):
    d[x] = untranspose(d[y], axes or None)


@tangent(("method", "transpose"))
def transpose_method_tangent(y, x, *axes):
    d[y] = np.transpose(d[x], method_axes(axes))


@adjoint(("attr", "T"))
def T(y, x):
    d[x] = np.transpose(d[y])  # (d[y] may be a Python number: the seed of a 0-d result)


@tangent(("attr", "T"))
def T_tangent(y, x):
    d[y] = np.transpose(d[x])


_MATRIX_TRANSPOSE = [("attr", "mT")] + [np.matrix_transpose] * hasattr(np, "matrix_transpose")


@adjoint(*_MATRIX_TRANSPOSE)
def mT(y, x):
    d[x] = np.swapaxes(d[y], -1, -2)


@tangent(*_MATRIX_TRANSPOSE)
def mT_tangent(y, x):
    d[y] = np.swapaxes(d[x], -1, -2)


@adjoint(np.swapaxes)
def swapaxes(y, a, axis1, axis2):
    d[a] = np.swapaxes(d[y], axis1, axis2)


@tangent(np.swapaxes)
def swapaxes_tangent(y, a, axis1, axis2):
    d[y] = np.swapaxes(d[a], axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis(y, a, source, destination):
    d[a] = np.moveaxis(d[y], destination, source)


@tangent(np.moveaxis)
def moveaxis_tangent(y, a, source, destination):
    d[y] = np.moveaxis(d[a], source, destination)


# ----- Joining and splitting -----


@adjoint(np.concatenate)
def concatenate(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unconcatenate(d[y], arrays, axis)


@tangent(np.concatenate)
def concatenate_tangent(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[y] = np.concatenate(d[arrays], axis=axis)


@adjoint(np.stack)
def stack(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unstack(d[y], arrays, axis)


@tangent(np.stack)
def stack_tangent(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[y] = np.stack(d[arrays], axis=axis)


@adjoint(np.hstack)
def hstack(y, tup, dtype=None, casting="same_kind"):
    d[tup] = unstack_along(d[y], tup, "hstack")


@tangent(np.hstack)
def hstack_tangent(y, tup, dtype=None, casting="same_kind"):
    d[y] = np.hstack(d[tup])


@adjoint(np.vstack)
def vstack(y, tup, dtype=None, casting="same_kind"):
    d[tup] = unstack_along(d[y], tup, "vstack")


@tangent(np.vstack)
def vstack_tangent(y, tup, dtype=None, casting="same_kind"):
    d[y] = np.vstack(d[tup])


@adjoint(np.dstack)
def dstack(y, tup):
    d[tup] = unstack_along(d[y], tup, "dstack")


@tangent(np.dstack)
def dstack_tangent(y, tup):
    d[y] = np.dstack(d[tup])


@adjoint(np.column_stack)
def column_stack(y, tup):
    d[tup] = unstack_along(d[y], tup, "column_stack")


@tangent(np.column_stack)
def column_stack_tangent(y, tup):
    d[y] = np.column_stack(d[tup])


@adjoint(np.split, np.array_split)
def split(y, ary, indices_or_sections, axis=0):
    # d[y] is a list, one adjoint per piece
    d[ary] = unsplit(d[y], ary, indices_or_sections, axis)


@tangent(np.split)
def split_tangent(y, ary, indices_or_sections, axis=0):
    d[y] = np.split(d[ary], indices_or_sections, axis=axis)


@tangent(np.array_split)
def array_split_tangent(y, ary, indices_or_sections, axis=0):
    d[y] = np.array_split(d[ary], indices_or_sections, axis=axis)


@adjoint(np.hsplit)
def hsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], ary, indices_or_sections, hsplit_axis(ary))


@tangent(np.hsplit)
def hsplit_tangent(y, ary, indices_or_sections):
    d[y] = np.hsplit(d[ary], indices_or_sections)


@adjoint(np.vsplit)
def vsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], ary, indices_or_sections, 0)


@tangent(np.vsplit)
def vsplit_tangent(y, ary, indices_or_sections):
    d[y] = np.vsplit(d[ary], indices_or_sections)


# ----- Repetition, flips, rolls, padding -----


@adjoint(np.tile)
def tile(y, A, reps):
    d[A] = untile(d[y], A, reps)


@tangent(np.tile)
def tile_tangent(y, A, reps):
    d[y] = np.tile(d[A], reps)


@adjoint(np.repeat)
def repeat(y, a, repeats, axis=None):
    d[a] = unrepeat(d[y], a, repeats, axis)


@tangent(np.repeat)
def repeat_tangent(y, a, repeats, axis=None):
    d[y] = np.repeat(d[a], repeats, axis=axis)


@adjoint(np.flip)
def flip(y, m, axis=None):
    d[m] = np.flip(d[y], axis)


@tangent(np.flip)
def flip_tangent(y, m, axis=None):
    d[y] = np.flip(d[m], axis=axis)


@adjoint(np.fliplr)
def fliplr(y, m):
    d[m] = np.fliplr(d[y])


@tangent(np.fliplr)
def fliplr_tangent(y, m):
    d[y] = np.fliplr(d[m])


@adjoint(np.flipud)
def flipud(y, m):
    d[m] = np.flipud(d[y])


@tangent(np.flipud)
def flipud_tangent(y, m):
    d[y] = np.flipud(d[m])


@adjoint(np.roll)
def roll(y, a, shift, axis=None):
    d[a] = np.roll(d[y], negated(shift), axis)


@tangent(np.roll)
def roll_tangent(y, a, shift, axis=None):
    d[y] = np.roll(d[a], shift, axis=axis)


@adjoint(np.pad)
def pad(y, array, pad_width, mode="constant", constant_values=0, **options):
    # constant: the inner block; edge/reflect/symmetric/wrap: copies added back;
    # other modes raise at run time
    d[array] = unpad(d[y], array, pad_width, mode, options)
    d[constant_values] = pad_fill_adjoint(d[y], array, pad_width, constant_values)


@tangent(np.pad)
def pad_tangent_(y, array, pad_width, mode="constant", constant_values=0, **options):
    # linear in the array and the fill value together
    d[y] = pad_tangent(d[array], d[constant_values], array, pad_width, mode, options)


@adjoint(np.diff)
def diff(y, a, n=1, axis=-1):
    d[a] = undiff(d[y], a, n, axis)


@tangent(np.diff)
def diff_tangent(y, a, n=1, axis=-1):
    d[y] = np.diff(d[a], n=n, axis=axis)


# ----- Copies, casts and views that keep the values -----


@adjoint(("method", "copy"), np.copy)
def copy(y, a, *args, **kwargs):
    d[a] = d[y]


@tangent(("method", "copy"), np.copy)
def copy_tangent(y, a, *args, **kwargs):
    d[y] = copy_value(d[a])


@adjoint(np.array)
def array(y, object, dtype=None, *args, **kwargs):
    # also gathers a (nested) list of arrays into one: d[object] is then an
    # array whose rows go to the list's elements
    # (a dtype= is applied by the caller: see `registry.cast_of`)
    d[object] = np.reshape(d[y], shape_of(object))


@tangent(np.array)
def array_tangent(y, object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    d[y] = np.array(d[object], ndmin=ndmin)


@adjoint(np.asarray, np.ascontiguousarray)
def asarray(y, a, dtype=None, *args, **kwargs):
    d[a] = np.reshape(d[y], shape_of(a))


@tangent(np.asarray, np.ascontiguousarray)
def asarray_tangent(y, a, dtype=None, *args, **kwargs):
    d[y] = np.asarray(d[a])


@adjoint(("method", "astype"))
def astype(y, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    # a cast to an integer type has a zero derivative (`registry.cast_of`)
    d[x] = d[y]


@tangent(("method", "astype"))
def astype_tangent(y, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    d[y] = copy_value(d[x])


@adjoint(("attr", "real"), np.real)
def real(y, val):
    d[val] = real_identity(d[y], val)


@tangent(("attr", "real"), np.real)
def real_tangent(y, val):
    d[y] = real_identity(d[val], val)


@adjoint(np.conjugate, ("method", "conj"), ("method", "conjugate"))
def conjugate(y, x, *args, **kwargs):
    # the identity on real values; complex x is refused at run time
    d[x] = real_identity(d[y], x, "the complex conjugate")


@tangent(np.conjugate)
def conjugate_tangent(y, x, *args, **kwargs):
    d[y] = copy_value(real_identity(d[x], x, "the complex conjugate"))


@tangent(("method", "conj"), ("method", "conjugate"))
def conjugate_method_tangent(y, x):
    # x.conj() of a real array is x itself: the tangent is shared the same way
    d[y] = real_identity(d[x], x, "the complex conjugate")


@adjoint(("method", "item"))
def item(y, x, *args):
    d[x] = unitem(d[y], x, args)


@tangent(("method", "item"))
def item_tangent_(y, x, *args):
    d[y] = item_tangent(d[x], args)


linear(
    np.reshape, np.ravel, np.squeeze, np.expand_dims, np.atleast_1d, np.atleast_2d,
    np.atleast_3d, np.broadcast_to, np.transpose, np.swapaxes, np.moveaxis, np.concatenate,
    np.stack, np.hstack, np.vstack, np.dstack, np.column_stack, np.split, np.array_split,
    np.hsplit, np.vsplit, np.tile, np.repeat, np.flip, np.fliplr, np.flipud, np.roll, np.diff,
    np.copy, np.array, np.asarray, np.ascontiguousarray, np.real, item_tangent,
)

# ----- Helpers the adjoints above call (forward over reverse: Hessians) -----


@tangent(unconcatenate)
def unconcatenate_tangent(y, g, arrays, axis=0):
    d[y] = unconcatenate(d[g], arrays, axis)


@tangent(unstack)
def unstack_tangent(y, g, arrays, axis=0):
    d[y] = unstack(d[g], arrays, axis)


@tangent(unstack_along)
def unstack_along_tangent(y, g, arrays, kind):
    d[y] = unstack_along(d[g], arrays, kind)


@tangent(real_identity)
def real_identity_tangent(y, g, x, function="the real part"):
    # x is read for its dtype only (complex is refused)
    d[y] = real_identity(d[g], x, function)


@tangent(pad_fill_adjoint)
def pad_fill_adjoint_tangent(y, g, array, pad_width, constant_values=0):
    d[y] = pad_fill_adjoint(d[g], array, pad_width, constant_values)


# linear in the adjoint; the array argument is read for its shape only
linear(
    unconcatenate, unstack, unstack_along, pad_fill_adjoint, unreshape, unsplit, untile,
    unrepeat, unpad, undiff, unitem, real_identity,
)
nondifferentiable(hsplit_axis, negated)

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
