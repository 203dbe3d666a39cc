"""Senior-leader engagement: given at sign-up, fading unless kept up (challenge 4).

Paper, challenge 4: 'It is not sufficient to sign up senior leaders at the beginning of a
collaborative and to then fail to engage with them further.' Signing up gives partial engagement
(a self-assessment that details what support is needed gives full); it fades week by week, less
for a topic of strategic importance; a collaborative with an engagement plan brings senior leaders
back towards their full support at every learning session. After the end, planning to sustain --
'involving managers in this work' (box 1) -- slows the fade. Engagement amplifies the teams' PDSA
success, motivation and institutionalisation, and lowers drop-out (the modules that read it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from qicsim.sim.module import WEEKS_PER_YEAR, Module, Par, define_pars, define_states, organisation_state, with_floor
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import KEPT, PAPER


class SeniorEngagement(Module):
    """Senior engagement of every participating organisation: starts, fades, is renewed at sessions."""

    name = "senior_engagement"
    section = "preparation"
    pars = define_pars(
        Par("senior_engagement_plan", 0.3, unit="0-1",
            source=f"{PAPER}, challenge 4: 'not sufficient to sign up senior leaders' and not re-engage",
            doc="how actively the collaborative keeps senior leaders engaged (0 = sign-up only)", ge=0, le=1,
            prior=(0.0, 1.0)),
        Par("senior_engagement_decay_per_year", 0.6, unit="per year", source="assumption",
            doc="rate at which senior engagement fades unless kept up", ge=0, le=5, prior=(0.2, 1.5)),
        Par("sign_up_engagement", 0.7, unit="share of support", source=f"{KEPT}; {PAPER}, challenge 4",
            doc="share of its support a senior leader gives at sign-up (all of it after a self-assessment)",
            ge=0, le=1, prior=(0.4, 1.0)),
        Par("importance_slows_fading", 0.5, unit="share", source=f"{KEPT}; {PAPER}: success factor 3",
            doc="how much a topic of full strategic importance slows the fading of senior engagement", ge=0,
            le=1, prior=(0.0, 0.9)),
        Par("sustain_planning_slows_fading", 0.5, unit="share", source=f"{KEPT}; {PAPER}, box 1",
            doc="how much full sustain planning slows the fading of senior engagement after the end", ge=0, le=1,
            prior=(0.0, 0.9)),
        Par("re_engagement_per_session", 0.8, unit="share of the gap", source=f"{KEPT}; {PAPER}, challenge 4",
            doc="share of the gap to full support a learning session closes under a full engagement plan",
            ge=0, le=1, prior=(0.3, 1.0)),
    )
    states = define_states(
        organisation_state("senior_engagement", 0.0, "senior leaders' current engagement in the work (0-1)"),
        organisation_state("engagement_kept", 1.0, "share of senior engagement left after a week of fading"),
        organisation_state("engagement_kept_follow_up", 1.0, "the same after the end of the collaborative"),
    )
    reads = ("senior_support", "strategic_importance", "status")
    writes = ("senior_engagement", "engagement_kept", "engagement_kept_follow_up")

    def init(self) -> None:
        p, o = self.p, self.model.organisation_states
        o.senior_engagement[:] = o.senior_support * with_floor(float(p.self_assessment), p.sign_up_engagement)
        decay = p.senior_engagement_decay_per_year * (1 - p.importance_slows_fading * o.strategic_importance)
        o.engagement_kept[:] = 1 - decay / WEEKS_PER_YEAR
        o.engagement_kept_follow_up[:] = 1 - decay * (1 - p.sustain_planning_slows_fading * p.sustain_planning) \
            / WEEKS_PER_YEAR

    def step(self) -> None:
        fade(self.model.organisation_states.record, self.model.team_states.size, self.model.follow_up)

    def meeting(self, days: float, teaching: bool) -> None:
        if not teaching:
            return
        present = np.flatnonzero(self.model.team_states.status < COMPLETED)
        renew_engagement(self.model.organisation_states, present,
                         self.p.senior_engagement_plan * self.p.re_engagement_per_session)


def renew_engagement(o, teams: np.ndarray, share: float) -> None:
    """The senior leaders of the teams' organisations (``o``: their population; ``teams``: indices) re-engaged:
    their engagement closes ``share`` of its gap to their support, never beyond it -- at a session, and by the
    components that meet or report to them (site visits, benchmark reports)."""
    gap = np.maximum(0.0, o.senior_support[teams] - o.senior_engagement[teams])
    o.senior_engagement[teams] += share * gap


@njit(cache=True)
def fade(o, teams, follow_up):  # pragma: no cover - compiled
    """A week of fading senior engagement in the participating organisations (the first ``teams``)."""
    for i in range(teams):
        o.senior_engagement[i] *= o.engagement_kept_follow_up[i] if follow_up else o.engagement_kept[i]
