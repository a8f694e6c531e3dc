"""Derivative rules, grouped by the module they cover.

Importing this package registers every built-in rule. `registry` holds the
tables and the `adjoint` / `tangent` / `nondifferentiable` decorators.
"""

from . import registry
from . import operators, math_rules, numpy_ufuncs, numpy_reductions, numpy_shape  # noqa: F401
from . import numpy_linalg, numpy_indexing, numpy_creation  # noqa: F401
from . import containers_rules, runtime_rules, observers  # noqa: F401

__all__ = ["registry"]
