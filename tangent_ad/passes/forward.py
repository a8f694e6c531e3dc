"""Forward mode: tangent statements interleaved with the primal ones.

Each primal statement is followed by its tangent, from the tangent template
of the function it calls: ``y = np.sin(x)`` then ``t_y = t_x * np.cos(x)``.
Forward mode needs no stack: the tangent of a value is computed while the
value is live. Only values that depend on the `wrt` arguments and that the
output depends on (activity, as in reverse mode) get tangents.

Tangents carry a static state like adjoints in reverse mode -- ZERO (no
tangent: terms that multiply it vanish, see `tangent_algebra`), LIVE (may
share memory: copied before an in-place write), or OWNED (made here: may be
updated in place) -- and branches and loops are joined the same way; a name
a path leaves unbound gets no zero tangent on it.

A rule's tangent is one expression ``d[y] = ...`` (after the template's own
temporaries); a function without one but declared ``linear(fn, positions)``
gets the sum of the call with each such argument replaced by its tangent.
An elementwise rule's tangent that leaves out an operand that may broadcast
is given the result's shape by `broadcast_like`.

Generated reverse-mode code is ordinary Python, so this pass also
differentiates it: ``_stack.push(v)`` pushes ``t_v`` after ``v``, a pop takes
them back in the opposite order, and ``add_at(acc, i, g)`` (an in-place
update) adds ``t_g`` into ``t_acc``. Forward over reverse is how
Hessian-vector products are made.
"""

import gast

from .. import anno
from .. import nodes as n
from .. import naming
from .. import helpers, runtime, tangent_helpers
from ..errors import MissingRuleError, UnsupportedConstructError
from ..rules import registry
from ..source import describe
from ..template import Accumulate
from . import analysis
from .aliases import Aliases, surely_new, viewable_names
from .dataflow import all_statements, defined_names
from .reverse import (
    LIKE_ARGS, ZERO, LIVE, OWNED, _helper_call, _is_marker, _may_index_zero_d, _state_join,
)
from .tangent_algebra import (
    drop_default_keywords, is_zero, mark_defaults, materialize_zero, simplify, zero,
)

_PRE = "tangent_statements"  # on a rule's tangent: the template's temporaries, to emit first


class Forward:
    def __init__(self, src, namer, varied, scalars, integers=frozenset()):
        self.src = src
        self.func = src.tree
        self.namer = namer
        self.params = _parameters(self.func)
        # only values that depend on the inputs and that the output depends on
        # need a tangent (varied and useful)
        # (an integer array written with a value truncates it: no tangent
        # flows in, as in reverse mode; an integer argument has its tangent)
        edges = _edges(self.func.body, integers)
        wrt = [name for name in self.params if name in varied]
        output = self.func.body[-1].value.id
        self.dependent = _closure(edges, wrt, forward=True)  # varied
        self.varied = self.dependent & _closure(edges, [output], forward=False)
        self.scalars = scalars
        self.arrays = set()  # names known to have an axis (set by the caller)
        self.written = _written_in_place(self.func.body)
        self.aliases = None  # which names may share an array: read when first needed
        self.defined = {}  # id(stmt) -> names certainly bound before it (set by the caller)
        self.possibly = {}  # id(stmt) -> names that may be bound before it (set by the caller)
        self.maybe_unbound = set()  # zeroed where they may be unbound: bound to None first
        self.shape_donors = {}  # adjoint -> argument of its shape (set by the caller)
        self.loop_heads = []  # the tangents' states at the head of each enclosing loop

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
        elif isinstance(stmt, gast.Break) and self.loop_heads:
            code = self._leave_as(state, self.loop_heads[-1], stmt) + [stmt]
        else:
            code = [stmt]
        return n.with_origin(code, stmt)

    def _leave_as(self, state, head, stmt):
        """Tangents as the loop's exit expects them, where a `break` leaves
        it early: a name reset to a constant since (``acc = 0.5``) gets its
        zero here, or the break would skip it (it is set at the body's end)."""
        code = self._materialize(
            state, head, self.defined.get(id(stmt), frozenset()), self.possibly.get(id(stmt), frozenset())
        )
        for name in sorted(head):
            if head[name] == OWNED and state.get(name) == LIVE:
                t = self.tangent(name)
                code.append(n.assign(t, _helper_call(runtime.copy, n.name(t))))
        return code

    # -- assignments ---------------------------------------------------------

    def assign(self, stmt, state):
        target = stmt.targets[0].id
        if target not in self.varied:
            state.pop(target, None)
            return []
        value = self.tangent_of(stmt, target, stmt.value, state)
        if value is None or is_zero(value):
            state.pop(target, None)
            return []
        if _fresh(value):
            state[target] = OWNED
        elif self._mirrors(stmt.value, value):
            # shares memory exactly as the primal does: writable where the
            # primal value is, unless it shares a caller's tangent
            viewed = self._viewed(value, state)
            state[target] = LIVE if any(state.get(name) == LIVE for name in viewed) else OWNED
        elif self._sharing({target} | self._viewed(value, state)) & self.written:
            # an alias the primal does not have (``t_v = t_u`` for
            # ``v = u * 1.0``) of an array written in place: a copy of its
            # own now, so no write copies later (views taken in between,
            # which the reverse sweep's restores must reach, stay attached)
            value = _helper_call(runtime.copy, value)
            state[target] = OWNED
        else:
            state[target] = LIVE
            self._share(value, state)
        return anno.get(value, _PRE, []) + [n.assign(self.tangent(target), value)]

    def _sharing(self, names):
        """`names` and every name whose array they may share (``_t1 = c[0]``
        shares `c`'s), as the primal code binds them."""
        if self.aliases is None:
            self.aliases = Aliases(self.func)
        return set(names) | self.aliases.views(names)

    def _viewed(self, value, state):
        """The names whose tangents `value` may be (a view of)."""
        viewed = viewable_names(value)
        return {name for name in state if self.tangent(name) in viewed}

    def _mirrors(self, primal, tangent):
        """Whether the tangent expression is the primal one with each name
        replaced by its tangent (``t_u[2:]`` for ``u[2:]``, ``t_u`` for
        ``u``): it then shares memory exactly where the primal value does."""
        renamed = n.copy_node(primal)
        for node in n.walk(renamed):
            if isinstance(node, gast.Name) and node.id in self.varied:
                node.id = self.tangent(node.id)
        return gast.dump(renamed) == gast.dump(tangent)

    def _share(self, value, state):
        """A tangent that may be (a view of) another where the primal value
        is not (a view of) the other's primal shares a buffer the primal
        does not: neither may then be written in place without a copy. A rule
        can alias where the primal makes a new array: ``v = u * 1.0`` has
        ``t_v = t_u``, and ``u[0] = 5.0`` after it must not change ``t_v``."""
        for name in self._viewed(value, state):
            if state[name] == OWNED:
                state[name] = LIVE

    def tangent_of(self, stmt, target, value, state):
        """The tangent expression of `target = value`, or a zero marker."""
        if isinstance(value, gast.Name):
            return self.tangent_atom(value, state)
        if isinstance(value, gast.Constant):
            return zero()
        if isinstance(value, gast.Subscript):
            base = self.tangent_atom(value.value, state)
            if is_zero(base):
                return base
            if _may_index_zero_d(value.slice) and value.value.id not in self.arrays:
                # a NumPy scalar's tangent may be a Python number
                return _helper_call(
                    tangent_helpers.scalar_index_tangent, base, n.copy_node(value.slice))
            return gast.Subscript(value=base, slice=n.copy_node(value.slice), ctx=gast.Load())
        if isinstance(value, (gast.Tuple, gast.List)):
            elts = [self.tangent_atom(elt, state) for elt in value.elts]
            if all(is_zero(e) for e in elts):
                return zero()
            elts = [self._zeros_for(a) if is_zero(e) else e for a, e in zip(value.elts, elts)]
            return type(value)(elts=elts, ctx=gast.Load())
        if isinstance(value, gast.Dict):
            values = [self.tangent_atom(v, state) for v in value.values]
            if all(is_zero(v) for v in values):
                return zero()
            values = [
                self._zeros_for(a) if is_zero(v) else v for a, v in zip(value.values, values)
            ]
            return gast.Dict(keys=[n.copy_node(k) for k in value.keys], values=values)
        if isinstance(value, gast.BinOp):
            key = registry.binop_key(value.op)
            return self.apply_rule(stmt, key, target, [value.left, value.right], {}, state)
        if isinstance(value, gast.UnaryOp):
            key = registry.unaryop_key(value.op)
            return self.apply_rule(stmt, key, target, [value.operand], {}, state)
        if isinstance(value, gast.Attribute):
            key = ("attr", value.attr)
            if key in registry.NONDIFFERENTIABLE:
                return zero()
            objects = getattr(self, "objects", ())
            if isinstance(value.value, gast.Name) and value.value.id in objects:
                analysis.check_data_attribute(self.src, stmt, value.value.id, value.attr)
                base = self.tangent_atom(value.value, state)
                if is_zero(base):
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
                isinstance(v, gast.Name) and v.id in self.dependent for v in value.values
            ):
                raise UnsupportedConstructError(
                    "and/or on differentiated values", self.src.location(stmt),
                    "use np.where or if",
                )
            return zero()
        raise UnsupportedConstructError(
            f"expression {type(value).__name__} in forward mode", self.src.location(stmt)
        )

    def tangent_atom(self, atom, state):
        """The tangent of a name (or constant) as an expression: its tangent
        variable, or a zero marker."""
        if self.has_tangent(atom, state) and isinstance(atom, gast.Name):
            return n.name(self.tangent(atom.id))
        return zero()

    def _zeros_for(self, atom):
        scalar = isinstance(atom, gast.Name) and atom.id in self.scalars
        if isinstance(atom, gast.Constant) or scalar:
            return n.const(0.0)
        if isinstance(atom, gast.Name) and atom.id in self.shape_donors:
            atom = n.name(self.shape_donors[atom.id])  # `zeros_like(x)` for `d_x`
        return _helper_call(runtime.zeros_like, n.copy_node(atom))

    def apply_rule(self, stmt, key, target, args, keywords, state, call=None):
        if "out" in keywords or (call is not None and registry.passes_out(call, key)):
            raise UnsupportedConstructError(
                "out= argument", self.src.location(stmt), "assign the result instead"
            )
        if key in registry.NONDIFFERENTIABLE:
            return zero()
        inputs = [a for a in list(args) + list(keywords.values()) if isinstance(a, gast.AST)]
        if not any(self.has_tangent(a, state) for a in _atoms(inputs)):
            return zero()
        template = registry.TANGENTS.get(key) if key is not None else None
        if template is None:
            if key in registry.LINEAR and call is not None and not isinstance(key, tuple):
                return self.linear_rule(stmt, key, call, state)
            err = MissingRuleError(
                f"call to {_callee_name(key)} without a forward-mode (tangent) rule",
                self.src.location(stmt),
                "register one with @ta.tangent(fn) (see docs/custom-rules.md)",
            )
            # `model.loss(x)`, `model.W`, `model(x)`: resolved once a call shows the object's class
            receiver = args[0] if isinstance(key, tuple) and args else None
            if key is None and call is not None:
                receiver = call.func
            err.deferrable = isinstance(receiver, gast.Name) and receiver.id in self.params
            raise err
        bindings = template.bind(args, keywords, self.src.location(stmt))
        cast = registry.cast_of(bindings)
        if cast == "integer":
            return zero()  # np.sum(x, dtype=int): piecewise constant
        mark_defaults(template, bindings, args, keywords)
        expanded = template.expand(bindings, n.name(target), lambda: self.namer.fresh(naming.TEMP))
        results = [item for item in expanded if isinstance(item, Accumulate)]
        if len(results) != 1 or results[0].param != template.result:
            raise UnsupportedConstructError(
                f"tangent rule of {_callee_name(key)} without exactly one line "
                f"d[{template.result}] = ... (the result's tangent)",
                self.src.location(stmt),
            )
        # the template's own temporaries, zeros made explicit
        pre = []
        for item in expanded:
            if not isinstance(item, Accumulate):
                item = self._substitute(item, state)
                if isinstance(item, gast.Assign):
                    item.value = materialize_zero(drop_default_keywords(simplify(item.value)))
                pre.append(item)
        result = drop_default_keywords(simplify(self._substitute(results[0].value, state)))
        if cast is not None and not is_zero(result):
            result = _helper_call(helpers.cast_tangent, result, n.copy_node(cast))
        if registry.is_elementwise(key) and not is_zero(result):
            result = self._broadcast(result, target, inputs)
        if pre and not is_zero(result):
            anno.set(result, _PRE, pre)
        return result

    def has_tangent(self, atom, state):
        """Whether `atom` (a call argument) may carry a non-zero tangent."""
        if isinstance(atom, gast.Starred):
            atom = atom.value
        if isinstance(atom, (gast.Tuple, gast.List)):
            return any(self.has_tangent(a, state) for a in atom.elts)
        if not isinstance(atom, gast.Name):
            return False
        return atom.id in self.varied and state.get(atom.id, ZERO) != ZERO

    def linear_rule(self, stmt, key, call, state):
        """The tangent of a call to a function declared ``linear(fn, positions)``
        (multilinear in those arguments): the sum, over the positions whose
        argument has a tangent, of the call with that argument replaced by its
        tangent. Arguments the function reads only for their shape (the
        runtime's `LIKE_ARGS`) may carry tangents; any other may not."""
        positions = registry.LINEAR[key]
        shape_only = LIKE_ARGS.get(key, ())
        args = list(call.args)
        for i, arg in enumerate(args):
            if i not in positions and i not in shape_only and self.has_tangent(arg, state):
                raise MissingRuleError(
                    f"call to {_callee_name(key)}, declared linear in arguments {positions}, "
                    f"with a differentiated argument at position {i}",
                    self.src.location(stmt),
                    "register a tangent rule with @ta.tangent(fn)",
                )
        for kw in call.keywords:
            if self.has_tangent(kw.value, state):
                raise MissingRuleError(
                    f"call to {_callee_name(key)}, declared linear, with a differentiated "
                    f"keyword argument {kw.arg}=",
                    self.src.location(stmt),
                    "pass it by position, or register a tangent rule with @ta.tangent(fn)",
                )
        result = None
        for p in positions:
            if p >= len(args) or isinstance(args[p], gast.Starred):
                continue
            if not self.has_tangent(args[p], state):
                continue
            term = n.copy_node(call)
            term.args[p] = n.name(self.tangent(args[p].id))
            result = term if result is None else gast.BinOp(left=result, op=gast.Add(), right=term)
        return zero() if result is None else result

    def _broadcast(self, result, target, operands):
        """An elementwise rule's tangent has the broadcast shape of the operands
        its expression reads (as primal values or tangents); where it leaves out
        a non-scalar operand (``t_x`` for ``x + b``), `broadcast_like` gives it
        the result's shape."""
        if target in self.scalars:
            return result
        read = set(n.load_names(result))
        for atom in _atoms(operands):
            if not isinstance(atom, gast.Name) or atom.id in self.scalars:
                continue
            if atom.id not in read and self.tangent(atom.id) not in read:
                return _helper_call(tangent_helpers.broadcast_like, result, n.name(target))
        return result

    def _substitute(self, node, state):
        def replace(sub):
            if not _is_marker(sub):
                return sub
            bound = anno.get(sub, "adjoint_of")
            if isinstance(bound, (gast.Tuple, gast.List)):
                # d[args] of a *args parameter: the tuple of the operands' tangents
                elts = [self.tangent_atom(elt, state) for elt in bound.elts]
                if all(is_zero(e) for e in elts):
                    return zero()
                return gast.Tuple(elts=elts, ctx=gast.Load())
            return self.tangent_atom(bound, state)

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
        if current == ZERO and is_zero(t_value):
            return []
        t_base = self.tangent(base)
        code = []
        if current == ZERO:
            code.append(n.assign(t_base, self._zeros_for(n.name(base))))
        elif current == LIVE:
            code.append(n.assign(t_base, _helper_call(runtime.copy, n.name(t_base))))
        state[base] = OWNED
        slot = n.copy_node(target.slice)
        store = gast.Subscript(value=n.name(t_base), slice=slot, ctx=gast.Store())
        if is_zero(t_value):
            # a list's or dict's item: zeros shaped like the item, not 0.0
            if not hasattr(self, "_held"):
                self._held = _may_hold_containers(self.func.body)
            if base not in self._held or isinstance(value, gast.Constant):
                t_value = n.const(0.0)
            elif isinstance(value, gast.Name):
                t_value = self._zeros_for(value)
            else:  # shaped like the item just stored (`zeros_like(d_d['k'])`)
                t_value = self._zeros_for(gast.Subscript(value=n.name(base), slice=n.copy_node(slot), ctx=gast.Load()))
        code.append(n.assign(store, t_value))
        return code

    # -- statements with effects -------------------------------------------------

    def expr(self, stmt, state):
        call = stmt.value
        if isinstance(call, gast.Call) and registry.passes_out(call):
            raise UnsupportedConstructError(
                "out= argument", self.src.location(stmt), "assign the result instead"
            )
        if _is_push(call):
            (value,) = call.args
            tangent = self.tangent_atom(value, state) if isinstance(value, gast.Name) else zero()
            if is_zero(tangent) and isinstance(value, gast.Name) and value.id in self.varied:
                # popped back where the value has a tangent (an array one may
                # write into or take the vdot of): zeros of its shape, not 0.0
                tangent = self._zeros_for(value)
            elif is_zero(tangent):
                tangent = n.const(0.0)
            push = gast.Expr(value=n.call(n.copy_node(call.func), tangent))
            return [stmt, push]
        if isinstance(call, gast.Call) and _is_helper(call, runtime.add_at):
            acc, index, g = call.args
            t_g = self.tangent_atom(g, state)
            if is_zero(t_g):
                return [stmt]
            t_acc = self.tangent(acc.id)
            code = [stmt]
            if state.get(acc.id, ZERO) == ZERO:
                code.append(n.assign(t_acc, _helper_call(runtime.zeros_like, n.copy_node(acc))))
            elif state.get(acc.id) == LIVE:
                code.append(n.assign(t_acc, _helper_call(runtime.copy, n.name(t_acc))))
            state[acc.id] = OWNED
            update = _helper_call(runtime.add_at, n.name(t_acc), n.copy_node(index), t_g)
            code.append(gast.Expr(value=update))
            return code
        if isinstance(call, gast.Call) and (
            registry.call_key(call) in registry.NONDIFFERENTIABLE or registry.observes_only(call)
        ):
            return [stmt]
        if any(name in self.dependent for name in n.load_names(call)):
            raise UnsupportedConstructError(
                analysis.discarded_call_construct(call),
                self.src.location(stmt),
                "assign the result to a name",
            )
        return [stmt]

    def pop(self, stmt, state):
        target = stmt.targets[0].id
        stack = stmt.value.func.value
        t_target = self.tangent(target)
        pop_tangent = n.assign(t_target, _pop_call(stack))
        if target in self.varied:
            # the object the primal sweep pushed, written in place where the
            # primal value is (the caller's arrays never are)
            state[target] = OWNED
            return [pop_tangent, stmt]
        state.pop(target, None)
        discard = gast.Expr(value=_pop_call(stack))
        return [discard, stmt]

    # -- control flow --------------------------------------------------------------

    def if_(self, stmt, state):
        then_state, else_state = dict(state), dict(state)
        body = self.block(stmt.body, then_state)
        orelse = self.block(stmt.orelse, else_state)
        joined = _state_join(then_state, else_state)
        # a name this path leaves unbound needs no tangent on it; one it may
        # have bound (``_retval = 0.0`` in an earlier branch) a zero one
        before = self.defined.get(id(stmt), frozenset())
        maybe = self.possibly.get(id(stmt), frozenset())
        for branch, branch_state, code in ((stmt.body, then_state, body), (stmt.orelse, else_state, orelse)):
            assigned = {name for inner in all_statements(branch) for name in defined_names(inner)}
            code += self._materialize(branch_state, joined, _bound_after(branch, before), maybe | assigned)
        state.clear()
        state.update(joined)
        node = n.if_(stmt.test, body or [gast.Pass()], orelse)
        anno.copy_from(node, stmt)
        return [node]

    def _materialize(self, have, want, bound=None, maybe=frozenset()):
        """Zero tangents for the names `want` has and `have` lacks (of those
        certainly `bound` at this point, when given, or `maybe` bound: those
        are bound to None at the start, so `zeros_like` may read them)."""
        code = []
        for name in sorted(want):
            if have.get(name, ZERO) != ZERO:
                continue
            if bound is not None and name not in bound:
                if name not in maybe:
                    continue
                self.maybe_unbound.add(name)
            code.append(n.assign(self.tangent(name), self._zeros_for(n.name(name))))
        return code

    def loop(self, stmt, state):
        entry = dict(state)
        head = dict(state)
        for _ in range(20):
            end = dict(head)
            self.block(stmt.body, end)
            new = _state_join(head, end)
            new = {
                k: LIVE if LIVE in (end.get(k, ZERO), head.get(k)) else OWNED for k in new
            }
            if new == head:
                break
            head = new
        else:
            head = {name: LIVE for name in head}
        defined = self.defined.get(id(stmt))
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
        self.loop_heads.append(head)
        body = self.block(stmt.body, body_state)
        self.loop_heads.pop()
        top = set(self.defined.get(id(stmt), frozenset()))
        if isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name):
            top.add(stmt.target.id)
        body += self._materialize(body_state, head, _bound_after(stmt.body, top))
        for name in sorted(head):
            if head[name] == OWNED and body_state.get(name) == LIVE:
                t = self.tangent(name)
                body.append(n.assign(t, _helper_call(runtime.copy, n.name(t))))
        state.clear()
        state.update(head)
        if isinstance(stmt, gast.For):
            node = gast.For(
                target=stmt.target, iter=stmt.iter, body=body, orelse=[], type_comment=None
            )
        else:
            node = gast.While(test=stmt.test, body=body, orelse=[])
        anno.copy_from(node, stmt)
        return before + [node]


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
    """Whether the tangent expression makes a new array (so the tangent may be
    updated in place): arithmetic, a ufunc, a helper that copies.
    `tangent_algebra.simplify` has already folded ``t * 1`` and the like,
    which the optimizer would otherwise turn into an alias of ``t``."""
    return surely_new(value)


def _edges(body, integers=frozenset()):
    """(target, names it depends on differentiably) for every assignment: as
    `analysis.activity` sees them, and also ``add_at(acc, index, g)`` (generated
    reverse code updates adjoints in place: `acc` then depends on `g`), and
    an element restored from the stack on what was pushed for it: the primal
    sweep saves ``_t6 = u[i]; _t7 = copy(_t6); _stack.push(_t7)`` and the
    reverse one restores ``_t10 = _stack.pop(); u[i] = _t10``. The restored
    value varies where `u` does, and the output depends on the pushed copy:
    both need their tangents."""
    edges = []
    statements = list(all_statements(body))
    popped = {
        stmt.targets[0].id for stmt in statements
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and _is_pop(stmt.value)
    }
    saved = _element_saves(statements)  # array name -> names of the copies pushed
    for stmt in statements:
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name) and _is_pop(stmt.value):
                continue  # a value saved under its own name: as it was
            if isinstance(target, gast.Subscript) and isinstance(stmt.value, gast.Name) and stmt.value.id in popped:
                edges.append((stmt.value.id, saved.get(target.value.id, []) + [target.value.id]))
            if isinstance(target, gast.Name):
                edges.append((target.id, analysis.differentiable_inputs(stmt.value)))
            elif target.value.id in integers:  # u[i] = v into an integer array
                edges.append((target.value.id, [target.value.id]))
            else:  # u[i] = v: the new u depends on v and on the old u
                edges.append((target.value.id, n.load_names(stmt.value) + [target.value.id]))
        elif _is_add_at(stmt):
            acc, _, g = stmt.value.args
            edges.append((acc.id, n.load_names(g) + [acc.id]))
    return edges


def _written_in_place(body):
    """Names written in place somewhere: ``u[i] = v``, ``u += v``, ``add_at(u, ...)``."""
    written = set()
    for stmt in all_statements(body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            written.update(n.load_names(stmt.targets[0].value))
        elif isinstance(stmt, gast.AugAssign):
            target = stmt.target
            written.update(n.load_names(target.value) if isinstance(target, gast.Subscript) else [target.id])
        elif _is_add_at(stmt):
            written.add(stmt.value.args[0].id)
    return written


def _element_saves(statements):
    """{array name: names pushed as copies of its elements}: ``_t6 = u[i]``,
    ``_t7 = copy(_t6)``, ``_stack.push(_t7)`` gives ``{"u": ["_t7"]}``."""
    value_of = {}
    for stmt in statements:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            value_of[stmt.targets[0].id] = stmt.value
    saved = {}
    for stmt in statements:
        if not (isinstance(stmt, gast.Expr) and _is_push(stmt.value)):
            continue
        pushed = stmt.value.args[0]
        if not isinstance(pushed, gast.Name):
            continue
        copied = value_of.get(pushed.id)
        if not (isinstance(copied, gast.Call) and _is_helper(copied, runtime.copy) and copied.args):
            continue
        element = copied.args[0]
        if isinstance(element, gast.Name):
            element = value_of.get(element.id)
        if isinstance(element, gast.Subscript) and isinstance(element.value, gast.Name):
            saved.setdefault(element.value.id, []).append(pushed.id)
    return saved


def _closure(edges, start, forward):
    """Names reachable from `start` along the edges: what depends on `start`
    (forward) or what `start` depends on (backward)."""
    found = set(start)
    changed = True
    while changed:
        changed = False
        for target, inputs in edges:
            if forward and target not in found and any(i in found for i in inputs):
                found.add(target)
                changed = True
            elif not forward and target in found and not found.issuperset(inputs):
                found.update(inputs)
                changed = True
    return found


def _bound_after(stmts, bound):
    """Names certainly bound after `stmts`, given those bound before."""
    bound = set(bound)
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            bound.add(stmt.targets[0].id)
        elif isinstance(stmt, gast.If):
            bound = _bound_after(stmt.body, bound) & _bound_after(stmt.orelse, bound)
        # a loop may run zero times: it binds nothing for certain
    return bound


def _parameters(func):
    args = func.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


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


def _is_add_at(stmt):
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Call)
        and _is_helper(stmt.value, runtime.add_at)
    )


def _pop_call(stack):
    return n.call(gast.Attribute(value=n.copy_node(stack), attr="pop", ctx=gast.Load()))


def _may_hold_containers(body):
    """Names that may hold a list or dict: those `container_names` finds, and
    (in a reverse sweep differentiated again) the adjoints the runtime
    helpers build from them (`d_d = unindex(g, d, 'k')`, `zeros_like(d)`)."""
    from ..source import static_value

    held = set(analysis.container_names(body))
    assigns = [
        stmt
        for stmt in all_statements(body)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
    ]
    changed = True
    while changed:
        changed = False
        for stmt in assigns:
            name, value = stmt.targets[0].id, stmt.value
            if name in held:
                continue
            if isinstance(value, gast.Name):
                sources = {value.id}
            elif isinstance(value, gast.Call) and getattr(static_value(value.func), "__module__", None) == runtime.__name__:
                sources = {arg.id for arg in value.args if isinstance(arg, gast.Name)}
            else:
                continue
            if sources & held:
                held.add(name)
                changed = True
    return held


def _is_helper(call, helper):
    from ..source import static_value

    return static_value(call.func) is helper


def _callee_name(key):
    if isinstance(key, tuple):
        return f"the {key[0]} .{key[1]}"
    if key is None:
        return "a function only known at run time"
    return describe(key)
