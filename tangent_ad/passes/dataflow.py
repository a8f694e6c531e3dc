"""One dataflow solver over the structured (A-normal form) statement tree.

Facts are frozensets. A forward analysis supplies `step(stmt, fact)` for
simple statements and, optionally, hooks for the places structured control
flow needs them; `If` joins its branches by union (may-analyses) or
intersection (must-analyses) and loops iterate to a fixed point. Every
analysis in `analysis.py` is a small gen/kill on top of this.
"""

import gast

from .. import nodes as n


class Forward:
    """A forward dataflow analysis; subclass and define `step`.

    `must=True` joins by intersection (e.g. definite assignment).
    `on_stmt(stmt, fact_in)` is called once per statement with the final
    (fixed-point) fact flowing into it.
    """

    must = False

    def step(self, stmt, fact):
        raise NotImplementedError

    def loop_header(self, loop, fact):
        """The fact at the top of a loop body, given the fact at the head."""
        return fact

    def before(self, stmt, fact):
        """Adjust the fact flowing into `stmt` (e.g. reads just before it)."""
        return fact

    def after_compound(self, stmt, fact):
        """Adjust the fact flowing out of an If/For/While."""
        return fact

    def on_stmt(self, stmt, fact):
        pass

    def join(self, a, b):
        return a & b if self.must else a | b

    def block(self, stmts, fact, record=False):
        for stmt in stmts:
            fact = self.stmt(stmt, fact, record)
        return fact

    def stmt(self, stmt, fact, record=False):
        fact = self.before(stmt, fact)
        if record:
            self.on_stmt(stmt, fact)
        if isinstance(stmt, gast.If):
            then = self.block(stmt.body, fact, record)
            orelse = self.block(stmt.orelse, fact, record)
            return self.after_compound(stmt, self.join(then, orelse))
        if isinstance(stmt, (gast.For, gast.While)):
            head = fact
            while True:
                end = self.block(stmt.body, self.loop_header(stmt, head))
                new = self.join(head, end) if not self.must else head
                if new == head:
                    break
                head = new
            self.block(stmt.body, self.loop_header(stmt, head), record)
            return self.after_compound(stmt, head)
        return self.step(stmt, fact)

    def run(self, stmts, fact=frozenset()):
        """Solve, calling `on_stmt` for every statement; return the exit fact."""
        return self.block(stmts, fact, record=True)


def defined_names(stmt):
    """Names a simple statement (re)binds."""
    if isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            return {target.id}
    return set()


def all_statements(stmts):
    """Every statement in a tree, depth first, in source order."""
    for stmt in stmts:
        yield stmt
        for field in ("body", "orelse"):
            yield from all_statements(getattr(stmt, field, []) or [])


def loop_target(loop):
    if isinstance(loop, gast.For):
        return loop.target.id
    return None


def liveness(stmts, live_out=frozenset()):
    """Backward liveness of primal names: {id(stmt): names live after it}."""
    result = {}
    exits = []  # (live after, live at the head) of each enclosing loop

    def block(stmts, live):
        for stmt in reversed(stmts):
            live = one(stmt, live)
        return live

    def one(stmt, live):
        result[id(stmt)] = result.get(id(stmt), frozenset()) | live
        if isinstance(stmt, gast.If):
            live = block(stmt.body, live) | block(stmt.orelse, live)
            return live | {stmt.test.id}
        if isinstance(stmt, (gast.Break, gast.Continue)) and exits:
            # control goes to after the loop, or to its head
            return exits[-1][0] if isinstance(stmt, gast.Break) else exits[-1][1]
        if isinstance(stmt, (gast.For, gast.While)):
            head = live
            while True:
                exits.append((live, head | _header_uses(stmt)))
                start = block(stmt.body, head)
                exits.pop()
                target = loop_target(stmt)
                if target:
                    start = start - {target}
                new = head | start | _header_uses(stmt)
                if new == head:
                    break
                head = new
            return head
        uses = set(n.load_names(stmt.value)) if hasattr(stmt, "value") and stmt.value else set()
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            uses |= set(n.load_names(stmt.targets[0]))
        return (live - defined_names(stmt)) | uses

    block(stmts, frozenset(live_out))
    return result


def _header_uses(loop):
    if isinstance(loop, gast.For):
        return set(n.load_names(loop.iter))
    return {loop.test.id}
