"""Numeric helpers that derivative templates call (part of the runtime).

Each is a small, array-module-agnostic function: it calls methods of its
arguments or the `numpy` API (which CuPy and Dask arrays dispatch through
``__array_function__``), and creates arrays only through the namespace of a
value it was given (`runtime.namespace`), never a NumPy constructor on its own.
Arguments documented as "only its shape is read" may be a `runtime.Like`.

Helpers that cannot differentiate a case raise `TangentADError` at run time,
naming the function and the argument that is not supported.
"""

import numbers

import numpy

from .containers import SeqAdjoint
from .errors import TangentADError
from .runtime import add_at, namespace, shape_of, unbroadcast, unreduce, zeros_like

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


# ----- Elementwise -----


def clip_inside(a, a_min, a_max):
    """1 where `a` lies within [a_min, a_max] (None means unbounded), else 0."""
    mask = True
    if a_min is not None:
        mask = mask & (a >= a_min)
    if a_max is not None:
        mask = mask & (a <= a_max)
    return mask


def sign_of_real(x, function="abs"):
    """sign(x), the slope of |x|; complex `x` is refused (|z| is not holomorphic)."""
    _refuse_complex(x, function)
    return numpy.sign(x)


def real_part_adjoint(g, x):
    """The adjoint of ``x.real`` for real `x` (complex `x` is refused)."""
    _refuse_complex(x, "the real part")
    return g


def cast_adjoint(g, dtype):
    """The adjoint of ``x.astype(dtype)``: `g`, or zero for a cast to integers."""
    kind = numpy.dtype(dtype).kind if dtype is not None else "f"
    return g if kind in "fc" else g * 0.0


# ----- Reductions -----


def logistic(t):
    """1 / (1 + exp(-t)), computed stably as (1 + tanh(t / 2)) / 2."""
    return 0.5 + 0.5 * numpy.tanh(0.5 * t)


def sinc_slope(x):
    """d sinc(x) / dx = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    safe = numpy.where(x == 0, 1.0, x)
    return numpy.where(x == 0, 0.0, (numpy.cos(numpy.pi * x) - numpy.sinc(x)) / safe)


def sinc_curvature(x):
    """d^2 sinc(x) / dx^2 = -pi sin(pi x) / x - 2 sinc'(x) / x, and -pi^2/3 at 0."""
    safe = numpy.where(x == 0, 1.0, x)
    value = (-numpy.pi * numpy.sin(numpy.pi * x) - 2.0 * sinc_slope(x)) / safe
    return numpy.where(x == 0, -numpy.pi ** 2 / 3.0, value)


def reduced_size(x, axis=None):
    """How many elements each output of a reduction over `axis` combines."""
    shape = shape_of(x)
    size = 1
    for a in _normalize_axes(axis, len(shape)):
        size *= shape[a]
    return size


def max_mask(x, y, axis=None, keepdims=False):
    """Where `x` attains the reduction result `y` (ties share equally)."""
    hit = x == unreduce(y, x, axis, keepdims)
    count = hit.sum(axis=axis, keepdims=True) if axis is not None else hit.sum()
    return hit / count


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
    """std = sqrt(var);  d std / d a = (a - mean) / ((N - ddof) std)."""
    return var_adjoint(g / (2.0 * y), a, axis, ddof, keepdims)


def nan_mask(a):
    """1 where `a` is a number, 0 where it is NaN."""
    return ~numpy.isnan(a)


def nanmean_adjoint(g, a, axis=None, keepdims=False):
    """nanmean = nansum / (count of non-NaN elements)."""
    mask = nan_mask(a)
    count = mask.sum(axis=axis, keepdims=True) if axis is not None else mask.sum()
    return unreduce(g, a, axis, keepdims) * mask / count


def uncumsum(g, a, axis=None):
    """The adjoint of ``cumsum(a, axis)``: the reversed cumulative sum of `g`
    (only the shape of `a` is read)."""
    if axis is None:
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
    flat = xp.zeros(rest + (rows * cols,), dtype=_dtype(g))
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
        return sign * hit / hit.sum(axis=axis, keepdims=True)
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
        return numpy.sign(x) * hit / hit.sum(axis=across, keepdims=True)
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
        raise TangentADError(
            "numpy.dot with a second argument of more than two dimensions",
            hint="use np.matmul (@), np.tensordot or np.einsum, whose derivatives are supported",
        )


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
    xp, dtype = namespace(operands[which]), _dtype(g)
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
    return result.sum(axis=broadcast, keepdims=True) if broadcast else result


# ----- numpy.linalg -----


def _mT(x):
    return numpy.swapaxes(x, -1, -2)


def _solved_vectors(x, a):
    """Whether ``x = solve(a, b)`` solved for vectors (x has one axis fewer than
    a) or for matrices; NumPy 1 and 2 decide this differently, x tells."""
    return numpy.ndim(x) < numpy.ndim(a)


def solve_back(g, x, a):
    """a^-T g: the adjoint of b in ``x = solve(a, b)`` before summing to b's shape."""
    if _solved_vectors(x, a):
        return numpy.linalg.solve(_mT(a), numpy.expand_dims(g, -1))[..., 0]
    return numpy.linalg.solve(_mT(a), g)


def solve_lhs(gb, x, a):
    """The adjoint of a in ``x = solve(a, b)``: -gb x^T (summed to a's shape)."""
    if _solved_vectors(x, a):
        outer = numpy.expand_dims(gb, -1) * numpy.expand_dims(x, -2)
    else:
        outer = gb @ _mT(x)
    return unbroadcast(-outer, a)


def inv_adjoint(g, y):
    """y = inv(a):  d a = -y^T g y^T."""
    yt = _mT(y)
    return -(yt @ g @ yt)


def det_adjoint(g, y, a):
    """y = det(a):  d a = g y inv(a)^T."""
    scale = numpy.expand_dims(numpy.expand_dims(g * y, -1), -1)
    return scale * _mT(numpy.linalg.inv(a))


def slogdet_adjoint(g, a):
    """(sign, logabsdet) = slogdet(a): d a = g_logabsdet inv(a)^T (the sign is
    locally constant). `g` is the pair of adjoints."""
    scale = numpy.expand_dims(numpy.expand_dims(g[1], -1), -1)
    return scale * _mT(numpy.linalg.inv(a))


def _eye(x):
    return namespace(x).eye(shape_of(x)[-1], dtype=_dtype(x))


def _read_triangle(t, upper):
    """The adjoint of the entries a routine reads from one triangle of a
    symmetric matrix, from `t` with <t, dA> the change for symmetric dA:
    off-diagonal read entries get t_ij + t_ji, the diagonal t_ii."""
    both = t + _mT(t)
    strict = numpy.triu(both, 1) if upper else numpy.tril(both, -1)
    return strict + t * _eye(t)


def cholesky_adjoint(g, L, upper=False):
    """The adjoint of ``L = cholesky(a)`` (Murray 2016, arXiv:1602.07527):
    S = L^-T Phi(L^T gL) L^-1 with Phi the lower triangle, diagonal halved.
    NumPy reads one triangle of `a` only, and the adjoint is of those entries."""
    if upper:
        L, g = _mT(L), _mT(g)
    P = _mT(L) @ g
    phi = numpy.tril(P) - 0.5 * P * _eye(P)
    Lt = _mT(L)
    left = numpy.linalg.solve(Lt, phi)  # L^-T phi
    S = _mT(numpy.linalg.solve(Lt, _mT(left)))  # L^-T phi L^-1
    return _read_triangle(S, upper)


def eigh_adjoint(g, w, v, uplo="L"):
    """The adjoint of ``w, v = eigh(a)`` for a real symmetric `a`:
    T = v (diag(gw) + F o (v^T gv)) v^T with F_ij = 1 / (w_j - w_i) off the
    diagonal. Degenerate eigenvalues make F infinite (as in every AD system)."""
    gw, gv = g[0], g[1]
    inner = numpy.expand_dims(gw, -1) * _eye(v)
    if gv is not None:
        gap = numpy.expand_dims(w, -2) - numpy.expand_dims(w, -1)  # w_j - w_i
        # zero on the diagonal and where eigenvalues coincide exactly (so an
        # eigenvalue-only loss of a degenerate matrix has a finite gradient)
        inv_gap = (gap != 0) / (gap + (gap == 0))
        inner = inner + inv_gap * (_mT(v) @ gv)
    t = v @ inner @ _mT(v)
    return _read_triangle(t, uplo.upper() == "U")


def eigvalsh_adjoint(g, a, uplo="L"):
    """The adjoint of ``eigvalsh(a)``: v diag(g) v^T, on the triangle read."""
    w, v = numpy.linalg.eigh(a, UPLO=uplo)
    return eigh_adjoint((g, None), w, v, uplo)


def qr_adjoint(g, a, q, r, mode="reduced"):
    """The adjoint of ``q, r = qr(a)`` (reduced, rows >= columns):
    M = r gr^T - gq^T q;  d a = (gq + q copyltu(M)) r^-T, where copyltu(M)
    is the symmetric matrix with M's lower triangle."""
    rows, cols = shape_of(a)[-2:]
    if mode != "reduced" or rows < cols:
        raise TangentADError(
            "numpy.linalg.qr with mode={!r} on a {}x{} matrix".format(mode, rows, cols),
            hint="only the reduced QR of a matrix with at least as many rows as columns "
            "is differentiated",
        )
    gq, gr = g[0], g[1]
    m = r @ _mT(gr) - _mT(gq) @ q
    lower = numpy.tril(m, -1)
    copyltu = lower + _mT(lower) + m * _eye(m)
    b = gq + q @ copyltu
    return _mT(numpy.linalg.solve(r, _mT(b)))  # b r^-T


def field_adjoint(g, result, index):
    """The adjoint of ``result.<field>`` for a named tuple `result` (such as
    slogdet's): the adjoint of ``result[index]``, as a list."""
    if not isinstance(result, tuple):
        raise TangentADError(
            "an attribute of a {} on the differentiated path".format(type(result).__name__),
            hint="tangent_ad differentiates fields of the named tuples numpy.linalg returns; "
            "unpack other objects' values into names first",
        )
    out = SeqAdjoint(zeros_like(item) for item in result)
    out[index] = g
    return out


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
    return numpy.reshape(g, shape_of(x), order=order or "C")


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


def undiff(g, n=1, axis=-1):
    """The adjoint of ``diff(a, n, axis)``: y_i = a_(i+1) - a_i, so
    d a_j = g_(j-1) - g_j (with g zero beyond its ends), applied n times."""
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
    return g.sum() - unpad(g, array, pad_width).sum()


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
    returned (max(a, b) returns a on ties), or for ``max(seq)`` a list with
    `g` at the first element equal to the result."""
    if x2 is None:
        hit = [False] * len(x1)
        hit[[i for i, item in enumerate(x1) if item == y][0]] = True
        return SeqAdjoint(g if h else 0.0 * g for h in hit)
    return g * (x1 == y)


def zeros(x):
    xp = namespace(x)
    return xp.zeros(shape_of(x))


# ----- Arguments read for their shape only -----

# helper -> positions of arguments of which only the shape, dtype and array
# module are read (a `runtime.Like` will do), for the reverse generator's
# saving plan (tests/test_helpers_shape_only.py checks each entry).
SHAPE_ONLY = {
    unreshape: (1,),
    uncumsum: (1,),
    undiagonal: (1,),
    diag_adjoint: (1,),
    untrace: (1,),
    unsplit: (1,),
    hsplit_axis: (0,),
    untile: (1,),
    unrepeat: (1,),
    unpad: (1,),
    pad_fill_adjoint: (1,),
    untake: (1,),
    untake_along_axis: (1,),
    unitem: (1,),
    real_part_adjoint: (1,),
    linspace_adjoint: (1, 2),
    tensordot_lhs: (1,),
    tensordot_rhs: (2,),
    inner_lhs: (1,),
    inner_rhs: (2,),
}
