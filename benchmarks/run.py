"""Run the tangent_ad benchmarks: `python benchmarks/run.py [--quick] [--out DIR]`.

For each workload, in one process: generate the tangent_ad gradient (timed on
an empty cache), prepare every implementation on its own copy of the inputs,
check each gradient against the hand-written one (and the hand-written one
against a directional finite difference), then time what passed, interleaved.
Prints the Markdown report and writes `results.md`, `results.json` and the
generated sources (`sources/*.py`) to `--out`.
"""

import argparse
import json
import os
import sys
import time

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def limit_threads(argv):
    """Apply `--threads N` (default 1) through the environment, which BLAS,
    PyTorch and XLA read when they load: so it must run before NumPy is
    imported. 0 leaves every library its own default.

    One thread by default: on a small shared machine a multi-threaded BLAS
    waits on busy cores (seen here: the hand-written RNN gradient took 40 ms
    with 2 OpenBLAS threads under load, 3 ms with 1), which measures the
    neighbours rather than the code."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--threads", type=int, default=1)
    threads = pre.parse_known_args(argv)[0].threads
    if threads > 0:
        for variable in THREAD_VARIABLES:
            os.environ[variable] = str(threads)
        if threads == 1:
            flags = os.environ.get("XLA_FLAGS", "")
            os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    return threads


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest
TRIM_THRESHOLD = 256 * 1024 * 1024


def steady_allocator(argv):
    """Fix glibc's malloc thresholds, unless `--default-allocator`: big
    buffers (the hand-written RNN's 400 KB ones) are then reused from the
    heap, as in a long-running training process, instead of being mapped
    afresh (page faults) or not depending on what the process freed before.

    With glibc's adaptive defaults, that depended on which peers were
    imported: the same hand-written RNN gradient took 1.7 ms with PyTorch
    imported, 2.4 ms with NumPy alone and 2.7 ms with JAX, and every ratio to
    it moved by 25% (seen here). Returns a description, or None where the
    C library is not glibc."""
    if "--default-allocator" in argv:
        return None
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    if not (mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
        return None
    return f"glibc mallopt: M_MMAP_THRESHOLD {MMAP_THRESHOLD >> 20} MiB, M_TRIM_THRESHOLD {TRIM_THRESHOLD >> 20} MiB"


ALLOCATOR = None
if __name__ == "__main__":
    limit_threads(sys.argv[1:])
    ALLOCATOR = steady_allocator(sys.argv[1:])

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import generation, measure, peers, report  # noqa: E402
from benchmarks import workloads as W  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

FULL = dict(size="full", target=0.05, budget=12.0, min_reps=7, max_reps=21, gen_repeats=5,
            lookup_reps=51, synthetic_lines=200, impls=peers.IMPLEMENTATIONS[2:])
# --quick leaves out torch and JAX by default: importing them and JAX's eager
# first calls alone take longer than the whole smoke run (add them with --impl).
QUICK = dict(size="small", target=0.002, budget=0.15, min_reps=3, max_reps=3, gen_repeats=1,
             lookup_reps=5, synthetic_lines=50, impls=("tangent_ad", "autograd"))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run on small sizes")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="directory for results.md/.json (default %(default)s)")
    parser.add_argument("--only", nargs="+", choices=sorted(W.BY_NAME), help="run only these workloads")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/PyTorch/XLA threads, set before NumPy loads "
                             "(default 1; 0: library defaults)")
    parser.add_argument("--default-allocator", action="store_true",
                        help="leave glibc's adaptive malloc thresholds alone (see steady_allocator)")
    parser.add_argument("--impl", nargs="+", choices=peers.IMPLEMENTATIONS[2:],
                        help="implementations to time besides forward/hand "
                             "(default: all; with --quick: tangent_ad autograd)")
    return parser.parse_args(argv)


def run_workload(workload, settings, impls, sources_dir):
    """Generate, check and time every implementation of one workload."""
    args = workload.make_args(settings["size"])
    result = {"name": workload.name, "title": workload.title, "note": workload.note,
              "size": settings["size"], "implementations": {}}
    result["generation"] = _generation(workload, args, settings, sources_dir)
    reference = workload.hand_grad(*args)
    result["hand_fd_rel_err"] = measure.directional_fd(workload.primal, args, workload.wrt, reference)
    runs = {}
    for impl in peers.IMPLEMENTATIONS:
        if impl in ("forward", "hand") + impls:
            entry, run = _prepare_and_check(impl, workload, args, reference)
        else:
            entry, run = {"status": "skipped"}, None
        result["implementations"][impl] = entry
        if run is not None:
            runs[impl] = run
    start = time.perf_counter()
    timings = measure.interleaved(runs, settings["target"], settings["budget"],
                                  settings["min_reps"], settings["max_reps"])
    for impl, timing in timings.items():
        result["implementations"][impl].update(
            median_seconds=timing.median, spread=timing.spread, inner=timing.inner,
            reps=len(timing.samples), samples=timing.samples)
    result["timing_seconds"] = time.perf_counter() - start
    return result


def _prepare_and_check(impl, workload, args, reference):
    """(report entry, zero-argument run or None when it must not be timed)."""
    start = time.perf_counter()
    try:
        prepared = peers.prepare(impl, workload, args)
    except peers.Unavailable as error:
        return {"status": "n/a", "detail": str(error)}, None
    except Exception as error:  # noqa: BLE001 -- reported, the run goes on
        return {"status": "error", "detail": measure.describe(error)}, None
    entry = {"status": "ok", "note": prepared.note}
    if prepared.setup_seconds:
        entry["setup_seconds"] = prepared.setup_seconds
    if impl != "forward":
        checked = measure.check(prepared, reference, workload.wrt)
        entry.update(status=checked.status, detail=checked.detail, max_rel_err=checked.max_rel_err)
        if checked.status != "ok":
            return entry, None
    entry["prepare_check_seconds"] = time.perf_counter() - start
    return entry, prepared.run


def _generation(workload, args, settings, sources_dir):
    import tangent_ad as ta

    try:
        grad_s, first_s, df = generation.generation_time(
            workload.primal, workload.wrt, args, settings["gen_repeats"])
    except Exception as error:  # noqa: BLE001
        return {"error": measure.describe(error)}
    path = os.path.join(sources_dir, f"{workload.name}.py")
    with open(path, "w") as handle:
        handle.write(f"# ta.source(ta.grad({workload.primal.__name__}, wrt={workload.wrt}), *args)\n")
        handle.write(ta.source(df, *args))
    return {"grad_seconds": grad_s, "first_call_seconds": first_s}


def _progress(started, text):
    print(f"[{time.perf_counter() - started:6.1f}s] {text}", file=sys.stderr, flush=True)


def _tangent_ad_costs(settings):
    """Generation of the synthetic function, cached look-up, per-call overhead."""
    costs = {}
    try:
        costs["synthetic"] = generation.synthetic_case(
            settings["synthetic_lines"], settings["gen_repeats"], settings["lookup_reps"])
    except Exception as error:  # noqa: BLE001
        costs["synthetic"] = {"error": measure.describe(error)}
    try:
        lookup = generation.lookup_time(W.mlp_loss, (0, 1, 2, 3, 4, 5), reps=settings["lookup_reps"])
        costs["lookup_us"] = 1e6 * lookup
    except Exception:  # noqa: BLE001 -- the mlp workload reports the error itself
        costs["lookup_us"] = None
    try:
        costs["overhead"] = generation.overhead(reps=settings["min_reps"] * 3)
    except Exception as error:  # noqa: BLE001
        costs["overhead"] = {"error": measure.describe(error)}
    return costs


def main(argv=None):
    options = parse_args(argv)
    settings = dict(QUICK if options.quick else FULL)
    impls = tuple(options.impl) if options.impl else settings["impls"]
    chosen = [W.BY_NAME[n] for n in options.only] if options.only else W.WORKLOADS
    sources_dir = os.path.join(options.out, "sources")
    os.makedirs(sources_dir, exist_ok=True)
    started = time.perf_counter()
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None

    results = []
    for workload in chosen:
        _progress(started, f"{workload.name} ...")
        results.append(run_workload(workload, settings, impls, sources_dir))
    _progress(started, "generation, look-up, overhead ...")
    costs = _tangent_ad_costs(settings)

    description = (
        f"size={settings['size']}; measurement >= {settings['target'] * 1e3:g} ms of back-to-back "
        f"calls; {settings['min_reps']}-{settings['max_reps']} round-robin repetitions per workload "
        f"(budget ~{settings['budget']:g} s); median; time.perf_counter; gc on; "
        f"--threads {options.threads}; total wall time {time.perf_counter() - started:.0f} s"
    )
    doc = {
        "machine": dict(report.machine_info(), load_average_start=load_start, allocator=ALLOCATOR),
        "settings": dict(settings, quick=options.quick, threads=options.threads, description=description),
        "workloads": results,
        **costs,
    }
    text = report.markdown(doc)
    print(text)
    with open(os.path.join(options.out, "results.md"), "w") as handle:
        handle.write(text)
    with open(os.path.join(options.out, "results.json"), "w") as handle:
        json.dump(doc, handle, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
