"""Leave a reduction's adjoint unspread where broadcasting spreads it anyway.

The adjoint of ``np.sum(x)`` is its scalar adjoint spread over x's shape,
``unreduce(g, x)``. Where that spread value is only ever combined,
element-wise, with an array of x's shape (``unreduce(0.5, u) * 2 * (u - t)``)
the spreading is implicit: ``0.5 * 2 * (u - t)``, which constant folding
makes ``u - t``. The same holds for the adjoint of a reduction that keeps
its axes (``np.sum(e, axis=1, keepdims=True)``: ``unreduce(g, e, 1, True) * e``
is ``g * e``, ``d_e += unreduce(g, e, 1, True)`` is ``d_e += g``), and for a name assigned such a value
(``d_t2 = unreduce(1.0 / n, y) * s``) when every read of it meets an array
of that shape. Needs the shapes of a specialised derivative; a spread value
read anywhere else (returned, indexed, a matrix product, a smaller operand,
updated in place) keeps its ``unreduce``.
"""

import gast

from .. import nodes as n
from .. import helpers, runtime
from ..rules import registry
from ..source import static_value
from . import shapes as shapes_module

_ELEMENTWISE = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)
# helpers whose result has the shape of their first / second argument
_SHAPED_LIKE_FIRST = (helpers.max_mask,)
_SHAPED_LIKE_SECOND = (runtime.unreduce,)


def leave_spreads_implicit(func, facts, shapes, protected=frozenset()):
    """Rewrite `func` in place, reporting each change to `facts` (the
    optimizer's `Facts`): `shapes` maps names (adjoints included) to shapes
    known at generation; None or empty (a generic derivative) does nothing.
    A name whose spread goes gets the shape of its unspread value in `shapes`.

    Only statements that name a spreading helper are walked, and then those
    that mention a name holding a spread value: a spread that must stay
    costs a look at its own statement, not a walk of the function."""
    if not shapes:
        return
    spread = _Spread(shapes)
    simple, headers = [], []
    _collect(func.body, simple, headers)
    holders = {}  # name -> [(node, shape, parents)] of spreads assigned to it
    for stmt in simple:
        if not any(name.startswith("unreduce") for name in facts.statement(stmt).names):
            continue
        parents = _parents(stmt)
        for node in [node for node in parents if spread.is_implicit_spread(node)]:
            shape = spread.shape_of(node.args[1])
            met, top = spread.climb(node, shape, parents)
            if met:
                _leave_to_broadcasting(node, parents, facts)
                continue
            holder = parents.get(top)
            if (
                isinstance(holder, gast.Assign)
                and len(holder.targets) == 1
                and isinstance(holder.targets[0], gast.Name)
                and holder.targets[0].id not in protected
            ):
                holders.setdefault(holder.targets[0].id, []).append((node, shape, parents))
    if not holders:
        return
    bindings = facts.counts().bindings
    unsafe = {name for name in holders if bindings.get(name) != 1}
    for header in headers:
        unsafe.update(name for name in n.load_names(header) if name in holders)
    for stmt in simple:
        known = facts.statement(stmt)
        mentioned = [name for name in holders if name in known.names and name not in unsafe]
        if not mentioned:
            continue
        unsafe.update(name for name in mentioned if name in known.in_place)
        parents = _parents(stmt)
        for node in parents:
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id in holders:
                shape = holders[node.id][0][1]
                # the array it meets must be a real one: not a read of a
                # holder, whose spread may go too (`d_a + d_a` would
                # justify itself and become a scalar)
                if not spread.climb(node, shape, parents, unknown=holders)[0]:
                    unsafe.add(node.id)
    read = facts.counts().reads
    for name, spreads in holders.items():
        if name in unsafe or not read.get(name):
            continue
        for node, _, parents in spreads:
            # from now on `name` holds the unspread value: later checks (this
            # round's and the next rounds') must not take it for a full array
            shapes[name] = spread.shape_of(node.args[0])
            _leave_to_broadcasting(node, parents, facts)


def _collect(stmts, simple, headers):
    """Statements without a body into `simple`; the tests and iterables of
    those with one into `headers`, their bodies visited."""
    for stmt in stmts:
        if isinstance(getattr(stmt, "body", None), list):
            if isinstance(stmt, (gast.If, gast.While)):
                headers.append(stmt.test)
            elif isinstance(stmt, gast.For):
                headers.append(stmt.iter)
            _collect(stmt.body, simple, headers)
            _collect(getattr(stmt, "orelse", []), simple, headers)
        else:
            simple.append(stmt)


def _parents(stmt):
    """{node: its parent} for every node under `stmt` (the statement maps to None)."""
    parents = {stmt: None}
    for node in n.walk(stmt):
        for child in gast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _leave_to_broadcasting(node, parents, facts):
    """Replace the spread `node` by its unspread value: broadcasting does the spreading."""
    _replace_child(parents[node], node, node.args[0])
    parents[node.args[0]] = parents[node]
    facts.changed(_statement_of(node, parents))


def _statement_of(node, parents):
    while not isinstance(node, gast.stmt):
        node = parents[node]
    return node


class _Spread:
    def __init__(self, shapes):
        self.shapes = shapes

    def is_implicit_spread(self, node):
        """``unreduce(g, x, ...)`` with x of a known shape and g a scalar, or of
        x's rank (a reduction that kept its axes), so that broadcasting g
        against an array of x's shape spreads it the same way."""
        if not (
            isinstance(node, gast.Call)
            and isinstance(node.func, gast.Name)
            and static_value(node.func) is runtime.unreduce
            and 2 <= len(node.args) <= 4
            and not node.keywords
        ):
            return False
        g, x = self.shape_of(node.args[0]), self.shape_of(node.args[1])
        if g is None or x in (None, ()):
            return False
        if g == ():
            return True
        keepdims = len(node.args) == 4 and isinstance(node.args[3], gast.Constant) and node.args[3].value is True
        return keepdims and len(g) == len(x) and shapes_module.broadcast(g, x) == x

    def climb(self, node, shape, parents, unknown=()):
        """(met, top): whether `node`'s value, through element-wise
        operations with scalars, meets an operand of exactly `shape`
        element-wise; `top` is the last such operation reached. An operand
        reading an `unknown` name is not taken to have any shape."""
        while True:
            parent = parents.get(node)
            if isinstance(parent, gast.UnaryOp) and isinstance(parent.op, (gast.USub, gast.UAdd)):
                node = parent
                continue
            if isinstance(parent, gast.AugAssign) and isinstance(parent.op, (gast.Add, gast.Sub)):
                # ``d_a += unreduce(g, a, 1, True)``: added into an array of the shape
                return self.shape_of(parent.target) == shape, node
            if not (isinstance(parent, gast.BinOp) and isinstance(parent.op, _ELEMENTWISE)):
                return False, node
            other = parent.right if parent.left is node else parent.left
            found = None if any(name in unknown for name in n.load_names(other)) else self.shape_of(other)
            if found == shape:
                return True, parent
            if found != ():
                return False, node
            node = parent

    def shape_of(self, node):
        """The shape of an expression, or None when it is not known."""
        if isinstance(node, gast.Constant):
            return () if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) else None
        if isinstance(node, gast.Name):
            return self.shapes.get(node.id)
        if isinstance(node, gast.UnaryOp):
            return self.shape_of(node.operand)
        if isinstance(node, gast.Compare):  # (the power rule's guard, ``(x1 == 0) * ...``)
            found = [self.shape_of(part) for part in [node.left] + list(node.comparators)]
            return None if any(s is None for s in found) else shapes_module.broadcast(*found)
        if isinstance(node, gast.BinOp) and isinstance(node.op, _ELEMENTWISE):
            left, right = self.shape_of(node.left), self.shape_of(node.right)
            if left is None or right is None:
                return None
            return shapes_module.broadcast(left, right)
        if (
            isinstance(node, gast.Subscript)
            and isinstance(node.value, gast.Attribute)
            and node.value.attr == "shape"
            and isinstance(node.slice, gast.Constant)
        ):
            return ()  # x.shape[0]
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name):
            base = self.shapes.get(node.value.id)
            if not base:
                return None
            found = shapes_module.subscript_shape(base, node.slice, lambda part: self.shapes.get(part.id) == ())
            return None if found is shapes_module.UNKNOWN else found  # x[t, 1:]
        if isinstance(node, gast.Call):
            callee = static_value(node.func)
            if callee in _SHAPED_LIKE_SECOND and len(node.args) >= 2:
                return self.shape_of(node.args[1])
            if callee in _SHAPED_LIKE_FIRST and node.args:
                return self.shape_of(node.args[0])
            if getattr(callee, "__name__", "") == "reduced_size":
                return ()
            if registry.is_elementwise(callee) and not node.keywords:
                found = [self.shape_of(arg) for arg in node.args]
                if found and all(s is not None for s in found):
                    return shapes_module.broadcast(*found)
        return None


def _replace_child(parent, old, new):
    for field, value in gast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
