"""The agents of a collaborative: organisations, their leaders, and the site project teams.

An agent is an identity and what happens to it alone: a team runs a PDSA cycle, learns at a
session or from a peer, loses its leader. What happens to every team each week is in
:mod:`sim.weekly`, over the arrays of :mod:`sim.states` that hold the agents' values. Each
mechanism's docstring names the paper's challenge it implements (Øvretveit et al. 2002, "the
paper"). No method writes an outcome: drop-out, improvement, sustainment and continued QI use
follow from these rules over many weeks and teams.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from sim import calendar as cal
from sim.states import COMPLETED, STATUS_NAMES, State

if TYPE_CHECKING:
    from sim.model import CollaborativeModel

# Internal rates not exposed as scenario parameters. Each is an assumption, named so that it can
# be found and promoted to a parameter when a study needs to vary it.
KNOWLEDGE_PER_LECTURE_DAY = 0.15
"""Share of the knowledge gap closed by one full day of lectures from fully credible experts."""
CAPABILITY_PER_PRACTICE_DAY = 0.05
"""Share of the capability gap closed by one day of supervised practice (paper, challenge 5:
'gaining knowledge is relatively easy; much more difficult to learn how to apply')."""
COHESION_PER_TEAM_DAY = 0.04
"""Share of the cohesion gap closed by one day working as a team at a session."""
LEADER_SHOCK_WINDOW_WEEKS = 26
"""Weeks after a team-leader change during which the drop-out hazard stays raised."""
TRADITIONAL_SUPPORT = 0.75
"""Test-rate factor of a team without facilitators or peers (no collaborative support)."""
DRIFT_LIMIT = 0.5
"""Largest drift of performance not caused by changes, in units of the baseline gap: a team can
end at most half its gap worse than its baseline (the floor of the measure)."""
WEEKS_PER_YEAR = float(cal.WEEKS_PER_YEAR)
DRIFT_REVERSION = 0.1
"""Share of the drift that reverts to the baseline each month (an Ornstein-Uhlenbeck process)."""


def beta_around(rng: np.random.Generator, mean: float, sd: float, size: int | None = None):
    """A Beta draw with the given mean and standard deviation (a 0-1 attribute of a team).

    Attributes bounded on [0, 1] are drawn from Beta distributions so that teams differ around
    the scenario's mean by ``between_team_sd``; a zero sd gives every team the mean.
    """
    mean = min(max(mean, 0.001), 0.999)
    sd = min(sd, 0.99 * math.sqrt(mean * (1 - mean)))
    if sd <= 0:
        return np.full(size, mean) if size else mean
    k = mean * (1 - mean) / sd**2 - 1
    return rng.beta(mean * k, (1 - mean) * k, size)


@njit(cache=True)
def weekly_chance(rate_per_year: float) -> float:  # pragma: no cover - compiled
    """Chance that an event with a constant yearly hazard happens within one week (callable from the
    compiled weekly loops and from Python)."""
    return -math.expm1(-rate_per_year / WEEKS_PER_YEAR)


class Leader(mesa.Agent):
    """A team leader or a senior leader: skill, commitment, and a yearly hazard of leaving
    (ACHE: 14-18% of US hospital CEOs a year). Whether a leader leaves is drawn each week for all
    leaders at once (:func:`sim.weekly.week`); the team or organisation then replaces its leader."""

    def __init__(self, model: CollaborativeModel, role: str, skill: float, commitment: float,
                 turnover_per_year: float) -> None:
        super().__init__(model)
        self.role = role
        self.skill = skill
        self.commitment = commitment
        self.turnover_per_year = turnover_per_year
        self.start_week = model.week

    @property
    def tenure_weeks(self) -> int:
        return self.model.week - self.start_week


class Organisation(mesa.Agent):
    """A home organisation: QI culture, management support, strategic importance of the topic,
    staff time, data infrastructure and a senior leader whose engagement fades unless kept up.

    Participating organisations send a team; the others in the network are targets of spread only,
    and their senior engagement stays at its starting level (nothing in the collaborative moves it).
    Its values live in ``model.organisation_states`` at ``index``.
    """

    qi_culture = State()
    senior_support = State()
    strategic_importance = State()
    staff_time_hours = State()
    data_infrastructure = State()
    senior_engagement = State()

    def __init__(self, model: CollaborativeModel, index: int, rng: np.random.Generator,
                 participating: bool = True) -> None:
        super().__init__(model)
        self.index = index
        self.states = model.organisation_states
        self.organisation_id = index + 1
        self.participating = participating
        self.senior_leader = self._new_senior_leader(rng)

    def _new_senior_leader(self, rng: np.random.Generator) -> Leader:
        s = self.model.params
        return Leader(self.model, "senior_leader", skill=float(beta_around(rng, 0.6, 0.15)),
                      commitment=self.senior_support, turnover_per_year=s.senior_leader_turnover_per_year)

    def change_senior_leader(self) -> None:
        """A new senior leader starts cold: engagement halves (paper, challenge 4: leaders must be
        engaged throughout, not signed up once)."""
        self.senior_leader.remove()
        self.senior_leader = self._new_senior_leader(self.model.rng)
        self.states.senior_engagement[self.index] *= 0.5


class Team(mesa.Agent):
    """A site project team: its people, knowledge and skills, its ideas and adopted changes, and
    its performance on the collaborative's common measure.

    Its values live in ``model.team_states`` at ``index`` (``team_id`` is ``index + 1``); its ideas
    and adopted changes are row ``index`` of ``model.ideas``.
    """

    motivation = State()
    cohesion = State()
    knowledge = State()
    capability = State()
    learning_ability = State()
    data_capability = State()
    clarity = State()
    baseline = State()
    sent_by_management = State()
    drift = State()
    using_qi = State()
    formed = State()
    planned = State()
    tests_run = State()
    successes_in_period = State()
    first_result_week = State()
    leader_changes = State()
    attended_sessions = State()
    peer_examples = State()
    peer_support = State()
    organising_weeks = State()
    start_testing_week = State()
    last_measured = State()
    ihi_score = State()
    months_at_half_goal = State()
    months_at_goal = State()

    def __init__(self, model: CollaborativeModel, index: int, organisation: Organisation,
                 rng: np.random.Generator) -> None:
        super().__init__(model)
        s = model.params
        self.index = index
        self.states = model.team_states
        self.team_id = index + 1  # 1..teams in enrolment order (Mesa ids span all agents)
        self.organisation = organisation
        self.leader = self._new_leader(rng)
        # Paper (ref 8): about 3 months organising; diagnosis varies widely (1-66 months to a first
        # result in another study), hence a gamma and a lognormal draw. Drawn in every mode, used in
        # the traditional one, so that every mode draws the same teams from a seed.
        organising = cal.weeks(rng.gamma(4.0, s.organising_months / 4.0))
        sigma = 0.8
        diagnosis = cal.weeks(s.diagnosis_months * math.exp(rng.normal(-sigma**2 / 2, sigma)))
        if s.mode == "traditional":
            self.organising_weeks = organising
            self.start_testing_week = organising + diagnosis

    def _new_leader(self, rng: np.random.Generator) -> Leader:
        s = self.model.params
        leader = Leader(self.model, "team_leader", skill=float(beta_around(rng, 0.55, s.between_team_sd)),
                        commitment=float(beta_around(rng, 0.6, s.between_team_sd)),
                        turnover_per_year=s.leader_turnover_per_year)
        self.states.leader_commitment[self.index] = leader.commitment
        return leader

    # ---- state derived on demand ----
    @property
    def status(self) -> str:
        """'enrolled', 'active', 'completed' or 'dropped'."""
        return STATUS_NAMES[self.states.status[self.index]]

    @property
    def active(self) -> bool:
        """Still in the collaborative (or project): neither dropped nor completed."""
        return bool(self.states.status[self.index] < COMPLETED)

    @property
    def dropped_week(self) -> int | None:
        week = self.states.dropped_week[self.index]
        return None if math.isnan(week) else int(week)

    @property
    def last_leader_change_week(self) -> int | None:
        week = self.states.last_leader_change_week[self.index]
        return None if math.isinf(week) else int(week)

    @property
    def phase(self) -> str:
        """The phase this team is in this week (a traditional project's own organising, diagnosis
        or action period)."""
        return cal.PHASES[self.model.team_phases(self.model.week)[self.index]]

    @property
    def gap(self) -> float:
        """Remaining distance to best practice, in units of the baseline gap (1 = baseline)."""
        return self.model.remaining_gap()[self.index].item()

    @property
    def performance(self) -> float:
        """True value of the measure (:meth:`CollaborativeModel.performance`)."""
        return self.model.performance()[self.index].item()

    @property
    def relative_improvement(self) -> float:
        """Improvement on the team's own baseline as a share of it (:meth:`CollaborativeModel.relative_improvement`)."""
        return self.model.relative_improvement()[self.index].item()

    @property
    def senior_engagement(self) -> float:
        return self.organisation.senior_engagement

    @property
    def changes_in_use(self) -> float:
        """Adopted changes weighted by how fully each is still practised."""
        return self.model.ideas.in_use_by_team()[self.index].item()

    # ---- events of one team ----
    def change_leader(self, week: int) -> None:
        """A team-leader change breaks continuity (paper, challenges 3 and 4): cohesion and motivation
        drop, and changes that live in the leader's head go with the leader."""
        s = self.model.params
        t = self.states
        i = self.index
        self.leader.remove()
        self.leader = self._new_leader(self.model.rng)
        t.leader_changes[i] += 1
        t.last_leader_change_week[i] = week
        t.cohesion[i] *= 1 - s.leader_change_shock
        t.motivation[i] *= 1 - s.leader_change_shock
        self.model.ideas.lose_people(i, 0.5 * s.leader_change_shock)
