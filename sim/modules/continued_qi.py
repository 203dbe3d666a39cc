"""Continued use of QI after the end of the collaborative (challenge 9).

Paper: 'less evidence of continuous improvement' after collaboratives end. A team keeps using QI
methods after the end until it stops: practised capability, conviction, its organisation's
culture and management keep it going -- lectures do not (challenge 5: knowledge is easy to gain,
application hard) -- and so do tied teams still using QI (a community of practice, challenges 9
and 10; :mod:`sim.modules.peer_exchange` keeps their support). The weekly hazard of stopping is
``qi_stop_per_year`` for a team of reference capability and average engagement, culture and
motivation without peers, scaled by the exponential of the weighted differences from them.
"""

from __future__ import annotations

import math

from numba import njit

from qicsim.sim.module import AVERAGE, Module, Par, define_pars, weekly_chance
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import KEPT, PAPER


class ContinuedQI(Module):
    """At the end, teams that completed start using QI on their own; afterwards each may stop."""

    name = "continued_qi"
    section = "sustaining"
    pars = define_pars(
        Par("qi_stop_per_year", 0.5, unit="per year",
            source=f"assumption; {PAPER}: 'less evidence of continuous improvement' after the end",
            doc="hazard that a team of reference capability stops using QI methods after the end", ge=0, le=10,
            prior=(0.1, 2.0), log_prior=True),
        Par("qi_stop_reference_capability", 0.4, unit="0-1", source=KEPT,
            doc="capability at which a team stops using QI at qi_stop_per_year", ge=0, le=1, prior=(0.2, 0.6)),
        Par("qi_stop_capability_effect", 4.0, unit="log-hazard per unit", source=f"{KEPT}; {PAPER}, challenge 5",
            doc="how much practised capability lowers the hazard of stopping QI", ge=0, le=20, prior=(1.0, 8.0)),
        Par("qi_stop_engagement_effect", 1.5, unit="log-hazard per unit", source=f"{KEPT}; {PAPER}, challenge 4",
            doc="how much senior engagement lowers the hazard of stopping QI", ge=0, le=10, prior=(0.0, 3.0)),
        Par("qi_stop_culture_effect", 1.5, unit="log-hazard per unit", source=f"{KEPT}; {PAPER}: success factor 4",
            doc="how much the organisation's QI culture lowers the hazard of stopping QI", ge=0, le=10,
            prior=(0.0, 3.0)),
        Par("qi_stop_motivation_effect", 1.0, unit="log-hazard per unit", source=KEPT,
            doc="how much the team's motivation lowers the hazard of stopping QI", ge=0, le=10, prior=(0.0, 3.0)),
        Par("peer_support_effect", 2.0, unit="log-hazard per unit",
            source=f"{KEPT}; {PAPER}, challenge 9: a network 'to continue after the collaborative' worked in one "
                   "Australian collaborative",
            doc="how much full support of tied teams still using QI lowers the hazard of stopping (2: by e^2)",
            ge=0, le=10, prior=(0.0, 4.0)),
    )
    reads = ("capability", "motivation", "senior_engagement", "qi_culture", "peer_support", "status")
    writes = ("using_qi",)

    def end_of_collaborative(self) -> None:
        t = self.model.team_states
        t.using_qi[t.status == COMPLETED] = self.model.mode != "none"

    def step(self) -> None:
        model = self.model
        if model.follow_up:
            t = model.team_states
            stop_or_continue(t.record, model.organisation_states.record, model.pars, self.draws.uniforms(t.size))


@njit(cache=True)
def stop_or_continue(t, o, pars, draws):  # pragma: no cover - compiled
    """A week after the end: each team still using QI stops with its weekly chance (``draws``: one uniform
    per team)."""
    p = pars[0]
    for i in range(t.shape[0]):
        if not t.using_qi[i]:
            continue
        x = (-p.qi_stop_capability_effect * (t.capability[i] - p.qi_stop_reference_capability)
             - p.qi_stop_engagement_effect * (o.senior_engagement[i] - AVERAGE)
             - p.qi_stop_culture_effect * (o.qi_culture[i] - AVERAGE)
             - p.qi_stop_motivation_effect * (t.motivation[i] - AVERAGE)
             - p.peer_support_effect * t.peer_support[i])
        if draws[i] < weekly_chance(p.qi_stop_per_year * math.exp(x)):
            t.using_qi[i] = False
