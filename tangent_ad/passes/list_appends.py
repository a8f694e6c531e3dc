"""Appends to a list, in place, where no earlier version of it is needed.

``hs.append(h)`` is lowered to ``hs = list_append(hs, h)``, a new list, so
that a version of `hs` the reverse sweep saves stays as it was: that costs a
copy of the list per append, O(n^2) for a loop of n appends. In a finished
reverse-mode derivative where `hs` is never saved (no push of `hs` or
``like(hs)``, no pop into it), every read of `hs` in the reverse sweep reads
its last version, the one the primal sweep ends with. The append is then
written as the user wrote it::

    hs = list_append(hs, h)     ->     hs.append(h)

It stays a new list when a name other than `hs` may hold one of its
versions: the list bound to another name (``a = hs``), put in a display or
a list (``pair = (hs, x)``, ``snaps = list_append(snaps, hs)``), or
extended into another name (``ys = list_append(hs, y)``).

Run on a derivative that is not differentiated again (forward mode lowers
an append of its own).
"""

import gast

from .. import anno, containers
from .. import naming
from .. import nodes as n
from ..source import static_value


def append_in_place(func):
    """Rewrite `func` (a reverse-mode derivative) in place; return it."""
    appends = {}  # name -> [statement]
    for node in n.walk(func):
        name = _self_append(node)
        if name is not None:
            appends.setdefault(name, []).append(node)
    if not appends:
        return func
    kept = _versions_kept(func)
    replaced = {}
    for name, stmts in appends.items():
        if name in kept:
            continue
        for stmt in stmts:
            call = n.call(n.attr(name, "append"), stmt.value.args[1])
            new = n.expr_stmt(call)
            anno.copy_from(new, stmt)
            replaced[id(stmt)] = new
    if replaced:
        _replace(func, replaced)
    return func


def _is_list_append(node):
    return isinstance(node, gast.Call) and static_value(node.func) is containers.list_append


def _self_append(node):
    """`hs` when `node` is ``hs = list_append(hs, item)``; else None."""
    if not (
        isinstance(node, gast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], gast.Name)
        and _is_list_append(node.value)
        and len(node.value.args) == 2
        and n.is_name(node.value.args[0], node.targets[0].id)
    ):
        return None
    return node.targets[0].id


def _versions_kept(func):
    """Names some version of which may be held elsewhere: saved on a stack
    (or restored from one), bound to another name, put in a display or
    appended to a list, or extended into another name."""
    kept = set()
    for node in n.walk(func):
        if naming.is_stack_call(node, "push"):
            kept |= {sub.id for sub in n.walk(node) if isinstance(sub, gast.Name)}
        elif isinstance(node, gast.Assign):
            if naming.is_stack_call(node.value, "pop") or isinstance(node.value, gast.Name):
                kept |= {sub.id for target in node.targets for sub in n.walk(target) if isinstance(sub, gast.Name)}
            kept |= n.bare_names(node.value)
            if _is_list_append(node.value) and _self_append(node) is None:
                kept |= n.bare_names(node.value.args[0])  # ``ys = list_append(hs, y)``
        for item in n.display_items(node):
            kept |= n.bare_names(item)
        if _is_list_append(node) and len(node.args) == 2:
            kept |= n.bare_names(node.args[1])  # a list appended as an item
    return kept


def _replace(node, replaced):
    """Replace the statements in `replaced` ({id: new statement}) below `node`."""
    for field in ("body", "orelse"):
        stmts = getattr(node, field, None)
        if not stmts:
            continue
        setattr(node, field, [replaced.get(id(stmt), stmt) for stmt in stmts])
        for stmt in getattr(node, field):
            _replace(stmt, replaced)
