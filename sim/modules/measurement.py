"""Each month's report: performance drifts, teams measure it (if they manage to), judge their
progress from their own data, and score themselves on the IHI scale (challenges 6 and 7).

Paper, challenge 7: a common, measurable target; challenge 6: 'the strongest motivation and
confidence comes from teams seeing improvements which they have made, which depends in part on
them being able to measure'. Each team's true performance drifts for reasons outside its changes
(case mix, staffing, season: an Ornstein-Uhlenbeck process around its baseline); if it manages to
collect data it measures, with noise that falls as its data skills grow; it judges its progress
from its first measurement against its recent ones, and credits only the progress beyond one
standard error of its own noise (as a run or control chart would), so better data let it see more
of what it achieved; and it scores itself on the IHI scale (:mod:`sim.ihi`). Teams that dropped out
still drift (their units go on) but no longer report.

A team's performance is kept as its remaining gap to best practice in units of its baseline gap
(1 = baseline): the drift times what its changes leave (:meth:`sim.ideas.Ideas.remaining_gap`).
The measure may run either way (lower or higher is better): only the gap's sign says which.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.extending import register_jitable

from qicsim.sim import ihi
from qicsim.sim.draws import standard_normal
from qicsim.sim.ideas import gap_left
from qicsim.sim.module import Module, Par, define_pars, define_states, gained, team_state, with_floor
from qicsim.sim.populations import COMPLETED, DROPPED
from qicsim.sim.sources import CALIBRATED, KEPT, PAPER

NO_MONTH = -1_000_000
"""The month of a measurement not yet taken (far before any real one)."""
FOR_PROGRESS = 2
"""Measurements a team needs to see progress: its first (its own baseline) and a later one."""
DRAWS_PER_TEAM = 5
"""Each month: two uniforms for the team's drift (a normal), one for whether it measures, two for its
measurement's noise (a normal)."""


@register_jitable
def performance(best: float, gap, baseline):
    """The true value of the measure of a team with a remaining ``gap`` to best practice (in units of
    its baseline gap; 1 = its baseline)."""
    return best + gap * (baseline - best)


@register_jitable
def improvement_units(best: float, gap, baseline):
    """A team's improvement on its own baseline in the measure's units (positive = better), with a
    remaining ``gap`` to best practice (in units of its baseline gap)."""
    return (1.0 - gap) * np.abs(baseline - best)


@njit(cache=True)
def remaining_gaps(t, ideas, catalogue, count):  # pragma: no cover - compiled
    """Each team's distance to best practice in units of its baseline gap (1 = baseline): its drift
    times what its changes, as far as they are still practised, leave of the gap."""
    gap = np.empty(t.shape[0])
    for i in range(t.shape[0]):
        gap[i] = t.drift[i] * gap_left(ideas, catalogue, count, i)
    return gap


@njit(cache=True)
def performances(t, ideas, catalogue, count, pars):  # pragma: no cover - compiled
    """Each team's true value of the measure."""
    return performance(pars[0].best_practice_performance, remaining_gaps(t, ideas, catalogue, count), t.baseline)


@njit(cache=True)
def improvements(t, ideas, catalogue, count, pars):  # pragma: no cover - compiled
    """Each team's improvement on its own baseline in the measure's units, as its drift and its changes
    (as far as they are still practised) leave it."""
    return improvement_units(pars[0].best_practice_performance, remaining_gaps(t, ideas, catalogue, count),
                             t.baseline)


class Measurement(Module):
    """The month's drift, measurement, progress seen and IHI score of every team."""

    name = "measurement"
    section = "measurement"
    pars = define_pars(
        Par("measure_name", "target measure (index)", unit="text", source="generic index",
            doc="the common measure teams track", kind="design"),
        Par("measure_unit", "index", unit="text", source="generic index", doc="unit of the measure", kind="design"),
        Par("baseline_performance", 1.0, unit="measure unit", source="generic index: baseline = 1", ge=-1e9, le=1e9,
            doc="mean baseline value of the measure", kind="design"),
        Par("measure_direction", "lower_is_better", unit="choice",
            source="each collaborative's measure (a rate of harm falls, a compliance rises)",
            doc="which way the measure improves", choices=("lower_is_better", "higher_is_better"), kind="design"),
        Par("best_practice_performance", None, unit="measure unit", optional=True, ge=-1e9, le=1e9,
            source="a collaborative's source, where it gives one; otherwise worked out from best_practice_improvement",
            doc="best-practice level of the measure; unset (the default): the baseline improved by "
                "best_practice_improvement in the measure's direction", kind="design"),
        Par("best_practice_improvement", 0.5, unit="share of the baseline",
            source=f"{CALIBRATED}; default: the generic index's best practice halves it",
            doc="how far best practice lies from the baseline, as a share of the baseline (where a scenario does "
                "not give best_practice_performance)", ge=0.01, le=0.99, prior=(0.2, 0.7)),
        Par("target_ambition", 0.5, unit="share of gap",
            source=f"{PAPER}, challenge 7: challenging but achievable targets",
            doc="share of the gap to best practice that a team's goal asks it to close", ge=0.05, le=1,
            prior=(0.2, 0.9), kind="design"),
        Par("successful_change_threshold", 0.2, unit="share of the baseline",
            source=f"{PAPER} (IHI ADE collaborative, ref 12): a successful change is 'an improvement of 20% or more "
                   "in the target measure'",
            doc="how much one change must improve a team's measure (as a share of its baseline) to count as a "
                "successful change", ge=0.01, le=1, kind="definition"),
        Par("significant_improvement_threshold", 0.2, unit="relative change",
            source=f"{PAPER} (IHI ADE collaborative): 'an improvement of 20% or more in the target measure'",
            doc="relative improvement that counts as significant", ge=0.01, le=1, kind="definition"),
        Par("measurement_noise", 0.10, unit="relative sd",
            source="assumption: noise of a monthly measurement for a team without data skills",
            doc="measurement noise at zero data capability (falls as data capability grows)", ge=0, le=1,
            prior=(0.03, 0.25)),
        Par("data_noise_reduction", 0.8, unit="share", source=KEPT,
            doc="share of the measurement noise that full data capability removes", ge=0, le=1, prior=(0.4, 1.0)),
        Par("measuring_data_floor", 0.3, unit="probability", source=f"{KEPT}; {PAPER}, challenge 8",
            doc="chance that a team without data skills manages to measure in a month (1 with full skills)",
            ge=0, le=1, prior=(0.1, 0.7)),
        Par("performance_drift_sd", 0.03, unit="share of gap per month",
            source=f"{CALIBRATED}; the default is an earlier fit to the worst orthopaedic project (+12%, {PAPER}), "
                   "now a validation figure, which the posterior's draws replace",
            doc="month-to-month drift of performance not caused by the team's changes", ge=0, le=0.5,
            prior=(0.0, 0.2)),
        Par("drift_reversion_per_month", 0.1, unit="share per month", source=KEPT,
            doc="share of the drift that reverts to the baseline each month", ge=0, le=1, prior=(0.02, 0.3)),
        Par("drift_limit", 0.5, unit="share of the baseline gap", source=KEPT,
            doc="largest drift either way: a team ends at most this share of its gap worse than its baseline",
            ge=0, le=5, prior=(0.2, 1.0)),
        Par("recent_measurements", 3, unit="measurements", source=KEPT,
            doc="measurements a team looks back over to judge its progress", ge=1, le=24, prior=(1, 6)),
        Par("recent_window_months", 6, unit="months", source=KEPT,
            doc="measurements older than this (before the latest) no longer count as recent", ge=1, le=60,
            prior=(3, 12)),
        Par("see_improvement_effect", 0.25, unit="share of gap per unit of progress", section="motivation",
            source=f"{PAPER}, challenge 6: 'the strongest motivation comes from teams seeing improvements'",
            doc="motivation gained per month from seeing one's own data improve (per unit of progress)", ge=0,
            le=1, prior=(0.0, 0.5)),
    )
    states = define_states(
        team_state("measured_performance", np.nan, "this month's measured value of the measure (NaN: none)",
                   recorded=True),
        team_state("baseline_measured", np.nan, "the team's first measurement: its own baseline"),
        team_state("measurements", 0, "months the team measured", int),
        team_state("months_at_half_goal", 0, "months in a row at half its goal or more", int),
        team_state("months_at_goal", 0, "months in a row at its goal or more", int),
        team_state("ihi_score", ihi.LOWEST, "IHI assessment score (0.5-5)", recorded=True),
    )
    reads = ("formed", "planned", "using_qi", "status", "data_capability", "tests_run", "baseline", "in_use")
    writes = ("drift", "measured_performance", "baseline_measured", "measurements",
              "months_at_half_goal", "months_at_goal", "ihi_score", "motivation")

    def init(self) -> None:
        n, recent = self.model.team_states.size, self.p.recent_measurements
        # the last few measurements with their months, most recent first
        self.recent_values = np.zeros((n, recent))
        self.recent_months = np.full((n, recent), NO_MONTH)

    def month_end(self, month: int) -> None:
        model = self.model
        t = model.team_states
        report(t.record, model.ideas.remaining_gap(), self.recent_values, self.recent_months, model.pars,
               self.draws.uniforms(DRAWS_PER_TEAM * t.size), month)


@njit(cache=True)
def report(t, changes_gap, recent_values, recent_months, pars, draws, month):  # pragma: no cover - compiled
    """Every team's report for ``month`` (see the module): drift, measurement, progress seen, IHI score.
    ``changes_gap``: each team's gap as its changes leave it; ``recent_values`` / ``recent_months``:
    each team's last measurements, most recent first; ``draws``: five uniforms per team, for its drift
    (two: a standard normal), whether it measures (one) and its measurement's noise (two)."""
    p = pars[0]
    best = p.best_practice_performance
    recent = recent_values.shape[1]
    for i in range(t.shape[0]):
        drift_u1, drift_u2, measure_u, noise_u1, noise_u2 = draws[DRAWS_PER_TEAM * i: DRAWS_PER_TEAM * (i + 1)]
        baseline = t.baseline[i]
        drifted = (t.drift[i] + p.drift_reversion_per_month * (1.0 - t.drift[i])
                   + standard_normal(drift_u1, drift_u2) * p.performance_drift_sd)
        t.drift[i] = min(1.0 + p.drift_limit, max(1.0 - p.drift_limit, drifted))
        t.measured_performance[i] = np.nan
        if t.status[i] == DROPPED:
            continue
        noise = p.measurement_noise * (1.0 - p.data_noise_reduction * t.data_capability[i])
        measured = (t.formed[i] or t.using_qi[i]) and measure_u < with_floor(t.data_capability[i],
                                                                              p.measuring_data_floor)
        if measured:
            value = (performance(best, t.drift[i] * changes_gap[i], baseline)
                     * (1.0 + standard_normal(noise_u1, noise_u2) * noise))
            for k in range(recent - 1, 0, -1):
                recent_values[i, k] = recent_values[i, k - 1]
                recent_months[i, k] = recent_months[i, k - 1]
            recent_values[i, 0] = value
            recent_months[i, 0] = month
            if t.measurements[i] == 0:
                t.baseline_measured[i] = value
            t.measurements[i] += 1
            t.measured_performance[i] = value
        progress = np.nan
        goal = p.target_ambition * (baseline - best)
        if t.measurements[i] >= FOR_PROGRESS:
            # from its first measurement to the mean of its recent ones
            total = 0.0
            count = 0
            for k in range(min(recent, t.measurements[i])):
                if recent_months[i, k] > recent_months[i, 0] - p.recent_window_months:
                    total += recent_values[i, k]
                    count += 1
            progress = (t.baseline_measured[i] - total / count) / goal
            if measured and t.status[i] < COMPLETED:
                # what it credits itself with: progress beyond one standard error of its own noise
                earlier = min(recent, t.measurements[i] - 1)
                band = noise * abs(baseline / goal) * math.sqrt(1.0 / earlier + 1.0)
                seen = progress - band
                if seen > 0.0:
                    t.motivation[i] += gained(p.see_improvement_effect * min(1.0, seen), t.motivation[i])
        t.months_at_half_goal[i] = t.months_at_half_goal[i] + 1 if progress >= ihi.SIGNIFICANT else 0
        t.months_at_goal[i] = t.months_at_goal[i] + 1 if progress >= ihi.GOAL else 0
        t.ihi_score[i] = ihi.ihi_score(t.formed[i], t.planned[i], t.measurements[i] > 0, t.tests_run[i], progress,
                                       t.months_at_goal[i], t.months_at_half_goal[i])
