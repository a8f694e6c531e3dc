"""Inline calls to other user functions, so the whole program is one body.

A call ``y = layer(x, W)`` to a Python function with source (module-level,
imported from another module, reached through a closure, or a
`functools.partial` of one) is replaced by the callee's own normalized body:
its locals renamed so nothing collides, its parameters bound to the call's
arguments, its final ``return v`` turned into ``y = v``. Callees are inlined
recursively; recursion is unrolled only while it is decided by constant
arguments (``depth - 1`` down to a base case) and refused otherwise.

Guarantees to later passes: the body is in A-normal form as before; every
inlined statement carries the callee's ``filename`` annotation (for comments
and error locations); the returned `Inlined` lists the callees (to validate
cached derivatives) and the closure cells the code reads.

Names the callee reads from its own module become references the generated
code can resolve: modules, functions and classes are injected objects; other
module data is read live as ``module.name``.
"""

import builtins
import functools
import re
import sys
import types

import gast

from .. import anno
from .. import naming
from .. import nodes as n
from ..errors import UnsupportedConstructError
from ..rules import registry
from ..source import is_library, is_resolved, python_call, static_value, unwrap

MAX_DEPTH = 40


class Dependency:
    """A name the derivative was made from, and what it was bound to.

    Valid while the name (a module global, a closure cell or a class
    attribute) still holds that very object -- a rebound name (``act =
    np.exp`` after ``act = np.tanh``, a new `functools.partial`) is a new
    derivative -- and, for a function that was inlined, while its code and
    defaults are the same."""

    __slots__ = ("mapping", "key", "fn", "code", "defaults", "kwdefaults", "found")

    def __init__(self, mapping, key, fn=None):
        self.mapping = mapping
        self.key = key
        self.fn = fn
        self.code = getattr(fn, "__code__", None)
        self.defaults = getattr(fn, "__defaults__", None)
        # (a dict, changed in place too: ``f.__kwdefaults__["k"] = 5.0``)
        self.kwdefaults = dict(getattr(fn, "__kwdefaults__", None) or {})
        self.found = fn if mapping is None else self._current()

    def _current(self):
        """What the name holds now; `ABSENT` where it holds nothing (a name
        looked up further along, ``Sub.g`` found on ``Base``; a module's lazy
        ``__getattr__`` attribute)."""
        if isinstance(self.mapping, types.CellType):
            return self.mapping.cell_contents
        return self.mapping.get(self.key, ABSENT)

    def valid(self):
        fn = self.fn
        if fn is not None and (
            fn.__code__ is not self.code
            or fn.__defaults__ is not self.defaults
            or not _same_items(fn.__kwdefaults__ or {}, self.kwdefaults)
        ):
            return False
        if self.mapping is None:
            return True
        try:
            return self._current() is self.found
        except ValueError:  # an emptied cell
            return False


ABSENT = object()  # what a Dependency finds where a name holds nothing


def _same_items(current, kept):
    return current.keys() == kept.keys() and all(current[k] is kept[k] for k in kept)


class Inlined:
    def __init__(self):
        self.dependencies = []
        self.cells = {}


class Callee:
    """A function to inline: where its source comes from and how it binds."""

    def __init__(self, key, label, normalize, fn=None, defaults=None, prefix=(), keywords=None, dependency=None):
        self.key = key  # identity, for recursion checks
        self.label = label
        self.normalize = normalize  # () -> (FunctionSource, Namer)
        self.fn = fn
        self.defaults = defaults or {}
        self.prefix = list(prefix)  # nodes bound to the first parameters
        self.keywords = keywords or {}
        self.dependency = dependency  # (mapping, key) where the callee was found
        self.absent_from = []  # mappings looked in first, which did not hold it
        self.links = []  # (mapping, key) of the links of an attribute chain before the last


def _function_callee(fn, prefix=(), keywords=None, dependency=None):
    from ..transform import normalized

    names = fn.__code__.co_varnames[: fn.__code__.co_argcount]
    defaults = dict(zip(names[len(names) - len(fn.__defaults__ or ()):], fn.__defaults__ or ()))
    defaults.update(fn.__kwdefaults__ or {})
    return Callee(
        fn, fn.__qualname__, lambda: normalized(fn), fn,
        {k: _object_node(v) for k, v in defaults.items()}, prefix, keywords, dependency,
    )


def _inlinable(fn):
    if not isinstance(fn, types.FunctionType) or _has_rule(fn):
        return False
    return not is_library(fn.__module__ or "")


def find_callee(src, call):
    """The `Callee` of `call` if it is a user function to inline, else None."""
    if not isinstance(call, gast.Call):
        return None
    func = call.func
    if isinstance(func, gast.Name) and func.id in getattr(src, "local_functions", {}):
        return _local_callee(src, func.id)
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        cls = getattr(src, "object_kinds", {}).get(func.value.id)
        if cls is not None:
            return _method_callee(cls, func)
        bound = _super_bindings(src).get(func.value.id)
        cls = getattr(src, "object_kinds", {}).get(bound[1]) if bound else None
        if cls is not None and bound[0] in cls.__mro__:
            # ``super(C, obj).attr(...)``: found after C in the MRO of obj's class
            called = gast.Attribute(value=n.name(bound[1]), attr=func.attr, ctx=gast.Load())
            return _method_callee(cls, called, after=bound[0])
    if isinstance(func, gast.Name) and func.id in getattr(src, "object_kinds", {}):
        # ``model(x)``: the object's class's __call__, with `model` as self
        called = gast.Attribute(value=n.copy_node(func), attr="__call__", ctx=gast.Load())
        return _method_callee(src.object_kinds[func.id], called)
    value = static_value(func)
    if not is_resolved(value):
        return None
    key = registry.call_key(call)
    if key in registry.ADJOINTS or key in registry.TANGENTS or key in registry.NONDIFFERENTIABLE:
        return None
    prefix, keywords = (), {}
    if isinstance(value, functools.partial):
        prefix = [_object_node(v) for v in value.args]
        keywords = {k: _object_node(v) for k, v in value.keywords.items()}
        value = value.func
    # a @ta.differentiate function, an lru_cache: the Python function inside
    value = unwrap(value)
    call_method = python_call(value)
    if call_method is not None and _inlinable(call_method) and not prefix:
        # an object of a class with a Python __call__ (a class-based decorator)
        owner = next(c for c in type(value).__mro__ if "__call__" in vars(c))
        callee = _function_callee(call_method, [_object_node(value)], keywords, _where_found(src, func))
        callee.links = _chain_links(func) + [(vars(owner), "__call__")]  # (``Cls.__call__ = ...``)
        return callee
    if not _inlinable(value):
        return None
    callee = _function_callee(value, prefix, keywords, _where_found(src, func))
    callee.links = _chain_links(func)
    return callee


def _super_bindings(src):
    """{name: (class, obj)} for ``name = super(class, obj)`` in `src` (the
    normal form of ``super().attr(...)`` in a method, `source._explicit_super`),
    found once per function (inlining leaves those statements as they are)."""
    cached = getattr(src, "_super_bindings", None)
    if cached is not None:
        return cached
    found = src._super_bindings = {}
    for node in n.walk(src.tree):
        if (
            isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name)
            and isinstance(node.value, gast.Call) and static_value(node.value.func) is super
            and len(node.value.args) == 2 and isinstance(node.value.args[1], gast.Name)
            and isinstance(anno.get(node.value.args[0], "inject", None), type)
        ):
            found[node.targets[0].id] = (anno.get(node.value.args[0], "inject"), node.value.args[1].id)
    return found


def _has_rule(fn):
    key = registry._hashable(fn)
    return key in registry.ADJOINTS or key in registry.TANGENTS


def _direct_call(src, call):
    """(function, leading arguments, keywords, dependency) when `call`
    reaches a function that has a rule through a method of a known object or
    a `functools.partial`; else None."""
    func = call.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        cls = getattr(src, "object_kinds", {}).get(func.value.id)
        found = _method_of(cls, func) if cls is not None else None
        if found is None or not _has_rule(found[0]):
            return None
        raw, prefix, dependency, _ = found
        return raw, prefix, {}, dependency
    value = static_value(func)
    if isinstance(value, functools.partial) and _has_rule(value.func):
        prefix = [_object_node(v) for v in value.args]
        keywords = {k: _object_node(v) for k, v in value.keywords.items()}
        return value.func, prefix, keywords, None  # the partial itself: a noted binding
    return None


def _method_of(cls, func, after=None):
    """The function ``obj.attr(...)`` calls for an object of class `cls`,
    found on the class or the first base that defines it, with the nodes
    bound to its first parameters (a plain function gets `obj` as `self`; a
    staticmethod nothing; a classmethod the class), where it was found and
    the classes looked in before (they may define it later: ``Sub.g = ...``);
    or None. With `after` (``super(after, obj).attr``), only the classes
    after `after` in the MRO of `cls` are looked in."""
    mro = cls.__mro__[cls.__mro__.index(after) + 1:] if after is not None else cls.__mro__
    owner = next((c for c in mro if func.attr in vars(c)), None)
    if owner is None:
        return None
    raw = vars(owner)[func.attr]
    before = [vars(c) for c in mro[: mro.index(owner)]]
    if isinstance(raw, types.FunctionType):
        prefix = [n.copy_node(func.value)]
    elif isinstance(raw, staticmethod):
        raw, prefix = raw.__func__, []
    elif isinstance(raw, classmethod):
        raw, prefix = raw.__func__, [_object_node(cls)]
    else:
        return None
    return raw, prefix, (vars(owner), func.attr), before


def _method_callee(cls, func, after=None):
    """The callee of ``obj.attr(...)`` for an object of class `cls`
    (`_method_of`), or None (no such method, or not user code)."""
    found = _method_of(cls, func, after)
    if found is None or not _inlinable(found[0]):
        return None
    raw, prefix, dependency, before = found
    callee = _function_callee(raw, prefix=prefix, dependency=dependency)
    callee.absent_from = before
    return callee


def _local_callee(src, name):
    from ..transform import normalize
    from .local_functions import local_source

    node = src.local_functions[name]
    params = [a.id for a in node.args.args]
    defaults = dict(zip(params[len(params) - len(node.args.defaults):], node.args.defaults))
    for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults):
        if default is not None:
            defaults[arg.id] = default
    return Callee(node, name, lambda: normalize(local_source(src, name)), None, defaults)


def _names_read(body, renames, bindings):
    """The caller's names `body` reads once its names are renamed and its
    parameters bound (free variables of a local function read themselves)."""
    read = set()
    for node in (sub for stmt in body for sub in n.walk(stmt)):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            bound = bindings.get(node.id)
            if isinstance(bound, gast.Name):
                read.add(bound.id)
            elif bound is None:
                read.add(renames.get(node.id, node.id))
    return read


def _where_found(src, func):
    if isinstance(func, gast.Name):
        kind, value = anno.get(func, "binding", ("", None))
        if kind == "global":
            if src.globals.get(func.id) is value:
                return src.globals, func.id
            # passed in from another function: where that one found it
            return anno.get(func, "found_in", None)
        if kind == "closure":
            return anno.get(func, "found_in", None) or (src.cells.get(func.id), func.id)
    elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        module = static_value(func.value)
        if isinstance(module, (types.ModuleType, type)):  # ``layers.act``, ``Ops.act``
            return vars(module), func.attr
    return None


def _chain_links(func):
    """(mapping, key) for the links of ``impl.act`` / ``pkg.sub.fn`` before
    the last one, where they lie in the user's code: the name at its root
    (``impl = other_module`` rebinds it) and each module or class attribute
    along the way (``pkg.sub = ...``). A library's chain (``np.linalg.norm``)
    is not followed."""
    links = []
    node = func
    while isinstance(node, gast.Attribute):
        node = node.value
        owner = static_value(node.value) if isinstance(node, gast.Attribute) else None
        if isinstance(owner, (types.ModuleType, type)):
            links.append((vars(owner), node.attr))
    if not isinstance(node, gast.Name) or node is func:
        return []
    root = static_value(node)
    if isinstance(root, types.ModuleType) and is_library(root.__name__):
        return []
    where = anno.get(node, "found_in", None)  # (set where the name was resolved)
    return links + ([where] if where is not None else [])


class Inliner:
    def __init__(self, src, namer, inlined, stack=()):
        self.src = src
        self.namer = namer
        self.inlined = inlined
        self.stack = list(stack) + [getattr(src, "key", src.fn)]

    def block(self, stmts):
        out = []
        for stmt in stmts:
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            call, target = _call_of(stmt)
            _refuse_local_function_values(self.src, stmt)
            callee = find_callee(self.src, call) if call is not None else None
            if callee is None:
                if call is not None:
                    self._note_binding(call.func)
                    self._call_rule_directly(stmt, call)
                out.append(stmt)
                continue
            out.extend(self.inline(stmt, call, target, callee))
        return out

    def _note_binding(self, func):
        """A call left as it is (a function with a rule, or none) through a
        name the user may rebind (``act = np.tanh``, a closure's function):
        the derivative holds while the name holds the same function."""
        where = _where_found(self.src, func)
        if where is None or where[0] is None:
            return
        if isinstance(func, gast.Attribute):
            module = static_value(func.value)
            if isinstance(module, types.ModuleType) and is_library(module.__name__):
                return  # np.tanh, math.exp: not names a program rebinds
        for mapping, key in [where] + _chain_links(func):
            try:
                self.inlined.dependencies.append(Dependency(mapping, key))
            except ValueError:
                pass  # an empty cell: nothing to follow

    def _call_rule_directly(self, stmt, call):
        """``model.apply(x)`` with a rule registered for ``Model.apply``, or
        ``cube1(x)`` for ``cube1 = functools.partial(cube, c=1.0)`` with a rule
        for ``cube``: the call is written as a call of the function the rule
        is for (``apply(model, x)``, ``cube(x, c=1.0)``), where the rule is found."""
        direct = _direct_call(self.src, call)
        if direct is None:
            return
        fn, prefix, keywords, dependency = direct
        if dependency is not None:
            self.inlined.dependencies.append(Dependency(*dependency, fn))
        call.func = _object_node(fn)
        call.args = prefix + call.args
        given = {kw.arg for kw in call.keywords}
        call.keywords = [
            gast.keyword(arg=k, value=v) for k, v in keywords.items() if k not in given
        ] + call.keywords

    def inline(self, stmt, call, target, found):
        location = self.src.location(stmt)
        if len(self.stack) > MAX_DEPTH:
            raise UnsupportedConstructError(
                f"recursion deeper than {MAX_DEPTH} calls (in {found.label})",
                location,
                "tangent_ad inlines calls; recursion must end after a fixed number of "
                "calls decided by constant arguments",
            )
        if found.key in self.stack and not _has_constant_args(call):
            raise UnsupportedConstructError(
                f"recursive call to {found.label} whose depth depends on data",
                location,
                "tangent_ad inlines calls, so recursion is unrolled only when constant "
                "arguments decide where it stops (e.g. f(x, depth=3)); write a loop instead",
            )
        from ..source import local_names

        callee, callee_namer = found.normalize()
        callee.key = found.key
        callee.tree_locals = local_names(callee.tree)
        self.namer.reserve(_nonlocal_names(callee.tree))
        if found.fn is not None:
            mapping, key = found.dependency or (None, None)
            self.inlined.dependencies.append(Dependency(mapping, key, found.fn))
            self.inlined.dependencies += [Dependency(m, key) for m in found.absent_from]
            self.inlined.dependencies += [Dependency(m, k) for m, k in found.links if m is not None]
        line = anno.get(stmt, "lineno")
        bindings, prelude, renamed = self.bind(callee, call, found)
        callee.object_kinds = {
            param: self.src.object_kinds[value.id]
            for param, value in bindings.items()
            if isinstance(value, gast.Name) and value.id in getattr(self.src, "object_kinds", {})
        }
        body = callee.tree.body
        body = _fold_constants(body, bindings)
        _substitute_static(body, bindings)  # so `fn(x)` with fn=softplus is inlined too
        inner = Inliner(callee, callee_namer, self.inlined, self.stack)
        body = inner.block(body)
        returned = body[-1].value.id
        renames = self.rename_map(callee, bindings, body)
        renames.update(renamed)
        if (
            target is not None
            and returned in callee.tree_locals  # the callee's own (not `lambda: y`'s y)
            and returned not in bindings
            and returned not in renamed
            and target not in _names_read(body, renames, bindings)
        ):
            # the callee computes straight into the target -- unless it reads
            # the target's old value (``s = g(x)`` with ``g = lambda a: a * s``):
            # then ``s = a * s`` would read and rebind one name in one statement
            renames[returned] = target
        self._rewrite(body, callee, renames, bindings)
        final = body.pop()
        out = n.with_lineno(prelude, line)
        out += body
        if target is not None and not (isinstance(final.value, gast.Name) and final.value.id == target):
            result = n.assign(target, final.value)
            anno.set(result, "lineno", anno.get(final, "lineno"))
            anno.set(result, "filename", callee.filename)
            out.append(result)
        return out

    # -- parameters ---------------------------------------------------------

    def bind(self, callee, call, found):
        """Map callee parameters to atoms; statements binding the others."""
        params = callee.tree.args
        names = [a.id for a in params.posonlyargs + params.args]
        kwonly = [a.id for a in params.kwonlyargs]
        values = {}
        positional = found.prefix + list(call.args)
        if len(positional) > len(names):
            raise UnsupportedConstructError(
                f"call to {found.label} with too many arguments", self.src.location(call)
            )
        for name, value in zip(names, positional):
            values[name] = value
        values.update(found.keywords)
        for kw in call.keywords:
            if kw.arg not in names + kwonly:
                raise UnsupportedConstructError(
                    f"call to {found.label} with unknown keyword {kw.arg!r}", self.src.location(call)
                )
            values[kw.arg] = kw.value
        assigned = _assigned(callee.tree.body)
        bindings, prelude, renamed = {}, [], {}
        for name in names + kwonly:
            if name in values:
                value = values[name]
            elif name in found.defaults:
                value = n.copy_node(found.defaults[name])
            else:
                raise UnsupportedConstructError(
                    f"call to {found.label} without argument {name!r}", self.src.location(call)
                )
            if name not in assigned and (n.is_atom(value) or anno.has(value, "inject") or _is_static(value)):
                bindings[name] = value
            else:
                # a parameter the callee rebinds: a local of its own, for reads and writes
                local = self.namer.unique(name)
                prelude.append(n.assign(local, value))
                renamed[name] = local
        return bindings, prelude, renamed

    # -- renaming ------------------------------------------------------------

    def _fresh_like(self, name):
        fmt = naming.temporary_format(name)
        if fmt is not None:
            return self.namer.fresh(fmt)
        return self.namer.unique(re.sub(r"(_\d+)+$", "", name) or name)

    def rename_map(self, callee, bindings, body):
        from ..source import local_names

        return {
            name: self._fresh_like(name)
            for name in sorted(local_names(callee.tree) | _locals(body))
            if name not in bindings
        }

    def _rewrite(self, body, callee, renames, bindings):
        same_module = callee.globals is self.src.globals
        caller_locals = self.namer.used
        own = getattr(self.src, "tree_locals", ())
        for old, new in renames.items():
            if new not in own or naming.is_temporary(new):  # not the caller's `z` of `z = h(x)`
                # errors name the variable the user wrote, not the one inlining made
                self.src.user_names.setdefault(new, callee.user_names.get(old, old))
        for stmt in body:
            for node in n.walk(stmt):
                if isinstance(node, gast.stmt) and not anno.has(node, "filename"):
                    anno.set(node, "filename", callee.filename)
                    anno.set(node, "function", callee.name)
        rename = _Rename(self, callee, renames, bindings, same_module, caller_locals)
        renamed = [rename.visit(stmt) for stmt in body]  # (an `if` may come with its test)
        body[:] = [new for stmt in renamed for new in (stmt if isinstance(stmt, list) else [stmt])]
        for stmt in body:
            for node in n.walk(stmt):
                trips = anno.get(node, "trips")
                if trips is not None:
                    anno.set(node, "trips", renames.get(trips, trips))


class _Rename(gast.NodeTransformer):
    """Rename callee locals; make its globals and closure cells resolvable."""

    def __init__(self, inliner, callee, renames, bindings, same_module, caller_locals):
        self.inliner = inliner
        self.callee = callee
        self.renames = renames
        self.bindings = bindings
        self.same_module = same_module
        self.caller_locals = caller_locals

    def _free(self, name):
        """`name` for an object the callee reads from its module, unless a
        local of the caller has it (``K`` of the callee's module beside the
        caller's own ``K = s * 2.0``, a module `layers` beside a local
        `layers`): then a fresh one, so no analysis takes one for the other."""
        if name in self.inliner.src.tree_locals:
            return self.inliner.namer.unique(name + "_")
        return name

    def visit_If(self, node):
        """An `if` test stays a Name (`anf`'s form): a global of the callee's
        module read as ``module.FLAG`` is first bound to a condition."""
        self.generic_visit(node)
        if isinstance(node.test, gast.Name):
            return node
        cond = n.assign(self.inliner.namer.fresh(naming.COND), node.test)
        for key in ("lineno", "filename", "function"):
            if anno.has(node, key):
                anno.set(cond, key, anno.get(node, key))
        node.test = n.name(cond.targets[0].id)
        return [cond, node]

    def visit_Name(self, node):
        if node.id in self.bindings and isinstance(node.ctx, gast.Load):
            replacement = n.copy_node(self.bindings[node.id])
            return replacement
        if node.id in self.renames:
            node.id = self.renames[node.id]
            return node
        if anno.has(node, "inject") or not isinstance(node.ctx, gast.Load):
            return node
        kind, value = anno.get(node, "binding", ("", None))
        if kind == "closure":
            cell = self.callee.cells[node.id]
            name = self.inliner.namer.unique(node.id)
            self.inliner.inlined.cells[name] = cell
            self.renames[node.id] = name
            node.id = name
            return node
        if kind == "global":
            if self.same_module and node.id not in self.inliner.src.tree_locals:
                return node
            if isinstance(value, (types.ModuleType, types.FunctionType, type, types.BuiltinFunctionType)) or callable(value):
                node.id = self._free(node.id)
                anno.set(node, "inject", value)
                return node
            module = sys.modules.get(self.callee.fn.__module__)
            if module is None:
                # no module to read it from: the object itself
                node.id = self._free(node.id)
                anno.set(node, "inject", value)
                return node
            base = n.name(self._free(module.__name__.split(".")[-1]))
            anno.set(base, "inject", module)
            anno.set(base, "binding", ("global", module))
            attr = gast.Attribute(value=base, attr=node.id, ctx=gast.Load())
            return attr
        if kind == "builtin" and node.id in self.inliner.src.tree_locals:
            anno.set(node, "inject", getattr(builtins, node.id))
        return node


def _call_of(stmt):
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        if isinstance(stmt.value, gast.Call):
            return stmt.value, stmt.targets[0].id
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
        return stmt.value, None
    return None, None


def _object_node(value):
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return n.const(value)
    node = n.name(getattr(value, "__name__", type(value).__name__.lower()))
    anno.set(node, "inject", value)
    return node


def _refuse_local_function_values(src, *stmts):
    """A nested function used other than by a call cannot be inlined."""
    local = getattr(src, "local_functions", {})
    if not local:
        return
    for stmt in stmts:
        called = {id(node.func) for node in n.walk(stmt) if isinstance(node, gast.Call)}
        for node in n.walk(stmt):
            if (
                isinstance(node, gast.Name)
                and node.id in local
                and isinstance(node.ctx, gast.Load)
                and id(node) not in called
            ):
                raise UnsupportedConstructError(
                    f"nested function {node.id!r} used as a value",
                    src.location(stmt),
                    "nested functions and lambdas are inlined where they are called; "
                    "call them directly, or define the helper at module level to pass it",
                )


def _is_static(node):
    """A reference to a module-level object (a function passed as an argument)."""
    return isinstance(node, (gast.Name, gast.Attribute)) and is_resolved(static_value(node))


def _substitute_static(body, bindings):
    """Replace reads of parameters bound to module-level objects by those references."""
    static = {name: node for name, node in bindings.items() if _is_static(node) and not n.is_atom(node) or (
        isinstance(node, gast.Name) and _is_static(node))}
    if not static:
        return
    for stmt in body:
        for sub in n.walk(stmt):
            for field, value in gast.iter_fields(sub):
                if isinstance(value, gast.Name) and value.id in static and isinstance(value.ctx, gast.Load):
                    setattr(sub, field, n.copy_node(static[value.id]))
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if isinstance(item, gast.Name) and item.id in static and isinstance(item.ctx, gast.Load):
                            value[i] = n.copy_node(static[item.id])


def _has_constant_args(call):
    return any(isinstance(a, gast.Constant) for a in list(call.args) + [k.value for k in call.keywords])


def _assigned(stmts):
    names = set()
    for stmt in stmts:
        names.update(n.store_names(stmt))
    return names


def _locals(stmts):
    return _assigned(stmts)


def _nonlocal_names(tree):
    """Names a function reads from its module, closure or builtins."""
    return {
        node.id
        for node in n.walk(tree)
        if isinstance(node, gast.Name)
        and anno.get(node, "binding", ("local",))[0] in ("global", "closure", "builtin")
    }


# -- constant folding for recursion decided by constant arguments ----------


def _fold_constants(body, bindings):
    """Substitute constant int/bool parameters, fold what they decide, drop
    the branches they rule out (flow-sensitive, so early returns fold too)."""
    constants = {
        k: v.value
        for k, v in bindings.items()
        if isinstance(v, gast.Constant) and isinstance(v.value, (bool, int))
    }
    if not constants:
        return body
    return _fold_block(body, constants)


def _fold_block(stmts, constants):
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.If) and isinstance(stmt.test, gast.Name) and stmt.test.id in constants:
            chosen = stmt.body if constants[stmt.test.id] else stmt.orelse
            out.extend(_fold_block(chosen, constants))
            continue
        if isinstance(stmt, gast.If):
            then, orelse = dict(constants), dict(constants)
            stmt.body = _fold_block(stmt.body, then) or [gast.Pass()]
            stmt.orelse = _fold_block(stmt.orelse, orelse)
            for name in set(constants) | set(then) | set(orelse):
                if then.get(name, _UNKNOWN) is _UNKNOWN or then.get(name) != orelse.get(name, _UNKNOWN):
                    constants.pop(name, None)
                else:
                    constants[name] = then[name]
            out.append(stmt)
            continue
        if isinstance(stmt, (gast.For, gast.While)):
            for name in _assigned([stmt]):
                constants.pop(name, None)
            _substitute(stmt.iter if isinstance(stmt, gast.For) else stmt.test, constants)
            stmt.body = _fold_block(stmt.body, dict(constants)) or [gast.Pass()]
            for name in _assigned([stmt]):
                constants.pop(name, None)
            out.append(stmt)
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            value = _evaluate(stmt.value, constants)
            _substitute(stmt.value, constants)
            name = stmt.targets[0].id
            if value is _UNKNOWN:
                constants.pop(name, None)
            else:
                constants[name] = value
                stmt.value = n.const(value)
        else:
            for name in _assigned([stmt]):
                constants.pop(name, None)
            for field in ("value", "targets"):
                if getattr(stmt, field, None) is not None:
                    _substitute(getattr(stmt, field), constants)
        out.append(stmt)
    return out


def _substitute(node, constants):
    """Replace loads of constant names by the constants, in place."""
    nodes = node if isinstance(node, list) else [node]
    for root in nodes:
        for sub in n.walk(root):
            for field, value in gast.iter_fields(sub):
                if isinstance(value, gast.Name) and isinstance(value.ctx, gast.Load) and value.id in constants:
                    setattr(sub, field, n.const(constants[value.id]))
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if isinstance(item, gast.Name) and isinstance(item.ctx, gast.Load) and item.id in constants:
                            value[i] = n.const(constants[item.id])


_UNKNOWN = object()
_OPS = {
    gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b, gast.Mult: lambda a, b: a * b,
    gast.FloorDiv: lambda a, b: a // b, gast.Mod: lambda a, b: a % b,
    gast.Eq: lambda a, b: a == b, gast.NotEq: lambda a, b: a != b, gast.Lt: lambda a, b: a < b,
    gast.LtE: lambda a, b: a <= b, gast.Gt: lambda a, b: a > b, gast.GtE: lambda a, b: a >= b,
}


def _evaluate(node, constants):
    if isinstance(node, gast.Constant):
        return node.value if isinstance(node.value, (bool, int)) else _UNKNOWN
    if isinstance(node, gast.Name):
        return constants.get(node.id, _UNKNOWN)
    if isinstance(node, gast.BinOp) and type(node.op) in _OPS:
        a, b = _evaluate(node.left, constants), _evaluate(node.right, constants)
        if a is _UNKNOWN or b is _UNKNOWN:
            return _UNKNOWN
        return _OPS[type(node.op)](a, b)
    if isinstance(node, gast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _OPS:
        a, b = _evaluate(node.left, constants), _evaluate(node.comparators[0], constants)
        if a is _UNKNOWN or b is _UNKNOWN:
            return _UNKNOWN
        return _OPS[type(node.ops[0])](a, b)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
        a = _evaluate(node.operand, constants)
        return _UNKNOWN if a is _UNKNOWN else (not a)
    return _UNKNOWN


def inline(src, namer):
    """Inline every call to a user function in `src` (in place)."""
    from ..source import local_names

    inlined = Inlined()
    src.tree_locals = local_names(src.tree)
    src.tree.body = Inliner(src, namer, inlined).block(src.tree.body)
    return inlined
