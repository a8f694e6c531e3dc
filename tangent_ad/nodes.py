"""Small constructors and queries for gast nodes, shared by every pass."""

import gast

from . import anno


def name(id_, store=False):
    ctx = gast.Store() if store else gast.Load()
    return gast.Name(id=id_, ctx=ctx, annotation=None, type_comment=None)


def const(value):
    return gast.Constant(value=value, kind=None)


def assign(target, value, lineno=None):
    """`target = value`; `target` may be a name string or a node."""
    if isinstance(target, str):
        target = name(target, store=True)
    node = gast.Assign(targets=[target], value=value, type_comment=None)
    if lineno is not None:
        anno.set(node, "lineno", lineno)
    return node


def call(func, *args, keywords=()):
    if isinstance(func, str):
        func = parse_expr(func)
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


def attr(value, attribute):
    if isinstance(value, str):
        value = name(value)
    return gast.Attribute(value=value, attr=attribute, ctx=gast.Load())


def expr_stmt(value):
    return gast.Expr(value=value)


def if_(test, body, orelse=(), lineno=None):
    node = gast.If(test=test, body=list(body), orelse=list(orelse))
    if lineno is not None:
        anno.set(node, "lineno", lineno)
    return node


def not_(operand):
    return gast.UnaryOp(op=gast.Not(), operand=operand)


def parse_expr(source):
    """Parse a Python expression into a gast node."""
    return gast.parse(source, mode="eval").body


def parse_stmts(source):
    return gast.parse(source).body


def is_atom(node):
    """Names and constants: the operands of A-normal form."""
    return isinstance(node, (gast.Name, gast.Constant))


def is_number(node):
    """An int or float constant (not a bool)."""
    return (
        isinstance(node, gast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    )


def is_name(node, id_=None):
    return isinstance(node, gast.Name) and (id_ is None or node.id == id_)


# The fields `walk` follows, by node class: not identifiers and other
# strings, nor the leaves below expression contexts and operators.
_NOT_WALKED = {"ctx", "op", "ops", "id", "attr", "arg", "kind", "type_comment"}


def _walked(cls):
    return tuple(field for field in cls._fields if field not in _NOT_WALKED)


_WALKED = {
    cls: _walked(cls) for cls in vars(gast).values() if isinstance(cls, type) and issubclass(cls, gast.AST)
}
_WALKED[gast.Constant] = ()  # its value is never a node


def walk(node):
    """Every node under `node` (itself first) in the order of `gast.walk`
    (breadth first), but for expression contexts and operators, which
    nobody looks for (their parents' ``ctx`` and ``op`` are read instead):
    about a quarter of `gast.walk`'s time. Children are taken when their
    parent is reached, so a caller may replace the node it was given."""
    todo = [node]
    for node in todo:
        fields = _WALKED.get(type(node))
        for field in _walked(type(node)) if fields is None else fields:
            child = getattr(node, field, None)
            if child is None:
                continue
            if type(child) is list:
                todo.extend([item for item in child if isinstance(item, gast.AST)])
            elif isinstance(child, gast.AST):
                todo.append(child)
        yield node


def children(node):
    """The nodes directly under `node` that `walk` gives, in its order."""
    fields = _WALKED.get(type(node))
    out = []
    for field in _walked(type(node)) if fields is None else fields:
        child = getattr(node, field, None)
        if type(child) is list:
            out.extend([item for item in child if isinstance(item, gast.AST)])
        elif isinstance(child, gast.AST):
            out.append(child)
    return out


def load_names(node):
    """Names read in `node` (including inside nested expressions)."""
    return [
        n.id
        for n in walk(node)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
    ]


def store_names(node):
    """Names bound by `node` (assignment targets, loop targets)."""
    return [
        n.id
        for n in walk(node)
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param))
    ]


def names_in(node):
    """Every name in `node`, however used."""
    return {sub.id for sub in walk(node) if isinstance(sub, gast.Name)}


def mentions(node, name):
    """Whether `name` appears in `node`, however used."""
    return any(isinstance(sub, gast.Name) and sub.id == name for sub in walk(node))


def copy_node(node, shallow=False):
    """A deep copy of a gast tree; annotations are shared, not copied (they
    hold Python objects), and much faster than `copy.deepcopy`. With
    `shallow`, the copy shares `node`'s children."""
    if isinstance(node, list):
        return [copy_node(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    if shallow:
        fields = {field: getattr(node, field) for field in node._fields}
    else:
        fields = {field: copy_node(getattr(node, field)) for field in node._fields}
    clone = type(node)(**fields)
    for attribute in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if hasattr(node, attribute):
            setattr(clone, attribute, getattr(node, attribute))
    annos = getattr(node, anno._ATTR, None)
    if annos is not None:
        setattr(clone, anno._ATTR, annos.__deepcopy__({}))
    return clone


def set_ctx(node, ctx):
    """Return a copy of a Name/Subscript/Tuple with its context set."""
    node = copy_node(node)
    node.ctx = ctx
    return node


def with_lineno(stmts, lineno, filename=None):
    """Stamp every statement (recursively) lacking a line with `lineno`
    (and `filename`, for code that came from another function)."""
    for stmt in statements(stmts):
        if isinstance(stmt, gast.stmt) and anno.get(stmt, "lineno") is None:
            anno.set(stmt, "lineno", lineno)
            if filename is not None:
                anno.set(stmt, "filename", filename)
    return stmts


def statements(stmts):
    """Every statement in `stmts` and nested in them (statements hold
    statements only in their blocks, never in expressions)."""
    for stmt in stmts:
        yield stmt
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(stmt, field, None) or ():
                if isinstance(child, gast.stmt):
                    yield from statements([child])
                else:  # an except handler or a match case
                    yield from statements(child.body)


def with_origin(stmts, source):
    """Stamp `stmts` with the line and file of the statement `source`."""
    return with_lineno(stmts, anno.get(source, "lineno"), anno.get(source, "filename"))


def bare_names(node):
    """The names `node` is, read whole: a name, the branches of a
    conditional or of ``or``/``and``, a starred name (``a = hs``,
    ``a = hs if c else b``, ``a = hs or b``, ``*hs``)."""
    if isinstance(node, gast.IfExp):
        return bare_names(node.body) | bare_names(node.orelse)
    if isinstance(node, gast.BoolOp):  # ``hs or [x]`` is `hs` itself when it is not empty
        return set().union(*(bare_names(value) for value in node.values))
    if isinstance(node, gast.Starred):
        return bare_names(node.value)
    return {node.id} if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) else set()


def display_items(node):
    """The items of a list, tuple, set or dict display (a dict's values), else ()."""
    if isinstance(node, (gast.List, gast.Tuple, gast.Set)):
        return node.elts
    if isinstance(node, gast.Dict):
        return node.values
    return ()
