"""Validation: does the model reproduce the published figures of Øvretveit et al. (2002)?

For each target group (``analysis/targets.yaml``, or a user's targets file) the group's scenario is
run over R replicates -- replicate ``r`` with seed ``sim.derive_seed(seed, r)``, as ``qicsim run``
does -- and each target quantity (:mod:`analysis.quantities`) is computed per replicate from the
run's summary and team outcomes. A quantity on the ``control`` arm is computed from the same
scenario and seed with ``mode=none`` (common random numbers: the same teams without the
collaborative). The report gives the mean over replicates and the 2.5-97.5% interval of the
replicate values beside the published value; a target **passes when the mean** meets its rule
(:mod:`analysis.targets`), because the published figures are single collaboratives' results and the
model's mean is its best estimate of such a result. A quantity the run's outputs cannot give (e.g.
a column a model layer has not added yet) is reported as *not available* and counts as a failure.

Runs may go to several processes (:mod:`experiments.backends`); every run carries its own seed and
results are put back in replicate order, so the report is the same for any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import sim
from analysis import quantities
from analysis.targets import Group, Target, TargetsFile, describe, number_decimals
from experiments.backends import Backend, make_backend
from sim.outcomes import replicate_interval
from sim.parameters import Scenario

PASS, FAIL, NOT_AVAILABLE = "PASS", "FAIL", "NOT AVAILABLE"
DEFAULT_REPS, DEFAULT_SEED = 40, 1

COLUMNS = ("group", "scenario", "quantity", "kind", "value", "tolerance", "low", "high", "mean", "p2_5", "p97_5",
           "replicates_with_value", "excess", "status", "message", "note")
"""Columns of the validation table (``validation.csv``)."""


# ---- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunTask:
    """One run to make and the quantities to compute from it (small and picklable, for workers)."""

    key: str
    arm: str
    replicate: int
    seed: int
    scenario: Scenario
    quantities: tuple[str, ...]


@dataclass(frozen=True)
class RunValues:
    """The quantities of one run; ``missing`` holds the reason for each quantity it could not give."""

    task: RunTask
    values: dict[str, float]
    missing: dict[str, str] = field(default_factory=dict)


def evaluate(task: RunTask) -> RunValues:
    """Run ``task`` and compute its quantities (executed in a worker process when there are several)."""
    try:
        result = sim.run(task.scenario, seed=task.seed)
    except Exception as exc:
        exc.add_note(f"qicsim: while running replicate {task.replicate} (seed {task.seed}) of "
                     f"{task.key!r}, arm {task.arm}")
        raise
    values: dict[str, float] = {}
    missing: dict[str, str] = {}
    for name in task.quantities:
        try:
            values[name] = quantities.compute(name, result.summary, result.team_outcomes, task.scenario)
        except quantities.QuantityNotAvailable as exc:
            values[name], missing[name] = math.nan, str(exc)
    return RunValues(task, values, missing)


def arm_scenario(scenario: Scenario, arm: str) -> Scenario:
    """The scenario of an arm: the group's scenario, or its control (``mode=none``)."""
    overrides = {k: v for k, v in quantities.ARMS[arm].items() if getattr(scenario, k) != v}
    return scenario.with_overrides(**overrides) if overrides else scenario


@dataclass(frozen=True)
class Job:
    """A scenario to replicate and the target quantities to compute from it."""

    key: str
    scenario: Scenario
    quantities: tuple[str, ...]

    def tasks(self, reps: int, seed: int) -> list[RunTask]:
        by_arm: dict[str, list[str]] = {}
        for name in dict.fromkeys(self.quantities):
            by_arm.setdefault(quantities.get(name).arm, []).append(name)
        scenarios = {arm: arm_scenario(self.scenario, arm) for arm in by_arm}
        return [RunTask(self.key, arm, r, sim.derive_seed(seed, r), scenarios[arm], tuple(names))
                for r in range(reps) for arm, names in by_arm.items()]


@dataclass(frozen=True)
class Samples:
    """One quantity's value in each replicate (in replicate order), and why it is missing, if it is."""

    values: np.ndarray
    missing: str | None = None

    def stats(self) -> tuple[float, float, float, int]:
        """Mean, 2.5% and 97.5% percentiles over the replicates with a value, and their number."""
        return replicate_interval(self.values)


def collect(jobs: Sequence[Job], reps: int, seed: int, backend: Backend | None = None, workers: int = 1,
            progress: Callable[[], object] | None = None) -> dict[str, dict[str, Samples]]:
    """Run every job's replicates (on ``backend``, or a new one of ``workers`` processes) and return,
    per job key and quantity, the values in replicate order."""
    tasks = [t for job in jobs for t in job.tasks(reps, seed)]
    results: dict[tuple[str, str, int], RunValues] = {}
    own = backend is None
    active = make_backend(workers) if backend is None else backend
    try:
        stream = active.imap_unordered(evaluate, tasks)
        try:
            for done in stream:
                results[(done.task.key, done.task.arm, done.task.replicate)] = done
                if progress is not None:
                    progress()
        finally:
            stream.close()
    finally:
        if own:
            active.close()
    out: dict[str, dict[str, Samples]] = {}
    for job in jobs:
        per: dict[str, Samples] = {}
        for name in dict.fromkeys(job.quantities):
            arm = quantities.get(name).arm
            runs = [results[(job.key, arm, r)] for r in range(reps)]
            reasons = [run.missing[name] for run in runs if name in run.missing]
            per[name] = Samples(np.array([run.values[name] for run in runs], dtype=float),
                                reasons[0] if reasons else None)
        out[job.key] = per
    return out


def runs_needed(jobs: Iterable[Job], reps: int) -> int:
    """How many simulation runs :func:`collect` makes (for a progress bar)."""
    return sum(len({quantities.get(q).arm for q in job.quantities}) for job in jobs) * reps


# ---- judging ---------------------------------------------------------------------------------


def judge(group: str, scenario: str, target: Target, samples: Samples, reps: int) -> dict[str, object]:
    """One row of the validation table: the target, the simulated mean and interval, and the verdict."""
    mean, p_low, p_high, n = samples.stats()
    low, high = target.bounds()
    row: dict[str, object] = {
        "group": group, "scenario": scenario, "quantity": target.quantity, "kind": target.kind,
        "value": target.value, "tolerance": target.tolerance, "low": low, "high": high,
        "mean": mean, "p2_5": p_low, "p97_5": p_high, "replicates_with_value": n,
        "excess": math.nan, "status": FAIL, "message": "", "note": target.note,
    }
    if samples.missing is not None:
        row.update(status=NOT_AVAILABLE, mean=math.nan, p2_5=math.nan, p97_5=math.nan, replicates_with_value=0,
                   message=f"not available: {samples.missing}")
        return row
    if n == 0:
        row["message"] = f"no value in any of the {reps} replicates"
        return row
    row["excess"] = target.excess(mean)
    row["status"] = PASS if target.passes(mean) else FAIL
    if n < reps:
        row["message"] = f"no value in {reps - n} of {reps} replicates; mean and interval use the others"
    if row["status"] == FAIL:
        d = number_decimals(target.value, target.tolerance)
        side = "above the upper" if row["excess"] > 0 else "below the lower"
        miss = f"{abs(row['excess']):,.{min(4, d + 1)}f} {side} bound"
        row["message"] = f"{miss}; {row['message']}" if row["message"] else miss
    return row


@dataclass(frozen=True)
class GroupPlan:
    """A target group with its loaded scenario."""

    name: str
    group: Group
    source: str
    scenario: Scenario

    def job(self) -> Job:
        return Job(self.name, self.scenario, tuple(t.quantity for t in self.group.targets))


def plan(targets: TargetsFile, only: list[str] | None = None) -> list[GroupPlan]:
    """The groups to validate with their scenarios loaded (bad scenarios raise ``ScenarioError``
    naming the group)."""
    plans = []
    for name, group in targets.select(only).items():
        source = targets.scenario_source(name)
        try:
            scenario = sim.load_scenario(source)
        except sim.ScenarioError as exc:
            raise sim.ScenarioError(f"{targets.origin}, group '{name}': {exc}") from None
        plans.append(GroupPlan(name, group, source, scenario))
    return plans


@dataclass(frozen=True)
class ValidationReport:
    """The validation table (one row per target, :data:`COLUMNS`) and notes on the groups."""

    table: pd.DataFrame
    reps: int
    seed: int
    notes: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return bool((self.table["status"] == PASS).all())

    def counts(self) -> dict[str, int]:
        return {s: int((self.table["status"] == s).sum()) for s in (PASS, FAIL, NOT_AVAILABLE)}


def group_notes(targets: TargetsFile, plans: Sequence[GroupPlan], only: list[str] | None) -> list[str]:
    """Notes: published team counts the scenario does not use, and groups of claims that are not run."""
    notes = []
    for p in plans:
        if p.group.teams is not None and p.group.teams != p.scenario.teams:
            notes.append(f"group '{p.name}': the published collaborative had {p.group.teams} teams; "
                         f"scenario '{p.scenario.name}' has {p.scenario.teams}")
    for name, group in targets.groups.items():
        if not group.numeric and (not only or name in only):
            notes.append(f"group '{name}': {len(group.claims)} qualitative claim(s), not numeric targets; "
                         "qicsim validate does not check them (the effect tests in tests/ do)")
    return notes


def validate(targets: TargetsFile, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED, workers: int = 1,
             only: list[str] | None = None, progress: Callable[[], object] | None = None,
             plans: Sequence[GroupPlan] | None = None) -> ValidationReport:
    """Run every selected group's scenario ``reps`` times and judge each target on the mean."""
    plans = plan(targets, only) if plans is None else plans
    samples = collect([p.job() for p in plans], reps, seed, workers=workers, progress=progress)
    rows = [judge(p.name, p.scenario.name, t, samples[p.name][t.quantity], reps)
            for p in plans for t in p.group.targets]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return ValidationReport(table, reps, seed, tuple(group_notes(targets, plans, only)))


# ---- the printed table -----------------------------------------------------------------------


def _number(x: float, decimals: int) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:,.{decimals}f}"


def format_table(table: pd.DataFrame) -> str:
    """The validation table as text: group, scenario, quantity, published (rule), simulated mean
    (95% interval) and the verdict."""
    headers = ["group", "scenario", "quantity", "published", "simulated mean (95% interval)", "result"]
    rows = []
    for r in table.itertuples(index=False):
        d = number_decimals(r.value, r.tolerance)
        if r.status == NOT_AVAILABLE:
            sim_text = "not available"
        else:
            sim_text = f"{_number(r.mean, d)} ({_number(r.p2_5, d)} to {_number(r.p97_5, d)})"
        rows.append([r.group, r.scenario, r.quantity, describe(r.kind, r.value, r.tolerance, d), sim_text,
                     "N/A" if r.status == NOT_AVAILABLE else r.status])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)])
