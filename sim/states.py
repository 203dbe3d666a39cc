"""The state of every team and every organisation, held as numpy arrays indexed by agent.

Mesa agents (:mod:`sim.agents`) keep their identity and do what happens to one of them at a time
(a change of leader); what happens to all of them every week and month (PDSA cycles, motivation
drifting, engagement fading, changes eroding, the chance of dropping out) is a compiled pass over
the whole population (:mod:`sim.weekly`), as IDM's Starsim keeps a population's states. An agent
reads and writes its own value through a :class:`State` attribute, so ``team.motivation`` is
``model.team_states.motivation[team.index]``.

Each attribute is a row of one of a few blocks (floats, whole numbers, yes/no), so that a compiled
pass receives a handful of arrays, not dozens -- handing an array to compiled code costs about
as much as a team's week of work -- and names the rows again inside (:func:`team_arrays`:
``t.motivation[i]``).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
from numba import njit

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
    """One agent's value in its population's array of the same name, or of the name given (a Python
    number)."""

    __slots__ = ("name",)

    def __init__(self, array: str | None = None) -> None:
        self.name = array

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.name or name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(agent.states, self.name)[agent.index].item()

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(agent.states, self.name)[agent.index] = value


def column(applicants: list[dict[str, float]], key: str, dtype: type = float) -> np.ndarray:
    """One attribute of every applicant as an array."""
    return np.array([a[key] for a in applicants], dtype=dtype)


class Blocks:
    """Arrays that are rows of a few blocks, one block per dtype: ``FIELDS`` maps each dtype to its
    rows' names. An attribute stays its block's row for good (assign into it, ``x[:] = ...``); the
    blocks are what compiled passes receive."""

    FIELDS: dict[type, tuple[str, ...]] = {}
    _rows: frozenset[str] = frozenset()

    def _make_blocks(self, *shape: int) -> None:
        self.blocks = tuple(np.zeros((len(names), *shape), dtype=dtype) for dtype, names in self.FIELDS.items())
        for block, names in zip(self.blocks, self.FIELDS.values(), strict=True):
            for k, name in enumerate(names):
                object.__setattr__(self, name, block[k])  # (re)made here, rows of the new blocks

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._rows and value is not self.__dict__.get(name, value):
            raise AttributeError(f"{type(self).__name__}.{name} is a row of a block: assign into it "
                                 f"({name}[:] = ...), do not replace it")
        object.__setattr__(self, name, value)

    def __init_subclass__(cls) -> None:
        cls._rows = frozenset(name for names in cls.FIELDS.values() for name in names)


ORGANISATION_FIELDS = ("qi_culture", "senior_support", "strategic_importance", "staff_time_hours",
                       "data_infrastructure", "senior_engagement", "engagement_decay", "engagement_decay_follow_up",
                       "senior_leader_skill", "senior_leader_since")
SENIOR_ENGAGEMENT = ORGANISATION_FIELDS.index("senior_engagement")
Organisations = namedtuple("Organisations", ORGANISATION_FIELDS)
"""The organisations' arrays by name, inside compiled passes (:func:`organisation_arrays`)."""


class OrganisationStates(Blocks):
    """Every organisation's context (fixed) and its senior leader's engagement (changing).

    Participating organisations come first, in the order of their teams: organisation ``i < teams``
    is team ``i``'s home.
    """

    FIELDS = {np.float64: ORGANISATION_FIELDS}
    qi_culture: np.ndarray
    senior_support: np.ndarray
    strategic_importance: np.ndarray
    staff_time_hours: np.ndarray
    data_infrastructure: np.ndarray
    senior_engagement: np.ndarray
    engagement_decay: np.ndarray
    """Yearly fade of senior engagement during the collaborative."""
    engagement_decay_follow_up: np.ndarray
    """Yearly fade of senior engagement after the end."""
    senior_leader_skill: np.ndarray
    senior_leader_since: np.ndarray
    """The week the senior leader took office (0: before enrolment)."""

    def __init__(self, applicants: list[dict[str, float]], self_assessment: float, decay_per_year: float,
                 sustain_planning: float) -> None:
        self._make_blocks(len(applicants))
        for name in ("qi_culture", "senior_support", "strategic_importance", "staff_time_hours",
                     "data_infrastructure"):
            getattr(self, name)[:] = column(applicants, name)
        # Signing up gives partial engagement; a self-assessment tool details what support is
        # needed (paper, challenge 4), so it starts fuller.
        self.senior_engagement[:] = self.senior_support * (0.7 + 0.3 * self_assessment)
        # Yearly fade of senior engagement during the collaborative, and after its end, when planning
        # to sustain 'involving managers in this work' slows it (paper, box 1); strategic topics fade less.
        self.engagement_decay[:] = decay_per_year * (1 - 0.5 * self.strategic_importance)
        self.engagement_decay_follow_up[:] = self.engagement_decay * (1 - 0.5 * sustain_planning)


TEAM_FLOATS = ("motivation", "motivation_anchor", "cohesion", "knowledge", "capability", "learning_ability",
               "data_capability", "clarity", "baseline", "leader_commitment", "drift", "first_result_week",
               "last_leader_change_week", "dropped_week", "peer_support", "last_measured", "baseline_measured",
               "ihi_score", "leader_skill")
TEAM_INTS = ("status", "tests_run", "successes_in_period", "leader_changes", "attended_sessions", "peer_examples",
             "organising_weeks", "start_testing_week", "measurements", "months_at_half_goal", "months_at_goal")
TEAM_FLAGS = ("sent_by_management", "using_qi", "formed", "planned")
Teams = namedtuple("Teams", (*TEAM_FLOATS, *TEAM_INTS, *TEAM_FLAGS, "recent_values", "recent_months"))
"""The teams' arrays by name, inside compiled passes (:func:`team_arrays`)."""


class TeamStates(Blocks):
    """Every participating team's people, skills, progress and standing, one array per attribute.

    Attributes between 0 and 1 are shares of a full level (1 = as good as it gets). Performance is
    kept as ``drift`` (the part not caused by changes, 1 = baseline) and the adopted changes
    (``model.ideas``); the gap to best practice follows from both.
    """

    FIELDS = {np.float64: TEAM_FLOATS, np.int64: TEAM_INTS, np.bool_: TEAM_FLAGS}
    motivation: np.ndarray
    motivation_anchor: np.ndarray
    """The team's own level of motivation, to which it drifts."""
    cohesion: np.ndarray
    knowledge: np.ndarray
    capability: np.ndarray
    learning_ability: np.ndarray
    data_capability: np.ndarray
    clarity: np.ndarray
    baseline: np.ndarray
    leader_commitment: np.ndarray
    drift: np.ndarray
    first_result_week: np.ndarray
    last_leader_change_week: np.ndarray
    dropped_week: np.ndarray
    peer_support: np.ndarray
    """After the end: support from tied teams still using QI (0-1)."""
    last_measured: np.ndarray
    """This month's measured value (NaN when none)."""
    baseline_measured: np.ndarray
    """The team's first measurement: its own baseline."""
    ihi_score: np.ndarray
    leader_skill: np.ndarray
    status: np.ndarray
    tests_run: np.ndarray
    successes_in_period: np.ndarray
    leader_changes: np.ndarray
    attended_sessions: np.ndarray
    peer_examples: np.ndarray
    organising_weeks: np.ndarray
    """Traditional projects only: weeks organising, then studying the problem until ``start_testing_week``."""
    start_testing_week: np.ndarray
    measurements: np.ndarray
    months_at_half_goal: np.ndarray
    months_at_goal: np.ndarray
    sent_by_management: np.ndarray
    using_qi: np.ndarray
    formed: np.ndarray
    planned: np.ndarray

    def __init__(self, applicants: list[dict[str, float]]) -> None:
        n = len(applicants)
        self._make_blocks(n)
        for name in ("motivation", "cohesion", "knowledge", "capability", "learning_ability", "data_capability",
                     "clarity", "baseline"):
            getattr(self, name)[:] = column(applicants, name)
        self.sent_by_management[:] = column(applicants, "sent", bool)
        self.motivation_anchor[:] = self.motivation
        self.drift[:] = 1.0
        self.status[:] = ENROLLED
        self.first_result_week[:] = np.nan
        self.last_leader_change_week[:] = -np.inf
        self.dropped_week[:] = np.nan
        self.last_measured[:] = np.nan
        self.baseline_measured[:] = np.nan
        self.ihi_score[:] = 0.5
        # The last few measurements with their months, most recent first.
        self.recent_values = np.zeros((n, RECENT_MEASUREMENTS))
        self.recent_months = np.full((n, RECENT_MEASUREMENTS), NO_MONTH)
        self.arrays = (*self.blocks, self.recent_values, self.recent_months)
        """What a compiled pass receives to name every team array (:func:`team_arrays`)."""

    @property
    def size(self) -> int:
        return len(self.motivation)


@njit(cache=True)
def team_arrays(floats, ints, flags, recent_values, recent_months):  # pragma: no cover - compiled
    """The teams' arrays by name (:data:`Teams`) from ``TeamStates.arrays``, in a compiled pass;
    rows in the order of ``TEAM_FLOATS``, ``TEAM_INTS`` and ``TEAM_FLAGS`` (tested)."""
    return Teams(floats[0], floats[1], floats[2], floats[3], floats[4], floats[5], floats[6], floats[7], floats[8],
                 floats[9], floats[10], floats[11], floats[12], floats[13], floats[14], floats[15], floats[16],
                 floats[17], floats[18], ints[0], ints[1], ints[2], ints[3], ints[4], ints[5], ints[6], ints[7],
                 ints[8], ints[9], ints[10], flags[0], flags[1], flags[2], flags[3], recent_values, recent_months)


@njit(cache=True)
def organisation_arrays(block, n):  # pragma: no cover - compiled
    """The first ``n`` organisations' arrays by name (:data:`Organisations`; the participants'), in a
    compiled pass; rows in the order of ``ORGANISATION_FIELDS`` (tested)."""
    return Organisations(block[0, :n], block[1, :n], block[2, :n], block[3, :n], block[4, :n], block[5, :n],
                         block[6, :n], block[7, :n], block[8, :n], block[9, :n])
