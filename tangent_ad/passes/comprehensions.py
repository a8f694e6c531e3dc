"""Lower list comprehensions and ``items.append(x)`` into plain loops.

Guarantees to later passes:
  * no ListComp remains in an assignment, expression statement or return:
    ``ys = [f(w) for w in ws if c(w)]`` becomes a loop building a fresh list
    (the comprehension's variables renamed, as Python scopes them apart);
  * ``items.append(x)`` on a list the function itself creates becomes
    ``items = list_append(items, x)``: a value, so earlier versions of the
    list that the reverse sweep may still need are never changed in place.
"""

import gast

from .. import anno
from .. import containers
from .. import naming
from .. import nodes as n
from ..errors import UnsupportedConstructError
from ..source import is_library, is_resolved, static_value


NEW_LIST = "new_list"  # on the name a comprehension was built into, where it is used


def _list_append_call(items, item):
    """``list_append(items, item)``; `items` a name or a node."""
    func = n.name("list_append")
    anno.set(func, "inject", containers.list_append)
    anno.set(func, "binding", ("global", containers.list_append))
    return n.call(func, n.name(items) if isinstance(items, str) else items, item)


def _extension(stmt, lists):
    """(name, [items]) when `stmt` is ``name = name + [a, b]`` or ``name +=
    [a, b]`` on a list the function creates; else None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
        name, value = stmt.targets[0].id, stmt.value
        if (
            isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add)
            and isinstance(value.left, gast.Name) and value.left.id == name
            and isinstance(value.right, gast.List)
        ):
            return (name, value.right.elts) if name in lists else None
    if (
        isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add)
        and isinstance(stmt.target, gast.Name) and isinstance(stmt.value, gast.List)
    ):
        return (stmt.target.id, stmt.value.elts) if stmt.target.id in lists else None
    return None


class LowerComprehensions:
    def __init__(self, src, namer):
        self.src = src
        self.namer = namer
        self.lists = _names_bound_to_lists(src.tree)
        self.shared = _names_held_twice(src.tree, self.lists)

    def run(self):
        self.src.tree.body = self.block(self.src.tree.body)
        return self.src

    def block(self, stmts):
        out = []
        for stmt in stmts:
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            prelude = []
            if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr, gast.Return, gast.AnnAssign)):
                stmt = _Hoist(self, prelude).visit(stmt)
            out.extend(n.with_origin(prelude, stmt))
            out.append(self.append(stmt))
        return out

    def append(self, stmt):
        value = getattr(stmt, "value", None)
        if (
            isinstance(stmt, gast.Expr)
            and isinstance(value, gast.Call)
            and isinstance(value.func, gast.Attribute)
            and value.func.attr == "append"
            and isinstance(value.func.value, gast.Name)
            and value.func.value.id in self.lists
            and len(value.args) == 1
            and not value.keywords
        ):
            items = value.func.value.id
            self.check_unshared(items, stmt)
            node = n.assign(items, _list_append_call(items, value.args[0]))
            anno.copy_from(node, stmt)
            return node
        extended = _extension(stmt, self.lists)
        if extended is not None:
            # ``hs = hs + [h]`` (or ``hs += [h]``): one list_append per item
            items, added = extended
            if isinstance(stmt, gast.AugAssign):  # (``hs = hs + [h]`` makes a new list)
                self.check_unshared(items, stmt)
            value = n.name(items)
            for item in added:
                value = _list_append_call(value, item)
            node = n.assign(items, value)
            anno.copy_from(node, stmt)
            return node
        return stmt

    def check_unshared(self, items, stmt):
        """Appending changes the list in place, under every name that holds it;
        the lowering makes a new list, so only for a list no other name holds."""
        if items in self.shared:
            raise UnsupportedConstructError(
                f"appending to the list `{items}` that another name or container also holds",
                self.src.location(stmt),
                f"append under one name only (`{items} = {items} + [item]` builds a new list)",
            )

    def lower(self, comp, prelude):
        """Statements building the list `comp` describes; returns its name."""
        result = self.namer.fresh(naming.TEMP)
        self.lists.add(result)
        renames = {}
        for generator in comp.generators:
            for name in n.store_names(generator.target):
                renames[name] = self.namer.unique(name)
        parts = [comp.elt]
        for position, generator in enumerate(comp.generators):
            parts += [generator.target] + list(generator.ifs)
            if position:
                parts.append(generator.iter)  # the first iterable is evaluated outside
        for part in parts:
            _rename(part, renames)
        body = [n.expr_stmt(n.call(n.attr(result, "append"), comp.elt))]
        for generator in reversed(comp.generators):
            if generator.is_async:
                raise UnsupportedConstructError("async comprehension", self.src.location(comp))
            for condition in reversed(generator.ifs):
                body = [n.if_(condition, body)]
            body = [gast.For(target=generator.target, iter=generator.iter, body=body, orelse=[], type_comment=None)]
        stmts = [n.assign(result, gast.List(elts=[], ctx=gast.Load()))] + body
        prelude.extend(self.block(stmts))
        return result


class _Hoist(gast.NodeTransformer):
    def __init__(self, lowering, prelude):
        self.lowering = lowering
        self.prelude = prelude

    def visit_ListComp(self, node):
        # only the first iterable is evaluated before the loop: a
        # comprehension in the element is lowered inside the loop's body
        # (where the loop's variables are bound), by `lower`'s `block`
        node.generators[0].iter = self.visit(node.generators[0].iter)
        built = n.name(self.lowering.lower(node, self.prelude))
        anno.set(built, NEW_LIST, True)  # (only the loop just before holds it)
        return built

    def visit_Lambda(self, node):
        return node  # not inside lambdas: their bodies run later


def _rename(node, renames):
    for sub in n.walk(node):
        if isinstance(sub, gast.Name) and sub.id in renames:
            sub.id = renames[sub.id]


def _names_bound_to_lists(func):
    """Names whose every binding in `func` is a list the function creates
    (a display, a comprehension, ``list(...)``, or the name itself extended:
    ``hs = hs + [h]``, ``hs += [h]``)."""
    defs = {}
    for node in n.walk(func):
        if isinstance(node, gast.Assign):
            for target in node.targets:
                if isinstance(target, gast.Name):
                    defs.setdefault(target.id, []).append(node.value)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name) and (
            isinstance(node.op, gast.Add) and isinstance(node.value, gast.List)
        ):
            defs.setdefault(node.target.id, []).append(("extends", node.target.id))
        elif isinstance(node, (gast.For, gast.AugAssign, gast.AnnAssign)):
            target = node.target
            for name in n.store_names(target):
                defs.setdefault(name, []).append(None)
    args = {a.id for a in func.args.args + func.args.posonlyargs + func.args.kwonlyargs}
    lists = set()
    grown = True
    while grown:
        before = len(lists)
        lists |= {
            name
            for name, values in defs.items()
            if name not in args and all(_creates_list(v, lists | {name}) for v in values)
        }
        grown = len(lists) > before
    return lists


def _names_held_twice(func, lists):
    """The names in `lists` whose list another name or a container may also
    hold: bound to another name (``a = hs``, ``a = hs if c else b``), put
    in a display (``pair = (hs, x)``) or appended to a list."""
    held = set()
    returned = {id(node.value) for node in n.walk(func) if isinstance(node, gast.Return)}
    for node in n.walk(func):
        if isinstance(node, (gast.Assign, gast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            if not all(isinstance(target, (gast.Tuple, gast.List)) for target in targets):
                held |= n.bare_names(node.value)  # (``a, b = hs`` takes its items)
        if id(node) not in returned:  # (``return hs, loss``: the function ends)
            for item in n.display_items(node):
                held |= n.bare_names(item)
        if isinstance(node, gast.Call) and (
            (isinstance(node.func, gast.Attribute) and node.func.attr == "append") or _may_keep(node.func)
        ):
            for arg in list(node.args) + [keyword.value for keyword in node.keywords]:
                held |= n.bare_names(arg)  # ``snaps.append(hs)``, ``a = ident(hs)``
    return held & lists


def _may_keep(func):
    """Whether a call of `func` may keep or return a list passed to it: a
    user's function (inlined: ``def ident(l): return l``) or one known only
    at run time; not a library's (``len(hs)``, ``np.stack(hs)``)."""
    value = static_value(func)
    if not is_resolved(value):
        return True
    module = getattr(value, "__module__", None) or ""
    return not (is_library(module) or type(value).__module__ == "builtins" and not module)


def _creates_list(value, lists=frozenset()):
    if isinstance(value, tuple):  # ("extends", name): `name += [...]`
        return value[1] in lists
    if isinstance(value, (gast.List, gast.ListComp)):
        return True
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult) and (
        isinstance(value.left, gast.List) or isinstance(value.right, gast.List)
    ):
        return True  # ``[0.0] * n``
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
        return (
            isinstance(value.left, gast.Name) and value.left.id in lists
            and isinstance(value.right, gast.List)
        )
    return (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Name)
        and value.func.id == "list"
        and anno.get(value.func, "binding", ("",))[0] == "builtin"
    )


def lower_comprehensions(src, namer):
    return LowerComprehensions(src, namer).run()
