"""Each month's report: performance drifts, teams measure it (if they manage to), judge their
progress from their own data, and score themselves on the IHI scale; and the monthly team table.
Both run in the month end's compiled pass (:mod:`sim.monthly`).

Paper, challenge 6: 'the strongest motivation and confidence comes from teams seeing improvements
which they have made, which depends in part on them being able to measure'; challenge 7: a common,
measurable target.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit, vectorize

from sim import calendar as cal
from sim.agents import DRIFT_LIMIT, DRIFT_REVERSION
from sim.ihi import ihi_score
from sim.states import COMPLETED, DROPPED, RECENT_MEASUREMENTS, STATUS_NAMES, team_arrays

if TYPE_CHECKING:
    from sim.model import CollaborativeModel

RECENT_WINDOW_MONTHS = 6
"""Measurements older than this (months before the latest) no longer count as recent."""


@njit(cache=True)
def report(month, drift_noise, measure_draws, value_noise, changes_gap, t, best, measurement_noise, target_ambition,
           see_improvement_effect):  # pragma: no cover - compiled
    """Every team's report for ``month`` (``t``: the teams' arrays by name, :func:`sim.states.team_arrays`).
    Returns the teams' improvement on their baselines in the measure's units over the month (summed,
    before this month's drift), what the month's benefit counts. ``drift_noise``, ``value_noise``:
    one standard normal per team; ``measure_draws``: one uniform per team.

    Each team's performance drifts for reasons outside its changes (case mix, staffing, season); if
    it manages to collect data it measures, with noise that falls as its data skills grow; it judges
    its progress from its first measurement against its recent ones, and credits only the progress
    beyond one standard error of its own noise (as a run or control chart would), so better data
    let it see more of what it achieved (paper, challenge 6); and it scores itself on the IHI
    scale. Teams that dropped out still drift (their units go on) but no longer report.
    """
    improvement = 0.0
    for i in range(t.drift.shape[0]):
        baseline = t.baseline[i]
        improvement += improvement_units(best, t.drift[i] * changes_gap[i], baseline)
        d = t.drift[i] + DRIFT_REVERSION * (1.0 - t.drift[i]) + drift_noise[i]
        t.drift[i] = min(1.0 + DRIFT_LIMIT, max(1.0 - DRIFT_LIMIT, d))
        t.last_measured[i] = np.nan
        if t.status[i] == DROPPED:
            continue
        noise = measurement_noise * (1.0 - 0.8 * t.data_capability[i])
        measured = (t.formed[i] or t.using_qi[i]) and measure_draws[i] < 0.3 + 0.7 * t.data_capability[i]
        recent_values, recent_months = t.recent_values, t.recent_months
        if measured:
            value = performance(best, t.drift[i] * changes_gap[i], baseline) * (1.0 + value_noise[i] * noise)
            for k in range(RECENT_MEASUREMENTS - 1, 0, -1):
                recent_values[i, k] = recent_values[i, k - 1]
                recent_months[i, k] = recent_months[i, k - 1]
            recent_values[i, 0] = value
            recent_months[i, 0] = month
            if t.measurements[i] == 0:
                t.baseline_measured[i] = value
            t.measurements[i] += 1
            t.last_measured[i] = value
        progress = np.nan
        goal = target_ambition * (baseline - best)
        if t.measurements[i] >= 2:
            total = 0.0
            count = 0
            for k in range(min(RECENT_MEASUREMENTS, t.measurements[i])):
                if recent_months[i, k] > recent_months[i, 0] - RECENT_WINDOW_MONTHS:
                    total += recent_values[i, k]
                    count += 1
            progress = (t.baseline_measured[i] - total / count) / goal
            if measured and t.status[i] < COMPLETED:
                earlier = min(RECENT_MEASUREMENTS, t.measurements[i] - 1)
                band = noise * abs(baseline / goal) * math.sqrt(1.0 / earlier + 1.0)
                seen = progress - band
                if seen > 0.0:
                    t.motivation[i] += see_improvement_effect * min(1.0, seen) * (1.0 - t.motivation[i])
        t.months_at_half_goal[i] = t.months_at_half_goal[i] + 1 if progress >= 0.5 else 0
        t.months_at_goal[i] = t.months_at_goal[i] + 1 if progress >= 1.0 else 0
        t.ihi_score[i] = ihi_score(t.formed[i], t.planned[i], t.measurements[i] > 0, t.tests_run[i], progress,
                                   t.months_at_goal[i], t.months_at_half_goal[i])
    return improvement


@vectorize(cache=True)
def performance(best, gap, baseline):  # pragma: no cover - compiled
    """The true value of the measure of a team with a remaining ``gap`` to best practice (in units of
    its baseline gap; 1 = its baseline): between best practice and the floor the drift allows."""
    return best + gap * (baseline - best)


@vectorize(cache=True)
def improvement_units(best, gap, baseline):  # pragma: no cover - compiled
    """A team's improvement on its own baseline in the measure's units (positive = better), with a
    remaining ``gap`` to best practice (in units of its baseline gap)."""
    return (1.0 - gap) * abs(baseline - best)


TEAM_TABLE_COLUMNS = ("team_id", "month", "phase", "true_performance", "measured_performance", "ihi_score",
                      "motivation", "knowledge", "capability", "cohesion", "data_capability",
                      "senior_engagement", "changes_in_use", "tests_run", "status", "using_qi")
"""Columns of the monthly team table (one row per team per month, month 0 = enrolment)."""
_FLOATS = ("true_performance", "measured_performance", "ihi_score", "motivation", "knowledge", "capability",
           "cohesion", "data_capability", "senior_engagement", "changes_in_use")
_INTS = ("tests_run", "phase", "status")


class TeamTable:
    """The monthly team table: every team's values at each month end, kept in preallocated arrays
    (month x column x team) and made a DataFrame at the end."""

    def __init__(self, months: int, teams: int) -> None:
        self.months = 0
        self.floats = np.zeros((months, len(_FLOATS), teams))
        self.ints = np.zeros((months, len(_INTS), teams), dtype=np.int64)
        self.using_qi = np.zeros((months, teams), dtype=bool)
        self.arrays = (self.floats, self.ints, self.using_qi)  # what the compiled :func:`row` writes into

    def record(self, model: CollaborativeModel, month: int) -> np.ndarray:
        """This month's row of every team; returns the month's teams still in, teams dropped, and the sums
        of true performance and IHI score (the model-level series, :func:`row`)."""
        series = np.zeros(4)
        n = model.team_states.size
        row(self.months, model.reported_phases(month), model.performance(), model.team_states.arrays,
            model.organisation_states.senior_engagement[:n], model.ideas.in_use_by_team(), *self.arrays, series)
        self.months += 1
        return series

    def frame(self) -> pd.DataFrame:
        """The table, one row per team per month, sorted by month then team."""
        months, teams = self.months, self.using_qi.shape[1]
        columns: dict[str, np.ndarray] = {
            "team_id": np.tile(np.arange(1, teams + 1), months),
            "month": np.repeat(np.arange(months), teams),
        }
        columns.update({c: self.floats[:months, k].ravel() for k, c in enumerate(_FLOATS)})
        columns.update({c: self.ints[:months, k].ravel() for k, c in enumerate(_INTS)})
        columns["using_qi"] = self.using_qi[:months].ravel()
        columns["phase"] = np.array(cal.PHASES, dtype=object)[columns["phase"]]
        columns["status"] = np.array(STATUS_NAMES, dtype=object)[columns["status"]]
        return pd.DataFrame({c: columns[c] for c in TEAM_TABLE_COLUMNS})


@njit(cache=True)
def row(month_row, phase, performance, team_blocks, engagement, in_use, floats, ints, using_table,
        series):  # pragma: no cover - compiled
    """Write row ``month_row`` of the team table (columns as ``_FLOATS`` and ``_INTS``; ``team_blocks``:
    ``TeamStates.arrays``); ``series`` gets the teams still in, the teams dropped, and the sums of
    true performance and IHI score."""
    t = team_arrays(*team_blocks)
    for i in range(performance.shape[0]):
        for k, value in enumerate((performance[i], t.last_measured[i], t.ihi_score[i], t.motivation[i],
                                   t.knowledge[i], t.capability[i], t.cohesion[i], t.data_capability[i],
                                   engagement[i], in_use[i])):
            floats[month_row, k, i] = value
        ints[month_row, 0, i] = t.tests_run[i]
        ints[month_row, 1, i] = phase[i]
        ints[month_row, 2, i] = t.status[i]
        using_table[month_row, i] = t.using_qi[i]
        series[0] += t.status[i] < COMPLETED
        series[1] += t.status[i] == DROPPED
        series[2] += performance[i]
        series[3] += t.ihi_score[i]
