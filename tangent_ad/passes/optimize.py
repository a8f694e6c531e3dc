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

import inspect
import operator

import gast

from .. import anno
from .. import nodes as n
from .broadcasts import keep_scalars_scalar

_FOLD = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.Pow: operator.pow,
}


def optimize(func, protected=frozenset(), keep=frozenset(), shapes=None):
    """`protected`: primal names, whose statements keep their exact form (no
    identity folding, no copy propagation into them); `keep`: names whose
    dead pure assignments must stay anyway; `shapes`: {name: shape} known
    when the derivative is specialised."""
    for _ in range(10):
        before = gast.dump(func)
        if shapes:
            keep_scalars_scalar(func, shapes, protected)
        fold_constants(func, protected)
        propagate_negations(func, protected)
        trim_default_arguments(func)
        coalesce_copies(func, protected)
        elide_array_copies(func, protected)
        propagate_copies(func, protected)
        eliminate_dead_code(func, keep)
        substitute_single_uses(func, protected)
        merge_split_temporaries(func)
        if gast.dump(func) == before:
            break
    return func


# -- constant folding -----------------------------------------------------------


def _number(node):
    return (
        isinstance(node, gast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    )


class _Fold(gast.NodeTransformer):
    """Arithmetic on constants; with `identities`, also x ** 1, 1 * x, x * 1,
    x / 1, -(-x) -- only in generated statements, since in the user's code
    `y = x * 1.0` makes a copy that may later be written in place."""

    def __init__(self, identities):
        self.identities = identities

    def visit_BinOp(self, node):
        self.generic_visit(node)
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
            return node
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
            return node
        if op is gast.Mult and _is_one(node.left):
            return node.right
        if op in (gast.Mult, gast.Div) and _is_one(node.right):
            return node.left
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
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
            return gast.UnaryOp(op=gast.USub(), operand=node)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if self.identities and isinstance(node.op, (gast.Add, gast.Sub)) and _leads_with_negation(node.value):
            node.value = _without_leading_negation(node.value)  # d += -a * b -> d -= a * b
            node.op = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.USub) and _number(node.operand):
            return n.const(-node.operand.value)
        if self.identities and isinstance(node.op, gast.USub):
            stripped = _without_leading_negation(node.operand)
            if stripped is not None:
                return stripped  # -(-a * b / c) -> a * b / c
        return node


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
    for stmt in _simple_statements(func.body):
        _Fold(_generated_target(stmt, protected)).visit(stmt)


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
    reads = {}
    for node in gast.walk(func):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            reads[node.id] = reads.get(node.id, 0) + 1

    def block(stmts):
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            negated = _negation_of_name(stmt, protected)
            if negated is None:
                continue
            name, operand = negated
            window = []
            for later in stmts[i + 1:]:
                written = _assigned_in([later]) | _written_in_place(later)
                if name in written or operand in written:
                    break
                window.append(later)
            sites = [site for later in window for site in _additive_reads(later, name)]
            if sites and len(sites) == reads.get(name, 0):
                for holder, field in sites:
                    chain = getattr(holder, field)
                    _replace_reads(chain, name, gast.UnaryOp(op=gast.USub(), operand=n.name(operand)))

    block(func.body)


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
    for node in gast.walk(stmt):
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
            if sum(isinstance(s, gast.Name) and s.id == name for s in gast.walk(term)) == 1:
                sites.append((node, field))
    return sites


# -- default arguments of helpers ---------------------------------------------


def trim_default_arguments(func):
    for node in gast.walk(func):
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)):
            continue
        helper = anno.get(node.func, "inject")
        if helper is None or not callable(helper):
            continue
        try:
            params = list(inspect.signature(helper).parameters.values())
        except (TypeError, ValueError):
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
            else:
                break


# -- copy propagation ---------------------------------------------------------------


def _assigned_in(stmts):
    names = set()
    for stmt in stmts:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                names.add(node.id)
            elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                names.add(node.target.id)
    return names


def _replace_reads(node, old, new):
    """Reads of `old` become `new` (a name, or a constant node)."""
    if isinstance(new, str):
        for sub in gast.walk(node):
            if isinstance(sub, gast.Name) and sub.id == old and isinstance(sub.ctx, gast.Load):
                sub.id = new
        return
    for sub in gast.walk(node):
        for field, value in gast.iter_fields(sub):
            if isinstance(value, gast.Name) and value.id == old and isinstance(value.ctx, gast.Load):
                setattr(sub, field, n.copy_node(new))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, gast.Name) and item.id == old and isinstance(item.ctx, gast.Load):
                        value[i] = n.copy_node(new)


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

    uses = {}
    for node in gast.walk(func):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            uses[node.id] = uses.get(node.id, 0) + 1

    def block(stmts):
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
            name, base = stmt.targets[0].id, stmt.value.args[0].value.id
            seen = 0
            for later in stmts[i + 1:]:
                if isinstance(later, (gast.If, gast.For, gast.While, gast.Return)):
                    break
                if _reads_name(later, name):
                    if isinstance(later, gast.Assign) and _is_bare(later.value, name):
                        break  # handed on: its later readers are not checked
                    seen += sum(1 for sub in gast.walk(later) if isinstance(sub, gast.Name) and sub.id == name)
                if base in _written_in_place(later) or name in _written_in_place(later):
                    break
            if seen and seen == uses.get(name):
                stmt.value = stmt.value.args[0]

    block(func.body)


def _is_bare(value, name):
    return isinstance(value, gast.Name) and value.id == name


def coalesce_copies(func, protected):
    """``s = e; ...; t = s`` where `s` is a generated name defined once and
    read only by the copy: `e` is assigned to `t` directly (the copy goes),
    so values keep the name of what they are the adjoint of."""
    defs, uses = {}, {}
    for node in gast.walk(func):
        if isinstance(node, gast.Name):
            table = uses if isinstance(node.ctx, gast.Load) else defs
            table[node.id] = table.get(node.id, 0) + 1
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            defs[node.target.id] = defs.get(node.target.id, 0) + 1

    def block(stmts):
        for stmt in stmts:
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
        i = 0
        while i < len(stmts):
            stmt = stmts[i]
            if (
                _is_copy(stmt, protected)
                and isinstance(stmt.value, gast.Name)
                and stmt.value.id not in protected
                and defs.get(stmt.value.id) == 1
                and uses.get(stmt.value.id) == 1
                and defs.get(stmt.targets[0].id) == 1
            ):
                source, target = stmt.value.id, stmt.targets[0].id
                for earlier in stmts[:i]:
                    if isinstance(earlier, gast.Assign) and isinstance(earlier.targets[0], gast.Name):
                        if earlier.targets[0].id == source:
                            earlier.targets[0].id = target
                            del stmts[i]
                            defs[target] = 1
                            break
                else:
                    i += 1
                continue
            i += 1

    block(func.body)


def propagate_copies(func, protected):
    def block(stmts):
        written = [_assigned_in([stmt]) for stmt in stmts]
        reads = [_all_names(stmt) for stmt in stmts]
        for i, stmt in enumerate(stmts):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if not _is_copy(stmt, protected):
                continue
            target = stmt.targets[0].id
            source = stmt.value.id if isinstance(stmt.value, gast.Name) else stmt.value
            stops = {target, source} if isinstance(source, str) else {target}
            for j in range(i + 1, len(stmts)):
                later, later_written = stmts[j], written[j]
                is_compound = isinstance(later, (gast.If, gast.For, gast.While))
                if is_compound and stops & later_written:
                    break
                if target in _written_in_place(later):
                    # writes through the copy stay through the copy: reading the
                    # buffer under its old name too would make code whose meaning
                    # depends on aliasing (wrong once differentiated again)
                    break
                if target in reads[j]:
                    if isinstance(later, gast.AugAssign):
                        _replace_reads(later.value, target, source)
                        if _reads_name(later.target, target):
                            break
                    else:
                        _replace_reads(later, target, source)
                    reads[j] = _all_names(later)
                if stops & later_written:
                    break

    block(func.body)


def _written_in_place(stmt):
    """Names whose arrays `stmt` updates in place: ``x[i] = ...``, ``x += ...``
    (arrays), ``add_at(x, ...)``."""
    names = set()
    for node in gast.walk(stmt):
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
    return any(isinstance(s, gast.Name) and s.id == name for s in gast.walk(node))


# -- single-use temporaries -----------------------------------------------------------


def substitute_single_uses(func, protected=frozenset()):
    """``t = e`` whose only use is a later statement of the same block and the
    same source line: the use reads `e` itself (the code reads like what a
    person writes: ``h1 = np.tanh(x @ W1 + b1)``). `e` must be pure and none
    of its names written in between. Primal temporaries are put back into the
    expression they came from; adjoint ones only where the result stays
    short (no helper call nested in another, a few operations at most)."""
    defs, uses = {}, {}
    for node in gast.walk(func):
        if isinstance(node, gast.Assign):
            for target in node.targets:
                for name in n.store_names(target):
                    defs[name] = defs.get(name, 0) + 1
        elif isinstance(node, (gast.For, gast.AugAssign)):
            for name in n.store_names(node.target):
                defs[name] = defs.get(name, 0) + 2  # never substitute these
        elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            uses[node.id] = uses.get(node.id, 0) + 1

    def block(stmts):
        i = 0
        while i < len(stmts):
            stmt = stmts[i]
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    block(getattr(stmt, field))
            if _substitutable(stmt, defs, uses) and _substitute_forward(stmts, i, protected):
                del stmts[i]
                continue
            i += 1

    block(func.body)


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
    return sum(isinstance(sub, (gast.Call, gast.BinOp, gast.UnaryOp)) for sub in gast.walk(node))


def _into_shape_argument(later, name):
    """Whether `later` reads `name` only for its shape (unreduce(g, name))."""
    from .reverse import LIKE_ARGS

    for call in gast.walk(later):
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Name):
            for position in LIKE_ARGS.get(anno.get(call.func, "inject"), ()):
                if position < len(call.args) and _reads_name(call.args[position], name):
                    return True
    return False


def _readable_after(later, name, value):
    """Whether putting `value` where `later` reads `name` keeps `later` short."""
    if _size(later) + _size(value) > 5:
        return False
    if any(isinstance(sub, gast.Call) for sub in gast.walk(value)):
        for call in gast.walk(later):
            if isinstance(call, gast.Call) and any(_reads_name(arg, name) for arg in call.args):
                return False  # no helper call nested in another
    return True


def _substitute_forward(stmts, i, protected=frozenset()):
    stmt = stmts[i]
    name = stmt.targets[0].id
    reads = set(n.load_names(stmt.value))
    line = (anno.get(stmt, "lineno"), anno.get(stmt, "filename"))
    for later in stmts[i + 1:]:
        if isinstance(later, (gast.If, gast.For, gast.While, gast.Return)):
            if isinstance(later, gast.Return) and _reads_name(later, name):
                break
            return False
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
            return True
        if _writes(later) & (reads | {name}):
            return False
    return False


def _writes(stmt):
    """Names `stmt` may change: assignments, in-place updates, calls' arguments."""
    written = set(n.store_names(stmt))
    for node in gast.walk(stmt):
        if isinstance(node, gast.AugAssign):
            written |= {s.id for s in gast.walk(node.target) if isinstance(s, gast.Name)}
        elif isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript):
            written |= {s.id for s in gast.walk(node.targets[0]) if isinstance(s, gast.Name)}
    if isinstance(stmt, gast.Expr) and not _is_push(stmt):
        written |= {s.id for s in gast.walk(stmt) if isinstance(s, gast.Name)}
    return written


def _replace_load(node, name, value):
    for sub in gast.walk(node):
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
    for node in gast.walk(func):
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
    live_after = _liveness(func.body, protected)
    counts = _reads(func)

    def dead(stmt):
        live = live_after.get(id(stmt), frozenset())
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            name = stmt.targets[0].id
            if isinstance(stmt.value, gast.Name) and stmt.value.id == name:
                return True  # x = x
            if counts.get(name, 0) == 0 and isinstance(stmt.value, (gast.Constant, gast.Name)):
                return True  # a constant or a copy nobody reads, even in the primal
            return name not in protected and name not in live and _pure(stmt.value)
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            name = stmt.target.id
            return name not in protected and name not in live and _pure(stmt.value)
        return False

    def block(stmts):
        out = []
        for stmt in stmts:
            if dead(stmt):
                continue
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    kept = block(getattr(stmt, field))
                    if field == "body" and not kept:
                        kept = [gast.Pass()]
                    setattr(stmt, field, kept)
            if isinstance(stmt, gast.If) and _only_pass(stmt.body) and not stmt.orelse:
                continue
            if isinstance(stmt, gast.For) and anno.has(stmt, "primal") and _only_pass(stmt.body):
                continue
            out.append(stmt)
        return out

    func.body = block(func.body)


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
    return {sub.id for sub in gast.walk(node) if isinstance(sub, gast.Name)}


def _liveness(body, protected=frozenset()):
    """{id(stmt): names live just after it}, for any statement tree.

    Strong liveness: a removable assignment (generated name, pure value)
    makes its operands live only if its own target is, so values that only
    feed each other around a loop are dead too.
    """
    after = {}

    def block(stmts, live):
        for stmt in reversed(stmts):
            live = one(stmt, live)
        return live

    def one(stmt, live_out):
        after[id(stmt)] = after.get(id(stmt), frozenset()) | live_out
        uses, defs = _uses_defs(stmt)
        if isinstance(stmt, gast.If):
            return frozenset(uses) | block(stmt.body, live_out) | block(stmt.orelse, live_out)
        if isinstance(stmt, (gast.For, gast.While)):
            head = frozenset(live_out) | uses
            while True:
                body_in = block(stmt.body, head)
                new = frozenset(live_out) | uses | (body_in - defs)
                if new == head:
                    break
                head = new
            return head
        target = _removable_target(stmt, protected)
        if target is not None and target not in live_out:
            return live_out - defs
        return frozenset(uses) | (live_out - defs)

    block(body, frozenset())
    return after


def _removable_target(stmt, protected):
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        name, value = stmt.targets[0].id, stmt.value
    elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
        name, value = stmt.target.id, stmt.value
    else:
        return None
    if name in protected or not _pure(value):
        return None
    return name


def _only_pass(stmts):
    return all(isinstance(s, gast.Pass) for s in stmts)


def _pure(value):
    """Whether evaluating `value` has no effect besides its result: calls
    only to functions with derivative rules, NumPy ufuncs and the runtime's
    pure helpers (not `add_at`, which writes into its argument, nor a pop)."""
    from ..rules import registry
    from ..source import static_value

    for node in gast.walk(value):
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
    counts = _reads(func)

    def block(stmts):
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
                and counts.get(stmt.targets[0].id, 0) == 1
            ):
                merged = n.assign(nxt.targets[0].id, stmt.value)
                anno.copy_from(merged, stmt, keys=("lineno",))
                out.extend(pushes)
                out.append(merged)
                i += 2 + len(pushes)
                continue
            out.append(stmt)
            i += 1
        return out

    func.body = block(func.body)
