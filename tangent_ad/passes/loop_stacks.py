"""Give a loop that saves one value per iteration a stack of its own.

The reverse sweep restores overwritten values with ``x = _stack.pop()``. When
a top-level loop of the primal sweep pushes exactly one value per iteration
and its reversed loop pops it before reading or writing that name, the loop
gets its own list, and the reversed loop iterates over it instead of over the
range, binding the restored value as its target::

    _stack1 = []                      _stack = Stack()
    for _ in range(steps):            for _ in range(steps):
        _stack1.append(y)                 _stack.push(y)
        y = y + dt * f(y)                 y = y + dt * f(y)
    ...                        (was)  ...
    for y in reversed(_stack1):       for _ in reversed(range(steps)):
        d_t0 = d_y * dt                   y = _stack.pop()
                                          d_t0 = d_y * dt

No pop call and no range iteration per step: on a loop of float arithmetic
that is a third of the reverse sweep's cost. The shared stack keeps
everything else (a loop's pushes are popped by its own reversed loop and by
nothing else, so taking them off the shared stack leaves its order intact).
The pairing of a primal loop with its reversed loop is the reverse pass's own
(the reversed loop's "primal" annotation); anything not matching the pattern
exactly is left as it was.
"""

import gast

from .. import anno
from .. import naming
from .. import nodes as n


def give_loops_stacks(func):
    """Rewrite `func` (a generated derivative) in place; return it."""
    body = func.body
    by_id = {id(stmt): stmt for stmt in body if isinstance(stmt, (gast.For, gast.While))}
    used = naming.all_names(func)
    count = 0
    for index, stmt in enumerate(body):
        if not (isinstance(stmt, gast.For) and anno.has(stmt, "primal")):
            continue
        primal = by_id.get(anno.get(stmt, "primal"))
        if primal is None:
            continue
        push = _single_push(primal)
        pop = _bindable_pop(stmt, body[index + 1:])
        if push is None or pop is None:
            continue
        count += 1
        while naming.STACK + str(count) in used:
            count += 1
        name = naming.STACK + str(count)
        _rewrite(body, primal, push, stmt, pop, name)
    if not any(naming.is_stack_call(node, "push") for node in n.walk(func)):
        func.body = [stmt for stmt in func.body if not _creates_shared_stack(stmt)]
    if count:
        _drop_unread_counters(func)
    return func


def _is_counter(name):
    prefix = naming.TRIPS.format("")
    return name.startswith(prefix) and name[len(prefix):].isdigit()


def _drop_unread_counters(func):
    """A while loop's trip counter that only counted for its reversed loop,
    which now iterates over its stack: its statements go."""
    reads, own = {}, {}
    for node in n.walk(func):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and _is_counter(node.id):
            reads[node.id] = reads.get(node.id, 0) + 1
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name) and _is_counter(node.targets[0].id):
            name = node.targets[0].id  # ``_trips0 = _trips0 + 1`` reads it for itself
            own[name] = own.get(name, 0) + sum(n.is_name(sub, name) for sub in n.walk(node.value))
    unread = {name for name in own if reads.get(name, 0) == own[name]}
    if not unread:
        return

    def block(stmts):
        for stmt in stmts:
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    setattr(stmt, field, block(getattr(stmt, field)) or [gast.Pass()])
        return [
            stmt for stmt in stmts
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                    and stmt.targets[0].id in unread)
        ]

    func.body = block(func.body)


def _rewrite(body, primal, push, loop, pop, name):
    create = n.with_origin([n.assign(name, gast.List(elts=[], ctx=gast.Load()))], primal)[0]
    anno.set(create, "sweep", anno.get(primal, "sweep"))
    body.insert(body.index(primal), create)
    append = gast.Expr(value=n.call(n.attr(name, "append"), push.value.args[0]))
    anno.copy_from(append, push)
    primal.body[primal.body.index(push)] = append
    loop.body.remove(pop)
    if not loop.body:
        loop.body = [gast.Pass()]
    loop.target = n.copy_node(pop.targets[0])
    loop.iter = n.call(n.name("reversed"), n.name(name))


def _single_push(loop):
    """The loop's one push, when it is a direct statement of the body and
    the loop holds no other push or pop."""
    direct = [stmt for stmt in loop.body if isinstance(stmt, gast.Expr) and naming.is_stack_call(stmt.value, "push")]
    pushes = [node for node in n.walk(loop) if naming.is_stack_call(node, "push")]
    pops = [node for node in n.walk(loop) if naming.is_stack_call(node, "pop")]
    if len(direct) == 1 and len(pushes) == 1 and not pops and not loop.orelse:
        return direct[0]
    return None


def _bindable_pop(loop, after):
    """The reversed loop's one pop ``x = _stack.pop()``, when `x` may be
    bound by the loop header instead: nothing before the pop in the body
    reads or writes `x`, and the loop's own target is read nowhere."""
    pops = [
        stmt for stmt in loop.body
        if isinstance(stmt, gast.Assign) and naming.is_stack_call(stmt.value, "pop")
    ]
    all_pops = [node for node in n.walk(loop) if naming.is_stack_call(node, "pop")]
    pushes = [node for node in n.walk(loop) if naming.is_stack_call(node, "push")]
    if len(pops) != 1 or len(all_pops) != 1 or pushes or loop.orelse:
        return None
    pop = pops[0]
    if not (len(pop.targets) == 1 and isinstance(pop.targets[0], gast.Name)):
        return None
    restored = pop.targets[0].id
    before = loop.body[:loop.body.index(pop)]
    if any(isinstance(node, gast.Name) and node.id == restored for stmt in before for node in n.walk(stmt)):
        return None
    if not isinstance(loop.target, gast.Name):
        return None
    counter = loop.target.id
    readers = loop.body + list(after)
    if any(
        isinstance(node, gast.Name) and node.id == counter and not isinstance(node.ctx, gast.Store)
        for stmt in readers for node in n.walk(stmt)
    ):
        return None
    return pop


def _creates_shared_stack(stmt):
    return (
        isinstance(stmt, gast.Assign)
        and isinstance(stmt.targets[0], gast.Name)
        and stmt.targets[0].id == naming.STACK
    )
