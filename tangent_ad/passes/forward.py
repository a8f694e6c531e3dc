"""Forward mode: tangent statements interleaved with the primal ones.

Each primal statement is followed by its tangent, from the tangent template
of the function it calls: ``y = np.sin(x)`` then ``t_y = t_x * np.cos(x)``.
Forward mode needs no stack: the tangent of a value is computed while the
value is live. Tangents carry a static state like adjoints in reverse mode --
ZERO (no tangent: the value does not depend on the inputs; terms that
multiply it vanish), LIVE, or OWNED (may be updated in place) -- and branches
and loops are joined the same way.

Generated reverse-mode code is ordinary Python, so this pass also
differentiates it: ``_stack.push(v)`` pushes ``t_v`` after ``v`` and a pop
takes them back in the opposite order. Forward over reverse is how
Hessian-vector products are made.
"""

import gast

from .. import anno
from .. import nodes as n
from .. import naming
from .. import runtime
from ..errors import MissingRuleError, UnsupportedConstructError
from ..rules import registry
from ..source import describe
from ..template import Accumulate
from .reverse import ZERO, LIVE, OWNED, _helper_call, _index_expr, _is_marker, _state_join

_ZERO_MARK = "__tangent_zero__"


def _zero():
    node = n.name(_ZERO_MARK)
    anno.set(node, "zero", True)
    return node


def _is_zero(node):
    return isinstance(node, gast.Name) and anno.get(node, "zero", False)


class Forward:
    def __init__(self, src, namer, varied, scalars):
        self.src = src
        self.func = src.tree
        self.namer = namer
        self.varied = varied
        self.scalars = scalars

    def tangent(self, name):
        return self.namer.tangent(name)

    # -- driver --------------------------------------------------------------

    def block(self, stmts, state):
        out = []
        for stmt in stmts:
            out.extend(self.stmt(stmt, state))
        return out

    def stmt(self, stmt, state):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                code = [stmt] + self.setitem(stmt, state)
            elif _is_pop(stmt.value):
                code = self.pop(stmt, state)
            else:
                code = [stmt] + self.assign(stmt, state)
        elif isinstance(stmt, gast.If):
            code = self.if_(stmt, state)
        elif isinstance(stmt, (gast.For, gast.While)):
            code = self.loop(stmt, state)
        elif isinstance(stmt, gast.Expr):
            code = self.expr(stmt, state)
        else:
            code = [stmt]
        return n.with_origin(code, stmt)

    # -- assignments ---------------------------------------------------------

    def assign(self, stmt, state):
        target = stmt.targets[0].id
        if target not in self.varied:
            state.pop(target, None)
            return []
        value = self.tangent_of(stmt, target, stmt.value, state)
        if value is None or _is_zero(value):
            state.pop(target, None)
            return []
        state[target] = OWNED if _fresh(value) else LIVE
        return [n.assign(self.tangent(target), value)]

    def tangent_of(self, stmt, target, value, state):
        """The tangent expression of `target = value`, or a zero marker."""
        if isinstance(value, gast.Name):
            return self.tangent_atom(value, state)
        if isinstance(value, gast.Constant):
            return _zero()
        if isinstance(value, gast.Subscript):
            base = self.tangent_atom(value.value, state)
            if _is_zero(base):
                return base
            return gast.Subscript(value=base, slice=n.copy_node(value.slice), ctx=gast.Load())
        if isinstance(value, (gast.Tuple, gast.List)):
            elts = [self.materialized(elt, state) for elt in value.elts]
            if all(_is_zero(e) for e in elts):
                return _zero()
            return type(value)(elts=[self._zeros_for(a) if _is_zero(e) else e for a, e in zip(value.elts, elts)], ctx=gast.Load())
        if isinstance(value, gast.Dict):
            values = [self.materialized(v, state) for v in value.values]
            if all(_is_zero(v) for v in values):
                return _zero()
            return gast.Dict(keys=[n.copy_node(k) for k in value.keys],
                             values=[self._zeros_for(a) if _is_zero(v) else v for a, v in zip(value.values, values)])
        if isinstance(value, gast.BinOp):
            return self.apply_rule(stmt, registry.binop_key(value.op), target, [value.left, value.right], {}, state)
        if isinstance(value, gast.UnaryOp):
            return self.apply_rule(stmt, registry.unaryop_key(value.op), target, [value.operand], {}, state)
        if isinstance(value, gast.Attribute):
            key = ("attr", value.attr)
            if key in registry.NONDIFFERENTIABLE:
                return _zero()
            if isinstance(value.value, gast.Name) and value.value.id in getattr(self, "objects", ()):
                base = self.tangent_atom(value.value, state)
                if _is_zero(base):
                    return base
                return gast.Subscript(value=base, slice=n.const(value.attr), ctx=gast.Load())
            return self.apply_rule(stmt, key, target, [value.value], {}, state)
        if isinstance(value, gast.Call):
            key = registry.call_key(value)
            args = list(value.args)
            if isinstance(key, tuple) and key[0] == "method":
                args = [value.func.value] + args
            keywords = {kw.arg: kw.value for kw in value.keywords}
            return self.apply_rule(stmt, key, target, args, keywords, state, call=value)
        if isinstance(value, (gast.Compare, gast.BoolOp, gast.JoinedStr)):
            if isinstance(value, gast.BoolOp) and any(
                isinstance(v, gast.Name) and v.id in self.varied for v in value.values
            ):
                raise UnsupportedConstructError(
                    "and/or on differentiated values", self.src.location(stmt), "use np.where or if"
                )
            return _zero()
        raise UnsupportedConstructError(
            f"expression {type(value).__name__} in forward mode", self.src.location(stmt)
        )

    def tangent_atom(self, atom, state):
        if isinstance(atom, gast.Name) and atom.id in self.varied and state.get(atom.id, ZERO) != ZERO:
            return n.name(self.tangent(atom.id))
        return _zero()

    def materialized(self, atom, state):
        return self.tangent_atom(atom, state)

    def _zeros_for(self, atom):
        if isinstance(atom, gast.Constant) or (isinstance(atom, gast.Name) and atom.id in self.scalars):
            return n.const(0.0)
        return _helper_call(runtime.zeros_like, n.copy_node(atom))

    def apply_rule(self, stmt, key, target, args, keywords, state, call=None):
        if key in registry.NONDIFFERENTIABLE:
            return _zero()
        inputs = [a for a in list(args) + list(keywords.values()) if isinstance(a, gast.AST)]
        if not any(isinstance(a, gast.Name) and a.id in self.varied and state.get(a.id, ZERO) != ZERO for a in _atoms(inputs)):
            return _zero()
        template = registry.TANGENTS.get(key) if key is not None else None
        if template is None:
            raise MissingRuleError(
                f"call to {_callee_name(key)} without a forward-mode (tangent) rule",
                self.src.location(stmt),
                "register one with @ta.tangent(fn) (see docs/custom-rules.md)",
            )
        bindings = template.bind(args, keywords)
        expanded = template.expand(bindings, n.name(target), lambda: self.namer.fresh(naming.TEMP))
        result = None
        pre = []
        for item in expanded:
            if isinstance(item, Accumulate):
                result = self._substitute(item.value, state)
            else:
                pre.append(self._substitute(item, state))
        if pre:
            raise UnsupportedConstructError(
                f"tangent rule of {_callee_name(key)} with statements", self.src.location(stmt)
            )
        return _simplify(result, self)

    def _substitute(self, node, state):
        def replace(sub):
            if _is_marker(sub):
                return self.tangent_atom(anno.get(sub, "adjoint_of"), state)
            return sub

        class _Replace(gast.NodeTransformer):
            def visit_Name(self, sub):
                return replace(sub)

        return _Replace().visit(node)

    # -- index assignment ------------------------------------------------------

    def setitem(self, stmt, state):
        target = stmt.targets[0]
        base = target.value.id
        value = stmt.value
        if base not in self.varied:
            return []
        t_value = self.tangent_atom(value, state)
        current = state.get(base, ZERO)
        if current == ZERO and _is_zero(t_value):
            return []
        t_base = self.tangent(base)
        code = []
        if current == ZERO:
            code.append(n.assign(t_base, _helper_call(runtime.zeros_like, n.name(base))))
        elif current == LIVE:
            code.append(n.assign(t_base, _helper_call(runtime.copy, n.name(t_base))))
        state[base] = OWNED
        store = gast.Subscript(value=n.name(t_base), slice=n.copy_node(target.slice), ctx=gast.Store())
        code.append(n.assign(store, n.const(0.0) if _is_zero(t_value) else t_value))
        return code

    # -- statements with effects -------------------------------------------------

    def expr(self, stmt, state):
        call = stmt.value
        if _is_push(call):
            (value,) = call.args
            tangent = self.tangent_atom(value, state) if isinstance(value, gast.Name) else _zero()
            if _is_zero(tangent):
                tangent = n.const(0.0)
            push = gast.Expr(value=n.call(n.copy_node(call.func), tangent))
            return [stmt, push]
        if isinstance(call, gast.Call) and _is_helper(call, runtime.add_at):
            acc, index, g = call.args
            t_g = self.tangent_atom(g, state)
            if _is_zero(t_g):
                return [stmt]
            t_acc = self.tangent(acc.id)
            code = [stmt]
            if state.get(acc.id, ZERO) == ZERO:
                code.append(n.assign(t_acc, _helper_call(runtime.zeros_like, n.copy_node(acc))))
            elif state.get(acc.id) == LIVE:
                code.append(n.assign(t_acc, _helper_call(runtime.copy, n.name(t_acc))))
            state[acc.id] = OWNED
            code.append(gast.Expr(value=_helper_call(runtime.add_at, n.name(t_acc), n.copy_node(index), t_g)))
            return code
        if isinstance(call, gast.Call) and registry.call_key(call) in registry.NONDIFFERENTIABLE:
            return [stmt]
        if any(name in self.varied for name in n.load_names(call)):
            raise UnsupportedConstructError(
                "a call whose result is discarded, on differentiated values",
                self.src.location(stmt),
                "assign the result to a name",
            )
        return [stmt]

    def pop(self, stmt, state):
        target = stmt.targets[0].id
        stack = stmt.value.func.value
        t_target = self.tangent(target)
        pop_tangent = n.assign(t_target, n.call(gast.Attribute(value=n.copy_node(stack), attr="pop", ctx=gast.Load())))
        if target in self.varied:
            state[target] = LIVE
            return [pop_tangent, stmt]
        state.pop(target, None)
        discard = gast.Expr(value=n.call(gast.Attribute(value=n.copy_node(stack), attr="pop", ctx=gast.Load())))
        return [discard, stmt]

    # -- control flow --------------------------------------------------------------

    def if_(self, stmt, state):
        then_state, else_state = dict(state), dict(state)
        body = self.block(stmt.body, then_state)
        orelse = self.block(stmt.orelse, else_state)
        joined = _state_join(then_state, else_state)
        body += self._materialize(then_state, joined)
        orelse += self._materialize(else_state, joined)
        state.clear()
        state.update(joined)
        node = n.if_(stmt.test, body or [gast.Pass()], orelse)
        anno.copy_from(node, stmt)
        return [node]

    def _materialize(self, have, want):
        code = []
        for name in sorted(want):
            if have.get(name, ZERO) == ZERO:
                code.append(n.assign(self.tangent(name), self._zeros_for(n.name(name))))
        return code

    def loop(self, stmt, state):
        entry = dict(state)
        head = dict(state)
        for _ in range(20):
            end = dict(head)
            self.block(stmt.body, end)
            new = _state_join(head, end)
            new = {k: (LIVE if end.get(k, ZERO) == LIVE or head.get(k) == LIVE else OWNED) for k in new}
            if new == head:
                break
            head = new
        defined = getattr(self, "defined", {}).get(id(stmt))
        if defined is not None:
            # names first bound inside the loop get their tangent there
            entry = {k: v for k, v in entry.items()}
            for name in list(head):
                if name not in defined and entry.get(name, ZERO) == ZERO:
                    entry[name] = head[name]
        before = self._materialize(entry, head)
        for name in sorted(head):
            if head[name] == OWNED and entry.get(name) == LIVE:
                t = self.tangent(name)
                before.append(n.assign(t, _helper_call(runtime.copy, n.name(t))))
        body_state = dict(head)
        body = self.block(stmt.body, body_state)
        body += self._materialize(body_state, head)
        for name in sorted(head):
            if head[name] == OWNED and body_state.get(name) == LIVE:
                t = self.tangent(name)
                body.append(n.assign(t, _helper_call(runtime.copy, n.name(t))))
        state.clear()
        state.update(head)
        if isinstance(stmt, gast.For):
            node = gast.For(target=stmt.target, iter=stmt.iter, body=body, orelse=[], type_comment=None)
        else:
            node = gast.While(test=stmt.test, body=body, orelse=[])
        anno.copy_from(node, stmt)
        return before + [node]


# -- zero simplification ---------------------------------------------------------


def _simplify(node, fwd):
    """Fold zero markers: 0*e -> 0, e+0 -> e, linear(0) -> 0; materialise the rest."""
    if _is_zero(node):
        return node
    if isinstance(node, gast.BinOp):
        left = _simplify(node.left, fwd)
        right = _simplify(node.right, fwd)
        op = type(node.op)
        lz, rz = _is_zero(left), _is_zero(right)
        if op in (gast.Mult, gast.MatMult):
            if lz or rz:
                return _zero()
        elif op is gast.Div:
            if lz:
                return _zero()
        elif op is gast.Add:
            if lz:
                return right
            if rz:
                return left
        elif op is gast.Sub:
            if rz:
                return left
            if lz:
                return _zero() if rz else gast.UnaryOp(op=gast.USub(), operand=right)
        node.left = _materialize_zero(left)
        node.right = _materialize_zero(right)
        return node
    if isinstance(node, gast.UnaryOp):
        operand = _simplify(node.operand, fwd)
        if _is_zero(operand) and isinstance(node.op, (gast.USub, gast.UAdd)):
            return operand
        node.operand = _materialize_zero(operand)
        return node
    if isinstance(node, gast.Call):
        args = [_simplify(a, fwd) for a in node.args]
        func = registry.call_key(node)
        positions = registry.LINEAR.get(func, ()) if func is not None else ()
        if any(p < len(args) and _is_zero(args[p]) for p in positions):
            return _zero()
        node.args = [_materialize_zero(a) for a in args]
        for kw in node.keywords:
            kw.value = _materialize_zero(_simplify(kw.value, fwd))
        return node
    if isinstance(node, gast.Subscript):
        value = _simplify(node.value, fwd)
        if _is_zero(value):
            return value
        node.value = value
        return node
    if isinstance(node, gast.Attribute):
        value = _simplify(node.value, fwd)
        if _is_zero(value):
            return value
        node.value = value
        return node
    for field, value in gast.iter_fields(node):
        if isinstance(value, gast.AST):
            setattr(node, field, _materialize_zero(_simplify(value, fwd)))
        elif isinstance(value, list):
            setattr(node, field, [_materialize_zero(_simplify(v, fwd)) if isinstance(v, gast.AST) else v for v in value])
    return node


def _materialize_zero(node):
    return n.const(0.0) if _is_zero(node) else node


# -- helpers -------------------------------------------------------------------------


def _atoms(nodes):
    for node in nodes:
        if isinstance(node, (gast.Tuple, gast.List)):
            yield from _atoms(node.elts)
        elif isinstance(node, gast.Dict):
            yield from _atoms(node.values)
        else:
            yield node


def _fresh(value):
    return isinstance(value, (gast.BinOp, gast.UnaryOp))


def _is_push(call):
    return (
        isinstance(call, gast.Call)
        and isinstance(call.func, gast.Attribute)
        and call.func.attr == "push"
        and isinstance(call.func.value, gast.Name)
        and call.func.value.id == naming.STACK
        and len(call.args) == 1
    )


def _is_pop(value):
    return (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Attribute)
        and value.func.attr == "pop"
        and isinstance(value.func.value, gast.Name)
        and value.func.value.id == naming.STACK
        and not value.args
    )


def _is_helper(call, helper):
    from ..source import static_value

    return static_value(call.func) is helper


def _callee_name(key):
    if isinstance(key, tuple):
        return f"the {key[0]} .{key[1]}"
    if key is None:
        return "a function only known at run time"
    return describe(key)
