"""Derivative rules written as short Python templates.

A template is a plain function whose first parameter stands for the result
and whose other parameters mirror the primal function's (so keyword calls bind
the same way). Its body is adjoint (or tangent) code in which ``d[x]`` means
"the adjoint of whatever variable stands in for x"::

    @adjoint(np.sin)
    def sin(y, x):
        d[x] = d[y] * np.cos(x)

Templates are parsed once and checked exactly: every name must be a
parameter, ``d``, a local the template assigns, or a global of the template's
module -- a typo'd placeholder is an error at registration, not a silently
ignored name. Expansion substitutes the call site's operands and returns
statements plus "accumulate into this adjoint" records.
"""

import inspect
import os
import textwrap
import types

import gast

from . import anno
from . import nodes as n
from .errors import TangentADError, UnsupportedConstructError

ADJ = "d"  # the placeholder: d[x] is the adjoint (or tangent) of x


class TemplateError(TangentADError):
    """A rule template that is malformed (reported at registration)."""


class Accumulate:
    """`d[param] = expr` in a template: add `expr` into the adjoint of `param`."""

    __slots__ = ("param", "target", "value")

    def __init__(self, param, target, value):
        self.param = param
        self.target = target  # the atom bound to `param` at the call site
        self.value = value


def _with_place(label, fn):
    """`label` and where the template is defined, for errors about it."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return label
    return f"{label} (rule {code.co_name} at {os.path.basename(code.co_filename)}:{code.co_firstlineno})"


class Template:
    """A parsed rule template."""

    def __init__(self, fn, label, kind=None):
        if not isinstance(fn, types.FunctionType) or fn.__name__ == "<lambda>":
            raise TemplateError(
                "rule template that is not a function defined with def",
                detail=f"{label}: {fn!r}",
                hint="write the rule as def rule(y, x): d[x] = ... and decorate it",
            )
        self.fn = fn
        self.label = _with_place(label, fn)
        self.kind = kind  # "adjoint", "tangent" or None (not said)
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters.values())
        if not params:
            raise TemplateError("rule template without parameters", detail=label)
        self.result = params[0].name
        self.params = [p.name for p in params]
        self.defaults = {
            p.name: p.default for p in params if p.default is not inspect.Parameter.empty
        }
        self.globals = fn.__globals__
        self.body = self._parse(fn)
        self.locals = self._assigned_names()
        self._check()

    def _parse(self, fn):
        try:
            text = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError) as err:
            raise TemplateError("rule template without source", detail=self.label) from err
        func = gast.parse(text).body[0]
        body = [s for s in func.body if not _is_docstring(s)]
        if not body:
            raise TemplateError("empty rule template", detail=self.label)
        return body

    def _assigned_names(self):
        names = set()
        for stmt in self.body:
            for node in n.walk(stmt):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                    names.add(node.id)
        return names

    def _check(self):
        for stmt in self.body:
            if not isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr)):
                # only top-level `d[x] = ...` lines are rules: one inside a
                # block would never be read (a zero adjoint, silently)
                raise TemplateError(
                    f"rule template with a block ({type(stmt).__name__.lower()})",
                    detail=self.label,
                    hint="a template is a list of lines d[x] = expression (and temporaries); "
                    "put conditions into the expressions (np.where) or into a helper function",
                )
            self._check_target(stmt)
            for node in n.walk(stmt):
                if _is_adjoint_ref(node):
                    key = node.slice
                    if not (isinstance(key, gast.Name) and key.id in self.params):
                        raise TemplateError(
                            "rule template uses d[...] of something that is not a parameter",
                            detail=f"{self.label}: d[{_unparse(key)}]",
                        )
                elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                    ident = node.id
                    if ident == ADJ or ident in self.params or ident in self.locals:
                        continue
                    if ident not in self.globals and not _is_builtin(ident):
                        raise TemplateError(
                            "rule template uses an unknown name",
                            detail=f"{self.label}: {ident!r}",
                            hint="use one of the template's parameters, d[param], or a "
                            "global of the module that defines the rule",
                        )

    def _check_target(self, stmt):
        """What a line may write: `d[x] = ...` (once per line, never `+=`:
        every rule's part of an adjoint is added up by the generated code),
        and temporaries of its own, never a parameter (the call's operand
        would be overwritten in the generated code)."""
        targets = stmt.targets if isinstance(stmt, gast.Assign) else (
            [stmt.target] if isinstance(stmt, gast.AugAssign) else [])
        for target in targets:
            if _is_adjoint_ref(target):
                written = _unparse(target.slice)
                if isinstance(stmt, gast.AugAssign):
                    raise TemplateError(
                        f"rule template updates d[{written}] in place",
                        detail=self.label,
                        hint=f"write d[{written}] = expression: the adjoints of several uses of a "
                        "value are added up by the generated code",
                    )
                if self.kind == "adjoint" and written == self.result:
                    raise TemplateError(
                        f"adjoint rule template assigns d[{written}], the adjoint of its result",
                        detail=self.label,
                        hint=f"an adjoint rule gives d[argument] from d[{written}]; a rule giving "
                        f"d[{written}] from the arguments' tangents is a @ta.tangent rule",
                    )
            for node in n.walk(target):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store) and node.id in self.params:
                    raise TemplateError(
                        f"rule template assigns to its parameter {node.id!r}",
                        detail=self.label,
                        hint="give the value a new name: the parameter stands for the call's own "
                        "operand, which the generated code would overwrite",
                    )

    def bind(self, args, keywords, location=None):
        """Map template parameters to call-site nodes (Name/Constant/index
        nodes). A call the rule cannot take (an argument it does not name,
        ``np.diff(x, prepend=0.0)``) is refused at `location`."""
        try:
            bound = self.signature.bind(None, *args, **keywords)
        except TypeError as err:
            taken = ", ".join(str(p) for p in list(self.signature.parameters.values())[1:])
            raise UnsupportedConstructError(
                f"call to {self.label} with arguments its derivative rule does not take",
                location,
                f"the rule takes ({taken}); register your own with @ta.adjoint / @ta.tangent "
                "(see docs/custom-rules.md)",
                detail=str(err),
            ) from err
        bindings = {}
        for pname in self.params[1:]:
            kind = self.signature.parameters[pname].kind
            value = bound.arguments.get(pname)
            if kind is inspect.Parameter.VAR_POSITIONAL:
                value = gast.Tuple(elts=list(value or ()), ctx=gast.Load())
            elif kind is inspect.Parameter.VAR_KEYWORD:
                items = sorted((value or {}).items())
                value = gast.Dict(keys=[n.const(k) for k, _ in items], values=[v for _, v in items])
            elif pname not in bound.arguments:
                value = n.const(self.defaults.get(pname))
            bindings[pname] = value
        return bindings

    def expand(self, bindings, result, fresh):
        """Substitute operands into the body.

        `bindings` maps parameter names to nodes; `result` is the node standing
        for the result. Returns a list whose items are statements (template
        locals and helper code) or `Accumulate` records. Globals the template
        uses are marked with the ``inject`` annotation (name -> object).
        """
        env = dict(bindings)
        env[self.result] = result
        renames = {local: fresh() for local in sorted(self.locals)}
        substitute = _Substitute(env, renames, self.globals)
        out = []
        for stmt in self.body:
            if (
                isinstance(stmt, gast.Assign)
                and len(stmt.targets) == 1
                and _is_adjoint_ref(stmt.targets[0])
            ):
                param = stmt.targets[0].slice.id
                out.append(Accumulate(param, env[param], substitute.copy(stmt.value)))
            else:
                out.append(substitute.copy(stmt))
        return out


class _Substitute:
    """Copies template code with the call site filled in: parameters become
    copies of their operands, ``d[x]`` a marker naming x's operand, locals
    fresh names; globals are marked with what they are (``inject``)."""

    def __init__(self, env, renames, globals_):
        self.env = env
        self.renames = renames
        self.globals = globals_

    def copy(self, node):
        if isinstance(node, gast.Name):
            return self.name(node)
        if _is_adjoint_ref(node):
            marker = n.name("__adjoint__")
            anno.set(marker, "adjoint_of", self.env[node.slice.id])
            return marker
        clone = n.copy_node(node, shallow=True)
        for field in node._fields:
            value = getattr(node, field)
            if isinstance(value, gast.AST):
                setattr(clone, field, self.copy(value))
            elif isinstance(value, list):
                items = [self.copy(item) if isinstance(item, gast.AST) else item for item in value]
                setattr(clone, field, items)
        return clone

    def name(self, node):
        if node.id in self.env:
            return n.copy_node(self.env[node.id])
        if node.id in self.renames:
            return n.name(self.renames[node.id], store=isinstance(node.ctx, gast.Store))
        node = n.copy_node(node)
        if isinstance(node.ctx, gast.Load):
            obj = self.globals[node.id] if node.id in self.globals else _builtin(node.id)
            anno.set(node, "inject", obj)
            if node.id in self.globals:  # (a helper of the user's may be redefined)
                anno.set(node, FOUND_IN, (self.globals, node.id))
        return node


FOUND_IN = "rule_global"  # (module globals, name) a template's injected name was read from


def _is_adjoint_ref(node):
    return (
        isinstance(node, gast.Subscript)
        and isinstance(node.value, gast.Name)
        and node.value.id == ADJ
    )


def _is_docstring(stmt):
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)


def _is_builtin(ident):
    import builtins

    return hasattr(builtins, ident)


def _builtin(ident):
    import builtins

    return getattr(builtins, ident)


def _unparse(node):
    import astor

    return astor.to_source(gast.gast_to_ast(node)).strip()
