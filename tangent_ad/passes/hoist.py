"""Products of a loop's rows by a loop-invariant matrix, once before the loop.

A recurrence over the rows of an input multiplies each row by the same
weights. Written per step, that is one small matrix product per iteration,
and in the reverse sweep one small product per iteration for the weights'
adjoint. Taken out of the loop, it is one product over all rows before the
loop, and its adjoint one product after the reversed loop::

    _t5 = xs.shape                          _t5 = xs.shape
    _t6 = _t5[0]                            _t6 = _t5[0]
    for t in range(_t6):                    _t11 = xs @ W_xh
        _t0 = h @ W_hh              ->      for t in range(_t6):
        _t1 = xs[t]                             _t0 = h @ W_hh
        _t2 = _t1 @ W_xh                        _t2 = _t11[t]

This is what a careful person writes by hand (the input projection of an
RNN), and row `t` of ``xs @ W_xh`` is ``xs[t] @ W_xh`` (NumPy multiplies a
stack of matrices as one product; on this machine the results were
identical to the bit, though a BLAS may round a larger product
differently in the last place).

Only where it is exact and never more work: it runs on user code in a
specialised derivative with the optimizer on, when

* the loop is ``for t in range(N)``, N bound once to ``S.shape[0]`` or
  ``len(S)`` where `S`'s first extent is `X`'s (so every row is used);
* ``a = X[t]`` and ``b = a @ W`` are top-level statements of its body, `X`
  has two or more dimensions and `W` one or two, matching `X`'s last;
* `X`, `W` and `t` are not assigned in the loop, no array that may share
  memory with `X` or `W` is written in place in it, and every call in it is
  one whose derivative rule (or NumPy ufunc) is known, so nothing unknown can
  change them;
* `X` and `W` are bound on every path to the loop.

The temporary ``a = X[t]`` goes when nothing else reads it.
"""

import builtins

import gast
import numpy

from .. import anno
from .. import nodes as n
from ..naming import TEMP
from ..rules import registry
from ..source import static_value
from .analysis import _sharing, definitely_assigned
from .dataflow import all_statements

# builtins a loop body may call without hiding a write into an array
_HARMLESS_BUILTINS = frozenset({
    builtins.range, builtins.len, builtins.float, builtins.int, builtins.abs,
    builtins.min, builtins.max, builtins.isinstance, builtins.reversed,
})


def hoist_row_products(func, shapes, user_names, namer):
    """Rewrite `func` (normalized, inlined user code) in place; True if it
    changed. `shapes`: {name: shape} inferred for this specialisation."""
    return _Hoister(func, shapes, user_names, namer).run()


class _Hoister:
    def __init__(self, func, shapes, user_names, namer):
        self.func = func
        self.shapes = shapes
        self.user_names = user_names
        self.namer = namer
        self.definitions = {}
        for stmt in all_statements(func.body):
            for target in _bound_names(stmt):
                self.definitions.setdefault(target, []).append(stmt)
        self.bound_before = None

    def run(self):
        changed = False
        for block in _blocks(self.func.body):
            position = 0
            while position < len(block):
                stmt = block[position]
                hoisted = self.loop(stmt) if isinstance(stmt, gast.For) else []
                block[position:position] = hoisted
                position += len(hoisted) + 1
                changed = changed or bool(hoisted)
        return changed

    def loop(self, loop):
        """The statements to put before `loop` (its body rewritten in place)."""
        rows = self.row_extent(loop)
        if rows is None or not self.calls_are_known(loop):
            return []
        target = loop.target.id
        assigned = {name for stmt in all_statements(loop.body) for name in _bound_names(stmt)}
        if target in assigned:
            return []
        written = _written_into(loop.body)
        hoisted = []
        row_of = {}  # a -> X for `a = X[t]`
        for stmt in list(loop.body):
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
                continue
            name, value = stmt.targets[0].id, stmt.value
            if (
                isinstance(value, gast.Subscript)
                and isinstance(value.value, gast.Name)
                and n.is_name(value.slice, target)
                and self.assigned_once(name)
            ):
                row_of[name] = value.value.id
            elif (
                isinstance(value, gast.BinOp)
                and isinstance(value.op, gast.MatMult)
                and isinstance(value.left, gast.Name)
                and isinstance(value.right, gast.Name)
                and value.left.id in row_of
                and self.assigned_once(name)
            ):
                stack, weights = row_of[value.left.id], value.right.id
                if self.invariant(loop, (stack, weights), assigned, written) and self.fits(stack, weights, rows):
                    product = self.namer.fresh(TEMP)
                    before = n.assign(product, gast.BinOp(left=n.name(stack), op=gast.MatMult(), right=n.name(weights)))
                    n.with_origin([before], stmt)
                    anno.set(before, "note", f"{stack}[{target}] @ {weights} for every {target}, before the loop")
                    hoisted.append(before)
                    stmt.value = gast.Subscript(value=n.name(product), slice=n.name(target), ctx=gast.Load())
        if hoisted:
            self.drop_unread_rows(loop, row_of)
        return hoisted

    def row_extent(self, loop):
        """The first extent of the array whose rows `loop` runs over
        (``for t in range(N)`` with N = ``S.shape[0]`` or ``len(S)``)."""
        if not isinstance(loop.target, gast.Name) or loop.orelse:
            return None
        call = loop.iter
        if not (
            isinstance(call, gast.Call) and static_value(call.func) is builtins.range
            and len(call.args) == 1 and not call.keywords and isinstance(call.args[0], gast.Name)
        ):
            return None
        value = self.only_value(call.args[0].id)
        if isinstance(value, gast.Call) and static_value(value.func) is builtins.len and len(value.args) == 1:
            source = value.args[0]
        elif (
            isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
            and isinstance(value.slice, gast.Constant) and value.slice.value == 0
        ):
            shape = self.only_value(value.value.id)
            if not (isinstance(shape, gast.Attribute) and shape.attr == "shape"):
                return None
            source = shape.value
        else:
            return None
        if not isinstance(source, gast.Name):
            return None
        shape = self.shapes.get(source.id)
        return shape[0] if shape else None

    def only_value(self, name):
        """The value of `name`'s one assignment, if it has exactly one."""
        found = self.definitions.get(name, [])
        if len(found) == 1 and isinstance(found[0], gast.Assign):
            return found[0].value
        return None

    def assigned_once(self, name):
        return len(self.definitions.get(name, [])) == 1

    def calls_are_known(self, loop):
        """Every call in `loop` has a known rule (nothing unknown may write
        into an array the loop reads)."""
        for node in n.walk(loop):
            if isinstance(node, gast.Call):
                callee = static_value(node.func)
                if isinstance(callee, numpy.ufunc) or callee in _HARMLESS_BUILTINS:
                    continue
                key = registry.call_key(node)
                if key is None or not (
                    key in registry.ADJOINTS or key in registry.NONDIFFERENTIABLE or key in registry.TANGENTS
                ):
                    return False
        return True

    def invariant(self, loop, names, assigned, written):
        if self.bound_before is None:
            self.bound_before = definitely_assigned(self.func)
        bound = self.bound_before.get(id(loop), frozenset())
        for name in names:
            if name in assigned or name not in bound or _sharing(name, self.func.body) & written:
                return False
        return True

    def fits(self, stack, weights, rows):
        """`stack` has rows of extent `rows` and at least 2 dimensions;
        `weights` 1 or 2, matching its last."""
        x, w = self.shapes.get(stack), self.shapes.get(weights)
        return (
            x is not None and w is not None and len(x) >= 2 and len(w) in (1, 2)
            and x[0] == rows and x[-1] == w[0]
        )

    def drop_unread_rows(self, loop, row_of):
        """Remove ``a = X[t]`` for temporaries nothing reads any more."""
        read = {
            node.id for node in n.walk(self.func)
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load)
        }
        loop.body[:] = [
            stmt for stmt in loop.body
            if not (
                isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id in row_of and stmt.targets[0].id not in read
                and stmt.targets[0].id not in self.user_names
            )
        ]


def _blocks(stmts):
    """`stmts` and every statement list nested in it."""
    yield stmts
    for stmt in stmts:
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if inner and isinstance(inner[0], gast.stmt):
                yield from _blocks(inner)
        for handler in getattr(stmt, "handlers", None) or ():
            yield from _blocks(handler.body)


def _bound_names(stmt):
    """Names `stmt` (re)binds."""
    if isinstance(stmt, gast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, gast.Name)]
    if isinstance(stmt, gast.For):
        return list(n.store_names(stmt.target))
    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
        return [stmt.target.id]
    return []


def _written_into(body):
    """Arrays written in place in `body`: ``u[i] = v``, and ``u += v``
    (desugared to ``u = u + v``, marked as in place)."""
    written = set()
    for stmt in all_statements(body):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                written.update(n.load_names(target.value))
            elif anno.get(stmt, "augmented"):
                written.add(target.id)
        elif isinstance(stmt, gast.AugAssign):
            target = stmt.target
            written.update(n.load_names(target.value) if isinstance(target, gast.Subscript) else [target.id])
    return written
