"""Calibration: move a scenario's free inputs until its simulated figures match the published ones.

Which inputs may move, and within which ranges, is part of the targets file: each group lists them
under ``free`` (``analysis/targets.yaml`` documents the choice for every group of the paper's
figures). Only model *inputs* are ever moved -- no outcome is written -- so a calibrated scenario
reproduces a figure only through the model's mechanisms (the rule in ``sim/parameters.py``).

**Objective.** For a candidate set of inputs the scenario is run over R replicates on *common
random numbers* -- replicate ``r`` always with seed ``sim.derive_seed(seed, r)`` -- so the objective
is a deterministic function of the inputs and two candidates differ by their inputs, not by luck.
Each target's mean over the replicates is compared with its rule (:mod:`analysis.targets`):

- the **distance** is the sum over targets of squared standardised misses, ``(miss / scale)^2``,
  where the miss is how far the mean lies outside the tolerance band (0 inside) and ``scale`` the
  tolerance (a tenth of the published value when the tolerance is 0); distance 0 = every target met;
- the **objective** minimised is the distance plus ``CENTRING`` times the squared distance of each
  quantity's mean from the middle of its band (an ``about`` target's published value, or the middle
  between an ``at_least`` and an ``at_most`` target on the same quantity), in half-widths: a small
  pull to the middle so that the fit does not stop on an edge where other seeds would fail it;
- a target whose mean is NaN adds :data:`NAN_PENALTY`; a target the outputs cannot give
  (*not available*) is left out and reported.

**Optimiser.** Nelder-Mead (``scipy.optimize.minimize``) on the free inputs scaled to [0, 1] and
bounded there, from the scenario's current values, with a first simplex of a quarter of each range
so that its steps are larger than the objective's small jumps (drop-outs and successes are counts).
It needs no gradient, copes with a step-like objective and makes progress within a few dozen
evaluations; it is local, so the starting point (the current, sourced values) matters, as it should.
Every candidate is rounded to 4 significant figures before it is run, so the written file
reproduces the evaluated scenario exactly; repeated candidates come from a cache. The budget is a
hard limit on distinct evaluations (each is R runs, 2R when a target needs the control arm).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.optimize import minimize

import sim
from analysis.targets import Target, TargetsError, TargetsFile, is_builtin, scale
from analysis.validation import Job, Samples, collect, runs_needed
from experiments.backends import Backend, make_backend
from sim.parameters import Scenario, parameter_info

CENTRING = 0.1
"""Weight of the pull towards the published value of ``about`` targets in the objective."""
NAN_PENALTY = 100.0
"""Objective and distance added for a target whose mean over replicates is NaN."""
SIGNIFICANT_FIGURES = 4
INITIAL_STEP = 0.25
"""First simplex: each vertex moves one input by this share of its range."""
DEFAULT_REPS, DEFAULT_SEED, DEFAULT_BUDGET = 10, 1001, 40


def round_sig(x: float, figures: int = SIGNIFICANT_FIGURES) -> float:
    """``x`` rounded to ``figures`` significant figures."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, figures - 1 - math.floor(math.log10(abs(x))))


@dataclass(frozen=True)
class FreeParameter:
    """An input calibration may move, within ``[low, high]``."""

    name: str
    low: float
    high: float

    @property
    def integer(self) -> bool:
        return Scenario.model_fields[self.name].annotation is int

    def from_unit(self, u: float) -> float | int:
        """The input's value at position ``u`` in [0, 1] of its range (rounded; whole for integers)."""
        x = self.low + min(1.0, max(0.0, float(u))) * (self.high - self.low)
        return int(round(x)) if self.integer else round_sig(x)

    def to_unit(self, value: float) -> float:
        """The position of ``value`` in the range, clipped to [0, 1]."""
        return min(1.0, max(0.0, (float(value) - self.low) / (self.high - self.low)))


@dataclass(frozen=True)
class Evaluation:
    """One candidate: its inputs, each target's mean, and the distance and objective."""

    params: dict[str, Any]
    means: tuple[float, ...]
    distance: float
    objective: float


def distance_terms(targets: Sequence[Target], means: Sequence[float]) -> tuple[float, float]:
    """The distance (sum of squared standardised misses) and the objective for targets' means.

    The objective adds, for each quantity whose targets bound it on both sides (an ``about`` target,
    or an ``at_least`` and an ``at_most`` one), ``CENTRING`` times the squared distance of its mean
    from the middle of the band, in half-widths of the band (in :func:`scale` units for a band of
    width 0).
    """
    distance = objective = 0.0
    bands: dict[str, tuple[float, float, float, Target]] = {}  # quantity -> (low, high, mean, first target)
    for target, mean in zip(targets, means, strict=True):
        if math.isnan(mean):
            distance += NAN_PENALTY
            objective += NAN_PENALTY
            continue
        miss = target.standardised_miss(mean) ** 2
        distance += miss
        objective += miss
        low, high = target.bounds()
        if target.quantity in bands:
            old_low, old_high, _, first = bands[target.quantity]
            bands[target.quantity] = (max(low, old_low), min(high, old_high), mean, first)
        else:
            bands[target.quantity] = (low, high, mean, target)
    for low, high, mean, first in bands.values():
        if not (math.isfinite(low) and math.isfinite(high)) or high < low:
            continue
        half = (high - low) / 2 if high > low else scale(first.value, first.tolerance)
        objective += CENTRING * ((mean - (low + high) / 2) / half) ** 2
    return distance, objective


class BudgetExhausted(Exception):
    """The evaluation budget is spent (stops the optimiser; the best candidate so far is kept)."""


class Problem:
    """The calibration objective over a scenario's free inputs, with a cache and a budget."""

    def __init__(self, scenario: Scenario, targets: Sequence[tuple[str, Target]], free: Sequence[FreeParameter],
                 reps: int, seed: int, budget: int, backend: Backend,
                 progress: Callable[[], object] | None = None) -> None:
        self.scenario, self.free, self.reps, self.seed, self.budget = scenario, list(free), reps, seed, budget
        self.backend, self.progress = backend, progress
        self.all_targets = list(targets)
        self.targets = list(targets)  # those the outputs can give (set after the first evaluation)
        self.skipped: dict[tuple[str, str], str] = {}
        self.history: list[Evaluation] = []
        self._cache: dict[tuple[Any, ...], Evaluation] = {}

    def runs_per_evaluation(self) -> int:
        return runs_needed([self._job(self.scenario)], self.reps)

    def _job(self, scenario: Scenario) -> Job:
        return Job("calibration", scenario, tuple(t.quantity for _, t in self.targets))

    def evaluate(self, params: dict[str, Any]) -> Evaluation:
        """Run the scenario with ``params`` (cached) and score it."""
        key = tuple(params[p.name] for p in self.free)
        if key in self._cache:
            return self._cache[key]
        if len(self._cache) >= self.budget:
            raise BudgetExhausted
        scenario = self.scenario.with_overrides(**params)
        samples = collect([self._job(scenario)], self.reps, self.seed, backend=self.backend)["calibration"]
        if not self._cache:
            self._drop_unavailable(samples)
        means = tuple(samples[t.quantity].stats()[0] for _, t in self.targets)
        distance, objective = distance_terms([t for _, t in self.targets], means)
        evaluation = Evaluation(dict(params), means, distance, objective)
        self._cache[key] = evaluation
        self.history.append(evaluation)
        if self.progress is not None:
            self.progress()
        return evaluation

    def _drop_unavailable(self, samples: dict[str, Samples]) -> None:
        for group, target in self.targets:
            if samples[target.quantity].missing is not None:
                self.skipped[(group, target.quantity)] = samples[target.quantity].missing or ""
        self.targets = [(g, t) for g, t in self.targets if (g, t.quantity) not in self.skipped]
        if not self.targets:
            raise TargetsError("no target can be computed from this scenario's outputs: "
                               + "; ".join(f"{g}.{q}: {why}" for (g, q), why in self.skipped.items()))

    def at(self, u: np.ndarray) -> dict[str, Any]:
        return {p.name: p.from_unit(x) for p, x in zip(self.free, u, strict=True)}

    def objective(self, u: np.ndarray) -> float:
        return self.evaluate(self.at(u)).objective

    def best(self) -> Evaluation:
        """The candidate with the lowest objective (the earliest of equals)."""
        return min(self.history, key=lambda e: e.objective)


@dataclass(frozen=True)
class CalibrationResult:
    """What a calibration did: the scenario, groups, free inputs, targets, before and after."""

    source: str
    scenario: Scenario
    groups: tuple[str, ...]
    targets_origin: str
    free: tuple[FreeParameter, ...]
    targets: tuple[tuple[str, Target], ...]
    skipped: dict[tuple[str, str], str]
    before: Evaluation
    after: Evaluation
    evaluations: int
    runs: int
    reps: int
    seed: int
    budget: int

    def fitted_scenario(self) -> Scenario:
        return self.scenario.with_overrides(**self.after.params)


# ---- choosing groups and free inputs ---------------------------------------------------------


def scenario_identity(text: str, directory: Path | None = None) -> str:
    """A built-in scenario's name, or a scenario file's absolute path (``directory``: what a relative
    path is relative to)."""
    if is_builtin(text):
        return text
    path = Path(text)
    if not path.is_absolute() and directory is not None:
        path = directory / path
    return str(path.resolve())


def choose_groups(targets: TargetsFile, scenario: str, groups: list[str] | None) -> list[str]:
    """The groups to calibrate against: those named, or every group whose scenario is ``scenario``."""
    if groups:
        targets.select(groups)  # refuses unknown names
        empty = [g for g in groups if not targets.groups[g].numeric]
        if empty:
            raise TargetsError(f"{targets.origin}: group(s) {', '.join(empty)} have no numeric targets")
        return list(dict.fromkeys(groups))
    wanted = scenario_identity(scenario)
    chosen = [name for name, g in targets.numeric_groups().items()
              if scenario_identity(targets.scenario_source(name)) == wanted]
    if not chosen:
        listing = ", ".join(f"{n} ({g.scenario})" for n, g in targets.numeric_groups().items())
        raise TargetsError(f"{targets.origin}: no target group names scenario '{scenario}' "
                           f"(groups: {listing}); use --group to pick one")
    return chosen


def free_parameters(targets: TargetsFile, groups: Sequence[str]) -> list[FreeParameter]:
    """The union of the groups' free inputs; the same input with different ranges is refused."""
    ranges: dict[str, tuple[float, float]] = {}
    for g in groups:
        for name, (low, high) in targets.groups[g].free.items():
            if name in ranges and ranges[name] != (low, high):
                raise TargetsError(f"{targets.origin}: free parameter '{name}' has range {list(ranges[name])} "
                                   f"in one group and [{low:g}, {high:g}] in group '{g}'")
            ranges[name] = (low, high)
    if not ranges:
        raise TargetsError(f"{targets.origin}: group(s) {', '.join(groups)} list no free parameters; add "
                           "`free: {parameter: [low, high], ...}` to say which inputs calibration may move")
    return [FreeParameter(n, lo, hi) for n, (lo, hi) in ranges.items()]


# ---- the calibration -------------------------------------------------------------------------


def initial_simplex(x0: np.ndarray, step: float = INITIAL_STEP) -> np.ndarray:
    """x0 and one vertex per input, moved by ``step`` towards the side of the range with more room."""
    vertices = [x0]
    for i in range(len(x0)):
        v = x0.copy()
        v[i] = x0[i] + step if x0[i] + step <= 1.0 else x0[i] - step
        vertices.append(v)
    return np.array(vertices)


def calibrate(targets: TargetsFile, scenario: str, groups: list[str] | None = None, reps: int = DEFAULT_REPS,
              seed: int = DEFAULT_SEED, budget: int = DEFAULT_BUDGET, workers: int = 1,
              progress: Callable[[], object] | None = None) -> CalibrationResult:
    """Fit the free inputs of ``scenario`` (a built-in name or a file) to the targets of ``groups``
    (default: the groups that name it), within ``budget`` evaluations of ``reps`` replicates each."""
    if budget < 1:
        raise ValueError("budget must be at least 1 evaluation")
    chosen = choose_groups(targets, scenario, groups)
    free = free_parameters(targets, chosen)
    base = sim.load_scenario(scenario)
    pairs = [(g, t) for g in chosen for t in targets.groups[g].targets]
    current = {p.name: getattr(base, p.name) for p in free}
    with make_backend(workers) as backend:
        problem = Problem(base, pairs, free, reps, seed, budget, backend, progress)
        before = problem.evaluate(current)
        x0 = np.array([p.to_unit(current[p.name]) for p in free])
        with contextlib.suppress(BudgetExhausted):  # the budget ends the search; the best so far stands
            minimize(problem.objective, x0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * len(free),
                     options={"initial_simplex": initial_simplex(x0), "maxfev": 50 * budget,
                              "xatol": 1e-3, "fatol": 1e-4})
        after = problem.best()
    return CalibrationResult(scenario, base, tuple(chosen), targets.origin, tuple(free), tuple(problem.targets),
                             problem.skipped, before, after, len(problem.history),
                             len(problem.history) * problem.runs_per_evaluation(), reps, seed, budget)


# ---- the calibrated scenario file ------------------------------------------------------------


def default_output(scenario: str) -> Path:
    """``<scenario>-calibrated.yaml`` in the current directory."""
    stem = scenario if is_builtin(scenario) else Path(scenario).stem
    return Path(f"{stem}-calibrated.yaml")


def base_reference(source: str, out: Path) -> str:
    """How the calibrated file names its base: the built-in name, or the scenario file's path relative
    to the calibrated file (``base`` is resolved relative to the file that names it)."""
    if is_builtin(source):
        return source
    target = Path(source).resolve()
    try:
        return os.path.relpath(target, out.resolve().parent)
    except ValueError:  # another drive (Windows)
        return str(target)


def _fmt(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.4g}"


def scenario_file_text(result: CalibrationResult, out: Path, version: str = "") -> str:
    """The calibrated scenario as YAML: ``base`` the original, only the fitted inputs, and a comment
    header saying what was calibrated, against which targets, the distance before and after, the seeds."""
    s = result.scenario
    lines = [
        f"# Calibrated by `qicsim calibrate`{f' (qicsim {version})' if version else ''}: inputs of scenario "
        f"{result.source!r} fitted to",
        f"# the targets of group(s) {', '.join(result.groups)} in {result.targets_origin}.",
        "# Inputs calibrated (value before -> after, [search range]):",
    ]
    for p in result.free:
        lines.append(f"#   {p.name}: {getattr(s, p.name)!r} -> {result.after.params[p.name]!r} "
                     f"[{p.low:g}, {p.high:g}]")
    lines.append("# Targets (mean over replicates before -> after):")
    for (group, t), b, a in zip(result.targets, result.before.means, result.after.means, strict=True):
        lines.append(f"#   {group}: {t.quantity} {t.describe()}: {_fmt(b)} -> {_fmt(a)}")
    for (group, q), why in result.skipped.items():
        lines.append(f"#   {group}: {q}: not available, not fitted ({why})")
    lines += [
        f"# Distance (sum of squared standardised misses; 0 = every target met): before "
        f"{result.before.distance:.4g}, after {result.after.distance:.4g}",
        f"# Common random numbers: {result.reps} replicates, replicate r with seed derive_seed({result.seed}, r); "
        f"{result.evaluations} evaluations ({result.runs} runs), budget {result.budget}.",
        "# Fitted on these seeds only: check with `qicsim validate` (other seeds) before relying on it.",
    ]
    sections: dict[str, dict[str, Any]] = {}
    for p in result.free:
        sections.setdefault(str(parameter_info(p.name)["section"]), {})[p.name] = result.after.params[p.name]
    doc = {
        "name": f"{s.name}-calibrated",
        "description": f"{s.name} with {', '.join(p.name for p in result.free)} calibrated to the targets of "
                       f"{', '.join(result.groups)}",
        "base": base_reference(result.source, out),
        "parameters": sections,
    }
    return "\n".join(lines) + "\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
