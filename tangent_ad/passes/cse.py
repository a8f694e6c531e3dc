"""A value read twice in a row is read once.

The normal form names every operation, so ``u[i] * u[i]`` reads the element
into two temporaries, and the reverse sweep saves both::

    _t3 = u[i]                  _t3 = u[i]
    _t4 = u[i]         ->       _t5 = _t3 * _t3
    _t5 = _t3 * _t4

A temporary bound (once) to the same element read (by names and constants,
not slices) as an earlier temporary of the same block is that temporary:
its statement goes and its reads read the earlier one. (Not two calls of a
pure function: each makes an array of its own, which a write in place
through one name must not change under the other, ``a1, a2 = np.exp(a),
np.exp(a); a1[0] = 5.0``.)
Only while nothing between the two may change what they read: any statement
other than the binding of a temporary to such a read or call ends what is
known (so a write into the array, under any name, does).
"""

import gast

from .. import naming
from .. import nodes as n


def common_reads(func):
    """Rewrite `func` (in normal form) in place; return it."""
    bound = {}
    for node in n.walk(func):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            bound[node.id] = bound.get(node.id, 0) + 1
    renames = {}
    _block(func.body, bound, renames)
    if renames:
        for node in n.walk(func):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id in renames:
                node.id = renames[node.id]
    return func


def _block(stmts, bound, renames):
    known = {}  # dump of a read -> the temporary holding it
    kept = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            if getattr(stmt, field, None):
                _block(getattr(stmt, field), bound, renames)
        if _is_temporary_read(stmt, bound):
            for node in n.walk(stmt.value):  # (reads of temporaries already merged)
                if isinstance(node, gast.Name) and node.id in renames:
                    node.id = renames[node.id]
            key = gast.dump(stmt.value)
            earlier = known.get(key)
            if earlier is not None:
                renames[stmt.targets[0].id] = earlier
                continue
            known[key] = stmt.targets[0].id
        else:
            known = {}
        kept.append(stmt)
    stmts[:] = kept


def _is_temporary_read(stmt, bound):
    """``_tN = a[i]``: a temporary bound once to an element (or row) read,
    by names and constants."""
    if not (
        isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and naming.is_temporary(stmt.targets[0].id) and bound.get(stmt.targets[0].id) == 1
    ):
        return False
    value = stmt.value
    if isinstance(value, gast.Subscript):
        # (not a slice: ``u[1:-1] = u[1:-1] + c * (... u[1:-1] ...)`` stays an
        # update in place, `Reverse._increment_of`, with views read again)
        parts = value.slice.elts if isinstance(value.slice, gast.Tuple) else [value.slice]
        return isinstance(value.value, gast.Name) and all(
            isinstance(part, (gast.Name, gast.Constant)) for part in parts
        )
    return False
