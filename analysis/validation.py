"""Validation: does the model predict published figures it was not fitted to -- better than a naive model?

Every figure in the targets file is either ``calibration`` (the shared inputs were fitted to it) or
``validation`` (never used to fit anything). For each group the group's scenario is run over R
replicates -- replicate ``r`` with seed ``sim.derive_seed(seed, r)`` and, with a posterior, the
posterior draw that seed picks (:class:`sim.posterior.Posterior`), so the interval over replicates
holds both the inputs' uncertainty and the simulation's own noise. A quantity on the ``control``
arm is computed from the same scenario, draw and seed with ``mode=none``. The naive model
(:mod:`analysis.naive`), fitted to the same calibration figures, predicts the same figures on the
same seeds.

For each figure the report gives the prediction's mean and 95% interval (2.5th-97.5th percentile of
the replicates) beside the published value; whether the interval covers it; and the interval score
of each model (Gneiting & Raftery 2007: the interval's width plus 2/alpha times how far the published
value lies outside it; lower is better), divided by the figure's tolerance so that figures of
different units add up. A bound ("at most 30%") is scored only for coverage. The totals are over the
validation figures (primary readings); figures of a group the posterior was calibrated without
(leave-one-out) count as validation. Another reading of a source (``definition``) is shown beside
the primary one and never scored. PASS/FAIL is kept for the mean: within the published tolerance.

Runs may go to several processes (:mod:`experiments.backends`); every run carries its own seed and
results are put back in replicate order, so the report is the same for any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qicsim import sim
from qicsim.analysis import naive, quantities
from qicsim.analysis.defaults import VALIDATION_REPS, VALIDATION_SEED
from qicsim.analysis.targets import (
    CALIBRATION,
    VALIDATION,
    Group,
    Target,
    TargetsFile,
    describe,
    number_decimals,
    scale,
)
from qicsim.experiments.backends import Backend, make_backend
from qicsim.sim.outcomes import replicate_interval
from qicsim.sim.parameters import Scenario
from qicsim.sim.posterior import Posterior

PASS, FAIL, NOT_AVAILABLE = "PASS", "FAIL", "NOT AVAILABLE"
DEFAULT_REPS, DEFAULT_SEED = VALIDATION_REPS, VALIDATION_SEED
ALPHA = 0.05
"""The intervals are 95% (2.5th-97.5th percentiles); the interval score's penalty is 2/alpha."""
LEFT_OUT = "validation (left out of the calibration)"

COLUMNS = ("group", "scenario", "quantity", "set", "definition", "published", "kind", "tolerance", "predicted_mean",
           "predicted_low", "predicted_high", "covered", "model_score", "naive_mean", "naive_low", "naive_high",
           "naive_covered", "naive_score", "replicates_with_value", "status", "within_noise", "message", "note")
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


def measure(task: RunTask, result: Any) -> RunValues:
    """The task's quantities from a result (a model run's or the naive model's)."""
    values: dict[str, float] = {}
    missing: dict[str, str] = {}
    for name in task.quantities:
        try:
            values[name] = quantities.compute(name, result)
        except quantities.QuantityNotAvailable as exc:
            values[name], missing[name] = math.nan, str(exc)
    return RunValues(task, values, missing)


def evaluate(task: RunTask) -> RunValues:
    """Run ``task`` and compute its quantities (executed in a worker process when there are several)."""
    try:
        result = sim.run(task.scenario, seed=task.seed)
    except Exception as exc:
        exc.add_note(f"qicsim: while running replicate {task.replicate} (seed {task.seed}) of "
                     f"{task.key!r}, arm {task.arm}")
        raise
    return measure(task, result)


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

    def tasks(self, reps: int, seed: int, posterior: Posterior | None = None) -> list[RunTask]:
        """Each replicate's run of each arm: its seed, and with a posterior the draw that seed picks."""
        by_arm: dict[str, list[str]] = {}
        for name in dict.fromkeys(self.quantities):
            by_arm.setdefault(quantities.get(name).arm, []).append(name)
        tasks = []
        for r in range(reps):
            run_seed = sim.derive_seed(seed, r)
            scenario = posterior.apply(self.scenario, run_seed) if posterior is not None else self.scenario
            tasks += [RunTask(self.key, arm, r, run_seed, arm_scenario(scenario, arm), tuple(names))
                      for arm, names in by_arm.items()]
        return tasks


@dataclass(frozen=True)
class Samples:
    """One quantity's value in each replicate (in replicate order), and why it is missing, if it is."""

    values: np.ndarray
    missing: str | None = None

    def stats(self) -> tuple[float, float, float, int]:
        """Mean, 2.5% and 97.5% percentiles over the replicates with a value, and their number."""
        return replicate_interval(self.values)

    def standard_error(self) -> float:
        """The standard error of the mean over the replicates with a value (NaN with fewer than two)."""
        values = self.values[np.isfinite(self.values)]
        return float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan


def gather(jobs: Sequence[Job], reps: int,
           done: dict[tuple[str, str, int], RunValues]) -> dict[str, dict[str, Samples]]:
    """Per job key and quantity, the values in replicate order."""
    out: dict[str, dict[str, Samples]] = {}
    for job in jobs:
        per: dict[str, Samples] = {}
        for name in dict.fromkeys(job.quantities):
            arm = quantities.get(name).arm
            runs = [done[(job.key, arm, r)] for r in range(reps)]
            reasons = [run.missing[name] for run in runs if name in run.missing]
            per[name] = Samples(np.array([run.values[name] for run in runs], dtype=float),
                                reasons[0] if reasons else None)
        out[job.key] = per
    return out


def collect(jobs: Sequence[Job], reps: int, seed: int, backend: Backend | None = None, workers: int = 1,
            progress: Callable[[], object] | None = None,
            posterior: Posterior | None = None) -> dict[str, dict[str, Samples]]:
    """Run every job's replicates (on ``backend``, or a new one of ``workers`` processes) and return,
    per job key and quantity, the values in replicate order."""
    tasks = [t for job in jobs for t in job.tasks(reps, seed, posterior)]
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
    return gather(jobs, reps, results)


def collect_naive(jobs: Sequence[Job], reps: int, seed: int, model: naive.NaiveModel) -> dict[str, dict[str, Samples]]:
    """The naive model's values of every job's quantities on the same seeds (it runs in a blink)."""
    results = {}
    for job in jobs:
        for task in job.tasks(reps, seed):
            results[(task.key, task.arm, task.replicate)] = measure(task, naive.run(model, task.scenario, task.seed))
    return gather(jobs, reps, results)


def runs_needed(jobs: Iterable[Job], reps: int) -> int:
    """How many simulation runs :func:`collect` makes (for a progress bar)."""
    return sum(len({quantities.get(q).arm for q in job.quantities}) for job in jobs) * reps


# ---- judging ---------------------------------------------------------------------------------


def interval_score(low: float, high: float, value: float, alpha: float = ALPHA) -> float:
    """The interval score of a central (1 - alpha) interval for an observed ``value`` (Gneiting & Raftery
    2007): its width plus 2/alpha times how far the value lies outside it. Lower is better."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return math.nan
    return (high - low) + 2 / alpha * max(0.0, low - value) + 2 / alpha * max(0.0, value - high)


def covers(target: Target, low: float, high: float) -> bool:
    """Whether the interval meets the figure: contains the value, or for a bound reaches its allowed side."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    lo, hi = target.bounds()
    if target.kind == "about":
        return low <= target.value <= high
    return high >= lo and low <= hi


def judge(group: str, scenario: str, figure_set: str, target: Target, samples: Samples, naive_samples: Samples,
          reps: int) -> dict[str, object]:
    """One row of the validation table: the figure, both models' predictions and scores, and the verdict."""
    mean, p_low, p_high, n = samples.stats()
    naive_mean, n_low, n_high, _ = naive_samples.stats()
    point = target.kind == "about"
    unit = scale(target.value, target.tolerance)
    row: dict[str, object] = {
        "group": group, "scenario": scenario, "quantity": target.quantity, "set": figure_set,
        "definition": target.definition, "published": target.value, "kind": target.kind, "tolerance": target.tolerance,
        "predicted_mean": mean, "predicted_low": p_low, "predicted_high": p_high,
        "covered": covers(target, p_low, p_high),
        "model_score": interval_score(p_low, p_high, target.value) / unit if point else math.nan,
        "naive_mean": naive_mean, "naive_low": n_low, "naive_high": n_high,
        "naive_covered": covers(target, n_low, n_high) if naive_samples.missing is None else False,
        "naive_score": (interval_score(n_low, n_high, target.value) / unit if point and naive_samples.missing is None
                        else math.nan),
        "replicates_with_value": n, "status": FAIL, "within_noise": False, "message": "", "note": target.note,
    }
    if samples.missing is not None:
        row.update(status=NOT_AVAILABLE, predicted_mean=math.nan, predicted_low=math.nan, predicted_high=math.nan,
                   covered=False, model_score=math.nan, replicates_with_value=0,
                   message=f"not available: {samples.missing}")
        return row
    if n == 0:
        row["message"] = f"no value in any of the {reps} replicates"
        return row
    row["status"] = PASS if target.passes(mean) else FAIL
    se = samples.standard_error()
    noise = 2 * se
    row["within_noise"] = bool(row["status"] == FAIL and math.isfinite(noise) and abs(target.excess(mean)) <= noise)
    if n < reps:
        row["message"] = f"no value in {reps - n} of {reps} replicates; mean and interval use the others"
    if row["within_noise"]:
        row["message"] = (row["message"] + "; " if row["message"] else "") + (
            f"within sampling noise: the figure is within two standard errors ({noise:.3g}) of the mean; more "
            "--reps would tell")
    if naive_samples.missing is not None:
        row["message"] = (row["message"] + "; " if row["message"] else "") + "the naive model cannot give it"
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
    """The validation table (one row per figure, :data:`COLUMNS`), its totals and notes."""

    table: pd.DataFrame
    reps: int
    seed: int
    notes: tuple[str, ...]
    posterior: str
    naive: str

    def scored(self, which: str) -> pd.DataFrame:
        """Primary readings of one set (calibration, or validation with the left-out groups)."""
        t = self.table[self.table["definition"] == ""]
        if which == VALIDATION:
            return t[t["set"].isin([VALIDATION, LEFT_OUT])]
        return t[t["set"] == which]

    def totals(self) -> pd.DataFrame:
        """Per set: figures, how many each model's interval covers, the mean scaled interval score of each
        (point figures), and how many figures the model scores better than the naive model on."""
        rows = []
        for which in (CALIBRATION, VALIDATION):
            t = self.scored(which)
            point = t[t["kind"] == "about"]
            both = point.dropna(subset=["model_score", "naive_score"])
            rows.append({"set": which, "figures": len(t), "model_covered": int(t["covered"].sum()),
                         "naive_covered": int(t["naive_covered"].sum()),
                         "model_score": float(both["model_score"].mean()) if len(both) else math.nan,
                         "naive_score": float(both["naive_score"].mean()) if len(both) else math.nan,
                         "model_better": int((both["model_score"] < both["naive_score"]).sum()),
                         "scored": len(both)})
        return pd.DataFrame(rows)

    @property
    def calibration_passed(self) -> bool:
        """Whether every calibration figure's mean meets it (a fit that misses its own figures is broken)."""
        return bool((self.scored(CALIBRATION)["status"] == PASS).all())

    def counts(self) -> dict[str, int]:
        return {s: int((self.table["status"] == s).sum()) for s in (PASS, FAIL, NOT_AVAILABLE)}


def group_notes(targets: TargetsFile, plans: Sequence[GroupPlan], only: list[str] | None) -> list[str]:
    """Notes: published team counts the scenario does not use, and groups of claims that are not run."""
    notes = []
    for p in plans:
        if p.group.teams is not None and p.group.teams != p.scenario.teams:
            notes.append(f"group '{p.name}': the published collaborative(s) had {p.group.teams} teams in all; "
                         f"scenario '{p.scenario.name}' has {p.scenario.teams}")
    for name, group in targets.groups.items():
        if not group.numeric and (not only or name in only):
            notes.append(f"group '{name}': {len(group.claims)} qualitative claim(s), not numeric targets; "
                         "qicsim validate does not check them (the effect tests in tests/ do)")
    return notes


def fitted_figures(posterior: Posterior | None) -> set[tuple[str, str, float, str, float]] | None:
    """The figures a posterior was fitted to, as (group, quantity, value, kind, tolerance), from its metadata; None
    when it does not say (or there is no posterior)."""
    if posterior is None or not isinstance(posterior.meta.get("figures"), list):
        return None
    out = set()
    for f in posterior.meta["figures"]:
        group, _, quantity = str(f.get("key", "")).split("/", 2) if str(f.get("key", "")).count("/") >= 2 \
            else ("", "", "")
        out.add((group, quantity, float(f.get("value", math.nan)), str(f.get("kind")), float(f.get("tolerance", 0))))
    return out


def figure_set(group_name: str, group: Group, target: Target,
               fitted: set[tuple[str, str, float, str, float]] | None, left_out: set[str]) -> str:
    """What a figure is for in this validation: calibration if the posterior was fitted to it (whatever the targets
    file now says), the left-out label for a calibration figure it was not fitted to, else the file's set."""
    declared = group.set_of(target)
    if target.definition:
        return declared
    if fitted is not None:
        if (group_name, target.quantity, target.value, target.kind, target.tolerance) in fitted:
            return CALIBRATION
        return LEFT_OUT if declared == CALIBRATION else declared
    return LEFT_OUT if group_name in left_out and declared == CALIBRATION else declared


def validate(targets: TargetsFile, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED, workers: int = 1,
             only: list[str] | None = None, progress: Callable[[], object] | None = None,
             plans: Sequence[GroupPlan] | None = None, posterior: Posterior | None = None) -> ValidationReport:
    """Predict every selected group's figures (``reps`` replicates, each with a posterior draw when given) and
    the naive model's, and judge each figure."""
    plans = plan(targets, only) if plans is None else plans
    jobs = [p.job() for p in plans]
    samples = collect(jobs, reps, seed, workers=workers, progress=progress, posterior=posterior)
    left_out = set(posterior.meta.get("excluded_groups", [])) if posterior is not None else set()
    model = naive.fit(targets, exclude=left_out)
    naive_samples = collect_naive(jobs, reps, seed, model)
    fitted = fitted_figures(posterior)
    rows = []
    for p in plans:
        for t in p.group.targets:
            which = figure_set(p.name, p.group, t, fitted, left_out)
            rows.append(judge(p.name, p.scenario.name, which, t, samples[p.name][t.quantity],
                              naive_samples[p.name][t.quantity], reps))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    described = posterior.describe() if posterior is not None else "none: the scenarios' own values"
    return ValidationReport(table, reps, seed, tuple(group_notes(targets, plans, only)), described, model.describe())


# ---- the printed table -----------------------------------------------------------------------


def _number(x: float, decimals: int) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:,.{decimals}f}"


def format_table(table: pd.DataFrame) -> str:
    """The validation table as text: group, quantity, set, published, the model's and the naive model's
    prediction (mean and 95% interval), whether the model's mean meets the figure, whether each interval covers
    it, and their scores."""
    headers = ["group", "quantity", "set", "published", "model: mean (95% interval)", "mean", "covers", "score",
               "naive: mean (95% interval)", "covers", "score"]
    rows = []
    for r in table.itertuples(index=False):
        d = number_decimals(r.published, r.tolerance)
        model = "not available" if r.status == NOT_AVAILABLE else \
            f"{_number(r.predicted_mean, d)} ({_number(r.predicted_low, d)} to {_number(r.predicted_high, d)})"
        naive_text = f"{_number(r.naive_mean, d)} ({_number(r.naive_low, d)} to {_number(r.naive_high, d)})"
        which = "reading" if r.definition else r.set.replace(" (left out of the calibration)", ", left out")
        rows.append([r.group, r.quantity, which, describe(r.kind, r.published, r.tolerance, d), model,
                     "n/a" if r.status == NOT_AVAILABLE else "FAIL~" if r.within_noise else r.status,
                     "yes" if r.covered else "no",
                     _number(r.model_score, 2), naive_text,
                     "yes" if r.naive_covered else "no", _number(r.naive_score, 2)])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def format_totals(report: ValidationReport) -> str:
    """The totals per set as lines of text."""
    lines = []
    for r in report.totals().itertuples(index=False):
        text = f"{r.set}: {r.figures} figures; intervals cover the published value: model {r.model_covered}, " \
               f"naive {r.naive_covered}"
        if r.scored:
            text += (f"; mean scaled interval score over {r.scored} point figures (lower is better): model "
                     f"{r.model_score:.2f}, naive {r.naive_score:.2f}; the model scores better on {r.model_better}")
        lines.append(text)
    return "\n".join(lines)
