"""The agents of a collaborative: organisations, their leaders, and the site project teams.

An agent is a Mesa agent whose values live in its population's arrays (:mod:`sim.populations`):
``team.motivation`` reads (and writes) ``model.team_states.motivation[team.index]``. Every declared
state of a population -- the core ones and those the modules add -- is an attribute of its agents,
made from the declarations when the model is built. What happens to the agents, a PDSA cycle or a
leader leaving, is in the modules (:mod:`sim.modules`), which update a whole population at once.
Nothing writes an outcome: drop-out, improvement, sustainment and continued QI use follow from the
mechanisms over many weeks and teams.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import mesa

from qicsim.sim import calendar as cal
from qicsim.sim.populations import COMPLETED, STATUS_NAMES, Population

if TYPE_CHECKING:
    from qicsim.sim.model import CollaborativeModel


class StateView:
    """One agent's value of a declared state: a Python number read from (written to) its row."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(agent.states, self.name)[agent.index].item()

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(agent.states, self.name)[agent.index] = value


AGENT_ATTRIBUTES = frozenset({"model", "unique_id", "pos", "cell", "random", "rng", "index", "states", "team_id",
                              "organisation", "organisation_id", "participating", "leader", "senior_leader"})
"""What an agent itself holds: no state may take one of these names."""


def with_states(cls: type, population: Population) -> type:
    """``cls`` with an attribute for every state of ``population`` (those it does not define itself)."""
    for name in population.states:
        if name in AGENT_ATTRIBUTES:
            raise ValueError(f"{population.kind} state '{name}' would hide the agents' own attribute of that name; "
                             f"declare it under another name")
        if not hasattr(cls, name):
            setattr(cls, name, StateView(name))
    return cls


class Leader(mesa.Agent):
    """A team leader or a senior leader: skill, commitment, and a yearly hazard of leaving
    (ACHE: 14-18% of US hospital CEOs a year).

    A leader is the holder of a post: who leaves is decided each week for all leaders at once
    (:mod:`sim.modules.leadership_turnover`), which appoints a successor; the agent then holds the
    successor's values (in its team's or organisation's arrays) from that week on.
    """

    role: str

    def __init__(self, model: CollaborativeModel, index: int, states: Population) -> None:
        super().__init__(model)
        self.index = index
        self.states = states

    @property
    def tenure_weeks(self) -> int:
        return self.model.week - self.start_week


class TeamLeader(Leader):
    """A site project team's leader."""

    role = "team_leader"
    skill = StateView("leader_skill")
    commitment = StateView("leader_commitment")

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
    skill = StateView("senior_leader_skill")
    commitment = StateView("senior_support")
    start_week = StateView("senior_leader_since")

    @property
    def turnover_per_year(self) -> float:
        return self.model.params.senior_leader_turnover_per_year


class Organisation(mesa.Agent):
    """A home organisation: QI culture, management support, strategic importance of the topic,
    staff time, data infrastructure and a senior leader whose engagement fades unless kept up.

    Participating organisations send a team; the others in the network are targets of spread only,
    and their senior engagement stays at its starting level (nothing in the collaborative moves it).
    Its values live in ``model.organisation_states`` at ``index``.
    """

    def __init__(self, model: CollaborativeModel, index: int, participating: bool = True) -> None:
        super().__init__(model)
        self.index = index
        self.states = model.organisation_states
        self.organisation_id = index + 1
        self.participating = participating
        self.senior_leader = SeniorLeader(model, index, self.states)


class Team(mesa.Agent):
    """A site project team: its people, knowledge and skills, its ideas and adopted changes, and
    its performance on the collaborative's common measure.

    Its values live in ``model.team_states`` at ``index`` (``team_id`` is ``index + 1``); its ideas
    and adopted changes are row ``index`` of ``model.ideas``.
    """

    def __init__(self, model: CollaborativeModel, index: int, organisation: Organisation) -> None:
        super().__init__(model)
        self.index = index
        self.states = model.team_states
        self.team_id = index + 1  # 1..teams in enrolment order (Mesa ids span all agents)
        self.organisation = organisation
        self.leader = TeamLeader(model, index, self.states)

    # ---- state derived on demand ----
    @property
    def status(self) -> str:  # type: ignore[override]
        """'enrolled', 'active', 'completed' or 'dropped'."""
        return STATUS_NAMES[self.states.status[self.index]]

    @property
    def active(self) -> bool:
        """Still in the collaborative (or project): neither dropped nor completed."""
        return bool(self.states.status[self.index] < COMPLETED)

    @property
    def dropped_week(self) -> int | None:  # type: ignore[override]
        week = self.states.dropped_week[self.index]
        return None if math.isnan(week) else int(week)

    @property
    def last_leader_change_week(self) -> int | None:  # type: ignore[override]
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
