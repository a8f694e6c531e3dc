"""Turn the save plan into pushes and pops, and assemble the derivative.

After `reverse` has generated the adjoint sweep (with a pop *slot* after the
adjoint of every assignment and loop), `plan` asks `analysis.plan_saves`
which overwritten values the sweep reads, `resolve` fills the slots that are
needed with ``name = _stack.pop()`` and drops the others (and reversed
branches or loops left with nothing to do), and `assemble` writes the
derivative function: primal sweep with ``_stack.push(...)``, the seed, the
adjoint sweep and the returned gradients.
"""

import gast

from .. import anno
from .. import nodes as n
from .. import naming
from .. import runtime
from ..source import static_value
from ..errors import AliasingError, TangentADError
from . import analysis
from .dataflow import all_statements
from .reverse import is_pop_slot, _helper_call, _collect_reads


def plan(rev, adjoint):
    """(saves, elements, uninitialized, dead) for the generated adjoint.

    A restored element (``u[j] = _stack.pop()``, emitted by `resolve` for the
    index assignments in `elements`) reads the names of its index where the
    assignment was: those reads are added once the plan says which elements
    are restored, and the plan redone until it no longer changes (a `while`
    counter `j` is otherwise never restored, and every iteration of the
    reversed loop restores the row of the final `j`)."""
    func = rev.func
    statements = {id(stmt): stmt for stmt in all_statements(func.body)}
    dead, restores = set(), {}
    containers = analysis.only_containers(func.body, getattr(rev, "containers", ()))
    # A few rounds settle it (each new restore settles one more index read);
    # a plan that has not settled is never used.
    for _ in range(len(statements) + 2):
        reads_after = {key: set(value) for key, value in rev.reads_after.items()}
        content_reads = {key: set(value) for key, value in rev.content_reads.items()}
        for key, names in rev.header_reads.items():
            if key not in dead:
                reads_after.setdefault(key, set()).update(names)
        for key, names in restores.items():
            reads_after.setdefault(key, set()).update(names)
            content_reads.setdefault(key, set()).update(names)  # an index array's contents
        saves, elements, uninitialized, mutated = analysis.plan_saves(
            func, rev.reads_before, reads_after, content_reads, rev.entry_reads, containers
        )
        for stmt, name in mutated:
            raise AliasingError(
                f"a call that may change `{name}` in place, whose earlier contents the derivative reads",
                rev.src.location(stmt),
                f"the reverse sweep reads `{name}` (or a view of it) as it was before this call; "
                f"bind the changed value to a new name instead (`{name} = np.sort({name})` "
                f"rather than `{name}.sort()`)",
            )
        used = set(saves) | elements
        new_dead = set()
        _find_dead(adjoint, used, new_dead)
        new_restores = {key: _restore_reads(statements[key], rev) for key in elements}
        new_restores = {key: names for key, names in new_restores.items() if names}
        if new_dead == dead and new_restores == restores:
            break
        dead, restores = new_dead, new_restores
    else:
        raise TangentADError(
            "internal error: the save plan did not settle",
            hint="please report this function; tangent_ad refuses it rather than risk a wrong gradient",
        )
    for names in restores.values():
        for name in names:
            rev.modes[name] = analysis.VALUE  # the index itself is pushed, not like(index)
    for key in elements:
        base = statements[key].targets[0].value
        if isinstance(base, gast.Name):
            # its elements are written back (``v[0] = _stack.pop()``) into what
            # a pop rebinds it to: the array itself, not like(v)
            rev.modes[base.id] = analysis.VALUE
    return saves, elements, uninitialized, dead


def _restore_reads(stmt, rev):
    """Primal names the restore of `stmt`'s overwritten elements reads in its
    index (``j`` and ``k`` for ``u[j, k] = ...``)."""
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else None
    if not isinstance(target, gast.Subscript):
        return set()
    values, likes = set(), set()
    _collect_reads(target.slice, rev.primal_names, values, likes)
    return values | likes


def _find_dead(code, used, dead):
    """Collect reversed structures that do nothing; return True if `code` does something."""
    alive = False
    for stmt in code:
        if is_pop_slot(stmt):
            alive |= anno.get(stmt, "slot") in used
        elif isinstance(stmt, (gast.If, gast.For)) and anno.has(stmt, "primal"):
            inner = _find_dead(stmt.body, used, dead)
            inner |= _find_dead(stmt.orelse, used, dead)
            if not inner:
                dead.add(anno.get(stmt, "primal"))
            alive |= inner
        elif not isinstance(stmt, gast.Pass):
            alive = True
    return alive


def resolve(code, primal_by_id, saves, elements, dead):
    """Fill pop slots and drop dead reversed structures (recursively)."""
    out = []
    for stmt in code:
        if is_pop_slot(stmt):
            slot = anno.get(stmt, "slot")
            origin = primal_by_id[slot]
            if slot in saves:
                pop = n.assign(saves[slot], _pop())
                out.append(n.with_origin([pop], origin)[0])
            elif slot in elements:
                target = n.copy_node(origin.targets[0])
                out.append(n.with_origin([n.assign(target, _pop())], origin)[0])
            continue
        if isinstance(stmt, (gast.If, gast.For)) and anno.has(stmt, "primal"):
            if anno.get(stmt, "primal") in dead:
                continue
            stmt.body = resolve(stmt.body, primal_by_id, saves, elements, dead) or [gast.Pass()]
            stmt.orelse = resolve(stmt.orelse, primal_by_id, saves, elements, dead)
        out.append(stmt)
    return out


def insert_pushes(stmts, saves, elements, modes, scalars):
    """The primal statements with pushes before the assignments that need them."""
    out = []
    for stmt in stmts:
        if id(stmt) in saves:
            name = saves[id(stmt)]
            value = n.name(name)
            if modes.get(name) == analysis.LIKE and name not in scalars:
                value = _helper_call(runtime.like, value)
            out.append(n.with_origin([_push(value)], stmt)[0])
        elif id(stmt) in elements:
            load = n.set_ctx(stmt.targets[0], gast.Load())
            out.append(n.with_origin([_push(_helper_call(runtime.copy, load))], stmt)[0])
        for field in ("body", "orelse"):
            if getattr(stmt, field, None):
                setattr(stmt, field, insert_pushes(getattr(stmt, field), saves, elements, modes, scalars))
        out.append(stmt)
    return out


def increments_in_place(stmts, rev):
    """``u[s] = u[s] + r`` on an array becomes ``u[s] += r`` in the primal:
    the same values, without a temporary and a copy back."""
    known = getattr(rev, "shapes", {})
    out = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            if getattr(stmt, field, None):
                setattr(stmt, field, increments_in_place(getattr(stmt, field), rev))
        if (
            isinstance(stmt, gast.Assign)
            and isinstance(stmt.targets[0], gast.Subscript)
            and known.get(stmt.targets[0].value.id)  # an array of known shape
        ):
            found = rev._increment_of(stmt)
            if found is not None:
                rest, sign = found
                op = gast.Add() if sign > 0 else gast.Sub()
                target = n.copy_node(stmt.targets[0])
                stmt = anno.copy_from(gast.AugAssign(target=target, op=op, value=n.copy_node(rest)), stmt)
        out.append(stmt)
    return out


def _push(value):
    return gast.Expr(value=n.call(n.attr(naming.STACK, "push"), value))


def _pop():
    return n.call(n.attr(naming.STACK, "pop"))


def assemble(rev, primal, adjoint, returns, mode, name):
    """The derivative FunctionDef.

    `mode` is one of "grad", "value_and_grad", "grad_and_value" (grad with
    preserve_result) or "vjp".
    """
    func = rev.func
    saves, elements, uninitialized, dead = plan(rev, adjoint)
    primal_by_id = {id(stmt): stmt for stmt in all_statements(func.body)}
    adjoint = resolve(adjoint, primal_by_id, saves, elements, dead)
    primal = insert_pushes(primal, saves, elements, rev.modes, rev.scalars)
    primal = increments_in_place(primal, rev)

    prologue = []
    if saves or elements:
        stack = n.assign(naming.STACK, _helper_call(runtime.Stack))
        prologue.append(stack)
    for var in naming.in_order(uninitialized):
        prologue.append(n.assign(var, n.const(None)))

    out = rev.out
    seed_name = rev.namer.adjoint(out)
    middle = []
    result = n.name(out)
    wants_value = mode in ("value_and_grad", "grad_and_value")
    if wants_value and out in set(saves.values()):
        kept = rev.namer.unique(naming.RESULT)
        middle.append(n.assign(kept, n.name(out)))
        result = n.name(kept)
    elif wants_value and elements:
        # the sweep restores elements in place: a result that views one of
        # those arrays (``return y[0, ...]``) would change with them
        kept = rev.namer.unique(naming.RESULT)
        middle.append(n.assign(kept, _helper_call(runtime.copy, n.name(out))))
        result = n.name(kept)
    if mode != "vjp" and out in rev.scalars and not _may_be_complex(func):
        # a real scalar by construction (the arguments are real): no check needed
        seed = n.const(1.0)
        if out in rev.active:
            middle.append(n.assign(seed_name, seed))
    elif mode != "vjp":
        seed = _helper_call(runtime.grad_seed, n.name(out), n.const(rev.src.name))
        if out in rev.active:
            middle.append(n.assign(seed_name, seed))
        else:
            middle.append(gast.Expr(value=seed))
    for stmt in middle + adjoint:
        anno.set(stmt, "sweep", "reverse")

    grads = returns[0] if len(returns) == 1 else gast.Tuple(elts=returns, ctx=gast.Load())
    if mode == "value_and_grad":
        value = gast.Tuple(elts=[result, grads], ctx=gast.Load())
    elif mode == "grad_and_value":
        value = gast.Tuple(elts=[grads, result], ctx=gast.Load())
    else:
        value = grads
    body = prologue + primal + middle + adjoint + [gast.Return(value=value)]

    args = n.copy_node(func.args)
    if mode == "vjp":
        args.args.append(n.name(seed_name, store=False))
        args.args[-1].ctx = gast.Param()
    derivative = gast.FunctionDef(
        name=name,
        args=args,
        body=body,
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    return derivative, {"saves": saves, "elements": elements, "seed": seed_name}


def _may_be_complex(func):
    """Whether `func` may make a complex value from real arguments: a
    complex constant (``1j``), a complex dtype or cast, `complex(...)`, or a
    function of `numpy.fft` or `numpy.emath`."""
    from ..rules import registry

    def complex_type(node):
        return registry.dtype_kind(node) == "c"

    for node in n.walk(func):
        if isinstance(node, gast.Constant) and isinstance(node.value, complex):
            return True
        if isinstance(node, gast.Call):
            callee = static_value(node.func)
            module = getattr(callee, "__module__", None) or ""
            if callee is complex or module.startswith(("numpy.fft", "numpy.lib.scimath")):
                return True
            if any(kw.arg == "dtype" and complex_type(kw.value) for kw in node.keywords):
                return True
            if isinstance(node.func, gast.Attribute) and node.func.attr == "astype" and node.args:
                if complex_type(node.args[0]):
                    return True
    return False


def own_returns(func, scalars=frozenset()):
    """The arrays a derivative returns are its caller's to keep and change:
    one that may be an argument (``return d_y`` of a vjp of ``x -> x``, a
    jvp's tangent) or share its array with one returned before it
    (``return d_t0, d_t0`` once the copies of ``x + y``'s adjoint became one
    name; ``d_x = d_t0; d_y = d_t0`` unoptimised) is copied, and so is one
    that may still be a read-only broadcast view (``d_x = unreduce(1.0, x)``).
    Numbers (`scalars`) are never copied: nothing can change them."""
    from .aliases import Aliases

    ret = func.body[-1]
    if not isinstance(ret, gast.Return) or ret.value is None:
        return func
    _return_the_tuple(func)
    spreads = set()
    for stmt in all_statements(func.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            value = stmt.value
            if isinstance(value, gast.Call) and anno.get(value.func, "inject", None) is runtime.unreduce:
                spreads.add(stmt.targets[0].id)
    aliases = Aliases(func)
    # the caller's own arrays: the arguments, a vjp's seed, a jvp's tangents
    taken = set(n.store_names(func.args)) if getattr(func, "args", None) else set()

    def owned(node):
        if isinstance(node, gast.Tuple):
            node.elts = [owned(elt) for elt in node.elts]
            return node
        if isinstance(node, gast.Name) and node.id not in scalars:
            shared = aliases.views({node.id}) | {node.id}
            if shared & taken or _may_end_as_view(func.body[:-1], node.id, spreads)[0]:
                return _helper_call(runtime.copy, node)
            taken.update(shared)
        return node

    ret.value = owned(ret.value)
    return func


def _return_the_tuple(func):
    """``t_t8 = a, b; return t_t8`` (a tuple built just to be returned, as
    forward over reverse leaves it) as ``return a, b``, so that each item is
    looked at (and copied only if it must be), not the whole tuple."""
    ret = func.body[-1]
    if len(func.body) < 2 or not isinstance(ret.value, gast.Name):
        return
    last = func.body[-2]
    if not (
        isinstance(last, gast.Assign)
        and isinstance(last.targets[0], gast.Name)
        and last.targets[0].id == ret.value.id
        and isinstance(last.value, gast.Tuple)
    ):
        return
    reads = sum(
        1 for stmt in func.body for node in n.walk(stmt)
        if isinstance(node, gast.Name) and node.id == ret.value.id and isinstance(node.ctx, gast.Load)
    )
    if reads == 1:
        ret.value = last.value
        del func.body[-2]


def _may_end_as_view(stmts, name, spreads):
    """(whether `name` may hold a spread ``unreduce(...)`` -- or a name of
    one, `spreads` -- after `stmts`, whether `stmts` surely bind it), from
    its last bindings."""
    for stmt in reversed(stmts):
        if isinstance(stmt, gast.If):
            view, bound = _may_end_as_view(stmt.body, name, spreads)
            other, other_bound = _may_end_as_view(stmt.orelse, name, spreads)
            if view or other:
                return True, True
            if bound and other_bound:
                return False, True
        elif isinstance(stmt, (gast.For, gast.While)):
            if _may_end_as_view(stmt.body, name, spreads)[0]:
                return True, True
        elif isinstance(stmt, gast.Assign) and name in n.store_names(stmt.targets[0]):
            value = stmt.value
            spread = isinstance(value, gast.Call) and anno.get(value.func, "inject", None) is runtime.unreduce
            return spread or (isinstance(value, gast.Name) and value.id in spreads), True
        elif isinstance(stmt, gast.AugAssign) and name in n.store_names(stmt.target):
            return False, True
    return False, False
