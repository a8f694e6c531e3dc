"""The benchmark workloads are right before anything is timed.

Each hand-written gradient in `benchmarks/workloads.py` matches central finite
differences on a tiny size, and tangent_ad's gradient matches the hand-written
one on a small size. One run of the harness itself (`--quick`, one workload,
NumPy only) checks that it writes its report. No timing is asserted:
performance is measured by `python benchmarks/run.py`, not by unit tests.
"""

import json
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import measure, run  # noqa: E402
from benchmarks import workloads as W  # noqa: E402

import tangent_ad as ta  # noqa: E402

WORKLOADS = pytest.mark.parametrize("workload", W.WORKLOADS, ids=lambda w: w.name)


def finite_differences(fn, args, wrt, h=1e-6):
    """Central differences of scalar `fn` for every entry of the `wrt` arguments."""
    grads = []
    for i in wrt:
        value = args[i]
        if np.ndim(value) == 0:
            up, down = list(args), list(args)
            up[i], down[i] = value + h, value - h
            grads.append((fn(*up) - fn(*down)) / (2 * h))
            continue
        grad = np.zeros_like(value, dtype=np.float64)
        for index in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[index] += h
            down[index] -= h
            grad[index] = (fn(*args[:i], up, *args[i + 1:]) - fn(*args[:i], down, *args[i + 1:])) / (2 * h)
        grads.append(grad)
    return tuple(grads)


@WORKLOADS
def test_hand_gradient_matches_finite_differences(workload):
    args = workload.make_args("tiny")
    hand = workload.hand_grad(*args)
    numeric = finite_differences(workload.primal, args, workload.wrt)
    for k, (h, f) in enumerate(zip(hand, numeric)):
        np.testing.assert_allclose(h, f, rtol=1e-5, atol=1e-7, err_msg=f"{workload.name} gradient {k}")


@WORKLOADS
def test_hand_gradient_leaves_arguments_alone(workload):
    args = workload.make_args("tiny")
    before = [np.array(a, copy=True) for a in args]
    workload.hand_grad(*args)
    for k, (a, b) in enumerate(zip(args, before)):
        np.testing.assert_array_equal(a, b, err_msg=f"{workload.name} argument {k}")


@WORKLOADS
def test_tangent_ad_matches_hand_gradient(workload):
    args = workload.make_args("small")
    before = [np.array(a, copy=True) for a in args]
    df = ta.grad(workload.primal, wrt=workload.wrt)
    got = df(*args)
    got = got if len(workload.wrt) > 1 else (got,)
    ok, err, message = measure.compare(got, workload.hand_grad(*args))
    assert ok, f"{workload.name}: {message}"
    for k, (a, b) in enumerate(zip(args, before)):
        np.testing.assert_array_equal(a, b, err_msg=f"{workload.name}: gradient modified argument {k}")


def test_compare_reports_a_wrong_gradient():
    ref = (np.array([1.0, 2.0]), 3.0)
    assert measure.compare((np.array([1.0, 2.0]), 3.0), ref)[0]
    ok, _, message = measure.compare((np.array([1.0, 2.1]), 3.0), ref)
    assert not ok and "gradient 0" in message


def test_quick_run_writes_its_report(tmp_path, capsys):
    run.main(["--quick", "--only", "logreg", "--impl", "tangent_ad", "--out", str(tmp_path)])
    capsys.readouterr()
    with open(tmp_path / "results.json") as handle:
        doc = json.load(handle)
    entries = doc["workloads"][0]["implementations"]
    assert entries["hand"]["status"] == "ok"
    assert entries["tangent_ad"]["status"] in ("ok", "error", "mismatch", "mutates", "stateful")
    assert entries["torch"]["status"] == "skipped"
    assert (tmp_path / "results.md").read_text().startswith("# tangent_ad benchmarks")
    assert (tmp_path / "sources" / "logreg.py").exists() or entries["tangent_ad"]["status"] == "error"


def test_check_reports_mutation_error_and_state():
    from benchmarks.peers import Prepared

    x = np.array([1.0, 2.0])
    ref = (2 * x,)
    as_numpy = lambda result: (np.asarray(result),)  # noqa: E731

    def mutating():
        x[0] += 1.0
        return 2 * x

    assert measure.check(Prepared(lambda: 2 * x, (x,), as_numpy), ref, (0,)).status == "ok"
    assert measure.check(Prepared(mutating, (x,), as_numpy), ref, (0,)).status == "mutates"
    y = np.array([1.0, 2.0])
    assert measure.check(Prepared(lambda: 1 / 0, (y,), as_numpy), (2 * y,), (0,)).status == "error"
    calls = []
    counting = Prepared(lambda: calls.append(1) or 2 * y * len(calls), (y,), as_numpy)
    assert measure.check(counting, (2 * y,), (0,)).status == "stateful"
