"""The passes, one job each, in pipeline order.

    extract_local_functions -> lower_comprehensions -> desugar -> lower_jumps
      -> anf -> inline -> (analysis) -> reverse -> saves -> optimize

`tangent_ad.transform` runs them; each module's docstring states what it
guarantees to the passes after it.
"""

from .local_functions import extract_local_functions
from .comprehensions import lower_comprehensions
from .desugar import desugar
from .jumps import lower_jumps
from .anf import anf

NORMALIZE = (extract_local_functions, lower_comprehensions, desugar, lower_jumps, anf)

__all__ = ["NORMALIZE", "extract_local_functions", "lower_comprehensions", "desugar", "lower_jumps", "anf"]
