"""Drop-out: teams leave before the end of the collaborative (paper: 'up to 30% drop out').

A team still in the collaborative leaves in a week with a hazard that rises, on the log scale,
with low motivation, little senior engagement, little protected time and unclear aims -- and
above all in the months after a change of team leader, which the paper names 'a strong
predictor of whether the team will drop out'. ``dropout_hazard_per_year`` is the hazard of an
average team (middling motivation, engagement and clarity, and half of ``full_staff_time_hours``);
each effect is the change in log-hazard per unit of its attribute. A comparator team without an
intervention (mode ``none``) has nothing to drop out of.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from qicsim.sim.module import AVERAGE, Module, Par, define_pars, define_states, team_state, weekly_chance
from qicsim.sim.populations import COMPLETED, DROPPED
from qicsim.sim.sources import CALIBRATED, KEPT, PAPER


class Dropout(Module):
    """Each week, whether each team still in the collaborative leaves it."""

    name = "dropout"
    section = "dropout"
    pars = define_pars(
        Par("dropout_hazard_per_year", 0.18, unit="per year", source=f"{CALIBRATED}; {PAPER}: up to 30% drop out",
            doc="drop-out hazard of an average team (modified by motivation, support, time, clarity)", ge=0,
            le=5, prior=(0.03, 1.0), log_prior=True),
        Par("leader_change_dropout_multiplier", 10.0, unit="hazard ratio", section="roles",
            source=f"fitted earlier to the paper's drop-out band (a calibration figure); {PAPER}: a leader change "
                   "is 'a strong predictor' of drop-out",
            doc="drop-out hazard ratio in the months after a leader change", ge=1, le=50, prior=(2.0, 25.0),
            log_prior=True),
        Par("leader_change_window_weeks", 26, unit="weeks", section="roles", source=KEPT,
            doc="weeks after a change of team leader during which the drop-out hazard stays raised", ge=0,
            le=260, prior=(8, 52)),
        Par("dropout_motivation_effect", 3.0, unit="log-hazard per unit", source=f"{KEPT}; {PAPER}, challenge 6",
            doc="how much a team's motivation lowers its drop-out hazard", ge=0, le=20, prior=(1.0, 6.0)),
        Par("dropout_engagement_effect", 1.5, unit="log-hazard per unit", source=f"{KEPT}; {PAPER}, challenge 4",
            doc="how much senior engagement lowers the drop-out hazard", ge=0, le=20, prior=(0.0, 3.0)),
        Par("dropout_time_effect", 1.0, unit="log-hazard per unit", source=f"{KEPT}; {PAPER}, challenge 2",
            doc="how much protected time (as a share of full time) lowers the drop-out hazard", ge=0, le=20,
            prior=(0.0, 3.0)),
        Par("dropout_clarity_effect", 1.0, unit="log-hazard per unit", source=f"{KEPT}; {PAPER}, challenge 2",
            doc="how much clear objectives and roles lower the drop-out hazard", ge=0, le=20, prior=(0.0, 3.0)),
    )
    states = define_states(
        team_state("dropped_week", np.nan, "week the team dropped out (NaN: it did not)"),
        team_state("dropout_context", 0.0, "the part of the team's drop-out log-hazard that does not change: "
                                           "its protected time and clarity"),
    )
    reads = ("motivation", "senior_engagement", "last_leader_change_week", "status", "clarity", "staff_time_hours")
    writes = ("status", "dropped_week", "dropout_context")

    def init(self) -> None:
        p, t, o = self.p, self.model.team_states, self.model.organisation_states
        time = np.minimum(1.0, o.staff_time_hours[: t.size] / p.full_staff_time_hours)
        t.dropout_context[:] = (p.dropout_time_effect * (AVERAGE - time)
                                + p.dropout_clarity_effect * (AVERAGE - t.clarity))

    def step(self) -> None:
        model = self.model
        if model.follow_up or model.mode == "none":
            return
        t = model.team_states
        leave(t.record, model.organisation_states.record, model.pars, self.draws.uniforms(t.size), model.week)


@njit(cache=True)
def leave(t, o, pars, draws, week):  # pragma: no cover - compiled
    """Each team still in the collaborative drops out this week with its weekly chance (``draws``: one
    uniform per team)."""
    p = pars[0]
    for i in range(t.shape[0]):
        if t.status[i] >= COMPLETED:
            continue
        x = (p.dropout_motivation_effect * (AVERAGE - t.motivation[i])
             + p.dropout_engagement_effect * (AVERAGE - o.senior_engagement[i]) + t.dropout_context[i])
        hazard = p.dropout_hazard_per_year * math.exp(x)
        if week - t.last_leader_change_week[i] < p.leader_change_window_weeks:
            hazard *= p.leader_change_dropout_multiplier
        if draws[i] < weekly_chance(hazard):
            t.status[i] = DROPPED
            t.dropped_week[i] = week
