"""Coaching by an improvement adviser: calls with each team between sessions, and site visits.

Collaboratives differ most in the support they give between the learning sessions (Nadeem et al.
2013 count coaching among the commonest components). A coach talks the team through its tests --
which idea next, how to read its data -- so each call builds the team's QI capability and keeps its
drive up (paper, challenge 3: facilitators need 'time and skill' to support teams; challenge 6:
motivation). A site visit does the same at more depth and meets the senior leaders on their own
ground, renewing their engagement as a learning session does (challenge 4). NIATx 200 compared
coaching alone with learning sessions, calls and all three (Gustafson et al. 2013).

Calls come ``coaching_calls_per_month`` times a month to every team still in the collaborative, from
enrolment to the end (a fractional number is an average: the month's effect is that of that many
calls; :func:`sim.modules.support.collaborative_month` says which months count, and how much). Site
visits fall at the middle of equal parts of the collaborative period (one visit: midway). Nothing
happens when both are 0 (the default), and the module draws no random numbers. Costs: the adviser's hours (and a
visit's travel) in the programme's ``coaching`` and ``site_visits`` categories, the team members'
time on calls and visits in ``meeting_staff_time``.
"""

from __future__ import annotations

import numpy as np

from qicsim.sim.module import HALF, HOURS_PER_DAY, Module, Par, define_pars, gained
from qicsim.sim.modules.costs import hourly_wage
from qicsim.sim.modules.senior_engagement import renew_engagement
from qicsim.sim.modules.support import collaborative_month, repeated
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import ASSUMPTION, PAPER

NIATX = "Gustafson et al. 2013, Addiction (NIATx 200)"


class Coaching(Module):
    """Coaching calls every month and site visits over the collaborative, for each team still in."""

    name = "coaching"
    section = "components"
    pars = define_pars(
        Par("coaching_calls_per_month", 0.0, unit="calls/team/month", kind="design",
            source=f"{NIATX}: the coaching arm had monthly calls with an improvement coach; none in the generic "
                   "Breakthrough Series beyond the organisers' support (organiser_capacity)",
            doc="coaching calls between an improvement adviser and each team still in, per month", ge=0, le=8),
        Par("site_visits", 0, unit="visits/team", kind="design",
            source=f"{NIATX}: coaching began with a site visit; assumption: none by default",
            doc="site visits by the improvement adviser to each team over the collaborative", ge=0, le=12),
        Par("coaching_capability_per_call", 0.02, unit="share of gap per call",
            source=f"{ASSUMPTION}; {PAPER}, challenge 3: facilitators' skill supports teams' testing",
            doc="share of the gap to full QI capability a coaching call closes", ge=0, le=0.5, prior=(0.0, 0.06)),
        Par("coaching_motivation_per_call", 0.02, unit="share of gap per call", section="motivation",
            source=f"{ASSUMPTION}; {PAPER}, challenge 6",
            doc="share of the gap to full motivation a coaching call closes", ge=0, le=0.5, prior=(0.0, 0.06)),
        Par("site_visit_capability", 0.05, unit="share of gap per visit", source=ASSUMPTION,
            doc="share of the gap to full QI capability a site visit closes", ge=0, le=1, prior=(0.0, 0.15)),
        Par("site_visit_engagement", 0.3, unit="share of gap per visit", source=f"{ASSUMPTION}; {PAPER}, challenge 4",
            doc="share of the gap between senior leaders' engagement and their support a site visit closes",
            ge=0, le=1, prior=(0.0, 0.6)),
        Par("site_visit_motivation", 0.05, unit="share of gap per visit", section="motivation", source=ASSUMPTION,
            doc="share of the gap to full motivation a site visit closes", ge=0, le=1, prior=(0.0, 0.15)),
        Par("adviser_cost_per_hour", 100.0, unit="currency/hour", section="costs", kind="design",
            source="assumption: an improvement adviser's salary with on-costs and overheads",
            doc="cost of an hour of the improvement adviser's time", ge=0, le=10000),
        Par("adviser_hours_per_call", 1.5, unit="hours/call", section="costs", kind="design",
            source="assumption: a one-hour call with preparation and notes",
            doc="adviser time per coaching call", ge=0, le=40),
        Par("call_hours", 1.0, unit="hours", section="costs", kind="design", source="assumption",
            doc="length of a coaching or group call", ge=0, le=8),
        Par("call_attendees_per_team", 2, unit="people", section="costs", kind="design",
            source="assumption: the team leader and one member join a call",
            doc="team members on a coaching or group call", ge=1, le=20),
        Par("site_visit_adviser_days", 1.5, unit="days/visit", section="costs", kind="design",
            source="assumption: a day on site and half a day's travel",
            doc="adviser time per site visit", ge=0, le=10),
        Par("site_visit_travel", 600.0, unit="currency/visit", section="costs", kind="design",
            source="assumption: the adviser's travel and lodging", doc="travel cost of one site visit", ge=0, le=1e5),
        Par("site_visit_team_hours", 4.0, unit="hours/member", section="costs", kind="design",
            source="assumption: half a day of the whole team's time",
            doc="time each team member spends with the adviser on a visit", ge=0, le=40),
    )
    reads = ("status", "senior_support", "senior_engagement")
    writes = ("capability", "motivation", "senior_engagement")

    def init(self) -> None:
        p, calendar = self.p, self.model.calendar
        visits = int(p.site_visits) if self.model.mode == "collaborative" else 0
        self.visit_weeks = {round((k + HALF) / visits * calendar.end_week) for k in range(visits)} if visits else set()

    def month_end(self, month: int) -> None:
        """The month's coaching calls to every team in the collaborative that month."""
        p, model = self.p, self.model
        if p.coaching_calls_per_month <= 0:
            return
        t = model.team_states
        present, months = collaborative_month(model, month)
        if not present.size:
            return
        calls = p.coaching_calls_per_month * months
        t.capability[present] += gained(repeated(p.coaching_capability_per_call, calls), t.capability[present])
        t.motivation[present] += gained(repeated(p.coaching_motivation_per_call, calls), t.motivation[present])
        n = present.size * calls
        model.ledger.add_costs({
            "coaching": n * p.adviser_hours_per_call * p.adviser_cost_per_hour,
            "meeting_staff_time": n * p.call_hours * p.call_attendees_per_team * hourly_wage(p),
        }, model.week)

    def step(self) -> None:
        """A site visit to every team still in, in the weeks the visits fall on."""
        model = self.model
        if model.week not in self.visit_weeks:
            return
        p, t, o = self.p, model.team_states, model.organisation_states
        present = np.flatnonzero(t.status < COMPLETED)
        t.capability[present] += gained(p.site_visit_capability, t.capability[present])
        t.motivation[present] += gained(p.site_visit_motivation, t.motivation[present])
        renew_engagement(o, present, p.site_visit_engagement)
        model.ledger.add_costs({
            "site_visits": present.size * (p.site_visit_adviser_days * HOURS_PER_DAY * p.adviser_cost_per_hour
                                           + p.site_visit_travel),
            "meeting_staff_time": present.size * p.team_members * p.site_visit_team_hours * hourly_wage(p),
        }, model.week)
