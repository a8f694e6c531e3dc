"""Items of a tuple or list display read where they are taken.

A helper returning two values is inlined as a display its caller unpacks::

    _t0 = (_t5, _t7)                       _t0 = (_t5, _t7)   (goes, if unread)
    x = _t0[0]                ->           x = _t5
    y = _t0[1]                             y = _t7

The item read is the very object the display holds, so this is exact; and
without the display between them, the reverse sweep passes each adjoint on
by name instead of building a container of adjoints and reading it back,
and each item keeps its shape. Only where the read follows the display in
the same block, takes an item by a constant index, and nothing between the
two binds the item's name again or uses the display otherwise.
"""

import gast

from .. import anno, runtime
from .. import nodes as n


def read_through_displays(func):
    """Rewrite `func` (in normal form) in place; return it."""
    bound = {}
    for node in n.walk(func):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            bound[node.id] = bound.get(node.id, 0) + 1
    changed = set()
    _block(func.body, bound, changed)
    if changed:
        reads = {node.id for node in n.walk(func) if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load)}
        _drop(func, {name for name in changed if name not in reads})
    return func


def _block(stmts, bound, changed):
    displays = {}  # name -> its items
    checked = set()
    for stmt in stmts:
        for field in ("body", "orelse"):
            if getattr(stmt, field, None):
                _block(getattr(stmt, field), bound, changed)
        if _checks_length_of(stmt, displays):
            checked.add(id(stmt))  # ``check_unpack(T, 2)`` of a display of 2 items: checked here
            continue
        item = _item_read(stmt, displays)
        if item is not None:
            changed.add(stmt.value.value.id)
            stmt.value = n.copy_node(item)
        else:  # any other use of a display (a list's item stored, a call) ends it
            mentioned = {node.id for node in n.walk(stmt) if isinstance(node, gast.Name)}
            displays = {key: value for key, value in displays.items() if key not in mentioned}
        for name in _bound_names(stmt):
            # a display whose name or one of whose items' names is bound again is done
            displays = {
                key: value for key, value in displays.items()
                if key != name and not any(n.is_name(elt, name) for elt in value)
            }
        if (
            isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and isinstance(stmt.value, (gast.Tuple, gast.List))
            and bound.get(stmt.targets[0].id) == 1
            and all(isinstance(elt, (gast.Name, gast.Constant)) for elt in stmt.value.elts)
        ):
            displays[stmt.targets[0].id] = stmt.value.elts
    if checked:
        stmts[:] = [stmt for stmt in stmts if id(stmt) not in checked]


def _checks_length_of(stmt, displays):
    """Whether `stmt` is ``check_unpack(T, k)`` of a display `T` of `k` items."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    if not (
        isinstance(call, gast.Call) and anno.get(call.func, "inject", None) is runtime.check_unpack
        and len(call.args) == 2 and isinstance(call.args[0], gast.Name) and n.is_number(call.args[1])
    ):
        return False
    items = displays.get(call.args[0].id)
    return items is not None and len(items) == call.args[1].value


def _item_read(stmt, displays):
    """The item node ``x = T[k]`` reads from a display `T` in `displays`."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Subscript)):
        return None
    value = stmt.value
    if not (isinstance(value.value, gast.Name) and value.value.id in displays):
        return None
    index = value.slice
    if not (isinstance(index, gast.Constant) and type(index.value) is int):
        return None
    items = displays[value.value.id]
    if not -len(items) <= index.value < len(items):
        return None
    return items[index.value]


def _bound_names(stmt):
    return {node.id for node in n.walk(stmt) if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store)}


def _drop(node, names):
    """Remove ``name = <display>`` for `names` below `node`."""
    for field in ("body", "orelse"):
        stmts = getattr(node, field, None)
        if not stmts:
            continue
        kept = [
            stmt for stmt in stmts
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                    and stmt.targets[0].id in names and isinstance(stmt.value, (gast.Tuple, gast.List)))
        ]
        for stmt in kept:
            _drop(stmt, names)
        setattr(node, field, kept or [gast.Pass()])
