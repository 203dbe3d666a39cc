"""What happens at the end of every month, in one compiled pass over the teams.

Every team reports its month (:func:`sim.measurement.report`: drift, measurement, progress, the IHI
score). Tied teams still working on QI exchange outside the meetings (:func:`sim.exchange.informal_exchange`;
in a collaborative) and, after the end, ties fade and give support (:func:`sim.network.fade_and_support`).
Spread moves on beyond the participants (:func:`sim.network.spread_month`; not without an
intervention). The month's row of the team table and of the series is recorded
(:func:`sim.measurement.row`). Python then books the month's benefits and spread costs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.draws import take_normals, take_uniforms
from sim.exchange import PEER_TESTED_BOOST, informal_exchange
from sim.ideas import changes_gap, idea_arrays
from sim.measurement import performance, report, row
from sim.network import TeamTies, fade_and_support, spread_month
from sim.states import COMPLETED, SENIOR_ENGAGEMENT, organisation_arrays, team_arrays
from sim.weekly import COLLABORATIVE, MODES, NO_INTERVENTION

if TYPE_CHECKING:
    from sim.model import CollaborativeModel


def month_end(model: CollaborativeModel) -> tuple[float, float, int, int, np.ndarray]:
    """Month ``model.report_month`` ends for every team (:func:`_month_end`). Returns the month's
    benefit (the teams' improvement on their baselines in the measure's units, before this month's
    drift), the improvement reached by spread (before ``spread_effect_share``), how many teams
    showed QI methods and how many teams' changes worked in their own unit, and the series sums
    (:meth:`sim.measurement.TeamTable.record`)."""
    monthly = model.month_pass
    draws, spread, table = model.draws, model.spread, model.team_table
    month = model.report_month
    draws.ensure(*monthly.draws_needed)
    if monthly.spreading:
        spread.draws.ensure(spread.draws_per_month)
    series = np.zeros(4)
    benefit, reached, working, adopted_here = _month_end(
        month, model.week > monthly.end_week, *draws.arrays, model.ideas.arrays, model.ideas.count,
        monthly.phases[month], table.months, series, *spread.draws.arrays, *monthly.arguments)
    table.months += 1
    return benefit, reached, working, adopted_here, series


class MonthPass:
    """The month-end pass of one run: what it is handed every month, gathered once."""

    def __init__(self, model: CollaborativeModel) -> None:
        s = model.params
        n = model.team_states.size
        self.end_week = model.calendar.end_week
        self.spreading = s.mode != "none"
        self.draws_needed = (n + n * (n - 1) // 2, 2 * n)  # uniforms: measuring, informal contacts; normals
        self.phases = [model.reported_phases(month) for month in range(model.calendar.months + 1)]
        self.arguments = (
            MODES.index(s.mode), model.team_states.arrays, model.organisation_states.blocks[0], model.ties.strength,
            s.performance_drift_sd, s.best_practice_performance, s.measurement_noise, s.target_ambition,
            s.see_improvement_effect, s.informal_contact_per_month, PEER_TESTED_BOOST * s.subject_specificity,
            s.own_idea_quality, s.subject_specificity, TeamTies.kept_per_month(s), *model.team_table.arrays,
            model.spread.arguments)


@njit(cache=True)
def _month_end(month, follow_up, uniforms, normals, cursor, idea_blocks, count, phases, table_row, series,
               spread_uniforms, spread_normals, spread_cursor, mode, team_blocks, organisations, strength, drift_sd,
               best, measurement_noise, target_ambition, see_improvement_effect, contact_rate, boost, own_idea_quality,
               subject_specificity, ties_kept, table_floats, table_ints, table_using_qi,
               spread):  # pragma: no cover - compiled
    """The month's pass (see the module); reads three draws per team and one per pair of engaged
    teams from the run's draws, and the spread's from its own."""
    t = team_arrays(*team_blocks)
    n = t.status.shape[0]
    o = organisation_arrays(organisations, n)
    ideas = idea_arrays(*idea_blocks)
    gap_by_changes = changes_gap(ideas.effect, ideas.in_use, ideas.adopted, count)  # no change moves this month
    drift_noise = take_normals(normals, cursor, n) * drift_sd
    benefit = report(month, drift_noise, take_uniforms(uniforms, cursor, n), take_normals(normals, cursor, n),
                     gap_by_changes, t, best, measurement_noise, target_ambition, see_improvement_effect)
    engaged = ((t.status < COMPLETED) & t.formed) | t.using_qi
    if mode == COLLABORATIVE:
        # Outside the meetings tied teams pass on changes; the confidence a room of peers' stories
        # gives is the sessions' own.
        teams = engaged.nonzero()[0]
        m = teams.shape[0]
        if m >= 2:
            heard = np.zeros(n, dtype=np.int64)
            informal_exchange(teams, take_uniforms(uniforms, cursor, m * (m - 1) // 2), strength, contact_rate,
                              heard, t.capability, ideas, count, boost, own_idea_quality, subject_specificity)
            t.peer_examples[:] += heard
        if follow_up:
            fade_and_support(strength, ties_kept, t.using_qi, t.peer_support)
    gap = t.drift * gap_by_changes
    in_use = ideas.in_use[:, :count].sum(axis=1)
    reached, working, adopted_here = 0.0, 0, 0
    if mode != NO_INTERVENTION:
        improvement = (1.0 - gap) * np.abs(t.baseline - best)
        reached, working, adopted_here = spread_month(month, in_use, engaged, t.capability, improvement,
                                                      organisations[SENIOR_ENGAGEMENT], spread_uniforms,
                                                      spread_normals, spread_cursor, *spread)
    row(table_row, phases, performance(best, gap, t.baseline), team_blocks, o.senior_engagement, in_use,
        table_floats, table_ints, table_using_qi, series)
    return benefit, reached, working, adopted_here
