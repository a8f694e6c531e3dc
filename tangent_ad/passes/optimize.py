"""Clean the generated derivative with small passes run to a fixed point.

* constant folding: arithmetic on numeric constants, ``x ** 1`` -> ``x``, and
  (in generated statements only) ``-(-a)``, ``a + 0``, ``a * 1``;
* helper calls lose trailing arguments equal to the helper's defaults
  (``unreduce(g, x, None, False)`` -> ``unreduce(g, x)``);
* copy coalescing and elision: ``d_a = d_b`` where ``d_b`` dies there becomes
  one name, and ``copy(x)`` is dropped when nothing writes in place after it;
* copy propagation: after ``d_a = d_b`` later reads of ``d_a`` read ``d_b``
  (while neither is reassigned, and never into an in-place write);
* dead code elimination: assignments to generated names that nothing reads
  (strong liveness, so chains of dead temporaries go at once);
* single-use substitution: a temporary read once, by a later statement of the
  same source line, is written into that use (within a size limit, so lines
  stay readable);
* merging updates A-normal form split (``_t3 = s + x; s = _t3`` ->
  ``s = s + x``) where the reverse sweep needs neither name.

Only generated names (adjoints and template temporaries) are ever removed or
renamed; the user's variables and the primal temporaries (`protected`) keep
every assignment, so the primal sweep runs exactly as written. Every pass
keeps the code correct on its own; the unoptimised output is correct too.
"""

import bisect
import inspect
import operator

import gast

from .. import anno
from .. import nodes as n
from .positions import Positions

_FOLD = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.Pow: operator.pow,
}


def optimize(func, protected=frozenset(), keep=frozenset()):
    """`protected`: primal names, whose statements keep their exact form (no
    identity folding, no copy propagation into them); `keep`: names whose
    dead pure assignments must stay anyway.

    Every pass says whether it changed the tree; the passes run in rounds
    until a round changes nothing (at most 10 rounds)."""
    passes = (
        lambda: fold_constants(func, protected),
        lambda: propagate_negations(func, protected),
        lambda: trim_default_arguments(func),
        lambda: coalesce_copies(func, protected),
        lambda: elide_array_copies(func, protected),
        lambda: propagate_copies(func, protected),
        lambda: eliminate_dead_code(func, keep),
        lambda: substitute_single_uses(func, protected),
        lambda: merge_split_temporaries(func),
    )
    for _ in range(10):
        changed = [run() for run in passes]
        if not any(changed):
            break
    return func


# -- constant folding -----------------------------------------------------------


def _number(node):
    return (
        isinstance(node, gast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    )


class _Fold:
    """Arithmetic on constants; with `identities`, also x ** 1, 1 * x, x * 1,
    x / 1, -(-x) -- only in generated statements, since in the user's code
    `y = x * 1.0` makes a copy that may later be written in place.

    `visit` rewrites bottom-up and returns the node to use; `changed` says
    whether anything was rewritten."""

    def __init__(self, identities):
        self.identities = identities
        self.changed = False

    def visit(self, node):
        if isinstance(node, (gast.Name, gast.Constant)):
            return node
        for field in node._fields:
            child = getattr(node, field, None)
            if isinstance(child, gast.AST):
                new = self.visit(child)
                if new is not child:
                    setattr(node, field, new)
            elif isinstance(child, list):
                child[:] = [self.visit(item) if isinstance(item, gast.AST) else item for item in child]
        method = self._methods.get(type(node))
        return node if method is None else method(self, node)

    def fold_BinOp(self, node):
        out = self._binop(node)
        if out is not node:
            self.changed = True
        return node if out is None else out

    def _binop(self, node):
        """The replacement of BinOp `node`: another node, `node` unchanged,
        or None for `node` changed in place."""
        fold = _FOLD.get(type(node.op))
        if fold and _number(node.left) and _number(node.right):
            try:
                value = fold(node.left.value, node.right.value)
            except (ArithmeticError, ValueError, OverflowError):
                return node
            if isinstance(value, (int, float)) and abs(value) < 1e15:
                return n.const(value)
        if not self.identities:
            return node
        op = type(node.op)
        if op is gast.Pow and _is_one(node.right):
            return node.left
        if op is gast.Pow and isinstance(node.left, gast.Name) and _number(node.right) and node.right.value in (2, 3):
            # x * x (* x): multiplications, where ** calls pow() (Python
            # floats, and NumPy for any exponent but 2)
            product = gast.BinOp(left=node.left, op=gast.Mult(), right=n.copy_node(node.left))
            if node.right.value == 3:
                product = gast.BinOp(left=product, op=gast.Mult(), right=n.copy_node(node.left))
            return product
        if op in (gast.Add, gast.Sub) and _leads_with_negation(node.right):
            # a + (-x) * b -> a - x * b: the same value, one operation fewer
            node.right = _without_leading_negation(node.right)
            node.op = gast.Sub() if op is gast.Add else gast.Add()
            return None
        if op in (gast.Add, gast.Sub) and _is_zero(node.right):
            return node.left  # x - 0.0 -> x
        if op is gast.Add and _is_zero(node.left):
            return node.right
        if (
            op in (gast.Mult, gast.Div)
            and _number(node.right)
            and isinstance(node.left, gast.UnaryOp)
            and isinstance(node.left.op, gast.USub)
        ):
            node.left = node.left.operand  # (-a) * 2 -> a * -2: one pass, not two
            node.right = n.const(-node.right.value)
            return None
        if op is gast.Mult and _is_one(node.left):
            return node.right
        if op in (gast.Mult, gast.Div) and _is_one(node.right):
            return node.left
        return node

    def fold_Call(self, node):
        func = node.func
        if (
            self.identities
            and isinstance(func, gast.Attribute)
            and func.attr == "sum"
            and isinstance(func.value, gast.UnaryOp)
            and isinstance(func.value.op, gast.USub)
        ):
            # (-a).sum(...) -> -(a.sum(...)): negate the small result, not a
            func.value = func.value.operand
            self.changed = True
            return gast.UnaryOp(op=gast.USub(), operand=node)
        return node

    def fold_AugAssign(self, node):
        if self.identities and isinstance(node.op, (gast.Add, gast.Sub)) and _leads_with_negation(node.value):
            node.value = _without_leading_negation(node.value)  # d += -a * b -> d -= a * b
            node.op = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
            self.changed = True
        return node

    def fold_UnaryOp(self, node):
        if isinstance(node.op, gast.USub) and _number(node.operand):
            self.changed = True
            return n.const(-node.operand.value)
        if self.identities and isinstance(node.op, gast.USub):
            stripped = _without_leading_negation(node.operand)
            if stripped is not None:
                self.changed = True
                return stripped  # -(-a * b / c) -> a * b / c
        return node

    _methods = {
        gast.BinOp: fold_BinOp,
        gast.Call: fold_Call,
        gast.AugAssign: fold_AugAssign,
        gast.UnaryOp: fold_UnaryOp,
    }


def _leads_with_negation(node):
    """Whether `node` is ``-a`` or a product/quotient chain starting with one."""
    while isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        node = node.left
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)


def _without_leading_negation(node):
    """`node` with the negation at the start of its product removed, or None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return node.operand
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        left = _without_leading_negation(node.left)
        if left is not None:
            node.left = left
            return node
    return None


def _is_zero(node):
    return _number(node) and node.value == 0


def _is_one(node):
    return _number(node) and node.value == 1


def _generated_target(stmt, protected):
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else getattr(stmt, "target", None)
    if isinstance(target, gast.Subscript):
        target = target.value
    return isinstance(target, gast.Name) and target.id not in protected


def fold_constants(func, protected=frozenset()):
    changed = False
    for stmt in _simple_statements(func.body):
        folder = _Fold(_generated_target(stmt, protected))
        folder.visit(stmt)
        changed = changed or folder.changed
    return changed


def _simple_statements(stmts):
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _simple_statements(stmt.body)
            yield from _simple_statements(stmt.orelse)
        else:
            yield stmt


# -- negations -----------------------------------------------------------------


def propagate_negations(func, protected=frozenset()):
    """``v = -a`` whose every read starts a term added to or subtracted from
    something (``d += v * x``, ``d = d + v * x``) is read as ``-a`` there,
    which folding turns into a subtraction: ``d -= a * x``. The negation,
    an extra pass over an array or an extra float operation per loop step,
    is gone."""
    reads = None
    changed = False

    def block(stmts):
        nonlocal reads, changed
        written = mentions = None
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            negated = _negation_of_name(stmt, protected)
            if negated is None:
                continue
            name, operand = negated
            if reads is None:
                reads = _reads(func)  # the first candidate: nothing has changed yet
            if written is None:  # what follows is as it was when the block began
                facts = [_statement_facts(stmt) for stmt in stmts]
                written = Positions(bound | in_place for bound, in_place, _ in facts)
                mentions = Positions(names for _, _, names in facts)
            # the window: up to the first statement writing `name` or `operand`
            last = written.next((name, operand), i, len(stmts))
            window = [j for j in mentions.within(name, i, last) if j < last]
            sites = [site for j in window for site in _additive_reads(stmts[j], name)]
            if sites and len(sites) == reads.get(name, 0):
                for holder, field in sites:
                    chain = getattr(holder, field)
                    negation = gast.UnaryOp(op=gast.USub(), operand=n.name(operand))
                    changed = _replace_reads(chain, name, negation) > 0 or changed
                for j in window:
                    mentions.update(j, _all_names(stmts[j]))

    block(func.body)
    return changed


def _negation_of_name(stmt, protected):
    """(v, a) for a generated ``v = -a`` with `a` a name."""
    if (
        isinstance(stmt, gast.Assign)
        and isinstance(stmt.targets[0], gast.Name)
        and stmt.targets[0].id not in protected
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


# -- default arguments of helpers ---------------------------------------------


def trim_default_arguments(func):
    changed = False
    signatures = {}
    for node in n.walk(func):
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)):
            continue
        helper = anno.get(node.func, "inject")
        if helper is None or not callable(helper):
            continue
        if id(helper) not in signatures:
            signatures[id(helper)] = _parameters(helper)
        params = signatures[id(helper)]
        if params is None:
            continue
        while node.args and len(node.args) <= len(params):
            param = params[len(node.args) - 1]
            last = node.args[-1]
            if (
                param.default is not inspect.Parameter.empty
                and isinstance(last, gast.Constant)
                and last.value is param.default
            ):
                node.args.pop()
                changed = True
            else:
                break
    return changed


def _parameters(helper):
    """The parameters of `helper`, or None when it has no signature."""
    try:
        return list(inspect.signature(helper).parameters.values())
    except (TypeError, ValueError):
        return None


# -- copy propagation ---------------------------------------------------------------


def _assigned_in(stmts):
    names = set()
    for stmt in stmts:
        for node in n.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                names.add(node.id)
            elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                names.add(node.target.id)
    return names


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


def _statement_facts(stmt):
    """(names bound, names written in place, every name) in `stmt`, in one
    walk: `_assigned_in`, `_written_in_place` and `_all_names` together."""
    bound, in_place, names = set(), set(), set()
    for node in n.walk(stmt):
        if isinstance(node, gast.Name):
            names.add(node.id)
            if isinstance(node.ctx, gast.Store):
                bound.add(node.id)
        elif isinstance(node, gast.Assign):
            if isinstance(node.targets[0], gast.Subscript) and isinstance(node.targets[0].value, gast.Name):
                in_place.add(node.targets[0].value.id)
        elif isinstance(node, gast.AugAssign):
            base = node.target.value if isinstance(node.target, gast.Subscript) else node.target
            if isinstance(base, gast.Name):
                in_place.add(base.id)
            if isinstance(node.target, gast.Name):
                bound.add(node.target.id)
        elif isinstance(node, gast.Call) and node.args and isinstance(node.args[0], gast.Name):
            if getattr(anno.get(node.func, "inject"), "__name__", "") == "add_at":
                in_place.add(node.args[0].id)
    return bound, in_place, names


def _is_copy(stmt, protected):
    """`t = s` or `t = <number>` with `t` a generated name."""
    return (
        isinstance(stmt, gast.Assign)
        and isinstance(stmt.targets[0], gast.Name)
        and (isinstance(stmt.value, gast.Name) or _number(stmt.value))
        and stmt.targets[0].id not in protected
    )


def elide_array_copies(func, protected):
    """``t = copy(a[s])`` -> ``t = a[s]`` (a view) when every read of `t`
    comes before anything writes into `a` in place, and `t` is only read
    inside expressions (never handed on as itself)."""
    from .. import runtime

    uses = None
    changed = False

    def block(stmts):
        nonlocal uses, changed
        in_place = mentions = None
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if not (
                isinstance(stmt, gast.Assign)
                and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id not in protected
                and isinstance(stmt.value, gast.Call)
                and anno.get(stmt.value.func, "inject") is runtime.copy
                and len(stmt.value.args) == 1
                and isinstance(stmt.value.args[0], gast.Subscript)
                and isinstance(stmt.value.args[0].value, gast.Name)
            ):
                continue
            if uses is None:
                uses = _reads(func)  # the first candidate: nothing has changed yet
            if in_place is None:  # this pass changes no statement after a candidate
                facts = [_statement_facts(stmt) for stmt in stmts]
                in_place = Positions(fact[1] for fact in facts)
                mentions = Positions(fact[2] for fact in facts)
                ends = [j for j, later in enumerate(stmts) if isinstance(later, _ENDS_WINDOW)]
            name, base = stmt.targets[0].id, stmt.value.args[0].value.id
            end = ends[bisect.bisect_right(ends, i)] if ends and ends[-1] > i else len(stmts)
            last = in_place.next((base, name), i, end)
            visits = mentions.within(name, i, last)
            if last < len(stmts) and last not in visits:
                visits.append(last)
            seen = 0
            for j in visits:
                later = stmts[j]
                if isinstance(later, _ENDS_WINDOW):
                    break
                if _reads_name(later, name):
                    if isinstance(later, gast.Assign) and _is_bare(later.value, name):
                        break  # handed on: its later readers are not checked
                    seen += sum(1 for sub in n.walk(later) if isinstance(sub, gast.Name) and sub.id == name)
                if base in in_place.facts[j] or name in in_place.facts[j]:
                    break
            if seen and seen == uses.get(name):
                stmt.value = stmt.value.args[0]
                changed = True

    block(func.body)
    return changed


_ENDS_WINDOW = (gast.If, gast.For, gast.While, gast.Return)


def _is_bare(value, name):
    return isinstance(value, gast.Name) and value.id == name


def coalesce_copies(func, protected):
    """``s = e; ...; t = s`` where `s` is a generated name defined once and
    read only by the copy: `e` is assigned to `t` directly (the copy goes),
    so values keep the name of what they are the adjoint of."""
    counts = None
    changed = False

    def block(stmts):
        nonlocal counts, changed
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
            if counts is None:
                counts = _definitions_and_uses(func)  # the first candidate: nothing has changed yet
            defs, uses = counts
            if not (
                defs.get(stmt.value.id) == 1
                and uses.get(stmt.value.id) == 1
                and defs.get(stmt.targets[0].id) == 1
            ):
                continue
            if first is None:
                first = {}
                for j, earlier in enumerate(stmts):
                    if isinstance(earlier, gast.Assign) and isinstance(earlier.targets[0], gast.Name):
                        first.setdefault(earlier.targets[0].id, j)
            source, target = stmt.value.id, stmt.targets[0].id
            j = first.get(source)
            if j is not None and j < i:
                stmts[j].targets[0].id = target
                del first[source]
                first[target] = min(j, first.get(target, j))
                removed.add(i)
                defs[target] = 1
                changed = True
        if removed:
            stmts[:] = [stmt for i, stmt in enumerate(stmts) if i not in removed]

    block(func.body)
    return changed


def _definitions_and_uses(func):
    """({name: bindings}, {name: reads}); ``x += v`` counts as two bindings."""
    defs, uses = {}, {}
    for node in n.walk(func):
        if isinstance(node, gast.Name):
            table = uses if isinstance(node.ctx, gast.Load) else defs
            table[node.id] = table.get(node.id, 0) + 1
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            defs[node.target.id] = defs.get(node.target.id, 0) + 1
    return defs, uses


def propagate_copies(func, protected):
    """After a copy ``t = s``, reads of `t` read `s` until either is bound
    again or `t` is written in place; returns whether anything changed."""
    changed = False

    def block(stmts):
        nonlocal changed
        facts = [_statement_facts(stmt) for stmt in stmts]
        written = Positions(fact[0] for fact in facts)
        in_place = Positions(fact[1] for fact in facts)
        reads = Positions(fact[2] for fact in facts)
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if not _is_copy(stmt, protected):
                continue
            target = stmt.targets[0].id
            source = stmt.value.id if isinstance(stmt.value, gast.Name) else stmt.value
            stops = {target, source} if isinstance(source, str) else {target}
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
                        changed = _replace_reads(later.value, target, source) > 0 or changed
                        if _reads_name(later.target, target):
                            break
                    else:
                        changed = _replace_reads(later, target, source) > 0 or changed
                    reads.update(j, _all_names(later))
                if stops & written.facts[j]:
                    break

    block(func.body)
    return changed


def _written_in_place(stmt):
    """Names whose arrays `stmt` updates in place: ``x[i] = ...``, ``x += ...``
    (arrays), ``add_at(x, ...)``."""
    names = set()
    for node in n.walk(stmt):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript):
            base = node.targets[0].value
            if isinstance(base, gast.Name):
                names.add(base.id)
        elif isinstance(node, gast.AugAssign):
            base = node.target.value if isinstance(node.target, gast.Subscript) else node.target
            if isinstance(base, gast.Name):
                names.add(base.id)
        elif isinstance(node, gast.Call) and node.args and isinstance(node.args[0], gast.Name):
            if getattr(anno.get(node.func, "inject"), "__name__", "") == "add_at":
                names.add(node.args[0].id)
    return names


def _reads_name(node, name):
    return any(isinstance(s, gast.Name) and s.id == name for s in n.walk(node))


# -- single-use temporaries -----------------------------------------------------------


def substitute_single_uses(func, protected=frozenset()):
    """``t = e`` whose only use is a later statement of the same block and the
    same source line: the use reads `e` itself (the code reads like what a
    person writes: ``h1 = np.tanh(x @ W1 + b1)``). `e` must be pure and none
    of its names written in between. Primal temporaries are put back into the
    expression they came from; adjoint ones only where the result stays
    short (no helper call nested in another, a few operations at most)."""
    defs, uses = _substitution_counts(func)
    changed = False

    def block(stmts):
        nonlocal changed
        window = None
        removed = set()
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if not _substitutable(stmt, defs, uses):
                continue
            if window is None:  # what follows is as it was when the block began
                window = _Window(stmts)
            if _substitute_forward(stmts, i, window, protected):
                removed.add(i)
                changed = True
        if removed:
            stmts[:] = [stmt for i, stmt in enumerate(stmts) if i not in removed]

    block(func.body)
    return changed


def _substitution_counts(func):
    """({name: bindings}, {name: reads}); a loop or augmented target counts
    as two bindings (never substituted)."""
    defs, uses = {}, {}
    for node in n.walk(func):
        if isinstance(node, gast.Assign):
            for target in node.targets:
                for name in n.store_names(target):
                    defs[name] = defs.get(name, 0) + 1
        elif isinstance(node, (gast.For, gast.AugAssign)):
            for name in n.store_names(node.target):
                defs[name] = defs.get(name, 0) + 2  # never substitute these
        elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            uses[node.id] = uses.get(node.id, 0) + 1
    return defs, uses


class _Window:
    """For one block: the statements that end a substitution's search
    (control flow, returns), and where each name is mentioned or written."""

    def __init__(self, stmts):
        facts = [_substitution_facts(stmt) for stmt in stmts]
        self.mentions = Positions(names for names, _ in facts)
        self.writes = Positions(written for _, written in facts)
        self.ends = [j for j, stmt in enumerate(stmts) if isinstance(stmt, _ENDS_WINDOW)]
        self.size = len(stmts)

    def first_stop(self, i, name, reads):
        """The first statement after `i` that mentions `name`, writes it or
        one of `reads`, or ends the block's straight line."""
        k = bisect.bisect_right(self.ends, i)
        last = self.ends[k] if k < len(self.ends) else self.size
        last = self.mentions.next((name,), i, last)
        return self.writes.next(reads | {name}, i, last)

    def changed(self, j, stmt):
        names, written = _substitution_facts(stmt)
        self.mentions.update(j, names)
        self.writes.update(j, written)


def _substitution_facts(stmt):
    """(every name in `stmt`, the names it may change: assignments, in-place
    updates, the arguments of a call whose result is discarded), in one walk."""
    names, written = set(), set()
    for node in n.walk(stmt):
        if isinstance(node, gast.Name):
            names.add(node.id)
            if isinstance(node.ctx, (gast.Store, gast.Param)):
                written.add(node.id)
        elif isinstance(node, gast.AugAssign):
            written |= {s.id for s in n.walk(node.target) if isinstance(s, gast.Name)}
        elif isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript):
            written |= {s.id for s in n.walk(node.targets[0]) if isinstance(s, gast.Name)}
    if isinstance(stmt, gast.Expr) and not _is_push(stmt):
        written |= names
    return names, written


def _substitutable(stmt, defs, uses):
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return False
    name = stmt.targets[0].id
    value = stmt.value
    if defs.get(name) != 1 or uses.get(name) != 1:
        return False
    if isinstance(value, (gast.Name, gast.Constant)):
        return False  # copies and constants are propagate_copies' job
    return _pure(value) and not isinstance(value, (gast.Tuple, gast.List, gast.Dict))


def _size(node):
    return sum(isinstance(sub, (gast.Call, gast.BinOp, gast.UnaryOp)) for sub in n.walk(node))


def _into_shape_argument(later, name):
    """Whether `later` reads `name` only for its shape (unreduce(g, name))."""
    from .reverse import LIKE_ARGS

    for call in n.walk(later):
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Name):
            for position in LIKE_ARGS.get(anno.get(call.func, "inject"), ()):
                if position < len(call.args) and _reads_name(call.args[position], name):
                    return True
    return False


def _readable_after(later, name, value):
    """Whether putting `value` where `later` reads `name` keeps `later` short."""
    if _size(later) + _size(value) > 5:
        return False
    if any(isinstance(sub, gast.Call) for sub in n.walk(value)):
        for call in n.walk(later):
            if isinstance(call, gast.Call) and any(_reads_name(arg, name) for arg in call.args):
                return False  # no helper call nested in another
    return True


def _substitute_forward(stmts, i, window, protected=frozenset()):
    stmt = stmts[i]
    name = stmt.targets[0].id
    reads = set(n.load_names(stmt.value))
    line = (anno.get(stmt, "lineno"), anno.get(stmt, "filename"))
    j = window.first_stop(i, name, reads)
    if j == len(stmts):
        return False
    later = stmts[j]
    if isinstance(later, _ENDS_WINDOW):
        return False  # (a return reading `name` too)
    if _reads_name(later, name):
        if (anno.get(later, "lineno"), anno.get(later, "filename")) != line:
            return False
        if isinstance(later, gast.AugAssign) and _reads_name(later.target, name):
            return False
        if name not in protected and not _readable_after(later, name, stmt.value):
            return False
        if _into_shape_argument(later, name):
            return False
        _replace_load(later, name, stmt.value)
        window.changed(j, later)
        return True
    return False  # `later` writes `name` or what `stmt` reads


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


# -- dead code ------------------------------------------------------------------------


def _reads(func):
    counts = {}
    for node in n.walk(func):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
        elif isinstance(node, gast.AugAssign):
            # `x += v` reads x, but only to update x itself
            pass
    return counts


def eliminate_dead_code(func, protected):
    """Remove assignments whose value is never used (liveness, so values that
    only feed each other around a loop go too); the user's names keep every
    assignment except constants and copies nobody reads."""
    pure = _PureValues()
    live_targets = _live_targets(func.body, protected, pure)
    counts = _reads(func)
    removed = 0

    def dead(stmt):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            name = stmt.targets[0].id
            if isinstance(stmt.value, gast.Name) and stmt.value.id == name:
                return True  # x = x
            if counts.get(name, 0) == 0 and isinstance(stmt.value, (gast.Constant, gast.Name)):
                return True  # a constant or a copy nobody reads, even in the primal
            return name not in protected and id(stmt) not in live_targets and pure(stmt.value)
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            name = stmt.target.id
            return name not in protected and id(stmt) not in live_targets and pure(stmt.value)
        return False

    def block(stmts):
        nonlocal removed
        out = []
        for stmt in stmts:
            if dead(stmt):
                removed += 1
                continue
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    kept = block(getattr(stmt, field))
                    if field == "body" and not kept:
                        kept = [gast.Pass()]
                    setattr(stmt, field, kept)
            if isinstance(stmt, gast.If) and _only_pass(stmt.body) and not stmt.orelse:
                removed += 1
                continue
            if isinstance(stmt, gast.For) and anno.has(stmt, "primal") and _only_pass(stmt.body):
                removed += 1
                continue
            out.append(stmt)
        return out

    func.body = block(func.body)
    return removed > 0


def _uses_defs(stmt):
    """(names read, names bound) by a simple statement or a compound's header."""
    uses, defs = set(), set()
    if isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        uses.update(n.load_names(stmt.value))
        if isinstance(target, gast.Name):
            defs.add(target.id)
        else:
            uses.update(n.load_names(target))
    elif isinstance(stmt, gast.AugAssign):
        uses.update(n.load_names(stmt.value))
        uses.update(_all_names(stmt.target))
        if isinstance(stmt.target, gast.Name):
            defs.add(stmt.target.id)
    elif isinstance(stmt, gast.If):
        uses.update(n.load_names(stmt.test))
    elif isinstance(stmt, gast.For):
        uses.update(n.load_names(stmt.iter))
        defs.update(n.store_names(stmt.target))
    elif isinstance(stmt, gast.While):
        uses.update(n.load_names(stmt.test))
    else:
        uses.update(_all_names(stmt))
    return uses, defs


def _all_names(node):
    return {sub.id for sub in n.walk(node) if isinstance(sub, gast.Name)}


def _live_targets(body, protected, pure):
    """{id(stmt)} of the assignments whose target is live just after them.

    Strong liveness: a removable assignment (generated name, pure value)
    makes its operands live only if its own target is, so values that only
    feed each other around a loop are dead too. The live set is updated in
    place along straight-line code (copied only at branches and loops), so
    a long function costs time in proportion to its length.
    """
    live_after = set()
    facts = {}

    def block(stmts, live):
        for stmt in reversed(stmts):
            one(stmt, live)

    def one(stmt, live):
        """Turn `live` (after `stmt`) into the names live before it."""
        if id(stmt) not in facts:
            facts[id(stmt)] = _uses_defs(stmt) + (_removable_target(stmt, protected, pure),)
        uses, defs, target = facts[id(stmt)]
        if isinstance(stmt, gast.If):
            then = set(live)
            block(stmt.body, then)
            block(stmt.orelse, live)
            live |= then
            live |= uses
        elif isinstance(stmt, (gast.For, gast.While)):
            head = live | uses
            while True:
                body_in = set(head)
                block(stmt.body, body_in)
                new = live | uses | (body_in - defs)
                if new == head:
                    break
                head = new
            live |= head
        else:
            target_name = _assigned_name(stmt)
            if target_name is not None and target_name in live:
                live_after.add(id(stmt))
            if target is not None and target not in live:
                live -= defs
            else:
                live -= defs
                live |= uses

    block(body, set())
    return live_after


def _assigned_name(stmt):
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
        return stmt.target.id
    return None


def _removable_target(stmt, protected, pure):
    name = _assigned_name(stmt)
    if name is None:
        return None
    value = stmt.value
    if name in protected or not pure(value):
        return None
    return name


class _PureValues:
    """`_pure`, computed once per value node during one pass."""

    def __init__(self):
        self.known = {}

    def __call__(self, value):
        if id(value) not in self.known:
            self.known[id(value)] = _pure(value)
        return self.known[id(value)]


def _only_pass(stmts):
    return all(isinstance(s, gast.Pass) for s in stmts)


def _pure(value):
    """Whether evaluating `value` has no effect besides its result: calls
    only to functions with derivative rules, NumPy ufuncs and the runtime's
    pure helpers (not `add_at`, which writes into its argument, nor a pop)."""
    from ..rules import registry
    from ..source import static_value

    for node in n.walk(value):
        if not isinstance(node, gast.Call):
            continue
        func = static_value(node.func)
        if func in _IMPURE:
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


def _impure():
    from .. import runtime

    return {runtime.add_at, runtime.Stack, print}


class _Lazy:
    def __init__(self, make):
        self.make = make
        self.value = None

    def __contains__(self, item):
        if self.value is None:
            self.value = self.make()
        try:
            return item in self.value
        except TypeError:
            return False


_IMPURE = _Lazy(_impure)
# -- temporaries split off by A-normal form ---------------------------------------


def _is_push(stmt):
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Call)
        and isinstance(stmt.value.func, gast.Attribute)
        and stmt.value.func.attr == "push"
    )


def merge_split_temporaries(func):
    """``_t3 = s + x; s = _t3`` -> ``s = s + x`` when nothing else reads ``_t3``.

    A-normal form splits self-referencing updates so that "before" and
    "after" have different names; where the reverse sweep ended up needing
    neither (no push, no rule reading them), the split is undone.
    """
    counts = None
    changed = False

    def block(stmts):
        nonlocal counts, changed
        out = []
        i = 0
        while i < len(stmts):
            stmt = stmts[i]
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    setattr(stmt, field, block(getattr(stmt, field)))
            following = stmts[i + 1: i + 3]
            pushes = []
            if following and _is_push(following[0]):
                pushes, following = following[:1], following[1:]
            nxt = following[0] if following else None
            if (
                anno.has(stmt, "split_for")
                and isinstance(nxt, gast.Assign)
                and isinstance(nxt.value, gast.Name)
                and nxt.value.id == stmt.targets[0].id
                and isinstance(nxt.targets[0], gast.Name)
                and nxt.targets[0].id == anno.get(stmt, "split_for")
            ):
                if counts is None:
                    counts = _reads(func)  # the first candidate: nothing has changed yet
                if counts.get(stmt.targets[0].id, 0) == 1:
                    merged = n.assign(nxt.targets[0].id, stmt.value)
                    anno.copy_from(merged, stmt, keys=("lineno",))
                    out.extend(pushes)
                    out.append(merged)
                    i += 2 + len(pushes)
                    changed = True
                    continue
            out.append(stmt)
            i += 1
        return out

    func.body = block(func.body)
    return changed
