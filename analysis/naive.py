"""The naive comparison model: a collaborative without agents, each team's outcomes drawn independently.

A sceptical reviewer's point: a model with no mechanisms can reproduce figures it was tuned to.
This is that model, made honest: its few numbers are fitted to the same calibration figures as the
agent-based model (:func:`fit`), round assumptions taken from no target figure where those figures
are silent (or were left out of the fit), and it predicts
the validation figures the same way -- a run of a scenario gives a result with the same columns,
so every quantity (:mod:`analysis.quantities`) is computed alike. It has no parameter
uncertainty: its intervals hold only the draws of teams.

Per team, independently (``dropped``: Bernoulli; relative improvement at the end of the
collaborative: normal, the same for the last two months and for dropped teams; successful changes:
Poisson; first result: gamma in a collaborative, lognormal in a traditional project; organising:
gamma; roll-out: Bernoulli with exponential days; still using QI at the end of follow-up: Bernoulli;
never measured: Bernoulli). A control arm (mode ``none``) has no improvement, no changes and no
drop-out. Spread: a participating organisation's other units adopt all together with the roll-out
chance; other organisations never (the naive model has no network).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from qicsim.analysis.targets import CALIBRATION, TargetsFile
from qicsim.sim.calendar import Calendar


@dataclass(frozen=True)
class NaiveModel:
    """The naive model's numbers. The defaults are round assumptions taken from no target figure (so that a
    figure left out of a fit is not known to the naive model either); :func:`fit` replaces those the calibration
    figures speak to."""

    dropout: float = 0.15                 # assumption (fitted: the general drop-out band's midpoint)
    improvement_mean: float = 0.10        # assumption (fitted: general and caesarean improvement shares)
    improvement_sd: float = 0.20          # assumption (fitted, with the mean)
    changes_mean: float = 3.0             # assumption: a few successful changes per team
    first_result_months: float = 4.0      # assumption: a first result within the first action period
    traditional_first_result_months: float = 12.0  # assumption (fitted: traditional mean months to a result)
    traditional_first_result_log_sd: float = 0.6   # assumption
    organising_months: float = 2.0        # assumption (fitted: traditional months organising)
    roll_out: float = 0.5                 # assumption: even odds (fitted: traditional projects rolled out)
    roll_out_days: float = 60.0           # assumption (fitted: traditional days to roll out)
    continued_qi: float = 0.5             # assumption: half the teams keep using QI after the end
    never_measured: float = 0.05          # assumption: few teams never measure
    gamma_shape: float = 4.0              # assumption: shape of the gamma times (first result, organising)
    fitted: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return ", ".join(f"{k}={v:g}" for k, v in asdict(self).items() if isinstance(v, float))


def fit(targets: TargetsFile, exclude: Collection[str] = ()) -> NaiveModel:
    """The naive model with its numbers fitted to the calibration figures it can speak to (without the groups
    in ``exclude``: a leave-one-out comparison leaves them out of both models' fits)."""
    model = NaiveModel()
    groups = [g for name, g in targets.numeric_groups().items() if name not in exclude]
    figures = {t.quantity: t for g in groups for t in g.scored(CALIBRATION)}
    fitted: dict[str, str] = {}
    bands = {"significant_improvement_rate": (0.2, math.inf), "share_reduction_at_least_30pct": (0.3, math.inf),
             "share_reduction_10_to_30pct": (0.1, 0.3)}
    shares = [(bands[q], figures[q].value) for q in bands if q in figures and figures[q].kind == "about"]
    if len(shares) >= 2:
        def misfit(x: np.ndarray) -> float:
            mean, log_sd = x
            sd = math.exp(log_sd)
            return sum((stats.norm.cdf(high, mean, sd) - stats.norm.cdf(low, mean, sd) - value) ** 2
                       for (low, high), value in shares)

        best = optimize.minimize(misfit, [model.improvement_mean, math.log(model.improvement_sd)],
                                 method="Nelder-Mead")
        model = replace(model, improvement_mean=float(best.x[0]), improvement_sd=float(math.exp(best.x[1])))
        fitted["improvement"] = ", ".join(q for q in bands if q in figures)
    bounds = [t.value for g in groups for t in g.scored(CALIBRATION) if t.quantity == "dropout_rate"]
    if len(bounds) >= 2:
        model = replace(model, dropout=float(np.mean(bounds)))
        fitted["dropout"] = "midpoint of the drop-out bounds"
    for quantity, name in (("mean_months_to_first_result", "traditional_first_result_months"),
                           ("mean_months_organising", "organising_months"),
                           ("share_rolled_out_to_other_units", "roll_out"), ("mean_days_roll_out", "roll_out_days")):
        if quantity in figures and figures[quantity].kind == "about":
            model = replace(model, **{name: float(figures[quantity].value)})
            fitted[name] = quantity
    return replace(model, fitted=fitted)


@dataclass(frozen=True)
class NaiveResult:
    """A naive run: what :mod:`analysis.quantities` reads from a run."""

    scenario: Any
    seed: int
    summary: dict[str, float]
    team_outcomes: pd.DataFrame
    teams: pd.DataFrame


def run(model: NaiveModel, scenario: Any, seed: int) -> NaiveResult:
    """One collaborative of the scenario's size, its teams' outcomes drawn from the naive model."""
    rng = np.random.default_rng([int(seed), 0x6E616976])
    n = scenario.teams
    calendar = Calendar.for_scenario(scenario)
    control = scenario.mode == "none"
    traditional = scenario.mode == "traditional"
    baseline = scenario.baseline_performance * np.ones(n)
    dropped = np.zeros(n, bool) if control else rng.random(n) < model.dropout
    improvement = np.zeros(n) if control else rng.normal(model.improvement_mean, model.improvement_sd, n)
    sign = -1.0 if scenario.measure_direction == "lower_is_better" else 1.0
    end = baseline * (1 + sign * improvement)
    changes = np.zeros(n, int) if control else rng.poisson(model.changes_mean, n)
    if traditional:
        sigma = model.traditional_first_result_log_sd
        first = np.exp(rng.normal(math.log(model.traditional_first_result_months) - sigma**2 / 2, sigma, n))
        organising = rng.gamma(model.gamma_shape, model.organising_months / model.gamma_shape, n)
    else:
        first = rng.gamma(model.gamma_shape, model.first_result_months / model.gamma_shape, n)
        organising = np.zeros(n)
    first = np.where(control, np.nan, np.ceil(first))
    rolled = (rng.random(n) < model.roll_out) & (not control)
    days = np.where(rolled, rng.exponential(model.roll_out_days, n), np.nan)
    continued = (rng.random(n) < model.continued_qi) & (not control) & ~dropped
    measured = np.where(rng.random(n) < model.never_measured, 0, calendar.end_month)
    outcomes = pd.DataFrame({
        "team_id": np.arange(1, n + 1), "dropped": dropped, "relative_improvement": improvement,
        "significant_improvement": improvement >= scenario.significant_improvement_threshold,
        "relative_change": sign * improvement, "performance_baseline": baseline, "performance_end": end,
        "successful_changes": changes, "changes_in_practice": changes, "changes_improving_measure": changes,
        "first_result_month": first, "months_organising": organising, "roll_out_days": days,
        "continued_qi": continued, "months_measured": measured,
    })
    months = [calendar.end_month - 1, calendar.end_month]
    teams = pd.DataFrame({"team_id": np.tile(outcomes["team_id"], 2), "month": np.repeat(months, n),
                          "true_performance": np.tile(end, 2)})
    inside = float(np.mean(rolled)) if n else math.nan
    summary = {
        "dropout_rate": float(dropped.mean()), "significant_improvement_rate": float(outcomes["significant_improvement"]
                                                                                      .mean()),
        "mean_relative_improvement": float(improvement.mean()), "continued_qi_rate": float(continued.mean()),
        "months_to_first_result_mean": float(np.nanmean(first)) if np.isfinite(first).any() else math.nan,
        "months_organising_mean": float(organising.mean()), "mean_measure_end": float(end.mean()),
        "spread_share_inside_end": inside, "spread_share_outside_end": 0.0,
    }
    return NaiveResult(scenario, seed, summary, outcomes, teams)


def runs(model: NaiveModel, scenario: Any, seeds: list[int]) -> list[NaiveResult]:
    """Naive runs of one scenario on each seed (``sim.derive_seed`` seeds, as the model's replicates)."""
    return [run(model, scenario, s) for s in seeds]


