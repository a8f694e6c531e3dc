"""A-normal form: every operation's operands are names or constants.

Guarantees to later passes (on top of desugar and jumps):
  * an Assign is ``name = simple`` where `simple` is an atom (Name or
    Constant), a static reference (``np.pi``), or one operation on atoms:
    BinOp, UnaryOp, a single Compare, BoolOp of atoms, Call (function: a
    static reference, ``atom.method`` or an atom; arguments and keyword values
    atoms), Attribute of an atom, Subscript of an atom by an index of atoms
    (slices of atoms, tuples of those), Tuple/List/Dict of atoms;
    or ``name[index] = atom`` (index as above);
  * a statement never reads the name it assigns (``x = x * 2`` becomes
    ``_t0 = x * 2; x = _t0``), so "the value before" and "the value after"
    a statement are always different names;
  * an `if` test is a Name that its branches do not assign;
  * a `for` loop is ``for i in range(atoms)`` whose atoms the body does not
    assign; a `while` test is a Name computed before the loop and again at
    the end of the body (loop rotation);
  * the return value is a Name; every statement keeps its source `lineno`.
"""

import types

import gast

from .. import anno
from .. import nodes as n
from .. import naming
from ..errors import UnsupportedConstructError
from ..source import static_value, is_resolved
from .analysis import changes_in_place


class ANF:
    def __init__(self, src, namer):
        self.src = src
        self.namer = namer

    def run(self):
        tree = self.src.tree
        params = {arg.id for arg in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs}
        self.src.tree.body = _in_place_calls_apart(self.block(tree.body), params | _objects_made(tree))
        return self.src

    def block(self, stmts):
        out = []
        for stmt in stmts:
            method = getattr(self, "visit_" + type(stmt).__name__, None)
            result = method(stmt) if method else [stmt]
            out.extend(n.with_origin(result, stmt))
        return out

    def temp(self):
        return self.namer.fresh(naming.TEMP)

    # -- statements ----------------------------------------------------------

    def visit_Assign(self, stmt):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            pre, value = self.atom(stmt.value)
            pre2, base = self.atom(target.value)
            pre3, index = self.index(target.slice)
            store = gast.Subscript(value=base, slice=index, ctx=gast.Store())
            final = anno.copy_from(n.assign(store, value), stmt, keys=("augmented_item",))
            return pre + pre2 + pre3 + [final]
        pre, simple = self.simple(stmt.value)
        if target.id in n.load_names(simple):
            tmp = self.temp()
            split = n.assign(tmp, simple)
            anno.set(split, "split_for", target.id)
            final = n.assign(target.id, n.name(tmp))
            out = pre + [split, final]
        else:
            final = n.assign(target.id, simple)
            out = pre + [final]
        anno.copy_from(final, stmt, keys=("augmented", "split_for"))
        return out

    def visit_Expr(self, stmt):
        pre, simple = self.simple(stmt.value)
        if n.is_atom(simple):
            return pre
        return pre + [gast.Expr(value=simple)]

    def visit_Return(self, stmt):
        pre, value = self.atom(stmt.value if stmt.value is not None else n.const(None))
        if not isinstance(value, gast.Name):
            tmp = self.temp()
            pre.append(n.assign(tmp, value))
            value = n.name(tmp)
        return pre + [gast.Return(value=value)]

    def visit_Assert(self, stmt):
        return [stmt]

    def visit_Raise(self, stmt):
        return [stmt]

    def visit_Break(self, stmt):
        return [stmt]

    def visit_If(self, stmt):
        body = self.block(stmt.body)
        orelse = self.block(stmt.orelse)
        pre, test = self.test(stmt.test, body + orelse)
        node = n.if_(test, body, orelse)
        anno.copy_from(node, stmt)
        return pre + [node]

    def visit_For(self, stmt):
        body = self.block(stmt.body)
        assigned = _assigned(body) | {stmt.target.id}
        if anno.get(stmt, "range_like"):
            pre, atom = self.atom(stmt.iter)
            stmt.iter, stmt.body = atom, body
            return pre + [stmt]
        pre, args = [], []
        for arg in stmt.iter.args:
            more, atom = self.atom(arg)
            pre += more
            if isinstance(atom, gast.Name) and atom.id in assigned:
                tmp = self.temp()
                pre.append(n.assign(tmp, atom))
                atom = n.name(tmp)
            args.append(atom)
        if stmt.iter.keywords:
            raise UnsupportedConstructError("range() with keywords", self.src.location(stmt))
        stmt.iter = gast.Call(func=stmt.iter.func, args=args, keywords=[])
        stmt.body = body
        return pre + [stmt]

    def visit_While(self, stmt):
        body = self.block(stmt.body)
        cond = self.namer.fresh(naming.COND)
        pre, simple = self.simple(stmt.test)
        before = pre + [n.assign(cond, simple)]
        # The same test, recomputed at the end of each iteration (rotation);
        # a copy, so no node is shared between the two places
        again_pre, again = self.simple(n.copy_node(stmt.test))
        after = n.with_origin(again_pre + [n.assign(cond, again)], stmt)
        stmt.test = n.name(cond)
        stmt.body = body + after
        return before + [stmt]

    # -- expressions ---------------------------------------------------------

    def test(self, expr, branches):
        """An if-test as a Name that the branches do not assign."""
        assigned = _assigned(branches)
        if isinstance(expr, gast.Name) and expr.id not in assigned:
            return [], expr
        pre, simple = self.simple(expr)
        cond = self.namer.fresh(naming.COND)
        return pre + [n.assign(cond, simple)], n.name(cond)

    def atom(self, expr):
        """(statements, atom) computing `expr`."""
        if n.is_atom(expr) or _is_static(expr):
            return [], expr
        if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub) and _is_number(expr.operand):
            return [], n.const(-expr.operand.value)
        pre, simple = self.simple(expr)
        if n.is_atom(simple) or _is_static(simple):
            return pre, simple
        tmp = self.temp()
        return pre + [n.assign(tmp, simple)], n.name(tmp)

    def atoms(self, exprs):
        pre, out = [], []
        for expr in exprs:
            more, atom = self.atom(expr)
            pre += more
            out.append(atom)
        return pre, out

    def simple(self, expr):
        """(statements, one operation on atoms) computing `expr`."""
        method = getattr(self, "expr_" + type(expr).__name__, None)
        if method is None:
            if n.is_atom(expr) or _is_static(expr):
                return [], expr
            raise UnsupportedConstructError(
                f"expression {type(expr).__name__}", self.src.location(expr)
            )
        return method(expr)

    def expr_Name(self, expr):
        return [], expr

    def expr_Constant(self, expr):
        return [], expr

    def expr_JoinedStr(self, expr):
        return [], expr

    def expr_BinOp(self, expr):
        pre, (left, right) = self.atoms([expr.left, expr.right])
        return pre, gast.BinOp(left=left, op=expr.op, right=right)

    def expr_UnaryOp(self, expr):
        pre, operand = self.atom(expr.operand)
        if isinstance(expr.op, gast.UAdd):
            return pre, operand
        if isinstance(expr.op, gast.USub) and _is_number(operand):
            return pre, n.const(-operand.value)
        return pre, gast.UnaryOp(op=expr.op, operand=operand)

    def expr_Compare(self, expr):
        if len(expr.ops) == 1:
            pre, (left, right) = self.atoms([expr.left, expr.comparators[0]])
            return pre, gast.Compare(left=left, ops=expr.ops, comparators=[right])
        # a < b < c  ->  (a < b) and (b < c), with b evaluated once
        pre, operands = self.atoms([expr.left] + expr.comparators)
        parts = [
            gast.Compare(left=operands[i], ops=[op], comparators=[operands[i + 1]])
            for i, op in enumerate(expr.ops)
        ]
        more, simple = self.expr_BoolOp(gast.BoolOp(op=gast.And(), values=parts))
        return pre + more, simple

    def expr_BoolOp(self, expr):
        pre, first = self.atom(expr.values[0])
        rest_pre, rest = [], []
        for value in expr.values[1:]:
            more, atom = self.atom(value)
            rest_pre.append(more)
            rest.append(atom)
        if not any(rest_pre):
            return pre, gast.BoolOp(op=expr.op, values=[first] + rest)
        # Short-circuit: evaluate later operands only when needed.
        result = self.temp()
        out = pre + [n.assign(result, first)]
        for more, atom in zip(rest_pre, rest):
            cond = self.namer.fresh(naming.COND)
            test = n.name(result) if isinstance(expr.op, gast.And) else n.not_(n.name(result))
            out.append(n.assign(cond, test))
            out.append(n.if_(n.name(cond), more + [n.assign(result, atom)]))
        return out, n.name(result)

    def expr_IfExp(self, expr):
        result = self.temp()
        body_pre, body = self.atom(expr.body)
        else_pre, orelse = self.atom(expr.orelse)
        branch_body = body_pre + [n.assign(result, body)]
        branch_else = else_pre + [n.assign(result, orelse)]
        pre, test = self.test(expr.test, branch_body + branch_else)
        return pre + [n.if_(test, branch_body, branch_else)], n.name(result)

    def expr_Call(self, expr):
        pre = []
        func = expr.func
        if _is_static(func):
            pass
        elif isinstance(func, gast.Attribute):
            more, base = self.atom(func.value)
            pre += more
            func = gast.Attribute(value=base, attr=func.attr, ctx=gast.Load())
        else:
            more, func = self.atom(func)
            pre += more
        more, args = self.atoms(expr.args)
        pre += more
        keywords = []
        for kw in expr.keywords:
            if kw.arg is None:
                raise UnsupportedConstructError("**kwargs in a call", self.src.location(expr))
            more, value = self.atom(kw.value)
            pre += more
            keywords.append(gast.keyword(arg=kw.arg, value=value))
        call = gast.Call(func=func, args=args, keywords=keywords)
        anno.copy_from(call, expr)
        return pre, call

    def expr_Attribute(self, expr):
        if _is_static(expr):
            return [], expr
        pre, base = self.atom(expr.value)
        return pre, gast.Attribute(value=base, attr=expr.attr, ctx=gast.Load())

    def expr_Subscript(self, expr):
        pre, base = self.atom(expr.value)
        more, index = self.index(expr.slice)
        return pre + more, gast.Subscript(value=base, slice=index, ctx=gast.Load())

    def index(self, index):
        if isinstance(index, gast.Slice):
            pre, parts = [], []
            for part in (index.lower, index.upper, index.step):
                if part is None:
                    parts.append(None)
                else:
                    more, atom = self.atom(part)
                    pre += more
                    parts.append(atom)
            return pre, gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(index, gast.Tuple):
            pre, elts = [], []
            for elt in index.elts:
                more, part = self.index(elt)
                pre += more
                elts.append(part)
            return pre, gast.Tuple(elts=elts, ctx=gast.Load())
        return self.atom(index)

    def expr_Tuple(self, expr):
        pre, elts = self.atoms(expr.elts)
        return pre, gast.Tuple(elts=elts, ctx=gast.Load())

    def expr_List(self, expr):
        pre, elts = self.atoms(expr.elts)
        return pre, gast.List(elts=elts, ctx=gast.Load())

    def expr_Dict(self, expr):
        if any(key is None for key in expr.keys):
            raise UnsupportedConstructError("**mapping in a dict display", self.src.location(expr))
        pre, keys = self.atoms(expr.keys)
        more, values = self.atoms(expr.values)
        return pre + more, gast.Dict(keys=keys, values=values)


def _is_number(node):
    return (
        isinstance(node, gast.Constant)
        and isinstance(node.value, (int, float, complex))
        and not isinstance(node.value, bool)
    )


def _is_static(node):
    """A module attribute such as np.pi or np.newaxis, resolved at parse time."""
    return isinstance(node, gast.Attribute) and is_resolved(static_value(node))


def _assigned(stmts):
    names = set()
    for stmt in stmts:
        for node in n.walk(stmt):
            if isinstance(node, (gast.Assign, gast.For)):
                targets = node.targets if isinstance(node, gast.Assign) else [node.target]
                for target in targets:
                    names.update(n.store_names(target))
    return names


def _in_place_calls_apart(stmts, params):
    """``_t = y.sort()`` (the None of a call that changes `y` in place, kept:
    ``print(y.sort())``, ``_ = np.copyto(y, v)``) becomes ``y.sort(); _t =
    None``: every later pass sees the change where it sees a call whose
    result is discarded."""
    out = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            if getattr(stmt, field, None):
                setattr(stmt, field, _in_place_calls_apart(getattr(stmt, field), params))
        if (
            isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and changes_in_place(stmt.value) and not _may_be_users_method(stmt.value, params)
        ):
            none = n.assign(stmt.targets[0].id, n.const(None))
            out.extend(n.with_origin([n.expr_stmt(stmt.value), none], stmt))
        else:
            out.append(stmt)
    return out


def _objects_made(func):
    """Names bound to an instance of a class of the user's (``t = Tracker()``)."""
    from ..source import is_library

    made = set()
    for node in n.walk(func):
        if isinstance(node, gast.Assign) and isinstance(node.value, gast.Call):
            cls = static_value(node.value.func)
            if isinstance(cls, type) and not is_library(cls.__module__ or ""):
                made |= {target.id for target in node.targets if isinstance(target, gast.Name)}
    return made


def _may_be_users_method(call, params):
    """Whether ``obj.sort()`` may call a method of the user's, which may
    return a value: `obj` a parameter (an object whose class a call shows,
    its methods inlined), an instance the function made of a class of the
    user's (in `params` too), or bound in the module to something other than
    a NumPy array, a list or a dict."""
    func = call.func
    if not (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name)):
        return False
    if func.value.id in params:
        return True
    value = static_value(func.value)
    if not is_resolved(value) or isinstance(value, types.ModuleType):
        return False
    import numpy

    return not isinstance(value, (numpy.ndarray, numpy.random.Generator, list, dict))


def anf(src, namer):
    return ANF(src, namer).run()
