"""Rewrite statement-level sugar into a few plain forms.

Guarantees to later passes:
  * no docstrings, `pass`, annotated or augmented assignments;
  * every Assign has one target: a Name, or a Subscript whose base is a Name;
  * `for` loops iterate over a call to the builtin `range`; a loop over a
    sequence, `enumerate` or `zip` becomes an index loop whose body starts by
    reading the items (``row = X[_i0]``), so reverse mode only ever reverses
    ranges and the adjoint of each item read is an indexing adjoint.
"""

import itertools

import gast
import numpy

from .. import anno
from .. import runtime
from .. import nodes as n
from .. import naming
from ..source import static_value
from ..errors import UnsupportedConstructError


class Desugar:
    def __init__(self, src, namer):
        self.src = src
        self.namer = namer

    def run(self):
        _spell_out_displays(self.src.tree)
        self.src.tree.body = self.block(self.src.tree.body, top=True)
        return self.src

    def block(self, stmts, top=False):
        out = []
        for i, stmt in enumerate(stmts):
            if top and i == 0 and _is_docstring(stmt):
                continue
            out.extend(self.stmt(stmt))
        return out

    def stmt(self, stmt):
        method = getattr(self, "visit_" + type(stmt).__name__, None)
        result = method(stmt) if method else [stmt]
        return n.with_origin(result, stmt)

    # -- statements -------------------------------------------------------

    def visit_Pass(self, stmt):
        return []

    def visit_Expr(self, stmt):
        if isinstance(stmt.value, gast.Constant):
            return []  # a bare string or number does nothing
        return [stmt]

    def visit_AnnAssign(self, stmt):
        if stmt.value is None:
            return []
        return self.visit_Assign(n.assign(stmt.target, stmt.value))

    def visit_AugAssign(self, stmt):
        target = stmt.target
        if isinstance(target, gast.Name):
            value = gast.BinOp(left=n.name(target.id), op=stmt.op, right=stmt.value)
            node = n.assign(target.id, value)
            anno.set(node, "augmented", True)  # in place on arrays: checked for aliasing
            return [node]
        if isinstance(target, gast.Subscript):
            prelude, target = self._stable_subscript(target)
            load = n.set_ctx(target, gast.Load())
            value = gast.BinOp(left=load, op=stmt.op, right=stmt.value)
            node = n.assign(target, value)
            # on a list's or dict's item, Python updates the array held in place
            anno.set(node, "augmented_item", True)
            return prelude + self.visit_Assign(node)
        raise UnsupportedConstructError(
            "augmented assignment to an attribute", self.src.location(stmt), "assign to a local name"
        )

    def visit_Assign(self, stmt):
        value = stmt.value
        if len(stmt.targets) > 1:
            first, *rest = stmt.targets
            out = self.visit_Assign(n.assign(first, value))
            source = first if isinstance(first, gast.Name) else None
            if source is None:
                tmp = self.namer.fresh(naming.TEMP)
                out = [n.assign(tmp, value)] + self.visit_Assign(n.assign(first, n.name(tmp)))
                source = n.name(tmp)
            for target in rest:
                out += self.visit_Assign(n.assign(target, n.name(source.id)))
            return out
        target = stmt.targets[0]
        if isinstance(target, (gast.Tuple, gast.List)):
            return self._unpack(target, value)
        if isinstance(target, gast.Subscript):
            if not isinstance(target.value, gast.Name):
                raise UnsupportedConstructError(
                    "assignment into a nested subscript or attribute",
                    self.src.location(stmt),
                    "assign the inner item to a local name first",
                )
            return [stmt]
        if isinstance(target, gast.Attribute):
            raise UnsupportedConstructError(
                "assignment to an attribute",
                self.src.location(stmt),
                "differentiated code may not mutate objects; use a local name",
            )
        return [stmt]

    def _unpack(self, target, value):
        displayed = isinstance(value, (gast.Tuple, gast.List)) and not any(
            isinstance(elt, gast.Starred) for elt in value.elts)
        if displayed and len(value.elts) != len(target.elts):
            raise UnsupportedConstructError(
                f"unpacking {len(value.elts)} values into {len(target.elts)} names",
                self.src.location(target),
                "Python raises ValueError here; give as many names as values",
            )
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
            temps = [self.namer.fresh(naming.TEMP) for _ in value.elts]
            out = [n.assign(t, v) for t, v in zip(temps, value.elts)]
            for split, elt in zip(out, target.elts):
                if isinstance(elt, gast.Name):
                    # (split off for `elt` only: `s, t = x * 1.0, x * 2.0` binds
                    # `s` to a new array, which `s += t` may update in place)
                    anno.set(split, "split_for", elt.id)
            for elt, tmp in zip(target.elts, temps):
                out += self.visit_Assign(n.assign(elt, n.name(tmp)))
            return out
        if isinstance(value, gast.Name):
            source = value.id
            out = []
        else:
            source = self.namer.fresh(naming.TEMP)
            out = [n.assign(source, value)]
        # Python raises for another number of values; so does the generated code
        check = n.name("check_unpack")
        anno.set(check, "inject", runtime.check_unpack)
        anno.set(check, "binding", ("global", runtime.check_unpack))
        out.append(n.expr_stmt(n.call(check, n.name(source), n.const(len(target.elts)))))
        for i, elt in enumerate(target.elts):
            if isinstance(elt, gast.Starred):
                raise UnsupportedConstructError("starred unpacking", self.src.location(elt))
            item = gast.Subscript(value=n.name(source), slice=n.const(i), ctx=gast.Load())
            out += self.visit_Assign(n.assign(elt, item))
        return out

    def _stable_subscript(self, target):
        """Hoist a subscript index that calls something, so it runs once."""
        if not any(isinstance(node, gast.Call) for node in n.walk(target.slice)):
            return [], target
        tmp = self.namer.fresh(naming.TEMP)
        hoisted = n.assign(tmp, target.slice)
        target = gast.Subscript(value=target.value, slice=n.name(tmp), ctx=gast.Store())
        return [hoisted], target

    def visit_If(self, stmt):
        stmt.body = self.block(stmt.body)
        stmt.orelse = self.block(stmt.orelse)
        return [stmt]

    def visit_While(self, stmt):
        stmt.body = self.block(stmt.body)
        return [stmt]

    def visit_For(self, stmt):
        body = self.block(stmt.body)
        iter_ = stmt.iter
        func = static_value(iter_.func) if isinstance(iter_, gast.Call) else None
        params = {a.id for a in self.src.tree.args.args + self.src.tree.args.kwonlyargs}
        if _is_range_like(iter_) and func is not range:
            # `reversed(range(n))` (in generated reverse loops, and the user's),
            # `range(n)[:k]`
            target = stmt.target
            if isinstance(target, gast.Name) and target.id not in _bound_in(body) | params:
                anno.set(stmt, "range_like", True)
                stmt.iter = _as_range(iter_)
                stmt.body = body
                return [stmt]
            if isinstance(target, gast.Name):  # a parameter as the loop variable
                stmt.body = self._over_fresh_index(stmt, body)
                anno.set(stmt, "range_like", True)
                stmt.iter = _as_range(iter_)
                return [stmt]
        if func is range:
            if isinstance(stmt.target, gast.Name):
                if stmt.target.id in _bound_in(body) | params:
                    body = self._over_fresh_index(stmt, body)
                stmt.body = body
                return [stmt]
            raise UnsupportedConstructError(
                "unpacking target of a range loop", self.src.location(stmt)
            )
        if func is enumerate and not iter_.keywords and len(iter_.args) in (1, 2):
            return self._enumerate_loop(stmt, body)
        if func is zip and not iter_.keywords and iter_.args:
            return self._zip_loop(stmt, body)
        if _is_dict_view(iter_):
            return self._dict_loop(stmt, body)
        if isinstance(iter_, gast.Dict) or isinstance(iter_, gast.Name) and iter_.id in self._dicts():
            # `for key in d` over a dict: its keys
            view = gast.Call(func=gast.Attribute(value=iter_, attr="keys", ctx=gast.Load()), args=[], keywords=[])
            stmt.iter = view
            return self._dict_loop(stmt, body)
        return self._sequence_loop(stmt, body)

    def _over_fresh_index(self, stmt, body):
        """The loop runs over a fresh index, its body starting by binding the
        user's loop variable to it: for a body that rebinds the variable (the
        reversed header restores only the index) and for a parameter as the
        variable (which may be differentiated: its adjoint sees it rebound)."""
        index = self.namer.fresh(naming.ITEM)
        body = [n.assign(stmt.target.id, n.name(index))] + body
        stmt.target = n.name(index, store=True)
        return body

    def _dicts(self):
        """Names known to hold dicts: dict parameters of this specialisation and
        locals bound only to dict displays."""
        found = set(getattr(self.src, "dict_params", ()))
        bound = {}
        for node in n.walk(self.src.tree):
            if isinstance(node, gast.Assign):
                for target in node.targets:
                    if isinstance(target, gast.Name):
                        bound.setdefault(target.id, []).append(node.value)
        found |= {name for name, values in bound.items() if all(isinstance(v, gast.Dict) for v in values)}
        return found

    def _dict_loop(self, stmt, body):
        """``for k, v in d.items()`` (or .keys(), .values()): an index loop over
        the keys, reading ``d[k]``; the keys themselves carry no derivative."""
        view = stmt.iter.func.attr
        prelude, mapping = self._sequence_ref(stmt.iter.func.value, body)
        keys = self.namer.fresh(naming.TEMP)
        list_call = n.call(n.name("list"), n.copy_node(mapping))
        _bind_builtin(list_call.func, list)
        prelude.append(n.assign(keys, list_call))
        index = self.namer.fresh(naming.ITEM)
        key = self.namer.fresh(naming.TEMP)
        reads = [n.assign(key, gast.Subscript(value=n.name(keys), slice=n.name(index), ctx=gast.Load()))]
        value = gast.Subscript(value=n.copy_node(mapping), slice=n.name(key), ctx=gast.Load())
        if view == "items":
            target = stmt.target
            if not (isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2):
                raise UnsupportedConstructError(
                    ".items() loop without a (key, value) target", self.src.location(stmt)
                )
            reads += self.visit_Assign(n.assign(target.elts[0], n.name(key)))
            reads += self.visit_Assign(n.assign(target.elts[1], value))
        elif view == "keys":
            reads += self.visit_Assign(n.assign(stmt.target, n.name(key)))
        else:
            reads += self.visit_Assign(n.assign(stmt.target, value))
        return prelude + [self._index_loop(index, _len_of(n.name(keys)), reads, body, stmt)]

    # -- loops over sequences become index loops -------------------------

    def _sequence_ref(self, expr, body, targets=()):
        """A name holding the sequence, hoisted if it is an expression or
        rebound (in the body, or by the loop's own `targets`: ``for x in x``).
        The user's own `Name` node is kept (copied where used): its binding
        annotation says whether it is a local, a global of the callee's
        module or a closure cell, which inlining resolves."""
        if isinstance(expr, gast.Name) and expr.id not in _bound_in(body) | set(targets):
            return [], expr
        tmp = self.namer.fresh(naming.TEMP)
        return [n.assign(tmp, expr)], n.name(tmp)

    def _index_loop(self, index, length, reads, body, stmt):
        loop = gast.For(
            target=n.name(index, store=True),
            iter=n.call(n.name("range"), length),
            body=reads + body,
            orelse=[],
            type_comment=None,
        )
        anno.copy_from(loop, stmt)
        _bind_builtin(loop.iter.func, range)
        return loop

    def _sequence_loop(self, stmt, body):
        for expr in [stmt.iter] + list(getattr(stmt.iter, "args", [])):
            # (zip and enumerate pass their arguments on to here)
            callee = static_value(expr.func) if isinstance(expr, gast.Call) else None
            if callee in _ITERATORS or (callee is reversed and not _is_range_like(expr)):
                raise UnsupportedConstructError(
                    f"loop over {getattr(callee, '__name__', 'an iterator')}(...)",
                    self.src.location(stmt),
                    "loops run over ranges, arrays, lists and tuples (read by index); "
                    "loop over range(len(...)) or the array itself",
                )
        prelude, seq = self._sequence_ref(stmt.iter, body, n.store_names(stmt.target))
        index = self.namer.fresh(naming.ITEM)
        item = gast.Subscript(value=n.copy_node(seq), slice=n.name(index), ctx=gast.Load())
        reads = self.visit_Assign(n.assign(stmt.target, item))
        length = _len_of(seq)
        return prelude + [self._index_loop(index, length, reads, body, stmt)]

    def _enumerate_loop(self, stmt, body):
        target = stmt.target
        if not (isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2):
            raise UnsupportedConstructError(
                "enumerate loop without an (index, item) target", self.src.location(stmt)
            )
        counter, item_target = target.elts
        inner = stmt.iter.args[0]
        if (
            isinstance(inner, gast.Call)
            and static_value(inner.func) is zip
            and inner.args
            and not inner.keywords
            and isinstance(item_target, (gast.Tuple, gast.List))
            and len(item_target.elts) == len(inner.args)
        ):
            # enumerate(zip(A, B)): zip(range(len(A)), A, B), or with a start
            # zip(range(start, start + len(A)), A, B)
            first, prelude = inner.args[0], []
            if not isinstance(first, gast.Name):
                prelude = [n.assign(self.namer.fresh(naming.TEMP), first)]
                first = n.name(prelude[0].targets[0].id)
            if len(stmt.iter.args) == 2:
                start = stmt.iter.args[1]
                stop = gast.BinOp(left=n.copy_node(start), op=gast.Add(), right=_len_of(first))
                counts = n.call(n.name("range"), n.copy_node(start), stop)
            else:
                counts = n.call(n.name("range"), _len_of(first))
            _bind_builtin(counts.func, range)
            stmt.iter = n.call(n.name("zip"), counts, n.copy_node(first), *inner.args[1:])
            _bind_builtin(stmt.iter.func, zip)
            stmt.target = gast.Tuple(elts=[counter] + list(item_target.elts), ctx=gast.Store())
            return prelude + self._zip_loop(stmt, body)
        prelude, seq = self._sequence_ref(stmt.iter.args[0], body, n.store_names(stmt.target))
        index = self.namer.fresh(naming.ITEM)
        item = gast.Subscript(value=n.copy_node(seq), slice=n.name(index), ctx=gast.Load())
        start = stmt.iter.args[1] if len(stmt.iter.args) == 2 else None
        count_value = n.name(index) if start is None else gast.BinOp(
            left=n.name(index), op=gast.Add(), right=start
        )
        reads = self.visit_Assign(n.assign(counter, count_value))
        reads += self.visit_Assign(n.assign(item_target, item))
        return prelude + [self._index_loop(index, _len_of(seq), reads, body, stmt)]

    def _zip_loop(self, stmt, body):
        target = stmt.target
        seqs = stmt.iter.args
        if not (isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == len(seqs)):
            raise UnsupportedConstructError(
                "zip loop whose target does not unpack every sequence", self.src.location(stmt)
            )
        prelude, names = [], []
        for expr in seqs:
            hoisted, seq = self._sequence_ref(expr, body, n.store_names(target))
            prelude += hoisted
            names.append(seq)
        index = self.namer.fresh(naming.ITEM)
        reads = []
        for elt, seq in zip(target.elts, names):
            item = gast.Subscript(value=n.copy_node(seq), slice=n.name(index), ctx=gast.Load())
            reads += self.visit_Assign(n.assign(elt, item))
        length = n.call(n.name("min"), *[_len_of(seq) for seq in names])
        _bind_builtin(length.func, min)
        if len(names) == 1:
            length = _len_of(names[0])
        return prelude + [self._index_loop(index, length, reads, body, stmt)]


# iterables that are not sequences (no items by index): refused as loop iterables
_ITERATORS = {map, filter, iter, numpy.nditer, numpy.ndindex, numpy.ndenumerate, numpy.flatiter}
_ITERATORS.update(getattr(itertools, name) for name in dir(itertools) if not name.startswith("_"))

_MAX_REPEATED = 1000  # items a repeated display is spelled out to


def _spell_out_displays(tree):
    """``[x] * 3`` -> ``[x, x, x]`` (items that are names or constants, so
    nothing is computed more often) and ``[a] + [b]`` -> ``[a, b]`` (tuples
    alike): each item is an element of its own, since the arithmetic rules
    of `*` and `+` are those of numbers, not of sequences."""

    def visit(node):
        for field in node._fields:
            child = getattr(node, field, None)
            if isinstance(child, gast.AST):
                setattr(node, field, visit(child))
            elif isinstance(child, list):
                child[:] = [visit(item) if isinstance(item, gast.AST) else item for item in child]
        if not isinstance(node, gast.BinOp):
            return node
        left, right = node.left, node.right
        displays = (gast.List, gast.Tuple)
        if isinstance(node.op, gast.Add) and isinstance(left, displays) and type(left) is type(right):
            return type(left)(elts=left.elts + right.elts, ctx=gast.Load())
        if isinstance(node.op, gast.Mult):
            display, count = (left, right) if isinstance(left, displays) else (right, left)
            if (
                isinstance(display, displays)
                and all(isinstance(elt, (gast.Name, gast.Constant)) for elt in display.elts)
                and n.is_number(count)
                and isinstance(count.value, int)
                and not isinstance(count.value, bool)
                and len(display.elts) * max(count.value, 0) <= _MAX_REPEATED
            ):
                elts = [n.copy_node(elt) for _ in range(max(count.value, 0)) for elt in display.elts]
                return type(display)(elts=elts, ctx=gast.Load())
        return node

    visit(tree)


def _as_range(node):
    """A range-like iterable as a range object: ``reversed(r)`` -> ``r[::-1]``.
    The loop's reverse runs over it again (``reversed(...)`` of it), which
    a range allows and the iterator `reversed` returns does not."""
    if isinstance(node, gast.Call):  # reversed(...)
        inner = _as_range(node.args[0]) if node.args else node
        if static_value(node.func) is reversed:
            step = gast.Slice(lower=None, upper=None, step=n.const(-1))
            return gast.Subscript(value=inner, slice=step, ctx=gast.Load())
        return node
    if isinstance(node, gast.Subscript):
        node.value = _as_range(node.value)
    return node


def _is_range_like(node):
    """`range(...)`, `reversed(<range-like>)` or `<range-like>[slice]`."""
    if isinstance(node, gast.Call):
        func = static_value(node.func)
        if func is range:
            return True
        return func is reversed and len(node.args) == 1 and _is_range_like(node.args[0])
    if isinstance(node, gast.Subscript):
        return isinstance(node.slice, gast.Slice) and _is_range_like(node.value)
    return False


def _is_dict_view(node):
    return (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Attribute)
        and node.func.attr in ("items", "keys", "values")
        and not node.args
        and not node.keywords
    )


def _len_of(seq):
    node = n.call(n.name("len"), n.copy_node(seq))
    _bind_builtin(node.func, len)
    return node


def _bind_builtin(name_node, obj):
    anno.set(name_node, "binding", ("builtin", obj))


def _bound_in(stmts):
    names = set()
    for stmt in stmts:
        names.update(n.store_names(stmt))
    return names


def _is_docstring(stmt):
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Constant)
        and isinstance(stmt.value.value, str)
    )


def desugar(src, namer):
    return Desugar(src, namer).run()
