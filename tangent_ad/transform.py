"""The pipeline that turns a function into its derivative, in one place.

    parse -> resolve -> fence -> desugar -> lower jumps -> A-normal form
      -> analyses (activity, scalar kinds, aliasing) -> reverse -> saves
      -> optimize -> emit (commented source) -> compile
"""

from . import codegen, fence
from . import naming
from .naming import Namer
from .passes import NORMALIZE
from .passes import analysis
from .passes.inline import inline
from .passes.reverse import Reverse
from .passes.saves import assemble
from .passes import optimize as optimizer
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
    return [p.name for p in inspect.signature(fn).parameters.values() if p.kind in kinds]


def reverse(fn, wrt, mode, kinds=frozenset(), optimize=True):
    """Generate and compile a reverse-mode derivative of `fn`.

    `wrt`: parameter names; `mode`: "grad", "value_and_grad",
    "grad_and_value" or "vjp"; `kinds`: (parameter, kind) pairs this
    specialization may assume (see `api._kind`).
    """
    src = parse_function(fn)
    resolve(src)
    user_names = naming.all_names(src.tree)
    src.object_kinds = {name: kind for name, kind in kinds if isinstance(kind, type)}
    src, namer = normalize(src)
    inlined = inline(src, namer)
    src.cells.update(inlined.cells)
    func = src.tree
    output = func.body[-1].value.id
    active = analysis.activity(func, wrt, output)
    varied = analysis.varied_names(func, wrt)
    scalar_args = {name for name, kind in kinds if kind == "scalar"}
    containers = {name for name, kind in kinds if kind == "container"}
    scalars = analysis.scalar_names(func, scalar_args)
    analysis.check_index_assignments(src, func, scalars)
    rev = Reverse(src, namer, list(wrt), active, scalars, mode, varied)
    rev.containers = containers | set(src.object_kinds)
    rev.objects = set(src.object_kinds)
    primal, adjoint, returns = rev.run()
    prefix = "vjp_" if mode == "vjp" else "d_"
    name = namer.unique(prefix + src.name.strip("_"))
    derivative, info = assemble(rev, primal, adjoint, returns, mode, name)
    if optimize:
        derivative = optimizer.optimize(derivative, protected=set(local_names(func)))
    codegen.rename_injected(derivative, user_names, src.globals)
    source = codegen.to_source(derivative, src.filename)
    function = codegen.compile_function(derivative, source, src, defaults=(mode != "vjp"))
    info.update(active=active, scalars=scalars, tree=derivative, dependencies=inlined.dependencies)
    return Generated(function, source, name, info)
