"""The comparator: a traditional QI project team without a collaborative (paper, refs 8 and 9).

A traditional team spends 'about 3 months' thinking through and organising the project, then
studies the problem and its causes (diagnosis; its length varies widely: a first tangible result
came after 1 to 66 months in another study, 17 on average), and only then tests changes of its own,
without faculty, change package or peers (:mod:`sim.modules.action_period`). Organising time is
drawn from a gamma distribution, diagnosis from a lognormal. Nothing here acts in a collaborative.
"""

from __future__ import annotations

import numpy as np

from qicsim.sim.calendar import weeks
from qicsim.sim.module import Module, Par, define_pars, define_states, gained, lognormal_around, team_state
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import CALIBRATED, KEPT, PAPER


class TraditionalProject(Module):
    """Each traditional team's organising and diagnosis, before its own action period."""

    name = "traditional_project"
    section = "traditional"
    pars = define_pars(
        Par("organising_months", 3.0, unit="months",
            source=f"{PAPER} (ref 8): 'about 3 months' thinking through and organising",
            doc="mean time a traditional team spends organising", ge=0, le=24, prior=(1.0, 6.0)),
        Par("diagnosis_months", 5.0, unit="months",
            source=f"{CALIBRATED}; default: traditional teams reach a first result after 17 months on average "
                   "(paper, ref 8)",
            doc="mean time a traditional team spends diagnosing the problem and its causes", ge=0, le=36,
            prior=(1.0, 15.0)),
        Par("organising_gamma_shape", 4.0, unit="shape", source=KEPT,
            doc="how alike teams' organising times are (gamma shape; larger = more alike)", ge=0.5, le=50,
            prior=(1.0, 10.0)),
        Par("diagnosis_log_sd", 0.8, unit="log-sd", source=f"{KEPT}; {PAPER} (ref 9): 1-66 months to a first result",
            doc="how much teams' diagnosis times differ (lognormal)", ge=0, le=3, prior=(0.3, 1.5)),
        Par("forming_share_of_organising", 0.5, unit="share", source=KEPT,
            doc="share of its organising time after which a traditional team has formed", ge=0, le=1,
            prior=(0.2, 0.9)),
        Par("diagnosis_knowledge_per_week", 0.01, unit="share of gap per week", source=KEPT,
            doc="share of the gap to full QI knowledge a week of studying the problem closes", ge=0, le=0.5,
            prior=(0.0, 0.03)),
    )
    states = define_states(
        team_state("organising_weeks", 0, "traditional projects: weeks spent organising", int),
        team_state("start_testing_week", 0, "traditional projects: the week the team starts testing changes", int),
    )
    reads = ("status",)
    writes = ("organising_weeks", "start_testing_week", "formed", "planned", "knowledge")

    def init(self) -> None:
        p, t = self.p, self.model.team_states
        shape = p.organising_gamma_shape
        organising = self.rng.gamma(shape, p.organising_months / shape, t.size)
        diagnosis = lognormal_around(self.rng, p.diagnosis_months, p.diagnosis_log_sd, t.size)
        if p.mode == "traditional":
            t.organising_weeks[:] = [weeks(m) for m in organising]
            t.start_testing_week[:] = t.organising_weeks + [weeks(m) for m in diagnosis]

    def step(self) -> None:
        model = self.model
        if model.mode != "traditional" or model.follow_up:
            return
        t, w = model.team_states, model.week
        still = t.status < COMPLETED
        organising = np.flatnonzero(still & (w <= t.organising_weeks))
        formed_by = np.floor(t.organising_weeks[organising] * self.p.forming_share_of_organising)
        t.formed[organising] = w >= formed_by
        # a traditional team studies the problem and its causes, and finds its own ideas
        diagnosing = np.flatnonzero(still & (w > t.organising_weeks) & (w <= t.start_testing_week))
        t.formed[diagnosing] = True
        t.planned[diagnosing] = True
        t.knowledge[diagnosing] += gained(self.p.diagnosis_knowledge_per_week, t.knowledge[diagnosing])
