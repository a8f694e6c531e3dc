"""Numeric helpers that derivative templates call (part of the runtime).

Each is a small, array-module-agnostic function: it calls methods of its
arguments or the `numpy` API (which CuPy and Dask arrays dispatch through
``__array_function__``), and creates arrays only through the namespace of a
value it was given (`runtime.namespace`), never a NumPy constructor on its own.
Arguments documented as "only its shape is read" may be a `runtime.Like`.

Helpers that cannot differentiate a case raise `TangentADError` at run time,
naming the function and the argument that is not supported.

The helpers live in modules by topic (`elementwise`, `reductions`,
`products`, `linalg`, `shaping`, `indexing`); this package re-exports them all,
so generated code and rules name them as `helpers.<name>`.
"""

from ._util import either
from .elementwise import (
    cast_adjoint,
    cast_tangent,
    clip_inside,
    clip_to_high,
    clip_to_low,
    fill_adjoint,
    fmax_slope,
    fmin_slope,
    logistic,
    max_slope,
    min_slope,
    positive_log,
    real_identity,
    sign_of_real,
    sinc_curvature,
    sinc_slope,
)
from .reductions import (
    cumprod_adjoint,
    diag_adjoint,
    max_mask,
    nan_mask,
    nanmean_adjoint,
    norm_adjoint,
    prod_adjoint,
    reduced_size,
    std_adjoint,
    uncumsum,
    undiagonal,
    untrace,
    var_adjoint,
)
from .products import (
    dot_lhs,
    dot_rhs,
    einsum_adjoint,
    inner_lhs,
    inner_rhs,
    kron_adjoint,
    matmul_lhs,
    matmul_rhs,
    outer_lhs,
    outer_rhs,
    tensordot_lhs,
    tensordot_rhs,
    untranspose,
)
from .linalg import (
    cholesky_adjoint,
    det_adjoint,
    eigh_adjoint,
    eigvalsh_adjoint,
    field_adjoint,
    inv_adjoint,
    qr_adjoint,
    slogdet_adjoint,
    solve_back,
    solve_lhs,
)
from .shaping import (
    hsplit_axis,
    negated,
    pad_fill_adjoint,
    unconcatenate,
    undiff,
    unpad,
    unrepeat,
    unreshape,
    unsplit,
    unstack,
    unstack_along,
    untile,
)
from .indexing import (
    extreme_first,
    linspace_adjoint,
    linspace_tangent,
    unitem,
    unsort,
    unsum_sequence,
    untake,
    untake_along_axis,
    zeros,
)


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
    undiff: (1,),
    pad_fill_adjoint: (1,),
    untake: (1,),
    untake_along_axis: (1,),
    unitem: (1,),
    linspace_adjoint: (1, 2),
    tensordot_lhs: (1,),
    tensordot_rhs: (2,),
    inner_lhs: (1,),
    inner_rhs: (2,),
}
