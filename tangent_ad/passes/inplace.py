"""Arithmetic on a statement's own temporaries, in place.

``h = np.tanh(h @ W + b)`` allocates three arrays: the product, the sum and
the tanh. The product is new and nothing else holds it, so the sum and the
tanh can be written into it, as a careful person writes by hand::

    h = h @ W                           d_t4 = h * h
    h += b                              np.subtract(1.0, d_t4, out=d_t4)
    np.tanh(h, out=h)                   d_t4 *= d_h     (was d_h * (1.0 - h * h))

Exact, never merely close: only where every operand is a NumPy float64
array or a real number literal, so each result is float64 and the same
bits whether written into a new array or into the temporary (``+`` and
``*`` may swap their operands: IEEE arithmetic is commutative); the
temporary must have the shape of the result (shapes known when the
derivative is specialised), so nothing broadcasts it; and it is new, made
by an operation of the same statement, so no other name sees it change.

Which names hold NumPy float64 arrays follows from the arguments' dtypes
(in the specialisation key). A name assigned once has the kind of its
value: arithmetic, matrix products, the ufuncs above and reductions of
float64 arrays, rows of them, and the Python ints of ``x.shape[k]``,
``len`` and ``reduced_size`` (and ``max_mask``, float64 whatever its
input). A name assigned more than once, a loop's ``h`` say, holds one when
each of its bindings gives one of the shape the shape table says, assuming
the same of the others (a greatest fixed point): ``_t1 = None`` before a
loop is no obstacle (arithmetic on None raises either way), and a pop into
`x` restores a value `x` had unless `x` is also pushed in another form
(``like(x)``). A loop target, an unpacked name, a number or an unknown call
disqualifies it.

Run last, on a derivative that is not differentiated again (forward mode
does not take ``out=``).
"""

import gast
import numpy

from .. import anno
from .. import nodes as n
from ..helpers.reductions import max_mask, reduced_size
from ..naming import is_stack_call
from ..source import is_resolved, static_value
from .dataflow import all_statements
from .shapes import UNKNOWN, _matmul, _reduce, broadcast, subscript_shape

FLOAT64 = "float64"

# ufuncs whose float64 result, for a float64 operand, is float64
_SAME_DTYPE_UFUNCS = frozenset({
    numpy.tanh, numpy.exp, numpy.log, numpy.sin, numpy.cos, numpy.tan, numpy.sqrt,
    numpy.negative, numpy.absolute, numpy.log1p, numpy.expm1, numpy.square,
    numpy.sinh, numpy.cosh, numpy.arctan, numpy.reciprocal,
})
_REDUCTIONS = frozenset({numpy.sum, numpy.max, numpy.min, numpy.amax, numpy.amin, numpy.mean})
_METHOD_REDUCTIONS = frozenset({"sum", "max", "min", "mean"})
_ELEMENTWISE = (gast.Add, gast.Sub, gast.Mult, gast.Div)
_COMMUTATIVE = (gast.Add, gast.Mult)
_REVERSED = {gast.Sub: "subtract", gast.Div: "divide"}
_WEAK = "weak"  # a Python int or float: it never changes a float64 result's dtype


def float64_arguments(kinds):
    """The parameters that are NumPy float64 arrays, from a specialisation key."""
    return {
        name for name, kind in kinds
        if isinstance(kind, tuple) and len(kind) == 3 and kind[0] == "shape" and kind[2] == FLOAT64
    }


def compute_in_place(func, shapes, arguments):
    """Rewrite `func` (a specialised derivative) in place and return it.
    `shapes`: {name: shape}; `arguments`: parameters known to be NumPy
    float64 arrays."""
    if not arguments or not shapes:
        return func
    _Rewriter(_float64_kinds(func, shapes, arguments)).block(func.body)
    return func


def _float64_kinds(func, shapes, arguments):
    """The `_Kinds` of `func`'s names: a name assigned once has the kind of
    its value; a name assigned more than once (or a parameter) holds a
    NumPy float64 array of the shape the table gives when each of its
    bindings gives one, assuming the same of the others (a greatest fixed
    point). The table's shape is only a hypothesis, checked binding by
    binding: an adjoint may hold its value unspread."""
    bindings = {}
    for stmt in all_statements(func.body):
        for name, value in _bindings(stmt):
            bindings.setdefault(name, []).append(value)
    parameters = {arg.id for arg in func.args.args}
    single = {
        name: values[0] for name, values in bindings.items()
        if len(values) == 1 and name not in parameters and isinstance(values[0], gast.expr)
        and not is_stack_call(values[0], "pop")
    }
    # a pop into `x` restores a value `x` had, pushed by ``_stack.push(x)``;
    # not so where `x` is pushed in another form (``like(x)``, a copy)
    pushed_otherwise = set()
    for stmt in all_statements(func.body):
        if isinstance(stmt, gast.Expr) and is_stack_call(stmt.value, "push"):
            value = stmt.value.args[0] if stmt.value.args else None
            if not isinstance(value, gast.Name):
                pushed_otherwise.update(n.load_names(value) if value is not None else ())
    candidates = {
        name: shapes[name] for name in (set(bindings) - set(single)) | set(arguments)
        if _complete(shapes.get(name)) and (name in arguments or name not in parameters)
    }
    kinds = _Kinds(candidates, shapes, single)
    # a name whose binding reads (directly, or through names assigned once)
    # a dropped name is looked at again
    readers = {}
    for name, values in bindings.items():
        if name in candidates:
            for value in values:
                for read in kinds.depends_on(value) if value is not None else ():
                    readers.setdefault(read, set()).add(name)
    pending = list(candidates)
    while pending:
        name = pending.pop()
        if name in candidates and not all(
            _binds_array(value, name, candidates, kinds, name not in pushed_otherwise)
            for value in bindings.get(name, ())
        ):
            del candidates[name]
            kinds.forget(name)
            pending.extend(readers.get(name, ()))
    return kinds


def _bindings(stmt):
    """(name, value) for each binding of a name by `stmt`; value None when
    it is not an expression the analysis reads (a loop target, unpacking)."""
    if isinstance(stmt, gast.Assign):
        for target in stmt.targets:
            if isinstance(target, gast.Name):
                yield target.id, stmt.value
            else:
                for name in n.store_names(target) if not isinstance(target, gast.Subscript) else ():
                    yield name, None
    elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
        yield stmt.target.id, stmt  # in place on an array: the array stays
    elif isinstance(stmt, gast.For):
        for name in n.store_names(stmt.target):
            yield name, None
    elif isinstance(stmt, (gast.With, gast.FunctionDef)):
        for name in n.store_names(stmt):
            yield name, None


def _binds_array(value, name, candidates, kinds, pops_restore):
    """Whether binding `name` to `value` gives a float64 array of its shape
    (or None: ``_t1 = None`` before a loop; an operation on None raises
    whether in place or not)."""
    if value is None:
        return False
    if isinstance(value, gast.Constant) and value.value is None:
        return True
    if isinstance(value, gast.AugAssign):
        # ``x += v`` on a float64 array writes into it, with v real
        return kinds.of(value.value) is not None
    if is_stack_call(value, "pop"):
        return pops_restore
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
        # an element or rows of a float64 array, of the shape the table says
        return isinstance(kinds.of(value.value), tuple)
    kind = kinds.of(value)
    return kind is not None and kind != _WEAK and kind == candidates[name]


def _complete(shape):
    """Whether `shape` is known, with at least one axis, every extent known."""
    return isinstance(shape, tuple) and bool(shape) and all(d is not None for d in shape)


class _Kinds:
    """The kind of an expression: the shape of the NumPy float64 array it
    gives (a tuple, () for a float64 number), `_WEAK` for a real number
    literal, or None when unknown."""

    def __init__(self, arrays, shapes, single):
        self.arrays = arrays
        self.shapes = shapes
        self.single = single  # name -> the value of its one assignment
        self.memo = {}
        self._depends_memo = None
        self._dependents = None  # name -> names assigned once that read it
        # the names assigned once, in statement order: worked out in that
        # order, each reads only names already worked out (no recursion one
        # level deep per link of a long chain of assignments)
        self._order = list(single)
        self._filled = 0  # the names before this position are in `memo`

    def forget(self, dropped):
        """Drop the kinds worked out for names assigned once that read
        `dropped` (directly or through others), no longer an array."""
        if self._dependents is None:
            self._dependents = {}
            for name in self.single:
                for read in self._single_depends_on(name):
                    self._dependents.setdefault(read, []).append(name)
        for name in self._dependents.get(dropped, ()):
            self.memo.pop(name, None)
            self._filled = 0

    def name(self, name):
        if name in self.arrays:
            return self.arrays[name]
        value = self.single.get(name)
        if value is None:
            return None
        if name not in self.memo:
            while self._filled < len(self._order):  # (those before it first)
                earlier = self._order[self._filled]
                self._filled += 1
                if earlier == name:
                    break
                if earlier not in self.memo:
                    self._work_out(earlier)
            if name not in self.memo:
                self._work_out(name)
        return self.memo[name]

    def _work_out(self, name):
        self.memo[name] = None  # (a value that reads its own name: unknown)
        self.memo[name] = self.of(self.single[name])

    def depends_on(self, value):
        """The names assigned more than once (or parameters) that `value`
        reads, directly or through names assigned once."""
        found = set()
        for name in n.load_names(value):
            if name in self.single:
                found |= self._single_depends_on(name)
            else:
                found.add(name)
        return found

    def _single_depends_on(self, name):
        memo = self._depends_memo
        if memo is None:  # all of them, in statement order (see `_order`)
            memo = self._depends_memo = {}
            for earlier in self._order:
                self._single_depends_on(earlier)
        if name not in memo:
            memo[name] = frozenset()  # (a value that reads its own name)
            memo[name] = frozenset(self.depends_on(self.single[name]))
        return memo[name]

    def of(self, node):
        if isinstance(node, gast.Constant):
            value = node.value
            return _WEAK if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if isinstance(node, gast.Name):
            return self.name(node.id)
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            return self.of(node.operand)
        if isinstance(node, gast.Attribute) and node.attr == "T":
            base = self.of(node.value)
            return tuple(reversed(base)) if isinstance(base, tuple) else None
        if isinstance(node, gast.BinOp):
            left, right = self.of(node.left), self.of(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, gast.MatMult):
                if _WEAK in (left, right):
                    return None
                return _known(_matmul(left, right))
            if isinstance(node.op, _ELEMENTWISE):
                if left == _WEAK and right == _WEAK:
                    return _WEAK
                return _known(broadcast(() if left == _WEAK else left, () if right == _WEAK else right))
            return None
        if isinstance(node, gast.Subscript):
            if isinstance(node.value, gast.Attribute) and node.value.attr == "shape":
                # an extent is a Python int; ``x.shape[1:]`` is a tuple
                return _WEAK if isinstance(node.slice, (gast.Constant, gast.Name)) else None
            base = self.of(node.value)
            if not isinstance(base, tuple):
                return None
            return _known(subscript_shape(base, node.slice, lambda part: self.shapes.get(part.id) == ()))
        if _is_ufunc_call(node) or _is_copy(node):
            operand = self.of(node.args[0] if node.args else node.func.value)
            return operand if isinstance(operand, tuple) else None
        if isinstance(node, gast.Call):
            return self.call(node)
        return None

    def call(self, node):
        """Reductions of float64 arrays, and the helpers whose results the
        gradients of reductions read."""
        callee = static_value(node.func)
        if callee in (len, reduced_size):
            return _WEAK  # a Python int
        if callee is max_mask and node.args and isinstance(node.args[0], gast.Name):
            # (x == y) / count: float64 whatever x's dtype
            shape = self.shapes.get(node.args[0].id)
            return shape if _complete(shape) else None
        method = (  # x.sum(...), not np.sum(...)
            not is_resolved(callee) and isinstance(node.func, gast.Attribute)
            and node.func.attr in _METHOD_REDUCTIONS
        )
        if not (callee in _REDUCTIONS or method):
            return None
        args = ([node.func.value] if method else []) + list(node.args)
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if not 1 <= len(args) <= 2 or set(keywords) - {"axis", "keepdims"}:
            return None  # (a third positional argument is a dtype or `out`)
        base = self.of(args[0])
        if not isinstance(base, tuple):
            return None
        return _known(_reduce(base, args[1:], keywords))


def _known(shape):
    if shape is UNKNOWN or shape is None or any(d is None for d in shape):
        return None
    return shape


def _is_ufunc_call(node):
    return (
        isinstance(node, gast.Call) and len(node.args) == 1 and not node.keywords
        and static_value(node.func) in _SAME_DTYPE_UFUNCS
    )


def _is_copy(node):
    """``x.copy()``: a new array of `x`'s dtype."""
    return (
        isinstance(node, gast.Call) and not node.args and not node.keywords
        and isinstance(node.func, gast.Attribute) and node.func.attr == "copy"
    )


class _Settled:
    """`_Kinds` once the fixed point is reached, remembered by node (the
    rewriter asks about the same subexpressions again and again)."""

    def __init__(self, kinds):
        self._kinds = kinds
        self._by_node = {}

    def of(self, node):
        key = id(node)
        if key not in self._by_node:
            self._by_node[key] = (node, self._kinds.of(node))  # (keeps `node` alive: ids stay unique)
        return self._by_node[key][1]


def _makes_new_array(node, kinds):
    """Whether `node` is an operation whose result is a new float64 array
    (with an axis) that only this expression holds."""
    shape = kinds.of(node)
    if not (isinstance(shape, tuple) and shape):
        return False
    return isinstance(node, gast.BinOp) or _is_ufunc_call(node) or (
        isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub))


class _Rewriter:
    def __init__(self, kinds):
        self.kinds = _Settled(kinds)

    def block(self, stmts):
        index = 0
        while index < len(stmts):
            stmt = stmts[index]
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if inner and isinstance(inner[0], gast.stmt):
                    self.block(inner)
            rewritten = self.statement(stmt)
            if rewritten:
                stmts[index:index + 1] = rewritten
                index += len(rewritten)
            else:
                index += 1

    def statement(self, stmt):
        """The statements computing `stmt` in place, or None."""
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)):
            return None
        target = stmt.targets[0].id
        found = self.chain(stmt.value)
        if found is None:
            return None
        base, steps = found
        if any(target in n.load_names(operand) for _, _, operand in steps if operand is not None):
            return None  # a later operand reads the name the buffer now has
        code = [n.assign(target, base)]
        for how, op, operand in steps:
            if how == "update":
                code.append(gast.AugAssign(target=n.name(target, store=True), op=op, value=operand))
            elif how == "reversed":
                code.append(n.expr_stmt(_out_call(_numpy(_REVERSED[type(op)]), [operand, n.name(target)], target)))
            else:  # a ufunc
                code.append(n.expr_stmt(_out_call(op, [n.name(target)], target)))
        for new in code:
            anno.copy_from(new, stmt)
        return code

    def chain(self, node):
        """(base, steps): `node` computed as `base` followed by in-place
        steps into it, or None when no step can be in place."""
        kinds = self.kinds
        shape = kinds.of(node)
        if not (isinstance(shape, tuple) and shape):
            return None
        if isinstance(node, gast.BinOp) and isinstance(node.op, _ELEMENTWISE):
            options = [(node.left, node.right, "update")]
            if isinstance(node.op, _COMMUTATIVE):
                options.append((node.right, node.left, "update"))
            else:
                options.append((node.right, node.left, "reversed"))
            for inner, other, how in options:
                if _makes_new_array(inner, kinds) and kinds.of(inner) == shape and kinds.of(other) is not None:
                    base, steps = self.chain(inner) or (inner, [])
                    return base, steps + [(how, node.op, other)]
            return None
        if _is_ufunc_call(node) or isinstance(node, gast.UnaryOp):  # (-x is np.negative)
            inner = node.args[0] if _is_ufunc_call(node) else node.operand
            if _makes_new_array(inner, kinds) and kinds.of(inner) == shape:
                base, steps = self.chain(inner) or (inner, [])
                function = node.func if _is_ufunc_call(node) else _numpy("negative")
                return base, steps + [("ufunc", function, None)]
        return None


def _numpy(function):
    module = n.name("np")
    anno.set(module, "inject", numpy)
    return n.attr(module, function)


def _out_call(func, args, target):
    return gast.Call(func=n.copy_node(func), args=args,
                     keywords=[gast.keyword(arg="out", value=n.name(target))])
