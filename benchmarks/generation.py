"""What tangent_ad costs besides running a gradient.

- generation: `ta.grad(f)` on an empty cache (it generates eagerly), and the
  first call (which may generate a specialization for scalar arguments);
- a 200-line synthetic straight-line function, written to a temporary .py file
  and imported (tangent_ad reads real source), removed afterwards;
- the cached look-up: a second `ta.grad(f)`;
- the per-call overhead of a generated gradient of a tiny scalar function,
  against the hand-written derivative.
"""

import importlib.util
import os
import statistics
import sys
import tempfile
import time
import timeit

import numpy as np

from benchmarks import measure

SYNTHETIC_LINES = 200
_TEMPLATES = (
    "np.tanh({a} + {b})",
    "np.sin({a}) * {b}",
    "0.5 * ({a} + {b})",
    "{a} * np.cos({b})",
    "np.exp(-{a} * {a}) - {b}",
    "{a} * np.tanh({b})",
    "0.5 * np.sqrt({a} * {a} + 1.0) - {b}",
)


def synthetic_source(lines=SYNTHETIC_LINES, seed=0):
    """A straight-line `synthetic(x, y)` whose body has `lines` lines."""
    rng = np.random.default_rng(seed)
    names = ["x", "y"]
    body = []
    for k in range(lines - 1):
        a = names[-1 - int(rng.integers(0, min(3, len(names))))]
        b = ("x", "y")[k % 2] if k % 3 == 0 else names[-1 - int(rng.integers(0, min(4, len(names))))]
        template = _TEMPLATES[int(rng.integers(0, len(_TEMPLATES)))]
        body.append(f"    v{k} = " + template.format(a=a, b=b))
        names.append(f"v{k}")
    body.append(f"    return np.sum({names[-1]})")
    return "import numpy as np\n\n\ndef synthetic(x, y):\n" + "\n".join(body) + "\n"


def load_synthetic(lines=SYNTHETIC_LINES, directory=None):
    """(function, path): the synthetic function imported from a temporary file."""
    fd, path = tempfile.mkstemp(prefix="ta_bench_synthetic_", suffix=".py", dir=directory)
    with os.fdopen(fd, "w") as handle:
        handle.write(synthetic_source(lines))
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.synthetic, path


def unload_synthetic(path):
    name = os.path.splitext(os.path.basename(path))[0]
    sys.modules.pop(name, None)
    os.remove(path)


def generation_time(fn, wrt, args, repeats):
    """Median seconds of `ta.grad` on a cleared cache, and of the first call."""
    import tangent_ad as ta

    make, first = [], []
    for _ in range(repeats):
        ta.cache.clear()
        start = time.perf_counter()
        df = ta.grad(fn, wrt=wrt)
        made = time.perf_counter()
        df(*args)
        done = time.perf_counter()
        make.append(made - start)
        first.append(done - made)
    return statistics.median(make), statistics.median(first), df


def lookup_time(fn, wrt, inner=200, reps=51):
    """Median seconds of a cached `ta.grad(fn, wrt)` (it was generated before)."""
    import tangent_ad as ta

    ta.grad(fn, wrt=wrt)
    return measure.median_time(lambda: ta.grad(fn, wrt=wrt), inner, reps)


def synthetic_case(lines, repeats, lookup_reps):
    """Generation time, cached look-up, gradient check of the synthetic function."""
    import tangent_ad as ta

    fn, path = load_synthetic(lines)
    try:
        rng = np.random.default_rng(5)
        args = (rng.standard_normal(8), rng.standard_normal(8))
        make, first, df = generation_time(fn, (0, 1), args, repeats)
        err = measure.directional_fd(fn, args, (0, 1), df(*args))
        lookup = lookup_time(fn, (0, 1), reps=lookup_reps)
        generated_lines = len(ta.source(df).splitlines())
    finally:
        unload_synthetic(path)
    return {
        "lines": lines,
        "generated_lines": generated_lines,
        "grad_seconds": make,
        "first_call_seconds": first,
        "lookup_seconds": lookup,
        "fd_rel_err": err,
    }


# ----- per-call overhead on a tiny scalar function -----


def tiny(x):
    return 3.0 * x * x + 2.0 * x


def tiny_grad(x):
    return 6.0 * x + 2.0


def overhead(reps, number=20_000):
    """Nanoseconds per call (median and minimum over `reps`): forward,
    hand-written, generated (via `df` and, when reachable, the generated
    function itself, without the dispatch wrapper). Timed with `timeit`
    statements (no lambda in between), round-robin."""
    import tangent_ad as ta

    df = ta.grad(tiny)
    if abs(df(1.5) - tiny_grad(1.5)) > 1e-12:
        return {"error": f"df(1.5) = {df(1.5)!r}, expected {tiny_grad(1.5)!r}"}
    scope = {"tiny": tiny, "tiny_grad": tiny_grad, "df": df}
    statements = {"forward": "tiny(1.5)", "hand": "tiny_grad(1.5)", "tangent_ad": "df(1.5)"}
    scope["direct"] = _specialised_function(df)
    statements["tangent_ad (df.specialize(1.5), no wrapper)"] = "direct(1.5)"
    timers = {name: timeit.Timer(stmt, globals=scope) for name, stmt in statements.items()}
    samples = {name: [] for name in timers}
    names = list(timers)
    for rep in range(reps):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(timers[name].timeit(number) / number)
    medians = {name: statistics.median(s) * 1e9 for name, s in samples.items()}
    minima = {name: min(s) * 1e9 for name, s in samples.items()}
    return {"median_ns": medians, "min_ns": minima}


def _specialised_function(df):
    """The plain generated function `df(1.5)` runs (`df.specialize`), checked."""
    function = df.specialize(1.5)
    if abs(function(1.5) - tiny_grad(1.5)) > 1e-12:
        raise AssertionError("df.specialize(1.5) disagrees with the hand-written derivative")
    return function
