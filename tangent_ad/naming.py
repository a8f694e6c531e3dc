"""The one naming scheme of generated code.

Every generated name is made here, deterministically: the same function gives
byte-identical derivative source on every run. Names never collide with a
name the user's function uses.
"""

import re

import gast

from . import nodes

TEMP = "_t{}"  # A-normal-form temporary
COND = "_cond{}"  # a recorded branch condition
ITEM = "_i{}"  # an index introduced when a loop over a sequence is rewritten
TRIPS = "_trips{}"  # a loop's trip counter (loops that may exit early)
SKIP = "_skip{}"  # "skip the rest of this iteration" flag (continue/break/return)
BREAK = "_brk{}"  # "leave this loop" flag
RETURNED = "_returned"  # "the function has returned" flag
RETVAL = "_retval"  # the value of an early return
STACK = "_stack"
ADJOINT = "d_{}"
TANGENT = "t_{}"
RESULT = "result"


def temporary_format(name):
    """The format of a name the transformation made (`_t3`: TEMP, `_cond0`:
    COND, ...), or None for any other name."""
    for fmt in (TEMP, COND, ITEM, TRIPS, SKIP, BREAK):
        prefix = fmt.split("{")[0]
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return fmt
    return None


def is_temporary(name):
    """Whether `name` is one the transformation made (`_t3`, `_cond0`, ...)."""
    return temporary_format(name) is not None


def in_order(names):
    """`names` sorted as a reader counts: `_t2` before `_t10`."""
    return sorted(names, key=lambda name: [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)])


def is_stack_call(node, method):
    """Whether `node` is ``_stack.<method>(...)`` (a push or pop of the
    derivative's shared stack)."""
    return (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Attribute)
        and node.func.attr == method
        and nodes.is_name(node.func.value, STACK)
    )


def is_stack_name(name):
    """Whether `name` is one the generated code's stacks take: `_stack`, and
    `_stack1`, `_stack2`, ... of the loops that get a stack of their own."""
    return name.startswith(STACK) and name[len(STACK):].isdigit() or name == STACK


def all_names(tree):
    """Every identifier appearing in `tree` (names, arguments, attributes)."""
    names = set()
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name):
            names.add(node.id)
        elif isinstance(node, (gast.FunctionDef, gast.ClassDef)):
            names.add(node.name)
    return names


class Namer:
    """Hands out fresh, collision-free names for one derivative."""

    def __init__(self, reserved=()):
        self.used = set(reserved)
        self._counters = {}
        self._adjoints = {}
        self._tangents = {}

    def reserve(self, names):
        self.used.update(names)

    def fresh(self, fmt):
        """A new name from a numbered format such as TEMP."""
        while True:
            count = self._counters.get(fmt, 0)
            self._counters[fmt] = count + 1
            name = fmt.format(count)
            if name not in self.used:
                self.used.add(name)
                return name

    def unique(self, base):
        """`base` itself if free, else `base_1`, `base_2`, ..."""
        name, count = base, 0
        while name in self.used:
            count += 1
            name = f"{base}_{count}"
        self.used.add(name)
        return name

    def adjoint(self, name):
        """The adjoint variable of `name` (`x` -> `d_x`, `_t3` -> `d_t3`)."""
        return self._derived(name, ADJOINT, self._adjoints)

    def adjoint_sources(self):
        """{adjoint variable: the name it is the adjoint of} named so far."""
        return {adjoint: name for name, adjoint in self._adjoints.items()}

    def derived(self):
        """{name: [its adjoint and tangent variables]} named so far."""
        found = {}
        for memo in (self._adjoints, self._tangents):
            for name, derived in memo.items():
                found.setdefault(name, []).append(derived)
        return found

    def tangent(self, name):
        """The tangent variable of `name` (`x` -> `t_x`, `_t3` -> `t_t3`)."""
        return self._derived(name, TANGENT, self._tangents)

    def _derived(self, name, fmt, memo):
        if name not in memo:
            memo[name] = self.unique(fmt.format(name.lstrip("_")))
        return memo[name]
