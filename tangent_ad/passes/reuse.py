"""Values the primal sweep computed, read again instead of computed again.

A rule's template recomputes what it needs from the operands: the adjoint
of ``_t6 = np.sin(th)`` reads ``np.cos(th)``. When the primal sweep has
already computed exactly that (``_t4 = np.cos(th)``, the user's own
``np.cos(th)`` of a helper returning ``r * np.cos(th), r * np.sin(th)``),
the adjoint reads ``_t4``::

    d_th = d_t7 * r * np.cos(th)     ->     d_th = d_t7 * r * _t4

Only where the two are surely the same value: the call is to a NumPy ufunc
or a `math` function (pure, deterministic), with names and number constants
as arguments; the name holding it, and every name it reads, is bound once,
by a statement at the top level of the function (or is a parameter never
bound), before every statement the replacement is made in; and nothing
writes into any of them in place (an index assignment, ``+=``, a call whose
result is discarded, ``out=``) under any name that may share its memory.
"""

import math

import gast
import numpy

from .. import nodes as n
from ..source import static_value


def reuse_primal_values(func, facts):
    """Rewrite `func` in place; tells `facts` of each change."""
    bound, written = _bindings(func)
    written |= facts.aliases().views(written)  # (``y = x; y[0] = v`` writes x)
    known = {}  # (function, its arguments) -> the name holding its value
    for stmt in func.body:
        for node in _calls(stmt) if known else ():
            held = known.get(_key(node))
            if held is not None:
                _replace(stmt, node, held)
                facts.changed(stmt)
        if _holds_value(stmt, bound, written):
            known.setdefault(_key(stmt.value), stmt.targets[0].id)


def _bindings(func):
    """({name: times bound}, names written into in place)."""
    bound, written = {}, set()
    for arg in func.args.posonlyargs + func.args.args + func.args.kwonlyargs:
        bound[arg.id] = 1  # (bound by the call: once more, and it holds two values)
    for node in n.walk(func):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            bound[node.id] = bound.get(node.id, 0) + 1
        elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store):
            written |= {sub.id for sub in n.walk(node.value) if isinstance(sub, gast.Name)}
        elif isinstance(node, gast.AugAssign):
            written |= {sub.id for sub in n.walk(node.target) if isinstance(sub, gast.Name)}
        elif isinstance(node, gast.Expr) or isinstance(node, gast.keyword) and node.arg == "out":
            written |= {sub.id for sub in n.walk(node) if isinstance(sub, gast.Name)}
    return bound, written


def _holds_value(stmt, bound, written):
    """Whether `stmt` is ``t = f(a, b)`` whose value stays `t`'s for good."""
    if not (
        isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name) and is_pure_call(stmt.value)
    ):
        return False
    names = [stmt.targets[0].id] + [arg.id for arg in stmt.value.args if isinstance(arg, gast.Name)]
    target = names[0]
    return all(name not in written and bound.get(name) == 1 for name in names)


def is_pure_call(node):
    """Whether `node` calls a NumPy ufunc or a `math` function (pure and
    deterministic) on names and numbers, with no keywords."""
    if not (isinstance(node, gast.Call) and not node.keywords and node.args):
        return False
    if not all(isinstance(arg, gast.Name) or n.is_number(arg) for arg in node.args):
        return False
    func = static_value(node.func)
    return isinstance(func, numpy.ufunc) or (
        callable(func) and getattr(func, "__module__", None) == "math" and getattr(math, func.__name__, None) is func
    )


def _calls(stmt):
    """The pure calls in `stmt` that are operands of arithmetic (which makes
    a new array of them): read from a name, such a call is still only read.
    (Bound or passed on as it is, ``d_x = np.cos(x)``, it may be updated in
    place later, as the new array it was.)"""
    return [
        child for node in n.walk(stmt) if isinstance(node, (gast.BinOp, gast.UnaryOp))
        for child in n.children(node) if is_pure_call(child)
    ]


def _key(call):
    """What identifies a pure call's value: the function and its arguments
    (names, or numbers by type and value)."""
    parts = tuple(
        ("name", arg.id) if isinstance(arg, gast.Name) else (type(arg.value), arg.value) for arg in call.args
    )
    return static_value(call.func), parts


def _replace(stmt, old, name):
    for sub in n.walk(stmt):
        for field, value in gast.iter_fields(sub):
            if value is old:
                setattr(sub, field, n.name(name))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = n.name(name)
