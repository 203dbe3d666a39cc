"""Sweep throughput: runs per second at 1 and 2 local workers and on a 2-worker Dask LocalCluster.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 40] [--repeats 3]

A fixed sweep (default: 40 runs of the breakthrough scenario, default follow-up) goes through the
whole sweep machinery (design, runs, chunked Parquet storage) for each backend. Each backend is
started once, warmed up with one sweep, and then timed over ``--repeats`` sweeps into fresh
directories; the median is reported. The first sweep, with the backend's start-up (spawning
workers, importing the model there), is reported separately, because a long sweep pays it once. Parallel efficiency is
rate(N workers) / (N x rate(1 worker)). Writes benchmarks/results/sweep.csv.

Outside the test run on purpose: speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from experiments.backends import Backend, DaskBackend, ProcessBackend, SerialBackend
from experiments.experiment import Experiment, prepare
from experiments.runner import run_sweep
from experiments.spec import parse_spec

RESULTS = Path(__file__).resolve().parent / "results" / "sweep.csv"


def experiment(runs: int) -> Experiment:
    """``runs`` runs of breakthrough: 4 didactic shares x runs/4 replicates."""
    spec = parse_spec({"name": "bench", "base": "breakthrough", "vary": {"didactic_share": [0.2, 0.4, 0.6, 0.8]},
                       "sampler": "grid", "replications": max(1, runs // 4), "seed": 1}, "benchmark")
    return prepare(spec)


def time_backend(label: str, make: Callable[[], Backend], runs: int, repeats: int) -> dict[str, object]:
    exp = experiment(runs)
    start = time.perf_counter()
    backend: Backend = make()
    startup = time.perf_counter() - start
    times = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(repeats + 1):  # the first is the warm-up
                out = Path(tmp) / f"sweep{i}"
                start = time.perf_counter()
                report = run_sweep(exp, out, backend=backend, progress=False)
                elapsed = time.perf_counter() - start
                assert report.ran == exp.total_runs and report.failed_total == 0
                if i:
                    times.append(elapsed)
                else:
                    startup += elapsed  # the first sweep pays for spawning workers and their imports
    finally:
        backend.close()
    median = statistics.median(times)
    return {"backend": label, "workers": backend.workers, "runs": exp.total_runs, "first_sweep_s": round(startup, 2),
            "median_s": round(median, 2), "min_s": round(min(times), 2), "max_s": round(max(times), 2),
            "runs_per_s": round(exp.total_runs / median, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = [
        time_backend("local, 1 worker (in process)", SerialBackend, args.runs, args.repeats),
        time_backend("local, 2 worker processes", lambda: ProcessBackend(2), args.runs, args.repeats),
        time_backend("dask LocalCluster, 2 workers", lambda: DaskBackend("local", 2), args.runs, args.repeats),
    ]
    base = float(rows[0]["runs_per_s"])
    for row in rows:
        row["efficiency"] = round(float(row["runs_per_s"]) / (int(row["workers"]) * base), 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"{rows[0]['runs']} runs of breakthrough, median of {args.repeats} after a warm-up; "
          f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other processes skew it)")
    header = f"{'backend':<32} {'workers':>7} {'first sweep s':>13} {'sweep s':>8} {'runs/s':>7} {'efficiency':>10}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['backend']:<32} {row['workers']:>7} {row['first_sweep_s']:>13} {row['median_s']:>8} "
              f"{row['runs_per_s']:>7} {row['efficiency']:>10}")
    print(f"efficiency = runs/s / (workers x runs/s at 1 worker); wrote {RESULTS}")


if __name__ == "__main__":
    main()
