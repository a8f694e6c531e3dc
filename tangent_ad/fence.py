"""Reject unsupported syntax before any transform runs.

One table maps a node type to the construct's name and a hint. `check` walks
the parsed function once and raises `UnsupportedConstructError` with the
user's file and line for the first unsupported node it meets.
"""

import gast

from . import nodes as n
from .errors import UnsupportedConstructError

_NO_ADJOINT = "tangent_ad cannot reverse it"

UNSUPPORTED = {
    gast.Try: ("try/except block", "move the try/except outside the differentiated function"),
    gast.TryStar: ("try/except* block", "move it outside the differentiated function"),
    gast.With: (
        "with block",
        "a with block is never dropped silently; move it outside the differentiated "
        "function or call a helper that does the work",
    ),
    gast.AsyncWith: ("async with block", _NO_ADJOINT),
    gast.AsyncFor: ("async for loop", _NO_ADJOINT),
    gast.AsyncFunctionDef: ("async function", _NO_ADJOINT),
    gast.Await: ("await expression", _NO_ADJOINT),
    gast.Yield: ("generator (yield)", "return a list or an array instead of yielding"),
    gast.YieldFrom: ("generator (yield from)", "return a list or an array instead"),
    gast.GeneratorExp: ("generator expression", "use a list or an explicit loop"),
    gast.SetComp: ("set comprehension", "write it as an explicit loop"),
    gast.DictComp: ("dict comprehension", "write it as an explicit loop"),
    gast.ClassDef: ("class definition inside a differentiated function", "define it outside"),
    gast.Global: ("global statement", "pass the value in as an argument"),
    gast.Nonlocal: ("nonlocal statement", "pass the value in as an argument"),
    gast.NamedExpr: ("assignment expression (:=)", "assign on a line of its own"),
    gast.Delete: ("del statement", "let the name go out of scope instead"),
    gast.Import: ("import inside a differentiated function", "import at module level"),
    gast.ImportFrom: ("import inside a differentiated function", "import at module level"),
    gast.Match: ("match statement", "use if/elif"),
    gast.Set: ("set display", "use a list or a tuple"),
    gast.Starred: ("starred expression (*args)", "pass arguments explicitly"),
}


def variadic_hint(fn):
    """What to do about a function with *args/**kwargs: a decorator's
    wrapper is differentiated as written, since it may change values."""
    wrapped = getattr(fn, "__wrapped__", None)
    if wrapped is None:
        return "name the parameters explicitly"
    name = getattr(wrapped, "__name__", "f")
    return (
        f"it is a decorator's wrapper around {name}; tangent_ad differentiates a wrapper as "
        f"written, since it may change values: give it {name}'s parameters, or differentiate "
        f"{name}.__wrapped__ if the decorator changes nothing"
    )


def check(src):
    """Raise for the first unsupported construct in `src.tree`'s body."""
    func = src.tree
    args = func.args
    if args.vararg is not None or args.kwarg is not None:
        raise UnsupportedConstructError(
            "*args/**kwargs parameters", src.location(func), variadic_hint(src.fn)
        )
    for stmt in func.body:
        _check_placement(src, stmt)
        for node in n.walk(stmt):
            entry = UNSUPPORTED.get(type(node))
            if entry is not None:
                construct, hint = entry
                raise UnsupportedConstructError(construct, src.location(_stmt_of(stmt, node)), hint)
            if isinstance(node, (gast.For, gast.While)) and node.orelse:
                kind = "for" if isinstance(node, gast.For) else "while"
                raise UnsupportedConstructError(
                    f"{kind} ... else", src.location(node), "set a flag before break instead"
                )


_HOISTABLE = (gast.Assign, gast.AugAssign, gast.Expr, gast.Return, gast.AnnAssign)


def _check_placement(src, stmt):
    """Lambdas only as `name = lambda ...`; comprehensions only where they can
    be computed before their statement (not in a test, which runs repeatedly)."""
    allowed = {
        id(node.value)
        for node in n.walk(stmt)
        if isinstance(node, gast.Assign)
        and isinstance(node.value, gast.Lambda)
        and len(node.targets) == 1
        and isinstance(node.targets[0], gast.Name)
    }
    for node in n.walk(stmt):
        if isinstance(node, (gast.If, gast.While, gast.For)):
            header = node.iter if isinstance(node, gast.For) else node.test
            if any(isinstance(sub, gast.ListComp) for sub in n.walk(header)):
                raise UnsupportedConstructError(
                    "list comprehension in a loop or branch header",
                    src.location(node),
                    "compute the list on the line before",
                )
        if isinstance(node, gast.Lambda) and id(node) not in allowed:
            raise UnsupportedConstructError(
                "lambda used as a value",
                src.location(_stmt_of(stmt, node)),
                "assign it to a name (f = lambda x: ...) and call it, or use def",
            )


def _stmt_of(top, target):
    """The innermost statement of `top` that contains `target` (for its line)."""
    best = top
    for node in n.walk(top):
        if isinstance(node, gast.stmt) and any(sub is target for sub in n.walk(node)):
            if getattr(node, "lineno", 0) >= getattr(best, "lineno", 0):
                best = node
    if getattr(target, "lineno", None) is not None:
        return target
    return best
