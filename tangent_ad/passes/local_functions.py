"""Take nested `def`s and assigned lambdas out of the body, for inlining.

``def act(z): ...`` or ``act = lambda z: ...`` inside a differentiated
function defines a helper that only calls can use. This pass removes such
definitions from the body and records them on the source as
``local_functions[name] = FunctionDef``; the inliner then inlines each call
``act(...)`` from that definition, so the helper's reads of the enclosing
function's variables stay reads of those very variables.

Guarantees to later passes: no FunctionDef or Lambda statements remain in
the body. A local function used other than by calling it raises
`UnsupportedConstructError` (in the inliner).
"""

import gast

from .. import anno
from .. import nodes as n
from ..errors import UnsupportedConstructError


class ExtractLocalFunctions:
    def __init__(self, src):
        self.src = src
        self.found = {}

    def run(self):
        self.src.tree.body = self.block(self.src.tree.body)
        self.src.local_functions = {**getattr(self.src, "local_functions", {}), **self.found}
        return self.src

    def block(self, stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.FunctionDef):
                self.record(stmt.name, stmt)
                continue
            if (
                isinstance(stmt, gast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.Lambda)
            ):
                self.record(stmt.targets[0].id, _lambda_to_def(stmt.targets[0].id, stmt.value, stmt))
                continue
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            out.append(stmt)
        return out

    def record(self, name, node):
        location = self.src.location(node)
        if node.decorator_list:
            raise UnsupportedConstructError(
                "decorated nested function", location, "define it at module level"
            )
        if name in self.found:
            raise UnsupportedConstructError(
                f"nested function {name!r} defined twice", location, "give each helper its own name"
            )
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            if not isinstance(default, gast.Constant):
                raise UnsupportedConstructError(
                    "nested function with a non-constant default argument",
                    location,
                    "pass the value explicitly",
                )
        self.found[name] = node


def _lambda_to_def(name, lam, stmt):
    body = gast.Return(value=lam.body)
    anno.copy_from(body, stmt)
    node = gast.FunctionDef(
        name=name,
        args=lam.args,
        body=[body],
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    anno.copy_from(node, stmt)
    return node


def extract_local_functions(src, namer=None):
    return ExtractLocalFunctions(src).run()


def local_source(src, name):
    """A FunctionSource for the local function `name` of `src`."""
    from ..source import FunctionSource, local_names, resolve

    tree = n.copy_node(src.local_functions[name])
    local = FunctionSource(
        src.fn, tree, src.filename, globals_=src.globals, cells=src.cells, name=name
    )
    local.local_functions = dict(src.local_functions)
    local.object_kinds = dict(getattr(src, "object_kinds", {}))
    resolve(local, enclosing=local_names(src.tree) | set(src.local_functions))
    return local
