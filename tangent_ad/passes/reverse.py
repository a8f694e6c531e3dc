"""Reverse mode: primal sweep with saves, then the adjoint sweep.

The generator walks the A-normal form backwards. Each statement's adjoint
comes from a rule template (or, for indexing, from the code here); control
flow is replayed in reverse: an `if` by its recorded test, a loop by running
its range backwards (or its trip count). Adjoint variables carry a static
state -- ZERO (no value yet: the first contribution is assigned, and a rule
whose incoming adjoint is ZERO is skipped), LIVE (a value that may be shared)
or OWNED (a value only this variable holds, so it may be updated in place).

Every primal name the adjoint code reads is recorded at its primal position;
`analysis.plan_saves` then decides which overwritten values to push, and the
pops are put in their slots. Values only needed for their shape are saved as
`like(x)` (shape, dtype, array module), not as the array.
"""

import collections

import gast
import numpy

from .. import anno
from .. import nodes as n
from .. import naming
from .. import containers, helpers, runtime
from ..errors import MissingRuleError, UnsupportedConstructError
from ..rules import registry
from ..source import describe, library_number, static_value
from ..template import Accumulate
from . import analysis
from . import shapes as shapes_module
from .dataflow import all_statements, defined_names
from .positions import Positions

ZERO, LIVE, OWNED = 0, 1, 2

# Helper parameters that only need the shape/dtype/module of a value.
LIKE_ARGS = {
    runtime.unbroadcast: (1,),
    runtime.unreduce: (1,),
    runtime.zeros_like: (0,),
    runtime.shape_of: (0,),
    runtime.unindex: (1,),
    helpers.reduced_size: (0,),
}
LIKE_ARGS.update(helpers.SHAPE_ONLY)
# Calls whose result is a new array (so the adjoint holding it is OWNED).
FRESH_HELPERS = {runtime.unindex, runtime.zero_at, runtime.copy, runtime.zeros_like}

_POP = "__tangent_pop__"


def _state_join(a, b):
    """Join two adjoint states; returns the state both paths must reach."""
    out = {}
    for key in set(a) | set(b):
        x, y = a.get(key, ZERO), b.get(key, ZERO)
        if x == ZERO:
            out[key] = y
        elif y == ZERO:
            out[key] = x
        else:
            out[key] = min(x, y)
    return {k: v for k, v in out.items() if v != ZERO}


class Reverse:
    def __init__(self, src, namer, wrt, active, scalars, mode, varied=frozenset()):
        self.src = src
        self.varied = varied
        self.func = src.tree
        self.namer = namer
        self.wrt = wrt
        self.active = active
        self.scalars = scalars
        self.mode = mode
        self.reads_before = {}
        self.reads_after = {}
        self.entry_reads = set()
        self.modes = {}  # name -> VALUE or LIKE (the strongest read)
        self.content_reads = {}  # id(stmt) -> names whose array contents are read there
        self.header_reads = {}  # id(primal If/loop) -> names its reversed header reads
        self._block_writes = {}  # id(primal block) -> Positions of what its statements write
        self.loop_depth = 0
        self.scalar_params = frozenset()  # parameters the specialisation says are numbers

    # -- reads ---------------------------------------------------------------

    def _record(self, table, stmt, names):
        if names:
            table.setdefault(id(stmt), set()).update(names)

    def _note_reads(self, code, table, stmt):
        """Record the primal names `code` reads, and how (value or like)."""
        values, likes = set(), set()
        for node in code:
            _collect_reads(node, self.primal_names, values, likes)
        for name in likes - values:
            if self.modes.get(name) != analysis.VALUE:
                self.modes[name] = analysis.LIKE
        for name in values:
            self.modes[name] = analysis.VALUE
        if table is self.reads_after:
            self._record(self.content_reads, stmt, values)
        self._record(table, stmt, values | likes)

    # -- driver --------------------------------------------------------------

    def run(self):
        body = self.func.body
        ret = body[-1]
        out = ret.value.id
        primal = body[:-1]
        self.out = out
        self.primal_names = _primal_names(self.func)
        self.locals = _local_names(self.func)
        state = {}
        if out in self.active:
            state[out] = LIVE
        adjoint = self.block(primal, state)
        returns = self._gradients(state)
        return primal, adjoint, returns

    def block(self, stmts, state):
        """Adjoint code for `stmts` (in reverse order); updates `state`."""
        code = []
        for stmt in reversed(stmts):
            code.extend(self.stmt(stmt, state))
        return code

    def stmt(self, stmt, state):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                code = self.setitem(stmt, state)
            else:
                code = self.assign(stmt, state)
            code = code + [_pop_slot(stmt)]
        elif isinstance(stmt, gast.If):
            code = self.if_(stmt, state)
        elif isinstance(stmt, gast.For):
            code = self.for_(stmt, state)
        elif isinstance(stmt, gast.While):
            code = self.while_(stmt, state)
        elif isinstance(stmt, gast.Expr):
            code = self.expr(stmt)
        else:
            code = []
        return n.with_origin(code, stmt)

    # -- simple statements -------------------------------------------------

    def assign(self, stmt, state):
        target = stmt.targets[0].id
        value = stmt.value
        if target not in self.active:
            return []
        if state.get(target, ZERO) == ZERO:
            return []
        code = self._adjoint_of(stmt, target, value, state)
        state.pop(target, None)
        self._note_reads(code, self.reads_after, stmt)
        return code

    def _adjoint_of(self, stmt, target, value, state):
        if isinstance(value, gast.Name):
            # the target's adjoint is dead after this: an owned buffer changes hands
            owned = state.get(target) == OWNED
            return self.accumulate(value, n.name(self.namer.adjoint(target)), state, fresh=owned)
        if isinstance(value, gast.Subscript):
            # (an index temporary, ``_t0 = i - 1``, is computed again, not saved)
            return [self._rematerialize(code, stmt) for code in self.getitem(stmt, target, value, state)]
        if isinstance(value, gast.BinOp):
            key = registry.binop_key(value.op)
            return self.apply_rule(stmt, key, target, [value.left, value.right], {}, state)
        if isinstance(value, gast.UnaryOp):
            key = registry.unaryop_key(value.op)
            return self.apply_rule(stmt, key, target, [value.operand], {}, state)
        if isinstance(value, gast.Call):
            return self.call(stmt, target, value, state)
        if isinstance(value, gast.Attribute):
            key = ("attr", value.attr)
            base = value.value
            if isinstance(base, gast.Name) and base.id in getattr(self, "objects", ()):
                # an object's attribute: its adjoint is keyed by attribute name
                analysis.check_data_attribute(self.src, stmt, base.id, value.attr)
                item = gast.Subscript(value=base, slice=n.const(value.attr), ctx=gast.Load())
                return self.getitem(stmt, target, item, state)
            if key not in registry.ADJOINTS:
                err = MissingRuleError(
                    f"attribute .{value.attr} of a differentiated value without a derivative rule",
                    self.src.location(stmt),
                    "objects are differentiated through their attributes when passed as "
                    "arguments (gradient: a dict by attribute name); arrays support .T, .real",
                )
                err.deferrable = self._is_parameter(base)
                raise err
            return self.apply_rule(stmt, key, target, [value.value], {}, state)
        if isinstance(value, gast.BoolOp):
            raise UnsupportedConstructError(
                "and/or on differentiated values",
                self.src.location(stmt),
                "use np.where or an if statement",
            )
        if isinstance(value, (gast.Tuple, gast.List)):
            return self.display(target, value.elts, state)
        if isinstance(value, gast.Dict):
            return self.display(target, value.values, state, keys=value.keys)
        return []

    def display(self, target, elements, state, keys=None):
        """``t = (a, b)`` or ``t = {"k": a}``: the adjoint of `t` is a
        container of adjoints; the entry at i (or key k) goes to `a`."""
        code = []
        d_target = self.namer.adjoint(target)
        for i, elt in enumerate(elements):
            if keys is not None and _key_repeated_after(keys, i):
                continue  # ``{"a": x, "a": y}`` holds y: x gets nothing
            if isinstance(elt, gast.Name) and elt.id in self.active:
                key = n.const(i) if keys is None else n.copy_node(keys[i])
                item = gast.Subscript(value=n.name(d_target), slice=key, ctx=gast.Load())
                code += self.accumulate(elt, item, state, fresh=False)
        return code

    def call(self, stmt, target, call, state):
        if registry.passes_out(call):
            raise UnsupportedConstructError(
                "out= argument", self.src.location(stmt), "assign the result instead"
            )
        if getattr(self, "pops_lists", False) and static_value(call.func) is containers.list_append:
            return self.list_append(target, call.args, state)
        key = registry.call_key(call)
        args = list(call.args)
        if isinstance(key, tuple) and key[0] == "method":
            args = [call.func.value] + args
        keywords = {kw.arg: kw.value for kw in call.keywords}
        return self.apply_rule(stmt, key, target, args, keywords, state, call=call)

    def _appended_lists(self):
        """The names a list is appended to (``hs = list_append(hs, h)``, in
        normal form ``_t3 = list_append(hs, h); hs = _t3``), where `list_append`
        pops their adjoints."""
        if not hasattr(self, "_appended"):
            self._appended = set()
            if getattr(self, "pops_lists", False):
                for stmt in all_statements(self.func.body):
                    value = getattr(stmt, "value", None)
                    if isinstance(value, gast.Call) and static_value(value.func) is containers.list_append:
                        self._appended |= set(n.store_names(stmt)) | {
                            arg.id for arg in value.args[:1] if isinstance(arg, gast.Name)
                        }
        return self._appended

    def list_append(self, target, args, state):
        """``hs = list_append(items, item)``: the last item of the list's
        adjoint goes to `item` and the rest, the same list shortened in
        place, to `items` (``d_h = d_hs[-1]; d_hs = drop_last(d_hs)``, a
        pop): O(1) a step, where the rule's ``d[y][:-1]`` copies the list. A
        list adjoint that may be shared is copied once first (`owned_list`),
        so the sweep owns what it pops. Only where `pops_lists`: a gradient
        that forward mode differentiates again takes the rule."""
        items, item = args
        adj = self.namer.adjoint(target)
        code = []
        if state.pop(target, None) != OWNED:
            code.append(n.assign(adj, _helper_call(containers.owned_list, n.name(adj))))
        takes_over = isinstance(items, gast.Name) and items.id in self.active and state.get(items.id, ZERO) == ZERO
        if takes_over:  # the list's adjoint becomes the shorter list's: pop it there
            code += self.accumulate(items, n.name(adj), state, fresh=True)
            adj = self.namer.adjoint(items.id)
        if isinstance(item, gast.Name) and item.id in self.active:
            last = gast.Subscript(value=n.name(adj), slice=n.const(-1), ctx=gast.Load())
            code += self.accumulate(item, last, state, fresh=False)
        code.append(n.assign(adj, _helper_call(containers.drop_last, n.name(adj))))
        if not takes_over and isinstance(items, gast.Name) and items.id in self.active:
            code += self.accumulate(items, n.name(adj), state, fresh=False)
        return code

    def apply_rule(self, stmt, key, target, args, keywords, state, call=None):
        if key in registry.NONDIFFERENTIABLE:
            return []
        template = registry.ADJOINTS.get(key) if key is not None else None
        if template is None:
            err = MissingRuleError(
                f"call to {self._callee_name(key, call)} without a derivative rule",
                self.src.location(stmt),
                "register one with @ta.adjoint(fn) (see docs/custom-rules.md), or keep "
                "the call out of the differentiated path",
            )
            # `model.loss(x)`, `model(x)`: resolved once a call shows the object's class
            receiver = call.func.value if call is not None and isinstance(call.func, gast.Attribute) else None
            err.deferrable = self._is_parameter(receiver if call is None or receiver is not None else call.func)
            raise err
        bindings = template.bind(args, keywords, self.src.location(stmt))
        cast = registry.cast_of(bindings)
        if cast == "integer":
            return []  # np.sum(x, dtype=int): piecewise constant
        result = n.name(target)
        expanded = _merge_repeated(template.expand(bindings, result, lambda: self.namer.fresh(naming.TEMP)))
        if cast is not None:
            expanded = [_cast(item, cast) for item in expanded]
        operands = [node for node in bindings.values() if isinstance(node, gast.AST)]
        code = []
        d_target = self.namer.adjoint(target)
        handed_over = self._hand_over(expanded, state.get(target) == OWNED)
        for item in expanded:
            if isinstance(item, Accumulate):
                atom = item.target
                if isinstance(atom, gast.Name) and atom.id in self.active:
                    value = self._substitute_adjoints(item.value)
                    if registry.is_elementwise(key):
                        value = self._simplify_unbroadcast(value, atom, target, operands)
                    fresh = _is_fresh(value) or (item is handed_over and _same(value, n.name(d_target)))
                    code += self.accumulate(atom, value, state, fresh=fresh)
                elif isinstance(atom, (gast.Tuple, gast.List)) and _has_active(atom, self.active):
                    # d[args] for a *args parameter: element i to the i-th operand
                    value = self._substitute_adjoints(item.value)
                    holder = self.namer.fresh(naming.TEMP)
                    code.append(n.assign(holder, value))
                    for i, elt in enumerate(atom.elts):
                        if isinstance(elt, gast.Name) and elt.id in self.active:
                            part = gast.Subscript(value=n.name(holder), slice=n.const(i), ctx=gast.Load())
                            code += self.accumulate(elt, part, state, fresh=False)
                elif _has_active(atom, self.active):
                    raise UnsupportedConstructError(
                        f"{self._callee_name(key, call)} of a nested container of differentiated values",
                        self.src.location(stmt),
                        "use np.stack/np.concatenate of arrays held in names",
                    )
            else:
                code.append(self._substitute_adjoints(item))
        code = [self._shape_donors(self._rematerialize(self._static_products(stmt_), stmt), stmt) for stmt_ in code]
        return code

    def _static_products(self, node):
        """matmul_lhs(g, a, b) -> g @ b.T and matmul_rhs(g, a, b) -> a.T @ g
        when the operands are known matrices or vectors (no batch axes): the
        product a person writes; for a stack of matrices times a matrix,
        ``np.tensordot(a, g, ([0, 1], [0, 1]))`` sums the stack in one product
        over all its rows. Where the contracted extent is 1 (a matrix
        times a vector, or a one-row batch ``x.T @ g``), the adjoint is an
        outer product: ``np.einsum('i,j->ij', g, b)`` and
        ``np.einsum('ki,kj->ij', x, g)``, which NumPy computes 2-3x faster
        than the broadcast product or a matrix product over one row."""
        known = getattr(self, "shapes", {})

        def shape(arg):
            return known.get(arg.id) if isinstance(arg, gast.Name) else None

        def einsum(spec, *operands):
            return _numpy_call("einsum", n.const(spec), *(n.copy_node(o) for o in operands))

        def product(side, g, a, b):
            a_shape, b_shape = shape(a), shape(b)
            ranks = tuple(None if s is None else len(s) for s in (a_shape, b_shape))
            if ranks[0] is not None and ranks[0] >= 3 and ranks[1] == 2:
                # a stack of matrices times one matrix: the matrix's adjoint
                # sums over the stack, in one product over all its rows
                if side == "lhs":
                    return gast.BinOp(left=g, op=gast.MatMult(), right=n.attr(n.copy_node(b), "T"))
                stacked = gast.List(elts=[n.const(i) for i in range(ranks[0] - 1)], ctx=gast.Load())
                return _numpy_call("tensordot", n.copy_node(a), g, gast.Tuple(
                    elts=[stacked, n.copy_node(stacked)], ctx=gast.Load()))
            if side == "lhs":
                if ranks == (2, 2) and b_shape[1] == 1:
                    return einsum("ik,jk->ij", g, b)
                if ranks in ((2, 2), (1, 2)):
                    return gast.BinOp(left=g, op=gast.MatMult(), right=n.attr(n.copy_node(b), "T"))
                if ranks == (2, 1):
                    return einsum("i,j->ij", g, b)
            else:
                if ranks == (2, 2) and a_shape[0] == 1:
                    return einsum("ki,kj->ij", a, g)
                if ranks in ((2, 2), (2, 1)):
                    return gast.BinOp(left=n.attr(n.copy_node(a), "T"), op=gast.MatMult(), right=g)
                if ranks == (1, 2):
                    return einsum("i,j->ij", a, g)
            return None

        def rewrite(sub):
            for helper, side in ((helpers.matmul_lhs, "lhs"), (helpers.matmul_rhs, "rhs")):
                if _is_helper_call(sub, helper) and len(sub.args) == 3:
                    return product(side, *sub.args) or sub
            return sub

        if not _calls(node, (helpers.matmul_lhs, helpers.matmul_rhs)):
            return node
        return _rewrite(node, rewrite)

    def _hand_over(self, expanded, owned):
        """The one accumulation that receives the result's adjoint unchanged,
        when the result's adjoint is owned and read nowhere else in the rule
        (its buffer may then be updated in place by its new owner)."""
        if not owned:
            return None
        readers = [
            item for item in expanded
            if isinstance(item, Accumulate)
            and _has_active(item.target, self.active)
            and any(_is_marker(sub) for sub in n.walk(item.value))
        ]
        others = [item for item in expanded if not isinstance(item, Accumulate)]
        if len(readers) == 1 and not others:
            return readers[0]  # (used only if its value turns out to be d[y] itself)
        return None

    def _rematerialize(self, node, stmt):
        """Scalar temporaries the adjoint reads are recomputed rather than
        saved: ``_t4 = y ** 3`` read by the adjoint of ``_t5 = b * _t4``
        becomes ``d_b += d_t5 * y ** 3``, when nothing between the two
        statements changes `y` (and `y` is then restored anyway); also in
        its own statement's adjoint (``_t0 = a / x``, whose rule reads
        ``_t0``: ``a / x`` again, with the `x` the adjoint reads). So are
        views of an array by basic indexing (``_t1 = xs[t]``, read by the
        adjoint of ``_t2 = _t1 @ W``): the view reads the memory that
        ``xs[t]`` reads again at the adjoint, when nothing between the two
        statements rebinds `xs` or `t` or writes into `xs` under any name."""
        candidates = self._remat_candidates()
        where = self._positions.get(id(stmt))
        if where is None or not candidates:
            return node
        block, index = where

        def replace(sub):
            if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) and not _is_marker(sub):
                found = candidates.get(sub.id)
                if found is not None and found[0] is block and found[1] <= index:
                    value = found[2]
                    reads = set(n.load_names(value))
                    written = set(n.store_names(stmt.targets[0])) if isinstance(stmt, gast.Assign) else set()
                    shared = set()
                    if isinstance(value, gast.Subscript):
                        # names sharing the array's memory matter only where
                        # they are written into (``_t2 = x[i]`` beside ``_t0 =
                        # x[i]`` rebinds a name, it changes no element)
                        shared = self._sharing_of(value.value.id) - reads
                        written |= _subscript_bases(stmt)
                    into = _written_into(stmt)
                    if (
                        not (reads & written) and not (shared & into)
                        and self._writes(block).next(reads, found[1], index) == index
                        and self._writes_into(block).next(shared, found[1], index) == index
                    ):
                        # (its own operands may be such temporaries too: ``(i + 3) % 4``)
                        return _rewrite(n.copy_node(value), replace)
            return sub

        return _rewrite(node, replace)

    def _sharing_of(self, base):
        """Names that may share memory with `base` (`analysis._sharing`), cached."""
        table = self.__dict__.setdefault("_sharing_table", {})
        if base not in table:
            if "_sharing_edges" not in self.__dict__:
                self._sharing_edges = analysis._sharing_edges(self.func.body)
            table[base] = analysis._sharing(base, self.func.body, self._sharing_edges)
        return table[base]

    def _writes(self, block):
        """`Positions` of the names each statement of primal `block` binds or
        writes into."""
        if id(block) not in self._block_writes:
            self._block_writes[id(block)] = Positions(
                set(n.store_names(stmt)) | _subscript_bases(stmt) for stmt in block
            )
        return self._block_writes[id(block)]

    def _writes_into(self, block):
        """`Positions` of the names whose memory each statement of primal
        `block` writes into (`_written_into`)."""
        table = self.__dict__.setdefault("_block_writes_into", {})
        if id(block) not in table:
            table[id(block)] = Positions(_written_into(stmt) for stmt in block)
        return table[id(block)]

    def _remat_candidates(self):
        """{name: (block, index, value)} for names defined once: scalar
        temporaries by one arithmetic operation on names and constants, and
        any name bound to a view of an array of known shape by basic indexing
        with integers and slices."""
        if hasattr(self, "_remat"):
            return self._remat
        counts, found, positions = {}, {}, {}

        def visit(stmts):
            for index, stmt in enumerate(stmts):
                positions[id(stmt)] = (stmts, index)
                for name in n.store_names(stmt) if isinstance(stmt, gast.Assign) else []:
                    counts[name] = counts.get(name, 0) + 1
                if (
                    isinstance(stmt, gast.Assign)
                    and isinstance(stmt.targets[0], gast.Name)
                    and isinstance(stmt.value, (gast.BinOp, gast.UnaryOp))
                    and not isinstance(getattr(stmt.value, "op", None), gast.MatMult)
                    and all(n.is_atom(a) for a in n.children(stmt.value) if isinstance(a, gast.expr))
                    and stmt.targets[0].id in self.scalars
                    and _is_temporary(stmt.targets[0].id)
                    and all(name in self.scalars for name in n.load_names(stmt.value))
                ):
                    found[stmt.targets[0].id] = (stmts, index, stmt.value)
                elif (
                    isinstance(stmt, gast.Assign)
                    and isinstance(stmt.targets[0], gast.Name)
                    and self._is_basic_view(stmt.value)
                ):  # a temporary, or a name of the user's (``row`` of ``for row in X``)
                    found[stmt.targets[0].id] = (stmts, index, stmt.value)
                for field in ("body", "orelse"):
                    visit(getattr(stmt, field, []) or [])
                if isinstance(stmt, gast.For):
                    counts[stmt.target.id] = counts.get(stmt.target.id, 0) + 1

        visit(self.func.body)
        self._remat = {name: where for name, where in found.items() if counts.get(name) == 1}
        self._positions = positions
        return self._remat

    def _is_basic_view(self, value):
        """``x[i, 1:j]`` that may be read again at the adjoint instead of
        saved (or ``xs[i]``, an item of a container argument): a Name of known array shape, bound once for good (so reading
        it never needs a push), indexed by integers (constants or scalar
        names) and slices. With a slice or fewer indices than dimensions the
        subscript is a view, which reads the same memory at either place;
        a single element is a copy, so then nothing may write into `x`."""
        if not (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)):
            return False
        base = value.value.id
        shape = getattr(self, "shapes", {}).get(base)
        if base in getattr(self, "containers", ()) and base not in getattr(self, "objects", ()):
            # an item of a list, tuple or dict argument: the same object each read
            index = value.slice
            return (
                (isinstance(index, gast.Constant) and isinstance(index.value, (int, str)))
                or (isinstance(index, gast.Name) and index.id in self.scalars)
            ) and self._bound_for_good(base) and not self._written_into(base)
        if base in self.scalars or not shape:
            return False
        parts = value.slice.elts if isinstance(value.slice, gast.Tuple) else [value.slice]
        for part in parts:
            bounds = [part.lower, part.upper, part.step] if isinstance(part, gast.Slice) else [part]
            for bound in bounds:
                if bound is None:
                    continue
                if isinstance(bound, gast.Constant) and type(bound.value) is int:
                    continue
                if isinstance(bound, gast.Name) and bound.id in self.scalars:
                    continue
                return False
        element = len(parts) == len(shape) and not any(isinstance(p, gast.Slice) for p in parts)
        return self._bound_for_good(base) and not (element and self._written_into(base))

    def _bound_for_good(self, base):
        """A parameter never rebound, or a name bound once, by a statement
        at the top level of the function."""
        if not hasattr(self, "_store_counts"):
            counts = collections.Counter(
                node.id for node in n.walk(self.func)
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store)
            )
            top = {name for stmt in self.func.body if isinstance(stmt, gast.Assign) for name in n.store_names(stmt)}
            self._store_counts = (counts, top)
        counts, top = self._store_counts
        args = self.func.args
        params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        return counts[base] == 0 if base in params else counts[base] == 1 and base in top

    def _written_into(self, base):
        """Whether a statement may write into `base`'s memory under any name:
        an index assignment, or a call whose result is discarded."""
        if not hasattr(self, "_writers"):
            # every name written into, or that a call whose result is discarded may change
            self._writers = set()
            for stmt in all_statements(self.func.body):
                self._writers |= _subscript_bases(stmt)
                if isinstance(stmt, gast.Expr):
                    self._writers.update(analysis.call_operands(stmt.value))
        return bool(self._sharing_of(base) & self._writers)

    def _shape_donors(self, node, stmt):
        """A shape-only read of a temporary reads instead an argument the
        function never rebinds whose shape is known to be the same: in loops
        the temporary then need not be saved each iteration, and a temporary
        computed only for its shape (``h ** 2`` of ``np.sum(h ** 2)``) is not
        computed at all. A donor assigned in the function must be bound
        before the primal statement `stmt`: the reverse sweep of a later
        statement restores it (it held None before) before this adjoint
        runs."""
        known = getattr(self, "shapes", {})
        donors = self._donors(self._top_position(stmt))
        for call in n.walk(node):
            if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name)):
                continue
            for position in LIKE_ARGS.get(anno.get(call.func, "inject"), ()):
                if position >= len(call.args):
                    continue
                arg = call.args[position]
                if (
                    isinstance(arg, gast.Name)
                    and arg.id not in donors.values()
                    and (self.loop_depth or _is_temporary(arg.id))
                ):
                    donor = donors.get(known.get(arg.id))
                    if donor is not None:
                        call.args[position] = n.name(donor)
        return node

    def _top_position(self, stmt):
        """The index in the function's body of the statement holding `stmt`."""
        if not hasattr(self, "_top_positions"):
            self._top_positions = {
                id(node): index for index, top in enumerate(self.func.body) for node in n.walk(top)
            }
        return self._top_positions.get(id(stmt), len(self.func.body))

    def _donors(self, before):
        """{shape: name} of names whose shape is known and which stay bound to
        one value: unrebound parameters first, then names assigned once at
        the top level of the function, by a statement before position
        `before` of its body."""
        return {
            shape: next(name for name, position in candidates if position < before)
            for shape, candidates in self._donor_candidates().items()
            if any(position < before for _, position in candidates)
        }

    def _donor_candidates(self):
        """{shape: [(name, position of its assignment; -1 for a parameter)]},
        best first."""
        if not hasattr(self, "_donor_table"):
            known = getattr(self, "shapes", {})
            args = self.func.args
            params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
            counts = {}
            for node in n.walk(self.func):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                    counts[node.id] = counts.get(node.id, 0) + 1
            top_level = [
                (stmt.targets[0].id, position)
                for position, stmt in enumerate(self.func.body)
                if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            ]
            # the user's names read better than temporaries
            top_level.sort(key=lambda item: _is_temporary(item[0]))
            excluded = self.containers_or_objects()
            table = {}
            for name, position in [(param, -1) for param in params] + top_level:
                shape = known.get(name)
                single = counts.get(name, 0) == (0 if name in params else 1)
                if shape is not None and shape != () and single and name not in excluded:
                    table.setdefault(shape, []).append((name, position))
            self._donor_table = table
        return self._donor_table

    def containers_or_objects(self):
        return set(getattr(self, "containers", ())) | set(getattr(self, "objects", ()))

    def _is_parameter(self, node):
        """Whether `node` names one of the function's parameters (whose kind a
        call-time specialisation may know: an object's class, say)."""
        if not isinstance(node, gast.Name):
            return False
        args = self.func.args
        return node.id in {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}

    def _callee_name(self, key, call):
        if isinstance(key, tuple):
            kind, name = key[0], key[1]
            return f"the {kind} .{name}" if kind in ("method", "attr") else str(key)
        if key is None:
            return "a function only known at run time"
        return describe(key)

    def _substitute_adjoints(self, node):
        for sub in n.walk(node):
            for field, value in gast.iter_fields(sub):
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        if _is_marker(item):
                            value[i] = self._adjoint_name(item)
                elif _is_marker(value):
                    setattr(sub, field, self._adjoint_name(value))
        if _is_marker(node):
            return self._adjoint_name(node)
        return node

    def _adjoint_name(self, marker):
        atom = anno.get(marker, "adjoint_of")
        return n.name(self.namer.adjoint(atom.id))

    def _is_scalar(self, node):
        if isinstance(node, gast.Constant):
            return True
        if isinstance(node, gast.Name):
            return node.id in self.scalars
        return library_number(node)

    def _simplify_unbroadcast(self, value, atom, target, operands):
        """Resolve unbroadcast(g, x) when generating, where shapes are known.

        Only for elementwise rules: there `g` has the result's shape, the
        operands' broadcast shape. Where it provably equals x's shape the call
        goes; where the shapes are known, it becomes the sum over the
        broadcast axes (``g.sum(axis=0)``); otherwise it stays, checked at
        run time."""
        others = [o for o in operands if not (isinstance(o, gast.Name) and o.id == atom.id)]
        axes = None
        if all(self._is_scalar(o) for o in others) or (atom.id in self.scalars and target in self.scalars):
            axes = ((), False)
        else:
            known = getattr(self, "shapes", {})
            axes = shapes_module.reduction_axes(known.get(target), known.get(atom.id))

        def simplify(node):
            if _is_helper_call(node, runtime.unbroadcast) and _same(node.args[1], atom):
                if axes is None:
                    return node
                summed_axes, keepdims = axes
                if not summed_axes:
                    return node.args[0]
                if atom.id in self.scalars:
                    dot = self._as_dot(node.args[0], target)
                    if dot is not None:
                        return dot
                return _sum_over(node.args[0], summed_axes, keepdims, atom.id in self.scalars)
            return node

        if not _calls(value, (runtime.unbroadcast,)):
            return value
        return _rewrite(value, simplify)

    def _as_dot(self, product, target):
        """sum(g * x) of two arrays shaped like the result: one dot product
        (``g @ x`` for vectors, ``np.vdot(g, x)`` otherwise)."""
        known = getattr(self, "shapes", {})
        shape = known.get(target)
        if not (
            shape
            and isinstance(product, gast.BinOp)
            and isinstance(product.op, gast.Mult)
            and isinstance(product.left, gast.Name)
            and isinstance(product.right, gast.Name)
        ):
            return None
        factors = [product.left, product.right]
        for factor in factors:
            is_adjoint = factor.id == self.namer.adjoint(target)
            if not is_adjoint and known.get(factor.id) != shape:
                return None
        if len(shape) == 1:
            return gast.BinOp(left=factors[0], op=gast.MatMult(), right=factors[1])
        return _numpy_call("vdot", *factors)

    def accumulate(self, atom, value, state, fresh):
        """Code adding `value` into the adjoint of `atom`."""
        name = atom.id if isinstance(atom, gast.Name) else atom
        if name not in self.active:
            return []
        adj = self.namer.adjoint(name)
        current = state.get(name, ZERO)
        if current == ZERO:
            state[name] = OWNED if fresh else LIVE
            return [n.assign(adj, value)]
        state[name] = OWNED
        if current == OWNED:
            return [gast.AugAssign(target=n.name(adj, store=True), op=gast.Add(), value=value)]
        return [n.assign(adj, gast.BinOp(left=n.name(adj), op=gast.Add(), right=value))]

    # -- indexing -----------------------------------------------------------

    def getitem(self, stmt, target, value, state):
        base = value.value
        if not (isinstance(base, gast.Name) and base.id in self.active):
            return []
        d_target = n.name(self.namer.adjoint(target))
        adj = self.namer.adjoint(base.id)
        index = value.slice
        current = state.get(base.id, ZERO)
        if current == ZERO:
            state[base.id] = OWNED
            call = _helper_call(runtime.unindex, d_target, n.name(base.id), _index_expr(index))
            return [n.assign(adj, call)]
        if current == LIVE or _may_index_zero_d(index):
            # a 0-d array's adjoint made by arithmetic is a NumPy scalar,
            # which takes no element writes (`d_x[()] += g`)
            state[base.id] = OWNED
            call = _helper_call(runtime.unindex, d_target, n.name(base.id), _index_expr(index))
            return [n.assign(adj, gast.BinOp(left=n.name(adj), op=gast.Add(), right=call))]
        if self._is_basic_index(index):
            index, d_target = _without_new_axes(index, d_target)
            if index is None:  # the whole array
                return [gast.AugAssign(target=n.name(adj, store=True), op=gast.Add(), value=d_target)]
            store = gast.Subscript(value=n.name(adj), slice=index, ctx=gast.Store())
            return [gast.AugAssign(target=store, op=gast.Add(), value=d_target)]
        call = _helper_call(runtime.add_at, n.name(adj), _index_expr(index), d_target)
        return [gast.Expr(value=call)]

    def _is_basic_index(self, index):
        if isinstance(index, gast.Tuple):
            return all(self._is_basic_index(part) for part in index.elts)
        if isinstance(index, gast.Slice):
            return True
        if isinstance(index, gast.Constant):
            return index.value is None or index.value is Ellipsis or isinstance(index.value, int)
        if isinstance(index, gast.Name):
            return index.id in self.scalars
        return False

    def setitem(self, stmt, state):
        target = stmt.targets[0]
        base = target.value.id
        index = target.slice
        value = stmt.value
        code = []
        increment = self._increment_of(stmt)
        if increment is not None and base in self.active and state.get(base, ZERO) != ZERO:
            # u[s] = u[s] + r: the slot's adjoint flows on unchanged, r gets it too
            rest, sign = increment
            if isinstance(rest, gast.Name) and rest.id in self.active:
                adj = self.namer.adjoint(base)
                slot = self._written_slot(adj, index)
                taken = self._slot_to(slot, base, index, rest)
                if sign < 0:
                    taken = gast.UnaryOp(op=gast.USub(), operand=taken)
                elif rest.id not in self.scalars:
                    taken = _helper_call(runtime.copy, taken)
                code += self.accumulate(rest, taken, state, fresh=True)
        elif base in self.active and state.get(base, ZERO) != ZERO:
            adj = self.namer.adjoint(base)
            if isinstance(value, gast.Name) and value.id in self.active:
                slot = self._written_slot(adj, index)
                known = getattr(self, "shapes", {})
                slot_shape = self._slot_shape(base, index)
                if slot_shape is not None and slot_shape == known.get(value.id):
                    taken = slot  # same shape: nothing broadcast into the slot
                else:
                    taken = _helper_call(runtime.unbroadcast, slot, n.name(value.id))
                if value.id not in self.scalars:
                    taken = _helper_call(runtime.copy, taken)
                if value.id == base:
                    # ``y[s] = y``: the slot's adjoint goes to the old y once
                    # the slot is zeroed (accumulated first, it was zeroed too)
                    held = self.namer.fresh(naming.TEMP)
                    code.append(n.assign(self.namer.adjoint(held), taken))
                    deferred = n.name(self.namer.adjoint(held))
                else:
                    code += self.accumulate(value, taken, state, fresh=True)
            if state.get(base) == OWNED and not _may_index_zero_d(index):
                # (a 0-d array's adjoint may be a NumPy scalar: zero_at, not a write)
                store = gast.Subscript(value=n.name(adj), slice=n.copy_node(index), ctx=gast.Store())
                zero = n.const(0.0)
                if isinstance(value, gast.Name) and base in self._containers_held() and value.id not in self.scalars:
                    # a list's or dict's item: zeros shaped like the item it
                    # held before, where that is known, else like this one
                    held = self._item_before(stmt, base, index) or value.id
                    zero = _helper_call(runtime.zeros_like, n.name(held))
                code.append(n.assign(store, zero))
            else:
                call = _helper_call(runtime.zero_at, n.name(adj), _index_expr(index))
                code.append(n.assign(adj, call))
                state[base] = OWNED
            if isinstance(value, gast.Name) and value.id == base and value.id in self.active:
                code += self.accumulate(value, deferred, state, fresh=True)
        code = [self._rematerialize(c, stmt) for c in code]  # (``vals[i % 4]``: the index again)
        self._note_reads(code, self.reads_after, stmt)
        # Restoring the overwritten elements writes into `base` itself.
        self._record(self.reads_after, stmt, {base})
        return code

    def _item_before(self, stmt, base, index):
        """The name of the item ``base[index] = v`` (a constant index)
        replaces, when an earlier statement of the same block stored it
        (``base[index] = w``, or the display ``base = {...}`` / ``[...]``)
        and nothing between them may change `base` or rebind the name."""
        if not isinstance(index, gast.Constant):
            return None
        self._remat_candidates()  # (builds `_positions`)
        where = self._positions.get(id(stmt))
        if where is None:
            return None
        block, position = where
        for earlier in reversed(block[:position]):
            if not isinstance(earlier, gast.Assign):
                if n.mentions(earlier, base):
                    return None
                continue
            target, value = earlier.targets[0], earlier.value
            if isinstance(target, gast.Subscript) and n.is_name(target.value, base):
                other = target.slice
                if not isinstance(other, gast.Constant) or _may_be_the_same_slot(other.value, index.value):
                    # the same key, or one that may name the same slot
                    # (``L[i]``, ``L[-1]`` after ``L[1]``): only the same key is known
                    same = isinstance(other, gast.Constant) and type(other.value) is type(index.value) \
                        and other.value == index.value
                    return self._bound_once_name(value) if same else None
                continue  # another key
            if n.is_name(target, base):
                return self._display_item(value, index.value)
            if n.mentions(earlier, base) and not isinstance(value, gast.Subscript):
                return None  # (a read of an item is fine; anything else may change it)
        return None

    def _display_item(self, value, key):
        """The name a dict or list display holds at the constant `key`."""
        if isinstance(value, gast.Dict):
            found = None
            for k, item in zip(value.keys, value.values):
                if not isinstance(k, gast.Constant):
                    return None  # (a computed key may be this one)
                if k.value == key:
                    found = item  # (the last of a repeated key is the one held)
            return self._bound_once_name(found) if found is not None else None
        if isinstance(value, (gast.List, gast.Tuple)) and type(key) is int and -len(value.elts) <= key < len(value.elts):
            return self._bound_once_name(value.elts[key])
        return None

    def _bound_once_name(self, node):
        if not isinstance(node, gast.Name):
            return None
        self._bound_for_good(node.id)  # (builds `_store_counts`)
        return node.id if self._store_counts[0][node.id] <= 1 else None

    def _written_slot(self, adj, index):
        """The adjoint of the value written by ``u[index] = ...``: ``d_u[index]``,
        or, for an index that may repeat an element, `assigned` (only the
        last write of an element counts)."""
        if self._is_basic_index(index):
            return gast.Subscript(value=n.name(adj), slice=n.copy_node(index), ctx=gast.Load())
        return _helper_call(runtime.assigned, n.name(adj), _index_expr(index))

    def _slot_shape(self, base, index):
        """The shape of ``base[index]``, or None: indexing an array of known
        shape, or taking an item of a list whose items have one known shape."""
        known = getattr(self, "shapes", {})
        items = known.get(base + shapes_module.ITEMS)
        if items is not None:
            position = (isinstance(index, gast.Constant) and type(index.value) is int) or (
                isinstance(index, gast.Name) and index.id in self.scalars
            )
            return items if position else None
        return shapes_module.subscript_shape(known.get(base), index, lambda part: part.id in self.scalars)

    def _containers_held(self):
        """Lists and dicts: container arguments and names bound to displays."""
        if not hasattr(self, "_held"):
            self._held = set(getattr(self, "containers", ())) | analysis.container_names(self.func.body)
        return self._held

    def _slot_to(self, slot, base, index, value):
        """The adjoint in a slot, summed to `value`'s shape unless equal."""
        known = getattr(self, "shapes", {})
        slot_shape = self._slot_shape(base, index)
        if slot_shape is not None and slot_shape == known.get(value.id):
            return slot
        return _helper_call(runtime.unbroadcast, slot, n.name(value.id))

    def _increment_of(self, stmt):
        """(r, +1 or -1) when `stmt` is ``u[s] = t`` with ``t = u[s] + r`` (or
        ``r + u[s]``, ``u[s] - r``), the temporaries used nowhere else and
        nothing writing `u` between the read and the write; else None."""
        defs, uses, positions = self._definitions()
        value = stmt.value
        if not isinstance(value, gast.Name) or uses.get(value.id) != 1:
            return None
        total = defs.get(value.id)
        if total is None or not isinstance(total.value, gast.BinOp):
            return None
        op = total.value.op
        left, right = total.value.left, total.value.right
        target = stmt.targets[0]
        for read, rest, sign in ((left, right, 1), (right, left, 1)) if isinstance(op, gast.Add) else (
            ((left, right, -1),) if isinstance(op, gast.Sub) else ()
        ):
            if not (isinstance(read, gast.Name) and uses.get(read.id) == 1):
                continue
            loaded = defs.get(read.id)
            if not (
                loaded is not None
                and isinstance(loaded.value, gast.Subscript)
                and isinstance(loaded.value.value, gast.Name)
                and loaded.value.value.id == target.value.id
                and gast.dump(loaded.value.slice) == gast.dump(target.slice)
            ):
                continue
            block, start = positions[id(loaded)]
            block_s, end = positions.get(id(stmt), (None, None))
            if block_s is not block or not start < end:
                continue
            between = block[start + 1:end]
            if any(target.value.id in _subscript_bases(b) | set(n.store_names(b)) for b in between):
                continue
            if any(name in set(n.store_names(b)) for b in between for name in n.load_names(target.slice)):
                continue
            return rest, sign
        return None

    def _definitions(self):
        """{name: its only definition}, {name: number of reads}, positions."""
        if not hasattr(self, "_defs_table"):
            counts, defs, uses = {}, {}, {}
            for node in n.walk(self.func):
                if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
                    name = node.targets[0].id
                    counts[name] = counts.get(name, 0) + 1
                    defs[name] = node
                elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                    uses[node.id] = uses.get(node.id, 0) + 1
            defs = {name: node for name, node in defs.items() if counts[name] == 1}
            self._remat_candidates()  # fills self._positions
            self._defs_table = (defs, uses, self._positions)
        return self._defs_table

    def expr(self, stmt):
        """A call whose result is discarded: fine unless it may write into
        differentiated values (``np.exp(x, out=y)``, ``items.append(x)``)."""
        call = stmt.value
        if isinstance(call, gast.Call):
            if registry.passes_out(call):
                raise UnsupportedConstructError(
                    "out= argument", self.src.location(stmt), "assign the result instead"
                )
            if registry.call_key(call) in registry.NONDIFFERENTIABLE or registry.observes_only(call):
                return []
        names = [name for name in n.load_names(call) if name in self.varied]
        if names:
            raise UnsupportedConstructError(
                analysis.discarded_call_construct(call),
                self.src.location(stmt),
                "in-place mutation (e.g. list.append) of differentiated values is not "
                "supported; assign the result to a name",
            )
        return []

    # -- control flow ----------------------------------------------------------

    def if_(self, stmt, state):
        if _is_loop_exit(stmt):
            return []
        then_state, else_state = dict(state), dict(state)
        then_code = self.block(stmt.body, then_state)
        else_code = self.block(stmt.orelse, else_state)
        if not then_code and not else_code:
            state.clear()
            state.update(_state_join(then_state, else_state))
            return []
        joined = _state_join(then_state, else_state)
        then_code += self._materialize(then_state, joined, stmt)
        else_code += self._materialize(else_state, joined, stmt)
        state.clear()
        state.update(joined)
        self.header_reads[id(stmt)] = {stmt.test.id}
        self.modes[stmt.test.id] = analysis.VALUE
        node = n.if_(n.name(stmt.test.id), then_code or [gast.Pass()], else_code)
        anno.set(node, "primal", id(stmt))
        return [node]

    def _materialize(self, have, want, stmt, table=None):
        """Zeros for adjoints that `want` has but `have` lacks."""
        code = []
        for name in sorted(want):
            if have.get(name, ZERO) == ZERO:
                zero = self._zeros(name)
                code.append(n.assign(self.namer.adjoint(name), zero))
        if code:
            self._note_reads(code, table if table is not None else self.reads_before, stmt)
        return code

    def _zeros(self, name):
        if name in self.scalars:
            return n.const(0.0)
        return _helper_call(runtime.zeros_like, n.name(name))

    def _loop_states(self, stmt, state):
        """Fixed point of the adjoint state at the top of the reversed body.

        An adjoint that the body leaves OWNED is made owned once before the
        loop (zeros or a copy), so every iteration may update it in place.
        """
        entry = dict(state)
        head = dict(state)
        for name in self._appended_lists() & set(head):
            if head[name] == LIVE:  # (owned from the start: popped in place on every path)
                head[name] = OWNED
        last = None
        for _ in range(20):
            end = dict(head)
            self.loop_depth += 1
            code = self.block(stmt.body, end)
            self.loop_depth -= 1
            new = {}
            for name in set(head) | set(end):
                if end.get(name, ZERO) == LIVE:
                    new[name] = LIVE
                else:
                    new[name] = OWNED
            if new == head:
                # the body's code for the fixed point's state: what `_loop`
                # would generate again from the same state
                last = (code, end)
                break
            head = new
        else:
            head = {name: LIVE for name in head}
        return entry, head, last

    def _loop(self, stmt, state, header):
        entry, head, last = self._loop_states(stmt, state)
        if last is not None:
            body_code, body_state = last
        else:
            body_state = dict(head)
            self.loop_depth += 1
            body_code = self.block(stmt.body, body_state)
            self.loop_depth -= 1
        if not body_code:
            state.clear()
            state.update(head)
            return [], None
        before = self._materialize(entry, head, stmt, table=self.reads_after)
        after = dict(head)
        for name in sorted(head):
            if head[name] == OWNED and entry.get(name) == LIVE:
                adj = self.namer.adjoint(name)
                if name in self.scalars or not _updates_in_place(body_code, adj):
                    after[name] = LIVE  # never written in place: no copy needed
                elif name in self._appended_lists():
                    # a list's adjoint, popped in place: a list of copies (a
                    # tuple seed becomes a list)
                    before.append(n.assign(adj, _helper_call(containers.owned_list, n.name(adj))))
                else:
                    before.append(n.assign(adj, _helper_call(runtime.copy, n.name(adj))))
        first = stmt.body[0] if stmt.body else stmt
        body_code += self._materialize(body_state, head, first)
        state.clear()
        state.update(after)
        loop = gast.For(target=header[0], iter=header[1], body=body_code, orelse=[], type_comment=None)
        anno.set(loop, "primal", id(stmt))
        return before + [loop], loop

    def for_(self, stmt, state):
        trips = anno.get(stmt, "trips")
        rng = n.copy_node(stmt.iter)
        if trips is not None:
            rng = gast.Subscript(
                value=rng, slice=gast.Slice(lower=None, upper=n.name(trips), step=None), ctx=gast.Load()
            )
        if isinstance(stmt.iter, gast.Name):
            # a range the primal bound to a name (``_t3 = range(3)[::-1]``):
            # its reverse as a slice, a range again (forward over reverse
            # loops over ranges and sequences, not iterators)
            backwards = gast.Subscript(
                value=rng, slice=gast.Slice(lower=None, upper=None, step=n.const(-1)), ctx=gast.Load()
            )
        else:
            backwards = n.call(n.name("reversed"), rng)
        header = (n.name(stmt.target.id, store=True), backwards)
        code, loop = self._loop(stmt, state, header)
        if loop is not None:
            reads = (set(n.load_names(stmt.iter)) & self.locals) | ({trips} if trips else set())
            self.header_reads[id(stmt)] = reads
            for name in reads:
                self.modes[name] = analysis.VALUE
        return code + [_pop_slot(stmt)]

    def while_(self, stmt, state):
        trips = anno.get(stmt, "trips")
        counter = self.namer.unique("_")
        header = (n.name(counter, store=True), n.call(n.name("range"), n.name(trips)))
        code, loop = self._loop(stmt, state, header)
        if loop is not None:
            self.header_reads[id(stmt)] = {trips}
            self.modes[trips] = analysis.VALUE
        return code

    # -- gradients returned ----------------------------------------------------

    def _rebound(self):
        """The names the function's body assigns."""
        return {name for stmt in all_statements(self.func.body) for name in defined_names(stmt)}

    def _gradients(self, state):
        out = []
        for name in self.wrt:
            if state.get(name, ZERO) != ZERO:
                grad = n.name(self.namer.adjoint(name))
            elif name in self.scalars and name in self._rebound() and name not in self.scalar_params:
                # a parameter rebound to a number (``s = 2.0``): its own
                # value, read at entry, may be an array
                grad = _helper_call(runtime.zeros_like, n.name(name))
            else:
                grad = self._zeros(name)
            if name in getattr(self, "containers", ()):
                grad = _helper_call(containers.structure_like, grad, n.name(name))
            values, likes = set(), set()
            _collect_reads(grad, self.primal_names, values, likes)
            self.entry_reads |= values | likes
            for like_name in likes:
                self.modes.setdefault(like_name, analysis.LIKE)
            for value_name in values:
                self.modes[value_name] = analysis.VALUE
            out.append(grad)
        return out


# -- small helpers ---------------------------------------------------------------


def _local_names(func):
    from ..source import local_names

    return local_names(func)


def _primal_names(func):
    names = set()
    for node in n.walk(func):
        if isinstance(node, gast.Name):
            names.add(node.id)
    return names


def _pop_slot(stmt):
    marker = gast.Expr(value=n.const(_POP))
    anno.set(marker, "slot", id(stmt))
    return marker


def is_pop_slot(node):
    return (
        isinstance(node, gast.Expr)
        and isinstance(node.value, gast.Constant)
        and node.value.value == _POP
    )


def _updates_in_place(code, adj):
    """Whether `code` writes into the value held by `adj` (+=, [i] =, add_at,
    `drop_last`)."""
    for node in (sub for stmt in code for sub in n.walk(stmt)):
        target = None
        if _is_helper_call(node, containers.drop_last):
            target = node.args[0]
        elif isinstance(node, gast.AugAssign):
            target = node.target
        elif isinstance(node, gast.Assign):
            target = node.targets[0]
            if isinstance(target, gast.Name):
                continue
        elif _is_helper_call(node, runtime.add_at):
            target = node.args[0]
        if target is None:
            continue
        base = target.value if isinstance(target, gast.Subscript) else target
        if isinstance(base, gast.Name) and base.id == adj:
            return True
    return False


def _has_code(code):
    return any(not is_pop_slot(stmt) for stmt in code)


def _is_loop_exit(stmt):
    return len(stmt.body) == 1 and isinstance(stmt.body[0], gast.Break) and not stmt.orelse


def _is_marker(node):
    return isinstance(node, gast.Name) and anno.has(node, "adjoint_of")


def _numpy_call(function, *args):
    """``np.<function>(*args)``, with `np` bound to NumPy in the generated code."""
    module = n.name("np")
    anno.set(module, "inject", numpy)
    return n.call(n.attr(module, function), *args)


def _without_new_axes(index, g):
    """``d_x[index] += g`` written without new axes (`None`), which not every
    array module takes in a write's key (Dask): the new axes are read out of
    `g` instead (``x[:, None]`` gives ``d_x += g[:, 0]``). Returns (index, g);
    index None for the whole array."""
    parts = list(index.elts) if isinstance(index, gast.Tuple) else [index]
    if not any(isinstance(p, gast.Constant) and p.value is None for p in parts):
        return n.copy_node(index), g
    kept, picks = [], []
    for part in parts:
        if isinstance(part, gast.Constant) and part.value is None:
            picks.append(n.const(0))  # a new axis of extent 1
            continue
        kept.append(n.copy_node(part))
        if isinstance(part, gast.Slice):
            picks.append(gast.Slice(lower=None, upper=None, step=None))
        elif isinstance(part, gast.Constant) and part.value is Ellipsis:
            picks.append(n.const(Ellipsis))
        # an integer drops its axis from `g` already
    while picks and isinstance(picks[-1], gast.Slice):
        picks.pop()  # trailing full slices pick nothing
    g = gast.Subscript(
        value=g, slice=picks[0] if len(picks) == 1 else gast.Tuple(elts=picks, ctx=gast.Load()), ctx=gast.Load()
    )
    full = all(isinstance(p, gast.Slice) and p.lower is None and p.upper is None and p.step is None for p in kept)
    if full:
        return None, g
    return (kept[0] if len(kept) == 1 else gast.Tuple(elts=kept, ctx=gast.Load())), g


def _may_index_zero_d(index):
    """Whether `index` may read a 0-d array: made only of `()`, `...`, None
    and booleans (an int or a slice needs an axis)."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    return all(
        isinstance(part, gast.Constant) and (part.value is None or part.value is Ellipsis or isinstance(part.value, bool))
        for part in parts
    )


def _is_helper_call(node, helper):
    return (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Name)
        and anno.get(node.func, "inject") is helper
    )


def _calls(node, helpers_):
    """Whether `node` calls one of `helpers_`."""
    for sub in n.walk(node):
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Name):
            called = anno.get(sub.func, "inject")
            if any(called is helper for helper in helpers_):
                return True
    return False


def _key_repeated_after(keys, i):
    """Whether the constant key at `i` of a dict display appears again later."""
    key = keys[i]
    return isinstance(key, gast.Constant) and any(
        isinstance(later, gast.Constant) and later.value == key.value for later in keys[i + 1:]
    )


def _may_be_the_same_slot(one, other):
    """Whether constant indexes `one` and `other` may name the same slot of a
    list (``-1`` and ``1`` may) or the same key of a dict (equal keys)."""
    if type(one) is int and type(other) is int:
        return one == other or (one < 0) != (other < 0)
    return one == other


def _helper_call(helper, *args):
    func = n.name(helper.__name__)
    anno.set(func, "inject", helper)
    return n.call(func, *args)


def _cast(item, dtype):
    """An `Accumulate` of a rule called with a ``dtype=``, its value put
    through `cast_adjoint` (zero for an integer dtype, else in the dtype of
    the operand it is the adjoint of)."""
    if not isinstance(item, Accumulate):
        return item
    operand = [n.copy_node(item.target)] if isinstance(item.target, gast.Name) else []
    item.value = _helper_call(helpers.cast_adjoint, item.value, n.copy_node(dtype), *operand)
    return item


def _merge_repeated(expanded):
    """Equal contributions to one name become one: ``x * x`` gives
    ``d_x = g * x * 2``, not ``d_x = g * x; d_x += g * x`` (placed where the
    last of them was, so every temporary they read is defined)."""
    named = [item.target.id for item in expanded if isinstance(item, Accumulate) and n.is_name(item.target)]
    if len(set(named)) == len(named):
        return expanded  # no name gets two contributions: nothing to compare

    def key(item):
        if isinstance(item, Accumulate) and isinstance(item.target, gast.Name):
            return item.target.id, gast.dump(item.value)
        return None

    keys = [key(item) for item in expanded]
    counts = collections.Counter(k for k in keys if k is not None)
    if all(count == 1 for count in counts.values()):
        return expanded
    seen = collections.Counter()
    out = []
    for item, k in zip(expanded, keys):
        if k is None or counts[k] == 1:
            out.append(item)
            continue
        seen[k] += 1
        if seen[k] == counts[k]:  # the last one carries them all
            total = gast.BinOp(left=item.value, op=gast.Mult(), right=n.const(counts[k]))
            out.append(Accumulate(item.param, item.target, total))
    return out


def _is_fresh(value):
    if isinstance(value, (gast.BinOp, gast.UnaryOp)):
        return True
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Name):
        obj = anno.get(value.func, "inject")
        if obj in FRESH_HELPERS:
            return True
        if obj is runtime.unbroadcast:
            return _is_fresh(value.args[0])
        return obj in registry.FRESH_RESULT
    if isinstance(value, gast.Call):
        obj = static_value(value.func) if not anno.has(value.func, "inject") else None
        return obj in registry.FRESH_RESULT
    return False


def _is_temporary(name):
    prefix = naming.TEMP.split("{")[0]
    return name.startswith(prefix) and name[len(prefix):].isdigit()


def _written_into(stmt):
    """Names whose memory `stmt` may write into, recursively: index
    assignments, updates in place (``v += g``) and the operands of calls
    whose result is discarded (``v.sort()``)."""
    found = _subscript_bases(stmt)
    for node in n.walk(stmt):
        if isinstance(node, gast.Assign) and anno.get(node, "augmented"):
            found |= set(n.store_names(node.targets[0]))
        elif isinstance(node, gast.Expr):
            found |= set(analysis.call_operands(node.value))
    return found


def _subscript_bases(stmt):
    """Names written in place by `stmt` (``u[i] = ...``), recursively."""
    found = set()
    for node in n.walk(stmt):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript):
            base = node.targets[0].value
            if isinstance(base, gast.Name):
                found.add(base.id)
    return found


def _sum_over(value, axes, keepdims, to_scalar):
    """``value.sum(axis=...)`` (a fresh array), or ``value.sum()`` for a scalar."""
    if to_scalar:
        return gast.Call(func=gast.Attribute(value=value, attr="sum", ctx=gast.Load()), args=[], keywords=[])
    axis = n.const(axes[0]) if len(axes) == 1 else gast.Tuple(elts=[n.const(a) for a in axes], ctx=gast.Load())
    keywords = [gast.keyword(arg="axis", value=axis)]
    if keepdims:
        keywords.append(gast.keyword(arg="keepdims", value=n.const(True)))
    return gast.Call(func=gast.Attribute(value=value, attr="sum", ctx=gast.Load()), args=[], keywords=keywords)


def _same(a, b):
    if isinstance(a, gast.Name) and isinstance(b, gast.Name):
        return a.id == b.id
    return False


def _has_active(node, active):
    return any(name in active for name in n.load_names(node))


def _rewrite(node, fn):
    """`node` with `fn` applied to every node in it, children first; `fn`
    returns the node to use instead (or the same)."""
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, gast.AST):
            setattr(node, field, _rewrite(value, fn))
        elif isinstance(value, list):
            value[:] = [_rewrite(item, fn) if isinstance(item, gast.AST) else item for item in value]
    return fn(node)


def _index_expr(index):
    """An index as an expression: slices become slice(...) calls."""
    if isinstance(index, gast.Slice):
        # slice(a) means [:a], so only a missing step may be left out
        parts = [p if p is not None else n.const(None) for p in (index.lower, index.upper, index.step)]
        if index.step is None:
            parts.pop()
        func = n.name("slice")
        return n.call(func, *[n.copy_node(p) for p in parts])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_expr(e) for e in index.elts], ctx=gast.Load())
    return n.copy_node(index)


def _collect_reads(node, primal_names, values, likes):
    """Primal names read by generated `node`, split into value and like reads."""

    def visit(sub, like):
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Name):
            positions = LIKE_ARGS.get(anno.get(sub.func, "inject"), ())
            for i, arg in enumerate(sub.args):
                visit(arg, i in positions)
            for kw in sub.keywords:
                visit(kw.value, False)
            return
        if isinstance(sub, gast.Name):
            if (
                isinstance(sub.ctx, gast.Load)
                and sub.id in primal_names
                and not anno.has(sub, "inject")
            ):
                (likes if like else values).add(sub.id)
            return
        for child in n.children(sub):
            visit(child, False)

    visit(node, False)
