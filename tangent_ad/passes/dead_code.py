"""Dead code: assignments to generated names that nothing reads go.

Strong liveness: a removable assignment (generated name, pure value) makes
its operands live only if its own target is, so chains of dead temporaries,
and values that only feed each other around a loop, go at once. The user's
names (`protected`) keep every assignment but constants and copies nobody
reads; an ``if`` left with nothing in it goes too, and so does a loop: the
primal's, or one whose iterable is pure and whose target nothing reads (a
body emptied by any pass gets a ``pass`` until then).

An array nothing reads goes with every write into it: a name bound only to
new arrays (arithmetic, ``unindex``, ``zeros_like``, ``copy``) and otherwise
only written into (``d_x[1:] = d_x[1:] + g``, ``d_x += g``), or read only by
the writes into other such arrays (a cluster that feeds itself) -- the
gradient inside a Hessian-vector product that returns only its tangent.

A saved value whose last reader another pass removed goes with all its
pushes and pops (`_drop_unread_saves`), and so do the saved elements of an
array nothing reads once they are written back (`_drop_unread_restores`).
"""

import gast

from .. import anno
from .. import naming, runtime
from .. import nodes as n
from .aliases import surely_new
from .dataflow import all_statements, liveness
from .facts import is_pure


def eliminate_dead_code(func, facts, protected, scalars=frozenset()):
    """Remove assignments whose value is never used. `facts` is told at the
    end (no statement that stays changes). `scalars`: names that hold
    numbers (never a view of an array)."""
    if _drop_unread_saves(func, facts) or _drop_unchanged_saves(func) or _drop_unread_restores(func, facts, scalars):
        facts.removed()
    # (statements hold statements only in their blocks: no walk of expressions)
    updates = [
        stmt for stmt in n.statements(func.body)
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name)
    ]
    shared_updates = _shared_updates(updates, facts)
    updated = {stmt.target.id for stmt in updates}
    live_targets = _live_targets(func.body, facts, protected, shared_updates)
    counts = facts.counts().reads
    parameters = set(n.store_names(func.args)) if getattr(func, "args", None) else set()
    unread = _write_only_arrays(func.body, facts, set(protected) | parameters)
    removed = 0
    liveness_ = {}

    def live_after(stmt):
        """Names live after `stmt` (computed for the function once, when first asked)."""
        if not liveness_:
            liveness_.update(liveness(func.body))
        return liveness_.get(id(stmt), frozenset())

    def dead(stmt):
        if unread and _written_name(stmt) in unread:
            return True
        name = _assigned_name(stmt)
        if name is None or id(stmt) in shared_updates:
            return False
        if isinstance(stmt, gast.Assign):
            if n.is_name(stmt.value, name):
                return True  # x = x
            if (
                counts.get(name, 0) == 0
                and isinstance(stmt.value, (gast.Constant, gast.Name))
                and name not in updated
            ):
                return True  # a constant or a copy nobody reads (nor updates: `+=`), even in the primal
        return name not in protected and id(stmt) not in live_targets and facts.pure(stmt)

    def block(stmts):
        nonlocal removed
        out = []
        for stmt in stmts:
            if dead(stmt):
                removed += 1
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    kept = block(getattr(stmt, field))
                    if field == "body" and not kept:
                        kept = [gast.Pass()]  # also a body another pass emptied
                    setattr(stmt, field, kept)
            if isinstance(stmt, gast.If) and _only_pass(stmt.body) and not stmt.orelse:
                removed += 1
                continue
            if isinstance(stmt, gast.For) and _only_pass(stmt.body) and _empty_loop_goes(stmt, counts, live_after):
                removed += 1
                continue
            out.append(stmt)
        return out

    func.body = block(func.body)
    if removed:
        facts.removed()


def _drop_unread_saves(func, facts):
    """Remove the pushes and pops of a name nothing reads after a pop.

    The save plan pushes ``x`` (or ``like(x)``) before an assignment to `x`
    whose old value an adjoint reads, and pops it back into `x` after that
    adjoint: one pop into `x` for each push of `x`, on the shared stack in
    LIFO order. When a later pass removes the last read (a spread left to
    broadcasting no longer needs ``like(_t3)``), every pop into `x` is dead;
    taking out all of them with all the pushes of `x` keeps the stack
    balanced for every other name. Reads of `x` in the primal sweep run
    before any pop: only those from the first top-level statement that pops
    `x` on count (a loop popping it may read it earlier in its body, in the
    next step). Returns how many statements went."""
    if not facts.counts().reads.get(naming.STACK):
        return 0
    pops, pushes, first_pop = {}, {}, {}
    for index, top in enumerate(func.body):
        for stmt in all_statements([top]):
            if isinstance(stmt, gast.Assign) and naming.is_stack_call(stmt.value, "pop"):
                target = stmt.targets[0]
                if isinstance(target, gast.Name):
                    pops.setdefault(target.id, []).append(stmt)
                    first_pop.setdefault(target.id, index)
            elif isinstance(stmt, gast.Expr) and naming.is_stack_call(stmt.value, "push"):
                saved = _pushed_name(stmt.value.args[0]) if len(stmt.value.args) == 1 else None
                if saved is not None:
                    pushes.setdefault(saved, []).append(stmt)
    if not pops:
        return 0
    read_after = {}
    start = min(first_pop.values())
    for index in range(start, len(func.body)):
        for name in facts.statement(func.body[index]).counts.reads:
            if first_pop.get(name, index + 1) <= index:
                read_after[name] = True
    unread = {
        name for name, popped in pops.items()
        if not read_after.get(name) and len(pushes.get(name, ())) == len(popped)
    }
    if not unread:
        return 0
    return _remove(func, {id(stmt) for name in unread for stmt in pops[name] + pushes[name]})


def _drop_unread_restores(func, facts, scalars):
    """Remove the saves and restores of an array's elements nothing reads.

    Before ``u[i] = v`` whose old element an adjoint may read through `u`,
    the save plan pushes ``copy(u[i])`` and the reverse sweep writes it back
    (``u[i] = _stack.pop()``). When nothing reads `u`, nor any name that may
    share its memory (a number does not), from the first restore on (the
    adjoints read the element from a temporary saved on its own,
    ``_t3 = u[i]``), every
    restore of `u` is dead; all of them go with all its element pushes.
    Returns how many statements went."""
    if not facts.counts().reads.get(naming.STACK):
        return 0
    pops, pushes, first_pop = {}, {}, {}
    for index, top in enumerate(func.body):
        for stmt in all_statements([top]):
            base = _restored_base(stmt)
            if base is not None:
                pops.setdefault(base, []).append(stmt)
                first_pop.setdefault(base, index)
            elif isinstance(stmt, gast.Expr) and naming.is_stack_call(stmt.value, "push") and len(stmt.value.args) == 1:
                base = _element_of(stmt.value.args[0])
                if base is not None:
                    pushes.setdefault(base, []).append(stmt)
    candidates = {base for base, popped in pops.items() if len(pushes.get(base, ())) == len(popped)}
    if not candidates:
        return 0
    restores = {id(stmt.targets[0].value) for base in candidates for stmt in pops[base]}
    start = min(first_pop[base] for base in candidates)
    read = set()
    for top in func.body[start:]:
        read |= {
            node.id for node in n.walk(top)
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and id(node) not in restores
        }
    aliases = facts.aliases()
    unread = {base for base in candidates if not ({base} | (aliases.views({base}) - scalars)) & read}
    if not unread:
        return 0
    return _remove(func, {id(stmt) for base in unread for stmt in pops[base] + pushes[base]})


def _remove(func, gone):
    """Remove the statements whose ids are in `gone`, at any depth (an
    emptied body gets a ``pass``); returns how many went."""

    def block(stmts):
        out = []
        for stmt in stmts:
            if id(stmt) in gone:
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, block(getattr(stmt, field)) or ([gast.Pass()] if field == "body" else []))
            out.append(stmt)
        return out

    func.body = block(func.body)
    return len(gone)


def _restored_base(stmt):
    """`u` of a restore ``u[i] = _stack.pop()``, else None."""
    if (
        isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript)
        and isinstance(stmt.targets[0].value, gast.Name) and naming.is_stack_call(stmt.value, "pop")
    ):
        return stmt.targets[0].value.id
    return None


def _element_of(value):
    """`u` of a pushed ``copy(u[i])`` or ``u[i]``, else None."""
    if isinstance(value, gast.Call) and anno.get(value.func, "inject", None) is runtime.copy and len(value.args) == 1:
        value = value.args[0]
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
        return value.value.id
    return None


def _drop_unchanged_saves(func):
    """Remove the pushes and pops of a name nothing rebinds between them.

    Once the assignment a save was for has gone as dead (``s = s * x[1]``
    whose new `s` nothing reads), ``_stack.push(s)`` ... ``s = _stack.pop()``
    pops back the value `s` still holds. Only saves made and popped at the
    top level count, and only when every other binding of the name comes
    before its first push: all of its pushes and pops go together, so the
    stack stays balanced. Returns how many statements went."""
    pushes, pops = {}, {}
    for index, stmt in enumerate(func.body):
        if isinstance(stmt, gast.Expr) and naming.is_stack_call(stmt.value, "push"):
            saved = _pushed_name(stmt.value.args[0]) if len(stmt.value.args) == 1 else None
            if saved is not None:
                pushes.setdefault(saved, []).append(index)
        elif isinstance(stmt, gast.Assign) and naming.is_stack_call(stmt.value, "pop"):
            if isinstance(stmt.targets[0], gast.Name):
                pops.setdefault(stmt.targets[0].id, []).append(index)
    if not pushes:
        return 0
    candidates = {
        name for name, at in pushes.items() if len(pops.get(name, ())) == len(at)
    }
    nested = set()  # pushed or popped inside a loop or branch: not considered
    for stmt in func.body:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            for inner in all_statements(stmt.body + stmt.orelse):
                if isinstance(inner, gast.Expr) and naming.is_stack_call(inner.value, "push"):
                    nested.add(_pushed_name(inner.value.args[0]) if len(inner.value.args) == 1 else None)
                elif isinstance(inner, gast.Assign) and naming.is_stack_call(inner.value, "pop"):
                    nested.update(n.store_names(inner.targets[0]))
    candidates -= nested
    for index, stmt in enumerate(func.body):
        for name in candidates & set(n.store_names(stmt)) if candidates else ():
            if index > pushes[name][0] and index not in pops[name]:
                candidates.discard(name)  # rebound between a push and its pop
    if not candidates:
        return 0
    gone = {index for name in candidates for index in pushes[name] + pops[name]}
    func.body = [stmt for index, stmt in enumerate(func.body) if index not in gone]
    return len(gone)


def _pushed_name(value):
    """`x` of a pushed ``x`` or ``like(x)``."""
    if isinstance(value, gast.Name):
        return value.id
    if (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Name)
        and anno.get(value.func, "inject", None) is runtime.like
        and len(value.args) == 1
        and isinstance(value.args[0], gast.Name)
    ):
        return value.args[0].id
    return None


def _assigned_name(stmt):
    """`x` of ``x = ...`` or ``x += ...``, else None."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
        return stmt.target.id
    return None


def _write_only_arrays(body, facts, protected):
    """Names bound only to new arrays and otherwise only written into, whose
    contents nothing that is needed reads: every statement about them is
    dead. Reads by the writes into another such name do not count, so a
    cluster that only feeds itself goes too (``d_t6 = d_u[1:-1] * c``,
    ``d_u[:-2] = d_u[:-2] + d_t6``: the gradient inside a Hessian-vector
    product that returns only its tangent). `protected` names (parameters
    among them: what they hold came from the caller) are never such names."""
    verdict = {}
    writes = []  # (written name, names the write reads)
    needed = set()

    def refuse(names):
        for name in names:
            verdict[name] = False
            needed.add(name)

    def visit(stmts):
        for stmt in stmts:
            if isinstance(stmt, (gast.If, gast.While)):
                refuse(n.load_names(stmt.test))
            elif isinstance(stmt, gast.For):
                refuse(n.names_in(stmt.target))
                refuse(n.load_names(stmt.iter))
            if _holds_statements(stmt):
                visit(stmt.body)
                visit(getattr(stmt, "orelse", []))
                continue
            own = _written_name(stmt)
            names = facts.statement(stmt).names
            if own is not None and own not in protected and facts.pure(stmt) and _pure_target(stmt):
                verdict.setdefault(own, True)
                writes.append((own, {name for name in names if name != own}))
            else:
                refuse(names)

    visit(body)
    # what needed names are written from is needed too, until nothing changes
    changed = True
    while changed:
        changed = False
        for own, reads in writes:
            if (own in needed or not verdict.get(own)) and not reads <= needed:
                needed |= reads
                changed = True
    return {name for name, unread in verdict.items() if unread and name not in needed}


def _written_name(stmt):
    """`x` of ``x = <new array>``, ``x[i] = v``, ``x[i] += v`` or ``x += v``."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            return target.id if surely_new(stmt.value) else None
    elif isinstance(stmt, gast.AugAssign):
        target = stmt.target
        if isinstance(target, gast.Name):
            return target.id
    else:
        return None
    if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
        return target.value.id
    return None


def _pure_target(stmt):
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
    return not isinstance(target, gast.Subscript) or is_pure(target.slice)


def _holds_statements(stmt):
    return isinstance(getattr(stmt, "body", None), list)


def _empty_loop_goes(loop, reads, live_after):
    """A loop with nothing in it goes when it is the primal's, or when
    iterating has no effect and nothing reads its target afterwards (before
    binding it again: the reversed loop binds its own ``i``)."""
    if anno.has(loop, "primal"):
        return True
    if loop.orelse or not is_pure(loop.iter):
        return False
    targets = n.store_names(loop.target)
    return not any(reads.get(name) for name in targets) or not live_after(loop) & set(targets)


def _only_pass(stmts):
    return all(isinstance(s, gast.Pass) for s in stmts)


def _uses_defs(stmt, facts):
    """(names read, names bound) by a simple statement or a compound's header."""
    if isinstance(stmt, gast.If):
        return set(n.load_names(stmt.test)), set()
    if isinstance(stmt, gast.For):
        return set(n.load_names(stmt.iter)), set(n.store_names(stmt.target))
    if isinstance(stmt, gast.While):
        return set(n.load_names(stmt.test)), set()
    known = facts.statement(stmt)
    name = _assigned_name(stmt)
    if isinstance(stmt, gast.Assign):
        return known.loads, {name} if name is not None else set()
    if isinstance(stmt, gast.AugAssign):
        # `x += v` reads x; `x[i] += v` reads x and i (loads already)
        return (known.loads | {name}, {name}) if name is not None else (known.loads, set())
    return known.names, set()


def _shared_updates(updates, facts):
    """{id(stmt)} of the ``x += v`` (of `updates`, those of the function)
    whose `x` may share its array with another name (``d_b = d_a; d_b += g``,
    ``d_v = d_a[1:]; d_v += g``): an update of that array, live where any of
    its names is, so never removed here."""
    if not updates:
        return set()
    aliases = facts.aliases()
    return {id(stmt) for stmt in updates if aliases.views((stmt.target.id,))}


def _live_targets(body, facts, protected, shared_updates=frozenset()):
    """{id(stmt)} of the assignments whose target is live just after them.

    The live set is updated in place along straight-line code (copied only
    at branches and loops), so a long function costs time in proportion to
    its length.
    """
    live_after = set()
    known = {}  # id(stmt) -> (uses, defs, removable target): loops visit twice
    exits = []  # (live after, live at the head) of each enclosing loop: break / continue go there

    def block(stmts, live):
        for stmt in reversed(stmts):
            one(stmt, live)

    def one(stmt, live):
        """Turn `live` (the names live after `stmt`) into those live before it."""
        if id(stmt) not in known:
            target = None if id(stmt) in shared_updates else _removable_target(stmt, facts, protected)
            known[id(stmt)] = _uses_defs(stmt, facts) + (target,)
        uses, defs, target = known[id(stmt)]
        if isinstance(stmt, gast.If):
            then = set(live)
            block(stmt.body, then)
            block(stmt.orelse, live)
            live |= then
            live |= uses
        elif isinstance(stmt, (gast.For, gast.While)):
            head = live | uses
            after = set(live)
            while True:
                body_in = set(head)
                exits.append((after, head))
                block(stmt.body, body_in)
                exits.pop()
                new = live | uses | (body_in - defs)
                if new == head:
                    break
                head = new
            live |= head
        elif isinstance(stmt, (gast.Break, gast.Continue)) and exits:
            live.clear()
            live |= exits[-1][0] if isinstance(stmt, gast.Break) else exits[-1][1]
        else:
            name = _assigned_name(stmt)
            target_live = name is not None and name in live
            if target_live:
                live_after.add(id(stmt))
            live -= defs
            if target is None or target_live:  # a dead removable one reads nothing
                live |= uses

    block(body, set())
    return live_after


def _removable_target(stmt, facts, protected):
    """The target of a generated assignment of a pure value, else None."""
    name = _assigned_name(stmt)
    if name is None or name in protected or not facts.pure(stmt):
        return None
    return name
