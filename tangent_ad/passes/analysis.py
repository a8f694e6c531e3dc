"""Analyses of the A-normal form: activity, scalar kinds, aliasing, saving.

* `activity`: a name is *active* when it is varied (depends differentiably on
  a `wrt` argument) and useful (the output depends differentiably on it).
  Only active names get adjoints.
* `scalar_names`: names whose every definition is a shape-() value (Python or
  NumPy scalar); broadcasting never reduces them, which lets the generator
  drop `unbroadcast` calls and keep scalar code plain arithmetic.
* `check_index_assignments`: an index assignment ``u[i] = v`` must write into
  an array the function created itself and that no other live name may view;
  anything else raises `AliasingError` instead of risking a wrong gradient.
* `plan_saves`: which assignments overwrite a value that the reverse sweep
  will still read. Reads are attached by the reverse generator to primal
  positions; a forward "reverse-read since last definition" analysis marks an
  assignment for saving only when the value it kills may be read afterwards
  (in reverse order). Loop targets are restored by the reversed loop header.
"""

import random
import types

import gast
import numpy

from .. import anno, containers
from .. import nodes as n
from ..errors import AliasingError, UnsupportedConstructError
from ..rules import registry
from ..source import library_number, static_value
from .comprehensions import NEW_LIST
from .dataflow import Forward, all_statements, defined_names, liveness

VALUE, LIKE = "value", "like"


# -- what a simple statement reads differentiably -------------------------


def differentiable_inputs(value):
    """Names in a simple expression through which derivatives may flow."""
    if isinstance(value, gast.Name):
        return [value.id]
    if isinstance(value, gast.BinOp):
        if registry.binop_key(value.op) in registry.NONDIFFERENTIABLE:
            return []
        return _names(value.left, value.right)
    if isinstance(value, gast.UnaryOp):
        return _names(value.operand) if isinstance(value.op, gast.USub) else []
    if isinstance(value, gast.BoolOp):
        return _names(*value.values)  # `x or y` is one of its operands
    if isinstance(value, (gast.Compare, gast.Constant, gast.JoinedStr)):
        return []
    if isinstance(value, gast.Subscript):
        return _names(value.value)
    if isinstance(value, gast.Attribute):
        # x.shape and friends carry no derivative; any other attribute might
        # (x.T, model.W): the generator differentiates it or refuses it
        key = ("attr", value.attr)
        return [] if key in registry.NONDIFFERENTIABLE else _names(value.value)
    if isinstance(value, (gast.Tuple, gast.List)):
        return _names(*value.elts)
    if isinstance(value, gast.Dict):
        return _names(*value.values)
    if isinstance(value, gast.Call):
        return _call_inputs(value)
    return []


def _call_inputs(call):
    key = registry.call_key(call)
    if key is None:  # a function known only at run time: it may hold a differentiated value
        return _names(call.func, *call.args, *[k.value for k in call.keywords])
    if key in registry.NONDIFFERENTIABLE:
        return []
    template = registry.ADJOINTS.get(key)
    args = list(call.args)
    if isinstance(key, tuple) and key[0] == "method":
        args = [call.func.value] + args
    if template is None:
        return _names(*args, *[k.value for k in call.keywords])
    try:
        bound = template.bind(args, {k.arg: k.value for k in call.keywords})
    except Exception:
        return _names(*args, *[k.value for k in call.keywords])
    diff = registry.differentiable_params(template)
    return _names(*[node for param, node in bound.items() if param in diff])


def _names(*nodes):
    out = []
    for node in nodes:
        if isinstance(node, gast.Name):
            out.append(node.id)
        elif isinstance(node, (gast.Tuple, gast.List)):
            out.extend(_names(*node.elts))
    return out


# -- activity -----------------------------------------------------------------


def _edges(body, integers=frozenset()):
    """(target, [differentiable input names]) for every assignment. A write
    into an array of `integers` truncates what it writes: no input."""
    edges = []
    for stmt in all_statements(body):
        if not isinstance(stmt, gast.Assign):
            continue
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            edges.append((target.id, differentiable_inputs(stmt.value)))
        elif target.value.id in integers:  # u[i] = v into an integer array
            edges.append((target.value.id, [target.value.id]))
        else:  # u[i] = v: the new u depends on v and on the old u
            base = target.value.id
            edges.append((base, _names(stmt.value) + [base]))
    return edges


def integer_arrays(func, kinds=()):
    """Names every binding of which holds integers or booleans: arguments
    whose specialisation says so, integer casts and creations
    (``np.zeros(2, dtype=int)``, ``x.astype(int)``, ``np.arange(3)``), and
    integer arithmetic, copies and items of those. Writing a value into one
    truncates it: piecewise constant, no derivative."""
    from .shapes import argument_dtypes

    integers = {name for name, dtype in argument_dtypes(kinds).items() if dtype.kind in "biu"}
    bindings = {}
    for stmt in all_statements(func.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            bindings.setdefault(stmt.targets[0].id, []).append(stmt.value)
        elif isinstance(stmt, gast.For):
            bindings.setdefault(stmt.target.id, []).append(None)
    params = {a.id for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs}
    grown = True
    while grown:
        before = len(integers)
        for name, values in bindings.items():
            if name not in integers and name not in params and all(
                _integer_valued(value, integers) for value in values
            ):
                integers.add(name)
        grown = len(integers) > before
    return integers


def floating(func, active, integers=frozenset()):
    """The `active` names (on the path from the inputs to the output, so
    computed from floats) that nothing binds to another kind of value: a
    cast (``x.astype(bool)``, ``np.asarray(x, dtype=int)``), a comparison
    (``s = s > 0``), a call without a derivative (``np.argmax``), an array of
    `integers` -- nor a copy of one of those."""
    other, copies = set(integers), []
    for stmt in all_statements(func.body):
        if not isinstance(stmt, gast.Assign):
            continue
        value, targets = stmt.value, n.store_names(stmt.targets[0])
        if isinstance(value, gast.Name):
            copies.append((value.id, targets))
        elif _not_surely_float(value):
            other.update(targets)
    grown = True
    while grown:  # `m = _t3` of a cast `_t3 = x.astype(bool)`
        before = len(other)
        for source, targets in copies:
            if source in other:
                other.update(targets)
        grown = len(other) > before
    return set(active) - other


def _not_surely_float(value):
    """Whether an assigned `value` may be something other than floats even
    when its operands are floats: a cast, a comparison or boolean operation,
    a call without a derivative (``np.argmax(x)``, ``len(x)``)."""
    if isinstance(value, (gast.Compare, gast.BoolOp)):
        return True
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.Not, gast.Invert)):
        return True
    if isinstance(value, gast.Call):
        if any(kw.arg == "dtype" for kw in value.keywords):
            return True
        if isinstance(value.func, gast.Attribute) and value.func.attr in ("astype", "view"):
            return True
        return registry.call_key(value) in registry.NONDIFFERENTIABLE
    return False


def _integer_valued(value, integers):
    import numpy

    def integer_type(node):
        return (registry.dtype_kind(node) or "f") in "biu"

    def atom(node):
        if isinstance(node, gast.Constant):
            return isinstance(node.value, int)
        return isinstance(node, gast.Name) and node.id in integers

    if value is None:
        return False
    if isinstance(value, gast.Name):
        return value.id in integers
    if isinstance(value, gast.Subscript):
        return isinstance(value.value, gast.Name) and value.value.id in integers
    if isinstance(value, gast.UnaryOp):
        return atom(value.operand)
    if isinstance(value, gast.BinOp):
        integer_ops = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)
        return isinstance(value.op, integer_ops) and atom(value.left) and atom(value.right)
    if isinstance(value, gast.Call):
        dtype = [kw.value for kw in value.keywords if kw.arg == "dtype"]
        if dtype:
            return integer_type(dtype[0])
        func = value.func
        if isinstance(func, gast.Attribute) and func.attr == "astype" and value.args:
            return integer_type(value.args[0])
        if isinstance(func, gast.Attribute) and func.attr == "copy" and not value.args:
            return atom(func.value)
        callee = static_value(func)
        if callee in (numpy.zeros, numpy.ones, numpy.empty, numpy.full) and len(value.args) >= 2:
            return integer_type(value.args[-1]) if callee is not numpy.full else (
                len(value.args) >= 3 and integer_type(value.args[2]))
        if callee in (numpy.zeros_like, numpy.ones_like, numpy.empty_like, numpy.copy):
            return bool(value.args) and atom(value.args[0])
        if callee is numpy.arange:
            return bool(value.args) and all(atom(arg) for arg in value.args)
    return False


def activity(func, wrt_names, output, integers=frozenset()):
    """The set of active names: varied from `wrt_names` and useful to
    `output`; nothing written into an array of `integers` counts."""
    edges = _edges(func.body, integers)
    varied = varied_names(func, wrt_names, edges)
    useful = {output}
    changed = True
    while changed:
        changed = False
        # usefulness flows backwards: one sweep (and one to confirm) for straight-line code
        for target, inputs in reversed(edges):
            if target in useful:
                for name in inputs:
                    if name not in useful:
                        useful.add(name)
                        changed = True
    return varied & useful


def varied_names(func, wrt_names, edges=None, integers=frozenset()):
    """Names that depend differentiably on the `wrt` arguments."""
    edges = _edges(func.body, integers) if edges is None else edges
    varied = set(wrt_names)
    changed = True
    while changed:
        changed = False
        for target, inputs in edges:
            if target not in varied and any(i in varied for i in inputs):
                varied.add(target)
                changed = True
    return varied


# -- scalar kinds -------------------------------------------------------------


def scalar_names(func, scalar_args):
    """Names that certainly hold a shape-() value (Python/NumPy scalar)."""
    defs = {}
    for stmt in all_statements(func.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            defs.setdefault(stmt.targets[0].id, []).append(stmt.value)
        elif isinstance(stmt, gast.Assign):
            defs.setdefault(stmt.targets[0].value.id, []).append(None)
        elif isinstance(stmt, gast.For):
            defs.setdefault(stmt.target.id, []).append(n.const(0))
    args = {a.id for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs}
    scalars = set(scalar_args) | {name for name in defs if name not in args}
    shape_tuples = {
        name for name, values in defs.items()
        if values and all(_is_shape_tuple(v) for v in values)
    }
    changed = True
    while changed:
        changed = False
        for name in sorted(scalars):
            if name in args and name not in scalar_args:
                continue
            if not all(_is_scalar_expr(v, scalars, shape_tuples) for v in defs.get(name, [])):
                scalars.discard(name)
                changed = True
    return scalars - (args - set(scalar_args))


def _is_shape_tuple(value):
    """`x.shape` or `np.shape(x)`: a tuple of ints."""
    if isinstance(value, gast.Attribute):
        return value.attr == "shape"
    if isinstance(value, gast.Call):
        import numpy

        return registry.call_key(value) is numpy.shape
    return False


def _is_scalar_expr(value, scalars, shape_tuples=frozenset()):
    if value is None:
        return False
    if isinstance(value, gast.Subscript):
        # x.shape[0]: an int
        return (
            isinstance(value.value, gast.Name)
            and value.value.id in shape_tuples
            and isinstance(value.slice, (gast.Constant, gast.Name))
        )
    if isinstance(value, gast.Attribute) and value.attr in ("ndim", "size"):
        return True
    if isinstance(value, gast.Constant):
        return isinstance(value.value, (int, float, complex, bool))
    if isinstance(value, gast.Name):
        return value.id in scalars
    if isinstance(value, gast.BinOp):
        return _is_scalar_expr(value.left, scalars) and _is_scalar_expr(value.right, scalars)
    if isinstance(value, gast.UnaryOp):
        return _is_scalar_expr(value.operand, scalars)
    if isinstance(value, (gast.Compare, gast.BoolOp)):
        parts = [value.left] + value.comparators if isinstance(value, gast.Compare) else value.values
        return all(_is_scalar_expr(p, scalars) for p in parts)
    if isinstance(value, gast.Call):
        key = registry.call_key(value)
        kind = registry.SCALAR_RESULT.get(key) if key is not None else None
        if kind == "always":
            return True
        if kind == "if-args":
            return all(_is_scalar_expr(a, scalars) for a in value.args)
        if kind == "full-reduction":
            positional = 0 if isinstance(key, tuple) else 1
            return not value.keywords and len(value.args) <= positional
        return False
    if isinstance(value, gast.Attribute):
        return library_number(value)
    return False


def _is_static(node):
    from ..source import is_resolved

    return is_resolved(static_value(node))


# -- index assignment and aliasing -----------------------------------------


def _refuse_out_arguments(src, func):
    """A call given an array to write into (``out=``, or `out` by position:
    ``np.floor(y, c)``) writes in place where no assignment shows it, also
    when its result carries no derivative: refused wherever it is."""
    for stmt in all_statements(func.body):
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            parts = [getattr(stmt, field) for field in ("test", "iter") if hasattr(stmt, field)]
        else:  # a compound statement's body comes statement by statement
            parts = [stmt]
        for part in parts:
            for node in n.walk(part):
                if isinstance(node, gast.Call) and registry.passes_out(node):
                    raise UnsupportedConstructError(
                        "out= argument", src.location(stmt), "assign the result instead"
                    )


def check_index_assignments(src, func, scalars=frozenset(), containers=frozenset()):
    """Refuse in-place writes through names that may share memory.

    Index assignment ``u[i] = v`` and augmented assignment ``u += v`` (which
    NumPy performs in place on arrays) must write into memory the function
    owns: every binding of `u` creates a new object (arithmetic, a copy, a
    constant), the caller's argument cannot reach the write, and no other
    name that may view `u` is read afterwards. Otherwise `AliasingError`
    (deferred for augmented assignments, which are safe on scalars).
    """
    _refuse_out_arguments(src, func)
    args = {a.id for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs}
    from ..source import local_names

    bound = local_names(func)
    held = only_containers(func.body, containers)
    defs = {}
    for stmt in all_statements(func.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            defs.setdefault(stmt.targets[0].id, []).append(stmt)
    assigned = _DefinitelyAssigned()
    assigned.run(func.body, frozenset())
    live_after = graph = order = None
    for stmt in all_statements(func.body):
        if not isinstance(stmt, gast.Assign):
            continue
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            base, what, deferrable = target.value.id, "index assignment into", False
        elif anno.get(stmt, "augmented") and target.id not in scalars:
            base, what, deferrable = target.id, "augmented assignment (in place on arrays) to", True
        else:
            continue
        location = src.location(stmt)
        user = src.user_name(base)  # as the user wrote it
        if base not in bound:
            _refuse(
                f"{what} `{user}`, which the function does not bind (a global or a closure's variable)",
                location,
                f"other names may view its memory, and the caller's `{user}` would change: work on "
                f"a copy bound in the function (`{user}_ = {user}.copy()`)",
                False,
            )
        if anno.get(stmt, "augmented_item") and base in held and not (
            isinstance(stmt.value, gast.Name) and stmt.value.id in scalars
        ):
            _refuse(
                f"augmented assignment to an item of the list or dict `{user}`", location,
                f"Python updates the array it holds in place, and every other name for that array "
                f"with it; write `{user}[...] = {user}[...] + ...` for a new array",
                False,
            )
        if base in args and base not in assigned.fact_in.get(id(stmt), frozenset()):
            _refuse(
                f"{what} the argument `{user}`", location,
                f"it would change the caller's array; work on a copy: `{user}_ = {user}.copy()`",
                deferrable,
            )
        if order is None:
            order = _Order(func.body)
            graph = _alias_graph(func.body)
            flow = _BindingsInEffect(func.body, graph)
        for definition in defs.get(base, []):
            if definition is stmt or not flow.may_reach(definition, stmt, order):
                continue  # (a binding that cannot run before this write, or rebound since)
            if not _creates_new_object(_through_split(definition.value, defs)):
                _refuse(
                    f"{what} `{user}`, which may share memory with another array", location,
                    f"`{user}` is bound at line {anno.get(definition, 'lineno')} to a value that "
                    f"may be a view or alias; make it a copy there (e.g. `.copy()`)",
                    deferrable,
                )
        if isinstance(target, gast.Subscript) and isinstance(stmt.value, gast.Name):
            value = stmt.value.id
            if graph is None:
                graph = _alias_graph(func.body)
            views = {alias for alias, _ in flow.aliases(base, stmt, graph, order)}
            if (value == base or value in views) and not _copies_as_if_buffered(
                target.slice, value, base, defs, scalars
            ):
                _refuse(
                    f"{what} `{user}` of a value that may view `{user}` itself", location,
                    "NumPy copies such overlapping elements one by one, reading some it has "
                    "already written; copy the value first (`.copy()`)",
                    deferrable,
                )
        if live_after is None:
            live_after = liveness(func.body)
        live = live_after.get(id(stmt), frozenset())
        if graph is None:
            graph = _alias_graph(func.body)
        for alias, where in flow.aliases(base, stmt, graph, order):
            if alias in live:
                alias = src.user_name(alias)
                shown = f"`{alias}`" if not alias.startswith("_") else f"a value taken from `{user}`"
                _refuse(
                    f"{what} `{user}` while {shown} (line {where}) may view the same memory",
                    location,
                    "it is read after this write; copy it (`.copy()`) or read it before writing",
                    deferrable,
                )


def _copies_as_if_buffered(index, value, base, defs, scalars=frozenset()):
    """Whether ``base[index] = value``, with `value` sharing base's memory,
    gives what a copy of `value` first would. NumPy copies the source first
    where the strides of a 1-D write point opposite ways or the target has
    more axes, and otherwise copies in the order that is right for equal
    strides (``u[1:] = u[:-1]``); with unequal ones (``y[::2] = y[:3]``) or a
    mask it reads elements it has already written. An index array copies
    the source first too. So: the index is a list of integers
    (``y[[3, 2, 1, 0]] = y``), `value` is `base` written back reversed or
    whole (``y[::-1] = y``), or a part of `base` written into a part taken
    the same way: a number at the same axes (``y[i] = y[i - 1]``: the same
    element or row, or another) and elsewhere slices of the same steps or of
    steps of opposite signs (``c[:] = c[::-1]``)."""
    written = index.elts if isinstance(index, gast.Tuple) else [index]

    def integers(part):  # a list display of ints, maybe bound to a name first
        if isinstance(part, gast.Name) and len(defs.get(part.id, [])) == 1:
            part = defs[part.id][0].value
        return isinstance(part, gast.List) and bool(part.elts) and all(
            isinstance(e, gast.Constant) and type(e.value) is int for e in part.elts)

    if any(integers(part) for part in written):
        return True
    if value == base:
        return isinstance(index, gast.Slice) and _step(index) in (1, -1)
    found = defs.get(value, [])
    if len(found) != 1 or not isinstance(found[0].value, gast.Subscript):
        return False
    read = found[0].value
    if not (isinstance(read.value, gast.Name) and read.value.id == base):
        return False
    taken = read.slice.elts if isinstance(read.slice, gast.Tuple) else [read.slice]
    def number(part):
        return (isinstance(part, gast.Constant) and type(part.value) is int) or (
            isinstance(part, gast.Name) and part.id in scalars)

    def congruent(w, t):
        if number(w) and number(t):
            return True
        if not (isinstance(w, gast.Slice) and isinstance(t, gast.Slice)):
            return False
        steps = _step(w), _step(t)
        # equal steps, or opposite directions (NumPy copies the source first)
        return None not in steps and (steps[0] == steps[1] or steps[0] * steps[1] < 0)

    return len(written) == len(taken) and all(congruent(w, t) for w, t in zip(written, taken))


def _step(part):
    """A slice's step as a number (1 when left out), None when not a constant."""
    if part.step is None:
        return 1
    step = part.step
    if isinstance(step, gast.UnaryOp) and isinstance(step.op, gast.USub) and isinstance(step.operand, gast.Constant):
        return -step.operand.value
    return step.value if isinstance(step, gast.Constant) else None


def _through_split(value, defs):
    """`x = _t3` where A-normal form split `_t3 = x.copy()` off: the copy."""
    if isinstance(value, gast.Name):
        found = defs.get(value.id, [])
        if len(found) == 1 and anno.has(found[0], "split_for"):
            return found[0].value
    return value


def _refuse(construct, location, hint, deferrable):
    err = AliasingError(construct, location, hint)
    err.deferrable = deferrable
    raise err


def _creates_new_object(value):
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.List, gast.Dict, gast.Tuple, gast.Constant)):
        return True
    if isinstance(value, gast.Call):
        # by its arguments too: `np.array(c, copy=False)` may be `c` itself
        # (dict(p), a comprehension's list_append: a new dict or list, whose
        # items a store replaces, never writes into)
        return (
            registry.fresh_call(value) or _makes_container(value)
            or static_value(value.func) is containers.list_append
        )
    return isinstance(value, gast.ListComp) or anno.get(value, NEW_LIST, False)


def _cannot_alias(value):
    """Values that never share memory with their operands (numbers, shapes)."""
    if isinstance(value, (gast.Compare, gast.Constant)):
        return True
    if isinstance(value, gast.Call):
        key = registry.call_key(value)
        if registry.may_return_argument(value, key):  # `np.floor(y, c)` is `c`
            return False
        return key in registry.NONDIFFERENTIABLE or registry.SCALAR_RESULT.get(key) == "always"
    if isinstance(value, gast.Attribute):
        return ("attr", value.attr) in registry.NONDIFFERENTIABLE
    return False


def container_names(body):
    """Names bound (anywhere) to a list or dict: a display, a comprehension,
    ``list(...)`` or ``dict(...)``."""
    names = set()
    for stmt in all_statements(body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            if _makes_container(stmt.value):
                names.add(stmt.targets[0].id)
    return names


def _makes_container(value):
    return isinstance(value, (gast.List, gast.Dict, gast.ListComp)) or (
        isinstance(value, gast.Call) and static_value(value.func) in (list, dict)
    )


def only_containers(body, arguments=frozenset()):
    """Names that hold a list or dict wherever they are bound: `arguments`
    (containers passed in) and `container_names`, less any name also bound
    to something else (``h = []`` ... ``h = np.stack(h)``)."""
    names = container_names(body) | set(arguments)
    for stmt in all_statements(body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            if not _makes_container(stmt.value):
                names.discard(stmt.targets[0].id)
        elif isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name):
            names.discard(stmt.target.id)
    return names


def _alias_closure_lines(base, body, graph=None, before=None, holds=None):
    """(name, line) for every name that may view `base`, directly or not;
    `graph` is `_alias_graph(body)`, when already made. With `before` (a
    `_Order` and a statement), only what statements that may run before that
    one make (``d['b'] = out`` after ``out[0] = v`` lends nothing to it);
    with `holds(maker, alias, source)`, only the views it says hold."""
    graph = _alias_graph(body) if graph is None else graph
    found, frontier, out = set(), [base], []
    while frontier:
        current = frontier.pop()
        for alias, line, maker in graph.get(current, ()):
            if before is not None and not before[0].may_precede(maker, before[1]):
                continue
            if holds is not None and not holds(maker, alias, current):
                continue
            if alias not in found and alias != base:
                found.add(alias)
                frontier.append(alias)
                out.append((alias, line))
    return out


class _BindingsInEffect(Forward):
    """Which bindings, and which views of one name by another, are still in
    effect at each statement. A binding of `x` ends at the next one. A view
    ``v = u[1:]`` (or ``d['k'] = u``) ends when one of its names is bound
    again, where nothing is lost by it: ``u_prev = u; u = u_next`` at the end
    of a loop body lends nothing to the fresh ``u_next = np.zeros_like(u)``
    of the next iteration. When the name rebound both views another and is
    viewed (``w = v[1:]`` of ``v = u[1:]``, then ``v = ...``), its views stay
    (w still views u's memory through the old v). An update in place (``x +=
    v``) ends nothing. Where the function jumps (break, continue, a return
    before its end), which the solver does not follow, every statement that
    may run before counts (`_Order`)."""

    def __init__(self, body, graph):
        self.fact_in = {}
        self.jumps = any(  # (a return before the end jumps too)
            isinstance(stmt, (gast.Break, gast.Continue)) or (isinstance(stmt, gast.Return) and stmt is not body[-1])
            for stmt in all_statements(body)
        )
        self.binders = {}  # id(stmt) -> the name it binds
        for stmt in all_statements(body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                if not anno.get(stmt, "augmented"):
                    self.binders[id(stmt)] = stmt.targets[0].id
            elif isinstance(stmt, gast.For):
                self.binders[id(stmt)] = stmt.target.id
        self.views = {}  # id(stmt) -> {(alias, source)}: the views it makes
        for source, edges in graph.items():
            for alias, _, maker in edges:
                self.views.setdefault(id(maker), set()).add((alias, source))
        if not self.jumps:
            self.run(body)

    def _bind(self, fact, name, stmt):
        views = [item for item in fact if item[0] == "view"]
        viewed = any(source == name for _, _, _, source in views)
        viewing = any(alias == name for _, _, alias, _ in views)
        ends = not (viewed and viewing)
        kept = frozenset(
            item for item in fact
            if not (item[0] == "def" and self.binders.get(item[1]) == name)
            and not (item[0] == "view" and ends and name in item[2:])
        )
        return kept | {("def", id(stmt))}

    def step(self, stmt, fact):
        if id(stmt) in self.binders:
            fact = self._bind(fact, self.binders[id(stmt)], stmt)
        made = self.views.get(id(stmt), ())
        return fact | {("view", id(stmt), alias, source) for alias, source in made}

    def loop_header(self, loop, fact):
        return self._bind(fact, loop.target.id, loop) if isinstance(loop, gast.For) else fact

    def on_stmt(self, stmt, fact):
        self.fact_in[id(stmt)] = fact

    def may_reach(self, definition, stmt, order):
        """Whether `definition` may be the binding its name holds at `stmt`."""
        if self.jumps:
            return order.may_precede(definition, stmt)
        return ("def", id(definition)) in self.fact_in.get(id(stmt), frozenset())

    def aliases(self, base, stmt, graph, order):
        """(name, line) for every name that may view `base` at `stmt`,
        directly or not, through the views in effect there."""
        if self.jumps:
            return _alias_closure_lines(base, None, graph, (order, stmt))
        in_effect = self.fact_in.get(id(stmt), frozenset())
        return _alias_closure_lines(
            base, None, graph,
            holds=lambda maker, alias, source: ("view", id(maker), alias, source) in in_effect,
        )


class _Order:
    """Which statements of a body may run before which: earlier in the
    source, or in a loop around both (a later iteration)."""

    def __init__(self, body):
        self.position, self.loops = {}, {}

        def visit(stmts, loops):
            for stmt in stmts:
                self.position[id(stmt)] = len(self.position)
                self.loops[id(stmt)] = loops
                inner = loops | {id(stmt)} if isinstance(stmt, (gast.For, gast.While)) else loops
                for field in ("body", "orelse"):
                    visit(getattr(stmt, field, None) or [], inner)

        visit(body, frozenset())

    def may_precede(self, first, second):
        return self.position[id(first)] < self.position[id(second)] or bool(
            self.loops[id(first)] & self.loops[id(second)])


def _alias_graph(body):
    """{name: [(alias, line, statement)]}: the names that may refer to (part
    of) each name's memory, with the line and statement that makes them --
    what is bound to a view of it, and a list or dict it is stored into
    (``d['k'] = base``: the container holds the array itself) -- in one
    walk of `body`."""
    graph = {}
    containers = container_names(body)
    for stmt in all_statements(body):
        if not isinstance(stmt, gast.Assign):
            continue
        target = stmt.targets[0]
        line = anno.get(stmt, "lineno")
        if isinstance(target, gast.Subscript):
            if (
                isinstance(target.value, gast.Name)
                and target.value.id in containers
                and not _creates_new_object(stmt.value)
            ):
                for name in set(n.load_names(stmt.value)):
                    graph.setdefault(name, []).append((target.value.id, line, stmt))
            continue
        value = stmt.value
        holds = isinstance(value, (gast.List, gast.Tuple, gast.Dict))
        if (holds or not _creates_new_object(value)) and not _cannot_alias(value):
            for name in set(n.load_names(value)):
                if name != target.id:
                    graph.setdefault(name, []).append((target.id, line, stmt))
    return graph


# -- what to save for the reverse sweep ------------------------------------


class _ReverseReads(Forward):
    """Names read by the reverse sweep since their last (re)definition."""

    def __init__(self, reads_before, reads_after):
        self.reads_before = reads_before
        self.reads_after = reads_after
        self.fact_in = {}

    def before(self, stmt, fact):
        return fact | self.reads_before.get(id(stmt), frozenset())

    def on_stmt(self, stmt, fact):
        self.fact_in[id(stmt)] = fact

    def loop_header(self, loop, fact):
        if isinstance(loop, gast.For):
            return fact - {loop.target.id}
        return fact

    def after_compound(self, stmt, fact):
        return fact | self.reads_after.get(id(stmt), frozenset())

    def step(self, stmt, fact):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            fact = fact - {stmt.targets[0].id}
        return fact | self.reads_after.get(id(stmt), frozenset())


class _DefinitelyAssigned(Forward):
    """Names certainly bound just before (`fact_in`) and after (`fact_out`)
    each statement."""

    must = True

    def __init__(self):
        self.fact_in = {}
        self.fact_out = {}

    def on_stmt(self, stmt, fact):
        self.fact_in[id(stmt)] = fact

    def loop_header(self, loop, fact):
        if isinstance(loop, gast.For):
            return fact | {loop.target.id}
        return fact

    def after_compound(self, stmt, fact):
        self.fact_out[id(stmt)] = fact  # the last call is the recording one
        return fact

    def step(self, stmt, fact):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            fact = fact | {stmt.targets[0].id}
        self.fact_out[id(stmt)] = fact
        return fact


class _PossiblyAssigned(_DefinitelyAssigned):
    """Names bound on some path to each statement."""

    must = False


def possibly_assigned(func):
    """{id(stmt): names that may be bound just before it} (arguments included)."""
    args = frozenset(a.id for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs)
    assigned = _PossiblyAssigned()
    assigned.run(func.body, args)
    return assigned.fact_in


def definitely_assigned(func):
    """{id(stmt): names certainly bound just before it} (arguments included)."""
    args = frozenset(a.id for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs)
    assigned = _DefinitelyAssigned()
    assigned.run(func.body, args)
    return assigned.fact_in


def _read_unbound(func, assigned, exit_fact, reads_before, reads_after, entry_reads):
    """Locals the reverse sweep reads at a primal position where they may be
    unbound: a name bound only in a loop's branch that never ran, read (for
    its adjoint's zeros, `zeros_like(a)`) before the reversed loop."""
    local = set()
    for stmt in all_statements(func.body):
        local |= defined_names(stmt)
        if isinstance(stmt, gast.For):
            local.add(stmt.target.id)
    found = set(entry_reads) - exit_fact
    for stmt in all_statements(func.body):
        found |= set(reads_before.get(id(stmt), ())) - assigned.fact_in.get(id(stmt), frozenset())
        found |= set(reads_after.get(id(stmt), ())) - assigned.fact_out.get(id(stmt), frozenset())
    return found & local


def plan_saves(func, reads_before, reads_after, content_reads, entry_reads, containers=frozenset()):
    """Decide which statements save values for the reverse sweep.

    `reads_before`/`reads_after` map id(stmt) to the names the reverse sweep
    reads at that primal position; `content_reads` (same keys) to the names
    whose array *contents* it reads there; `entry_reads` are read at entry;
    `containers` hold lists or dicts wherever bound (a store into one
    replaces an item: what was read from it before is left as it was).

    Returns (saves, restore_elements, uninitialized, mutated):
      saves: {id(stmt): name} -- assignments / loops that must save `name`;
      restore_elements: {id(stmt)} -- index assignments that save elements;
      uninitialized: names saved, or read by the reverse sweep (as a
        zero's shape donor, say), where they may not be bound yet;
      mutated: [(stmt, name)] -- calls whose result is discarded
        (``c.sort()``, ``np.copyto(c, v)``) that may write into `name`,
        whose contents the reverse sweep reads afterwards.
    """
    reads = _ReverseReads(reads_before, reads_after)
    reads.run(func.body, frozenset(entry_reads))
    contents = _ReverseReads({}, content_reads)
    contents.run(func.body, frozenset())
    args = frozenset(a.id for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs)
    assigned = _DefinitelyAssigned()
    exit_fact = assigned.run(func.body, args)
    saves, elements, uninitialized, mutated = {}, set(), set(), []
    uninitialized.update(_read_unbound(func, assigned, exit_fact, reads_before, reads_after, entry_reads))
    invariant = _loop_invariant_definitions(func.body)
    edges = _sharing_edges(func.body)
    for stmt in all_statements(func.body):
        if id(stmt) in invariant:
            continue  # every execution assigns the same value again
        fact = reads.fact_in.get(id(stmt), frozenset())
        name = None
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                name = target.id
            else:
                base = target.value.id
                read = contents.fact_in.get(id(stmt), frozenset())
                if base in containers:  # the item, if the sweep reads it through the container
                    if base in read:
                        elements.add(id(stmt))
                elif _sharing(base, func.body, edges) & read:
                    elements.add(id(stmt))
        elif isinstance(stmt, gast.For):
            name = stmt.target.id
        elif isinstance(stmt, gast.Expr):
            read = contents.fact_in.get(id(stmt), frozenset())
            for operand in call_operands(stmt.value):
                if _sharing(operand, func.body, edges) & read:
                    mutated.append((stmt, operand))
        if name is not None and name in fact:
            saves[id(stmt)] = name
            if name not in assigned.fact_in.get(id(stmt), frozenset()):
                uninitialized.add(name)
    # A For whose target is not bound before the loop needs no save.
    for stmt in all_statements(func.body):
        if isinstance(stmt, gast.For) and id(stmt) in saves:
            if stmt.target.id in uninitialized and stmt.target.id not in _assigned_elsewhere(
                func.body, stmt
            ):
                del saves[id(stmt)]
                uninitialized.discard(stmt.target.id)
    return saves, elements, uninitialized, mutated


def check_data_attribute(src, stmt, obj, attr):
    """Refuse reading `attr` of the object argument `obj` when its class makes
    it a computed value (a property, another descriptor): the gradient with
    respect to an object is keyed by its data attributes, and a property's
    value is none of them."""
    import inspect

    cls = getattr(src, "object_kinds", {}).get(obj)
    if cls is None:
        return
    found = inspect.getattr_static(cls, attr, None)
    data = (types.FunctionType, types.MemberDescriptorType)  # methods are inlined; slots hold data
    if found is not None and hasattr(type(found), "__get__") and not isinstance(found, data):
        raise UnsupportedConstructError(
            f"{type(found).__name__} .{attr} of a differentiated object",
            src.location(stmt),
            "read the attributes it is computed from (or pass them as arguments)",
        )


# Methods and functions that change their object (or first argument) in
# place and return None.
_IN_PLACE_METHODS = frozenset({
    "sort", "fill", "put", "partition", "resize", "itemset", "setfield", "setflags",
    "append", "extend", "insert", "remove", "reverse", "clear", "update", "shuffle",
})
_IN_PLACE_FUNCTIONS = frozenset({
    numpy.copyto, numpy.put, numpy.place, numpy.putmask, numpy.put_along_axis,
    numpy.fill_diagonal, numpy.random.shuffle, random.shuffle,
})


def changes_in_place(call):
    """Whether `call` changes its object or an argument in place, returning
    None (``y.sort()``, ``np.copyto(y, v)``): its result, if kept, is None."""
    if not isinstance(call, gast.Call):
        return False
    func = call.func
    if isinstance(func, gast.Attribute) and func.attr in _IN_PLACE_METHODS:
        return not isinstance(static_value(func.value), types.ModuleType) or func.attr == "shuffle"
    return static_value(func) in _IN_PLACE_FUNCTIONS


def describe_call(call):
    """A short name for the callee of `call` (``np.copyto``, ``y.sort``)."""
    func = call.func
    parts = []
    while isinstance(func, gast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, gast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts)) or "call"


def discarded_call_construct(call):
    """How a refusal names a call whose result is not used, on differentiated values."""
    if changes_in_place(call):
        return f"{describe_call(call)}(), a change in place, on differentiated values"
    return "a call whose result is discarded, on differentiated values"


def check_sequence_arithmetic(src, func, containers, varied):
    """Refuse ``+`` and ``*`` on lists and tuples of differentiated values
    (``hs + [h]``, ``items * 2``, a list argument ``xs + ys``): their
    adjoints are those of concatenation and repetition, not of arithmetic.
    The spelled-out forms (``[x] * 3``, ``[a] + [b]``) never get here
    (`desugar`). Sequences: names bound to a list or tuple display or
    comprehension, `containers` (list and tuple arguments), and what
    ``+``, ``*`` or a copy makes of them."""
    sequences = set(containers)
    assigns = [
        stmt for stmt in all_statements(func.body)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
    ]
    grown = True
    while grown:
        before = len(sequences)
        for stmt in assigns:
            value = stmt.value
            if isinstance(value, (gast.List, gast.Tuple, gast.ListComp)) or (
                isinstance(value, gast.Name) and value.id in sequences
            ) or (isinstance(value, gast.BinOp) and _names(value.left, value.right) and set(
                _names(value.left, value.right)) & sequences
            ):
                sequences.add(stmt.targets[0].id)
        grown = len(sequences) > before
    for stmt in assigns:
        value = stmt.value
        if not isinstance(value, gast.BinOp) or stmt.targets[0].id not in varied:
            continue
        operands = set(_names(value.left, value.right))
        if operands & sequences & varied:  # (``[0.0] * n`` repeats no differentiated value)
            raise UnsupportedConstructError(
                "+ or * on a list or tuple of differentiated values (concatenation, repetition)",
                src.location(stmt),
                "write the items out ([a, b], [x, x, x]), append them, or use "
                "np.concatenate / np.tile on arrays",
            )


def call_operands(value):
    """Names a call whose result is discarded may write into: the object
    of a method call (``c.sort()``, ``c.fill(0.0)``) and the names passed
    to it (``np.copyto(c, v)``, ``rng.shuffle(c)``). Observers (`print`,
    logging, `warnings.warn`, the checks of `numpy.testing`) write into
    nothing."""
    if not isinstance(value, gast.Call) or registry.observes_only(value):
        return []
    names = []
    if isinstance(value.func, gast.Attribute) and isinstance(value.func.value, gast.Name):
        if not isinstance(static_value(value.func.value), types.ModuleType):  # not `np.copyto`
            names.append(value.func.value.id)
    for arg in list(value.args) + [kw.value for kw in value.keywords]:
        if isinstance(arg, gast.Starred):
            arg = arg.value
        if isinstance(arg, gast.Name):
            names.append(arg.id)
    return names


def _loop_invariant_definitions(body):
    """Assignments inside loops that recompute the same value every time.

    `name = <op on atoms>` where `name` has no other assignment and no
    operand is assigned anywhere in the outermost enclosing loop: saving the
    value it overwrites is pointless, since it is the value it writes. Not
    when the loop writes into `name`'s array (``name[i] = ...``, also under
    a name that may view it): the value it overwrites is then the one the
    previous iteration left, which the reverse sweep of that iteration reads.
    """
    counts = {}
    for stmt in all_statements(body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            counts[stmt.targets[0].id] = counts.get(stmt.targets[0].id, 0) + 1
        elif isinstance(stmt, gast.For):
            counts[stmt.target.id] = counts.get(stmt.target.id, 0) + 1
    found = set()
    edges = None
    for outer in body:
        if not isinstance(outer, (gast.For, gast.While)):
            continue
        if edges is None:
            edges = _sharing_edges(body)
        assigned, written_into = set(), set()
        for stmt in all_statements([outer]):
            if isinstance(stmt, gast.Assign):
                target = stmt.targets[0]
                assigned.add(target.id if isinstance(target, gast.Name) else target.value.id)
                if not isinstance(target, gast.Name):
                    written_into.add(target.value.id)
            elif isinstance(stmt, gast.For):
                assigned.add(stmt.target.id)
        for stmt in all_statements(outer.body):
            if (
                isinstance(stmt, gast.Assign)
                and isinstance(stmt.targets[0], gast.Name)
                and counts.get(stmt.targets[0].id) == 1
                and isinstance(stmt.value, (gast.BinOp, gast.UnaryOp, gast.Name, gast.Constant))
                and not set(n.load_names(stmt.value)) & assigned
                and not _sharing(stmt.targets[0].id, body, edges) & written_into
            ):
                found.add(id(stmt))
    return found


def _sharing(base, body, edges=None):
    """`base` and every name that may share its memory, followed both ways:
    views of it, and what it was bound to (``c = _t0``, the split of
    ``c = np.exp(c)``: a write into `c` overwrites the `_t0` the reverse
    sweep reads), transitively; `edges` is `_sharing_edges(body)`, when
    already made."""
    edges = _sharing_edges(body) if edges is None else edges
    found, frontier = {base}, [base]
    while frontier:
        for other in edges.get(frontier.pop(), ()):
            if other not in found:
                found.add(other)
                frontier.append(other)
    return found


def _sharing_edges(body):
    """{name: names it may share memory with}, both ways, in one walk."""
    edges = {}
    containers = container_names(body)
    for stmt in all_statements(body):
        target = stmt.targets[0] if isinstance(stmt, gast.Assign) else None
        if (
            isinstance(target, gast.Subscript)
            and isinstance(target.value, gast.Name)
            and target.value.id in containers
            and not _creates_new_object(stmt.value)
        ):
            # ``d['k'] = y``: the list or dict holds y's array itself
            for name in _memory_sources(stmt.value):
                edges.setdefault(target.value.id, set()).add(name)
                edges.setdefault(name, set()).add(target.value.id)
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            value = stmt.value
            holds = isinstance(value, (gast.List, gast.Tuple, gast.Dict))
            if (holds or not _creates_new_object(value)) and not _cannot_alias(value):
                target = stmt.targets[0].id
                for name in _memory_sources(value):
                    if name != target:
                        edges.setdefault(target, set()).add(name)
                        edges.setdefault(name, set()).add(target)
    return edges


def _memory_sources(value):
    """Names whose memory `value` may be: for ``x[i, j]`` only the indexed
    object's (an index never lends its memory to the result)."""
    while isinstance(value, gast.Subscript):
        value = value.value
    return n.load_names(value)


def _alias_closure(base, body):
    """Every name that may view `base`'s memory, directly or through others."""
    return {alias for alias, _ in _alias_closure_lines(base, body)}


def _assigned_elsewhere(body, loop):
    names = set()
    for stmt in all_statements(body):
        if stmt is loop:
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            names.add(stmt.targets[0].id)
        elif isinstance(stmt, gast.For):
            names.add(stmt.target.id)
    return names
