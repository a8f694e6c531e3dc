"""Symbolic shapes, for derivatives specialised on the arguments' shape pattern.

A call's arguments give each array dimension a symbol: equal extents share
one (the specialisation key records which are equal), extent 1 is the number
1. From those, this pass infers the shape of every name it can -- through
elementwise operations with broadcasting, reductions, matrix products,
transposes, reshapes to constant shapes and basic indexing -- and leaves the
others unknown (None). The reverse generator then knows, without looking at
run time, where a broadcast happened and over which axes to sum
(``d_b = d_t1.sum(axis=0)``), and where nothing broadcast at all (no
`unbroadcast`, and no shape to save for it).

A dimension is an int, or a `Dim` (symbol plus offset: ``u[1:-1]`` of a
length-``s0`` vector has length ``s0 - 2``).
"""

import numbers
import operator

import gast
import numpy

from .. import containers
from .. import nodes as n
from ..rules import registry
from ..source import static_value
from .dataflow import all_statements

UNKNOWN = None


class Dim:
    """A symbolic extent: the extent called `symbol`, plus `offset`."""

    __slots__ = ("symbol", "offset")

    def __init__(self, symbol, offset=0):
        self.symbol = symbol
        self.offset = offset

    def __eq__(self, other):
        return isinstance(other, Dim) and self.symbol == other.symbol and self.offset == other.offset

    def __hash__(self):
        return hash((self.symbol, self.offset))

    def __add__(self, k):
        return Dim(self.symbol, self.offset + k)

    def __repr__(self):
        if not self.offset:
            return self.symbol
        return f"{self.symbol}{self.offset:+d}"


def argument_shapes(pattern):
    """{parameter: shape} from a specialisation's (name, ("shape", classes))
    pairs: a class is 1, ("=", n) for an extent equal to a literal n of the
    function's code, or a number naming a symbol."""
    shapes = {}
    for name, kind in pattern:
        shape = _leaf_shape(kind)
        if shape is not UNKNOWN:
            shapes[name] = shape
    return shapes


NUMBERS = "numbers"  # the kind of a long list or tuple of numbers: ("container", NUMBERS)


def container_items(pattern):
    """{parameter: {index or key: shape}} for list, tuple and dict arguments
    whose items' kinds are in the specialisation, ("container", leaves) or
    ("dict", ((key, leaf), ...))."""
    items = {}
    for name, kind in pattern:
        if isinstance(kind, tuple) and len(kind) == 2 and kind[1] == NUMBERS:
            items[name] = EveryItem(())  # a long list or tuple of numbers
        elif isinstance(kind, tuple) and len(kind) == 2 and kind[0] in ("container", "dict"):
            pairs = kind[1] if kind[0] == "dict" else enumerate(kind[1])
            items[name] = {key: _leaf_shape(leaf) for key, leaf in pairs}
    return items


class EveryItem:
    """The items of a list or tuple argument of unknown length, all of one shape."""

    def __init__(self, shape):
        self.shape = shape


def argument_dtypes(pattern):
    """{parameter: numpy dtype} of the array parameters of a specialisation
    (its element type: "float64", or "module.Type:dtype" for other arrays)."""
    dtypes = {}
    for name, kind in pattern:
        if isinstance(kind, tuple) and len(kind) == 3 and kind[0] == "shape":
            try:
                dtypes[name] = numpy.dtype(str(kind[2]).rsplit(":", 1)[-1])
            except TypeError:
                pass
    return dtypes


def _leaf_shape(kind):
    if isinstance(kind, tuple) and kind and kind[0] == "shape":
        return tuple(1 if c == 1 else (c[1] if isinstance(c, tuple) else Dim(f"s{c}")) for c in kind[1])
    if kind == "scalar":
        return ()
    return UNKNOWN


def broadcast(*shapes):
    """The broadcast shape, or UNKNOWN when it cannot be decided symbolically."""
    if any(s is UNKNOWN for s in shapes):
        return UNKNOWN
    ndim = max(len(s) for s in shapes)
    out = []
    for axis in range(ndim):
        dims = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0}
        dims.discard(1)
        if len(dims) > 1:
            return UNKNOWN  # e.g. s0 - 2 against s1: equal only at run time
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def reduction_axes(result, operand):
    """(axes, keepdims) summing a `result`-shaped adjoint to `operand`'s shape,
    or None when unknown; `((), False)` when the shapes agree."""
    if result is UNKNOWN or operand is UNKNOWN:
        return None
    lead = len(result) - len(operand)
    if lead < 0:
        return None
    axes = list(range(lead))
    kept = []
    for i, extent in enumerate(operand):
        if extent == result[lead + i]:
            continue
        if extent == 1:
            kept.append(lead + i)
        else:
            return None
    if kept and axes:
        return None  # both kinds at once: leave it to the run-time helper
    if kept:
        return tuple(kept), True
    return tuple(axes), False


class ShapeInference:
    def __init__(self, func, arguments, scalars, items=None):
        self.func = func
        self.shapes = dict(arguments)
        self.items = items or {}
        for name in scalars:
            self.shapes.setdefault(name, ())
        self.assigned = {
            stmt.targets[0].id
            for stmt in all_statements(func.body)
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
        }
        # names bound to a comparison, `not`, `and`/`or` of them: booleans
        self.booleans = {
            stmt.targets[0].id
            for stmt in all_statements(func.body)
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and (isinstance(stmt.value, (gast.Compare, gast.BoolOp))
                 or (isinstance(stmt.value, gast.UnaryOp) and isinstance(stmt.value.op, gast.Not))
                 or (isinstance(stmt.value, gast.Constant) and isinstance(stmt.value.value, bool)))
        }
        # names bound once, to an array's shape tuple (``_t2 = q.shape``)
        bindings = {}
        for stmt in all_statements(func.body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                bindings.setdefault(stmt.targets[0].id, []).append(stmt.value)
        self.shape_tuples = {
            name: values[0]
            for name, values in bindings.items()
            if len(values) == 1 and isinstance(values[0], gast.Attribute) and values[0].attr == "shape"
        }
        # names bound once (and never a loop's target): ``n = x.shape[0]``
        targets = {stmt.target.id for stmt in all_statements(func.body) if isinstance(stmt, gast.For)}
        self.bound_once = {
            name: values[0] for name, values in bindings.items()
            if len(values) == 1 and name not in targets
        }

        self.item_lists = _item_lists(func)
        self.assigned |= {name + ITEMS for name in self.item_lists}

    def run(self):
        """Optimistic fixed point: a name's shape is the one all its
        definitions agree on, else UNKNOWN. The items of a list the function
        builds (`_item_lists`) have one shape, under the key ``name[]``."""
        defs = []
        for stmt in all_statements(self.func.body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                name, value = stmt.targets[0].id, stmt.value
                defs.append((name, value))
            elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
                base = stmt.targets[0].value
                if isinstance(base, gast.Name) and base.id in self.item_lists:
                    defs.append((base.id + ITEMS, stmt.value))  # ``out[k] = v``
            elif isinstance(stmt, gast.For):
                defs.append((stmt.target.id, n.const(0)))
        for name, items in self.item_lists.items():
            defs.extend((name + ITEMS, item) for item in items)
        bottom = object()
        current = dict(self.shapes)
        for _ in range(50):
            changed = False
            for name, value in defs:
                shape = self.infer(value, current, bottom)
                if shape is bottom:
                    continue
                old = current.get(name, bottom)
                new = shape if old is bottom or old == shape else UNKNOWN
                if old is bottom or new != old:
                    current[name] = new
                    changed = True
            if not changed:
                break
        return current

    # -- shape functions -------------------------------------------------------

    def infer(self, value, env, bottom):
        def shape(node):
            if isinstance(node, gast.Constant):
                return () if isinstance(node.value, (numbers.Number, bool)) else UNKNOWN
            if isinstance(node, gast.Name):
                return env.get(node.id, bottom if node.id in self.assigned else UNKNOWN)
            if _is_count(node, shape, self.shape_tuples):
                return ()
            return UNKNOWN

        def known(*shapes):
            return all(s is not bottom for s in shapes)

        if isinstance(value, (gast.Name, gast.Constant)) or _is_count(value, shape, self.shape_tuples):
            return shape(value)
        if isinstance(value, gast.BinOp):
            left, right = shape(value.left), shape(value.right)
            if not known(left, right):
                return bottom
            key = registry.binop_key(value.op)
            if key is operator.matmul:
                return _matmul(left, right)
            if registry.is_elementwise(key):
                return broadcast(left, right)
            return UNKNOWN
        if isinstance(value, gast.UnaryOp):
            operand = shape(value.operand)
            return operand if known(operand) else bottom
        if isinstance(value, gast.Compare):
            parts = [shape(value.left)] + [shape(c) for c in value.comparators]
            return broadcast(*parts) if known(*parts) else bottom
        if isinstance(value, gast.Attribute):
            base = shape(value.value)
            if not known(base):
                return bottom
            if value.attr == "T":
                return None if base is UNKNOWN else tuple(reversed(base))
            if value.attr in ("real",):
                return base
            return UNKNOWN
        if isinstance(value, gast.Subscript):
            return self.subscript(value, shape, known, bottom)
        if isinstance(value, gast.Call):
            return self.call(value, shape, known, bottom)
        return UNKNOWN

    def made_shape(self, node, shape, depth=0):
        """The shape ``np.zeros(node)`` makes: `node` an extent or a tuple of
        extents (ints, ``x.shape[0]``, ``len(x)``, names bound once to them)
        or an array's shape (``x.shape``); UNKNOWN otherwise."""
        if isinstance(node, gast.Name) and node.id in self.shape_tuples:
            node = self.shape_tuples[node.id]
        elif isinstance(node, gast.Name) and isinstance(self.bound_once.get(node.id), gast.Tuple):
            node = self.bound_once[node.id]  # (``_t2 = m, n`` in normal form)
        if isinstance(node, gast.Attribute) and node.attr == "shape":
            base = shape(node.value)
            return base if isinstance(base, tuple) and base else UNKNOWN
        parts = node.elts if isinstance(node, gast.Tuple) else [node]
        extents = tuple(self.extent(part, shape, depth) for part in parts)
        # (a 0-d array made to be written into is not a number: left unknown)
        return UNKNOWN if not extents or any(e is UNKNOWN for e in extents) else extents

    def extent(self, node, shape, depth=0):
        """The value of an extent expression (an int or a `Dim`), or UNKNOWN."""
        if isinstance(node, gast.Constant):
            ok = isinstance(node.value, int) and not isinstance(node.value, bool)
            return node.value if ok else UNKNOWN
        if isinstance(node, gast.Name) and node.id in self.bound_once and depth < 8:
            return self.extent(self.bound_once[node.id], shape, depth + 1)
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub)):
            # ``x.shape[0] - 1``: an extent and a literal int
            left, right = (self.extent(side, shape, depth + 1) for side in (node.left, node.right))
            if isinstance(right, int) and left is not UNKNOWN:
                return left + right if isinstance(node.op, gast.Add) else left + (-right)
            if isinstance(left, int) and isinstance(node.op, gast.Add) and right is not UNKNOWN:
                return right + left
            return UNKNOWN
        if isinstance(node, gast.Call) and static_value(node.func) is len and len(node.args) == 1:
            of = node.args[0]
            items = self.items.get(of.id) if isinstance(of, gast.Name) else None
            if isinstance(items, dict) and all(isinstance(k, int) for k in items):
                return len(items)  # a list or tuple argument of known length
            base = shape(of)
            return base[0] if isinstance(base, tuple) and base else UNKNOWN
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant):
            of = node.value
            if isinstance(of, gast.Name):
                of = self.shape_tuples.get(of.id)
            if isinstance(of, gast.Attribute) and of.attr == "shape":
                base = shape(of.value)
                axis = node.slice.value
                if isinstance(base, tuple) and isinstance(axis, int) and -len(base) <= axis < len(base):
                    return base[axis]
        return UNKNOWN

    def subscript(self, value, shape, known, bottom):
        container = value.value.id if isinstance(value.value, gast.Name) else None
        index = value.slice
        if container in self.items and container not in self.assigned:
            # an item of a list/dict argument whose items' shapes are known
            if isinstance(self.items[container], EveryItem):
                return self.items[container].shape if self._is_position(index, shape) else UNKNOWN
            if isinstance(index, gast.Constant) and not isinstance(index.value, bool):
                try:
                    return self.items[container].get(index.value, UNKNOWN)
                except TypeError:
                    return UNKNOWN
            found = set(self.items[container].values())
            if len(found) == 1 and all(isinstance(key, int) for key in self.items[container]) and (
                self._is_position(index, shape)
            ):
                return found.pop()  # ``xs[i]``, every item of one shape
            return UNKNOWN
        if container in self.item_lists:
            if not self._is_position(index, shape):
                return UNKNOWN
            items = shape(n.name(container + ITEMS))
            return items if known(items) else bottom
        base = shape(value.value)
        if not known(base):
            return bottom
        # a number indexes an axis; a boolean (``x[s > 0.5]``) adds one
        return subscript_shape(base, value.slice, lambda part: shape(part) == () and part.id not in self.booleans)


    def _is_position(self, index, shape):
        """Whether `index` surely picks one item of a list: an int literal or
        a name holding a number (not a slice, not a boolean)."""
        if isinstance(index, gast.Constant):
            return isinstance(index.value, int) and not isinstance(index.value, bool)
        return isinstance(index, gast.Name) and index.id not in self.booleans and shape(index) == ()

    def call(self, value, shape, known, bottom):
        key = registry.call_key(value)
        args = list(value.args)
        if isinstance(key, tuple) and key[0] == "method":
            args = [value.func.value] + args
        keywords = {kw.arg: kw.value for kw in value.keywords}
        if key == ("method", "astype"):  # (the dtype, a name, has no shape to wait for)
            base = shape(args[0])
            return base if known(base) else bottom
        shapes = [shape(a) for a in args]
        if not known(*shapes):
            return bottom
        if key is None:
            return UNKNOWN
        if registry.SCALAR_RESULT.get(key) == "always":
            return ()
        if key in (numpy.matmul, numpy.dot) and len(shapes) == 2:
            # (before the ufuncs: np.matmul is a generalised ufunc, not element-wise)
            if key is numpy.dot and any(len(s or ()) > 2 for s in shapes):
                return UNKNOWN
            return _matmul(*shapes)
        if isinstance(key, numpy.ufunc) and key.signature is None and not keywords:
            return broadcast(*shapes) if shapes else UNKNOWN
        if key in _REDUCTIONS or (isinstance(key, tuple) and key[1] in _METHOD_REDUCTIONS):
            return _reduce(shapes[0], args[1:], keywords)
        if key in _SPREADS or (isinstance(key, tuple) and key[1] in ("std", "var")):
            # (their keepdims comes after ddof: by keyword only)
            return _reduce(shapes[0], args[1:2], keywords)
        if key in (numpy.where, numpy.clip) and len(args) == 3 and not keywords:
            # element-wise in all three (a bound of None clips nothing)
            bounds = [() if _is_none(a) else s for a, s in zip(args, shapes)]
            return broadcast(*bounds)
        if key is numpy.linalg.norm and len(args) == 1 and not keywords:
            return () if shapes[0] is not UNKNOWN else UNKNOWN
        if key in (numpy.transpose, ("method", "transpose")) and len(args) == 1 and not keywords:
            return None if shapes[0] is UNKNOWN else tuple(reversed(shapes[0]))
        if key in (numpy.copy, ("method", "copy"), numpy.zeros_like, numpy.ones_like) and len(args) == 1:
            return UNKNOWN if "shape" in keywords else shapes[0]
        if key in _CREATION and args:
            return self.made_shape(args[0], shape)
        return UNKNOWN


def subscript_shape(base, index, is_integer):
    """The shape of ``x[index]`` for `x` of shape `base`, or UNKNOWN."""
    if base is UNKNOWN:
        return UNKNOWN
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    out, axis = [], 0
    for part in parts:
        if isinstance(part, gast.Slice):
            if axis >= len(base):
                return UNKNOWN
            extent = _slice_extent(base[axis], part)
            if extent is UNKNOWN:
                return UNKNOWN
            out.append(extent)
            axis += 1
        elif isinstance(part, gast.Constant) and part.value is None:
            out.append(1)
        elif isinstance(part, gast.Constant) and isinstance(part.value, int):
            axis += 1
        elif isinstance(part, gast.Name) and is_integer(part):
            axis += 1  # an integer index
        else:
            return UNKNOWN  # arrays, masks, Ellipsis
    if axis > len(base):
        return UNKNOWN
    return tuple(out) + tuple(base[axis:])


_REDUCTIONS = {numpy.sum, numpy.mean, numpy.max, numpy.min, numpy.amax, numpy.amin, numpy.prod}
_METHOD_REDUCTIONS = {"sum", "mean", "max", "min", "prod"}


_SPREADS = {numpy.std, numpy.var}

_CREATION = {numpy.zeros, numpy.ones, numpy.empty, numpy.full}


def _is_none(node):
    return isinstance(node, gast.Constant) and node.value is None


def _literal_shape(node):
    """The shape `np.zeros(node)` makes, for literal ints and tuples of them."""
    if isinstance(node, gast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return (node.value,)
    if isinstance(node, gast.Tuple) and all(
        isinstance(e, gast.Constant) and isinstance(e.value, int) for e in node.elts
    ):
        return tuple(e.value for e in node.elts)
    return UNKNOWN


def shape_literals(func):
    """Integer literals the function uses as extents (np.zeros(8), reshape(4, 2)):
    argument extents equal to one are recorded as such in the key."""
    found = set()
    for node in n.walk(func):
        if isinstance(node, gast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            if node.value > 1:
                found.add(node.value)
    return frozenset(found)


def _reduce(base, rest, keywords):
    if base is UNKNOWN:
        return UNKNOWN
    axis = keywords.get("axis", rest[0] if rest else n.const(None))
    keep = keywords.get("keepdims", rest[2] if len(rest) > 2 else n.const(False))
    if not (isinstance(axis, (gast.Constant, gast.Tuple)) and isinstance(keep, gast.Constant)):
        return UNKNOWN
    if isinstance(axis, gast.Tuple):
        if not all(isinstance(e, gast.Constant) for e in axis.elts):
            return UNKNOWN
        axes = [e.value for e in axis.elts]
    elif axis.value is None:
        axes = list(range(len(base)))
    else:
        axes = [axis.value]
    axes = {a % len(base) for a in axes} if base else set()
    if keep.value:
        return tuple(1 if i in axes else d for i, d in enumerate(base))
    return tuple(d for i, d in enumerate(base) if i not in axes)


def _matmul(left, right):
    if left is UNKNOWN or right is UNKNOWN or not left or not right:
        return UNKNOWN
    if len(left) == 1 and len(right) == 1:
        return ()
    if len(left) == 1:
        return tuple(right[:-2]) + (right[-1],)
    if len(right) == 1:
        return tuple(left[:-1])
    batch = broadcast(left[:-2], right[:-2])
    if batch is UNKNOWN:
        return UNKNOWN
    return batch + (left[-2], right[-1])


def _slice_extent(extent, part):
    """Length of ``x[a:b]`` along an axis of length `extent`, or UNKNOWN."""
    if part.step is not None:
        return UNKNOWN
    lower = part.lower.value if isinstance(part.lower, gast.Constant) else (0 if part.lower is None else UNKNOWN)
    upper = part.upper.value if isinstance(part.upper, gast.Constant) else (None if part.upper is None else UNKNOWN)
    if lower is UNKNOWN or (upper is UNKNOWN and part.upper is not None) or lower is None:
        return UNKNOWN
    if not isinstance(lower, int) or lower < 0:
        return UNKNOWN
    if upper is None:
        stop = extent
    elif isinstance(upper, int) and upper < 0:
        stop = extent + upper
    else:
        return UNKNOWN  # a positive stop may exceed the extent
    if isinstance(stop, int):
        return max(0, stop - lower)
    return stop + (-lower)


def _is_count(node, shape, shape_tuples):
    """Whether `node` is an extent or a count of an array `x` whose shape is
    known (`shape(x)`), a Python int: ``x.shape[1]`` (also through a name
    of `shape_tuples`, bound to ``x.shape``), ``x.size``, ``x.ndim``, or
    ``len(...)`` of anything."""
    if isinstance(node, gast.Call):
        return static_value(node.func) is len and len(node.args) == 1 and not node.keywords
    if isinstance(node, gast.Subscript) and not isinstance(node.slice, gast.Slice):
        node = node.value
        if isinstance(node, gast.Name):
            node = shape_tuples.get(node.id)
        if not (isinstance(node, gast.Attribute) and node.attr == "shape"):
            return False
    elif not (isinstance(node, gast.Attribute) and node.attr in ("size", "ndim")):
        return False
    return isinstance(shape(node.value), tuple)


ITEMS = "[]"  # ``name[]``: the shape of every item of the list `name`


def _item_lists(func):
    """{name: the values its items come from} for names bound only to list or
    tuple displays (or their repetitions, ``[0.0] * n``), to lists with items appended (``list_append(hs, h)``)
    and to other such names, never changed by a method (``hs.insert``): a
    value is an item's node, or ``name[]`` (the items of that list)."""
    bindings, changed = {}, set()
    for node in n.walk(func):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            bindings.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, (gast.For, gast.AugAssign, gast.AnnAssign)):
            changed |= set(n.store_names(node.target))
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
            changed |= {node.func.value.id} if isinstance(node.func.value, gast.Name) else set()
    changed |= {arg.id for arg in func.args.args + func.args.posonlyargs + func.args.kwonlyargs}

    def sources(value):
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult):  # ``[0.0] * n``
            display = [side for side in (value.left, value.right) if isinstance(side, (gast.List, gast.Tuple))]
            return sources(display[0]) if len(display) == 1 else None
        if isinstance(value, (gast.List, gast.Tuple)):
            return None if any(isinstance(elt, gast.Starred) for elt in value.elts) else list(value.elts)
        if isinstance(value, gast.Name):
            return [n.name(value.id + ITEMS)]
        if (
            isinstance(value, gast.Call) and static_value(value.func) is containers.list_append
            and len(value.args) == 2 and isinstance(value.args[0], gast.Name)
        ):
            return [n.name(value.args[0].id + ITEMS), value.args[1]]
        return None

    lists = {}
    for name, values in bindings.items():
        found = [sources(value) for value in values]
        if name not in changed and all(part is not None for part in found):
            lists[name] = [item for part in found for item in part]
    shrinking = True
    while shrinking:  # items of a name that is no such list are unknown
        shrinking = False
        for name, items in list(lists.items()):
            if any(isinstance(i, gast.Name) and i.id.endswith(ITEMS) and i.id[:-len(ITEMS)] not in lists for i in items):
                del lists[name]
                shrinking = True
    return lists


def infer(func, arguments, scalars, items=None):
    """{name: shape or None} for the names of `func` (A-normal form);
    `items`: {container parameter: {index or key: shape}}."""
    return ShapeInference(func, arguments, scalars, items).run()
