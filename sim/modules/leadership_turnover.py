"""Leadership turnover: team leaders and senior leaders leave, and successors take over (challenges 3, 4).

A team-leader change breaks continuity: cohesion and motivation drop, and changes that live in the
leader's head go with the leader (a share of what is not institutionalised stops being practised);
for some months after it the team is far more likely to drop out (:mod:`sim.modules.dropout`) --
the paper names a change of leader 'a strong predictor of whether the team will drop out'. A new
senior leader starts cold: senior engagement falls (paper, challenge 4: 'changing leadership
reduces effectiveness'). Only participating organisations are followed, and teams that dropped out
no longer are. Hazards: US hospital CEO turnover is 14-18% a year (ACHE).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from qicsim.sim.module import (
    BetaAround,
    Module,
    Par,
    define_pars,
    define_states,
    organisation_state,
    stream,
    team_state,
    weekly_chance,
)
from qicsim.sim.populations import DROPPED
from qicsim.sim.sources import KEPT, PAPER

ACHE = "ACHE: US hospital CEO turnover 14-18% a year"
DRAWS_PER_TEAM = 2
"""Each week: whether the senior leader of the team's organisation leaves, and whether its team leader does."""


class LeadershipTurnover(Module):
    """Draws the first leaders, then each week who leaves and who succeeds them."""

    name = "leadership_turnover"
    section = "roles"
    pars = define_pars(
        Par("leader_turnover_per_year", 0.15, unit="per year", source=f"{ACHE} (used for team leaders as a start)",
            doc="hazard that a team leader leaves", ge=0, le=3, prior=(0.05, 0.5)),
        Par("senior_leader_turnover_per_year", 0.16, unit="per year", source=ACHE,
            doc="hazard that a senior leader leaves", ge=0, le=3, prior=(0.08, 0.3)),
        Par("leader_change_shock", 0.3, unit="share",
            source=f"assumption; {PAPER}, challenge 4: changing leadership reduces effectiveness",
            doc="share of cohesion and motivation lost when the team leader changes", ge=0, le=1, prior=(0.1, 0.6)),
        Par("leader_change_practice_loss", 0.5, unit="share of the shock", source=f"{KEPT}; {PAPER}, challenge 9",
            doc="share of the shock by which changes not yet institutionalised stop being practised when the "
                "team leader leaves (they lived in the leader's head)", ge=0, le=1, prior=(0.0, 1.0)),
        Par("new_senior_leader_engagement", 0.5, unit="share", source=f"{KEPT}; {PAPER}, challenge 4",
            doc="share of senior engagement left when a new senior leader takes over", ge=0, le=1,
            prior=(0.2, 0.9)),
        Par("team_leader_commitment_mean", 0.6, unit="0-1", source=KEPT,
            doc="mean commitment of a team leader to the project (teams differ by between_team_sd)", ge=0, le=1,
            prior=(0.4, 0.8)),
        Par("team_leader_skill_mean", 0.55, unit="0-1", source=KEPT,
            doc="mean skill of a team leader (recorded on the Leader agent; no mechanism reads it yet)",
            ge=0, le=1, prior=(0.3, 0.8)),
        Par("senior_leader_skill_mean", 0.6, unit="0-1", source=KEPT,
            doc="mean skill of a senior leader (recorded on the Leader agent; no mechanism reads it yet)",
            ge=0, le=1, prior=(0.3, 0.8)),
        Par("senior_leader_skill_sd", 0.15, unit="0-1", source=KEPT,
            doc="how much senior leaders differ in skill", ge=0, le=0.5, prior=(0.05, 0.3)),
    )
    states = define_states(
        team_state("leader_skill", 0.0, "skill of the team's current leader (0-1)"),
        team_state("leader_commitment", 0.0, "commitment of the team's current leader to the project (0-1)"),
        team_state("leader_changes", 0, "times the team leader changed", int),
        team_state("last_leader_change_week", -np.inf, "week of the last change of team leader (-inf: none)"),
        organisation_state("senior_leader_skill", 0.0, "skill of the current senior leader (0-1)"),
        organisation_state("senior_leader_since", 0.0, "week the senior leader took office (0: before enrolment)"),
    )
    reads = ("status", "institutionalisation")
    writes = ("leader_skill", "leader_commitment", "leader_changes", "last_leader_change_week", "cohesion",
              "motivation", "in_use", "senior_leader_skill", "senior_leader_since", "senior_engagement")

    def init(self) -> None:
        p, t, o = self.p, self.model.team_states, self.model.organisation_states
        self.skill = BetaAround(p.team_leader_skill_mean, p.between_team_sd)
        self.commitment = BetaAround(p.team_leader_commitment_mean, p.between_team_sd)
        self.senior_skill = BetaAround(p.senior_leader_skill_mean, p.senior_leader_skill_sd)
        # successors are drawn from a stream of their own, so that who leaves never depends on how many
        # successors were drawn before (common random numbers across designs)
        self.successors = stream(self.model.seed, f"{self.name}.successors")
        t.leader_skill[:], t.leader_commitment[:] = self.team_leaders(t.size, self.rng)
        o.senior_leader_skill[:] = self.senior_leaders(o.size, self.rng)

    def team_leaders(self, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Skill and commitment of ``size`` new team leaders."""
        return self.skill.draw(rng, size), self.commitment.draw(rng, size)

    def senior_leaders(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Skill of ``size`` new senior leaders."""
        return self.senior_skill.draw(rng, size)

    def step(self) -> None:
        model = self.model
        t, o, ideas = model.team_states, model.organisation_states, model.ideas
        senior, team = leaders_leave(t.record, o.record, ideas.matrix.record, ideas.count, model.pars,
                                     self.draws.uniforms(DRAWS_PER_TEAM * t.size), model.week)
        # their successors take over, with their own skill (and commitment)
        if senior.size:
            o.senior_leader_skill[senior] = self.senior_leaders(senior.size, self.successors)
        if team.size:
            t.leader_skill[team], t.leader_commitment[team] = self.team_leaders(team.size, self.successors)


@njit(cache=True)
def leaders_leave(t, o, ideas, count, pars, draws, week):  # pragma: no cover - compiled
    """Which senior leaders of participating organisations and which team leaders leave this week
    (``draws``: two uniforms per team), and what their leaving does; returns the organisations whose
    senior leader left and the teams whose leader left (their successors are appointed by the caller)."""
    p = pars[0]
    n = t.shape[0]
    senior_leaves = weekly_chance(p.senior_leader_turnover_per_year)
    leader_leaves = weekly_chance(p.leader_turnover_per_year)
    kept = 1.0 - p.leader_change_shock
    loss = p.leader_change_practice_loss * p.leader_change_shock
    senior_left = np.zeros(n, np.bool_)
    team_left = np.zeros(n, np.bool_)
    for i in range(n):
        if draws[i] < senior_leaves:
            # a new senior leader starts cold
            senior_left[i] = True
            o.senior_leader_since[i] = week
            o.senior_engagement[i] *= p.new_senior_leader_engagement
        if draws[n + i] < leader_leaves and t.status[i] != DROPPED:
            # continuity breaks: cohesion and motivation drop, changes in the leader's head go with the leader
            team_left[i] = True
            t.leader_changes[i] += 1
            t.last_leader_change_week[i] = week
            t.cohesion[i] *= kept
            t.motivation[i] *= kept
            for j in range(count):
                ideas.in_use[i, j] *= 1.0 - loss * (1.0 - ideas.institutionalisation[i, j])
    return np.flatnonzero(senior_left), np.flatnonzero(team_left)
