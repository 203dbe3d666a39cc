"""What happens at the end of every month, in one compiled pass over the teams.

Every team reports its month (:func:`sim.measurement.report`: drift, measurement, progress, the IHI
score). Tied teams still working on QI exchange outside the meetings (:func:`sim.exchange.informal_exchange`;
in a collaborative) and, after the end, ties fade and give support (:func:`sim.network.fade_and_support`).
Spread moves on beyond the participants (:func:`sim.network.spread_month`; not without an
intervention). The month's row of the team table and of the series is recorded
(:func:`sim.measurement.row`), and the month's benefits and spread costs are booked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim import calendar as cal
from sim.costs import SPREAD, book, book_benefit, spread_cost_per_team_month
from sim.draws import take_normals, take_uniforms
from sim.exchange import PEER_TESTED_BOOST, informal_exchange
from sim.ideas import changes_gap, idea_arrays
from sim.measurement import improvement_units, performance, report, row
from sim.network import TeamTies, fade_and_support, spread_month
from sim.states import COMPLETED, SENIOR_ENGAGEMENT, organisation_arrays, team_arrays
from sim.weekly import COLLABORATIVE, MODES, NO_INTERVENTION

if TYPE_CHECKING:
    from sim.model import CollaborativeModel


def month_end(model: CollaborativeModel) -> tuple[np.ndarray, float]:
    """Month ``model.report_month`` ends for every team (:func:`_month_end`). Returns the series sums
    (:meth:`sim.measurement.TeamTable.record`) and the cost so far in the scenario's perspective."""
    monthly, draws, spread = model.month_pass, model.draws, model.spread
    month = model.report_month
    series = np.zeros(4)
    while True:
        done, cost_so_far = _month_end(month, model.ideas.count, series, *draws.arrays, model.ideas.arrays,
                                       *spread.draws.arrays, *monthly.arguments)
        if done:
            break
        draws.ensure(*monthly.draws_needed)  # the pass stopped before drawing: it needs more draws
        spread.draws.ensure(spread.draws_per_month)
    model.team_table.months += 1
    if monthly.spreading:
        spread.months_recorded = month
    return series, cost_so_far


class MonthPass:
    """The month-end pass of one run: what it is handed every month, gathered once."""

    def __init__(self, model: CollaborativeModel) -> None:
        s = model.params
        n = model.team_states.size
        c = model.calendar
        self.spreading = s.mode != "none"
        self.draws_needed = (n + n * (n - 1) // 2, 2 * n)  # uniforms: measuring, informal contacts; normals
        ledger = model.ledger
        # by month: the phase each team reports, whether it is after the end, the discount factors of
        # its benefit (at the month's end) and of its costs (in the week it ends)
        phases = np.array([model.reported_phases(month) for month in range(c.months + 1)])
        follow_up = np.array([False, *(w > c.end_week for w in c.month_end_weeks)])
        benefit_discount = np.array([ledger.discount(month / cal.MONTHS_PER_YEAR) for month in range(c.months + 1)])
        cost_discount = np.array([1.0, *(ledger.discount(w / cal.WEEKS_PER_YEAR) for w in c.month_end_weeks)])
        self.arguments = (
            *self.draws_needed, model.spread.draws_per_month, MODES.index(s.mode), phases, follow_up,
            benefit_discount, cost_discount, model.team_states.arrays, model.organisation_states.blocks[0],
            model.ties.strength, *model.team_table.arrays, ledger.costs, ledger.costs_discounted, ledger.benefits,
            ledger.counted(), s.performance_drift_sd, s.best_practice_performance, s.measurement_noise,
            s.target_ambition, s.see_improvement_effect, s.informal_contact_per_month,
            PEER_TESTED_BOOST * s.subject_specificity, s.own_idea_quality, s.subject_specificity,
            TeamTies.kept_per_month(s), s.spread_effect_share, spread_cost_per_team_month(s), *ledger.benefit_rates,
            model.spread.arguments)


@njit(cache=True)
def _month_end(month, count, series, uniforms, normals, cursor, idea_blocks, spread_uniforms, spread_normals,
               spread_cursor, uniforms_needed, normals_needed, spread_draws, mode, phases, follow_up,
               benefit_discount, cost_discount, team_blocks, organisations, strength, table_floats, table_ints,
               table_using_qi, costs, costs_discounted, benefits, counted, drift_sd, best, measurement_noise,
               target_ambition, see_improvement_effect, contact_rate, boost, own_idea_quality, subject_specificity,
               ties_kept, spread_effect_share, spread_cost_per_team, patients_per_team_per_year, savings_per_unit,
               qalys_per_unit, spread):  # pragma: no cover - compiled
    """The month's pass (see the module); returns whether it ran (False: it stopped before drawing,
    short of the draws it needs, ``MonthPass.draws_needed``) and the cost so far in the scenario's
    perspective (``counted`` categories). Reads three draws per team and one per pair of engaged
    teams from the run's draws, and the spread's from its own; ``series`` gets the month's sums
    (:func:`sim.measurement.row`)."""
    t = team_arrays(*team_blocks)
    n = t.status.shape[0]
    spreading = mode != NO_INTERVENTION
    if (cursor[0] + uniforms_needed > uniforms.shape[0] or cursor[1] + normals_needed > normals.shape[0]
            or (spreading and spread_cursor[0] + spread_draws > spread_uniforms.shape[0])):
        return False, 0.0
    o = organisation_arrays(organisations, n)
    ideas = idea_arrays(*idea_blocks)
    gap_by_changes = changes_gap(ideas.effect, ideas.in_use, ideas.adopted, count)  # no change moves this month
    drift_noise = take_normals(normals, cursor, n) * drift_sd
    benefit = report(month, drift_noise, take_uniforms(uniforms, cursor, n), take_normals(normals, cursor, n),
                     gap_by_changes, t, best, measurement_noise, target_ambition, see_improvement_effect)
    book_benefit(benefits, benefit, 1.0, benefit_discount[month], patients_per_team_per_year, savings_per_unit,
                 qalys_per_unit)
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
        if follow_up[month]:
            fade_and_support(strength, ties_kept, t.using_qi, t.peer_support)
    gap = t.drift * gap_by_changes
    in_use = ideas.in_use[:, :count].sum(axis=1)
    if spreading:
        reached, working = spread_month(month, in_use, engaged, t.capability, improvement_units(best, gap, t.baseline),
                                        organisations[SENIOR_ENGAGEMENT], spread_uniforms, spread_normals,
                                        spread_cursor, *spread)
        book_benefit(benefits, spread_effect_share * reached, 1.0, benefit_discount[month],
                     patients_per_team_per_year, savings_per_unit, qalys_per_unit)
        book(costs, costs_discounted, SPREAD, working * spread_cost_per_team, cost_discount[month])
    row(month, phases[month], performance(best, gap, t.baseline), team_blocks, o.senior_engagement, in_use,
        table_floats, table_ints, table_using_qi, series)
    return True, costs[:counted].sum()
