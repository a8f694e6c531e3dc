"""The passes, one job each, in pipeline order.

    desugar -> lower_jumps -> anf -> (analysis) -> reverse -> saves -> optimize

`tangent_ad.transform` runs them; each module's docstring states what it
guarantees to the passes after it.
"""

from .desugar import desugar
from .jumps import lower_jumps
from .anf import anf

NORMALIZE = (desugar, lower_jumps, anf)

__all__ = ["NORMALIZE", "desugar", "lower_jumps", "anf"]
