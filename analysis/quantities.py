"""The quantities that published targets name, computed from a finished run's outputs.

Every quantity is computed *after* a run from what the model reports -- ``RunResult.summary`` and
``RunResult.team_outcomes`` -- and never written by the model itself, so that a target is met only
when the mechanisms produce it. Each quantity says which **arm** it needs: ``main`` (the scenario as
given) or ``control`` (the same scenario and seed with ``mode=none``: no intervention, the control
group of the neonatal collaborative in the paper, ref 10).

Shares are of the teams that enrolled (intention to treat), as in ``analysis/targets.yaml``.
Definitions that need a choice, with the paper's words (Øvretveit et al. 2002, Qual Saf Health Care):

- IHI adverse drug events collaborative (ref 12): 20% of teams made one successful change, 50% two
  to four, 20% five or more, 10% dropped out or only collected data, where "a successful change"
  is ">=20% improvement in the target measure". The model does not track the measure change that
  each change caused, so our proxy for a team's successful changes is
  ``team_outcomes.successful_changes``: the PDSA tests that succeeded (and were adopted) during the
  collaborative. The four shares partition the enrolled teams: teams that dropped out or made no
  successful change (``share_dropped_or_data_only``), and among the teams that did not drop out,
  those with exactly 1, with 2-4 and with 5 or more successful changes.
- IHI caesarean section collaborative (ref 11): "30% or more" and "10-30%" reductions are
  ``team_outcomes.relative_improvement`` >= 0.30 and 0.10 <= x < 0.30 (positive = better, so a
  fall in the caesarean rate), over all enrolled teams.
- UK orthopaedic collaborative (refs 1, 6): a "significant decrease" in length of stay is a relative
  improvement of at least the scenario's ``significant_improvement_threshold`` (uk-orthopaedic: 5%,
  an assumption stated in the scenario file); the best and worst projects ("from a 36% fall to a 12%
  rise") are the minimum and maximum ``relative_change`` over the teams that did not drop out.
- Traditional QI teams (refs 8, 9): roll-out to other units comes from the spread layer's
  ``team_outcomes.roll_out_days`` (days from a team's first result to the first other unit of its
  own organisation adopting; NaN when none). Until that column exists the two roll-out quantities
  are *not available* (:class:`QuantityNotAvailable`), which validation reports as a failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

import sim
from sim.parameters import Scenario

MAIN, CONTROL = "main", "control"
ARMS: dict[str, dict[str, str]] = {MAIN: {}, CONTROL: {"mode": "none"}}
"""Overrides that turn the target group's scenario into each arm's scenario."""

ROLL_OUT_COLUMN = "roll_out_days"

QuantityFn = Callable[[Mapping[str, float], pd.DataFrame, Scenario], float]


class QuantityNotAvailable(Exception):
    """The run's outputs lack what a quantity needs (e.g. a column a model layer has not added yet)."""


class UnknownQuantityError(KeyError):
    """A quantity name the code does not know; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError quotes its message; this one is a sentence
        return str(self.args[0])


@dataclass(frozen=True)
class Quantity:
    """How to compute one named quantity from a run, on which arm, and what it means."""

    name: str
    fn: QuantityFn
    arm: str
    doc: str


# ---- building blocks -------------------------------------------------------------------------


def _summary(key: str) -> QuantityFn:
    def fn(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
        if key not in summary:
            raise QuantityNotAvailable(f"the run summary has no key '{key}'")
        return float(summary[key])

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


# ---- ADE: successful changes -----------------------------------------------------------------


def successful_change_share(low: int, high: float) -> QuantityFn:
    """Share of enrolled teams that did not drop out and made ``low``..``high`` successful changes."""

    def fn(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
        count = _column(outcomes, "successful_changes")
        return _share(_kept(outcomes) & (count >= low) & (count <= high), len(outcomes))

    return fn


def share_dropped_or_data_only(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
    """Share of enrolled teams that dropped out or made no successful change ('only collected data')."""
    count = _column(outcomes, "successful_changes")
    return _share(~_kept(outcomes) | (count == 0), len(outcomes))


# ---- relative improvement bands --------------------------------------------------------------


def improvement_share(low: float, high: float) -> QuantityFn:
    """Share of enrolled teams with ``low <= relative_improvement < high``."""

    def fn(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
        x = _column(outcomes, "relative_improvement")
        return _share((x >= low) & (x < high), len(outcomes))

    return fn


def share_significant_decrease(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
    """Share of enrolled teams whose relative improvement reaches the scenario's significance threshold."""
    x = _column(outcomes, "relative_improvement")
    return _share(x >= scenario.significant_improvement_threshold, len(outcomes))


def relative_change_extreme(which: str) -> QuantityFn:
    """``min`` or ``max`` of ``relative_change`` over the teams that did not drop out (NaN if none)."""

    def fn(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
        x = _column(outcomes, "relative_change")[_kept(outcomes)].dropna()
        if x.empty:
            return math.nan
        return float(x.min() if which == "min" else x.max())

    return fn


def total_cost_gbp(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
    """``summary['total_cost']``, which must be in pounds for a GBP target to mean anything."""
    if scenario.currency != "GBP":
        raise QuantityNotAvailable(f"total_cost_gbp needs a scenario priced in GBP; "
                                   f"scenario '{scenario.name}' is in {scenario.currency}")
    return _summary("total_cost")(summary, outcomes, scenario)


# ---- first results and roll-out (traditional teams) ------------------------------------------


def first_result_extreme(which: str) -> QuantityFn:
    """``min`` or ``max`` of ``first_result_month`` over the teams with a first result (NaN if none)."""

    def fn(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
        x = _column(outcomes, "first_result_month").dropna()
        if x.empty:
            return math.nan
        return float(x.min() if which == "min" else x.max())

    return fn


def share_rolled_out(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
    """The share of all projects (enrolled teams) whose change reached another unit of their organisation.

    The paper: '26% of projects reported their pilot improvement used by other organisational units'
    -- of the projects surveyed, as targets.yaml counts shares of the teams that enrolled.
    """
    days = _column(outcomes, ROLL_OUT_COLUMN)
    return _share(days.notna(), len(outcomes))


def mean_days_roll_out(summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
    """Mean days from a team's first result to the first other unit adopting, over teams that rolled out."""
    days = _column(outcomes, ROLL_OUT_COLUMN).dropna()
    return float(days.mean()) if len(days) else math.nan


# ---- the registry ----------------------------------------------------------------------------


def _registry() -> dict[str, Quantity]:
    q: list[Quantity] = [
        Quantity(key, _summary(key), MAIN, f"summary['{key}']") for key in sim.SUMMARY_KEYS
    ]
    q += [
        Quantity("share_one_successful_change", successful_change_share(1, 1), MAIN,
                 "share of enrolled teams, not dropped, with successful_changes == 1"),
        Quantity("share_two_to_four_successful_changes", successful_change_share(2, 4), MAIN,
                 "share of enrolled teams, not dropped, with 2 <= successful_changes <= 4"),
        Quantity("share_five_or_more_successful_changes", successful_change_share(5, math.inf), MAIN,
                 "share of enrolled teams, not dropped, with successful_changes >= 5"),
        Quantity("share_dropped_or_data_only", share_dropped_or_data_only, MAIN,
                 "share of enrolled teams that dropped out or made 0 successful changes"),
        Quantity("share_reduction_at_least_30pct", improvement_share(0.30, math.inf), MAIN,
                 "share of enrolled teams with relative_improvement >= 0.30"),
        Quantity("share_reduction_10_to_30pct", improvement_share(0.10, 0.30), MAIN,
                 "share of enrolled teams with 0.10 <= relative_improvement < 0.30"),
        Quantity("mean_length_of_stay_end", _summary("mean_measure_end"), MAIN,
                 "summary['mean_measure_end'] (the measure is length of stay)"),
        Quantity("mean_measure_end", _summary("mean_measure_end"), MAIN, "summary['mean_measure_end']"),
        Quantity("share_significant_decrease", share_significant_decrease, MAIN,
                 "share of enrolled teams with relative_improvement >= significant_improvement_threshold"),
        Quantity("min_relative_change", relative_change_extreme("min"), MAIN,
                 "min of relative_change over teams that did not drop out"),
        Quantity("max_relative_change", relative_change_extreme("max"), MAIN,
                 "max of relative_change over teams that did not drop out"),
        Quantity("total_cost_gbp", total_cost_gbp, MAIN, "summary['total_cost'] of a GBP scenario"),
        Quantity("mean_measure_end_control", _summary("mean_measure_end"), CONTROL,
                 "summary['mean_measure_end'] of the same scenario and seed with mode=none"),
        Quantity("mean_months_to_first_result", _summary("months_to_first_result_mean"), MAIN,
                 "summary['months_to_first_result_mean']"),
        Quantity("min_months_to_first_result", first_result_extreme("min"), MAIN,
                 "min of first_result_month over teams with a first result"),
        Quantity("max_months_to_first_result", first_result_extreme("max"), MAIN,
                 "max of first_result_month over teams with a first result"),
        Quantity("mean_months_organising", _summary("months_organising_mean"), MAIN,
                 "summary['months_organising_mean']"),
        Quantity("share_rolled_out_to_other_units", share_rolled_out, MAIN,
                 f"share of enrolled teams that have a {ROLL_OUT_COLUMN} value (spread layer)"),
        Quantity("mean_days_roll_out", mean_days_roll_out, MAIN, f"mean of {ROLL_OUT_COLUMN} (spread layer)"),
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


def compute(name: str, summary: Mapping[str, float], outcomes: pd.DataFrame, scenario: Scenario) -> float:
    """The value of quantity ``name`` for one run (``summary`` and ``team_outcomes`` of its arm)."""
    return get(name).fn(summary, outcomes, scenario)
