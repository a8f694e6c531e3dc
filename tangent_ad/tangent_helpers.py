"""Numeric helpers that tangent (forward-mode) templates call (part of the runtime).

Like `tangent_ad.helpers`, each is array-module-agnostic: it calls the NumPy
API (which CuPy and Dask arrays dispatch through ``__array_function__``) or
the namespace of a value it was given. Three kinds:

* first-order tangents of functions whose rule does not fit an expression
  (``eigh``, ``cholesky``, ``qr``, ``sort``, ``cumprod``, ``norm``, ...);
* tangents of the adjoint helpers that generated reverse code calls and that
  are not linear in their arguments (``cholesky_adjoint``, ``eigh_adjoint``,
  ...): forward mode over reverse code (Hessian-vector products) needs them;
* `broadcast_like`, which gives a tangent the shape of the result it belongs to.

A tangent argument may be the Python float ``0.0``: forward mode passes it for
a tangent that is zero by construction, and these helpers skip its terms.
Cases they cannot differentiate raise `TangentADError`, naming the function.
"""

import numbers

import numpy

from . import helpers
from .helpers._util import _dtype, _normalize_axes, _refuse_complex
from .helpers.linalg import _solved_vectors
from .errors import TangentADError
from .runtime import namespace, shape_of, unreduce, zeros_like

# ----- Small utilities -----


def _is_zero(t):
    """Whether tangent `t` is the zero forward mode passes for "no tangent"."""
    return isinstance(t, numbers.Number) and t == 0


def _mT(x):
    return numpy.swapaxes(x, -1, -2)


def _eye(x):
    return namespace(x).eye(shape_of(x)[-1], dtype=_dtype(x))




def _read_triangle(t, upper):
    """Off-diagonal entries of one triangle get t_ij + t_ji, the diagonal t_ii
    (the adjoint of a routine reading one triangle of a symmetric matrix)."""
    both = t + _mT(t)
    strict = numpy.triu(both, 1) if upper else numpy.tril(both, -1)
    return strict + t * _eye(t)


def _symmetric_from(t, upper):
    """The symmetric matrix a routine reading one triangle of `t` sees."""
    if upper:
        return numpy.triu(t) + _mT(numpy.triu(t, 1))
    return numpy.tril(t) + _mT(numpy.tril(t, -1))


def broadcast_like(t, y):
    """The tangent `t` of an operand, broadcast to the shape of the result `y`
    (a read-only view when the shapes differ; `t` itself when they agree),
    in `y`'s floating dtype (``x + grid`` of a float32 `x` and a float64
    `grid` is float64, as NumPy promotes)."""
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype.kind == "f" and getattr(t, "dtype", dtype) != dtype:
        t = t.astype(dtype)
    shape = shape_of(y)
    if shape_of(t) == shape:
        return t
    return namespace(y).broadcast_to(t, shape)


# ----- Builtins and selections -----


def extreme_tangent(t, x1, x2, y):
    """The tangent of Python's ``max(x1, x2)`` / ``min`` coming from `x1`
    (`x1` when it is returned), or of ``max(seq)``: the tangent of the first
    element equal to the result."""
    if x2 is None:
        first = [i for i, item in enumerate(x1) if item == y][0]
        return t[first]
    return t * (x1 == y)


def field_tangent(t, result, index):
    """The tangent of ``result.<field>`` for a named tuple `result` (what
    slogdet, eigh and qr return): the tangent of ``result[index]``."""
    if not isinstance(result, tuple):
        raise TangentADError(
            "an attribute of a {} on the differentiated path".format(type(result).__name__),
            hint="tangent_ad differentiates fields of the named tuples numpy.linalg returns; "
            "unpack other objects' values into names first",
        )
    return t[index]


def scalar_index_tangent(t, index):
    """The tangent of ``x[index]`` for an index of only None, ``()``, ``...``
    and booleans, which a NumPy scalar takes too: `t` may then be a Python
    number standing for the tangent of that NumPy scalar (``np.add(s, 1.0)``
    of a float `s` has the tangent ``t_s``)."""
    if isinstance(t, numbers.Number):
        t = numpy.asarray(t)[()]
    return t[index]


def item_tangent(t, args):
    """The tangent of ``x.item(*args)``: that element of `t`, as a Python number."""
    return namespace(t).asarray(t).item(*args)


def method_axes(axes):
    """The axes of ``x.transpose(*axes)`` (which may come as one tuple) as
    numpy.transpose takes them."""
    if len(axes) == 0:
        return None
    if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
        return axes[0]
    return axes


def fill_tangent(t, y):
    """The tangent of ``full(shape, v)`` / ``full_like(a, v)``: `t` in every
    element (zero for an integer result)."""
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype.kind not in "fc":
        return zeros_like(y)
    return numpy.full_like(y, 0.0) + t


def append_tangent(t_items, t_item, items, item):
    """The tangent of ``items + [item]`` (a list append)."""
    if _is_zero(t_items):
        t_items = [zeros_like(entry) for entry in items]
    if _is_zero(t_item):
        t_item = zeros_like(item)
    return list(t_items) + [t_item]


# ----- Reductions -----


def _exclusive_products(x):
    """prod of x[..., k] over k != j, for each j, along the last axis (no division)."""
    xp = namespace(x)
    ones = xp.ones_like(x[..., :1])
    left = numpy.concatenate([ones, numpy.cumprod(x[..., :-1], axis=-1)], axis=-1)
    flipped = numpy.flip(x, -1)
    right = numpy.concatenate([ones, numpy.cumprod(flipped[..., :-1], axis=-1)], axis=-1)
    return left * numpy.flip(right, -1)


def _reduced_last(a, axis):
    """`a` with the reduced axes moved last and flattened into one; and how to
    undo it (the moved shape and the axes)."""
    shape = shape_of(a)
    axes = _normalize_axes(axis, len(shape))
    last = tuple(range(len(shape) - len(axes), len(shape)))
    moved = numpy.moveaxis(a, axes, last)
    flat = numpy.reshape(moved, tuple(moved.shape[: len(shape) - len(axes)]) + (-1,))
    return flat, (tuple(moved.shape), axes, last)


def prod_others_tangent(g, a, t, axis=None, keepdims=False):
    """The tangent, along `t`, of the adjoint of ``prod(a, axis)``:
    ``unreduce(g) * d others`` with others_i = prod_{k != i} a_k, so
    d others_i = sum_{j != i} t_j prod_{k != i, j} a_k, formed from exclusive
    products of the rows of an n x n matrix (exact with zeros in `a`)."""
    shape = shape_of(a)
    if shape == ():
        return 0.0 * g
    t = numpy.broadcast_to(t, shape)
    flat, (moved_shape, axes, last) = _reduced_last(a, axis)
    t_flat, _ = _reduced_last(t, axis)
    size = flat.shape[-1]
    xp = namespace(flat)
    eye = xp.eye(size, dtype=bool)
    rows = xp.where(eye, 1.0, numpy.expand_dims(flat, -2))  # row i: a without a_i
    t_rows = xp.where(eye, 0.0, numpy.expand_dims(t_flat, -2))
    d_others = (t_rows * _exclusive_products(rows)).sum(axis=-1)
    d_others = numpy.moveaxis(numpy.reshape(d_others, moved_shape), last, axes)
    return unreduce(g, a, axis, keepdims) * d_others


def cumprod_tangent(t, a, y, axis=None):
    """The tangent of ``y = cumprod(a, axis)``: t_y_i = t_y_(i-1) a_i + y_(i-1) t_i
    (the product rule along the axis; exact with zeros in `a`)."""
    t = numpy.broadcast_to(t, shape_of(a))
    if axis is None:
        a, y, t = (numpy.reshape(v, (-1,)) for v in (a, y, t))
        axis = 0
    a0, y0, t0 = (numpy.moveaxis(v, axis, 0) for v in (a, y, t))
    if a0.shape[0] == 0:
        return numpy.moveaxis(t0 * 1.0, 0, axis)
    out = [t0[0]]
    for i in range(1, a0.shape[0]):
        out.append(out[-1] * a0[i] + y0[i - 1] * t0[i])
    return numpy.moveaxis(numpy.stack(out), 0, axis)


def cumprod_adjoint_tangent(g, a, y, t_g, t_a, t_y, axis=None):
    """The tangent of ``cumprod_adjoint(g, a, y, axis)`` = before(y) * S(g, a),
    where before_i = y_(i-1) (1 for i = 0) and S_i = g_i + a_(i+1) S_(i+1)."""
    shape = shape_of(a)
    if axis is None:
        g, a, y = (numpy.reshape(v, (-1,)) for v in (g, a, y))
        t_g, t_a, t_y = (v if _is_zero(v) else numpy.reshape(v, (-1,)) for v in (t_g, t_a, t_y))
        axis = 0
    g0, a0, y0 = (numpy.moveaxis(v, axis, 0) for v in (g, a, y))
    t_g0, t_a0, t_y0 = (
        None if _is_zero(v) else numpy.moveaxis(v, axis, 0) for v in (t_g, t_a, t_y)
    )
    n = a0.shape[0]
    if n == 0:
        return zeros_like(a) if shape else 0.0
    sums, d_sums = [g0[-1]], [t_g0[-1] if t_g0 is not None else 0.0 * g0[-1]]
    for i in range(n - 2, -1, -1):
        d_next = a0[i + 1] * d_sums[-1]
        if t_g0 is not None:
            d_next = d_next + t_g0[i]
        if t_a0 is not None:
            d_next = d_next + t_a0[i + 1] * sums[-1]
        sums.append(g0[i] + a0[i + 1] * sums[-1])
        d_sums.append(d_next)
    sums, d_sums = numpy.stack(sums[::-1]), numpy.stack(d_sums[::-1])
    xp = namespace(y0)
    before = numpy.concatenate([xp.ones_like(y0[:1]), y0[:-1]], axis=0)
    out = before * d_sums
    if t_y0 is not None:
        d_before = numpy.concatenate([xp.zeros_like(y0[:1]), t_y0[:-1]], axis=0)
        out = out + d_before * sums
    return numpy.reshape(numpy.moveaxis(out, 0, axis), shape)


def _norm_is_matrix(x, ord, axis):
    ndim = len(shape_of(x))
    return (axis is None and ord is not None and ndim == 2) or (
        axis is not None and not isinstance(axis, numbers.Integral) and len(axis) == 2
    )


def norm_tangent(t, x, y, ord=None, axis=None, keepdims=False):
    """The tangent of ``y = numpy.linalg.norm(x, ord, axis, keepdims)``: the
    slope (as in `helpers.norm_adjoint`) times `t`, summed over the reduced axes."""
    ones = namespace(x).ones_like(namespace(x).asarray(y))
    slope = helpers.norm_adjoint(ones, x, y, ord, axis, keepdims)
    ndim = len(shape_of(x))
    reduced = None if axis is None else axis
    if axis is None and not _norm_is_matrix(x, ord, axis):
        reduced = tuple(range(ndim))
    return numpy.sum(slope * t, axis=reduced, keepdims=keepdims)


def norm_slope_tangent(g, x, y, t_x, t_y, ord=None, axis=None, keepdims=False):
    """The tangent of ``norm_adjoint(g, x, y, ...)`` along (t_x, t_y) with `g`
    fixed: unreduce(g) times the derivative of the norm's slope. The slope of
    the 1, inf, -inf and 0 norms is piecewise constant (derivative zero); the
    2-norm, the Frobenius norm and p-norms are differentiated, and the matrix
    norms computed through the SVD ('nuc', 2, -2) through its derivative."""
    _refuse_complex(x, "numpy.linalg.norm")
    matrix = _norm_is_matrix(x, ord, axis)
    gx = unreduce(g, x, axis, keepdims)
    yx = unreduce(y, x, axis, keepdims)
    t_x = 0.0 if _is_zero(t_x) else t_x
    t_yx = 0.0 if _is_zero(t_y) else unreduce(t_y, x, axis, keepdims)
    safe = yx + (yx == 0)
    if (matrix and ord in (None, "fro")) or (not matrix and ord in (None, 2)):
        # slope x / y
        return gx * (t_x / safe - x * t_yx / (safe * safe))
    if matrix and ord in ("nuc", 2, -2):
        if _is_zero(t_x):
            return 0.0 * gx * x
        axes = tuple(int(a) % len(shape_of(x)) for a in (axis if axis is not None else (0, 1)))
        moved = numpy.moveaxis(x, axes, (-2, -1))
        t_moved = numpy.moveaxis(numpy.broadcast_to(t_x, shape_of(x)), axes, (-2, -1))
        u, vt, du, dvt = _svd_tangent(moved, t_moved)
        if ord == "nuc":
            d_slope = du @ vt + u @ dvt  # d (U V^T)
        else:
            k = slice(0, 1) if ord == 2 else slice(-1, None)
            d_slope = du[..., :, k] @ vt[..., k, :] + u[..., :, k] @ dvt[..., k, :]
        return gx * numpy.moveaxis(d_slope, (-2, -1), axes)
    if matrix or ord in (1, numpy.inf, -numpy.inf, 0):
        return 0.0 * gx * x
    if isinstance(ord, numbers.Number):
        # slope sign(x) (|x| / y)^(p - 1);  d = (p - 1) (|x| / y)^(p - 2) (t_x / y - x t_y / y^2)
        ratio = abs(x) / safe
        nonzero = ratio != 0
        power = numpy.where(nonzero, ratio, 1.0) ** (ord - 2) * nonzero
        return gx * (ord - 1) * power * (t_x / safe - x * t_yx / (safe * safe))
    raise TangentADError("numpy.linalg.norm with ord={!r}".format(ord))


def _svd_tangent(a, t):
    """(U, V^T, dU, dV^T) of the reduced SVD a = U diag(s) V^T along `t`
    (the forward rule of JAX's ``svd_jvp_rule``, real case). Repeated singular
    values have no singular-vector derivative (infinite here, as everywhere)."""
    u, s, vt = numpy.linalg.svd(a, full_matrices=False)
    v = _mT(vt)
    s_row = numpy.expand_dims(s, -2)
    s_col = numpy.expand_dims(s, -1)
    eye = _eye(numpy.expand_dims(s, -1) * s_row)
    diffs = (s_row + s_col) * (s_row - s_col)  # s_j^2 - s_i^2
    F = 1.0 / (diffs + eye) - eye
    dS = _mT(u) @ t @ v
    dSS = dS * s_row  # dS diag(s)
    SdS = s_col * dS  # diag(s) dS
    du = u @ (F * (dSS + _mT(dSS)))
    dv = v @ (F * (SdS + _mT(SdS)))
    rows, cols = shape_of(a)[-2:]
    if rows > cols:
        dAV = t @ v
        du = du + (dAV - u @ (_mT(u) @ dAV)) / s_row
    if cols > rows:
        dAtU = _mT(t) @ u
        dv = dv + (dAtU - v @ (_mT(v) @ dAtU)) / s_row
    return u, vt, du, _mT(dv)


# ----- Shapes -----


_GATHER_PADS = ("edge", "reflect", "symmetric", "wrap")


def pad_tangent(t_array, t_fill, array, pad_width, mode="constant", options=None):
    """The tangent of ``pad(array, pad_width, mode, constant_values=c, ...)``:
    pad is linear in the array and (mode 'constant') the fill value together."""
    options = dict(options or {})
    if _is_zero(t_array):
        t_array = zeros_like(array)
    if mode == "constant":
        dtype = getattr(array, "dtype", None)
        kind = dtype.kind if dtype is not None else numpy.asarray(array).dtype.kind
        integers = kind not in "fc"  # (the fill is cast to integers: no tangent)
        options["constant_values"] = 0.0 if _is_zero(t_fill) or integers else t_fill
        return numpy.pad(t_array, pad_width, mode, **options)
    if mode == "empty" or (mode in _GATHER_PADS and options.get("reflect_type", "even") == "even"):
        return numpy.pad(t_array, pad_width, mode, **options)
    odd = " and reflect_type='odd'" if mode in _GATHER_PADS else ""
    raise TangentADError(
        "numpy.pad with mode={!r}{}".format(mode, odd),
        hint="differentiable pad modes: 'constant', 'empty', 'edge', 'reflect', 'symmetric', "
        "'wrap' (with reflect_type='even')",
    )


def sort_tangent(t, a, axis=-1):
    """The tangent of ``sort(a, axis)``: `t` gathered through the sorting
    permutation (stable, as the adjoint's)."""
    t = numpy.broadcast_to(t, shape_of(a))
    if axis is None:
        order = numpy.argsort(numpy.reshape(a, (-1,)), kind="stable")
        return numpy.reshape(t, (-1,))[order]
    order = numpy.argsort(a, axis=axis, kind="stable")
    return numpy.take_along_axis(t, order, axis)


# ----- Products -----


def einsum_tangent(subscripts, operands, tangents, optimize=False):
    """The tangent of ``einsum(subscripts, *operands)``: one term per operand
    with a tangent, that operand replaced by it (einsum is multilinear)."""
    if not isinstance(subscripts, str):
        raise TangentADError(
            "numpy.einsum in the sublist format",
            hint="write the subscripts as a string, e.g. np.einsum('ij,jk->ik', a, b)",
        )
    operands = [op for op in operands if op is not None]
    total = 0.0
    for i, t in enumerate(tangents[: len(operands)]):
        if _is_zero(t):
            continue
        args = list(operands)
        args[i] = t
        total = total + numpy.einsum(subscripts, *args, optimize=optimize)
    return total


def einsum_adjoint_tangent(t_g, g, subscripts, which, operands, tangents):
    """The tangent of ``einsum_adjoint(g, subscripts, which, *operands)``: it is
    linear in `g` and in every operand but operand `which` (read for its shape),
    and shaped like that operand (zeros when nothing varies)."""
    total = None if _is_zero(t_g) else helpers.einsum_adjoint(t_g, subscripts, which, *operands)
    for i, t in enumerate(tangents):
        if i == which or operands[i] is None or _is_zero(t):
            continue
        args = list(operands)
        args[i] = t
        term = helpers.einsum_adjoint(g, subscripts, which, *args)
        total = term if total is None else total + term
    return zeros_like(operands[which]) if total is None else total


def kron_adjoint_tangent(g, a, b, which, t_a, t_b):
    """The tangent of ``kron_adjoint(g, a, b, which)`` along the other operand
    (it reads `b` for a's adjoint and `a` for b's)."""
    if which == 0:
        return zeros_like(a) if _is_zero(t_b) else helpers.kron_adjoint(g, a, t_b, 0)
    return zeros_like(b) if _is_zero(t_a) else helpers.kron_adjoint(g, t_a, b, 1)


# ----- numpy.linalg -----


def _solve_vectors(a, rhs, vectors):
    """a^-1 rhs, for a stack of vectors or of matrices."""
    if vectors:
        return numpy.linalg.solve(a, numpy.expand_dims(rhs, -1))[..., 0]
    return numpy.linalg.solve(a, rhs)


def solve_tangent(t_a, t_b, a, y):
    """The tangent of ``y = solve(a, b)``: a^-1 (t_b - t_a y)."""
    vectors = _solved_vectors(y, a)
    rhs = 0.0 if _is_zero(t_b) else t_b
    if not _is_zero(t_a):
        product = (t_a @ numpy.expand_dims(y, -1))[..., 0] if vectors else t_a @ y
        rhs = rhs - product
    rhs = numpy.broadcast_to(rhs, shape_of(y))
    return _solve_vectors(a, rhs, vectors)


def solve_back_tangent(g, x, a, t_g, t_a):
    """The tangent of ``solve_back(g, x, a)`` = a^-T g: a^-T (t_g - t_a^T a^-T g)."""
    vectors = _solved_vectors(x, a)
    rhs = 0.0 if _is_zero(t_g) else t_g
    if not _is_zero(t_a):
        back = helpers.solve_back(g, x, a)
        product = (_mT(t_a) @ numpy.expand_dims(back, -1))[..., 0] if vectors else _mT(t_a) @ back
        rhs = rhs - product
    rhs = numpy.broadcast_to(rhs, numpy.broadcast_shapes(shape_of(rhs), shape_of(g)))
    return _solve_vectors(_mT(a), rhs, vectors)


def _phi(x):
    """The lower triangle of `x` with its diagonal halved."""
    return numpy.tril(x) - 0.5 * x * _eye(x)


def cholesky_tangent(t, L, upper=False):
    """The tangent of ``L = cholesky(a)`` (Murray 2016, arXiv:1602.07527):
    L Phi(L^-1 dA L^-T), with dA the symmetric matrix of the triangle NumPy reads."""
    dA = _symmetric_from(t, upper)
    if upper:
        L = _mT(L)
    left = numpy.linalg.solve(L, dA)  # L^-1 dA
    inner = _mT(numpy.linalg.solve(L, _mT(left)))  # L^-1 dA L^-T
    dL = L @ _phi(inner)
    return _mT(dL) if upper else dL


def cholesky_adjoint_tangent(g, L, upper, t_g, t_L):
    """The tangent of ``cholesky_adjoint(g, L, upper)``:
    S = L^-T Phi(L^T g) L^-1, so
    dS = L^-T Phi(dL^T g + L^T dg) L^-1 - L^-T dL^T S - S dL L^-1."""
    if upper:
        L, g = _mT(L), _mT(g)
        t_g = t_g if _is_zero(t_g) else _mT(t_g)
        t_L = t_L if _is_zero(t_L) else _mT(t_L)
    Lt = _mT(L)
    P = Lt @ g
    dP = 0.0
    if not _is_zero(t_L):
        dP = dP + _mT(t_L) @ g
    if not _is_zero(t_g):
        dP = dP + Lt @ t_g
    phi, dphi = _phi(P), _phi(dP + 0.0 * P)

    def sandwich(m):  # L^-T m L^-1
        return _mT(numpy.linalg.solve(Lt, _mT(numpy.linalg.solve(Lt, m))))

    dS = sandwich(dphi)
    if not _is_zero(t_L):
        S = sandwich(phi)
        dS = dS - numpy.linalg.solve(Lt, _mT(t_L) @ S) - _mT(numpy.linalg.solve(Lt, _mT(S @ t_L)))
    return _read_triangle(dS, upper)


def _inverse_gaps(w):
    """F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it and where eigenvalues
    coincide exactly (as in `helpers.eigh_adjoint`)."""
    gap = numpy.expand_dims(w, -2) - numpy.expand_dims(w, -1)
    return (gap != 0) / (gap + (gap == 0))


def _eigh_perturbation(t, w, v, uplo):
    """(dw, dv) of ``w, v = eigh(a)`` along `t`: C = v^T dA v, dw = diag(C),
    dv = v (F o C) with F_ij = 1 / (w_j - w_i)."""
    dA = _symmetric_from(t, uplo.upper() == "U")
    C = _mT(v) @ dA @ v
    dw = numpy.diagonal(C, axis1=-2, axis2=-1)
    dv = v @ (_inverse_gaps(w) * C)
    return dw, dv


def eigh_tangent(t, y, uplo="L"):
    """The tangent of ``y = eigh(a)``: (d eigenvalues, d eigenvectors).
    Degenerate eigenvalues have no eigenvector derivative (taken as zero in
    the degenerate block, as the adjoint does)."""
    return _eigh_perturbation(t, y[0], y[1], uplo)


def eigvalsh_tangent(t, a, uplo="L"):
    """The tangent of ``eigvalsh(a)``: diag(v^T dA v)."""
    w, v = numpy.linalg.eigh(a, UPLO=uplo)
    return _eigh_perturbation(t, w, v, uplo)[0]


def eigh_adjoint_tangent(g, w, v, uplo, t_g, t_w, t_v):
    """The tangent of ``eigh_adjoint(g, w, v, uplo)`` = tri(v inner v^T) with
    inner = diag(gw) + F o (v^T gv) and F_ij = 1 / (w_j - w_i):
    d inner = diag(t_gw) + dF o (v^T gv) + F o (t_v^T gv + v^T t_gv),
    dF = -F^2 o (t_w_j - t_w_i)."""
    gw, gv = g[0], g[1]
    t_gw, t_gv = (0.0, 0.0) if _is_zero(t_g) else (t_g[0], t_g[1])
    F = _inverse_gaps(w)
    inner = numpy.expand_dims(gw, -1) * _eye(v)
    d_inner = 0.0
    if not _is_zero(t_gw):
        d_inner = d_inner + numpy.expand_dims(t_gw, -1) * _eye(v)
    if gv is not None:
        vg = _mT(v) @ gv
        inner = inner + F * vg
        if not _is_zero(t_w):
            d_gap = numpy.expand_dims(t_w, -2) - numpy.expand_dims(t_w, -1)
            d_inner = d_inner - F * F * d_gap * vg
        if not _is_zero(t_v):
            d_inner = d_inner + F * (_mT(t_v) @ gv)
        if not _is_zero(t_gv):
            d_inner = d_inner + F * (_mT(v) @ t_gv)
    dT = v @ (d_inner + 0.0 * inner) @ _mT(v)
    if not _is_zero(t_v):
        dT = dT + t_v @ inner @ _mT(v) + v @ inner @ _mT(t_v)
    return _read_triangle(dT, uplo.upper() == "U")


def eigvalsh_adjoint_tangent(g, a, uplo, t_g, t_a):
    """The tangent of ``eigvalsh_adjoint(g, a, uplo)`` = tri(v diag(g) v^T)."""
    w, v = numpy.linalg.eigh(a, UPLO=uplo)
    t_w, t_v = (0.0, 0.0) if _is_zero(t_a) else _eigh_perturbation(t_a, w, v, uplo)
    return eigh_adjoint_tangent((g, None), w, v, uplo, (t_g, 0.0), t_w, t_v)


def _check_qr(a, mode):
    rows, cols = shape_of(a)[-2:]
    if mode != "reduced" or rows < cols:
        raise TangentADError(
            "numpy.linalg.qr with mode={!r} on a {}x{} matrix".format(mode, rows, cols),
            hint="only the reduced QR of a matrix with at least as many rows as columns "
            "is differentiated",
        )


def qr_tangent(t, a, y, mode="reduced"):
    """The tangent of ``q, r = qr(a)`` (reduced, rows >= columns; the forward
    rule of JAX's ``qr_jvp_rule``): with X = q^T dA r^-1 and
    dO = tril(X, -1) - tril(X, -1)^T, dq = q (dO - X) + dA r^-1, dr = (X - dO) r."""
    _check_qr(a, mode)
    q, r = y[0], y[1]
    dx_rinv = _mT(numpy.linalg.solve(_mT(r), _mT(t)))  # dA r^-1
    x = _mT(q) @ dx_rinv
    lower = numpy.tril(x, -1)
    do = lower - _mT(lower)
    return q @ (do - x) + dx_rinv, (x - do) @ r


def _copyltu(m):
    lower = numpy.tril(m, -1)
    return lower + _mT(lower) + m * _eye(m)


def qr_adjoint_tangent(g, a, q, r, t_g, t_q, t_r, mode="reduced"):
    """The tangent of ``qr_adjoint(g, a, q, r)`` = b r^-T with
    b = gq + q copyltu(M), M = r gr^T - gq^T q:  d = (db - result t_r^T) r^-T."""
    _check_qr(a, mode)
    gq, gr = g[0], g[1]
    t_gq, t_gr = (0.0, 0.0) if _is_zero(t_g) else (t_g[0], t_g[1])
    m = r @ _mT(gr) - _mT(gq) @ q
    dm = 0.0 * m
    if not _is_zero(t_r):
        dm = dm + t_r @ _mT(gr)
    if not _is_zero(t_gr):
        dm = dm + r @ _mT(t_gr)
    if not _is_zero(t_gq):
        dm = dm - _mT(t_gq) @ q
    if not _is_zero(t_q):
        dm = dm - _mT(gq) @ t_q
    b = gq + q @ _copyltu(m)
    db = q @ _copyltu(dm) + t_gq
    if not _is_zero(t_q):
        db = db + t_q @ _copyltu(m)
    result = _mT(numpy.linalg.solve(r, _mT(b)))
    if not _is_zero(t_r):
        db = db - result @ _mT(t_r)
    return _mT(numpy.linalg.solve(r, _mT(db)))


__all__ = [
    "broadcast_like", "extreme_tangent", "field_tangent", "item_tangent", "method_axes",
    "fill_tangent", "append_tangent", "prod_others_tangent", "cumprod_tangent",
    "cumprod_adjoint_tangent", "norm_tangent", "norm_slope_tangent", "pad_tangent",
    "sort_tangent", "einsum_tangent", "einsum_adjoint_tangent", "kron_adjoint_tangent",
    "solve_tangent", "solve_back_tangent", "cholesky_tangent", "cholesky_adjoint_tangent",
    "eigh_tangent", "eigvalsh_tangent", "eigh_adjoint_tangent", "eigvalsh_adjoint_tangent",
    "qr_tangent", "qr_adjoint_tangent",
]
