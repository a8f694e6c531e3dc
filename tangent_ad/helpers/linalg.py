"""Adjoints of numpy.linalg: solve, inv, det, slogdet, cholesky, eigh, qr."""

import numpy

from ..containers import SeqAdjoint
from ..errors import TangentADError
from ..runtime import namespace, shape_of, unbroadcast, zeros_like
from ._util import _dtype


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
