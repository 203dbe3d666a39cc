"""Motivation: each team's drive drifts back to its own level, which fades without senior support
(challenge 6).

Paper, challenge 6: 'the strongest motivation and confidence comes from teams seeing improvements
which they have made' (:mod:`sim.modules.measurement`), from credible experts
(:mod:`sim.modules.learning_sessions`) and from peers' examples (:mod:`sim.modules.peer_exchange`);
a success encourages and a failure discourages (:mod:`sim.modules.pdsa_cycles`); a change of leader
is a blow (:mod:`sim.modules.leadership_turnover`). Between those events, week by week, a team
working in the collaborative drifts back towards its own level of motivation -- higher with
engaged senior leaders, lower without them (challenge 4).
"""

from __future__ import annotations

from numba import njit

from qicsim.sim.module import Module, Par, around_average, define_pars, define_states, team_state
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import KEPT, PAPER


class Motivation(Module):
    """The weekly drift of motivation towards the team's own level, set by senior engagement."""

    name = "motivation"
    section = "motivation"
    pars = define_pars(
        Par("motivation_reversion_per_week", 0.02, unit="share of gap per week", source=KEPT,
            doc="share of the gap to its own level a team's motivation closes in a week", ge=0, le=1,
            prior=(0.005, 0.08)),
        Par("motivation_engagement_effect", 0.8, unit="per unit", source=f"{KEPT}; {PAPER}, challenge 4",
            doc="how much senior engagement raises a team's own level of motivation (1 at middling engagement)",
            ge=0, le=2, prior=(0.0, 1.6)),
    )
    states = define_states(
        team_state("motivation_anchor", 0.0, "the team's own level of motivation, to which it drifts (0-1)"),
    )
    reads = ("senior_engagement", "status")
    writes = ("motivation", "motivation_anchor")

    def init(self) -> None:
        t = self.model.team_states
        t.motivation_anchor[:] = t.motivation

    def step(self) -> None:
        model = self.model
        if not model.follow_up:
            drift_to_own_level(model.team_states.record, model.organisation_states.record, model.pars)


@njit(cache=True)
def drift_to_own_level(t, o, pars):  # pragma: no cover - compiled
    """A week of every team still in the collaborative: its motivation closes a share of the gap to its
    own level, which senior engagement raises or lowers."""
    p = pars[0]
    for i in range(t.shape[0]):
        if t.status[i] < COMPLETED:
            level = min(1.0, t.motivation_anchor[i] * around_average(o.senior_engagement[i],
                                                                     p.motivation_engagement_effect))
            t.motivation[i] += p.motivation_reversion_per_week * (level - t.motivation[i])
