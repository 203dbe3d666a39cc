"""The agents of a collaborative: organisations, their leaders, and the site project teams.

An agent is an identity whose values live in the arrays of :mod:`sim.states` (``team.motivation``
reads its row): what they are and how they start is here; what happens to them -- a PDSA cycle,
learning at a session or from a peer, a leader leaving -- is in the compiled passes over every team
(:mod:`sim.weekly`, :mod:`sim.monthly`, :mod:`sim.sessions`). Each mechanism's docstring names the
paper's challenge it implements (Øvretveit et al. 2002, "the paper"). Nothing writes an outcome:
drop-out, improvement, sustainment and continued QI use follow from these rules over many weeks
and teams.
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
    from sim.parameters import Scenario

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


TEAM_LEADER_SKILL = 0.55
"""Mean skill of a team leader (0-1; assumption); teams differ by ``between_team_sd``."""
TEAM_LEADER_COMMITMENT = 0.6
"""Mean commitment of a team leader to the project (0-1; assumption)."""
SENIOR_LEADER_SKILL = 0.6
"""Mean skill of a senior leader (0-1; assumption), with a standard deviation of 0.15."""


def draw_team_leader(s: Scenario, rng: np.random.Generator, size: int | None = None) -> tuple:
    """A team leader's skill and commitment (or ``size`` of each)."""
    return (beta_around(rng, TEAM_LEADER_SKILL, s.between_team_sd, size),
            beta_around(rng, TEAM_LEADER_COMMITMENT, s.between_team_sd, size))


def draw_senior_leader_skill(rng: np.random.Generator, size: int | None = None):
    """A senior leader's skill (or ``size`` of them)."""
    return beta_around(rng, SENIOR_LEADER_SKILL, 0.15, size)


class Leader(mesa.Agent):
    """A team leader or a senior leader: skill, commitment, and a yearly hazard of leaving
    (ACHE: 14-18% of US hospital CEOs a year).

    A leader is the holder of a post: whether the holder leaves is drawn each week for all leaders
    at once in the weekly pass (:mod:`sim.weekly`), which appoints a successor from the run's
    :class:`LeaderCandidates`; the agent then holds the successor's values (in its team's or
    organisation's arrays) from that week on.
    """

    role: str

    def __init__(self, model: CollaborativeModel, index: int, states: object) -> None:
        super().__init__(model)
        self.index = index
        self.states = states

    @property
    def tenure_weeks(self) -> int:
        return self.model.week - self.start_week


class TeamLeader(Leader):
    """A site project team's leader."""

    role = "team_leader"
    skill = State("leader_skill")
    commitment = State("leader_commitment")

    @property
    def start_week(self) -> int:
        """The week the leader took over (0: before enrolment)."""
        return int(max(0.0, self.states.last_leader_change_week[self.index]))

    @property
    def turnover_per_year(self) -> float:
        return self.model.params.leader_turnover_per_year


class SeniorLeader(Leader):
    """An organisation's senior leader: commitment is the organisation's management support."""

    role = "senior_leader"
    skill = State("senior_leader_skill")
    commitment = State("senior_support")
    start_week = State("senior_leader_since")

    @property
    def turnover_per_year(self) -> float:
        return self.model.params.senior_leader_turnover_per_year


class LeaderCandidates:
    """The people who take over when leaders leave, drawn ahead from the week-by-week stream as the
    first leaders were drawn, so that the compiled weekly pass can appoint them: team leaders' skill
    and commitment, senior leaders' skill, each read in order (``cursor``: next team leader, next
    senior leader)."""

    def __init__(self, s: Scenario, rng: np.random.Generator, size: int = 64) -> None:
        self.s = s
        self.rng = rng
        self.team_skill, self.team_commitment = (np.zeros(0), np.zeros(0))
        self.senior_skill = np.zeros(0)
        self.cursor = np.zeros(2, dtype=np.int64)
        self.ensure(size)

    def ensure(self, k: int) -> None:
        """Keep at least ``k`` unread candidates of each kind (fresh ones join behind the unread)."""
        size = max(64, 2 * k)
        if len(self.team_skill) - self.cursor[0] < k:
            skill, commitment = draw_team_leader(self.s, self.rng, size)
            self.team_skill = np.concatenate([self.team_skill[self.cursor[0]:], skill])
            self.team_commitment = np.concatenate([self.team_commitment[self.cursor[0]:], commitment])
            self.cursor[0] = 0
        if len(self.senior_skill) - self.cursor[1] < k:
            self.senior_skill = np.concatenate([self.senior_skill[self.cursor[1]:],
                                                draw_senior_leader_skill(self.rng, size)])
            self.cursor[1] = 0
        self.arrays = (self.team_skill, self.team_commitment, self.senior_skill, self.cursor)
        """What the compiled weekly pass receives to appoint successors."""


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
        self.states.senior_leader_skill[index] = draw_senior_leader_skill(rng)
        self.senior_leader = SeniorLeader(model, index, self.states)


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
    leader_skill = State()

    def __init__(self, model: CollaborativeModel, index: int, organisation: Organisation,
                 rng: np.random.Generator) -> None:
        super().__init__(model)
        s = model.params
        self.index = index
        self.states = model.team_states
        self.team_id = index + 1  # 1..teams in enrolment order (Mesa ids span all agents)
        self.organisation = organisation
        self.leader_skill, self.states.leader_commitment[index] = draw_team_leader(s, rng)
        self.leader = TeamLeader(model, index, self.states)
        # Paper (ref 8): about 3 months organising; diagnosis varies widely (1-66 months to a first
        # result in another study), hence a gamma and a lognormal draw. Drawn in every mode, used in
        # the traditional one, so that every mode draws the same teams from a seed.
        organising = cal.weeks(rng.gamma(4.0, s.organising_months / 4.0))
        sigma = 0.8
        diagnosis = cal.weeks(s.diagnosis_months * math.exp(rng.normal(-sigma**2 / 2, sigma)))
        if s.mode == "traditional":
            self.organising_weeks = organising
            self.start_testing_week = organising + diagnosis


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
