"""tangent_ad: source-to-source automatic differentiation for Python and NumPy.

    import tangent_ad as ta
    df = ta.grad(loss)          # generated Python source, cached
    print(ta.source(df))        # read it; step through it in pdb
"""

from . import rules as _rules  # noqa: F401  (registers the built-in rules)
from .api import (
    Derivative,
    differentiate,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    source,
    value_and_grad,
    vjp,
)
from .checking import check_grad
from .export import export
from .errors import GradientCheckError, TangentADError
from .rules.registry import adjoint, linear, nondifferentiable, tangent

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "hvp",
    "jacobian",
    "hessian",
    "differentiate",
    "source",
    "export",
    "adjoint",
    "tangent",
    "nondifferentiable",
    "linear",
    "TangentADError",
    "GradientCheckError",
    "check_grad",
    "Derivative",
]

__version__ = "0.1.0"
