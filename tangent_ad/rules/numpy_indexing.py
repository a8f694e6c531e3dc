"""Indexing.

Reading ``x[index]`` is differentiated by the reverse generator itself (its
adjoint accumulates into the adjoint of `x` in place, with `add_at`, which is
correct when an index repeats); index assignment ``x[index] = v`` likewise.
This module declares the index-producing functions that have no derivative.
"""

import numpy as np

from .registry import nondifferentiable

nondifferentiable(
    np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
    np.searchsorted, np.digitize, np.unique, ("method", "argmax"), ("method", "argmin"),
    ("method", "argsort"), ("method", "nonzero"),
)
