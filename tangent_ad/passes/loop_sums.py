"""Sum over a reduced axis once after a loop, not once per step.

The reverse sweep of ``h = np.tanh(h @ W + b)`` in a loop adds the bias
adjoint, summed over the batch, at every step: ``d_b += d_t4.sum(axis=0)``.
A sum is linear, so the per-step sums can wait: add the unreduced adjoints
in place into an accumulator shaped like them, and reduce once after the
loop::

    d_b_steps = zeros_like(d_h)
    for t in reversed(range(_t6)):        for t in reversed(range(_t6)):
        ...                                   ...
        d_b_steps += d_t4          (was)      d_b += d_t4.sum(axis=0)
    d_b += d_b_steps.sum(axis=0)

An in-place add of a small array costs a third of a reduction along an
axis (NumPy's reductions have the larger fixed cost).

Only where it is exact: the accumulator (``d_b``) is touched by nothing else
in the loop, the reduced value is a name whose shape is known when
generating (a specialised derivative, so the same at every step), and a
primal name of that shape is bound before the loop to give the zeros their
shape and dtype (a parameter, or a name the statements before the loop
assign; not an adjoint, which may be held as a scalar zero). Primal
statements (`protected` names) are never rewritten.
"""

import gast

from .. import anno
from .. import naming
from .. import nodes as n
from .. import runtime

SUFFIX = "_steps"


def sum_after_loops(func, shapes, protected=frozenset()):
    """Rewrite `func` (a generated derivative) in place; return it. `shapes`
    maps names to shapes known at generation; without them nothing changes."""
    if not shapes:
        return func
    parameters = [arg.id for arg in func.args.args if isinstance(arg, gast.Name)]
    _Hoister(func, shapes, set(protected) | set(parameters), protected).block(func.body, parameters)
    return func


class _Hoister:
    def __init__(self, func, shapes, primal, protected):
        self.shapes = shapes
        self.donors = {name: shape for name, shape in shapes.items() if name in primal}
        self.protected = protected
        self.func = func
        self._used = None

    @property
    def used(self):
        """Every name in the function (found once a name must be made)."""
        if self._used is None:
            self._used = naming.all_names(self.func)
        return self._used

    def block(self, block, bound):
        """Rewrite the loops of `block`; `bound` names are defined at its start."""
        bound = list(bound)
        index = 0
        while index < len(block):
            stmt = block[index]
            if isinstance(stmt, gast.For):
                self.block(stmt.body, bound + list(n.store_names(stmt.target)))
                index += self.hoist(block, index, bound)
            elif isinstance(stmt, (gast.If, gast.While)):
                for part in (stmt.body, stmt.orelse):
                    self.block(part, bound)
            if isinstance(stmt, gast.Assign):
                bound.extend(n.store_names(stmt))
            index += 1

    def hoist(self, block, index, bound):
        """Hoist the qualifying sums out of the loop `block[index]`; return
        how many statements were inserted before it."""
        loop = block[index]
        if loop.orelse or any(isinstance(node, (gast.Return, gast.Yield)) for node in n.walk(loop)):
            return 0
        before, after = [], []
        for stmt in list(loop.body):
            found = _loop_sum(stmt, self.shapes, self.protected)
            if found is None or _touches(loop, found[0], stmt):
                continue
            target, value, reduction = found
            donor = _donor(self.shapes[value.id], bound, self.donors)
            if donor is None:
                continue
            steps = _fresh(target + SUFFIX, self.used)
            zeros = n.assign(steps, n.call(_helper(runtime.zeros_like), n.name(donor)))
            update = gast.AugAssign(target=n.name(steps, store=True), op=gast.Add(), value=n.name(value.id))
            reduction.func.value = n.name(steps)
            total = gast.AugAssign(target=n.name(target, store=True), op=gast.Add(), value=reduction)
            anno.copy_from(update, stmt)
            anno.copy_from(zeros, loop)  # they belong to the loop's source line
            anno.copy_from(total, loop)
            loop.body[loop.body.index(stmt)] = update
            before.append(zeros)
            after.append(total)
        block[index + 1:index + 1] = after
        block[index:index] = before
        return len(before) + len(after)


def _loop_sum(stmt, shapes, protected):
    """(target, value, reduction) of ``target += value.sum(axis=...)`` with
    `value` a name of a known shape, of rank at least 1."""
    if not (
        isinstance(stmt, gast.AugAssign)
        and isinstance(stmt.op, gast.Add)
        and isinstance(stmt.target, gast.Name)
        and stmt.target.id not in protected
    ):
        return None
    call = stmt.value
    if not (
        isinstance(call, gast.Call)
        and isinstance(call.func, gast.Attribute)
        and call.func.attr == "sum"
        and isinstance(call.func.value, gast.Name)
        and not call.args
        and all(keyword.arg in ("axis", "keepdims") for keyword in call.keywords)
    ):
        return None
    value = call.func.value
    if not shapes.get(value.id):
        return None
    return stmt.target.id, value, call


def _touches(loop, name, own):
    """Whether anything in `loop` other than statement `own` reads or binds `name`."""
    mine = {id(node) for node in n.walk(own)}
    return any(
        isinstance(node, gast.Name) and node.id == name and id(node) not in mine
        for node in n.walk(loop)
    )


def _donor(shape, bound, donors):
    """The last primal name bound before the loop with exactly `shape`, if
    any; a name of the user's (``zeros_like(h)``) before a temporary."""
    matching = [name for name in reversed(bound) if donors.get(name) == shape]
    users = [name for name in matching if not name.startswith("_")]
    return (users or matching or [None])[0]


def _fresh(name, used):
    while name in used:
        name += "_"
    used.add(name)
    return name


def _helper(function):
    node = n.name(function.__name__)
    anno.set(node, "inject", function)
    return node

