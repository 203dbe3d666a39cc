"""The quantities that published figures name, computed from a finished run's outputs.

Every quantity is computed *after* a run from what the model reports -- a run result's ``summary``,
``team_outcomes`` and monthly ``teams`` table -- and never written by the model itself, so that a
figure is met only when the mechanisms produce it. The naive comparison model
(:mod:`analysis.naive`) produces results of the same shape, so every quantity is computed the same
way for both. Each quantity says which **arm** it needs: ``main`` (the scenario as given) or
``control`` (the same scenario and seed with ``mode=none``: no intervention).

Shares are of the teams that enrolled (intention to treat). Definitions, with the sources' words:

- IHI adverse drug events collaborative (paper, ref 12): a successful change is "an improvement of
  20% or more in the target measure (a decrease in the rate of ADEs or errors, or an increase in
  compliance or another process indicator)". Teams chose their target measures; many were process
  indicators, and a change's own process indicator is how fully it is practised. The primary
  reading (``share_*_successful_change*``) counts a team's changes, adopted during the collaborative,
  still practised at ``successful_change_threshold`` (20 points) or more at its end. Two other
  readings show how much the choice matters: the outcome reading (``*_by_measure``: changes that each
  improved the team's one measure by 20% of its baseline, which a change that closes a share of the
  remaining gap rarely does) and the tests reading (``*_by_tests``: every successful PDSA test during
  the collaborative, what earlier versions counted).
- IHI caesarean section collaborative (ref 11): "30% or more" and "10-30%" reductions of the
  caesarean rate are relative improvements >= 0.30 and 0.10 <= x < 0.30.
- UK orthopaedic collaborative (refs 1, 6): the sources do not define a "significant decrease";
  the paper's general usage (an improvement of 20% or more) is the primary reading
  (``share_significant_decrease``); ``share_decrease_at_least_5pct``, ``..._10pct`` and
  ``share_any_decrease`` show how much the choice matters. Best and worst projects are the minimum
  and maximum relative change over teams that did not drop out.
- VA collaboratives (Mills & Weeks 2004): a successful team had "a >= 20% improvement from baseline
  for at least two months before the collaboratives' end": the true measure 20% better than the
  team's baseline at each of the last two month-ends of the collaborative.
- Keystone ICUs (Pronovost et al. 2006, 2010): 'reported data' = measured at least once during the
  collaborative; 'still participating 19-36 months after implementation' = still using QI at the
  end of follow-up.
- VA patient safety collaborative (Mills et al. 2003): changes implemented 'on other units within
  the hospitals' and 'in other regional hospitals' = the share of the participants' other units,
  and of units of non-participating organisations, that adopted by the end of the collaborative.
- Systematic review (Wells et al. 2018): a study 'reported an improvement in one or more of its
  primary measures': the collaborative's mean relative improvement is above 0 at p < 0.05 (a
  one-sided t-test over its teams).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from qicsim import sim
from qicsim.sim.calendar import Calendar

MAIN, CONTROL = "main", "control"
ARMS: dict[str, dict[str, str]] = {MAIN: {}, CONTROL: {"mode": "none"}}
"""Overrides that turn the target group's scenario into each arm's scenario."""

ROLL_OUT_COLUMN = "roll_out_days"
SIGNIFICANCE = 0.05
"""The significance level of a 'reported improvement' (Wells et al. 2018)."""


class Result(Protocol):
    """What a quantity reads: a run's (or the naive model's) result."""

    summary: dict[str, float]
    team_outcomes: pd.DataFrame
    teams: pd.DataFrame
    scenario: Any


QuantityFn = Callable[[Result], float]


class QuantityNotAvailable(Exception):
    """The run's outputs lack what a quantity needs."""


class UnknownQuantityError(KeyError):
    """A quantity name the code does not know; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError quotes its message; this one is a sentence
        return str(self.args[0])


@dataclass(frozen=True)
class Quantity:
    """How to compute one named quantity from a run, on which arm, and what it means. ``at_end``: its value is
    settled by the end of the collaborative (the follow-up cannot change it), so a run for it alone may
    stop there."""

    name: str
    fn: QuantityFn
    arm: str
    doc: str
    at_end: bool = False


# ---- building blocks -------------------------------------------------------------------------


def _summary(key: str) -> QuantityFn:
    def fn(result: Result) -> float:
        if key not in result.summary:
            raise QuantityNotAvailable(f"the run summary has no key '{key}'")
        return float(result.summary[key])

    return fn


def _column(outcomes: pd.DataFrame, name: str) -> pd.Series:
    if name not in outcomes.columns:
        raise QuantityNotAvailable(f"team_outcomes has no column '{name}'")
    return outcomes[name]


def _share(mask: pd.Series, n: int) -> float:
    return float(mask.sum()) / n if n else math.nan


def _kept(outcomes: pd.DataFrame) -> pd.Series:
    """Teams that did not drop out (boolean mask)."""
    return ~_column(outcomes, "dropped").astype(bool)


# ---- successful changes (IHI adverse drug events) -------------------------------------------


def change_share(column: str, low: int, high: float) -> QuantityFn:
    """Share of enrolled teams that did not drop out and made ``low``..``high`` successful changes (counted
    in ``column``)."""

    def fn(result: Result) -> float:
        o = result.team_outcomes
        count = _column(o, column)
        return _share(_kept(o) & (count >= low) & (count <= high), len(o))

    return fn


def dropped_or_data_only(column: str) -> QuantityFn:
    """Share of enrolled teams that dropped out or made no successful change ('only collected data')."""

    def fn(result: Result) -> float:
        o = result.team_outcomes
        return _share(~_kept(o) | (_column(o, column) == 0), len(o))

    return fn


# ---- relative improvement bands ----------------------------------------------------------------


def improvement_share(low: float, high: float = math.inf) -> QuantityFn:
    """Share of enrolled teams with ``low <= relative_improvement < high``."""

    def fn(result: Result) -> float:
        x = _column(result.team_outcomes, "relative_improvement")
        return _share((x >= low) & (x < high), len(result.team_outcomes))

    return fn


def share_significant_decrease(result: Result) -> float:
    """Share of enrolled teams whose relative improvement reaches the scenario's significance threshold."""
    return improvement_share(result.scenario.significant_improvement_threshold)(result)


def share_any_decrease(result: Result) -> float:
    """Share of enrolled teams whose measure improved at all by the end of the collaborative."""
    x = _column(result.team_outcomes, "relative_improvement")
    return _share(x > 0, len(result.team_outcomes))


def relative_change_extreme(which: str) -> QuantityFn:
    """``min`` or ``max`` of ``relative_change`` over the teams that did not drop out (NaN if none)."""

    def fn(result: Result) -> float:
        o = result.team_outcomes
        x = _column(o, "relative_change")[_kept(o)].dropna()
        if x.empty:
            return math.nan
        return float(x.min() if which == "min" else x.max())

    return fn


def total_cost_gbp(result: Result) -> float:
    """``summary['total_cost']``, which must be in pounds for a GBP target to mean anything."""
    if result.scenario.currency != "GBP":
        raise QuantityNotAvailable(f"total_cost_gbp needs a scenario priced in GBP; "
                                   f"scenario '{result.scenario.name}' is in {result.scenario.currency}")
    return _summary("total_cost")(result)


def improved_last_two_months(result: Result) -> float:
    """Share of enrolled teams whose true measure was at least 20% better than their baseline at each of the
    last two month-ends of the collaborative (Mills & Weeks 2004)."""
    teams, o, s = result.teams, result.team_outcomes, result.scenario
    end = Calendar.for_scenario(s).end_month
    last = teams[teams["month"].isin([end - 1, end])]
    if last.empty:
        raise QuantityNotAvailable("the team table has no months before the end")
    baseline = o.set_index("team_id")["performance_baseline"]
    sign = -1.0 if s.measure_direction == "lower_is_better" else 1.0
    gain = sign * (last["true_performance"].to_numpy() - baseline.loc[last["team_id"]].to_numpy()) \
        / np.abs(baseline.loc[last["team_id"]].to_numpy())
    improved = pd.Series(gain >= 0.2).groupby(last["team_id"].to_numpy()).all()
    return float(improved.sum()) / len(o)


def collaborative_improved(result: Result) -> float:
    """1 if the collaborative's mean relative improvement is above 0 at p < 0.05 (one-sided t-test over its
    teams), else 0: a study that 'reported an improvement in one or more of its primary measures'."""
    x = _column(result.team_outcomes, "relative_improvement").dropna().to_numpy()
    if len(x) < 2 or np.all(x == x[0]):
        return float(len(x) > 0 and x.mean() > 0)
    return float(stats.ttest_1samp(x, 0.0, alternative="greater").pvalue < SIGNIFICANCE)


def share_never_reported(result: Result) -> float:
    """Share of enrolled teams that never measured during the collaborative (never 'reported data')."""
    o = result.team_outcomes
    return _share(_column(o, "months_measured") == 0, len(o))


# ---- first results and roll-out (traditional teams) ------------------------------------------


def first_result_extreme(which: str) -> QuantityFn:
    """``min`` or ``max`` of ``first_result_month`` over the teams with a first result (NaN if none)."""

    def fn(result: Result) -> float:
        x = _column(result.team_outcomes, "first_result_month").dropna()
        if x.empty:
            return math.nan
        return float(x.min() if which == "min" else x.max())

    return fn


def share_rolled_out(result: Result) -> float:
    """The share of all projects (enrolled teams) whose change reached another unit of their organisation.

    The paper: '26% of projects reported their pilot improvement used by other organisational units'.
    """
    days = _column(result.team_outcomes, ROLL_OUT_COLUMN)
    return _share(days.notna(), len(result.team_outcomes))


def mean_days_roll_out(result: Result) -> float:
    """Mean days from a team's first result to the first other unit adopting, over teams that rolled out."""
    days = _column(result.team_outcomes, ROLL_OUT_COLUMN).dropna()
    return float(days.mean()) if len(days) else math.nan


# ---- the registry ----------------------------------------------------------------------------

ADE_READINGS = {"": "changes_in_practice", "_by_measure": "changes_improving_measure",
                "_by_tests": "successful_changes"}
"""The ADE collaborative's 'successful change' read three ways (see the module): suffix -> team column."""


AT_END_SUMMARY = ("dropout_rate", "significant_improvement_rate", "mean_relative_improvement")
"""Summary keys settled by the end of the collaborative."""


def _registry() -> dict[str, Quantity]:
    q: list[Quantity] = [Quantity(key, _summary(key), MAIN, f"summary['{key}']", key in AT_END_SUMMARY)
                         for key in sim.SUMMARY_KEYS]
    for suffix, column in ADE_READINGS.items():
        q += [
            Quantity(f"share_one_successful_change{suffix}", change_share(column, 1, 1), MAIN,
                     f"share of enrolled teams, not dropped, with {column} == 1", True),
            Quantity(f"share_two_to_four_successful_changes{suffix}", change_share(column, 2, 4), MAIN,
                     f"share of enrolled teams, not dropped, with 2 <= {column} <= 4", True),
            Quantity(f"share_five_or_more_successful_changes{suffix}", change_share(column, 5, math.inf), MAIN,
                     f"share of enrolled teams, not dropped, with {column} >= 5", True),
            Quantity(f"share_dropped_or_data_only{suffix}", dropped_or_data_only(column), MAIN,
                     f"share of enrolled teams that dropped out or made 0 successful changes ({column})", True),
        ]
    q += [
        Quantity("share_reduction_at_least_30pct", improvement_share(0.30), MAIN,
                 "share of enrolled teams with relative_improvement >= 0.30", True),
        Quantity("share_reduction_10_to_30pct", improvement_share(0.10, 0.30), MAIN,
                 "share of enrolled teams with 0.10 <= relative_improvement < 0.30", True),
        Quantity("mean_length_of_stay_end", _summary("mean_measure_end"), MAIN,
                 "summary['mean_measure_end'] (the measure is length of stay)", True),
        Quantity("mean_measure_end", _summary("mean_measure_end"), MAIN, "summary['mean_measure_end']", True),
        Quantity("share_significant_decrease", share_significant_decrease, MAIN,
                 "share of enrolled teams with relative_improvement >= significant_improvement_threshold", True),
        Quantity("share_decrease_at_least_5pct", improvement_share(0.05), MAIN,
                 "share of enrolled teams with relative_improvement >= 0.05", True),
        Quantity("share_decrease_at_least_10pct", improvement_share(0.10), MAIN,
                 "share of enrolled teams with relative_improvement >= 0.10", True),
        Quantity("share_any_decrease", share_any_decrease, MAIN,
                 "share of enrolled teams with relative_improvement > 0", True),
        Quantity("min_relative_change", relative_change_extreme("min"), MAIN,
                 "min of relative_change over teams that did not drop out", True),
        Quantity("max_relative_change", relative_change_extreme("max"), MAIN,
                 "max of relative_change over teams that did not drop out", True),
        Quantity("total_cost_gbp", total_cost_gbp, MAIN, "summary['total_cost'] of a GBP scenario"),
        Quantity("mean_measure_end_control", _summary("mean_measure_end"), CONTROL,
                 "summary['mean_measure_end'] of the same scenario and seed with mode=none", True),
        Quantity("mean_months_to_first_result", _summary("months_to_first_result_mean"), MAIN,
                 "summary['months_to_first_result_mean']"),
        Quantity("min_months_to_first_result", first_result_extreme("min"), MAIN,
                 "min of first_result_month over teams with a first result"),
        Quantity("max_months_to_first_result", first_result_extreme("max"), MAIN,
                 "max of first_result_month over teams with a first result"),
        Quantity("mean_months_organising", _summary("months_organising_mean"), MAIN,
                 "summary['months_organising_mean']"),
        Quantity("share_rolled_out_to_other_units", share_rolled_out, MAIN,
                 f"share of enrolled teams that have a {ROLL_OUT_COLUMN} value"),
        Quantity("mean_days_roll_out", mean_days_roll_out, MAIN, f"mean of {ROLL_OUT_COLUMN}"),
        Quantity("share_improved_20pct_last_two_months", improved_last_two_months, MAIN,
                 "share of enrolled teams >= 20% better than baseline at both of the last two month-ends", True),
        Quantity("collaborative_improved", collaborative_improved, MAIN,
                 "1 if the teams' mean relative improvement is above 0 at p < 0.05, else 0", True),
        Quantity("share_never_reported", share_never_reported, MAIN,
                 "share of enrolled teams that never measured during the collaborative", True),
        Quantity("spread_share_inside_end", _summary("spread_share_inside_end"), MAIN,
                 "share of the participants' other units that adopted by the end of the collaborative", True),
        Quantity("spread_share_outside_end", _summary("spread_share_outside_end"), MAIN,
                 "share of non-participating organisations' units that adopted by the end of the collaborative", True),
    ]
    return {quantity.name: quantity for quantity in q}


QUANTITIES: dict[str, Quantity] = _registry()
"""Every quantity a target may name, by name."""


def get(name: str) -> Quantity:
    """The quantity of that name, or :class:`UnknownQuantityError` listing the known ones."""
    try:
        return QUANTITIES[name]
    except KeyError:
        raise UnknownQuantityError(
            f"unknown quantity '{name}' (known quantities: {', '.join(sorted(QUANTITIES))})") from None


def compute(name: str, result: Result) -> float:
    """The value of quantity ``name`` for one run (the result of its arm)."""
    return get(name).fn(result)
