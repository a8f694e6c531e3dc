"""Array creation inside differentiated code: no derivative flows through.

`zeros_like(x)` and friends depend only on `x`'s shape, not its values.
"""

import numpy as np

from .registry import nondifferentiable, fresh

_CREATION = [
    np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like, np.eye,
    np.identity, np.arange, np.tri,
]
nondifferentiable(*_CREATION, np.random.rand, np.random.randn, np.random.normal,
                  np.random.uniform, np.random.standard_normal, np.isclose, np.allclose,
                  np.any, np.all, np.count_nonzero, np.array_equal)
fresh(*_CREATION)
