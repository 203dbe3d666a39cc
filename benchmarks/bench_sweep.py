"""Sweep throughput: runs per second at 1 and 2 local workers and on a 2-worker Dask LocalCluster.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 200] [--repeats 3]

A fixed sweep (default: 200 runs of the breakthrough scenario, default follow-up; about 8 s in one
process, long enough that the last task's wait and the start of each sweep weigh little) goes through the
whole sweep machinery (design, runs, chunked Parquet storage) for each backend. In each of
``--repeats`` rounds every backend in turn is started, warmed up with a sweep of 4 runs, timed over
one sweep into a fresh directory and closed, and the one-worker sweep is timed again at the end of
the round (see :func:`measure_backends`); the median is reported.
The start-up with the warm-up (spawning workers, importing the model there) is reported separately,
because a long sweep pays it once. Parallel efficiency is rate(N workers) / (N x rate(1 worker)),
both from the same round (median over rounds). Writes benchmarks/results/sweep.csv.

Outside the test run on purpose: speed is measured here, never asserted in tests (the whole suite:
benchmarks/run_all.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from qicsim.experiments.backends import Backend, DaskBackend, ProcessBackend, SerialBackend
from qicsim.experiments.experiment import Experiment, prepare
from qicsim.experiments.runner import run_sweep
from qicsim.experiments.spec import parse_spec
from qicsim.sim.files import write_csv

RESULTS = Path(__file__).resolve().parent / "results" / "sweep.csv"


def experiment(runs: int) -> Experiment:
    """``runs`` runs of breakthrough: 4 didactic shares x runs/4 replicates."""
    spec = parse_spec({"name": "bench", "base": "breakthrough", "vary": {"didactic_share": [0.2, 0.4, 0.6, 0.8]},
                       "sampler": "grid", "replications": max(1, runs // 4), "seed": 1}, "benchmark")
    return prepare(spec)


BACKENDS: list[tuple[str, Callable[[], Backend]]] = [
    ("local, 1 worker (in process)", SerialBackend),
    ("local, 2 worker processes", lambda: ProcessBackend(2)),
    ("dask LocalCluster, 2 workers", lambda: DaskBackend("local", 2)),
]
WARM_UP_RUNS = 4
"""Runs of the warm-up sweep that follows each backend's start (imports the model in every worker)."""


def time_sweep(make: Callable[[], Backend], exp: Experiment, warm_up: Experiment, out: Path) -> dict[str, float]:
    """Start a backend, warm it up with a small sweep, time one sweep of ``exp``, close the backend.

    Returns the seconds of the start-up with the warm-up, of the timed sweep, and the backend's workers.
    """
    start = time.perf_counter()
    backend = make()
    try:
        run_sweep(warm_up, out / "warm-up", backend=backend, progress=False)
        ready = time.perf_counter()
        report = run_sweep(exp, out / "sweep", backend=backend, progress=False)
        done = time.perf_counter()
    finally:
        backend.close()
    assert report.ran == exp.total_runs and report.failed_total == 0
    return {"startup_s": ready - start, "sweep_s": done - ready, "workers": backend.workers}


def measure_backends(runs: int, repeats: int) -> list[dict[str, object]]:
    """Sweep throughput of every backend in :data:`BACKENDS`, with each parallel backend's efficiency.

    In each of ``repeats`` rounds the backends take turns, each started afresh, warmed up, timed over
    one sweep and closed before the next starts: an idle Dask cluster slows a sweep in this process
    (by 10-20% on 2 cores when this was written), and a machine whose speed drifts slows the
    backends of one round alike. The one-worker sweep is timed again at the end of each round, and a
    round's one-worker rate is the mean of its two timings, so that a drift within the round (this
    machine's speed moves by 10-30% within a minute) does not land on the parallel backends alone.
    Reported: medians over the rounds; the efficiency is the median over the rounds of
    rate(N workers) / (N x rate(1 worker)), both rates from the same round.
    """
    exp, warm_up = experiment(runs), experiment(WARM_UP_RUNS)
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in BACKENDS}
    serial = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            for k, (label, make) in enumerate(BACKENDS):
                results[label].append(time_sweep(make, exp, warm_up, Path(tmp) / f"round{r}-backend{k}"))
            again = time_sweep(BACKENDS[0][1], exp, warm_up, Path(tmp) / f"round{r}-again")
            first = results[BACKENDS[0][0]][-1]["sweep_s"]
            serial.append(2 / (1 / first + 1 / again["sweep_s"]))  # the seconds of the mean rate
    rows = []
    for label, timings in results.items():
        times = [t["sweep_s"] for t in timings]
        workers = int(timings[0]["workers"])
        median = statistics.median(times)
        efficiency = statistics.median(s / (workers * t) for s, t in zip(serial, times, strict=True))
        rows.append({"backend": label, "workers": workers, "runs": exp.total_runs,
                     "startup_s": round(statistics.median(t["startup_s"] for t in timings), 2),
                     "median_s": round(median, 2), "min_s": round(min(times), 2), "max_s": round(max(times), 2),
                     "runs_per_s": round(exp.total_runs / median, 2),
                     "efficiency": round(efficiency, 2) if workers > 1 else 1.0})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = measure_backends(args.runs, args.repeats)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_csv(pd.DataFrame(rows), RESULTS)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"{rows[0]['runs']} runs of breakthrough, median of {args.repeats} rounds; "
          f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other processes skew it)")
    header = f"{'backend':<32} {'workers':>7} {'start-up s':>10} {'sweep s':>8} {'runs/s':>7} {'efficiency':>10}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['backend']:<32} {row['workers']:>7} {row['startup_s']:>10} {row['median_s']:>8} "
              f"{row['runs_per_s']:>7} {row['efficiency']:>10}")
    print(f"efficiency = runs/s / (workers x runs/s at 1 worker); wrote {RESULTS}")


if __name__ == "__main__":
    main()
