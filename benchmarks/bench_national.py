"""Time the `national` spread scenario (2,000 organisations, 20,000 units, 4 years): median wall time.

    .venv/bin/python benchmarks/bench_national.py [--repeats N] [--csv FILE]

Outside the test run on purpose: speed is measured here, never asserted in tests (the whole suite:
benchmarks/run_all.py). Reports the
median of building the model (network, organisations, units), running it, and collecting its
result tables, after one warm-up run, and writes them as CSV (default:
benchmarks/results/national.csv).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import pandas as pd

from qicsim import sim
from qicsim.sim.files import write_csv

RESULTS = Path(__file__).parent / "results"


def measure(scenario: sim.Scenario, seed: int) -> dict[str, float]:
    start = time.perf_counter()
    model = sim.CollaborativeModel(scenario, rng=seed)
    built = time.perf_counter()
    model.run_model()
    ran = time.perf_counter()
    result = sim.results(model, seed)
    done = time.perf_counter()
    return {"build_s": built - start, "run_s": ran - built, "results_s": done - ran, "total_s": done - start,
            "units": model.units.size, "unit_ties": model.units.ties.nnz // 2, "months": len(result.adoption) - 1,
            "spread_units": result.summary["spread_units"]}


def measure_repeats(scenario: sim.Scenario, repeats: int) -> list[dict[str, float]]:
    """:func:`measure` on seeds 1..repeats, after a warm-up run on seed 0."""
    measure(scenario, seed=0)  # warm-up: imports, caches
    return [measure(scenario, seed=seed) for seed in range(1, repeats + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--csv", type=Path, default=RESULTS / "national.csv")
    args = parser.parse_args()
    scenario = sim.load_scenario("national")
    rows = measure_repeats(scenario, args.repeats)
    frame = pd.DataFrame(rows)
    median = {k: statistics.median(frame[k]) for k in ("build_s", "run_s", "results_s", "total_s")}
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    first = rows[0]
    print(machine)
    print(f"scenario national: {scenario.teams} teams, {scenario.teams + scenario.other_organisations:,} "
          f"organisations, {first['units']:,} units, {first['unit_ties']:,} ties between units, "
          f"{first['months']} months; n={args.repeats} after a warm-up")
    print(f"{'stage':<10}{'median s':>10}{'min s':>10}{'max s':>10}")
    for stage, key in (("build", "build_s"), ("run", "run_s"), ("results", "results_s"), ("total", "total_s")):
        print(f"{stage:<10}{median[key]:>10.2f}{frame[key].min():>10.2f}{frame[key].max():>10.2f}")
    summary = pd.DataFrame([{"benchmark": "national", "machine": machine, "repeats": args.repeats,
                             **{f"median_{k}": v for k, v in median.items()},
                             "units": first["units"], "unit_ties": first["unit_ties"], "months": first["months"]}])
    write_csv(summary, args.csv)
    print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
