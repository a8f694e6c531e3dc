"""What the optimizer's passes ask about the tree, computed once while it
stays the same.

The passes keep asking the same questions: how often each name is read or
bound, what each statement binds, reads, writes in place or may change,
whether the value it assigns is pure. `Facts` answers from tables it builds
on first use. A pass reports each change right after making it, before it
asks anything more: `changed(stmt)` for a change inside a statement (whose
facts, and those of the compound statements holding it, are then computed
again), `removed()` when statements leave the tree. So the passes of a round
share what they learn, a change costs only the facts of what it touched,
and the count of changes tells the fixed-point loop whether a round changed
anything.
"""

import gast

from .. import anno
from .. import nodes as n
from .. import runtime
from ..rules import registry
from ..source import static_value


class Facts:
    """Tables about `func`, kept up to date by the passes' reports."""

    def __init__(self, func):
        self.func = func
        self.changes = 0
        self._counts = None
        self._statements = {}  # id(stmt) -> (stmt, StatementFacts, purity of its value)
        self._compounds = set()  # the ids of compound statements in `_statements`

    def aliases(self):
        """`Aliases` of the function as it is now (read again only after a change)."""
        from .aliases import Aliases  # aliases.py reads the rules, which read facts

        if getattr(self, "_aliases_at", None) != self.changes:
            self._aliases, self._aliases_at = Aliases(self.func), self.changes
        return self._aliases

    def changed(self, stmt=None):
        """The tree has just changed inside statement `stmt` (anywhere, for
        None). The facts of `stmt` and of the statements holding it are out
        of date; those of every other simple statement still hold."""
        self.changes += 1
        self._counts = None
        if stmt is None or _holds_statements(stmt):
            self._statements, self._compounds = {}, set()
        else:
            self._statements.pop(id(stmt), None)
            self._forget_compounds()

    def removed(self):
        """Statements have just left the tree (or new ones replaced them);
        no statement that stays has changed, but those holding them."""
        self.changes += 1
        self._counts = None
        self._forget_compounds()

    def _forget_compounds(self):
        for key in self._compounds:
            del self._statements[key]
        self._compounds = set()

    def counts(self):
        """`Counts` of the whole function: its statements' (kept with their
        other facts), and those of its arguments."""
        if self._counts is None:
            counts = Counts()
            func = self.func
            for part in [func.args, func.returns] + func.decorator_list + (func.type_params or []):
                if part is not None:
                    for node in n.walk(part):
                        counts.add(node)
            for stmt in func.body:
                counts.add_counts(self.statement(stmt).counts)
            self._counts = counts
        return self._counts

    def statement(self, stmt):
        """`StatementFacts` of `stmt` (with everything nested in it)."""
        return self._entry(stmt)[1]

    def pure(self, stmt):
        """Whether evaluating the value `stmt` assigns has no effect but its result."""
        entry = self._entry(stmt)
        if entry[2] is None:
            entry[2] = is_pure(stmt.value)
        return entry[2]

    def _entry(self, stmt):
        entry = self._statements.get(id(stmt))
        if entry is None:
            if type(stmt) in _HEADERS:
                # a loop's or branch's facts: its header's, and those of the
                # statements in its blocks (kept: a change inside forgets
                # only the compounds, which are made again from them)
                facts = StatementFacts(stmt, [
                    self._entry(child)[1] for field in ("body", "orelse") for child in getattr(stmt, field)
                ])
            else:
                facts = StatementFacts(stmt)
            entry = self._statements[id(stmt)] = [stmt, facts, None]
            if _holds_statements(stmt):
                self._compounds.add(id(stmt))
        return entry


def _holds_statements(stmt):
    return isinstance(getattr(stmt, "body", None), list)


class Counts:
    """How often each name is read and bound.

    `reads`: loads. `bindings`: stores (``x += v`` binds `x` twice: its
    target, and as an update). `assignments`: targets of ``=`` once, loop and
    augmented targets twice (names bound so are never substituted).
    """

    def __init__(self):
        self.reads, self.bindings, self.assignments = {}, {}, {}

    def add(self, node):
        """Count what `node` itself (not the nodes under it) reads and binds."""
        if isinstance(node, gast.Name):
            table = self.reads if isinstance(node.ctx, gast.Load) else self.bindings
            table[node.id] = table.get(node.id, 0) + 1
        elif isinstance(node, gast.Assign):
            for target in node.targets:
                for name in _stored(target):
                    self.assignments[name] = self.assignments.get(name, 0) + 1
        elif isinstance(node, (gast.For, gast.AugAssign)):
            if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                self.bindings[node.target.id] = self.bindings.get(node.target.id, 0) + 1
            for name in _stored(node.target):
                self.assignments[name] = self.assignments.get(name, 0) + 2

    def add_counts(self, other):
        for table, more in (
            (self.reads, other.reads),
            (self.bindings, other.bindings),
            (self.assignments, other.assignments),
        ):
            for name, count in more.items():
                table[name] = table.get(name, 0) + count


def _stored(target):
    """`n.store_names(target)`, without a walk for a plain name."""
    if isinstance(target, gast.Name):
        return (target.id,) if isinstance(target.ctx, (gast.Store, gast.Param)) else ()
    return n.store_names(target)


class StatementFacts:
    """The names a statement (with everything nested in it) mentions, reads,
    binds, writes into in place (``x[i] = v``, ``x += v``, ``add_at(x, ...)``,
    ``drop_last(d_hs)``, which shortens a list adjoint)
    and may change (those, and the arguments of a call whose result is
    discarded), and its `Counts`, from one walk."""

    __slots__ = ("names", "loads", "bound", "in_place", "writes", "counts", "raw_writes")

    def __init__(self, stmt, children=None):
        names, loads, bound, in_place, writes = set(), set(), set(), set(), set()
        counts = Counts()
        if children is None:
            nodes = n.walk(stmt)
        else:  # a compound: its own node and its header, then its blocks' facts
            nodes = [stmt]
            for field in _HEADERS[type(stmt)]:
                nodes.extend(n.walk(getattr(stmt, field)))
        for node in nodes:
            counts.add(node)
            if isinstance(node, gast.Name):
                names.add(node.id)
                if isinstance(node.ctx, gast.Load):
                    loads.add(node.id)
                elif isinstance(node.ctx, gast.Store):
                    bound.add(node.id)
                    writes.add(node.id)
                elif isinstance(node.ctx, gast.Param):
                    writes.add(node.id)
            elif isinstance(node, gast.Assign):
                target = node.targets[0]
                if isinstance(target, gast.Subscript):
                    base = _base_of(target)  # x of x[i] = v, and of x[1:][0] = v
                    if base is not None:
                        in_place.add(base)
                    writes.update(n.names_in(target))
            elif isinstance(node, gast.AugAssign):
                base = _base_of(node.target)
                if base is not None:
                    in_place.add(base)
                if isinstance(node.target, gast.Name):
                    bound.add(node.target.id)
                writes.update(n.names_in(node.target))
            elif isinstance(node, gast.Call) and node.args and _base_of(node.args[0]) is not None:
                if getattr(anno.get(node.func, "inject"), "__name__", "") in ("add_at", "drop_last"):
                    in_place.add(_base_of(node.args[0]))  # also through a view: add_at(d_a[::-1], ...)
        for child in children or ():
            names |= child.names
            loads |= child.loads
            bound |= child.bound
            in_place |= child.in_place
            writes |= child.raw_writes
            counts.add_counts(child.counts)
        self.raw_writes = writes
        if isinstance(stmt, gast.Expr) and not is_push(stmt):
            writes = writes | names
        self.names, self.loads, self.bound, self.in_place, self.writes = names, loads, bound, in_place, writes
        self.counts = counts


# The header fields of the compound statements whose facts are made from
# their blocks' (the fields `n.walk` follows, but for the blocks).
_HEADERS = {gast.For: ("target", "iter"), gast.While: ("test",), gast.If: ("test",)}


def _base_of(target):
    """`x` of ``x``, ``x[i]``, ``x[1:][0]``, ``x.a[i]``; None for anything else."""
    while isinstance(target, (gast.Subscript, gast.Attribute)):
        target = target.value
    return target.id if isinstance(target, gast.Name) else None


def is_push(stmt):
    """Whether `stmt` is ``<stack>.push(...)``."""
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Call)
        and isinstance(stmt.value.func, gast.Attribute)
        and stmt.value.func.attr == "push"
    )


def is_pure(value):
    """Whether evaluating `value` has no effect besides its result: calls
    only to functions with derivative rules, NumPy ufuncs and the runtime's
    pure helpers (not `add_at`, which writes into its argument, nor a pop)."""
    for node in n.walk(value):
        if not isinstance(node, gast.Call):
            continue
        func = static_value(node.func)
        if _is_impure_call(func):
            return False
        key = registry.call_key(node)
        if key is None:
            return False
        if isinstance(key, tuple) and key[0] == "method":
            if key not in registry.ADJOINTS and key not in registry.NONDIFFERENTIABLE:
                return False
            continue
        if key in (print,) or not (
            key in registry.ADJOINTS
            or key in registry.TANGENTS
            or key in registry.NONDIFFERENTIABLE
            or key in registry.LINEAR
        ):
            return False
    return True


def _is_impure_call(func):
    try:
        return func in _IMPURE
    except TypeError:  # unhashable
        return False


# (grad_seed raises for an output that is not a scalar: a check nothing may drop)
_IMPURE = {runtime.add_at, runtime.Stack, runtime.grad_seed, print}
