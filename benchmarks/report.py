"""Machine facts and the Markdown report.

Ratios are tangent_ad time over the other's time: 2.0 means tangent_ad takes
twice as long; below 1 it is faster. n/a: the peer is not installed or its
gradient was not timed (see the checks table for why).
"""

import contextlib
import io
import os
import platform
import re
import subprocess
import sys

import numpy as np

from benchmarks import peers

RATIO_COLUMNS = (
    ("ta / hand", "hand"),
    ("ta / autograd", "autograd"),
    ("ta / torch", "torch"),
    ("ta / jax.grad", "jax"),
    ("ta / jax.jit", "jax.jit"),
)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_info():
    """What NumPy says about its BLAS (and threadpoolctl, if it happens to be there)."""
    info = {}
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        keys = ("name", "version", "openblas configuration")
        info["numpy_blas"] = {k: blas.get(k) for k in keys if blas.get(k)}
    except TypeError:  # NumPy < 1.26: show_config prints only
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            np.show_config()
        info["numpy_show_config"] = buffer.getvalue()
    try:
        import threadpoolctl
    except ImportError:
        pass
    else:
        info["threadpools"] = [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer")}
            for pool in threadpoolctl.threadpool_info()
        ]
    variables = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")
    info["env"] = {k: os.environ[k] for k in variables if k in os.environ}
    info["openblas_threads"] = openblas_threads()
    info["openblas_core"] = openblas_core()
    return info


def _openblas_call(symbols, restype):
    """Call the first of `symbols` found in the OpenBLAS NumPy loaded, through
    ctypes (None when NumPy uses another BLAS or no symbol is found)."""
    import ctypes

    try:
        with open("/proc/self/maps") as handle:
            lines = [line for line in handle if "openblas" in line.lower() and "/" in line]
        paths = sorted({line.split()[-1] for line in lines})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in symbols:
            function = getattr(lib, symbol, None)
            if function is not None:
                function.restype = restype
                return function()
    return None


def openblas_threads():
    """The thread count of the OpenBLAS NumPy loaded."""
    import ctypes

    found = _openblas_call(("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                            "openblas_get_num_threads"), ctypes.c_int)
    return None if found is None else int(found)


def openblas_core():
    """The kernels OpenBLAS chose at run time (the configuration string names
    only the build's baseline), e.g. "SkylakeX"."""
    import ctypes

    found = _openblas_call(("scipy_openblas_get_corename64_", "openblas_get_corename64_",
                            "openblas_get_corename"), ctypes.c_char_p)
    return None if found is None else found.decode()


def _git(*args):
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             cwd=os.path.dirname(os.path.abspath(__file__)))
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def machine_info():
    import tangent_ad

    info = {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": blas_info(),
        "tangent_ad": getattr(tangent_ad, "__version__", "unknown"),
        "tangent_ad_commit": _git("rev-parse", "--short", "HEAD"),
        "tangent_ad_dirty": bool(_git("status", "--porcelain", "--", "tangent_ad")),
        "peers": peers.versions(),
    }
    if "torch" in sys.modules:  # only when a workload used it: importing it takes seconds
        torch = sys.modules["torch"]
        info["torch_threads"] = torch.get_num_threads()
        found = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
        info["torch_blas"] = found.group(1) if found else None
    info["load_average"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    return info


# ----- Markdown -----


def _ms(seconds):
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e3:.4f}"
    return f"{seconds * 1e3:.3f}" if seconds < 1 else f"{seconds * 1e3:.0f}"


def _ratio(a, b):
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.2f}"


def _finite(x):
    return x is not None and x == x


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _entry(result, impl):
    return result["implementations"].get(impl, {})


def _median(result, impl):
    return _entry(result, impl).get("median_seconds")


def ratio_table(results):
    header = ["workload", "hand ms", "tangent_ad ms"]
    header += [column for column, _ in RATIO_COLUMNS] + ["ta grad / fwd", "hand grad / fwd"]
    rows = []
    for r in results:
        ta, hand, fwd = (_median(r, impl) for impl in ("tangent_ad", "hand", "forward"))
        ta_text = _ms(ta) if ta is not None else _entry(r, "tangent_ad").get("status", "n/a")
        row = [r["name"], _ms(hand), ta_text]
        row += [_ratio(ta, _median(r, impl)) for _, impl in RATIO_COLUMNS]
        row += [_ratio(ta, fwd), _ratio(hand, fwd)]
        rows.append(row)
    return _table(header, rows)


def _time_cell(entry):
    seconds = entry.get("median_seconds")
    if seconds is None:
        return entry.get("status", "n/a")
    spread = entry.get("spread")
    return _ms(seconds) + (f" ±{spread * 50:.0f}%" if _finite(spread) else "")


def absolute_table(results):
    header = ["workload"] + [f"{impl} ms" for impl in peers.IMPLEMENTATIONS]
    rows = [[r["name"]] + [_time_cell(_entry(r, impl)) for impl in peers.IMPLEMENTATIONS] for r in results]
    return _table(header, rows)


def _check_cell(entry):
    status = entry.get("status", "n/a")
    err = entry.get("max_rel_err")
    return f"{status} ({err:.0e})" if status == "ok" and _finite(err) else status


def checks_table(results):
    header = ["workload"] + list(peers.GRADIENTS) + ["hand vs FD"]
    rows = []
    for r in results:
        row = [r["name"]] + [_check_cell(_entry(r, impl)) for impl in peers.GRADIENTS]
        rows.append(row + [f"{r['hand_fd_rel_err']:.0e}"])
    return _table(header, rows)


def _one_line(text):
    return " / ".join(line.strip() for line in str(text).splitlines() if line.strip())


def problems(results):
    lines = []
    for r in results:
        for impl, entry in r["implementations"].items():
            status = entry.get("status")
            where = f"- {r['name']} / {impl}"
            if status == "ok" and entry.get("note"):
                lines.append(f"{where}: note: {entry['note']}")
            elif status == "n/a" and entry.get("detail"):
                lines.append(f"{where}: n/a: {entry['detail']}")
            elif status not in ("ok", "n/a", "skipped"):
                lines.append(f"{where}: **{status}**: {_one_line(entry.get('detail', ''))}")
        if not r["hand_fd_rel_err"] < 1e-4:
            lines.append(f"- {r['name']} / hand: **finite-difference check** rel err {r['hand_fd_rel_err']:.1e}")
        if "error" in (r.get("generation") or {}):
            lines.append(f"- {r['name']} / generation: **error**: {_one_line(r['generation']['error'])}")
    return "\n".join(lines) if lines else "none"


def generation_table(results, synthetic, lookup_us):
    header = ["function", "ta.grad ms (empty cache)", "first call ms", "steady call ms"]
    rows = []
    for r in results:
        gen = r.get("generation") or {}
        if "error" in gen:
            rows.append([r["name"], "error", "", ""])
            continue
        steady = _ms(_median(r, "tangent_ad"))
        rows.append([r["name"], _ms(gen["grad_seconds"]), _ms(gen["first_call_seconds"]), steady])
    notes = []
    if synthetic and "error" in synthetic:
        rows.append(["synthetic straight-line", "error: " + synthetic["error"], "", ""])
    elif synthetic:
        label = f"synthetic {synthetic['lines']}-line straight-line"
        rows.append([label, _ms(synthetic["grad_seconds"]), _ms(synthetic["first_call_seconds"]), ""])
        notes.append(
            f"cached look-up, synthetic: {synthetic['lookup_seconds'] * 1e6:.2f} µs; generated source "
            f"{synthetic['generated_lines']} lines; directional FD rel err {synthetic['fd_rel_err']:.1e}")
    if lookup_us:
        notes.insert(0, f"cached `ta.grad(f)` look-up: {lookup_us:.2f} µs (mlp_loss, 6 wrt)")
    text = _table(header, rows)
    return text + ("\n\n" + "\n".join(f"- {note}" for note in notes) if notes else "")


def overhead_table(overhead):
    if "error" in overhead:
        return "error: " + _one_line(overhead["error"])
    medians, minima = overhead["median_ns"], overhead["min_ns"]
    hand, hand_min = medians.get("hand"), minima.get("hand")
    rows = [[name, f"{ns:.0f}", _ratio(ns, hand), f"{minima[name]:.0f}", _ratio(minima[name], hand_min)]
            for name, ns in medians.items()]
    header = ["tiny(x) = 3x² + 2x, scalar 1.5", "median ns / call", "ratio vs hand", "min ns", "ratio (min)"]
    text = _table(header, rows)
    if "tangent_ad" in medians and hand:
        extra, extra_min = medians["tangent_ad"] - hand, minima["tangent_ad"] - hand_min
        text += (f"\n\n- tangent_ad overhead per call over the hand-written derivative: "
                 f"{extra:.0f} ns (median), {extra_min:.0f} ns (min)")
    return text


def _floats(values):
    return ", ".join(f"{x:.2f}" for x in values)


def machine_text(info):
    blas = info["blas"].get("numpy_blas") or {}
    config = blas.get("openblas configuration")
    lines = [
        f"- CPU: {info['cpu']} ({info['cpus']} logical CPUs); {info['platform']}",
        f"- Python {info['python']}, NumPy {info['numpy']}, "
        f"BLAS: {blas.get('name', '?')} {blas.get('version', '')}" + (f" ({config})" if config else "")
        + f"; OpenBLAS threads in use: {info['blas'].get('openblas_threads')}"
        + (f", kernels chosen at run time: {info['blas']['openblas_core']}" if info["blas"].get("openblas_core") else ""),
        f"- tangent_ad {info['tangent_ad']} at {info['tangent_ad_commit']}"
        + (" (tangent_ad/ has uncommitted changes)" if info["tangent_ad_dirty"] else ""),
        "- peers: " + ", ".join(f"{k} {v or 'not installed'}" for k, v in info["peers"].items())
        + (f"; torch threads {info['torch_threads']}" if "torch_threads" in info else "")
        + (f", torch BLAS: {info['torch_blas']}" if info.get("torch_blas") else ""),
    ]
    if info.get("load_average"):
        lines.append(f"- load average (1, 5, 15 min): {_floats(info['load_average_start'])} at the start, "
                     f"{_floats(info['load_average'])} at the end of the run")
    if info["blas"].get("threadpools"):
        lines.append(f"- threadpools: {info['blas']['threadpools']}")
    if info["blas"].get("env"):
        lines.append(f"- thread env: {info['blas']['env']}")
    lines.append(f"- allocator: {info.get('allocator') or 'default (adaptive thresholds)'}")
    return "\n".join(lines)


def markdown(doc):
    results = doc["workloads"]
    quick = " (quick smoke run: small sizes)" if doc["settings"]["quick"] else ""
    workloads = [f"- `{r['name']}`: {r['title']}" + (f" ({r['note']})" if r["note"] else "") for r in results]
    parts = [
        f"# tangent_ad benchmarks{quick}",
        machine_text(doc["machine"]),
        f"Settings: {doc['settings']['description']}",
        "## Gradient time: tangent_ad over the others (median; lower is better for tangent_ad)",
        ratio_table(results),
        "## Median time per call, all implementations (ms; ± half the interquartile range)",
        absolute_table(results),
        "## Checks before timing (gradient vs hand-written, rtol 1e-6; max relative error)",
        checks_table(results),
        "## Problems and notes",
        problems(results),
        "## Generation time (tangent_ad)",
        generation_table(results, doc.get("synthetic"), doc.get("lookup_us")),
        "## Per-call overhead (tiny scalar function)",
        overhead_table(doc.get("overhead", {})),
        "## Workloads",
        "\n".join(workloads),
    ]
    return "\n\n".join(parts) + "\n"
