"""This version of qicsim against another, measured in turn on the same machine: sweep throughput per worker and
the whole run against Mesa's tutorial Boltzmann model.

    .venv/bin/python benchmarks/side_by_side.py --before DIR [--rounds 3] [--runs 200]

``DIR`` holds the other version as a package named ``qicsim`` -- e.g. a worktree of an older commit whose
folders are linked into ``DIR/qicsim`` (its ``qicsim/*.py`` and the folders ``sim``, ``analysis``,
``experiments`` and ``scenarios``) -- and is put first on ``PYTHONPATH`` for that version's measurements.
Each measurement is a fresh process (so neither version's imports or caches help the other), and in each round
the two versions take turns, the first alternating from round to round: a machine whose speed drifts slows
both alike. Measured in each process: a one-worker sweep of ``--runs`` runs of breakthrough through the whole
sweep machinery (``benchmarks/bench_sweep.py``'s, after a warm-up sweep of 4 runs), the cost of a team-week against a
Boltzmann agent-step (``benchmarks/run_all.py``'s ``cost_per_team_week``, 7 rounds), and a whole run (build,
weeks, result tables) of breakthrough with 30 and with 300 teams against a whole Boltzmann run with as many
agents and steps (``benchmarks/run_all.py``'s ``whole_run_ratio``, 7 rounds); then, in a process of its own with an
empty compiled-kernel cache, the version's first ``qicsim run`` (unless ``--no-first-run``; ``python -P -m qicsim``,
so that the working directory's ``qicsim`` never stands in for ``DIR``'s). Each process checks that ``qicsim`` and
its subpackages came from the version meant (a link missing in ``DIR/qicsim`` would otherwise be filled in from the
installed checkout). Reported: medians over the rounds, and the median of the rounds' ratios now / before. Used by
``benchmarks/run_all.py --before DIR``. Outside the test run on purpose: speed is measured here, never asserted in
tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_startup

HERE = Path(__file__).resolve().parent
WHOLE_RUN_TEAMS = (30, 300)
WHOLE_RUN_REPEATS = 7


def one(runs: int) -> dict[str, float | str]:
    """The measurements of one process, with whichever ``qicsim`` it imports."""
    import bench_sweep
    import run_all

    import qicsim.experiments
    import qicsim.scenarios
    import qicsim.sim
    from qicsim.experiments.backends import SerialBackend

    with tempfile.TemporaryDirectory() as tmp:
        timed = bench_sweep.time_sweep(SerialBackend, bench_sweep.experiment(runs),
                                       bench_sweep.experiment(bench_sweep.WARM_UP_RUNS), Path(tmp))
    packages = (qicsim, qicsim.sim, qicsim.experiments, qicsim.scenarios)
    row: dict[str, float | str] = {"qicsim": json.dumps([str(Path(p.__file__).parent) for p in packages]),
                                   "sweep_runs_per_s": runs / timed["sweep_s"]}
    week = run_all.cost_per_team_week(qicsim.sim.load_scenario(qicsim.sim.DEFAULT_SCENARIO), WHOLE_RUN_REPEATS)
    row["team_week_vs_boltzmann"] = week["ratio"]
    for teams in WHOLE_RUN_TEAMS:
        whole = run_all.whole_run_ratio(teams, WHOLE_RUN_REPEATS)
        row[f"whole_run_{teams}_s"] = whole["run_s"]
        row[f"whole_run_{teams}_vs_boltzmann"] = whole["ratio"]
    return row


def environment(version: Path | None) -> dict[str, str]:
    """This process's environment with ``version`` first on ``PYTHONPATH``, or with none (this checkout)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QICSIM_CACHE_DIR", "NUMBA_CACHE_DIR")}
    if version is not None:
        env["PYTHONPATH"] = str(version.resolve())
    return env


def measure(version: Path | None, runs: int, first_run: bool) -> dict[str, float | str]:
    """:func:`one` in a fresh process, and (``first_run``) the first ``qicsim run --posterior none`` of the
    version: a fresh process with an empty compiled-kernel cache, as ``benchmarks/bench_startup.py`` times it."""
    env = environment(version)
    out = subprocess.run([sys.executable, __file__, "--one", str(runs)], check=True, capture_output=True, text=True,
                         env=env, cwd=HERE)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    if first_run:
        with tempfile.TemporaryDirectory() as cache:
            row["first_run_s"] = bench_startup.qicsim_run_seconds(cache, env)
    return row


def compare(before: Path, rounds: int, runs: int, first_run: bool = True) -> dict[str, dict[str, float]]:
    """Medians of each version's measurements over ``rounds`` rounds in turn, and the medians of the ratios."""
    results: dict[str, list[dict[str, float | str]]] = {"now": [], "before": []}
    for r in range(rounds):
        order = [("now", None), ("before", before)]
        for label, version in order if r % 2 == 0 else order[::-1]:
            row = measure(version, runs, first_run)
            expected = Path(os.path.abspath(HERE.parent if version is None else version))
            for folder in json.loads(str(row["qicsim"])):  # qicsim and its subpackages: none filled in from elsewhere
                if not Path(os.path.abspath(folder)).is_relative_to(expected):  # links in DIR/qicsim count as DIR's
                    raise SystemExit(f"side_by_side: the {label} version imported {folder}, not from {expected}")
            results[label].append(row)
    keys = [k for k in results["now"][0] if k != "qicsim"]
    summary = {label: {k: statistics.median(float(row[k]) for row in rows) for k in keys}
               for label, rows in results.items()}
    summary["ratio"] = {k: statistics.median(float(a[k]) / float(b[k])
                                             for a, b in zip(results["now"], results["before"], strict=True))
                        for k in keys}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a folder holding the other version as package qicsim")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=200, help="runs of the one-worker sweep")
    parser.add_argument("--no-first-run", action="store_true", help="leave out the first run with an empty cache")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one)))
        return
    if args.before is None or not (args.before / "qicsim").is_dir():
        parser.error("--before: a folder holding a package 'qicsim' is required")
    summary = compare(args.before, args.rounds, args.runs, not args.no_first_run)
    print(f"median of {args.rounds} rounds in turn, each version in fresh processes; load {os.getloadavg()[0]:.2f}")
    print(f"{'measurement':<32} {'before':>10} {'now':>10} {'now/before':>10}")
    for key in summary["now"]:
        print(f"{key:<32} {summary['before'][key]:>10.4g} {summary['now'][key]:>10.4g} {summary['ratio'][key]:>10.2f}")


if __name__ == "__main__":
    main()
