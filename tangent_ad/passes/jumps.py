"""Lower break, continue and early return into flags and guards.

Guarantees to later passes:
  * the function body ends with its only `return`, which returns a name or
    an expression;
  * `continue` is gone; `break` appears only as ``if _brkN: break``, the last
    statement of a loop body; everything that a jump skips sits under a guard
    ``if not _skipN:`` (or ``if not _returned:`` at function level), so which
    statements ran in an iteration is a matter of recorded branches only;
  * every `while` loop and every `for` loop that may stop early carries a trip
    counter (annotation ``trips``) incremented at the top of its body, so the
    reverse sweep knows how many iterations to undo.
"""

import gast

from .. import anno
from .. import nodes as n
from .. import naming


class _Loop:
    def __init__(self, namer):
        self.namer = namer
        self.skip = None
        self.brk = None

    def skip_flag(self):
        if self.skip is None:
            self.skip = self.namer.fresh(naming.SKIP)
        return self.skip

    def break_flag(self):
        if self.brk is None:
            self.brk = self.namer.fresh(naming.BREAK)
        return self.brk


class LowerJumps:
    def __init__(self, src, namer):
        self.src = src
        self.namer = namer
        self.retval = None
        self.returned = None

    def run(self):
        func = self.src.tree
        body = func.body
        if _needs_return_lowering(body):
            self.retval = self.namer.unique(naming.RETVAL)
            self.returned = self.namer.unique(naming.RETURNED)
            lowered, _ = self.block(body, [])
            prelude = [n.assign(self.returned, n.const(False))]
            if not _always_returns(body):
                prelude.insert(0, n.assign(self.retval, n.const(None)))
            line = anno.get(body[0], "lineno")
            n.with_lineno(prelude, line)
            final = gast.Return(value=n.name(self.retval))
            anno.set(final, "lineno", anno.get(_last_return(body), "lineno"))
            func.body = prelude + lowered + [final]
        else:
            func.body, _ = self.block(body, [])
        return self.src

    # -- blocks --------------------------------------------------------------

    def block(self, stmts, loops):
        """Lower `stmts`; return (statements, flags they may set)."""
        out, flags = [], set()
        for i, stmt in enumerate(stmts):
            lowered, set_here = self.stmt(stmt, loops)
            out.extend(lowered)
            flags |= set_here
            guard = self._guard(set_here, loops)
            if guard is not None:
                if _is_jump(stmt):
                    return out, flags  # the rest of the block is unreachable
                rest, rest_flags = self.block(stmts[i + 1:], loops)
                flags |= rest_flags
                if rest:
                    line = anno.get(stmts[i + 1], "lineno")
                    out.append(n.if_(n.not_(n.name(guard)), rest, lineno=line))
                return out, flags
        return out, flags

    def _guard(self, flags, loops):
        if loops:
            skip = loops[-1].skip
            return skip if skip in flags else None
        return self.returned if self.returned in flags else None

    # -- statements ----------------------------------------------------------

    def stmt(self, stmt, loops):
        if isinstance(stmt, gast.Break):
            loop = loops[-1]
            out = [n.assign(loop.break_flag(), n.const(True)), n.assign(loop.skip_flag(), n.const(True))]
            return n.with_origin(out, stmt), {loop.skip, loop.brk}
        if isinstance(stmt, gast.Continue):
            loop = loops[-1]
            out = [n.assign(loop.skip_flag(), n.const(True))]
            return n.with_origin(out, stmt), {loop.skip}
        if isinstance(stmt, gast.Return) and self.retval is not None:
            return self._return(stmt, loops)
        if isinstance(stmt, gast.If):
            stmt.body, body_flags = self.block(stmt.body, loops)
            stmt.orelse, else_flags = self.block(stmt.orelse, loops)
            return [stmt], body_flags | else_flags
        if isinstance(stmt, (gast.For, gast.While)):
            return self._loop(stmt, loops)
        return [stmt], set()

    def _return(self, stmt, loops):
        value = stmt.value if stmt.value is not None else n.const(None)
        out = [n.assign(self.retval, value), n.assign(self.returned, n.const(True))]
        flags = {self.returned}
        for loop in loops:
            out += [n.assign(loop.break_flag(), n.const(True)), n.assign(loop.skip_flag(), n.const(True))]
            flags |= {loop.skip, loop.brk}
        return n.with_origin(out, stmt), flags

    def _loop(self, stmt, loops):
        line = anno.get(stmt, "lineno")
        loop = _Loop(self.namer)
        body, flags = self.block(stmt.body, loops + [loop])
        prelude = []
        if loop.skip is not None:
            body = n.with_origin([n.assign(loop.skip, n.const(False))], stmt) + body
        if loop.brk is not None:
            prelude.append(n.assign(loop.brk, n.const(False)))
            exit_ = n.if_(n.name(loop.brk), [gast.Break()], lineno=line)
            body = body + [exit_]
        if loop.brk is not None or isinstance(stmt, gast.While):
            trips = self.namer.fresh(naming.TRIPS)
            prelude.append(n.assign(trips, n.const(0)))
            increment = n.assign(trips, gast.BinOp(left=n.name(trips), op=gast.Add(), right=n.const(1)))
            body = n.with_origin([increment], stmt) + body
            anno.set(stmt, "trips", trips)
        stmt.body = body
        outer = flags - {loop.skip, loop.brk}
        return n.with_origin(prelude, stmt) + [stmt], outer


def _is_jump(stmt):
    return isinstance(stmt, (gast.Break, gast.Continue, gast.Return))


def _returns(stmts):
    for stmt in stmts:
        for node in n.walk(stmt):
            if isinstance(node, gast.Return):
                yield node


def _needs_return_lowering(body):
    returns = list(_returns(body))
    if not returns:
        return False
    return not (len(returns) == 1 and body and body[-1] is returns[0])


def _always_returns(stmts):
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.Return):
        return True
    if isinstance(last, gast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    return False


def _last_return(body):
    returns = list(_returns(body))
    return returns[-1] if returns else body[-1]


def lower_jumps(src, namer):
    func = src.tree
    if not any(isinstance(s, gast.Return) for s in _returns(func.body)):
        line = anno.get(func.body[-1], "lineno") if func.body else None
        final = gast.Return(value=n.const(None))
        anno.set(final, "lineno", line)
        func.body.append(final)
    return LowerJumps(src, namer).run()
