"""Local simplifications of expressions, one statement at a time.

* constant folding: arithmetic on numeric constants, ``x ** 1`` -> ``x``, and
  (in generated statements only) ``-(-a)``, ``a + 0``, ``a * 1``, negations
  turned into subtractions, ``x ** 2`` into ``x * x``;
* helper calls lose trailing arguments equal to the helper's defaults
  (``unreduce(g, x, None, False)`` -> ``unreduce(g, x)``).

Each pass tells `facts` when it changed the tree.
"""

import inspect
import math
import operator

import gast
import numpy

from .. import anno
from .. import nodes as n
from .. import helpers, runtime
from ..source import static_value

_FOLD = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.Pow: operator.pow,
}
_FAILS = object()  # arithmetic on constants that raises


class _Fold:
    """Arithmetic on constants; with `identities`, also x ** 1, 1 * x, x * 1,
    x / 1, -(-x) -- only in generated statements, since in the user's code
    `y = x * 1.0` makes a copy that may later be written in place. ``1.0 * x``
    and ``x + 0.0`` drop the constant only when `x` is surely inexact (names
    in `inexact`: adjoints and tangents), since for a boolean or integer `x`
    they make floats (``1.0 * (x > 0)``: a mask added into an adjoint).

    `visit` rewrites bottom-up and returns the node to use; `changed` says
    whether anything was rewritten."""

    def __init__(self, identities, inexact=frozenset()):
        self.identities = identities
        self.inexact = inexact
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
        for side in ("left", "right"):
            operand = getattr(node, side)
            if _is_copy_call(operand):
                # arithmetic makes a new array anyway: `copy(a) - b` is `a - b`
                setattr(node, side, operand.args[0])
                self.changed = True
        out = _arithmetic(node)
        if out is _FAILS:
            return node
        if out is node and self.identities:
            out = _identity(node, self.inexact)
        if out is not node:
            self.changed = True
        return node if out is None else out

    def fold_Call(self, node):
        func = node.func
        if (
            self.identities and static_value(func) is numpy.float_power and len(node.args) == 2
            and _unguarded(node.args[1], node.args[0]) is not None
        ):
            node.args[1] = _unguarded(node.args[1], node.args[0])
            self.changed = True
        if _is_copy_call(node) and isinstance(node.args[0], (gast.BinOp, gast.UnaryOp)):
            self.changed = True
            return node.args[0]  # a copy of a new array
        if self.identities:
            folded = _call_on_constants(node)
            if folded is not None:
                self.changed = True
                return folded
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
        if isinstance(node.op, gast.USub) and n.is_number(node.operand):
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


# functions of numbers whose value at constants is folded when it is a whole
# number (``math.log(math.e)`` from the log rule's default base is 1.0);
# otherwise the call reads better than its digits (``math.log(2.0)``)
_PURE = (math.log, math.log2, math.log10, math.exp, math.sqrt)


def _call_on_constants(node):
    """A call that folds: `either(a, None)` -> `a` (a rule's optional bound),
    or a function of `_PURE` on numbers whose value is a whole number."""
    if node.keywords or not node.args or not isinstance(node.func, (gast.Name, gast.Attribute)):
        return None
    if not all(isinstance(arg, gast.Constant) for arg in node.args[-1:]):
        return None  # (every folding call ends with a constant: look no further)
    callee = static_value(node.func)
    if callee is helpers.either and len(node.args) == 2:
        first, second = node.args
        if isinstance(second, gast.Constant) and second.value is None:
            return first
        if isinstance(first, gast.Constant) and first.value is None:
            return second
        return None
    if callee in _PURE or callee is helpers.positive_log:
        if not node.args or not all(n.is_number(arg) for arg in node.args):
            return None
        try:
            value = callee(*(arg.value for arg in node.args))
        except (ArithmeticError, ValueError):
            return None
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return n.const(value)
    return None


def _arithmetic(node):
    """BinOp `node` on two numbers as one number; `node` itself when its
    operands are not two numbers or the result is huge; `_FAILS` when
    computing it fails (``1 / 0``: left for run time to report)."""
    fold = _FOLD.get(type(node.op))
    if fold and n.is_number(node.left) and n.is_number(node.right):
        try:
            value = fold(node.left.value, node.right.value)
        except (ArithmeticError, ValueError, OverflowError):
            return _FAILS
        if isinstance(value, (int, float)) and abs(value) < 1e15:
            return n.const(value)
    return node


def _identity(node, inexact):
    """BinOp `node` simplified: another node, `node` itself (unchanged), or
    None (`node` changed in place). `inexact`: names surely holding floats."""
    op = type(node.op)
    if op is gast.Pow and _unguarded(node.right, node.left) is not None:
        node.right = _unguarded(node.right, node.left)
        folded = _identity(node, inexact)
        return None if folded is node else folded
    if op is gast.Pow and _is_one(node.right):
        return node.left
    small_power = n.is_number(node.right) and node.right.value in (2, 3)
    if op is gast.Pow and isinstance(node.left, gast.Name) and small_power:
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
    if op in (gast.Add, gast.Sub) and _is_zero(node.right) and _surely_inexact(node.left, inexact):
        return node.left  # x - 0.0 -> x
    if op is gast.Add and _is_zero(node.left) and _surely_inexact(node.right, inexact):
        return node.right
    if (
        op in (gast.Mult, gast.Div)
        and n.is_number(node.right)
        and isinstance(node.left, gast.UnaryOp)
        and isinstance(node.left.op, gast.USub)
    ):
        node.left = node.left.operand  # (-a) * 2 -> a * -2: one pass, not two
        node.right = n.const(-node.right.value)
        return None
    if op is gast.Mult and _is_one(node.left) and _surely_inexact(node.right, inexact):
        return node.right
    if op in (gast.Mult, gast.Div) and _is_one(node.right) and _surely_inexact(node.left, inexact):
        return node.left
    if op is gast.Mult and n.is_number(node.right) and isinstance(node.left, gast.BinOp):
        return _merge_factors(node, inexact)
    return node


def _surely_inexact(node, inexact):
    """Whether `node` surely gives floats (or complex numbers), never bools
    or integers: a float constant, a name in `inexact`, a quotient, an
    operation on something inexact (an item or view of it too), or a NumPy
    ufunc with no integer result (``np.cos(x)``)."""
    if isinstance(node, gast.Constant):
        return isinstance(node.value, (float, complex))
    if isinstance(node, gast.Name):
        return node.id in inexact
    if isinstance(node, gast.BinOp):
        if isinstance(node.op, gast.Div):
            return True
        return _surely_inexact(node.left, inexact) or _surely_inexact(node.right, inexact)
    if isinstance(node, gast.UnaryOp):
        return _surely_inexact(node.operand, inexact)
    if isinstance(node, (gast.Subscript, gast.Attribute)):  # x[1], x.T of float arrays
        return _surely_inexact(node.value, inexact)
    if isinstance(node, gast.Call):
        fn = static_value(node.func)
        if _inexact_ufunc(fn):
            return True
        if _gives_integers(fn, node):  # math.floor(x), round(x), int(x) of a float x
            return False
        return any(_surely_inexact(arg, inexact) for arg in node.args)
    return False


_INTEGER_RESULTS = {
    math.floor, math.ceil, math.trunc, math.factorial, math.isqrt, math.gcd, math.comb, math.perm,
    int, len, bool,
}


def _gives_integers(fn, call):
    """Whether calling `fn` gives an integer whatever its arguments."""
    if fn is round:
        return len(call.args) < 2 and not call.keywords  # round(x) is an int; round(x, 2) not
    try:
        return fn in _INTEGER_RESULTS
    except TypeError:  # (an unhashable object)
        return False


def _inexact_ufunc(fn):
    import numpy

    if not isinstance(fn, numpy.ufunc):
        return False
    return all(signature.split("->")[1] in "efdgFDGO" for signature in fn.types)


def _merge_factors(node, inexact):
    """``c1 * x * c2`` -> ``(c1 * c2) * x`` (and ``x * c1 * c2`` -> ``x * (c1 *
    c2)``) when c1 or c2 is a power of two: scaling by a power of two is
    exact, so the value is the same to the last bit (``0.5 * w * 2`` is
    ``w``; barring overflow and subnormals)."""
    inner, c2 = node.left, node.right.value
    if not isinstance(inner.op, gast.Mult):
        return node
    for side in ("left", "right"):
        c1 = getattr(inner, side)
        if n.is_number(c1) and (_power_of_two(c1.value) or _power_of_two(c2)):
            merged = _arithmetic(gast.BinOp(left=n.const(c1.value), op=gast.Mult(), right=n.const(c2)))
            if merged is _FAILS or not n.is_number(merged):
                return node
            setattr(inner, side, merged)
            return _identity(inner, inexact) if _is_one(merged) else inner
    return node


def _power_of_two(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value == 0:
        return False
    return abs(math.frexp(value)[0]) == 0.5


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


def _unguarded(exponent, base):
    """``k`` for the exponent ``k + (base == 0) * 0`` of a power of `base`:
    the power rule's guard ``(x1 == 0) * 0 ** (x2 * x2)`` at a constant
    exponent k - 1 != -1 (the power has `base`'s shape either way); else None."""
    if not (
        isinstance(exponent, gast.BinOp) and isinstance(exponent.op, gast.Add)
        and n.is_number(exponent.left) and isinstance(exponent.right, gast.BinOp)
        and isinstance(exponent.right.op, gast.Mult) and _is_zero(exponent.right.right)
    ):
        return None
    test = exponent.right.left
    if not (
        isinstance(test, gast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], gast.Eq)
        and gast.dump(test.left) == gast.dump(base) and _is_zero(test.comparators[0])
    ):
        return None
    return exponent.left


def _is_zero(node):
    return n.is_number(node) and node.value == 0


def _is_one(node):
    return n.is_number(node) and node.value == 1


def _generated_target(stmt, protected):
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else getattr(stmt, "target", None)
    if isinstance(target, gast.Subscript):
        target = target.value
    return isinstance(target, gast.Name) and target.id not in protected


def fold_constants(func, facts, protected=frozenset(), inexact=frozenset(), scalars=frozenset()):
    """Fold every simple statement; `scalars` hold numbers (never written
    in place: a fold to one of them needs no copy)."""
    for stmt in _simple_statements(func.body):
        folder = _Fold(_generated_target(stmt, protected), inexact)
        before = stmt.value if isinstance(stmt, gast.Assign) else None
        folder.visit(stmt)
        if not folder.changed:
            continue
        number = isinstance(stmt.value, gast.Name) and stmt.value.id in scalars
        if before is not None and _may_alias(stmt.value) and not _may_alias(before) and not number:
            # `d_w = 0.5 * w * 2` folded to `d_w = w`: if d_w (or a copy of
            # it, `d_b = d_w`) is then updated in place (`d_b += g`), that
            # would write into w; if it is returned, the caller's gradient
            # would be its own array w (or a primal value). Keep a copy.
            # read afresh: this fold and the ones before it made new aliases
            # (reported first, so the aliases read include this one's)
            facts.changed(stmt)
            uses = _AliasUses(func, facts)
            if uses.unsafe(n.store_names(stmt.targets[0]), _base_name(stmt.value) in protected, stmt):
                stmt.value = _copy_of(stmt.value)
        facts.changed(stmt)


class _AliasUses:
    """Where names are updated in place or returned, statement by statement
    in program order, and which names may share an array (`Aliases`)."""

    def __init__(self, func, facts):
        self.order = []  # (statement, names updated in place, names returned, enclosing loops)
        for stmt, loops in _statements_with_loops(func.body, ()):
            returned = set()
            if isinstance(stmt, gast.Return) and stmt.value is not None:
                returned = set(n.load_names(stmt.value))
            self.order.append((stmt, facts.statement(stmt).in_place, returned, loops))
        self.aliases = facts.aliases()

    def unsafe(self, names, primal, stmt):
        """Whether a value that `stmt` binds to `names` reaches, under any
        name that may share it (``d_b = d_w``, ``d_v = d_w[1:]``), an in-place
        update, or a return when it is a `primal` array, in a statement that
        may run after `stmt`: a later one, or any in a loop around it."""
        reached = set(names) | self.aliases.views(names)
        position = next(i for i, entry in enumerate(self.order) if entry[0] is stmt)
        loops = {id(loop) for loop in self.order[position][3]}
        for index, (_, updated, returned, around) in enumerate(self.order):
            if index > position or any(id(loop) in loops for loop in around):
                if reached & updated or (primal and reached & returned):
                    return True
        return False


def _statements_with_loops(stmts, loops):
    """The simple statements of `stmts` in program order, each with the
    loops it is in."""
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While)):
            yield from _statements_with_loops(stmt.body, loops + (stmt,))
            yield from _statements_with_loops(stmt.orelse, loops)
        elif isinstance(stmt, gast.If):
            yield from _statements_with_loops(stmt.body, loops)
            yield from _statements_with_loops(stmt.orelse, loops)
        else:
            yield stmt, loops


def _base_name(value):
    """`x` of ``x``, ``x[i]``, ``x.T``, else None."""
    while isinstance(value, (gast.Attribute, gast.Subscript)):
        value = value.value
    return value.id if isinstance(value, gast.Name) else None


def _may_alias(value):
    """Whether `value` may be (a view of) an existing array, not a new one."""
    return isinstance(value, (gast.Name, gast.Attribute, gast.Subscript))


def _is_copy_call(node):
    """A call ``copy(a)`` of the runtime's copy, with one argument."""
    return (
        isinstance(node, gast.Call)
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.func, gast.Name)
        and node.func.id.startswith("copy")  # (cheap first: the runtime's is injected as copy)
        and static_value(node.func) is runtime.copy
    )


def _copy_of(value):
    helper = n.name("copy")
    anno.set(helper, "inject", runtime.copy)
    return n.call(helper, value)


def _simple_statements(stmts):
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _simple_statements(stmt.body)
            yield from _simple_statements(stmt.orelse)
        else:
            yield stmt


# -- default arguments of helpers ---------------------------------------------


def trim_default_arguments(func, facts):
    signatures = {}  # id(helper) -> its parameters
    for stmt, part in _parts(func):
        if _trim_calls(part, signatures):
            facts.changed(stmt)


def _trim_calls(node, signatures):
    """Trim the helper calls in `node`; returns whether any changed."""
    changed = False
    for call in n.walk(node):
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name)):
            continue
        helper = anno.get(call.func, "inject")
        if helper is None or not callable(helper):
            continue
        if id(helper) not in signatures:
            signatures[id(helper)] = _parameters(helper)
        params = signatures[id(helper)]
        if params is None:
            continue
        while call.args and len(call.args) <= len(params):
            param = params[len(call.args) - 1]
            last = call.args[-1]
            if (
                param.default is not inspect.Parameter.empty
                and isinstance(last, gast.Constant)
                and last.value is param.default
            ):
                call.args.pop()
                changed = True
            else:
                break
    return changed


def _parts(func):
    """(statement, node) pairs that cover `func` once: each simple statement
    whole, the header of each ``if``, loop, and (None, ...) the function's
    own parts."""
    yield None, func.args
    for node in func.decorator_list + [func.returns]:
        if node is not None:
            yield None, node
    yield from _statement_parts(func.body)


def _statement_parts(stmts):
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.While)):
            yield stmt, stmt.test
        elif isinstance(stmt, gast.For):
            yield stmt, stmt.target
            yield stmt, stmt.iter
        else:
            yield stmt, stmt
            continue
        yield from _statement_parts(stmt.body)
        yield from _statement_parts(stmt.orelse)


def _parameters(helper):
    """The parameters of `helper`, or None when it has no signature."""
    try:
        return list(inspect.signature(helper).parameters.values())
    except (TypeError, ValueError):
        return None
