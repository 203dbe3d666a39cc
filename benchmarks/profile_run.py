"""Where a run's time goes: building the model, each module's part of the weeks, Mesa's stepping, the tables.

    .venv/bin/python benchmarks/profile_run.py [--runs 40] [--pyinstrument FILE.html] [--csv FILE]

For ``breakthrough`` (30 teams), ``breakthrough`` with 300 teams and ``national``, after warm-up runs, each part
timed by the wall clock as it is called (exclusive of the parts it calls, so that the parts add up):

- building (``CollaborativeModel(...)``): Mesa's model, the modules (each with its random stream), the
  organisations' network and the units, the populations (state arrays), the Mesa agents (teams, organisations,
  leaders), each module's ``init`` (drawing the populations), the team table and the first month's row, and the
  rest (the scenario's checks, the parameter record, the calendar and its events);
- the weeks (``run_model()``): each module's hooks (``step`` every week, ``meeting`` at sessions, ``month_end``,
  ``end_of_collaborative``), the model's own monthly record (team table and series; the summary in the last
  month), and the rest: Mesa's stepping and event calendar, the model's own ``step``, meeting and month-end loops
  and its end-of-collaborative snapshot;
- the result tables (``sim.results``).

Milliseconds per run (printed, and written to benchmarks/results/profile.csv): medians over ``--runs`` runs on
seeds 1.. (of each part separately, so the medians need not add up exactly). A timed call costs about half a
microsecond beyond itself (some 2,000 a run), measured (:func:`timer_cost`) and taken out of the untimed rest and
the totals. ``--pyinstrument`` also writes pyinstrument's call tree of the breakthrough runs
(``pip install -e '.[profile]'``). Outside the test run on purpose: speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mesa

from qicsim import sim
from qicsim.sim import model as model_module
from qicsim.sim.module import Module

WARM_UP = 3


class Stopwatch:
    """Exclusive wall time per label: a timed call nested in another is counted for itself only. ``calls`` counts
    the timed calls, so that their own cost (:func:`timer_cost`) can be taken out of what is left untimed."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.calls = 0
        self._children: list[float] = []

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self._children.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self.spent[label] += elapsed - self._children.pop()
                if self._children:
                    self._children[-1] += elapsed
        return timed


def timer_cost(calls: int = 20_000, rounds: int = 5) -> float:
    """Seconds a timed call costs beyond the call itself (the wrapper and its clock readings), median of rounds."""
    def nothing() -> None:
        return None

    timed = Stopwatch().wrap("nothing", nothing)
    costs = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            nothing()
        bare = time.perf_counter()
        for _ in range(calls):
            timed()
        costs.append((time.perf_counter() - bare - (bare - start)) / calls)
    return max(0.0, statistics.median(costs))


def build_patches() -> list[tuple[Any, str, str]]:
    """What :func:`timed_build` times: (owner, attribute, label)."""
    return [
        (mesa.Model, "__init__", "Mesa's model (Model.__init__)"),
        (Module, "__init__", "modules and their random streams"),
        (model_module, "organisation_graph", "organisations' network and units"),
        (model_module.UnitNetwork, "build", "organisations' network and units"),
        (model_module.CollaborativeModel, "_population", "populations (state arrays)"),
        (model_module.Team, "__init__", "Mesa agents (teams, organisations, leaders)"),
        (model_module.OrganisationAgents, "__init__", "Mesa agents (teams, organisations, leaders)"),
        (model_module, "TeamTable", "team table, first month's row"),
        (model_module.CollaborativeModel, "_record_month", "team table, first month's row"),
        *((module, "init", f"init: {module.name}") for module in model_module.MODULES if "init" in vars(module)),
    ]


@contextlib.contextmanager
def timed_build(watch: Stopwatch) -> Iterator[None]:
    """The parts of building a model timed into ``watch`` while the context lasts (patched, then restored)."""
    patches = build_patches()
    originals = [(owner, name, vars(owner)[name]) for owner, name, _ in patches]
    try:
        for owner, name, label in patches:
            original = vars(owner)[name]
            if isinstance(original, classmethod | staticmethod):
                setattr(owner, name, type(original)(watch.wrap(label, original.__func__)))
            else:
                setattr(owner, name, watch.wrap(label, original))
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def timed_weeks(model: sim.CollaborativeModel, watch: Stopwatch) -> None:
    """Every module hook of a built ``model``, and its monthly record, timed into ``watch``."""
    for hook in ("step", "meeting", "month_end", "end_of_collaborative"):
        hooks = getattr(model.hooks, hook)
        hooks[:] = [watch.wrap(f"{fn.__self__.name}.{hook}", fn) for fn in hooks]
    model._record_month = watch.wrap("team table, series, summary (monthly record)", model._record_month)


BUILD_REST = "the rest: checks, parameter record, calendar and its events"
WEEKS_REST = ("the rest: Mesa's stepping and events, the model's step, meeting and month-end loops, the "
              "end-of-collaborative snapshot")


def profile(scenario: sim.Scenario, runs: int, cost: float) -> tuple[dict[str, float], ...]:
    """Median milliseconds per run: the whole and its three phases; the build's parts; the weeks' parts. The
    timers' own cost (``cost`` seconds a timed call) is taken out of the untimed rest, and out of the whole and
    its phases."""
    for seed in range(WARM_UP):
        sim.run(scenario, seed=seed)
    phases: dict[str, list[float]] = defaultdict(list)
    build: dict[str, list[float]] = defaultdict(list)
    weeks: dict[str, list[float]] = defaultdict(list)
    for seed in range(1, runs + 1):
        gc.collect()
        building = Stopwatch()
        with timed_build(building):
            start = time.perf_counter()
            model = sim.CollaborativeModel(scenario, rng=seed)
            built = time.perf_counter()
        stepping = Stopwatch()
        timed_weeks(model, stepping)
        begun = time.perf_counter()
        model.run_model()
        stepped = time.perf_counter()
        sim.results(model, seed)
        done = time.perf_counter()
        build_s = built - start - building.calls * cost
        weeks_s = stepped - begun - stepping.calls * cost
        for name, seconds in (("whole run", build_s + weeks_s + done - stepped), ("build", build_s),
                              ("weeks", weeks_s), ("tables (sim.results)", done - stepped)):
            phases[name].append(seconds)
        for name, seconds in building.spent.items():
            build[name].append(seconds)
        build[BUILD_REST].append(build_s - sum(building.spent.values()))
        for name, seconds in stepping.spent.items():
            weeks[name].append(seconds)
        weeks[WEEKS_REST].append(weeks_s - sum(stepping.spent.values()))

    def medians(samples: dict[str, list[float]]) -> dict[str, float]:
        return {name: 1e3 * statistics.median(values) for name, values in samples.items()}

    return medians(phases), medians(build), medians(weeks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--pyinstrument", type=Path, help="write pyinstrument's call tree (HTML) here")
    parser.add_argument("--csv", type=Path, default=Path(__file__).resolve().parent / "results" / "profile.csv")
    args = parser.parse_args()
    scenarios = {"breakthrough (30 teams)": sim.load_scenario("breakthrough"),
                 "breakthrough, 300 teams": sim.load_scenario("breakthrough").with_overrides(teams=300),
                 "national (100 teams, 20,000 units)": sim.load_scenario("national")}
    cost = timer_cost()
    print(f"milliseconds per run, medians of {args.runs} runs after {WARM_UP} warm-up runs (national: a quarter); "
          f"a timer's own cost, {cost * 1e6:.2f} us a call, taken out; 1-min load average {os.getloadavg()[0]:.2f}")
    table = []
    for label, scenario in scenarios.items():
        runs = max(3, args.runs // 4) if "national" in label else args.runs
        phases, build, weeks = profile(scenario, runs, cost)
        table += [{"scenario": label, "part_of": part_of, "part": name, "ms": round(ms, 3), "runs": runs}
                  for part_of, parts in (("run", phases), ("build", build), ("weeks", weeks))
                  for name, ms in parts.items()]
        print(f"\n{label}: whole run {phases['whole run']:.2f} ms")
        for phase, parts in (("build", build), ("weeks", weeks)):
            print(f"  {phase} {phases[phase]:.2f}")
            for name, ms in sorted(parts.items(), key=lambda kv: -kv[1]):
                if ms >= 0.05:
                    print(f"    {name:<100} {ms:7.2f}")
        print(f"  tables (sim.results) {phases['tables (sim.results)']:.2f}")
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with open(args.csv, "w", encoding="utf-8") as out:
        out.write("scenario,part_of,part,ms,runs,timer_cost_us,load\n")
        for r in table:
            out.write(f'"{r["scenario"]}",{r["part_of"]},"{r["part"]}",{r["ms"]},{r["runs"]},{cost * 1e6:.3f},'
                      f"{os.getloadavg()[0]:.2f}\n")
    print(f"\nwrote {args.csv}")
    if args.pyinstrument:
        try:
            from pyinstrument import Profiler
        except ImportError:
            parser.exit(2, "profile_run: error: --pyinstrument needs pyinstrument: pip install -e '.[profile]'\n")

        profiler = Profiler(interval=0.0002)
        scenario = scenarios["breakthrough (30 teams)"]
        with profiler:
            for seed in range(1, args.runs + 1):
                sim.run(scenario, seed=seed)
        args.pyinstrument.write_text(profiler.output_html(), encoding="utf-8")
        print(f"\nwrote {args.pyinstrument}")


if __name__ == "__main__":
    main()
