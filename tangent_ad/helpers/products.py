"""Adjoints of matrix, dot, outer, tensordot, inner and kron products, and einsum."""

import numbers

import numpy

from ..errors import TangentADError
from ..runtime import namespace, shape_of, unbroadcast
from ._util import _dtype


# ----- Matrix products -----


def untranspose(g, axes=None):
    """The adjoint of ``transpose(x, axes)`` (and ``x.transpose(*axes)``, whose
    axes may come as one tuple): transpose back."""
    if axes is not None and len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
        axes = axes[0]
    if axes is None or len(axes) == 0:
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
        if b.shape[1] == 1:  # an outer product: einsum is 2-3x faster
            return numpy.einsum("ik,jk->ij", g, b)
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
        if a.shape[0] == 1:  # an outer product: einsum is 2-3x faster
            return numpy.einsum("ki,kj->ij", a, g)
        return a.T @ g
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    if a.ndim >= 3 and b.ndim == 2:  # a stack of matrices: one product over all rows
        stacked = list(range(a.ndim - 1))
        return numpy.tensordot(a, g, (stacked, stacked))
    g, a2, b2, _, b_vec = _as_matrix_args(g, a, b)
    result = numpy.swapaxes(a2, -1, -2) @ g
    if b_vec:
        result = result[..., 0]
    return unbroadcast(result, b)


def dot_lhs(g, a, b):
    """Adjoint of `a` in ``np.dot(a, b)``."""
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if numpy.ndim(b) > 2:
        return einsum_adjoint(g, _dot_subscripts(a, b), 0, a, b)
    return matmul_lhs(g, a, b)


def dot_rhs(g, a, b):
    """Adjoint of `b` in ``np.dot(a, b)``."""
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if numpy.ndim(b) > 2:
        return einsum_adjoint(g, _dot_subscripts(a, b), 1, a, b)
    if numpy.ndim(a) > 2:
        # dot(a, b) with b 1-D/2-D contracts a's last axis: fold a's leading axes
        a2 = a.reshape((-1, a.shape[-1]))
        g2 = g.reshape((a2.shape[0],) + tuple(shape_of(b)[1:]))
        return matmul_rhs(g2, a2, b)
    return matmul_rhs(g, a, b)


def _dot_subscripts(a, b):
    """``np.dot(a, b)`` for a `b` of three or more axes as einsum subscripts:
    a's last axis against b's second to last (``'az,bzc->abc'``)."""
    letters = iter("abcdefghijklmnopqrstuvwxy")
    lead = "".join(next(letters) for _ in range(numpy.ndim(a) - 1))
    batch = "".join(next(letters) for _ in range(numpy.ndim(b) - 2))
    last = next(letters)
    return f"{lead}z,{batch}z{last}->{lead}{batch}{last}"


def outer_lhs(g, a, b):
    return (g @ numpy.ravel(b)).reshape(shape_of(a))


def outer_rhs(g, a, b):
    return (numpy.ravel(a) @ g).reshape(shape_of(b))


def _tensordot_axes(axes, a_ndim, b_ndim):
    if isinstance(axes, numbers.Integral):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, numbers.Integral) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, numbers.Integral) else list(b_axes)
    return [int(i) % a_ndim for i in a_axes], [int(i) % b_ndim for i in b_axes]


def tensordot_lhs(g, a, b, axes=2):
    """Adjoint of `a` in ``tensordot(a, b, axes)``: contract `g` with `b` over
    b's free axes, then put the axes back in a's order."""
    a_nd, b_nd = numpy.ndim(a), numpy.ndim(b)
    a_axes, b_axes = _tensordot_axes(axes, a_nd, b_nd)
    a_free = [i for i in range(a_nd) if i not in a_axes]
    b_free = [i for i in range(b_nd) if i not in b_axes]
    g_axes = list(range(len(a_free), len(a_free) + len(b_free)))
    result = numpy.tensordot(g, b, axes=(g_axes, b_free))
    order = a_free + [a_axes[b_axes.index(i)] for i in sorted(b_axes)]
    return numpy.transpose(result, [order.index(i) for i in range(a_nd)])


def tensordot_rhs(g, a, b, axes=2):
    """Adjoint of `b` in ``tensordot(a, b, axes)``."""
    a_nd, b_nd = numpy.ndim(a), numpy.ndim(b)
    a_axes, b_axes = _tensordot_axes(axes, a_nd, b_nd)
    a_free = [i for i in range(a_nd) if i not in a_axes]
    b_free = [i for i in range(b_nd) if i not in b_axes]
    result = numpy.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
    order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return numpy.transpose(result, [order.index(i) for i in range(b_nd)])


def inner_lhs(g, a, b):
    """Adjoint of `a` in ``inner(a, b)`` (a tensordot over both last axes)."""
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
        return unbroadcast(g * b, a)
    return tensordot_lhs(g, a, b, ([-1], [-1]))


def inner_rhs(g, a, b):
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
        return unbroadcast(g * a, b)
    return tensordot_rhs(g, a, b, ([-1], [-1]))


def kron_adjoint(g, a, b, which):
    """Adjoint of operand `which` (0: a, 1: b) of ``kron(a, b)``.

    kron(a, b)[i0 * p0 + k0, ...] = a[i0, ...] b[k0, ...]: view `g` with the
    axes of a and b interleaved, then contract with the other operand.
    """
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    interleaved = numpy.reshape(g, tuple(s for pair in zip(sa, sb) for s in pair))
    g2 = numpy.transpose(interleaved, list(range(0, 2 * nd, 2)) + list(range(1, 2 * nd, 2)))
    if which == 0:
        result = numpy.tensordot(g2, numpy.reshape(b, sb), axes=nd)
        return numpy.reshape(result, shape_of(a))
    first = list(range(nd))
    result = numpy.tensordot(numpy.reshape(a, sa), g2, axes=(first, first))
    return numpy.reshape(result, shape_of(b))


# ----- einsum -----

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _einsum_terms(subscripts, operands):
    """Explicit subscripts of every operand and of the output, with ellipses
    spelled as letters; and the letters still unused."""
    if not isinstance(subscripts, str):
        raise TangentADError(
            "numpy.einsum in the sublist format",
            hint="write the subscripts as a string, e.g. np.einsum('ij,jk->ik', a, b)",
        )
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise TangentADError("numpy.einsum subscripts do not match the operands", detail=subscripts)
    spare = [c for c in _LETTERS if c not in text]
    # how many axes each operand's "..." stands for
    ranks = [
        numpy.ndim(op) - len(t.replace("...", "")) if "..." in t else 0
        for t, op in zip(terms, operands)
    ]
    ellipsis = "".join(spare[: max(ranks, default=0)])
    spare = spare[len(ellipsis):]
    if not arrow:
        letters = "".join(terms).replace("...", "")
        output = "..." + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = [t.replace("...", ellipsis[len(ellipsis) - r:]) for t, r in zip(terms, ranks)]
    output = output.replace("...", ellipsis)
    return terms, output, spare


def einsum_adjoint(g, subscripts, which, *operands):
    """Adjoint of operand `which` of ``einsum(subscripts, *operands)``.

    The adjoint is einsum again, with the output's subscripts and the other
    operands' as inputs and the operand's own as output. A letter repeated
    within the operand ('ii->i') gets a fresh letter tied by an identity
    matrix; a letter summed only within the operand ('ij->i') gets a vector of
    ones; dimensions the operand broadcast are summed back to size one.
    """
    operands = [op for op in operands if op is not None]
    terms, output, spare = _einsum_terms(subscripts, operands)
    own, shape = terms[which], shape_of(operands[which])
    xp = namespace(operands[which])
    if isinstance(g, (int, float)):  # a seed: in the operand's precision
        g = xp.asarray(g, dtype=_dtype(operands[which]))
    dtype = _dtype(g)
    inputs, args = [output], [g]
    for i, (term, op) in enumerate(zip(terms, operands)):
        if i != which:
            inputs.append(term)
            args.append(op)
    target, first = [], {}
    for position, letter in enumerate(own):
        if letter in first:
            fresh = spare.pop(0)
            inputs.append(letter + fresh)
            args.append(xp.eye(shape[position], dtype=dtype))
            target.append(fresh)
        else:
            first[letter] = position
            target.append(letter)
    present = set("".join(inputs))
    for letter, position in first.items():
        if letter not in present:
            inputs.append(letter)
            args.append(xp.ones(shape[position], dtype=dtype))
    result = numpy.einsum(",".join(inputs) + "->" + "".join(target), *args)
    broadcast = tuple(i for i, n in enumerate(shape) if n == 1 and result.shape[i] != 1)
    if broadcast:  # the operand was broadcast along these: summed back
        result = result.sum(axis=broadcast, keepdims=True)
    if tuple(result.shape) != tuple(shape):
        # another operand was broadcast along a letter of this one (extent 1
        # there): every position of the letter gets the same adjoint
        result = numpy.broadcast_to(result, shape).copy()
    return result
