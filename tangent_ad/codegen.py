"""gast -> commented Python source -> a live function.

Statements carry the user's line in their ``lineno`` annotation; `to_source`
puts a comment naming that file and line, with the original statement, before
each run of statements from the same line. `compile_function` compiles the
source as the body of a small factory whose parameters are the helpers the
code uses, so those are closure cells (fast to read) while the function's
globals are the user's own module (read live). The source is registered in
`linecache`, so tracebacks and pdb show the generated lines.
"""

import ast
import hashlib
import linecache
import os
import re
import textwrap
import types

import astor
import gast

from . import anno
from . import nodes as n
from .errors import Location

_MARK = "__tangent_comment_{}__"
_MARK_LINE = re.compile(r"^(\s*)(?:'''|\"\"\"|'|\")__tangent_comment_(\d+)__(?:'''|\"\"\"|'|\")\s*$")


class _Comments:
    def __init__(self, filename):
        self.filename = filename
        self.basename = os.path.basename(filename or "")
        self.texts = []
        self.origins = []  # (filename, lineno) of each comment, None for sections
        self.last = None
        self.in_reverse = False

    def text(self, lineno, filename=None):
        filename = filename or self.filename
        line = linecache.getline(filename, lineno).strip() if filename else ""
        return f"{os.path.basename(filename or '')}:{lineno}  {line}".rstrip()

    def block(self, stmts):
        out = []
        for stmt in stmts:
            section = "reverse sweep" if anno.get(stmt, "sweep") == "reverse" else None
            if section is not None and not self.in_reverse:
                self.in_reverse = True
                self.texts.append(section)
                self.origins.append(None)
                out.append(gast.Expr(value=gast.Constant(value=_MARK.format(len(self.texts) - 1), kind=None)))
                self.last = None
            lineno = anno.get(stmt, "lineno")
            place = (anno.get(stmt, "filename"), lineno)
            if _generated(place[0] or self.filename):
                lineno = None  # a line of generated code made by no user line (`_stack = Stack()`)
            if lineno is not None and place != self.last:
                self.texts.append(self.text(lineno, place[0]))
                self.origins.append((place[0] or self.filename, lineno))
                out.append(gast.Expr(value=gast.Constant(value=_MARK.format(len(self.texts) - 1), kind=None)))
                self.last = place
            out.append(self._with_comments(stmt))
        return out

    def _with_comments(self, stmt):
        """`stmt`, or a copy of it whose blocks have their comments (the
        tree being printed is not changed)."""
        blocks = {field: getattr(stmt, field, None) for field in ("body", "orelse")}
        blocks = {field: self.block(stmts) for field, stmts in blocks.items() if stmts}
        if not blocks:
            return stmt
        stmt = n.copy_node(stmt, shallow=True)
        for field, stmts in blocks.items():
            setattr(stmt, field, stmts)
        return stmt


class Source(str):
    """Generated source text; `origins` maps each of its code lines (1-based)
    to the user's (filename, lineno) the line was generated from."""

    origins = {}


def _generated(filename):
    """Whether `filename` names generated code (see `compile_function`)."""
    return bool(filename) and filename.startswith("<tangent_ad ")


def to_source(func, filename=None, comments=True):
    """Python source of a gast FunctionDef, commented with source lines."""
    marks = _Comments(filename)
    if comments:
        func = n.copy_node(func, shallow=True)
        func.body = marks.block(func.body)
    tree = _to_ast(gast.Module(body=[func], type_ignores=[]))
    source = astor.to_source(tree, indent_with="    ", pretty_source=_wrap_at_99)
    lines, origins, current = [], {}, None
    for line in source.splitlines():
        match = _MARK_LINE.match(line)
        if match:
            index = int(match.group(2))
            lines.append(f"{match.group(1)}# {marks.texts[index]}")
            current = marks.origins[index] or current
        else:
            lines.append(line)
            if current is not None:
                origins[len(lines)] = current
    text = Source("\n".join(lines) + "\n")
    text.origins = origins
    return text


def _to_ast(node):
    """`gast.gast_to_ast` for printing: the same tree, without the source
    locations astor does not read, in a third of the time."""
    if isinstance(node, list):
        return [_to_ast(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    kind = type(node)
    if kind is gast.Name:
        return ast.Name(id=node.id, ctx=_to_ast(node.ctx))
    if kind is gast.arguments:
        return ast.arguments(
            posonlyargs=[_to_arg(arg) for arg in node.posonlyargs],
            args=[_to_arg(arg) for arg in node.args],
            vararg=_to_arg(node.vararg),
            kwonlyargs=[_to_arg(arg) for arg in node.kwonlyargs],
            kw_defaults=_to_ast(node.kw_defaults),
            kwarg=_to_arg(node.kwarg),
            defaults=_to_ast(node.defaults),
        )
    if kind is gast.BinOp and isinstance(node.op, gast.Pow) and _is_negative_number(node.left):
        # astor prints a negative constant base bare: (-1.0) ** n as -1.0 ** n,
        # which is -(1.0 ** n); a negation of a positive one prints with its
        # parentheses
        base = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-node.left.value, kind=None))
        return ast.BinOp(left=base, op=ast.Pow(), right=_to_ast(node.right))
    if kind is gast.ExceptHandler and node.name is not None:
        return ast.ExceptHandler(type=_to_ast(node.type), name=node.name.id, body=_to_ast(node.body))
    made = getattr(ast, kind.__name__)
    built = made(**{field: _to_ast(getattr(node, field)) for field in made._fields if hasattr(node, field)})
    if isinstance(built, (ast.For, ast.While, ast.If)) and not built.body:
        built.body = [ast.Pass()]  # a loop whose body does nothing (`for i in r: pass`)
    return built


def _is_negative_number(node):
    value = getattr(node, "value", None) if isinstance(node, gast.Constant) else None
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0


def _to_arg(name):
    if name is None:
        return None
    return ast.arg(arg=name.id, annotation=_to_ast(name.annotation), type_comment=name.type_comment)


def _wrap_at_99(source):
    """astor's line wrapping, at 99 columns instead of 79."""
    from astor.source_repr import split_lines

    return "".join(split_lines(source, maxline=99))


def _names_used(func):
    """({name: object} for every helper name the generated code uses, every
    name it reads)."""
    helpers, loaded = {}, set()
    for node in n.walk(func):
        if isinstance(node, gast.Name):
            if anno.has(node, "inject"):
                helpers[node.id] = anno.get(node, "inject")
            if isinstance(node.ctx, gast.Load):
                loaded.add(node.id)
    return helpers, loaded


def rename_injected(func, user_names, user_globals, user_cells=None):
    """Give injected helpers names that do not clash with the user's names.

    A helper keeps its own name unless the user's function uses that name for
    something else; then it gets trailing underscores.
    """
    bound = dict(user_globals)
    for name, cell in (user_cells or {}).items():
        try:
            bound[name] = cell.cell_contents
        except ValueError:
            pass
    chosen = {}
    owners = {}
    # a name the function binds is its own: a global of that name is shadowed
    local = {
        node.id for node in n.walk(func)
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param))
    }
    for node in n.walk(func):
        if not (isinstance(node, gast.Name) and anno.has(node, "inject")):
            continue
        obj = anno.get(node, "inject")
        key = (node.id, id(obj))
        if key not in chosen:
            name = node.id
            while True:
                if name in owners:
                    if owners[name] is obj:
                        break
                elif name not in local and (name not in user_names or bound.get(name, _MISSING) is obj):
                    break
                name += "_"
            chosen[key] = name
            owners[name] = obj
        node.id = chosen[key]


_MISSING = object()


def compile_function(func, source, src, defaults=True):
    """Compile generated `source` (of gast `func`) into a function object."""
    helpers, loaded = _names_used(func)
    free = sorted(set(helpers) | (set(src.cells) & loaded))
    # named by content: deterministic, and distinct for distinct code
    digest = hashlib.sha1(source.encode()).hexdigest()[:8]
    filename = f"<tangent_ad {func.name} {digest}>"
    factory = "def __tangent_factory__({}):\n{}    return {}\n".format(
        ", ".join(free), textwrap.indent(source, "    "), func.name
    )
    lines = factory.splitlines(keepends=True)
    linecache.cache[filename] = (len(factory), None, lines, filename)
    module_code = compile(factory, filename, "exec")
    factory_code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    code = next(
        c for c in factory_code.co_consts if isinstance(c, types.CodeType) and c.co_name == func.name
    )
    cells = []
    for name in code.co_freevars:
        if name in helpers:
            cells.append(types.CellType(helpers[name]))
        else:
            cells.append(src.cells[name])
    fn = src.fn
    argdefs = fn.__defaults__ if defaults else None
    result = types.FunctionType(code, fn.__globals__, func.name, argdefs, tuple(cells))
    if defaults and fn.__kwdefaults__:
        result.__kwdefaults__ = dict(fn.__kwdefaults__)
    result.__tangent_source__ = source
    result.__tangent_filename__ = filename
    # factory line = source line + 1: where each generated line came from
    result.__tangent_origins__ = {line + 1: origin for line, origin in getattr(source, "origins", {}).items()}
    ORIGINS[filename] = result.__tangent_origins__
    return result


ORIGINS = {}  # generated file name -> {its line: (user file, user line)}


def user_location(tb):
    """The user's line (a `Location`) behind the innermost line of generated
    code in the traceback `tb`, or None."""
    found = None
    while tb is not None:
        origins = ORIGINS.get(tb.tb_frame.f_code.co_filename)
        if origins is not None and tb.tb_lineno in origins:
            found = tb.tb_lineno, origins
        tb = tb.tb_next
    if found is None:
        return None
    filename, lineno = found[1][found[0]]
    return Location(filename, lineno)

