"""Function -> gast tree with true file lines, and names resolved to objects.

`parse_function` reads a function's source (dedented, decorators dropped,
lambdas turned into a `def`), parses it with gast and shifts every line number
to the user's real file line. `resolve` binds every name the function reads to
what it refers to -- an argument or local, a closure cell, a module global, a
builtin -- and every `module.attr` chain to its object, so that derivative
rules are found by the Python object (``import numpy as xp`` still works).
"""

import builtins
import inspect
import sys
import textwrap
import tokenize
import types

import gast

from . import anno
from . import nodes as n
from .errors import Location, NoSourceError, StaleSourceError, UnsupportedConstructError
from .source_check import check_current, mangling_class

_UNRESOLVED = object()


class FunctionSource:
    """A user function's parsed source and the namespaces it reads."""

    def __init__(self, fn, tree, filename, globals_=None, cells=None, name=None):
        self.fn = fn
        self.tree = tree
        self.filename = filename
        self.name = name or tree.name
        self.globals = fn.__globals__ if globals_ is None else globals_
        if cells is None:
            code = fn.__code__
            cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
        self.cells = cells
        self.local_functions = {}
        self.user_names = {}  # a name inlining gave a callee's variable -> the callee's own

    def location(self, node):
        lineno = anno.get(node, "lineno") or getattr(node, "lineno", None)
        filename = anno.get(node, "filename") or self.filename
        return Location(filename, lineno, anno.get(node, "function") or self.name)

    def user_name(self, name):
        """The name the user wrote for `name` (a callee's `y` inlined as `_t0`)."""
        return self.user_names.get(name, name)


def python_call(obj):
    """The Python function ``obj(...)`` runs when `obj`'s class defines
    ``__call__`` in Python (not a function, a method or a C type); else None."""
    if isinstance(obj, (types.FunctionType, types.MethodType, type)):
        return None
    call = getattr(type(obj), "__call__", None)
    return call if isinstance(call, types.FunctionType) else None


def unwrap(fn):
    """The plain Python function behind tangent_ad wrappers and wrappers
    that are not Python code (``functools.lru_cache``, ``staticmethod``).

    A Python function made by a decorator (``functools.wraps``) is its own
    code: its `__wrapped__` is not followed, since the wrapper may change
    values (``return 2.0 * fn(x)``); it is differentiated as written, and the
    wrapped function inlined where it calls it. So is an object whose class
    defines ``__call__`` in Python (a class-based decorator).
    """
    seen = set()
    while id(fn) not in seen and not getattr(fn, "__tangent_derivative__", False):
        # (a derivative is not the function it is the derivative of)
        seen.add(id(fn))
        inner = getattr(fn, "__tangent_function__", None)
        if inner is None and not isinstance(fn, types.FunctionType) and not python_call(fn):
            inner = getattr(fn, "__wrapped__", None)
        if inner is None:
            break
        fn = inner
    return fn


def require_function(fn):
    """`fn` unwrapped to a plain Python function, or NoSourceError."""
    if isinstance(fn, types.MethodType) or hasattr(fn, "__self__") and hasattr(fn, "__func__"):
        # (before unwrapping: self would be lost)
        name = getattr(fn.__func__, "__qualname__", repr(fn.__func__))
        raise NoSourceError(
            "a bound method",
            detail=f"{name} bound to {type(fn.__self__).__name__} object",
            hint=f"differentiate the class's function with the object as an argument: "
            f"ta.grad({name}, wrt=1)(obj, x) (a gradient with respect to the object is a dict by attribute)",
        )
    fn = unwrap(fn)
    if not isinstance(fn, types.FunctionType):
        kind = type(fn).__name__
        raise NoSourceError(
            "function without Python source",
            detail=f"{getattr(fn, '__name__', fn)!r} is a {kind}",
            hint="differentiate a Python function that calls it (e.g. "
            "def f(x): return np.sum(np.sin(x))); to give a callable its own "
            "derivative, register a rule with @ta.adjoint",
        )
    return fn


def parse_function(fn):
    """Parse `fn` into a `FunctionSource` whose tree is a gast FunctionDef."""
    fn = require_function(fn)
    try:
        # of its code: `inspect` would follow a decorator's `__wrapped__`
        lines, first = inspect.getsourcelines(fn.__code__)
        filename = inspect.getsourcefile(fn.__code__) or fn.__code__.co_filename
    except (SyntaxError, tokenize.TokenError) as err:  # (a file saved in the middle of an edit)
        raise StaleSourceError(
            "source file that no longer parses",
            _defined_at(fn),
            "the file was edited after its module was imported: fix it, then reload the module "
            "(importlib.reload) or restart",
            detail=str(err),
        ) from err
    except (OSError, TypeError) as err:
        raise NoSourceError(
            "function without Python source",
            detail=f"{fn.__qualname__} (its source cannot be read: {err})",
            hint="functions made by eval/exec or typed into a bare interpreter have no "
            "source file; define it in a file or a notebook cell",
        ) from err
    text = textwrap.dedent("".join(lines))
    tree = _parse_block(text, fn)
    func = _find_function(tree, fn)
    check_current(fn, text, Location(filename, first, fn.__qualname__))
    _mangle_private_names(func, mangling_class(fn))
    _explicit_super(func, fn)
    _shift_lines(func, first - 1)
    for node in n.walk(func):
        if isinstance(node, gast.stmt):
            anno.set(node, "lineno", node.lineno)
    func.decorator_list = []
    func.returns = None
    return FunctionSource(fn, func, filename)


def _explicit_super(func, fn):
    """``super()`` in a method is ``super(Class, self)``: the generated code
    has no ``__class__`` cell to find them by."""
    code = fn.__code__
    if "__class__" not in code.co_freevars or not code.co_argcount:
        return
    try:
        owner = fn.__closure__[code.co_freevars.index("__class__")].cell_contents
    except ValueError:  # an empty cell
        return
    first = code.co_varnames[0]
    for node in n.walk(func):
        if (
            isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and node.func.id == "super" and not node.args and not node.keywords
        ):
            cls = n.name(owner.__name__)
            anno.set(cls, "inject", owner)
            node.args = [cls, n.name(first)]


def _mangle_private_names(func, owner):
    """``self.__w`` in a method of `owner` is ``self._Owner__w``, as Python
    compiles it (the generated code runs outside the class)."""
    prefix = "_" + (owner or "").lstrip("_")
    if prefix == "_":
        return

    def mangled(name):
        private = name.startswith("__") and not name.endswith("__") and "." not in name
        return prefix + name if private else name

    for node in n.walk(func):
        if isinstance(node, gast.Attribute):
            node.attr = mangled(node.attr)
        elif isinstance(node, gast.Name):  # (parameters too)
            node.id = mangled(node.id)


def _shift_lines(tree, offset):
    """`gast.increment_lineno`, in a quarter of its time."""
    for node in n.walk(tree):
        attributes = node._attributes
        if "lineno" in attributes:
            node.lineno = (getattr(node, "lineno", 0) or 0) + offset
        if "end_lineno" in attributes:
            node.end_lineno = (getattr(node, "end_lineno", 0) or 0) + offset


def _defined_at(fn):
    """Where `fn` is defined (a `Location`)."""
    return Location(fn.__code__.co_filename, fn.__code__.co_firstlineno, fn.__qualname__)


def _parse_block(text, fn):
    try:
        return gast.parse(text)
    except SyntaxError:
        # A lambda inside a larger expression: parse the line alone.
        try:
            return gast.parse("(" + text.strip().rstrip(",") + ")")
        except SyntaxError as err:
            raise NoSourceError(
                "function whose source cannot be isolated",
                _defined_at(fn),
                detail=fn.__qualname__,
                hint="define it with `def` on its own lines",
            ) from err


def _find_function(tree, fn):
    code = fn.__code__
    if code.co_name != "<lambda>":  # a wrapper's __name__ is the wrapped one's
        for node in n.walk(tree):
            if isinstance(node, gast.FunctionDef) and node.name == code.co_name:
                return node
        raise NoSourceError("function source not found", _defined_at(fn), detail=fn.__qualname__)
    lambdas = [node for node in n.walk(tree) if isinstance(node, gast.Lambda)]
    argnames = list(code.co_varnames[: code.co_argcount])
    matches = [lam for lam in lambdas if [a.id for a in lam.args.args] == argnames]
    if len(matches) != 1:
        raise NoSourceError(
            "lambda whose source cannot be isolated",
            _defined_at(fn),
            detail=f"{len(matches)} lambdas with arguments {argnames} on its line",
            hint="give the function a name with `def`",
        )
    lam = matches[0]
    body = gast.Return(value=lam.body)
    gast.copy_location(body, lam.body)
    func = gast.FunctionDef(
        name="lambda_",
        args=lam.args,
        body=[body],
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    gast.copy_location(func, lam)
    return func


def local_names(func):
    """Names bound inside `func`: its arguments and every assignment target
    (not those of functions nested in it)."""
    names = set()
    args = func.args
    for arg in args.posonlyargs + args.args + args.kwonlyargs:
        names.add(arg.id)
    for arg in (args.vararg, args.kwarg):
        if arg is not None:
            names.add(arg.id)
    for node in _walk_own(func.body):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            names.add(node.id)
        elif isinstance(node, gast.FunctionDef):
            names.add(node.name)
    return names


def _walk_own(stmts):
    """Nodes of `stmts`, not descending into nested functions or lambdas."""
    todo = list(stmts)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (gast.FunctionDef, gast.Lambda)):
            continue
        todo.extend(n.children(node))


def resolve(src, enclosing=frozenset()):
    """Annotate every non-local Name and static attribute chain with its object.

    `enclosing`: for a nested function, the enclosing function's locals,
    which the nested body reads as they are when it is called.
    """
    locals_ = local_names(src.tree)
    for node in n.walk(src.tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            if node.id in locals_:
                anno.set(node, "binding", ("local", None))
            elif node.id in enclosing:
                anno.set(node, "binding", ("enclosing", None))
            else:
                binding = _lookup(src, node)
                anno.set(node, "binding", binding)
                if binding[0] == "global":  # (where a function passed on was found)
                    anno.set(node, "found_in", (src.globals, node.id))
                elif binding[0] == "closure":
                    anno.set(node, "found_in", (src.cells[node.id], node.id))
    for node in n.walk(src.tree):
        if isinstance(node, gast.Attribute):
            value = static_value(node)
            if value is not _UNRESOLVED:
                anno.set(node, "value", value)
    return src


def _lookup(src, node):
    ident = node.id
    if ident in src.cells:
        try:
            return ("closure", src.cells[ident].cell_contents)
        except ValueError:
            return ("closure", _UNRESOLVED)
    if ident in src.globals:
        return ("global", src.globals[ident])
    if hasattr(builtins, ident):
        return ("builtin", getattr(builtins, ident))
    return ("unresolved", _UNRESOLVED)


def static_value(node):
    """The object a Name/Attribute chain refers to, or _UNRESOLVED."""
    if isinstance(node, gast.Name):
        if anno.has(node, "inject"):
            return anno.get(node, "inject")
        binding = anno.get(node, "binding")
        if binding is None or binding[0] not in ("global", "closure", "builtin"):
            return _UNRESOLVED
        return binding[1]
    if isinstance(node, gast.Attribute):
        if anno.has(node, "value"):
            return anno.get(node, "value")
        base = static_value(node.value)
        if base is _UNRESOLVED or not isinstance(base, (types.ModuleType, type)):
            # Attributes of data (arrays, objects) are looked up at run time.
            return _UNRESOLVED
        try:
            return getattr(base, node.attr)
        except AttributeError:
            return _UNRESOLVED
    return _UNRESOLVED


_LIBRARIES = ("numpy", "cupy", "dask", "tangent_ad", "scipy", "jax", "torch", "autograd")


def is_library(module):
    """Whether the module named `module` is a library's (`_LIBRARIES`, or
    Python's standard library), not the user's code."""
    top = module.split(".")[0]
    return top in _LIBRARIES or top in sys.stdlib_module_names


def library_number(node):
    """Whether `node` is ``module.attr`` naming a number of a library
    (``np.pi``, ``math.e``): a constant. A user's module attribute
    (``cfg.W``) may hold an array, or be rebound to one."""
    if not isinstance(node, gast.Attribute) or not isinstance(node.value, (gast.Name, gast.Attribute)):
        return False
    module = static_value(node.value)
    return (
        isinstance(module, types.ModuleType)
        and is_library(module.__name__)
        and isinstance(static_value(node), (int, float))
    )


def is_resolved(value):
    return value is not _UNRESOLVED


def describe(obj):
    """A readable dotted name for a callable: numpy.linalg.eig, math.exp, f."""
    import numpy

    if isinstance(obj, numpy.vectorize):  # named after the function it wraps
        obj = obj.pyfunc
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qual is None:
        return repr(obj)
    if module is None and isinstance(obj, types.BuiltinFunctionType):
        module = getattr(getattr(obj, "__self__", None), "__name__", None)
    if module in (None, "builtins"):
        return qual
    if module.startswith("numpy"):
        module = "numpy" + module[len("numpy"):].replace("._core", "").replace(".core", "")
        module = _public_numpy_module(obj, module)
    return f"{module}.{qual}"


def _public_numpy_module(obj, module):
    import numpy

    name = getattr(obj, "__name__", None)
    if name is not None and getattr(numpy, name, None) is obj:
        return "numpy"
    for sub in ("linalg", "fft", "random"):
        if getattr(getattr(numpy, sub), name or "", None) is obj:
            return f"numpy.{sub}"
    return module


def require_supported(condition, construct, src, node, hint=None):
    if not condition:
        raise UnsupportedConstructError(construct, src.location(node), hint)
