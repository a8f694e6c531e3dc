"""Symbolic zero tangents, and the small algebra that folds them away.

Forward mode substitutes a *zero marker* for the tangent of a value that has
none (it does not depend on the inputs, or forward mode has not given it
one). `simplify` folds the markers out of a rule's tangent expression --
``0 * e -> 0``, ``e + 0 -> e``, ``f(0) -> 0`` for a function declared
`linear` at that position, ``t * 1 -> t``, ``t * y + y * t -> 2 * t * y``
and constant arithmetic -- and
writes ``0.0`` for any marker left where a value is needed. So a rule
written for all its arguments at once (``d[y] = d[x1] * x2 + x1 * d[x2]``)
emits only the terms of the arguments that have tangents, and no zeros
array is ever built or added.

Keyword arguments a template passes on from parameters the call left at
their defaults are dropped (``np.sum(t_x, axis=None)`` -> ``np.sum(t_x)``).
"""

import gast

from .. import anno
from .. import nodes as n
from ..rules import registry

_ZERO_MARK = "__tangent_zero__"


def zero():
    """A zero marker (a name carrying the ``zero`` annotation)."""
    node = n.name(_ZERO_MARK)
    anno.set(node, "zero", True)
    return node


def is_zero(node):
    return isinstance(node, gast.Name) and anno.get(node, "zero", False)


def simplify(node):
    """Fold zero markers: 0*e -> 0, e+0 -> e, linear(0) -> 0; materialise the rest."""
    if is_zero(node):
        return node
    if isinstance(node, gast.BinOp):
        left = simplify(node.left)
        right = simplify(node.right)
        op = type(node.op)
        lz, rz = is_zero(left), is_zero(right)
        folded = _fold_ones(left, op, right)
        if folded is not None:
            return folded
        if op in (gast.Mult, gast.MatMult):
            if lz or rz:
                return zero()
        elif op is gast.Div:
            if lz:
                return zero()
        elif op is gast.Add:
            if lz:
                return right
            if rz:
                return left
            if _same_product(left, right):
                # ``t_y * y + y * t_y`` (the product rule of ``y * y``) -> ``2 * t_y * y``
                doubled = gast.BinOp(left=n.const(2), op=gast.Mult(), right=left.left)
                return gast.BinOp(left=doubled, op=gast.Mult(), right=left.right)
        elif op is gast.Sub:
            if rz:
                return left
            if lz:
                return zero() if rz else gast.UnaryOp(op=gast.USub(), operand=right)
        node.left = materialize_zero(left)
        node.right = materialize_zero(right)
        return node
    if isinstance(node, gast.UnaryOp):
        operand = simplify(node.operand)
        if is_zero(operand) and isinstance(node.op, (gast.USub, gast.UAdd)):
            return operand
        node.operand = materialize_zero(operand)
        return node
    if isinstance(node, gast.Call):
        if isinstance(node.func, gast.Attribute):
            # a method of a zero tangent: templates call only linear methods on tangents
            func = simplify(node.func)
            if is_zero(func):
                return func
            node.func = func
        args = [simplify(a) for a in node.args]
        func = registry.call_key(node)
        positions = registry.LINEAR.get(func, ()) if func is not None else ()
        if any(p < len(args) and is_zero(args[p]) for p in positions):
            return zero()
        node.args = [materialize_zero(a) for a in args]
        for kw in node.keywords:
            kw.value = materialize_zero(simplify(kw.value))
        return node
    if isinstance(node, gast.Subscript):
        value = simplify(node.value)
        if is_zero(value):
            return value
        node.value = value
        return node
    if isinstance(node, gast.Attribute):
        value = simplify(node.value)
        if is_zero(value):
            return value
        node.value = value
        return node
    for field, value in gast.iter_fields(node):
        if isinstance(value, gast.AST):
            setattr(node, field, materialize_zero(simplify(value)))
        elif isinstance(value, list):
            items = [
                materialize_zero(simplify(v)) if isinstance(v, gast.AST) else v for v in value
            ]
            setattr(node, field, items)
    return node


_ARITHMETIC = {
    gast.Add: lambda a, b: a + b,
    gast.Sub: lambda a, b: a - b,
    gast.Mult: lambda a, b: a * b,
    gast.Div: lambda a, b: a / b,
    gast.Pow: lambda a, b: a ** b,
}


def _same_product(left, right):
    """Whether `left` and `right` are products of the same two factors (in
    either order: elementwise products commute, exactly)."""
    if not all(isinstance(side, gast.BinOp) and isinstance(side.op, gast.Mult) for side in (left, right)):
        return False
    return sorted([gast.dump(left.left), gast.dump(left.right)]) == sorted([gast.dump(right.left), gast.dump(right.right)])


def _number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _fold_ones(left, op, right):
    """Constant arithmetic and ``e * 1``, ``1 * e``, ``e / 1``, ``e ** 1`` -> ``e``,
    or None when nothing folds."""
    if _number(left) and _number(right) and op in _ARITHMETIC:
        try:
            return n.const(_ARITHMETIC[op](left.value, right.value))
        except (ArithmeticError, ValueError, OverflowError):
            return None
    one_right = _number(right) and right.value == 1
    if op in (gast.Mult, gast.Div, gast.Pow) and one_right and not is_zero(left):
        return left
    if op is gast.Mult and _number(left) and left.value == 1 and not is_zero(right):
        return right
    return None


def materialize_zero(node):
    return n.const(0.0) if is_zero(node) else node


# -- arguments left at the template's defaults ----------------------------------

_DEFAULT = "template_default"


def mark_defaults(template, bindings, args, keywords):
    """Mark the bindings of parameters the call site left at their defaults."""
    given = template.signature.bind(None, *args, **keywords).arguments
    for name, node in bindings.items():
        if name not in given and isinstance(node, gast.Constant):
            anno.set(node, _DEFAULT, True)


def drop_default_keywords(node):
    """``np.sum(t_x, axis=None, keepdims=False)`` -> ``np.sum(t_x)``: a keyword
    argument the template passes on from a parameter the call left at its
    default is left out (template defaults mirror the function's own)."""
    for sub in n.walk(node):
        if isinstance(sub, gast.Call):
            sub.keywords = [kw for kw in sub.keywords if not anno.get(kw.value, _DEFAULT, False)]
    return node
