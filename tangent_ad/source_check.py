"""Is the source read from disk the source of the code that runs?

`inspect` reads a function's source from its file as the file is now. When
the file was edited after the module was imported (and not reloaded), the
text read is not the code Python runs, and a derivative of it would be a
silently wrong derivative of the running function. `check_current` compiles
the text read the way Python compiled the function -- inside a function that
binds its closure variables, inside a class of its class's name for a method
(name mangling, ``super()``) -- and compares the names, constants and
operations with the running code object's.
"""

import dis
import types

from .errors import StaleSourceError

_OUTER = "__tangent_ad_outer__"


def check_current(fn, text, location):
    """Raise `StaleSourceError` if `text` (the dedented source of `fn`, with
    its decorators) does not compile to `fn`'s code."""
    code = fn.__code__
    if code.co_name == "<lambda>" or code.co_filename.startswith("<tangent_ad"):
        return
    compiled = _compiled(fn, text)
    if compiled is None:
        return  # (the text does not compile where it is put: tabs, say; not checked)
    if not _same(compiled, code):
        raise StaleSourceError(
            "source that differs from the running code",
            location,
            "the file was edited after its module was imported: reload the module "
            "(importlib.reload) or restart, so the code that runs is the code read",
            detail=f"{fn.__qualname__} in {code.co_filename}",
        )


def _compiled(fn, text):
    """The code object `text` compiles to, compiled where `fn` was, or None."""
    code = fn.__code__
    lines = []
    free = [name for name in code.co_freevars if name != "__class__"]
    if free:
        lines.append(" = ".join(free) + " = None")
    owner = mangling_class(fn)
    body = text.splitlines()
    # the def (and class) statements must not make their names the outer
    # function's, which would turn a recursive call into a closure's
    bound = [name for name in (code.co_name, owner) if name and name not in free]
    if bound:
        lines.insert(0, "global " + ", ".join(dict.fromkeys(bound)))
    if owner is not None:  # a method: mangled names, super()
        lines.append(f"class {owner}:")
        body = ["    " + line for line in body]
    lines += body
    source = f"def {_OUTER}():\n" + "".join("    " + line + "\n" for line in lines or ["pass"])
    try:
        module = compile(source, code.co_filename, "exec", dont_inherit=True)
    except SyntaxError:
        return None
    return _find(module, code.co_name)


def mangling_class(fn):
    """The name of the innermost class whose body `fn` is defined in (its
    private names ``__x`` are mangled to ``_Class__x``), or None."""
    parts = getattr(fn.__code__, "co_qualname", fn.__qualname__).split(".")
    classes = [
        part for i, part in enumerate(parts[:-1]) if parts[i + 1] != "<locals>" and part != "<locals>"
    ]
    return classes[-1] if classes else None


def _find(code, name):
    """The shallowest code object named `name` inside `code`, or None."""
    level = [code]
    while level:
        inner = [c for parent in level for c in parent.co_consts if isinstance(c, types.CodeType)]
        for candidate in inner:
            if candidate.co_name == name:
                return candidate
        level = inner
    return None


# operations whose instructions do not depend on where the code is compiled
# (``np.sum(x)`` loads `sum` as a method or as an attribute, depending on
# whether the module imported `np`: that part of the bytecode is left out)
_OPERATIONS = {
    "BINARY_OP", "COMPARE_OP", "CONTAINS_OP", "IS_OP", "UNARY_NEGATIVE", "UNARY_NOT",
    "UNARY_INVERT", "UNARY_POSITIVE", "BINARY_SUBSCR", "STORE_SUBSCR", "DELETE_SUBSCR",
    "BINARY_SLICE", "STORE_SLICE", "BUILD_SLICE", "RETURN_VALUE", "RETURN_CONST",
    "FOR_ITER", "STORE_FAST", "STORE_DEREF", "STORE_GLOBAL", "STORE_ATTR",
}


_OPCODES = {dis.opmap[name] for name in _OPERATIONS if name in dis.opmap}
_JUMPS = set(dis.hasjrel) | set(dis.hasjabs)  # (their targets move with the rest)


def _operations(code):
    """(opcode, argument) of the operations, read off the bytecode's
    two-byte units (`dis.get_instructions` takes ten times as long)."""
    raw = code.co_code
    return [
        (raw[i], 0 if raw[i] in _JUMPS else raw[i + 1])
        for i in range(0, len(raw), 2) if raw[i] in _OPCODES
    ]


def _same(a, b):
    """Whether code objects `a` and `b` compute the same (their names,
    constants and operations, in order; line numbers aside)."""
    if (
        a.co_names != b.co_names
        or a.co_varnames != b.co_varnames
        or a.co_freevars != b.co_freevars
        or a.co_cellvars != b.co_cellvars
        or len(a.co_consts) != len(b.co_consts)
        or _operations(a) != _operations(b)
    ):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType):
            if not (isinstance(y, types.CodeType) and _same(x, y)):
                return False
        elif type(x) is not type(y) or (_comparable(x) != _comparable(y) and x == x):
            return False
    return True


def _comparable(constant):
    """A string without its whitespace: re-indenting the source for the
    comparison moves the lines of a multi-line string (a docstring)."""
    return "".join(constant.split()) if isinstance(constant, str) else constant
