"""A health system at national scale: the `national` scenario from 20,000 to 1,000,000 units.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 20000,100000,300000,1000000] [--repeats 3] [--csv FILE]

Each size is ``national`` (100 teams, 10 units per organisation, a small world of organisations, 4 years)
with as many other organisations as make up the units, what the command line says as

    qicsim run national --set other_organisations=1900  --set units_per_organisation=10   #    20,000 units
    qicsim run national --set other_organisations=9900  --set units_per_organisation=10   #   100,000 units
    qicsim run national --set other_organisations=29900 --set units_per_organisation=10   #   300,000 units
    qicsim run national --set other_organisations=99900 --set units_per_organisation=10   # 1,000,000 units

Every measurement is a fresh process (imports, then a small warm-up run that loads the compiled kernels,
then one run at the size, seed = the repeat's number): the wall time of building the model (the organisation
graph, the units and their ties, the populations), running it, and collecting its result tables, and the
process CPU time of the three (``cpu_s``: what the wall time would be on an idle machine, the model
being single-threaded; the wall time includes waiting for a core when other work shares the machine), and the
process's peak resident memory over its whole life (``VmHWM`` of /proc/self/status: imports included, as a
person running the command sees it; ``rss_base_mb`` is the peak before the size's run, after the warm-up; not
``getrusage``'s ``ru_maxrss``, which on Linux a child process inherits from its parent's peak).
Reported: the median over the repeats, and per unit and per tie (both directions of a tie counted once) at
each size, with the log-log slope from the size before (1 = cost grows linearly; the slope of time against
units, of memory above the base against units). Writes benchmarks/results/scale.csv.

Another version of the model, side by side: run this same script with that version first on the path, e.g.
a worktree of an older commit whose folders are linked as a package ``qicsim`` in /tmp/oldpkg
(``PYTHONPATH=/tmp/oldpkg .venv/bin/python benchmarks/bench_scale.py --label before --csv /tmp/before.csv``).
Outside the test run on purpose: speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import bench_national

RESULTS = Path(__file__).parent / "results"
SIZES = (20_000, 100_000, 300_000, 1_000_000)
UNITS_PER_ORGANISATION = 10
TEAMS = 100  # national's


def other_organisations(units: int) -> int:
    """The ``other_organisations`` that make ``units`` units with national's teams and 10 units each."""
    return units // UNITS_PER_ORGANISATION - TEAMS


def peak_mb() -> float:
    """This process's peak resident memory in MB since it started (its own program: ``VmHWM``; where there is no
    /proc, ``ru_maxrss``, which may include what the parent had when it started this process)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(units: int, seed: int) -> dict[str, float]:
    """One measurement in this (fresh) process."""
    from qicsim import sim

    warm = sim.load_scenario("national").with_overrides(other_organisations=100, follow_up_months=3.0)
    model = sim.CollaborativeModel(warm, rng=0)
    model.run_model()
    sim.results(model, 0)
    del model
    base = peak_mb()
    scenario = sim.load_scenario("national").with_overrides(other_organisations=other_organisations(units),
                                                            units_per_organisation=UNITS_PER_ORGANISATION)
    cpu = time.process_time()
    row = bench_national.measure(scenario, seed)  # build, run and result tables, timed as bench_national does
    return {**row, "ties": row["unit_ties"], "cpu_s": time.process_time() - cpu,
            "rss_peak_mb": peak_mb(), "rss_base_mb": base}


def measure(units: int, seed: int) -> dict[str, float]:
    """:func:`one` in a fresh Python process (with this process's environment, so the same ``qicsim``)."""
    out = subprocess.run([sys.executable, __file__, "--one", str(units), "--seed", str(seed)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def size_label(units: int) -> str:
    """A size as the benchmark rows name it: 20k, 300k, 1m."""
    return f"{units // 1000}k" if units < 1_000_000 else f"{units // 1_000_000}m"


def slope(x0: float, x1: float, y0: float, y1: float) -> float:
    return math.log(y1 / y0) / math.log(x1 / x0) if min(x0, x1, y0, y1) > 0 and x0 != x1 else math.nan


def curve(sizes: list[int], repeats: int, label: str = "", show: bool = False) -> list[dict[str, float]]:
    """The median over ``repeats`` fresh processes at each size, per unit and per tie, with the log-log slope of
    time and of memory above the base from the size before (1 = linear); ``show`` prints each row as it comes."""
    rows: list[dict[str, float]] = []
    for units in sizes:
        runs = [measure(units, seed) for seed in range(1, repeats + 1)]
        row = {"label": label, "units": runs[0]["units"], "other_organisations": other_organisations(units),
               "ties": runs[0]["ties"], "repeats": repeats,
               **{k: statistics.median(r[k] for r in runs) for k in ("build_s", "run_s", "results_s", "total_s",
                                                                     "cpu_s", "rss_peak_mb", "rss_base_mb")},
               "total_min_s": min(r["total_s"] for r in runs), "total_max_s": max(r["total_s"] for r in runs)}
        row["us_per_unit"] = 1e6 * row["total_s"] / row["units"]
        row["us_per_tie"] = 1e6 * row["total_s"] / row["ties"]
        row["bytes_per_unit"] = 1e6 * (row["rss_peak_mb"] - row["rss_base_mb"]) / row["units"]
        if rows:
            prev = rows[-1]
            row["time_slope"] = slope(prev["units"], row["units"], prev["total_s"], row["total_s"])
            row["memory_slope"] = slope(prev["units"], row["units"], prev["rss_peak_mb"] - prev["rss_base_mb"],
                                        row["rss_peak_mb"] - row["rss_base_mb"])
        else:
            row["time_slope"] = row["memory_slope"] = math.nan
        rows.append(row)
        if show:
            print(f"{row['units']:>10,} units {row['ties']:>11,} ties  build {row['build_s']:6.2f}"
                  f"  run {row['run_s']:6.2f}  results {row['results_s']:5.2f}"
                  f"  total {row['total_s']:6.2f} s (cpu {row['cpu_s']:6.2f})"
                  f"  peak {row['rss_peak_mb']:7.0f} MB | {row['us_per_unit']:5.2f} us/unit"
                  f" {row['us_per_tie']:5.3f} us/tie"
                  f" {row['bytes_per_unit']:6.0f} B/unit  slope time {row['time_slope']:5.2f}"
                  f" memory {row['memory_slope']:5.2f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="units, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--label", default="", help="a name for the version measured (a column of the CSV)")
    parser.add_argument("--csv", type=Path, default=RESULTS / "scale.csv")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.seed)))
        return

    import pandas as pd

    import qicsim

    sizes = [int(s) for s in args.sizes.split(",")]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{machine}; qicsim from {Path(qicsim.__file__).parent}; load average {os.getloadavg()[0]:.2f}")
    print(f"national with --set units_per_organisation={UNITS_PER_ORGANISATION} and other_organisations = "
          f"units / {UNITS_PER_ORGANISATION} - {TEAMS}; median of {args.repeats} fresh processes per size")
    rows = curve(sizes, args.repeats, args.label, show=True)
    frame = pd.DataFrame(rows)
    frame.insert(1, "machine", machine)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.csv, index=False)
    print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
