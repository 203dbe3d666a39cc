"""Time one run of a scenario (default: breakthrough): median wall time after warm-up.

    .venv/bin/python benchmarks/bench_run.py [SCENARIO] [--repeats N]

Outside the test run on purpose: speed is measured here, never asserted in tests. The whole
benchmark suite (this, the cost per team-week, national, sweeps) is benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from qicsim import sim

WARM_UP = 2
"""Runs before timing starts (imports, caches)."""


def time_runs(scenario: sim.Scenario, repeats: int) -> tuple[list[float], sim.RunResult]:
    """Wall times of ``sim.run`` (build, run, result tables) on seeds 0..repeats-1 after a warm-up,
    and the last run's result."""
    for seed in range(WARM_UP):
        sim.run(scenario, seed=seed)
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        result = sim.run(scenario, seed=seed)
        times.append(time.perf_counter() - start)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="breakthrough")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    scenario = sim.load_scenario(args.scenario)
    times, result = time_runs(scenario, args.repeats)
    team_weeks = scenario.teams * len(result.teams["month"].unique()) * 52 / 12
    median = statistics.median(times)
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"scenario {scenario.name}: {scenario.teams} teams, median {median * 1000:.0f} ms per run "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, n={args.repeats}); "
          f"{median / team_weeks * 1e6:.1f} us per team-week")


if __name__ == "__main__":
    main()
