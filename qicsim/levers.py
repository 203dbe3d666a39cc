"""The levers a workshop room moves: the paper's ten challenges, its five success factors and the
collaborative's components, in plain words, each tied to the scenario parameter it sets.

One table serves the live page, compare mode and the budget game (:mod:`qicsim.game`), and the workshop plan's
test (tests/test_workshop.py) reads the labels from it, so the words a room sees are the words the plan uses.
No solara here: the game's arithmetic and the tests import this without a browser.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from qicsim import sim
from qicsim.sim.parameters import parameter_info


@dataclass(frozen=True)
class Lever:
    """One control: a scenario parameter, the words that explain it and the range offered."""

    name: str
    group: str  # "Challenge N" or "Success factor"
    label: str
    explanation: str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    design: bool = True  # an organiser's design choice (compare mode offers it) rather than context
    in_game: bool = True  # the budget game offers it (not a fact of life such as leaders leaving)

    @property
    def kind(self) -> str:
        """The kind of input the pages give this lever (a slider, a yes/no box or a list of choices)."""
        default = parameter_info(self.name)["default"]
        if self.choices:
            return "Select"
        if isinstance(default, bool):
            return "Checkbox"
        return "SliderInt" if isinstance(default, int) else "SliderFloat"

    @property
    def choices(self) -> tuple[str, ...]:
        """The values a choice parameter allows (empty for a number or yes/no)."""
        return tuple(a for a in typing.get_args(sim.Scenario.model_fields[self.name].annotation) if isinstance(a, str))

    def title(self) -> str:
        return f"{self.group} · {self.label}"


LEVERS: tuple[Lever, ...] = (
    Lever("subject_specificity", "Challenge 1", "How narrow the subject is",
          "1 = one clear clinical process; 0 = a broad subject where teams each work on different things."),
    Lever("evidence_strength", "Challenge 1", "Strength of the evidence",
          "How well research backs the change package the faculty teach."),
    Lever("share_sent_by_management", "Challenge 2", "Teams sent by management",
          "Share of teams told to join rather than volunteering; sent teams start less motivated."),
    Lever("self_assessment", "Challenge 2", "Self-assessment before joining",
          "Applicants check their capacity to benefit and what support they need before enrolling."),
    Lever("leader_turnover_per_year", "Challenge 3", "Team-leader turnover per year",
          "Chance a year that a team's leader leaves; a change of leader often ends a team's project.",
          0.0, 1.5, 0.05, in_game=False),
    Lever("senior_engagement_plan", "Challenge 4", "Keeping senior leaders engaged",
          "0 = senior leaders only sign up; 1 = they are actively re-engaged at every session."),
    Lever("didactic_share", "Challenge 5", "Lecture share of sessions",
          "Share of learning-session time spent on lectures rather than practice and team time."),
    Lever("expert_credibility", "Challenge 6", "Credibility of the experts",
          "How credible and well briefed the faculty experts are; credible experts motivate teams."),
    Lever("target_ambition", "Challenge 7", "Ambition of the targets",
          "Share of the gap to best practice that each team's goal asks it to close.", 0.05, 1.0, 0.05),
    Lever("data_support", "Challenge 8", "Support for data collection",
          "Help teams get to collect and use their data; teams that can see improvement keep going."),
    Lever("sustain_planning", "Challenge 9", "Planning to sustain",
          "How much teams plan to build their changes into routines before the collaborative ends."),
    Lever("spread_planning", "Challenge 10", "Planning to spread",
          "How far teams and organisers plan and resource spread to other units and organisations."),
    Lever("teamwork_mean", "Success factor", "Teamwork",
          "How well the teams work together when they enrol.", design=False),
    Lever("qi_method_learning", "Success factor", "Learning QI methods",
          "How readily teams learn and apply quality improvement methods.", design=False),
    Lever("strategic_importance", "Success factor", "Strategic importance",
          "How much the subject matters to the home organisations' strategy (and protected time).",
          design=False),
    Lever("qi_culture", "Success factor", "Home QI culture",
          "How much the home organisations' culture supports quality improvement.", design=False),
    Lever("senior_support", "Success factor", "Management support",
          "How visibly senior leaders support the teams when they enrol.", design=False),
)
"""The ten challenges' levers and the five success factors."""

COMPONENT_LEVERS: tuple[Lever, ...] = (
    Lever("learning_sessions", "Component", "Learning sessions",
          "How many learning sessions (each followed by an action period).", 1, 6, 1),
    Lever("session_format", "Component", "Sessions held",
          "In person (with travel), by video (no travel, less practice, fewer ties) or not at all."),
    Lever("coaching_calls_per_month", "Component", "Coaching calls per month",
          "An improvement adviser's calls with each team: capability and motivation between sessions.",
          0.0, 4.0, 0.5),
    Lever("site_visits", "Component", "Site visits per team",
          "The adviser's visits to each team over the collaborative; they re-engage senior leaders.", 0, 4, 1),
    Lever("group_calls_per_month", "Component", "Group calls per month",
          "Calls for all teams: a teaching item, and tied teams exchange what works.", 0.0, 4.0, 0.5),
    Lever("benchmark_reports", "Component", "Benchmark reports",
          "Comparative data feedback: teams behind the median are spurred on; leaders see the report."),
    Lever("online_forum", "Component", "Online forum",
          "A forum where teams post the changes that worked; others take them up without a tie."),
)
"""The collaborative's components, which compare mode offers as levers (``qicsim design`` searches them)."""

LEVER_NAMES: tuple[str, ...] = tuple(lever.name for lever in LEVERS)
DESIGN_LEVERS: tuple[Lever, ...] = (*(lv for lv in LEVERS if lv.design), *COMPONENT_LEVERS)
"""What an organiser chooses: the challenges' design levers and the components (compare mode and the game offer
these; the success factors are the context, kept at the scenario's values)."""


GAME_LEVERS: dict[str, tuple[Lever, ...]] = {
    "challenges and components": tuple(lv for lv in DESIGN_LEVERS if lv.in_game),
    "components": COMPONENT_LEVERS,
}
"""What the budget game lets groups set, as the facilitator chooses: the challenges' design choices and the
components, or the components alone (everything else stays at the scenario's values)."""


def lever(name: str) -> Lever:
    """The lever of one parameter name (a challenge's, a success factor's or a component's)."""
    return next(lv for lv in (*LEVERS, *COMPONENT_LEVERS) if lv.name == name)


def scenario_levers(scenario_name: str, levers: tuple[Lever, ...] = LEVERS) -> dict[str, Any]:
    """The built-in scenario's value of every lever (of the challenges, or of ``levers``)."""
    scenario = sim.load_scenario(scenario_name)
    return {lv.name: getattr(scenario, lv.name) for lv in levers}


def design_levers(scenario_name: str) -> dict[str, Any]:
    """The built-in scenario's value of each of :data:`DESIGN_LEVERS`."""
    return scenario_levers(scenario_name, DESIGN_LEVERS)


def shown(value: Any) -> str:
    """A lever's value as a page shows it: yes/no, a number without trailing zeros, a choice in words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def as_param(name: str, value: Any) -> Any:
    """A widget value in the type the strict schema wants (sliders may hand over ints for floats)."""
    default = parameter_info(name)["default"]
    if isinstance(default, str):  # a choice
        return str(value)
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, int):
        return int(value)
    return float(value)

CHALLENGES: dict[int, tuple[str, str]] = {
    1: ("Choosing the right subject",
        "The collaborative method appears to be effective only for certain subjects."),
    2: ("Ensuring participants define their objectives and assess their capacity to benefit",
        "Teams which are clear about their objectives for taking part ... appear to be more successful."),
    3: ("Defining roles and making clear what is expected",
        "In some collaboratives the different roles and what was expected of individuals were not clear."),
    4: ("Ensuring team building and preparation by teams",
        "Collaborative organisers often assume that the teams coming to the first collaborative meeting are "
        "fully formed and functioning."),
    5: ("Enabling mutual learning rather than carrying out teaching",
        "Some organisers compressed too many didactic presentations into the meetings."),
    6: ("Motivating and empowering teams",
        "Some are sent by their management, may not be motivated, or convinced that the improvement is "
        "important and achievable."),
    7: ("Ensuring teams have measurable and achievable targets",
        "Teams that do not define their targets early and measure progress are less successful."),
    8: ("Equipping teams to deal with data and change challenges",
        "The most difficult tasks which teams appeared to experience in all collaboratives were collecting and "
        "using data, and planning and making changes."),
    9: ("Learning and planning for sustaining improvements",
        "Many collaboratives and teams did not make time to learn about and plan how to sustain improvements."),
    10: ("Planning and learning for spread",
         "Spreading ideas within a collaborative depends on effective contact and exchange between teams inside "
         "and outside the meetings."),
}
"""The paper's ten challenges (Øvretveit et al. 2002): each one's title and the paper's own words on it, which
the game's debrief quotes beside the difference a challenge's levers made."""


def challenge_of(lv: Lever) -> int | None:
    """The number of the paper's challenge a lever belongs to (None for a success factor or a component)."""
    return int(lv.group.split()[1]) if lv.group.startswith("Challenge") else None
