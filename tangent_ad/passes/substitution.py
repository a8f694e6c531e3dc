"""Temporaries put back into the expressions they were split from.

* single-use substitution: a temporary read once, by a later statement of
  the same block and source line, is written into that use (within a size
  limit, so lines stay readable);
* merging updates A-normal form split (``_t3 = s + x; s = _t3`` ->
  ``s = s + x``) where the reverse sweep needs neither name.

Each pass tells `facts` when it changed the tree.
"""

import bisect

import gast

from .. import anno
from .. import nodes as n
from .facts import is_push
from .positions import Positions
from .reverse import LIKE_ARGS

# statements a substitution never looks past
_ENDS_WINDOW = (gast.If, gast.For, gast.While, gast.Return)


def substitute_single_uses(func, facts, protected=frozenset()):
    """``t = e`` whose only use is a later statement of the same block and the
    same source line: the use reads `e` itself (the code reads like what a
    person writes: ``h1 = np.tanh(x @ W1 + b1)``). `e` must be pure and none
    of its names written in between. Primal temporaries are put back into the
    expression they came from; adjoint ones only where the result stays
    short (no helper call nested in another, a few operations at most)."""
    counts = facts.counts()  # as they were when the pass began
    defs, uses = counts.assignments, counts.reads
    aliases = None  # found when first needed

    def block(stmts):
        nonlocal aliases
        window = None
        removed = set()
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if not _substitutable(stmt, defs, uses, facts):
                continue
            if window is None:
                window = _Window(stmts, facts)
            if aliases is None:
                aliases = facts.aliases()
            if _substitute_forward(stmts, i, window, aliases, protected):
                removed.add(i)
        if removed:
            stmts[:] = [stmt for i, stmt in enumerate(stmts) if i not in removed]
            facts.removed()

    block(func.body)


class _Window:
    """For one block: the statements that end a substitution's search
    (control flow, returns), and where each name is mentioned or may be
    changed."""

    def __init__(self, stmts, facts):
        self.facts = facts
        self.mentions = Positions(facts.statement(stmt).names for stmt in stmts)
        self.writes = Positions(facts.statement(stmt).writes for stmt in stmts)
        self.in_place = Positions(facts.statement(stmt).in_place for stmt in stmts)
        self.ends = [j for j, stmt in enumerate(stmts) if isinstance(stmt, _ENDS_WINDOW)]
        self.size = len(stmts)

    def first_stop(self, i, name, reads, viewed=()):
        """The first statement after `i` that mentions `name`, changes it or
        one of `reads`, writes in place into one of `viewed`, or ends the
        block's straight line (`size` if none)."""
        k = bisect.bisect_right(self.ends, i)
        last = self.ends[k] if k < len(self.ends) else self.size
        last = self.mentions.next((name,), i, last)
        last = self.in_place.next(viewed, i, last) if viewed else last
        return self.writes.next(reads | {name}, i, last)

    def changed(self, j, stmt):
        """Statement `j` has just changed."""
        self.facts.changed(stmt)
        known = self.facts.statement(stmt)
        self.mentions.update(j, known.names)
        self.writes.update(j, known.writes)
        self.in_place.update(j, known.in_place)


def _substitutable(stmt, defs, uses, facts):
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return False
    name = stmt.targets[0].id
    value = stmt.value
    if defs.get(name) != 1 or uses.get(name) != 1:
        return False
    if isinstance(value, (gast.Name, gast.Constant)):
        return False  # copies and constants are propagate_copies' job
    return facts.pure(stmt) and not isinstance(value, (gast.Tuple, gast.List, gast.Dict))


def _substitute_forward(stmts, i, window, aliases, protected=frozenset()):
    """Write the value of ``t = e`` (statement `i`) into the use of `t`;
    returns whether it was written. `e` does not move past a write into
    anything it reads, nor into an array one of its names may share (a
    view of it, or what it views: ``t_t7 = unbroadcast(t_d[0], y)``, so
    ``copy(t_t7)`` stays before ``t_d[0] = 0.0``)."""
    stmt = stmts[i]
    name = stmt.targets[0].id
    reads = set(n.load_names(stmt.value))
    line = (anno.get(stmt, "lineno"), anno.get(stmt, "filename"))
    j = window.first_stop(i, name, reads, tuple(aliases.views(reads)))
    if j == len(stmts):
        return False
    later = stmts[j]
    if isinstance(later, _ENDS_WINDOW) or not n.mentions(later, name):
        return False  # control flow (or a return reading `t`), or `e` changes first
    if (anno.get(later, "lineno"), anno.get(later, "filename")) != line:
        return False
    if isinstance(later, gast.AugAssign) and n.mentions(later.target, name):
        return False
    if _written_through(later, name) and not _is_view_chain(stmt.value):
        return False  # ``f(a)[1] = 0.0``: the write would hide in a call's result
    if name not in protected and not _readable_after(later, name, stmt.value):
        return False
    if _into_shape_argument(later, name):
        return False
    _replace_load(later, name, stmt.value)
    window.changed(j, later)
    return True


def _written_through(stmt, name):
    """Whether `stmt` stores into `name` (``name[i] = v``)."""
    targets = stmt.targets if isinstance(stmt, gast.Assign) else []
    return any(isinstance(t, gast.Subscript) and n.mentions(t, name) for t in targets)


def _is_view_chain(value):
    """``a``, ``a[1:]``, ``a.T[0]``: indexing and attributes of a name."""
    while isinstance(value, (gast.Subscript, gast.Attribute)):
        value = value.value
    return isinstance(value, gast.Name)


def _size(node):
    return sum(isinstance(sub, (gast.Call, gast.BinOp, gast.UnaryOp)) for sub in n.walk(node))


def _into_shape_argument(later, name):
    """Whether `later` reads `name` only for its shape (unreduce(g, name))."""
    for call in n.walk(later):
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Name):
            for position in LIKE_ARGS.get(anno.get(call.func, "inject"), ()):
                if position < len(call.args) and n.mentions(call.args[position], name):
                    return True
    return False


def _readable_after(later, name, value):
    """Whether putting `value` where `later` reads `name` keeps `later` short."""
    if _size(later) + _size(value) > 5:
        return False
    if any(isinstance(sub, gast.Call) for sub in n.walk(value)):
        for call in n.walk(later):
            if isinstance(call, gast.Call) and any(n.mentions(arg, name) for arg in call.args):
                return False  # no helper call nested in another
    return True


def _replace_load(node, name, value):
    for sub in n.walk(node):
        for field, child in gast.iter_fields(sub):
            if isinstance(child, gast.Name) and child.id == name and isinstance(child.ctx, gast.Load):
                setattr(sub, field, n.copy_node(value))
                return
            if isinstance(child, list):
                for k, item in enumerate(child):
                    if isinstance(item, gast.Name) and item.id == name and isinstance(item.ctx, gast.Load):
                        child[k] = n.copy_node(value)
                        return


# -- temporaries split off by A-normal form ---------------------------------------


def merge_split_temporaries(func, facts):
    """``_t3 = s + x; s = _t3`` -> ``s = s + x`` when nothing else reads ``_t3``.

    A-normal form splits self-referencing updates so that "before" and
    "after" have different names; where the reverse sweep ended up needing
    neither (no push, no rule reading them), the split is undone.
    """
    reads = None  # as they were when the pass began
    merged_any = False

    def block(stmts):
        nonlocal reads, merged_any
        out = []
        i = 0
        while i < len(stmts):
            stmt = stmts[i]
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    setattr(stmt, field, block(getattr(stmt, field)))
            following = stmts[i + 1: i + 3]
            pushes = []
            if following and is_push(following[0]):
                pushes, following = following[:1], following[1:]
            nxt = following[0] if following else None
            if _splits_for(stmt, nxt):
                if reads is None:
                    reads = facts.counts().reads  # the first candidate: nothing has changed yet
                if reads.get(stmt.targets[0].id, 0) == 1:
                    merged = n.assign(nxt.targets[0].id, stmt.value)
                    anno.copy_from(merged, stmt, keys=("lineno",))
                    out.extend(pushes)
                    out.append(merged)
                    i += 2 + len(pushes)
                    merged_any = True
                    continue
            out.append(stmt)
            i += 1
        return out

    func.body = block(func.body)
    if merged_any:
        facts.removed()


def _splits_for(stmt, nxt):
    """Whether ``stmt; nxt`` is ``_t3 = ...; s = _t3``, A-normal form's split
    of an update of `s`."""
    return (
        anno.has(stmt, "split_for")
        and isinstance(nxt, gast.Assign)
        and isinstance(nxt.value, gast.Name)
        and nxt.value.id == stmt.targets[0].id
        and isinstance(nxt.targets[0], gast.Name)
        and nxt.targets[0].id == anno.get(stmt, "split_for")
    )
