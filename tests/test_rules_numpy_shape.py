"""Rules of `tangent_ad/rules/numpy_shape.py`: reshaping, transposition,
joining and splitting (adjoints that are lists), repetition, padding, casts."""

import numpy as np
import pytest

import tangent_ad as ta
from rules_support import U, args, rule_catalogue
from tangent_ad.errors import AliasingError
from support import check_case

CASES, case = rule_catalogue()

BOTH = (0, 1)
M, T3 = (2, 3), (2, 3, 4)

# ----- Reshaping -----


@case(args(U(M)), args(U(T3)))
def reshape(x):
    return np.sum(np.sin(np.reshape(x, (-1, 2))) * np.arange(x.size).reshape(-1, 2))


@case(args(U(M)), args(U(T3)))
def reshape_method(x):
    a = x.reshape(-1)
    b = x.reshape((2, -1))
    return np.sum(np.sin(a) * np.arange(a.size)) + np.sum(np.cos(b))


@case(args(U(M)), args(U(T3)), autograd="autograd's reshape has no order=")
def reshape_fortran_order(x):
    a = np.reshape(x, (-1, 2), order="F")
    b = x.reshape(x.shape[::-1], order="F")
    c = np.ravel(x, "F")
    return np.sum(np.sin(a) * np.arange(x.size).reshape(-1, 2)) + np.sum(
        np.cos(b) * np.arange(x.size).reshape(b.shape)) + np.sum(c * np.arange(x.size))


def ravel_in_memory_order(x):
    return np.sum(np.ravel(x, order="K") * 2.0)


def test_reshape_in_memory_order_is_refused():
    with pytest.raises(ta.TangentADError, match="order='K'"):
        ta.grad(ravel_in_memory_order)(np.ones((2, 2)))


@case(args(U(M)), args(U(T3)))
def ravel(x):
    return np.sum(np.sin(np.ravel(x)) * np.arange(x.size))


@case(args(U(M)), args(U(T3)), autograd="autograd arrays have no ravel/flatten methods")
def ravel_flatten_methods(x):
    return np.sum(np.sin(x.ravel()) * np.arange(x.size)) + np.sum(np.cos(x.flatten()))


@case(args(U((1, 3))), args(U((2, 1, 3, 1))))
def squeeze(x):
    return np.sum(np.sin(np.squeeze(x)) * np.arange(x.size).reshape(np.squeeze(x).shape))


@case(args(U((1, 3))), args(U((1, 2, 3, 1))), autograd="autograd arrays have no squeeze method")
def squeeze_method(x):
    return np.sum(np.sin(x.squeeze(axis=0)) * np.arange(x.size).reshape(x.squeeze(axis=0).shape))


@case(args(U(M)), args(U((4,))))
def expand_dims(x):
    return np.sum(np.sin(np.expand_dims(x, 0))) + np.sum(np.expand_dims(x, -1) ** 3)


@case(args(U(())), args(U((3,))), args(U(M)))
def atleast(x):
    return np.sum(np.sin(np.atleast_1d(x))) + np.sum(np.atleast_2d(x) ** 2) + np.sum(
        np.cos(np.atleast_3d(x)))


@case(args(U((3,))), args(U((2, 1))), autograd="autograd's broadcast_to cannot add leading axes")
def broadcast_to(x):
    return np.sum(np.sin(np.broadcast_to(x, (4, 2, 3)) * np.arange(24).reshape(4, 2, 3)))


@case(args(U((1,)), 4), args(U(()), 3), autograd="autograd's broadcast_to cannot add axes")
def broadcast_to_scalar_shape(x, n):
    # the shape is a Python int: the adjoint must still be summed to x's shape
    return np.sum(np.sin(np.broadcast_to(x, n)) * np.arange(n))


# ----- Transposition -----


@case(args(U(M)), args(U(T3)))
def transpose(x):
    return np.sum(np.sin(np.transpose(x)) * np.arange(x.size).reshape(x.T.shape))


@case(args(U(T3)), args(U((2, 2, 3))))
def transpose_axes(x):
    return np.sum(np.sin(np.transpose(x, (1, 2, 0))) * np.arange(x.size).reshape(
        np.transpose(x, (1, 2, 0)).shape))


@case(args(U((4, 3))), args(U(M)), autograd="autograd arrays have no transpose method")
def transpose_method(x):
    y = x.transpose()
    z = x.transpose(1, 0) + x.transpose((1, 0))
    return np.sum(np.sin(y) * np.arange(x.size).reshape(y.shape)) + np.sum(np.cos(z))


@case(args(U(T3)), args(U((3, 2, 2))), autograd="autograd arrays have no transpose method")
def transpose_method_3d(x):
    y = x.transpose(2, 0, 1)
    return np.sum(np.sin(y) * np.arange(x.size).reshape(y.shape))


@case(args(U(M)), args(U(T3)))
def T(x):
    return np.sum(np.sin(x.T) * np.arange(x.size).reshape(x.T.shape))


@case(args(U(M)), args(U(T3)), autograd="autograd has no matrix_transpose or .mT")
def mT(x):
    return np.sum(np.sin(x.mT) * np.arange(x.size).reshape(x.mT.shape)) + np.sum(
        np.cos(np.matrix_transpose(x)))


@case(args(U(M)), args(U(T3)))
def swapaxes(x):
    return np.sum(np.sin(np.swapaxes(x, 0, -1)) * np.arange(x.size).reshape(
        np.swapaxes(x, 0, -1).shape))


@case(args(U(M)), args(U(T3)), autograd="autograd arrays have no swapaxes method")
def swapaxes_method(x):
    return np.sum(np.sin(x.swapaxes(0, 1)) * np.arange(x.size).reshape(x.swapaxes(0, 1).shape))


@case(args(U(M)), args(U(T3)))
def moveaxis(x):
    return np.sum(np.sin(np.moveaxis(x, 0, -1)) * np.arange(x.size).reshape(
        np.moveaxis(x, 0, -1).shape))


# ----- Joining and splitting -----


@case(args(U((2, 3)), U((1, 3))), args(U((2, 2, 3)), U((1, 2, 3))), wrt=BOTH)
def concatenate(a, b):
    c = np.concatenate([a, b])
    d = np.concatenate((a, b, a), axis=0)
    return np.sum(np.sin(c) * np.arange(c.size).reshape(c.shape)) + np.sum(np.cos(d))


@case(args(U((2, 3)), U((2, 1))), args(U((2, 2, 3)), U((2, 2, 2))), wrt=BOTH)
def concatenate_last_axis(a, b):
    c = np.concatenate([a, b], axis=-1)
    return np.sum(np.sin(c) * np.arange(c.size).reshape(c.shape))


@case(args(U((3,)), U((1, 4))), args(U((2, 2)), U(M)), wrt=BOTH,
      autograd="autograd's concatenate has no axis=None")
def concatenate_flat(a, b):
    c = np.concatenate([a, b], axis=None)
    return np.sum(np.sin(c) * np.arange(c.size))


@case(args(U((2, 3)), U((2, 3))), args(U((4,)), U((4,))), wrt=BOTH)
def stack(a, b):
    c = np.stack([a, b])
    d = np.stack([a, b, a], axis=-1)
    return np.sum(np.sin(c) * np.arange(c.size).reshape(c.shape)) + np.sum(np.cos(d))


@case(args(U((2, 3)), U((2, 3))), args(U((4,)), U((4,))), wrt=BOTH)
def list_used_by_two_rules(a, b):
    # both adjoints of `xs` are lists: they must add elementwise, not join
    xs = [a, b]
    return np.sum(np.sin(np.stack(xs))) + np.sum(np.cos(np.concatenate(xs)))


@case(args(U((2, 3)), U((2, 1))), args(U((3,)), U((2,))), wrt=BOTH)
def hstack(a, b):
    c = np.hstack([a, b])
    return np.sum(np.sin(c) * np.arange(c.size).reshape(c.shape))


@case(args(U((2, 3)), U((3,))), args(U((3,)), U((3,))), wrt=BOTH)
def vstack(a, b):
    c = np.vstack((a, b))
    return np.sum(np.sin(c) * np.arange(c.size).reshape(c.shape))


@case(args(U((2, 3)), U((2, 3, 2))), args(U((3,)), U((3,))), wrt=BOTH,
      autograd="autograd's dstack fails on its own boxes")
def dstack(a, b):
    c = np.dstack([a, b])
    return np.sum(np.sin(c) * np.arange(c.size).reshape(c.shape))


@case(args(U((3,)), U((3, 2))), args(U((4,)), U((4,))), wrt=BOTH,
      autograd="autograd has no column_stack")
def column_stack(a, b):
    c = np.column_stack([a, b])
    return np.sum(np.sin(c) * np.arange(c.size).reshape(c.shape))


@case(args(U((6,))), args(U((4, 3))))
def split(x):
    a, b = np.split(x, 2)
    return np.sum(np.sin(a) * 2.0) + np.sum(np.cos(b))


@case(args(U((6,))), args(U((5, 3))))
def split_indices_one_piece_used(x):
    pieces = np.split(x, [1, 3])
    return np.sum(np.sin(pieces[1]))


@case(args(U((2, 6))), args(U((3, 4, 2))))
def split_axis(x):
    a, b = np.split(x, 2, axis=1)
    return np.sum(np.sin(a) * np.cos(b))


@case(args(U((7,))), args(U((5, 3))))
def array_split(x):
    a, b, c = np.array_split(x, 3)
    return np.sum(np.sin(a)) + np.sum(np.cos(b) * 2.0) + np.sum(c ** 3)


@case(args(U((2, 6))), args(U((4,))), autograd="autograd's hsplit fails on vectors")
def hsplit(x):
    a, b = np.hsplit(x, 2)
    return np.sum(np.sin(a) * np.cos(b))


@case(args(U((4, 2))), args(U((2, 3, 2))))
def vsplit(x):
    a, b = np.vsplit(x, 2)
    return np.sum(np.sin(a) * np.cos(b))


# ----- Repetition, flips, rolls, padding -----


@case(args(U((3,))), args(U(M)), autograd="autograd's tile is wrong when reps has more axes")
def tile(x):
    a = np.tile(x, 2)
    b = np.tile(x, (2, 1, 2))
    return np.sum(np.sin(a) * np.arange(a.size).reshape(a.shape)) + np.sum(np.cos(b) * np.arange(
        b.size).reshape(b.shape))


@case(args(U((3,))), args(U(M)))
def repeat(x):
    a = np.repeat(x, 2)
    b = np.repeat(x, 3, axis=0)
    return np.sum(np.sin(a) * np.arange(a.size)) + np.sum(np.cos(b) * np.arange(b.size).reshape(
        b.shape))


@case(args(U((3,))), args(U((3, 2))), autograd="autograd's repeat takes one count")
def repeat_counts(x):
    # an element repeated 0 times gets no adjoint
    a = np.repeat(x, [2, 0, 3], axis=0)
    return np.sum(np.sin(a) * np.arange(a.size).reshape(a.shape))


@case(args(U((3,))), args(U(M)), autograd="autograd arrays have no repeat method")
def repeat_method(x):
    a = x.repeat(2, axis=0)
    return np.sum(np.sin(a) * np.arange(a.size).reshape(a.shape))


@case(args(U(M)), args(U(T3)), autograd="autograd has no VJP for numpy.flip")
def flip(x):
    a = np.flip(x)
    b = np.flip(x, 0)
    c = np.flip(x, (0, 1))
    return np.sum(np.sin(a) * np.arange(x.size).reshape(x.shape)) + np.sum(np.cos(b) * c)


@case(args(U(M)), args(U(T3)))
def fliplr_flipud(x):
    return np.sum(np.sin(np.fliplr(x)) * np.arange(x.size).reshape(x.shape)) + np.sum(
        np.cos(np.flipud(x)) * np.arange(x.size).reshape(x.shape))


@case(args(U((5,))), args(U((3, 4))))
def roll(x):
    a = np.roll(x, 2)
    b = np.roll(x, -1, axis=0)
    return np.sum(np.sin(a) * np.arange(x.size).reshape(x.shape)) + np.sum(np.cos(b) * np.arange(
        x.size).reshape(x.shape))


@case(args(U((3, 4))), args(U((2, 3, 4))), autograd="autograd's roll has no tuple shifts")
def roll_tuples(x):
    a = np.roll(x, (1, -2), axis=(0, -1))
    return np.sum(np.sin(a) * np.arange(x.size).reshape(x.shape))


@case(args(U((3,)), U(())), args(U(M), U(())), wrt=BOTH,
      autograd="autograd's pad cannot differentiate constant_values")
def pad(x, c):
    a = np.pad(x, 2)
    b = np.pad(x, ((1, 0),) * x.ndim, constant_values=c)
    return np.sum(np.sin(a) * np.arange(a.size).reshape(a.shape)) + np.sum(np.cos(b) * np.arange(
        b.size).reshape(b.shape))


@case(args(U((4,))), args(U((3, 4))), autograd="autograd's pad has only mode='constant'")
def pad_modes(x):
    total = 0.0
    for mode in ["edge", "reflect", "symmetric", "wrap", "empty"]:
        padded = np.pad(x, 2, mode=mode)
        if mode != "empty":
            total = total + np.sum(np.sin(padded) * np.arange(padded.size).reshape(padded.shape))
        else:
            total = total + np.sum(padded[(slice(2, -2),) * x.ndim] ** 2)
    return total


def pad_linear_ramp(x):
    return np.sum(np.pad(x, 1, mode="linear_ramp"))


def test_pad_modes_that_compute_values_are_refused():
    with pytest.raises(ta.TangentADError, match="linear_ramp"):
        ta.grad(pad_linear_ramp)(np.ones(3))


@case(args(U((5,))), args(U((3, 4))))
def diff(x):
    a = np.diff(x)
    b = np.diff(x, n=2, axis=0)
    return np.sum(np.sin(a) * np.arange(a.size).reshape(a.shape)) + np.sum(np.cos(b))


# ----- Copies, casts, views -----


@case(args(U(M)), args(U((4,))), autograd="autograd arrays have no copy method")
def copies(x):
    return np.sum(np.sin(np.copy(x)) * x.copy())


@case(args(U(M)), args(U((4,))), autograd="autograd has no VJP for numpy.asarray")
def array(x):
    return np.sum(np.sin(np.array(x)) * np.asarray(x) * np.ascontiguousarray(x))


@case(args(U(()), U(())), args(U((3,)), U((3,))), wrt=BOTH)
def array_of_list(a, b):
    rows = np.array([a, b])
    nested = np.array([[a, b], [b, a]])
    return np.sum(np.sin(rows) * np.arange(rows.size).reshape(rows.shape)) + np.sum(
        np.cos(nested))


@case(args(U(M)), args(U((4,))), autograd="autograd arrays have no astype method")
def astype(x):
    return np.sum(np.sin(x.astype(float))) + np.sum(x.astype(int) * x)


@case(args(U(M)), args(U((4,))), autograd="autograd arrays have no .real")
def real(x):
    return np.sum(np.sin(np.real(x)) * x.real)


@case(args(U(M)), args(U((4,))))
def conjugate(x):
    return np.sum(np.sin(np.conj(x)) * x) + np.sum(np.conjugate(x) ** 3)


@case(args(U(M)), args(U((4,))), autograd="autograd arrays have no conj method")
def conjugate_methods(x):
    return np.sum(np.sin(x.conj()) * x) + np.sum(x * x.conjugate() ** 2)


def real_of_complex(x):
    return np.sum((x * 1j).real)


def conjugate_of_complex(x):
    return np.sum(np.cos(np.conj(x * 1j + 1.0)))


@pytest.mark.parametrize("fn", [real_of_complex, conjugate_of_complex])
def test_complex_operands_are_refused(fn):
    # x * 1j has x's shape: the complex check must read the complex value,
    # never an argument of the same shape standing in for it
    with pytest.raises(ta.TangentADError, match="complex"):
        ta.grad(fn)(np.array([0.5, 1.0]))


def write_through_conj_method(x):
    y = x * 2.0
    z = y.conj()  # x.conj() of a real array is x itself
    z[0] = 5.0
    return np.sum(y * x)


def test_conj_method_result_is_an_alias():
    assert write_through_conj_method(np.ones(2)) == 7.0  # the write reached y
    with pytest.raises(AliasingError):
        ta.grad(write_through_conj_method)(np.ones(2))


@case(args(U((1,))), args(U((2, 3))), autograd="autograd arrays have no item method")
def item(x):
    first = x.item(0)
    last = x.item(-1)
    return first * last + x.item(x.size - 1) ** 2


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
def test_rule(case, optimize, rng):
    check_case(case, rng, optimize)
