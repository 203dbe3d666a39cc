"""The first run of a new version (nothing compiled yet) and cold workers, against the same warm.

    .venv/bin/python benchmarks/bench_first_run.py [--repeats 3] [--runs 100]

Every measurement starts from an empty compiled-kernel cache of its own (``QICSIM_CACHE_DIR`` in a temporary
directory: exactly a new version's first run) or from one filled by the measurement before it (warm):

- ``qicsim run --posterior none`` in a fresh process, cold and warm (the whole command, as a user waits for it);
- a new 2-worker Dask LocalCluster (the project's :class:`~qicsim.experiments.backends.DaskBackend`, as
  ``--scheduler local --workers 2`` makes it): from asking for the cluster to the first task's result, cold and
  warm;
- a sweep of ``--runs`` runs of breakthrough on a new 2-worker LocalCluster, from asking for the cluster to the
  last result stored (:func:`~qicsim.experiments.runner.run_sweep`, as ``benchmarks/bench_sweep.py``), cold and
  warm.

Medians of ``--repeats`` rounds, printed and written to benchmarks/results/first_run.csv. Another version's code
can be measured with the same script by putting it first on ``PYTHONPATH`` (the commands run as
``python -m qicsim``). Outside the test run on purpose: speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from bench_startup import qicsim_run_seconds

RESULTS = Path(__file__).resolve().parent / "results" / "first_run.csv"


def time_dask(cache: Path, runs: int, out: Path) -> float:
    """Seconds from asking for a new 2-worker LocalCluster (kernel cache at ``cache``, which its worker processes
    inherit) to the result of its first task (``runs`` = 0) or to the end of a ``runs``-run sweep. This process's
    ``QICSIM_CACHE_DIR`` is set for the workers and put back as it was afterwards."""
    from qicsim.experiments.backends import DaskBackend
    from qicsim.experiments.experiment import prepare
    from qicsim.experiments.runner import run_sweep
    from qicsim.experiments.spec import parse_spec
    from qicsim.experiments.tasks import RunTask, execute

    own_cache = os.environ.get("QICSIM_CACHE_DIR")
    os.environ["QICSIM_CACHE_DIR"] = str(cache)
    spec = {"name": "bench", "base": "breakthrough", "vary": {"didactic_share": [0.2, 0.4, 0.6, 0.8]},
            "sampler": "grid", "replications": max(1, runs // 4), "seed": 1}
    experiment = prepare(parse_spec(spec, "benchmark"))
    start = time.perf_counter()
    backend = DaskBackend("local", 2)
    try:
        if runs:
            report = run_sweep(experiment, out, backend=backend, progress=False)
            assert report.ran == experiment.total_runs and report.failed_total == 0
        else:
            fn = functools.partial(execute, experiment.scenario, experiment.summary_keys, ())
            record = next(iter(backend.imap_unordered(fn, [RunTask(0, 0, 0, 1, {})])))
            assert record.ok, record.error
        return time.perf_counter() - start
    finally:
        backend.close()
        if own_cache is None:
            os.environ.pop("QICSIM_CACHE_DIR", None)
        else:
            os.environ["QICSIM_CACHE_DIR"] = own_cache


def measure(repeats: int, runs: int) -> list[dict[str, object]]:
    timings: dict[str, list[float]] = {}

    def add(label: str, seconds: float) -> None:
        timings.setdefault(label, []).append(seconds)

    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            cache = Path(tmp) / f"run{r}"
            add("qicsim run, first of a version (empty cache)", qicsim_run_seconds(cache))
            add("qicsim run, warm", qicsim_run_seconds(cache))
            cache = Path(tmp) / f"task{r}"
            add("2-worker Dask LocalCluster: start to first task, empty cache", time_dask(cache, 0, Path(tmp)))
            add("2-worker Dask LocalCluster: start to first task, warm", time_dask(cache, 0, Path(tmp)))
            cache = Path(tmp) / f"sweep{r}"
            add(f"{runs}-run sweep on a new 2-worker LocalCluster, empty cache",
                time_dask(cache, runs, Path(tmp) / f"sweep{r}-cold"))
            add(f"{runs}-run sweep on a new 2-worker LocalCluster, warm",
                time_dask(cache, runs, Path(tmp) / f"sweep{r}-warm"))
    return [{"measurement": label, "median_s": round(statistics.median(t), 2), "min_s": round(min(t), 2),
             "max_s": round(max(t), 2), "repeats": len(t)} for label, t in timings.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--out", type=Path, default=RESULTS, help="the CSV to write")
    args = parser.parse_args()
    import pandas as pd

    import qicsim
    from qicsim.sim.files import write_csv

    load_before = os.getloadavg()[0]
    rows = measure(args.repeats, args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(pd.DataFrame(rows), args.out)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"qicsim from {Path(qicsim.__file__).parent}; median of {args.repeats}; 1-min load average "
          f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other processes skew it)")
    width = max(len(str(row["measurement"])) for row in rows)
    print(f"{'measurement':<{width}} {'median s':>8} {'min s':>6} {'max s':>6}")
    for row in rows:
        print(f"{row['measurement']:<{width}} {row['median_s']:>8} {row['min_s']:>6} {row['max_s']:>6}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
