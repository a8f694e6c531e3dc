"""Checks before timing, and interleaved timing.

`check` calls an implementation once, compares its gradient with the
hand-written one (rtol 1e-6, atol 1e-9 of the reference's largest entry), and
compares each argument before and after the call. Only what passes is timed.
It also calls a second time and compares with the first call, which catches
derivatives that keep state between calls.

`interleaved` times every implementation of one workload in one process,
round-robin: each repetition measures each implementation once (one
measurement = `inner` back-to-back calls timed with `time.perf_counter`, with
`inner` calibrated so a measurement lasts at least `target` seconds), and the
starting implementation rotates from one repetition to the next. The result is
the median over repetitions, per call. The garbage collector stays on, as in
real use.
"""

import dataclasses
import statistics
import time
import traceback

import numpy as np

RTOL = 1e-6
ATOL_SCALE = 1e-9


@dataclasses.dataclass
class Check:
    status: str  # "ok", "mismatch", "error", "mutates", "stateful"
    detail: str = ""
    max_rel_err: float = float("nan")


def _as_numpy(value):
    """A NumPy copy of an argument of any implementation (for the mutation check)."""
    if isinstance(value, (int, float, str, type(None))):
        return value
    if hasattr(value, "detach"):  # torch
        value = value.detach()
    return np.array(value, copy=True)


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a == b or (a != a and b != b)


def compare(got, ref):
    """(ok, max relative error, message) for two tuples of gradients."""
    if len(got) != len(ref):
        return False, float("nan"), f"{len(got)} gradients, expected {len(ref)}"
    worst = 0.0
    bad = []
    for k, (g, r) in enumerate(zip(got, ref)):
        g = np.asarray(g, dtype=np.float64)
        r = np.asarray(r, dtype=np.float64)
        if g.shape != r.shape:
            return False, float("nan"), f"gradient {k} has shape {g.shape}, expected {r.shape}"
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        err = float(np.max(np.abs(g - r))) / scale if r.size and scale > 0 else 0.0
        worst = max(worst, err) if np.isfinite(err) else float("inf")
        if not np.allclose(g, r, rtol=RTOL, atol=ATOL_SCALE * max(scale, 1e-300)):
            bad.append(f"gradient {k} (max rel err {err:.2e})")
    return not bad, worst, "; ".join(bad)


def check(prepared, reference, wrt):
    """Call once, compare with `reference`, detect argument changes and state."""
    before = [_as_numpy(a) for a in prepared.args]
    try:
        first = prepared.to_numpy(prepared.run())
    except Exception as error:  # noqa: BLE001 -- every failure is reported, none stops the run
        return Check("error", describe(error))
    changed = [i for i, (a, b) in enumerate(zip(before, prepared.args)) if not _same(a, _as_numpy(b))]
    if changed:
        return Check("mutates", f"gradient call modified argument(s) {changed}")
    ok, err, message = compare(first, reference)
    if not ok:
        return Check("mismatch", message, err)
    try:
        second = prepared.to_numpy(prepared.run())
    except Exception as error:  # noqa: BLE001
        return Check("error", "second call: " + describe(error), err)
    same, _, message = compare(second, first)
    if not same:
        return Check("stateful", "second call differs from the first: " + message, err)
    return Check("ok", "", err)


def describe(error):
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}{where}"


def directional_fd(primal, args, wrt, grads, rel_step=1e-6, seed=0):
    """Relative error of <grad, v> against a central difference along random v."""
    rng = np.random.default_rng(seed)
    direction = []
    for i in wrt:
        a = args[i]
        direction.append(rng.standard_normal(np.shape(a)) if np.ndim(a) else float(rng.standard_normal()))
    h = rel_step

    def shifted(sign):
        moved = list(args)
        for i, v in zip(wrt, direction):
            moved[i] = args[i] + sign * h * v
        return primal(*moved)

    numeric = (shifted(1.0) - shifted(-1.0)) / (2 * h)
    analytic = sum(float(np.sum(np.asarray(g) * v)) for g, v in zip(grads, direction))
    return abs(numeric - analytic) / max(abs(analytic), abs(numeric), 1e-300)


# ----- timing -----


def _measure(run, inner):
    start = time.perf_counter()
    for _ in range(inner):
        run()
    return (time.perf_counter() - start) / inner


def calibrate(run, target, max_inner=100_000):
    """(inner, seconds per call) with inner calls lasting at least `target`."""
    inner = 1
    per_call = _measure(run, inner)
    while per_call * inner < target and inner < max_inner:
        wanted = int(1.2 * target / max(per_call, 1e-9)) + 1
        inner = min(max_inner, max(2 * inner, wanted))
        per_call = _measure(run, inner)
    return inner, per_call


@dataclasses.dataclass
class Timing:
    median: float
    samples: list
    inner: int

    @property
    def spread(self):
        """Interquartile range over the median (0.05 = 5 %)."""
        if len(self.samples) < 4:
            return float("nan")
        q = statistics.quantiles(self.samples, n=4)
        return (q[2] - q[0]) / self.median


def interleaved(runs, target, budget, min_reps, max_reps):
    """Median seconds per call of each of `runs` (name -> zero-argument callable)."""
    names = list(runs)
    inner, per_call = {}, {}
    for name in names:
        inner[name], per_call[name] = calibrate(runs[name], target)
    per_rep = sum(inner[n] * per_call[n] for n in names) or 1e-9
    reps = max(min_reps, min(max_reps, int(budget / per_rep)))
    samples = {name: [] for name in names}
    for rep in range(reps):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(_measure(runs[name], inner[name]))
    return {n: Timing(statistics.median(samples[n]), samples[n], inner[n]) for n in names}


def median_time(run, inner, reps):
    """Median seconds per call of `run` over `reps` measurements of `inner` calls."""
    return statistics.median(_measure(run, inner) for _ in range(reps))
