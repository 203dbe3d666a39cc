"""Group calls: every team on one phone or video call with the faculty, between the sessions.

The paper's challenge 10 asks organisers for 'structured opportunities for exchange' inside and
outside the meetings. On a group call teams hear a short teaching item (knowledge) and each other's
news: teams already tied talk, and what they talk about travels both ways as it does between
meetings (:func:`sim.modules.peer_exchange.informal_exchange`) -- the calls keep the ties the sessions
made working. A call forms no new ties (teams do not get to know each other on a call of thirty).
NIATx 200's 'interest circle calls' were such calls (Gustafson et al. 2013).

``group_calls_per_month`` calls a month while the collaborative runs (a fractional number is an
average). Nothing happens at 0 (the default). Costs: the faculty's hours (``group_calls``) and the
team members' time on the call (``meeting_staff_time``).
"""

from __future__ import annotations

import numpy as np

from qicsim.sim.module import HOURS_PER_DAY, Module, Par, define_pars, gained
from qicsim.sim.modules.coaching import NIATX
from qicsim.sim.modules.costs import hourly_wage
from qicsim.sim.modules.peer_exchange import informal_exchange, pairs
from qicsim.sim.modules.support import collaborative_month, repeated
from qicsim.sim.sources import ASSUMPTION, PAPER


class GroupCalls(Module):
    """Each month's group calls: a little teaching, and tied teams exchanging what works."""

    name = "group_calls"
    section = "components"
    pars = define_pars(
        Par("group_calls_per_month", 0.0, unit="calls/month", kind="design",
            source=f"{NIATX}: monthly 'interest circle' calls; assumption: none by default",
            doc="group calls for all teams still in, per month", ge=0, le=8),
        Par("group_call_contact", 0.1, unit="probability per call",
            source=f"{ASSUMPTION}; {PAPER}, challenge 10: exchange 'inside and outside the meetings'",
            doc="chance that two fully tied teams exchange their changes on a group call", ge=0, le=1,
            prior=(0.0, 0.3)),
        Par("group_call_knowledge", 0.02, unit="share of gap per call", source=ASSUMPTION,
            doc="share of the gap to full knowledge a group call's teaching item closes", ge=0, le=0.5,
            prior=(0.0, 0.05)),
        Par("group_call_faculty_hours", 4.0, unit="hours/call", section="costs", kind="design",
            source="assumption: two faculty, an hour's call and an hour's preparation each",
            doc="faculty time per group call (at faculty_cost_per_day)", ge=0, le=100),
    )
    reads = ("status", "formed", "using_qi", "adopted", "capability")
    writes = ("knowledge", "peer_examples", "capability", "quality", "source", "tries", "at_hand", "found",
              "ideas_found")

    def month_end(self, month: int) -> None:
        p, model = self.p, self.model
        if p.group_calls_per_month <= 0:
            return
        t, ideas = model.team_states, model.ideas
        present, months = collaborative_month(model, month)
        if not present.size:
            return
        calls = p.group_calls_per_month * months
        t.knowledge[present] += gained(repeated(p.group_call_knowledge, calls), t.knowledge[present])
        on_call = np.zeros(t.size, np.bool_)
        on_call[present] = True
        model.ties.carried += informal_exchange(t.record, ideas.matrix.record, ideas.count, model.ties.strength,
                                                model.pars, self.draws.uniforms(pairs(t.size)),
                                                repeated(p.group_call_contact, calls), on_call)
        model.ledger.add_costs({
            "group_calls": calls * p.group_call_faculty_hours * p.faculty_cost_per_day / HOURS_PER_DAY,
            "meeting_staff_time": calls * present.size * p.call_hours * p.call_attendees_per_team * hourly_wage(p),
        }, model.week)
