"""The pipeline that turns a function into its derivative, in one place.

    parse -> resolve -> fence -> desugar -> lower jumps -> A-normal form
      -> analyses (activity, scalar kinds, aliasing) -> reverse -> saves
      -> optimize -> emit (commented source) -> compile
"""

import contextlib
import functools
import gc
import types

import gast

from . import anno, codegen, fence
from .errors import UnsupportedConstructError
from . import nodes as n
from . import naming
from .naming import Namer
from .passes import NORMALIZE
from .passes import analysis, shapes
from .passes.cse import common_reads
from .passes.displays import read_through_displays
from .passes.inline import inline
from .passes.inplace import compute_in_place, float64_arguments
from .passes.forward import Forward
from .passes.reverse import LIVE, ZERO, Reverse
from .passes.saves import assemble, own_returns
from .passes import optimize as optimizer
from .passes.list_appends import append_in_place
from .passes.loop_stacks import give_loops_stacks
from .passes.loop_sums import sum_after_loops
from .source import local_names, parse_function, resolve


class Generated:
    """A compiled derivative with its source and the facts it was made from."""

    def __init__(self, function, source, name, info):
        self.function = function
        self.source = source
        self.name = name
        self.info = info


def normalized(fn):
    """Parse, check and normalize `fn`; returns (FunctionSource, Namer)."""
    src = parse_function(fn)
    resolve(src)
    return normalize(src)


def normalize(src):
    """Check and normalize a resolved `FunctionSource`; returns (src, Namer)."""
    fence.check(src)
    namer = Namer(naming.all_names(src.tree))
    for step in NORMALIZE:
        step(src, namer)
    return src, namer


def parameter_names(fn):
    """The positional-or-keyword parameter names of `fn`, in order."""
    import inspect

    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in inspect.signature(fn, follow_wrapped=False).parameters.values() if p.kind in kinds]


def _point_at_user_lines(src, origins):
    """Generated code differentiated again: its statements' comments name the
    user's lines the generated lines came from, not the generated lines."""
    for node in n.walk(src.tree):
        if isinstance(node, gast.stmt):
            origin = origins.get(anno.get(node, "lineno"))
            if origin is not None:
                anno.set(node, "filename", origin[0])
                anno.set(node, "lineno", origin[1])


def _container_kind(kind):
    """"container" or "dict" for a list/tuple or dict argument's kind (with or
    without its items' kinds), else `kind`."""
    if isinstance(kind, tuple) and kind and kind[0] in ("container", "dict"):
        return kind[0]
    return kind


def _refuse_reserved_names(src):
    """The generated code's stack is `_stack` (`_stack1`, ... for the stacks
    of loops): a variable of the user's by that name would be overwritten."""
    from .passes.dataflow import all_statements

    for stmt in all_statements(src.tree.body):
        for node in n.walk(stmt):
            if isinstance(node, gast.Name) and naming.is_stack_name(node.id):
                raise UnsupportedConstructError(
                    f"a variable named {node.id}",
                    src.location(stmt),
                    f"{naming.STACK} and {naming.STACK}1, {naming.STACK}2, ... name the stacks "
                    "of the generated code; rename the variable",
                )


class _Prepared:
    """A function parsed, normalized, inlined and analysed for one kind signature."""

    def __init__(self, fn, wrt, kinds, trusted=False):
        self.trusted = trusted
        self.kinds = kinds
        src = parse_function(fn)
        self.adjoint_sources = getattr(fn, "__tangent_adjoints__", {}) if trusted else {}
        if trusted:
            _point_at_user_lines(src, getattr(fn, "__tangent_origins__", {}))
        resolve(src)
        self.user_names = naming.all_names(src.tree)
        src.object_kinds = {name: kind for name, kind in kinds if isinstance(kind, type)}
        src.dict_params = {name for name, kind in kinds if _container_kind(kind) == "dict"}
        src, namer = normalize(src)
        inlined = inline(src, namer)
        src.cells.update(inlined.cells)
        read_through_displays(src.tree)
        common_reads(src.tree)
        if not trusted:
            _refuse_reserved_names(src)
        func = src.tree
        self.src, self.namer, self.func = src, namer, func
        self.dependencies = inlined.dependencies
        self.output = func.body[-1].value.id
        self.integers = analysis.integer_arrays(func, kinds)
        self.varied = analysis.varied_names(func, wrt, integers=self.integers)
        scalar_args = {name for name, kind in kinds if kind == "scalar"}
        self.containers = {name for name, kind in kinds if _container_kind(kind) in ("container", "dict")}
        self.scalars = analysis.scalar_names(func, scalar_args)
        self.shapes = shapes.infer(
            func, shapes.argument_shapes(kinds), self.scalars, shapes.container_items(kinds))
        self.scalars |= {
            name for name, shape in self.shapes.items() if shape == () and not name.endswith(shapes.ITEMS)
        }
        if not trusted:  # generated code keeps its own discipline of in-place updates
            analysis.check_index_assignments(src, func, self.scalars, self.containers)
            analysis.check_sequence_arithmetic(src, func, self.containers, self.varied)

    def known_shapes(self):
        """{name: shape} of every name whose shape is known, adjoints and
        tangents included (they have their value's shape)."""
        known = {name: shape for name, shape in self.shapes.items() if shape is not None}
        for name, derived in self.namer.derived().items():
            if name in known:
                known.update(dict.fromkeys(derived, known[name]))
        return known

    def inexact_names(self, active):
        """Names that surely hold floats: adjoints, tangents, and the
        `active` values nothing binds to another kind (`analysis.floating`)."""
        derived = {name for names in self.namer.derived().values() for name in names}
        return derived | analysis.floating(self.func, active, self.integers)

    def finish(self, derivative, optimize, defaults, info, loop_stacks=False):
        if optimize:
            # primal statements keep their form (a copy `x * 1.0` stays a copy,
            # in generated code too); dead pure ones go: a derivative returns
            # derivatives, not the loss
            known = self.known_shapes()
            derivative = optimizer.optimize(
                derivative, protected=set(local_names(self.func)), shapes=known,
                inexact=self.inexact_names(info.get("active", ())),
            )
            derivative = sum_after_loops(derivative, known, set(local_names(self.func)))
            if loop_stacks:  # (not for a gradient that is differentiated again)
                derivative = append_in_place(derivative)
                derivative = give_loops_stacks(derivative)
                derivative = compute_in_place(derivative, known, float64_arguments(self.kinds))
        derivative = own_returns(derivative, self.scalars)
        codegen.rename_injected(derivative, self.user_names, self.src.globals, self.src.cells)
        source = codegen.to_source(derivative, self.src.filename)
        function = codegen.compile_function(derivative, source, self.src, defaults=defaults)
        # differentiated again (hvp), an adjoint's zero tangent is shaped like its value
        function.__tangent_adjoints__ = self.namer.adjoint_sources()
        info.update(tree=derivative, dependencies=self.dependencies + _template_dependencies(derivative),
                    literals=shapes.shape_literals(self.func))
        return Generated(function, source, derivative.name, info)


def _template_dependencies(derivative):
    """A `Dependency` for each user function a rule's template called
    (``bump_slope`` in docs/custom-rules.md): redefined, it is a new derivative."""
    from .passes.inline import Dependency
    from .source import is_library
    from .template import FOUND_IN

    found = {}
    for node in n.walk(derivative):
        where = anno.get(node, FOUND_IN, None) if isinstance(node, gast.Name) else None
        if where is None:
            continue
        obj = where[0].get(where[1])
        if isinstance(obj, types.FunctionType) and not is_library(obj.__module__ or ""):
            found.setdefault((id(where[0]), where[1]), Dependency(where[0], where[1], obj))
    return list(found.values())


def _cycle_collector_paused(generate):
    """Run `generate` with Python's cycle collector paused (and resumed after,
    unless it was off already). Generating makes a great many small objects;
    left running, the collector would scan the growing trees of a long
    function again and again, a cost growing with the square of its length.
    What cycles generating leaves (recursive inner functions of the passes)
    are collected after it, at no greater peak memory than before."""

    @functools.wraps(generate)
    def paused(*args, **kwargs):
        with contextlib.ExitStack() as stack:
            if gc.isenabled():
                gc.disable()
                stack.callback(gc.enable)
            return generate(*args, **kwargs)

    return paused


@_cycle_collector_paused
def reverse(fn, wrt, mode, kinds=frozenset(), optimize=True, loop_stacks=True):
    """Generate and compile a reverse-mode derivative of `fn`.

    `wrt`: parameter names; `mode`: "grad", "value_and_grad",
    "grad_and_value" or "vjp"; `kinds`: (parameter, kind) pairs this
    specialization may assume (see `api._kind`); `loop_stacks`: give loops
    that save one value per step a list of their own (see
    `passes/loop_stacks.py`), append to lists in place and pop their
    adjoints (`passes/list_appends.py`, `Reverse.list_append`); off for a
    gradient that forward mode differentiates again, which knows only the
    shared stack and values.
    """
    prep = _Prepared(fn, wrt, kinds)
    src, func = prep.src, prep.func
    active = analysis.activity(func, wrt, prep.output, prep.integers)
    rev = Reverse(src, prep.namer, list(wrt), active, prep.scalars, mode, prep.varied)
    rev.shapes = prep.shapes
    rev.containers = prep.containers | set(src.object_kinds)
    rev.objects = set(src.object_kinds)
    rev.scalar_params = {name for name, kind in kinds if kind == "scalar"}
    rev.pops_lists = loop_stacks
    primal, adjoint, returns = rev.run()
    prefix = "vjp_" if mode == "vjp" else "d_"
    name = prep.namer.unique(prefix + src.name.strip("_"))
    derivative, info = assemble(rev, primal, adjoint, returns, mode, name)
    info.update(active=active, scalars=prep.scalars)
    return prep.finish(derivative, optimize, mode != "vjp", info, loop_stacks)


@_cycle_collector_paused
def _shape_donors(func, adjoint_sources, kinds):
    """{adjoint: argument} for the adjoints in a gradient of arguments that
    hold an array or a number and are never rebound: a zero tangent of the
    adjoint is `zeros_like(x)`, not `zeros_like(d_x)` (which would keep the
    gradient's own updates of `d_x` alive only to lend a shape)."""
    from .passes.dataflow import all_statements, defined_names

    plain = {name for name, kind in kinds  # (known to be a number or an array)
             if kind == "scalar" or (isinstance(kind, tuple) and kind and kind[0] == "shape")}
    rebound = set()
    for stmt in all_statements(func.body):
        rebound |= defined_names(stmt)
        if isinstance(stmt, gast.For):
            rebound.add(stmt.target.id)
    return {
        adjoint: name for adjoint, name in adjoint_sources.items()
        if name in plain and name not in rebound
    }


def _zero_tangent_of(fwd, func, out):
    """The zero tangent of the output: zeros of its shape, and a tuple of
    them for a tuple the function builds (an hvp of several arguments whose
    Hessian is zero returns a tuple, as any other)."""
    from .passes.dataflow import all_statements

    bindings = [
        stmt.value for stmt in all_statements(func.body)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == out
    ]
    if len(bindings) == 1 and isinstance(bindings[0], gast.Tuple):
        return gast.Tuple(elts=[fwd._zeros_for(n.copy_node(elt)) for elt in bindings[0].elts], ctx=gast.Load())
    return fwd._zeros_for(n.name(out))


def forward(fn, wrt, kinds=frozenset(), optimize=True, trusted=False, name=None, value=True):
    """Generate and compile a forward-mode derivative of `fn`:
    ``jvp_f(*args, *tangents) -> (value, tangent of value)`` (only the
    tangent when `value` is false).

    `trusted`: `fn` is generated code (forward over reverse).
    """
    prep = _Prepared(fn, wrt, kinds, trusted)
    src, func, namer = prep.src, prep.func, prep.namer
    fwd = Forward(src, namer, prep.varied, prep.scalars, prep.integers)
    fwd.defined = analysis.definitely_assigned(func)
    fwd.possibly = analysis.possibly_assigned(func)
    fwd.shape_donors = _shape_donors(func, prep.adjoint_sources, kinds)
    fwd.arrays = {name for name, shape in prep.shapes.items() if shape}
    fwd.objects = set(src.object_kinds)
    state = {name: LIVE for name in wrt}
    body = fwd.block(func.body[:-1], state)
    body = [n.assign(name, n.const(None)) for name in naming.in_order(fwd.maybe_unbound)] + body
    out = prep.output
    if state.get(out, ZERO) != ZERO:
        t_out = n.name(namer.tangent(out))
    else:
        t_out = _zero_tangent_of(fwd, func, out)
    result = gast.Tuple(elts=[n.name(out), t_out], ctx=gast.Load()) if value else t_out
    body.append(gast.Return(value=result))
    args = n.copy_node(func.args)
    args.defaults, args.kw_defaults = [], [None for _ in args.kwonlyargs]
    for param in wrt:
        args.args.append(gast.Name(id=namer.tangent(param), ctx=gast.Param(), annotation=None, type_comment=None))
    name = namer.unique(name or "jvp_" + src.name.strip("_"))
    derivative = gast.FunctionDef(
        name=name, args=args, body=body, decorator_list=[], returns=None,
        type_comment=None, type_params=[],
    )
    return prep.finish(derivative, optimize, False, {"scalars": prep.scalars})
