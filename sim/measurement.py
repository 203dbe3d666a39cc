"""Each month's report: performance drifts, teams measure it (if they manage to), judge their
progress from their own data, and score themselves on the IHI scale; and the monthly team table.

Paper, challenge 6: 'the strongest motivation and confidence comes from teams seeing improvements
which they have made, which depends in part on them being able to measure'; challenge 7: a common,
measurable target.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit

from sim import calendar as cal
from sim.agents import DRIFT_LIMIT, DRIFT_REVERSION
from sim.ihi import ihi_score
from sim.states import COMPLETED, DROPPED, RECENT_MEASUREMENTS, STATUS_NAMES

if TYPE_CHECKING:
    from sim.model import CollaborativeModel

RECENT_WINDOW_MONTHS = 6
"""Measurements older than this (months before the latest) no longer count as recent."""


def monthly_report(model: CollaborativeModel, month: int) -> float:
    """Every team's report for ``month``: drift, measurement, progress, motivation, IHI score.
    Returns the teams' improvement on their baselines in the measure's units over the month (summed,
    before this month's drift), what the month's benefit counts.

    Teams that dropped out still drift (their units go on) but no longer report.
    """
    s = model.params
    t = model.team_states
    rng = model.rng
    n = t.size
    return _report(month, rng.normal(0.0, s.performance_drift_sd, n), rng.random(n), rng.standard_normal(n),
            model.ideas.remaining_gap(), t.drift, t.status, t.formed, t.planned, t.using_qi, t.tests_run,
            t.data_capability, t.baseline, t.motivation, t.last_measured, t.baseline_measured, t.recent_values,
            t.recent_months, t.measurements, t.months_at_half_goal, t.months_at_goal, t.ihi_score,
            s.best_practice_performance, s.measurement_noise, s.target_ambition, s.see_improvement_effect)


@njit(cache=True)
def _report(month, drift_noise, measure_draws, value_noise, changes_gap, drift, status, formed, planned, using_qi,
            tests_run, data_capability, baseline, motivation, last_measured, baseline_measured, recent_values,
            recent_months, measurements, months_at_half_goal, months_at_goal, ihi,
            best, measurement_noise, target_ambition, see_improvement_effect):  # pragma: no cover - compiled
    """Each team's month: its performance drifts for reasons outside its changes (case mix,
    staffing, season); if it manages to collect data it measures, with noise that falls as its data
    skills grow; it judges its progress from its first measurement against its recent ones, and
    credits only the progress beyond one standard error of its own noise (as a run or control chart
    would), so better data let it see more of what it achieved (paper, challenge 6); and it scores
    itself on the IHI scale."""
    improvement = 0.0
    for i in range(drift.shape[0]):
        improvement += (1.0 - drift[i] * changes_gap[i]) * abs(baseline[i] - best)
        d = drift[i] + DRIFT_REVERSION * (1.0 - drift[i]) + drift_noise[i]
        drift[i] = min(1.0 + DRIFT_LIMIT, max(1.0 - DRIFT_LIMIT, d))
        last_measured[i] = np.nan
        if status[i] == DROPPED:
            continue
        noise = measurement_noise * (1.0 - 0.8 * data_capability[i])
        measured = (formed[i] or using_qi[i]) and measure_draws[i] < 0.3 + 0.7 * data_capability[i]
        if measured:
            value = (best + drift[i] * changes_gap[i] * (baseline[i] - best)) * (1.0 + value_noise[i] * noise)
            for k in range(RECENT_MEASUREMENTS - 1, 0, -1):
                recent_values[i, k] = recent_values[i, k - 1]
                recent_months[i, k] = recent_months[i, k - 1]
            recent_values[i, 0] = value
            recent_months[i, 0] = month
            if measurements[i] == 0:
                baseline_measured[i] = value
            measurements[i] += 1
            last_measured[i] = value
        progress = np.nan
        goal = target_ambition * (baseline[i] - best)
        if measurements[i] >= 2:
            total = 0.0
            count = 0
            for k in range(min(RECENT_MEASUREMENTS, measurements[i])):
                if recent_months[i, k] > recent_months[i, 0] - RECENT_WINDOW_MONTHS:
                    total += recent_values[i, k]
                    count += 1
            progress = (baseline_measured[i] - total / count) / goal
            if measured and status[i] < COMPLETED:
                earlier = min(RECENT_MEASUREMENTS, measurements[i] - 1)
                band = noise * abs(baseline[i] / goal) * math.sqrt(1.0 / earlier + 1.0)
                seen = progress - band
                if seen > 0.0:
                    motivation[i] += see_improvement_effect * min(1.0, seen) * (1.0 - motivation[i])
        months_at_half_goal[i] = months_at_half_goal[i] + 1 if progress >= 0.5 else 0
        months_at_goal[i] = months_at_goal[i] + 1 if progress >= 1.0 else 0
        ihi[i] = ihi_score(formed[i], planned[i], measurements[i] > 0, tests_run[i], progress, months_at_goal[i],
                           months_at_half_goal[i])
    return improvement


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

    def record(self, model: CollaborativeModel, month: int) -> tuple[int, int, float, float]:
        """This month's row of every team; returns the month's teams still in, teams dropped, mean true
        performance and mean IHI score (the model-level series)."""
        t = model.team_states
        n = t.size
        row = self.months
        series = np.zeros(4)
        _row(row, model.reported_phases(month), model.performance(), t.last_measured, t.ihi_score, t.motivation,
             t.knowledge,
             t.capability, t.cohesion, t.data_capability, model.organisation_states.senior_engagement[:n],
             model.ideas.in_use_by_team(), t.tests_run, t.status, t.using_qi, self.floats, self.ints, self.using_qi,
             series)
        self.months = row + 1
        active, dropped, performance, ihi = series.tolist()
        return int(active), int(dropped), performance / n, ihi / n

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
def _row(row, phase, performance, last_measured, ihi, motivation, knowledge, capability, cohesion, data_capability,
         engagement, in_use, tests_run, status, using_qi, floats, ints, using_table,
         series):  # pragma: no cover - compiled
    """Write month ``row`` of the team table (columns as ``_FLOATS`` and ``_INTS``); ``series`` gets the
    teams still in, the teams dropped, and the sums of true performance and IHI score."""
    for i in range(performance.shape[0]):
        for k, value in enumerate((performance[i], last_measured[i], ihi[i], motivation[i], knowledge[i],
                                   capability[i], cohesion[i], data_capability[i], engagement[i], in_use[i])):
            floats[row, k, i] = value
        ints[row, 0, i] = tests_run[i]
        ints[row, 1, i] = phase[i]
        ints[row, 2, i] = status[i]
        using_table[row, i] = using_qi[i]
        series[0] += status[i] < COMPLETED
        series[1] += status[i] == DROPPED
        series[2] += performance[i]
        series[3] += ihi[i]
