"""The action period: teams test changes at home, with the support they have (challenges 3 and 8).

In a collaborative's action periods the teams still in are active: they test changes with the
facilitators' support, more of it the more time and skill the organisers have (challenge 3), and
the collaborative's data support builds their data skills week by week (challenge 8: data
collection was the hardest task for teams). A traditional team tests once its diagnosis is done,
without faculty or peers. After the end, a team that still uses QI goes on testing at a share of
its pace. ``testing_support`` is the week's factor on a team's PDSA rate (:mod:`sim.modules.pdsa_cycles`):
0 for a team that does not test this week.
"""

from __future__ import annotations

from numba import njit

from qicsim.sim.calendar import ACTION_PERIOD
from qicsim.sim.module import Module, Par, around_average, define_pars, define_states, gained, team_state
from qicsim.sim.populations import ACTIVE, COMPLETED
from qicsim.sim.sources import KEPT, PAPER


class ActionPeriod(Module):
    """Who tests this week and with how much support; data support in the action periods."""

    name = "action_period"
    section = "data_and_change"
    pars = define_pars(
        Par("organiser_capacity", 0.7, unit="0-1", section="roles",
            source=f"{PAPER}, challenge 3: organisers and facilitators need time and skill",
            doc="time and skill of organisers and facilitators to support teams", ge=0, le=1, prior=(0.2, 1.0)),
        Par("organiser_support_effect", 0.5, unit="per unit of capacity", section="roles",
            source=f"{KEPT}; {PAPER}, challenge 3",
            doc="how much the organisers' capacity speeds the teams' testing (1 at middling capacity)",
            ge=0, le=2, prior=(0.0, 1.0)),
        Par("unsupported_testing", 0.75, unit="factor", section="traditional", source=KEPT,
            doc="testing pace of a team without facilitators or peers, against a supported team's", ge=0, le=2,
            prior=(0.4, 1.0)),
        Par("follow_up_test_share", 0.4, unit="share", section="pdsa",
            source="assumption: teams still using QI after the end test at a lower rate",
            doc="test rate after the end relative to an unsupported team's", ge=0, le=1, prior=(0.1, 0.8)),
        Par("data_support", 0.5, unit="0-1",
            source=f"{PAPER}, challenge 8: organisers often gave too little data support",
            doc="support for data collection from the collaborative", ge=0, le=1, prior=(0.0, 1.0)),
        Par("data_support_per_week", 0.02, unit="share of gap per week", source=KEPT,
            doc="share of the gap to full data capability a week of full data support closes", ge=0, le=0.5,
            prior=(0.005, 0.05)),
    )
    states = define_states(
        team_state("testing_support", 0.0, "this week's support for testing: a factor on the PDSA rate (0: none)"),
    )
    reads = ("status", "using_qi", "start_testing_week")
    writes = ("testing_support", "status", "formed", "planned", "data_capability")

    def step(self) -> None:
        model = self.model
        if model.follow_up:
            situation = FOLLOW_UP
        elif model.mode == "collaborative":
            situation = COLLABORATIVE_ACTION_PERIOD if model.phase == ACTION_PERIOD else NOT_TESTING
        elif model.mode == "traditional":
            situation = TRADITIONAL_PROJECT
        else:
            situation = NOT_TESTING
        support_testing(model.team_states.record, model.pars, situation, model.week)


NOT_TESTING, COLLABORATIVE_ACTION_PERIOD, TRADITIONAL_PROJECT, FOLLOW_UP = range(4)
"""Where the week falls for testing: no team tests (pre-work, a session week, no intervention), a
collaborative's action period, a traditional project (each team after its diagnosis), after the end."""


@njit(cache=True)
def support_testing(t, pars, situation, week):  # pragma: no cover - compiled
    """Each team's support for testing this week (``t.testing_support``; 0: it does not test), and the
    action period's status and data support."""
    p = pars[0]
    collaborative_support = around_average(p.organiser_capacity, p.organiser_support_effect)
    for i in range(t.shape[0]):
        t.testing_support[i] = 0.0
        if situation == FOLLOW_UP:
            if t.using_qi[i]:
                t.testing_support[i] = p.unsupported_testing * p.follow_up_test_share
            continue
        if t.status[i] >= COMPLETED:
            continue
        if situation == COLLABORATIVE_ACTION_PERIOD:
            t.data_capability[i] += gained(p.data_support_per_week * p.data_support, t.data_capability[i])
            t.testing_support[i] = collaborative_support
        elif situation == TRADITIONAL_PROJECT and week > t.start_testing_week[i]:
            t.testing_support[i] = p.unsupported_testing
        else:
            continue
        t.status[i] = ACTIVE
        t.formed[i] = True
        t.planned[i] = True
