"""Python containers: appending to a list, building a list of items, copying a dict.

The adjoint of a list is a `SeqAdjoint` (see `tangent_ad.containers`); its
tangent is a list of the items' tangents.
"""

from ..containers import drop_last, list_append, owned_list
from ..runtime import copy as copy_value
from ..tangent_helpers import append_tangent
from .registry import adjoint, linear, tangent


@adjoint(list_append)
def list_append_(y, items, item):
    d[items] = d[y][:-1]
    d[item] = d[y][-1]


@tangent(list_append)
def list_append_tangent(y, items, item):
    d[y] = append_tangent(d[items], d[item], items, item)


@adjoint(dict)
def dict_(y, mapping):
    # dict(params): a new dict of the same items (a shallow copy)
    d[mapping] = d[y]


@tangent(dict)
def dict_tangent(y, mapping):
    d[y] = copy_value(d[mapping])


# the reverse sweep's pop of a list's adjoint (`Reverse.list_append`), and
# the copy it owns first: linear in the adjoint, and removable where nothing
# reads the list's adjoint after them (it is owned: no other name holds it)
linear(drop_last, owned_list)
