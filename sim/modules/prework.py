"""Pre-work: teams form and prepare their data before the first learning session (challenge 4).

Paper, challenge 4: team building and preparation before the first session -- forming the team,
clarifying roles, collecting baseline data -- decide how fast a team can start once the action
periods begin. Each week of pre-work closes a share of a team's gap to full cohesion and to full
data capability, more so the better the pre-work.
"""

from __future__ import annotations

import numpy as np

from qicsim.sim.calendar import PREWORK
from qicsim.sim.module import Module, Par, define_pars, gained
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import KEPT, PAPER


class Prework(Module):
    """In a collaborative's pre-work weeks, teams form and build cohesion and data skills."""

    name = "prework"
    section = "preparation"
    pars = define_pars(
        Par("prework_quality", 0.5, unit="0-1",
            source=f"{PAPER}, challenge 4: team building and data preparation before LS1",
            doc="how well teams are formed and prepared before the first session", ge=0, le=1, prior=(0.0, 1.0)),
        Par("prework_cohesion_per_week", 0.02, unit="share of gap per week", source=KEPT,
            doc="share of the gap to full cohesion a week of excellent pre-work closes", ge=0, le=0.5,
            prior=(0.005, 0.05)),
        Par("prework_data_per_week", 0.005, unit="share of gap per week", source=KEPT,
            doc="share of the gap to full data capability a week of excellent pre-work closes", ge=0, le=0.5,
            prior=(0.0, 0.02)),
    )
    reads = ("status",)
    writes = ("formed", "cohesion", "data_capability")

    def step(self) -> None:
        model = self.model
        if model.mode != "collaborative" or model.phase != PREWORK:
            return
        p, t = self.p, model.team_states
        teams = np.flatnonzero(t.status < COMPLETED)
        t.formed[teams] = True
        t.cohesion[teams] += gained(p.prework_cohesion_per_week * p.prework_quality, t.cohesion[teams])
        t.data_capability[teams] += gained(p.prework_data_per_week * p.prework_quality, t.data_capability[teams])
