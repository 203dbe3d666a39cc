"""The benchmark suite: every speed target of qicsim in one table, with the machine it ran on.

    .venv/bin/python benchmarks/run_all.py [--repeats N] [--national-repeats N] [--sweep-runs N]
                                           [--sweep-repeats N] [--scale-repeats N] [--first-runs N]
                                           [--cold-dask N] [--before DIR] [--csv FILE]

Outside the test run on purpose: speed is measured here, never asserted in tests. Every figure is a
median of repeated measurements after a warm-up. Rows (benchmark, value, unit, target, met):

- ``default_run_s``: one run of the default scenario (``breakthrough``): ``sim.run`` -- building
  the model, running it and making the result tables (benchmarks/bench_run.py);
- ``team_week_us`` / ``boltzmann_agent_step_us`` / ``team_week_vs_boltzmann``: the wall time of
  ``model.run_model()`` of the default scenario per team-week (teams x model.steps), against the
  cost per agent-step of Mesa's Boltzmann wealth model with as many agents as teams run for as many
  steps, timed in turn in this process; the ratio (the median of each round's) has the target at most 1.5
  (the model's mechanisms are separate modules, each a call a week, where they were one compiled pass)
  (see :class:`MoneyModel` for the variant of the Boltzmann model: the tutorial's, the cheapest);
- ``boltzmann_shipped_agent_step_us`` / ``team_week_vs_boltzmann_shipped``: the same against the
  Boltzmann model Mesa ships (``mesa.examples.BoltzmannWealth``: grid and data collection), for
  context; ``mesa_scheduling_us``: the model's weeks and scheduled events with every mechanism
  removed (:class:`SchedulingOnly`), the part of a team-week that is Mesa's own stepping;
- ``whole_run_<teams>_teams_s`` / ``..._vs_boltzmann``: a whole run of the default scenario (build, weeks, result
  tables, each part also reported) with its own teams and with 300, against a whole tutorial Boltzmann run with as
  many agents and steps, in turn in this process (median of the rounds' ratios; targets 1.0 and 0.5);
  ``..._floor_build_s`` / ``..._floor_weeks_s`` / ``..._floor_vs_boltzmann``: the same model built as before (every
  module's ``init`` included) and stepped by Mesa with no weekly mechanism, meeting or month's end acting
  (:class:`SchedulingOnly`): what the run costs before any mechanism's week;
- ``national_s``: the ``national`` spread scenario, build + run + results (benchmarks/bench_national.py);
  ``national_<size>_units_s`` / ``..._peak_mb``: national with 20,000, 100,000, 300,000 and 1,000,000 units, each in
  a fresh process (benchmarks/bench_scale.py; targets at 1,000,000: 5 s and 1 GB), and
  ``national_time_growth_to_<size>_units`` / ``national_memory_growth_to_...``: the log-log slope of time, and of
  memory above the process's base, from the size before (1 = linear; at most 1.1 counts as linear: a slope between
  two noisy medians; ties grow with units, 4.8 a unit);
- ``startup_*``: ``qicsim --help``, ``qicsim scenarios`` and ``import qicsim`` in fresh processes
  (benchmarks/bench_startup.py; target 0.5 s); ``first_run_s`` / ``warm_run_s``: ``qicsim run`` with an empty
  compiled cache and then with it filled (target 10 s); ``dask_first_task_cold_s`` / ``..._warm_s``: a new
  2-worker Dask LocalCluster from asking for it to its first task's result, with an empty cache and then with
  it filled (benchmarks/bench_first_run.py; target 5 s cold);
- ``sweep_*``: sweep throughput (runs per second) in this process, in 2 local worker processes and on
  a 2-worker Dask LocalCluster, and each 2-worker backend's parallel efficiency,
  runs/s / (2 x runs/s at 1 worker) (benchmarks/bench_sweep.py; targets 0.9 and 0.85);
- with ``--before DIR`` (a folder holding another version as package ``qicsim``): ``before_*`` and ``*_vs_before``,
  that version's one-worker sweep, whole runs and first run (empty cache) measured in turn with this one's
  (``side_by_side_*``), each in fresh processes (benchmarks/side_by_side.py; target: the one-worker sweep at least
  twice the version before issue 19's work).

Prints the table and writes it as CSV (default benchmarks/results/benchmarks.csv), each row with
the machine's description (architecture, CPU, cores, the Python, Mesa, NumPy and numba versions) and the run's
(commit, time, options, load average before and after).
Other processes on the machine skew timings; the 1-minute load average before and after is printed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_first_run
import bench_national
import bench_run
import bench_scale
import bench_startup
import bench_sweep
import mesa
import numba
import numpy as np
import pandas as pd
import side_by_side

from qicsim import sim
from qicsim.sim.files import write_csv

RESULTS = Path(__file__).resolve().parent / "results" / "benchmarks.csv"
COLUMNS = ["benchmark", "value", "unit", "target", "met"]


class MoneyAgent(mesa.Agent):
    """An agent of the Boltzmann wealth model: starts with 1 unit and gives 1 to a random agent when it has any."""

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.wealth = 1

    def step(self) -> None:
        if self.wealth > 0:
            other = self.random.choice(self.model.agents)
            other.wealth += 1
            self.wealth -= 1


class MoneyModel(mesa.Model):
    """Mesa's Boltzmann wealth model as its introductory tutorial first builds it (docs/tutorials/
    0_first_model.ipynb): no space and no data collection; each step every agent, in random order
    (``self.agents.shuffle_do``), gives one unit to an agent drawn at random from all agents (the
    tutorial's rule, which may draw the giver itself) if it has any wealth.

    This is the cheapest variant, so the comparison is the strict one. The example shipped with
    Mesa 3.5 (``mesa/examples/basic/boltzmann_wealth_model``) costs several times as much per
    agent-step (3-4 times when this was written): its agents also move on a 10 x 10
    ``OrthogonalMooreGrid`` and give only to a cellmate, and the model records the Gini coefficient
    and every agent's wealth each step.
    """

    def __init__(self, n: int, rng: int) -> None:
        super().__init__(rng=rng)
        MoneyAgent.create_agents(self, n)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def machine() -> dict[str, str]:
    """The machine and software the numbers were measured on."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"arch": platform.machine(), "cpu": cpu or "unknown", "cores": str(os.cpu_count()),
            "python": platform.python_version(), "mesa": mesa.__version__, "numpy": np.__version__,
            "numba": numba.__version__}


def provenance(argv: list[str]) -> dict[str, str]:
    """What was measured and how: the commit (with ``+changes`` when the working tree differs from it), the time
    (UTC) and the options, so that a row of the CSV can be measured again."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += "+changes"
    return {"commit": commit, "measured_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
            "options": " ".join(argv) or "(defaults)"}


class SchedulingOnly(sim.CollaborativeModel):
    """The default scenario's model with every mechanism removed: the same weeks and scheduled events
    (sessions, month ends, the end), doing nothing. Its cost is Mesa's own stepping and event
    scheduling, which no change to qicsim's mechanisms can remove."""

    def step(self) -> None:
        self.week = self.steps
        if self.week >= self.calendar.total_weeks:
            self.running = False

    def learning_session(self) -> None:
        pass

    def congress(self) -> None:
        pass

    def end_of_collaborative(self) -> None:
        pass

    def month_end(self) -> None:
        pass


def _stepping_seconds(model: mesa.Model, steps: int | None = None) -> float:
    """Seconds to run a built model: ``run_model()``, or ``steps`` calls of ``step()``."""
    gc.collect()
    start = time.perf_counter()
    if steps is None:
        model.run_model()
    else:
        for _ in range(steps):
            model.step()
    return time.perf_counter() - start


def cost_per_team_week(scenario: sim.Scenario, repeats: int) -> dict[str, float]:
    """Median seconds of ``run_model()`` per team-week and of a Boltzmann step per agent, and their ratio.

    Timed in turn in each round, on the same seeds, each after a garbage collection: the model;
    the tutorial's Boltzmann model (:class:`MoneyModel`) with ``scenario.teams`` agents for as many
    steps as the run (``model.steps``), the target's comparison; Mesa's shipped example
    (``mesa.examples.BoltzmannWealth``, its 10 x 10 grid and data collection included) likewise,
    for context; and :class:`SchedulingOnly`, the floor Mesa's scheduling sets. Only stepping is
    timed (building the models is not). Each ratio is the median of the ratios of each round's
    pair, measured a fraction of a second apart, so that it holds on a machine whose speed drifts
    (a shared or throttled CPU).
    """
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    team_week, agent_step, shipped_step, floor = [], [], [], []
    steps = 0
    for i in range(-bench_run.WARM_UP, repeats):  # warm-up rounds first, not counted
        model = sim.CollaborativeModel(scenario, rng=abs(i))
        elapsed = _stepping_seconds(model)
        steps = model.steps
        agent_weeks = scenario.teams * steps
        money = _stepping_seconds(MoneyModel(scenario.teams, rng=abs(i)), steps)
        shipped = _stepping_seconds(BoltzmannWealth(BoltzmannScenario(n=scenario.teams, rng=abs(i))), steps)
        scheduling = _stepping_seconds(SchedulingOnly(scenario, rng=abs(i)))
        if i >= 0:
            team_week.append(elapsed / agent_weeks)
            agent_step.append(money / agent_weeks)
            shipped_step.append(shipped / agent_weeks)
            floor.append(scheduling / agent_weeks)
    return {"team_week_s": statistics.median(team_week), "agent_step_s": statistics.median(agent_step),
            "ratio": statistics.median(t / a for t, a in zip(team_week, agent_step, strict=True)),
            "shipped_step_s": statistics.median(shipped_step),
            "shipped_ratio": statistics.median(t / a for t, a in zip(team_week, shipped_step, strict=True)),
            "scheduling_s": statistics.median(floor), "steps": steps}


def whole_run_ratio(teams: int, repeats: int) -> dict[str, float]:
    """A whole run of breakthrough with ``teams`` teams against a whole tutorial Boltzmann run (:class:`MoneyModel`,
    built and stepped) with as many agents for as many steps, timed in turn in this process after a warm-up round:
    the medians of each part and the median of the rounds' ratios.

    The run is what ``sim.run`` does, timed in its three parts: building the model, its weeks (``run_model()``,
    the summary included) and the result tables (``sim.results``). The floor is :class:`SchedulingOnly`: the
    model built exactly as before (checks, parameter record, network, populations, Mesa agents, every module's
    ``init``), then its weeks and scheduled events stepped by Mesa doing nothing -- timed as ``floor_build_s``
    and ``floor_weeks_s``: what the run costs before any weekly mechanism, meeting or month's end acts."""
    scenario = sim.load_scenario(sim.DEFAULT_SCENARIO).with_overrides(teams=teams)
    parts: dict[str, list[float]] = {"build_s": [], "weeks_s": [], "tables_s": [], "run_s": [], "boltzmann_s": [],
                                     "floor_build_s": [], "floor_weeks_s": [], "floor_s": [], "ratio": [],
                                     "floor_ratio": []}
    steps = 0
    for seed in range(repeats + 1):  # round 0 warms every model up and is not counted
        gc.collect()
        start = time.perf_counter()
        model = sim.CollaborativeModel(scenario, rng=seed)
        built = time.perf_counter()
        model.run_model()
        stepped = time.perf_counter()
        sim.results(model, seed)
        done = time.perf_counter()
        steps = model.steps
        gc.collect()
        money_start = time.perf_counter()
        money = MoneyModel(teams, rng=seed)
        for _ in range(steps):
            money.step()
        boltzmann = time.perf_counter() - money_start
        gc.collect()
        floor_start = time.perf_counter()
        floor = SchedulingOnly(scenario, rng=seed)
        floor_built = time.perf_counter()
        floor.run_model()
        floor_done = time.perf_counter()
        if seed == 0:
            continue
        for key, value in (("build_s", built - start), ("weeks_s", stepped - built), ("tables_s", done - stepped),
                           ("run_s", done - start), ("boltzmann_s", boltzmann),
                           ("floor_build_s", floor_built - floor_start), ("floor_weeks_s", floor_done - floor_built),
                           ("floor_s", floor_done - floor_start), ("ratio", (done - start) / boltzmann),
                           ("floor_ratio", (floor_done - floor_start) / boltzmann)):
            parts[key].append(value)
    return {key: statistics.median(values) for key, values in parts.items()}


def row(benchmark: str, value: float, unit: str, target: str = "", met: bool | None = None) -> dict[str, object]:
    return {"benchmark": benchmark, "value": value, "unit": unit, "target": target,
            "met": "" if met is None else ("yes" if met else "no")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15,
                        help="timed runs of the default scenario (one run; cost per team-week)")
    parser.add_argument("--national-repeats", type=int, default=3)
    parser.add_argument("--sweep-runs", type=int, default=200)
    parser.add_argument("--sweep-repeats", type=int, default=3)
    parser.add_argument("--startup-repeats", type=int, default=5, help="fresh processes per start-up command")
    parser.add_argument("--scale-repeats", type=int, default=3,
                        help="fresh processes at each of 20,000, 100,000, 300,000 and 1,000,000 units (0: skip)")
    parser.add_argument("--first-runs", type=int, default=3, help="first runs with an empty cache (0: skip)")
    parser.add_argument("--cold-dask", type=int, default=3,
                        help="new 2-worker Dask clusters timed to their first task, empty cache then warm (0: skip)")
    parser.add_argument("--before", type=Path,
                        help="a folder holding another version as package qicsim: its one-worker sweep and whole runs "
                             "are timed in turn with this version's (benchmarks/side_by_side.py)")
    parser.add_argument("--before-rounds", type=int, default=3)
    parser.add_argument("--csv", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.before is not None and not (args.before / "qicsim").is_dir():
        parser.error(f"--before {str(args.before)!r}: a folder holding a package 'qicsim' is required")
    load_before = os.getloadavg()[0]
    about = {**machine(), **provenance(sys.argv[1:])}
    rows = []

    default = sim.load_scenario(sim.DEFAULT_SCENARIO)
    times, _ = bench_run.time_runs(default, args.repeats)
    run_s = statistics.median(times)
    rows.append(row("default_run_s", round(run_s, 3), "s", "< 0.5", run_s < 0.5))

    cost = cost_per_team_week(default, args.repeats)
    rows.append(row("team_week_us", round(cost["team_week_s"] * 1e6, 2), "us per team-week"))
    rows.append(row("boltzmann_agent_step_us", round(cost["agent_step_s"] * 1e6, 2), "us per agent-step"))
    rows.append(row("team_week_vs_boltzmann", round(cost["ratio"], 2), "ratio", "<= 1.5", cost["ratio"] <= 1.5))
    rows.append(row("boltzmann_shipped_agent_step_us", round(cost["shipped_step_s"] * 1e6, 2), "us per agent-step"))
    rows.append(row("team_week_vs_boltzmann_shipped", round(cost["shipped_ratio"], 2), "ratio"))
    rows.append(row("mesa_scheduling_us", round(cost["scheduling_s"] * 1e6, 2), "us per team-week"))

    for teams, target in ((default.teams, 1.0), (300, 0.5)):
        whole = whole_run_ratio(teams, args.repeats)
        rows.append(row(f"whole_run_{teams}_teams_s", round(whole["run_s"], 4), "s"))
        for part in ("build", "weeks", "tables"):
            rows.append(row(f"whole_run_{teams}_teams_{part}_s", round(whole[f"{part}_s"], 4), "s"))
        rows.append(row(f"boltzmann_whole_run_{teams}_agents_s", round(whole["boltzmann_s"], 4), "s"))
        rows.append(row(f"whole_run_{teams}_teams_vs_boltzmann", round(whole["ratio"], 2), "ratio", f"<= {target}",
                        whole["ratio"] <= target))
        rows.append(row(f"whole_run_{teams}_teams_floor_build_s", round(whole["floor_build_s"], 4), "s"))
        rows.append(row(f"whole_run_{teams}_teams_floor_weeks_s", round(whole["floor_weeks_s"], 4), "s"))
        rows.append(row(f"whole_run_{teams}_teams_floor_vs_boltzmann", round(whole["floor_ratio"], 2), "ratio"))

    national = bench_national.measure_repeats(sim.load_scenario("national"), args.national_repeats)
    national_s = statistics.median(r["total_s"] for r in national)
    rows.append(row("national_s", round(national_s, 2), "s", "< 2", national_s < 2))

    if args.scale_repeats:
        curve = bench_scale.curve(list(bench_scale.SIZES), args.scale_repeats)
        for point in curve:
            size = bench_scale.size_label(point["units"])
            big = point["units"] >= 1_000_000
            rows.append(row(f"national_{size}_units_s", round(point["total_s"], 2), "s", "< 5" if big else "",
                            point["total_s"] < 5 if big else None))
            rows.append(row(f"national_{size}_units_peak_mb", round(point["rss_peak_mb"]), "MB",
                            "< 1000" if big else "", point["rss_peak_mb"] < 1000 if big else None))
        for point in curve[1:]:  # the slope from the size before: 1 = linear (ties are 4.8 a unit at every size)
            size = bench_scale.size_label(point["units"])
            for what, key in (("time", "time_slope"), ("memory", "memory_slope")):
                rows.append(row(f"national_{what}_growth_to_{size}_units", round(point[key], 2), "log-log slope",
                                "<= 1.1 (linear)", point[key] <= 1.1))

    startup = bench_startup.start_up(args.startup_repeats)
    for name in ("help_s", "scenarios_s"):
        rows.append(row(f"startup_{name}", round(startup[name], 3), "s", "< 0.5", startup[name] < 0.5))
    rows.append(row("startup_import_qicsim_s", round(startup["import_qicsim_s"], 3), "s"))
    if args.first_runs:
        first = bench_startup.first_run(args.first_runs)
        rows.append(row("first_run_s", round(first["first_run_s"], 1), "s", "< 10", first["first_run_s"] < 10))
        rows.append(row("warm_run_s", round(first["warm_run_s"], 2), "s"))

    if args.cold_dask:
        with tempfile.TemporaryDirectory() as tmp:
            cold, warm = [], []
            for r in range(args.cold_dask):
                cache = Path(tmp) / f"cache{r}"  # empty: a new version's first task on a new cluster
                cold.append(bench_first_run.time_dask(cache, 0, Path(tmp)))
                warm.append(bench_first_run.time_dask(cache, 0, Path(tmp)))
        rows.append(row("dask_first_task_cold_s", round(statistics.median(cold), 1), "s", "< 5",
                        statistics.median(cold) < 5))
        rows.append(row("dask_first_task_warm_s", round(statistics.median(warm), 1), "s"))

    sweep = bench_sweep.measure_backends(args.sweep_runs, args.sweep_repeats)
    for label, backend, target in zip(("1_worker", "2_workers", "dask_2_workers"), sweep, (None, 0.9, 0.85),
                                      strict=True):
        rows.append(row(f"sweep_{label}", backend["runs_per_s"], "runs/s"))
        if target is not None:
            efficiency = float(backend["efficiency"])
            rows.append(row(f"sweep_{label}_efficiency", efficiency, "share", f">= {target}", efficiency >= target))

    if args.before is not None:
        compared = side_by_side.compare(args.before, args.before_rounds, args.sweep_runs, args.first_runs > 0)
        before, ratio = compared["before"], compared["ratio"]
        now = compared["now"]
        rows.append(row("before_team_week_vs_boltzmann", round(before["team_week_vs_boltzmann"], 2), "ratio"))
        rows.append(row("side_by_side_team_week_vs_boltzmann", round(now["team_week_vs_boltzmann"], 2), "ratio"))
        rows.append(row("before_sweep_1_worker", round(before["sweep_runs_per_s"], 2), "runs/s"))
        rows.append(row("side_by_side_sweep_1_worker", round(now["sweep_runs_per_s"], 2), "runs/s"))
        rows.append(row("sweep_1_worker_vs_before", round(ratio["sweep_runs_per_s"], 2), "ratio", ">= 2",
                        ratio["sweep_runs_per_s"] >= 2))
        if args.first_runs:
            rows.append(row("before_first_run_s", round(before["first_run_s"], 1), "s"))
            rows.append(row("side_by_side_first_run_s", round(now["first_run_s"], 1), "s"))
        for teams in side_by_side.WHOLE_RUN_TEAMS:
            rows.append(row(f"before_whole_run_{teams}_teams_s", round(before[f"whole_run_{teams}_s"], 4), "s"))
            rows.append(row(f"before_whole_run_{teams}_teams_vs_boltzmann",
                            round(before[f"whole_run_{teams}_vs_boltzmann"], 2), "ratio"))
            rows.append(row(f"side_by_side_whole_run_{teams}_teams_vs_boltzmann",
                            round(now[f"whole_run_{teams}_vs_boltzmann"], 2), "ratio"))
            rows.append(row(f"whole_run_{teams}_teams_vs_before", round(ratio[f"whole_run_{teams}_s"], 2), "ratio"))

    load_after = os.getloadavg()[0]
    table = pd.DataFrame(rows, columns=COLUMNS)
    for key, value in {**about, "load_before": f"{load_before:.2f}", "load_after": f"{load_after:.2f}"}.items():
        table[key] = value
    print(f"{about['arch']}, {about['cpu']}, {about['cores']} cores; Python {about['python']}, "
          f"Mesa {about['mesa']}, NumPy {about['numpy']}, numba {about['numba']}; commit {about['commit']}, "
          f"{about['measured_utc']} UTC, options: {about['options']}")
    print(f"medians after warm-up: default scenario n={args.repeats} ({default.teams} teams, {cost['steps']} steps; "
          f"Boltzmann (Mesa tutorial, no space) with {default.teams} agents, {cost['steps']} steps), "
          f"national n={args.national_repeats}, sweeps of {sweep[0]['runs']} runs n={args.sweep_repeats}; "
          f"1-min load average {load_before:.2f} before, {load_after:.2f} after")
    print(table[COLUMNS].to_string(index=False))
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    write_csv(table, args.csv)
    print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
