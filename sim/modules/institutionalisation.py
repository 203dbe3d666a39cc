"""Institutionalisation: adopted changes become part of systems and procedures, or erode (challenge 9).

Paper, challenge 9: many teams did not plan for sustaining; changes must be built into procedures
and systems to survive people leaving. Repenning & Sterman 2001: gains that rest on effort fade
once the effort stops. Each week a team's effort to institutionalise -- its culture, how far it
plans to sustain, amplified by engaged managers -- builds each adopted change into its systems,
and each change that is not yet institutionalised erodes unless the team keeps it up. During the
collaborative a working team keeps its changes going but, 'working hard to achieve their immediate
targets', gives only part of its effort to institutionalising them; after the end a team that
still uses QI keeps most of them up, one that stopped keeps none up and gives little effort, and
one that dropped out gives none.
"""

from __future__ import annotations

from numba import njit

from qicsim.sim.module import WEEKS_PER_YEAR, Module, Par, around_average, define_pars, gained, with_floor
from qicsim.sim.populations import COMPLETED, DROPPED
from qicsim.sim.sources import KEPT, PAPER


class Institutionalisation(Module):
    """Each week every adopted change is institutionalised further, or erodes."""

    name = "institutionalisation"
    section = "sustaining"
    pars = define_pars(
        Par("sustain_planning", 0.2, unit="0-1",
            source=f"{PAPER}, challenge 9: 'many collaboratives did not make time to plan' sustaining",
            doc="how much teams learn and plan to institutionalise their changes", ge=0, le=1, prior=(0.0, 1.0)),
        Par("institutionalisation_per_year", 1.5, unit="per year",
            source="assumption: full sustain effort institutionalises a change in about 8 months",
            doc="rate at which changes become part of systems under full sustain effort", ge=0, le=10,
            prior=(0.5, 4.0), log_prior=True),
        Par("decay_per_year", 0.8, unit="per year",
            source="Repenning & Sterman 2001: effort-based gains erode once effort stops",
            doc="rate at which a change not institutionalised erodes without upkeep", ge=0, le=10,
            prior=(0.2, 2.5), log_prior=True),
        Par("culture_sustain_effort", 0.15, unit="effort per unit of culture", source=f"{KEPT}; {PAPER}: "
            "success factor 4", doc="sustain effort an organisation's QI culture gives without any planning",
            ge=0, le=1, prior=(0.0, 0.4)),
        Par("sustain_engagement_effect", 1.0, unit="per unit", source=f"{KEPT}; {PAPER}, box 1",
            doc="how much senior engagement amplifies sustain effort (1 at middling engagement)", ge=0, le=2,
            prior=(0.0, 2.0)),
        Par("effort_while_working", 0.5, unit="share of effort", source=f"{KEPT}; {PAPER}, challenge 9",
            doc="share of its sustain effort a team working for its targets gives to institutionalising", ge=0,
            le=1, prior=(0.2, 1.0)),
        Par("upkeep_after_end", 0.8, unit="share", source=KEPT,
            doc="how fully a team still using QI keeps its changes up after the end, with engaged managers",
            ge=0, le=1, prior=(0.4, 1.0)),
        Par("upkeep_engagement_floor", 0.5, unit="factor", source=KEPT,
            doc="upkeep after the end without any senior engagement, against with full engagement", ge=0, le=1,
            prior=(0.2, 1.0)),
        Par("effort_after_stopping", 0.3, unit="share of effort", source=KEPT,
            doc="share of its sustain effort a team gives after it stopped using QI", ge=0, le=1, prior=(0.0, 0.6)),
    )
    reads = ("qi_culture", "senior_engagement", "status", "using_qi", "adopted")
    writes = ("institutionalisation", "in_use")

    def step(self) -> None:
        model = self.model
        ideas = model.ideas
        institutionalise(model.team_states.record, model.organisation_states.record, ideas.matrix.record, ideas.count,
                         model.pars, model.follow_up)


@njit(cache=True)
def institutionalise(t, o, ideas, count, pars, follow_up):  # pragma: no cover - compiled
    """A week of every team's adopted changes: each is built further into systems (``institutionalisation``
    grows with the team's sustain effort) and, unless kept up, erodes as far as it is not yet
    institutionalised (``in_use`` falls)."""
    p = pars[0]
    grow_rate = p.institutionalisation_per_year / WEEKS_PER_YEAR
    erode_rate = p.decay_per_year / WEEKS_PER_YEAR
    for i in range(t.shape[0]):
        engagement = o.senior_engagement[i]
        effort = ((p.culture_sustain_effort * o.qi_culture[i] + p.sustain_planning)
                  * around_average(engagement, p.sustain_engagement_effect))
        if not follow_up and t.status[i] < COMPLETED:  # working for its targets: changes kept up
            effort *= p.effort_while_working
            upkeep = 1.0
        elif t.using_qi[i]:  # after the end, still using QI
            upkeep = p.upkeep_after_end * with_floor(engagement, p.upkeep_engagement_floor)
        else:  # stopped using QI, or dropped out
            effort *= 0.0 if t.status[i] == DROPPED else p.effort_after_stopping
            upkeep = 0.0
        grow = grow_rate * effort
        erode = erode_rate * (1.0 - upkeep)
        for j in range(count):
            if ideas.adopted[i, j]:
                ideas.institutionalisation[i, j] += gained(grow, ideas.institutionalisation[i, j])
                ideas.in_use[i, j] -= erode * (1.0 - ideas.institutionalisation[i, j]) * ideas.in_use[i, j]
