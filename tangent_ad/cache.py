"""The derivative cache: the second identical request is a dictionary look-up.

Keys hold the function's code object (so a redefinition is a new key), the
identity of its closure cells (generated code reads those very cells), the
options and the rule registry's version. Values keep the cells alive, so an
`id` in a key is never reused while its entry exists. The cache holds the
`LIMIT` entries used last: a program that makes a new closure per step (a
per-batch loss) does not keep every one of them alive.
"""

import collections

from .rules import registry

LIMIT = 1024
_ENTRIES = collections.OrderedDict()
stats = {"generated": 0, "hits": 0}


def key(fn, *options):
    """Identity of the code, its module and its closure cells (equal code
    objects from two modules must not share a derivative), plus options."""
    closure = fn.__closure__ or ()
    identity = (id(fn.__code__), id(fn.__globals__), tuple(id(cell) for cell in closure))
    return identity + (registry.version(),) + options


def get(cache_key):
    entry = _ENTRIES.get(cache_key)
    if entry is None:
        return None
    _ENTRIES.move_to_end(cache_key)
    stats["hits"] += 1
    return entry[0]


def put(cache_key, value, fn):
    # holding the function, its code, globals and cells keeps the ids in the
    # key unique
    _ENTRIES[cache_key] = (value, (fn, fn.__code__, fn.__globals__, fn.__closure__))
    _ENTRIES.move_to_end(cache_key)
    while len(_ENTRIES) > LIMIT:
        _ENTRIES.popitem(last=False)  # the one used longest ago
    return value


def clear():
    """Forget every cached derivative."""
    _ENTRIES.clear()
