"""The state of every team and every organisation, held as numpy arrays indexed by agent.

Mesa agents (:mod:`sim.agents`) keep their identity and do what happens to one of them at a time
(a PDSA cycle, a change of leader, learning from a peer); what happens to all of them every week
(motivation drifting, engagement fading, changes eroding, the chance of dropping out) is one array
operation over the whole population (:mod:`sim.weekly`), as IDM's Starsim keeps a population's
states. An agent reads and writes its own value through a :class:`State` attribute, so
``team.motivation`` is ``model.team_states.motivation[team.index]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Team status codes (``TeamStates.status``); ``Team.status`` gives the name.
ENROLLED, ACTIVE, COMPLETED, DROPPED = 0, 1, 2, 3
STATUS_NAMES = ("enrolled", "active", "completed", "dropped")
"""Enrolled: signed up, not yet testing; active: testing changes; completed: stayed to the end;
dropped: left before the end. ``status <= ACTIVE`` is a team still in the collaborative."""

RECENT_MEASUREMENTS = 3
"""Measurements a team looks back over to judge its progress (the last quarter of monthly data)."""
NO_MONTH = -1_000_000
"""The month of a measurement not yet taken (far before any real one)."""


class State:
    """One agent's value in its population's array of the same name (a Python number)."""

    __slots__ = ("name",)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(agent.states, self.name)[agent.index].item()

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(agent.states, self.name)[agent.index] = value


def column(applicants: list[dict[str, float]], key: str, dtype: type = float) -> np.ndarray:
    """One attribute of every applicant as an array."""
    return np.array([a[key] for a in applicants], dtype=dtype)


class OrganisationStates:
    """Every organisation's context (fixed) and its senior leader's engagement (changing).

    Participating organisations come first, in the order of their teams: organisation ``i < teams``
    is team ``i``'s home.
    """

    def __init__(self, applicants: list[dict[str, float]], self_assessment: float, decay_per_year: float,
                 sustain_planning: float) -> None:
        self.qi_culture = column(applicants, "qi_culture")
        self.senior_support = column(applicants, "senior_support")
        self.strategic_importance = column(applicants, "strategic_importance")
        self.staff_time_hours = column(applicants, "staff_time_hours")
        self.data_infrastructure = column(applicants, "data_infrastructure")
        # Signing up gives partial engagement; a self-assessment tool details what support is
        # needed (paper, challenge 4), so it starts fuller.
        self.senior_engagement = self.senior_support * (0.7 + 0.3 * self_assessment)
        # Yearly fade of senior engagement during the collaborative, and after its end, when planning
        # to sustain 'involving managers in this work' slows it (paper, box 1); strategic topics fade less.
        self.engagement_decay = decay_per_year * (1 - 0.5 * self.strategic_importance)
        self.engagement_decay_follow_up = self.engagement_decay * (1 - 0.5 * sustain_planning)


class TeamStates:
    """Every participating team's people, skills, progress and standing, one array per attribute.

    Attributes between 0 and 1 are shares of a full level (1 = as good as it gets). Performance is
    kept as ``drift`` (the part not caused by changes, 1 = baseline) and the adopted changes
    (``model.ideas``); the gap to best practice follows from both.
    """

    def __init__(self, applicants: list[dict[str, float]]) -> None:
        n = len(applicants)
        self.motivation = column(applicants, "motivation")
        self.motivation_anchor = self.motivation.copy()  # the team's own level, to which motivation drifts
        self.cohesion = column(applicants, "cohesion")
        self.knowledge = column(applicants, "knowledge")
        self.capability = column(applicants, "capability")
        self.learning_ability = column(applicants, "learning_ability")
        self.data_capability = column(applicants, "data_capability")
        self.clarity = column(applicants, "clarity")
        self.baseline = column(applicants, "baseline")
        self.sent_by_management = column(applicants, "sent", bool)
        self.leader_commitment = np.zeros(n)
        self.drift = np.ones(n)
        self.status = np.full(n, ENROLLED, dtype=np.int8)
        self.using_qi = np.zeros(n, dtype=bool)
        self.formed = np.zeros(n, dtype=bool)
        self.planned = np.zeros(n, dtype=bool)
        self.tests_run = np.zeros(n, dtype=np.int64)
        self.successes_in_period = np.zeros(n, dtype=np.int64)
        self.first_result_week = np.full(n, np.nan)
        self.leader_changes = np.zeros(n, dtype=np.int64)
        self.last_leader_change_week = np.full(n, -np.inf)
        self.dropped_week = np.full(n, np.nan)
        self.attended_sessions = np.zeros(n, dtype=np.int64)
        self.peer_examples = np.zeros(n, dtype=np.int64)
        self.peer_support = np.zeros(n)  # after the end: support from tied teams still using QI (0-1)
        self.organising_weeks = np.zeros(n, dtype=np.int64)  # traditional projects only
        self.start_testing_week = np.zeros(n, dtype=np.int64)
        # Monthly measurement: this month's value (NaN when none), the first one (the team's own
        # baseline), the last few with their months (most recent first), and how many so far.
        self.last_measured = np.full(n, np.nan)
        self.baseline_measured = np.full(n, np.nan)
        self.recent_values = np.zeros((n, RECENT_MEASUREMENTS))
        self.recent_months = np.full((n, RECENT_MEASUREMENTS), NO_MONTH)
        self.measurements = np.zeros(n, dtype=np.int64)
        self.ihi_score = np.full(n, 0.5)
        self.months_at_half_goal = np.zeros(n, dtype=np.int64)
        self.months_at_goal = np.zeros(n, dtype=np.int64)

    @property
    def size(self) -> int:
        return len(self.motivation)
