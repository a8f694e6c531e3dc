"""Python containers: appending to a list, building a list of items.

The adjoint of a list is a `SeqAdjoint` (see `tangent_ad.containers`).
"""

from ..containers import list_append
from .registry import adjoint


@adjoint(list_append)
def list_append_(y, items, item):
    d[items] = d[y][:-1]
    d[item] = d[y][-1]
