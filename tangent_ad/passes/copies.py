"""Copies of generated names, coalesced, elided and propagated.

* negations: ``v = -a`` whose every read starts a term added or subtracted
  is read as ``-a`` there (folding then makes the term a subtraction);
* coalescing: ``s = e; ...; t = s`` where `s` dies at the copy becomes
  ``t = e``, so values keep the name of what they are the adjoint of;
* elision: ``t = copy(a[s])`` becomes the view ``a[s]`` when nothing writes
  into `a` in place while `t` is read;
* propagation: after ``t = s`` later reads of `t` read `s` (while neither is
  bound again, and never into an in-place write).

Each pass looks forward from every copy through a `Positions` index of its
block, so it takes time in proportion to the block's length; each tells
`facts` when it changed the tree.
"""

import bisect

import gast

from .. import anno
from .. import nodes as n
from .. import runtime
from .aliases import surely_new
from .positions import Positions

# statements that end a straight-line window
_ENDS_WINDOW = (gast.If, gast.For, gast.While, gast.Return)


def _assigns_generated_name(stmt, protected):
    """Whether `stmt` is ``t = ...`` with `t` a generated (unprotected) name."""
    return (
        isinstance(stmt, gast.Assign)
        and isinstance(stmt.targets[0], gast.Name)
        and stmt.targets[0].id not in protected
    )


def _is_copy(stmt, protected):
    """`t = s` or `t = <number>` with `t` a generated name."""
    return _assigns_generated_name(stmt, protected) and (
        isinstance(stmt.value, gast.Name) or n.is_number(stmt.value)
    )


def _replace_reads(node, old, new):
    """Reads of `old` become `new` (a name, or a constant node); returns how
    many were replaced."""
    count = 0
    if isinstance(new, str):
        for sub in n.walk(node):
            if isinstance(sub, gast.Name) and sub.id == old and isinstance(sub.ctx, gast.Load):
                sub.id = new
                count += 1
        return count
    for sub in n.walk(node):
        for field, value in gast.iter_fields(sub):
            if isinstance(value, gast.Name) and value.id == old and isinstance(value.ctx, gast.Load):
                setattr(sub, field, n.copy_node(new))
                count += 1
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, gast.Name) and item.id == old and isinstance(item.ctx, gast.Load):
                        value[i] = n.copy_node(new)
                        count += 1
    return count


# -- negations -----------------------------------------------------------------


def propagate_negations(func, facts, protected=frozenset()):
    """``v = -a`` whose every read starts a term added to or subtracted from
    something (``d += v * x``, ``d = d + v * x``) is read as ``-a`` there,
    which folding turns into a subtraction: ``d -= a * x``. The negation,
    an extra pass over an array or an extra float operation per loop step,
    is gone."""
    reads = None  # as they were when the pass began
    aliases = None  # found when first needed

    def block(stmts):
        nonlocal reads, aliases
        written = in_place = mentions = None
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            negated = _negation_of_name(stmt, protected)
            if negated is None:
                continue
            name, operand = negated
            if reads is None:
                reads = facts.counts().reads  # the first candidate: nothing has changed yet
            if written is None:
                written = Positions(facts.statement(s).bound | facts.statement(s).in_place for s in stmts)
                in_place = Positions(facts.statement(s).in_place for s in stmts)
                mentions = Positions(facts.statement(s).names for s in stmts)
            if aliases is None:
                aliases = facts.aliases()
            # the window: up to the first statement writing `name` or
            # `operand`, or writing in place into an array `operand` may share
            last = written.next((name, operand), i, len(stmts))
            shared = tuple(aliases.views((operand,)))
            last = in_place.next(shared, i, last) if shared else last
            window = [j for j in mentions.within(name, i, last) if j < last]
            sites = [(j, _additive_reads(stmts[j], name)) for j in window]
            total = sum(len(found) for _, found in sites)
            if total and total == reads.get(name, 0):
                for j, found in sites:
                    replaced = 0
                    for holder, field in found:
                        negation = gast.UnaryOp(op=gast.USub(), operand=n.name(operand))
                        replaced += _replace_reads(getattr(holder, field), name, negation)
                    if replaced:
                        facts.changed(stmts[j])
                    mentions.update(j, n.names_in(stmts[j]))

    block(func.body)


def _negation_of_name(stmt, protected):
    """(v, a) for a generated ``v = -a`` with `a` a name."""
    if (
        _assigns_generated_name(stmt, protected)
        and isinstance(stmt.value, gast.UnaryOp)
        and isinstance(stmt.value.op, gast.USub)
        and isinstance(stmt.value.operand, gast.Name)
    ):
        return stmt.targets[0].id, stmt.value.operand.id
    return None


def _additive_reads(stmt, name):
    """(node, field) of each read of `name` in `stmt` that starts a term
    added or subtracted; a read anywhere else gives a site that is not
    counted, so the caller's count check fails."""
    sites = []
    for node in n.walk(stmt):
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub)):
            field = "right"
        elif isinstance(node, gast.AugAssign) and isinstance(node.op, (gast.Add, gast.Sub)):
            field = "value"
        else:
            continue
        term = getattr(node, field)
        head = term
        while isinstance(head, gast.BinOp) and isinstance(head.op, (gast.Mult, gast.Div)):
            head = head.left
        if isinstance(head, gast.Name) and head.id == name:
            if sum(isinstance(s, gast.Name) and s.id == name for s in n.walk(term)) == 1:
                sites.append((node, field))
    return sites


# -- coalescing ------------------------------------------------------------------


def coalesce_copies(func, facts, protected):
    """``s = e; ...; t = s`` where `s` is a generated name defined once and
    read only by the copy: `e` is assigned to `t` directly (the copy goes),
    so values keep the name of what they are the adjoint of."""
    counts = None  # (bindings, reads) as they were when the pass began

    def block(stmts):
        nonlocal counts
        for stmt in stmts:
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
        first = None  # name -> position of the first assignment to it in `stmts`
        removed = set()
        for i, stmt in enumerate(stmts):
            if not (
                _is_copy(stmt, protected)
                and isinstance(stmt.value, gast.Name)
                and stmt.value.id not in protected
            ):
                continue
            if counts is None:  # the first candidate: nothing has changed yet
                counts = dict(facts.counts().bindings), facts.counts().reads
            defs, uses = counts
            source, target = stmt.value.id, stmt.targets[0].id
            if not (defs.get(source) == 1 and uses.get(source) == 1):
                continue
            if first is None:
                first = _first_assignments(stmts)
            j = first.get(source)
            if (
                j is not None and j < i and n.is_name(stmts[j].value, target)
                and not any(n.mentions(between, target) for between in stmts[j + 1:i])
            ):
                # ``s = t; ...; t = s``, `t` untouched between: `t` holds it all along
                removed |= {j, i}
                del first[source]
                continue
            if defs.get(target) != 1:
                continue
            # `t` read between the two (a value from before, or from the
            # previous iteration) must still be the old `t` there
            if j is not None and j < i and not any(n.mentions(between, target) for between in stmts[j + 1:i]):
                stmts[j].targets[0].id = target
                facts.changed(stmts[j])
                del first[source]
                first[target] = min(j, first.get(target, j))
                removed.add(i)
                defs[target] = 1
        if removed:
            stmts[:] = [stmt for i, stmt in enumerate(stmts) if i not in removed]
            facts.removed()

    block(func.body)


def _first_assignments(stmts):
    """{name: position of the first ``name = ...`` in `stmts`}."""
    first = {}
    for j, stmt in enumerate(stmts):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            first.setdefault(stmt.targets[0].id, j)
    return first


# -- elision ---------------------------------------------------------------------


def elide_array_copies(func, facts, protected):
    """``t = copy(a[s])`` -> ``t = a[s]`` (a view) when every read of `t`
    comes before anything writes into `a` in place, and `t` is only read
    into new values (never handed on as itself or a view of it, nor pushed:
    `_hands_on`)."""
    uses = aliases = None  # as they were when the pass began

    def block(stmts):
        nonlocal uses, aliases
        in_place = mentions = ends = None
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if not _is_copy_of_item(stmt, protected):
                continue
            if uses is None:
                uses = facts.counts().reads  # the first candidate: nothing has changed yet
            if in_place is None:
                in_place = Positions(facts.statement(s).in_place for s in stmts)
                mentions = Positions(facts.statement(s).names for s in stmts)
                ends = [j for j, later in enumerate(stmts) if isinstance(later, _ENDS_WINDOW)]
            if aliases is None:
                aliases = facts.aliases()
            name, base = stmt.targets[0].id, stmt.value.args[0].value.id
            k = bisect.bisect_right(ends, i)
            end = ends[k] if k < len(ends) else len(stmts)
            # a write into `a` under any of its names ends the window
            shared = (base, name) + tuple(sorted(aliases.views((base,))))
            last = in_place.next(shared, i, end)
            if in_place.next((name,), i, len(stmts)) < len(stmts):
                continue  # `t` itself is written: as a view, that would write into `a`
            seen = _reads_before_writes(stmts, i, last, mentions, in_place, name, shared)
            if seen and seen == uses.get(name):
                stmt.value = stmt.value.args[0]
                facts.changed(stmt)

    block(func.body)


def _is_copy_of_item(stmt, protected):
    """A generated ``t = copy(a[s])``."""
    return (
        _assigns_generated_name(stmt, protected)
        and isinstance(stmt.value, gast.Call)
        and anno.get(stmt.value.func, "inject") is runtime.copy
        and len(stmt.value.args) == 1
        and isinstance(stmt.value.args[0], gast.Subscript)
        and isinstance(stmt.value.args[0].value, gast.Name)
    )


def _reads_before_writes(stmts, i, last, mentions, in_place, name, shared):
    """How often the statements after `i` read `name` before one writes in
    place into `name` or an array in `shared` (`a` and the names that may
    share its memory) or hands `name` on (``u = name``). Only statements
    mentioning `name` and the one at `last` (the first writer, or the end of
    straight-line code) need a look."""
    visits = mentions.within(name, i, last)
    if last < len(stmts) and last not in visits:
        visits.append(last)
    seen = 0
    for j in visits:
        later = stmts[j]
        if isinstance(later, _ENDS_WINDOW):
            break
        if n.mentions(later, name):
            if _hands_on(later):
                break  # handed on: its later readers are not checked
            seen += sum(
                1 for sub in n.walk(later)
                if isinstance(sub, gast.Name) and sub.id == name and isinstance(sub.ctx, gast.Load)
            )
        if in_place.facts[j] & set(shared):
            break
    return seen


def _hands_on(stmt):
    """Whether `stmt` may keep what it reads alive past itself: bound to a
    name as (a view of) itself (``u = t``, ``u = t.T``, a helper that may
    return its argument) or passed to a call for its effect
    (``_stack.push(t)``, which the reverse sweep pops after `a` has been
    written). Values computed from it (arithmetic, a ufunc) and stores
    into another array (``x[i] = t``, ``x += t``) copy it."""
    if isinstance(stmt, gast.Assign):
        return isinstance(stmt.targets[0], gast.Name) and not surely_new(stmt.value)
    return not isinstance(stmt, gast.AugAssign)


# -- propagation -----------------------------------------------------------------


def propagate_copies(func, facts, protected, scalars=frozenset()):
    """After a copy ``t = s``, reads of `t` read `s` until either is bound
    again; not at all when either may be an array written in place after
    the copy (`scalars`: names known to hold numbers, whose ``+=`` rebinds;
    for a number `s`, until `t` is written in place)."""

    def block(stmts):
        known = [facts.statement(stmt) for stmt in stmts]
        written = Positions(fact.bound for fact in known)
        in_place = Positions(fact.in_place for fact in known)
        reads = Positions(fact.names for fact in known)
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if not _is_copy(stmt, protected):
                continue
            target = stmt.targets[0].id
            source = stmt.value.id if isinstance(stmt.value, gast.Name) else stmt.value
            stops = {target, source} if isinstance(source, str) else {target}
            arrays = tuple(name for name in (target, source) if name not in scalars)
            if isinstance(source, str) and arrays and in_place.next(arrays, i, len(stmts)) < len(stmts):
                # one buffer, two names, and a write into it under one of
                # them: reads moved to the other name would hide the write
                # from the passes that reason by name (a substitution moved
                # `copy(d_v[0])` past `d_c[0] = 0.0`: a wrong gradient)
                continue
            # only statements reading `target` and the one that ends the
            # propagation (binds `t` or `s`, writes `t` in place) need a look
            last = min(written.next(stops, i, len(stmts)), in_place.next((target,), i, len(stmts)))
            visits = reads.within(target, i, last)
            if last < len(stmts) and last not in visits:
                visits.append(last)
            for j in visits:
                later = stmts[j]
                is_compound = isinstance(later, (gast.If, gast.For, gast.While))
                if is_compound and stops & written.facts[j]:
                    break
                if target in in_place.facts[j]:
                    # writes through the copy stay through the copy: reading the
                    # buffer under its old name too would make code whose meaning
                    # depends on aliasing (wrong once differentiated again)
                    break
                if target in reads.facts[j]:
                    if isinstance(later, gast.AugAssign):
                        if _replace_reads(later.value, target, source):
                            facts.changed(later)
                        if n.mentions(later.target, target):
                            break
                    elif _replace_reads(later, target, source):
                        facts.changed(later)
                    reads.update(j, n.names_in(later))
                if stops & written.facts[j]:
                    break

    block(func.body)


# -- zeroed, then added to ---------------------------------------------------


def assign_over_zeros(func, facts, protected):
    """``d_u[i] = 0.0`` right before ``d_u[i] += e`` is ``d_u[i] = e`` (when
    `e` does not read `d_u`): a write into the array, never a new name for
    `e`'s array (only subscripted targets)."""

    def block(stmts):
        removed = set()
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if i + 1 >= len(stmts) or i in removed:
                continue
            after = stmts[i + 1]
            if not (
                isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript)
                and n.is_number(stmt.value) and stmt.value.value == 0
                and isinstance(after, gast.AugAssign) and isinstance(after.op, gast.Add)
                and gast.dump(after.target) == gast.dump(stmt.targets[0])
            ):
                continue
            base = stmt.targets[0].value
            if not isinstance(base, gast.Name) or base.id in protected or n.mentions(after.value, base.id):
                continue
            stmt.value = after.value
            removed.add(i + 1)
            facts.changed(stmt)
        if removed:
            stmts[:] = [stmt for i, stmt in enumerate(stmts) if i not in removed]
            facts.removed()

    block(func.body)
