"""The change package: the faculty's change ideas, better with strong evidence and a narrow subject
(challenge 1).

Paper, challenge 1: choose 'a subject in which there is evidence of effective interventions' and
real examples; for a broad subject 'there may not be clear or directly comparable examples of best
practice, change concepts, or good research evidence'. Each idea has an effect (the share of a
team's remaining gap to best practice it closes when it works, the same for every team) and, in
each team's setting, a quality (the team's hope in it: how likely a test of it is to work); for a
broad subject teams' settings differ more. A comparator team (traditional or no intervention) has
no package: it finds ideas of its own (:mod:`sim.modules.pdsa_cycles`).
"""

from __future__ import annotations

import numpy as np

from qicsim.sim.ideas import MIN_QUALITY, PACKAGE, Ideas
from qicsim.sim.module import (
    Module,
    Par,
    beta_around,
    define_pars,
    define_states,
    lognormal_around,
    team_state,
    with_floor,
)
from qicsim.sim.sources import CALIBRATED, KEPT, PAPER


class ChangePackage(Module):
    """Draws the package's ideas and puts them at hand in every team of a collaborative."""

    name = "change_package"
    section = "subject"
    pars = define_pars(
        Par("evidence_strength", 0.7, unit="0-1",
            source=f"{PAPER}, challenge 1: choose a subject with evidence of effective interventions",
            doc="strength of research evidence behind the change package", ge=0, le=1, prior=(0.2, 1.0)),
        Par("subject_specificity", 0.8, unit="0-1",
            source=f"{PAPER}, challenge 1: narrow subjects work, broad ones ('cooperation') do not",
            doc="1 = narrow clinical process; 0 = broad subject where teams work on different things",
            ge=0, le=1, prior=(0.2, 1.0)),
        Par("change_package_size", 12, unit="change ideas",
            source="assumption: IHI change packages list about a dozen testable change ideas",
            doc="change ideas the faculty present", ge=1, le=100, prior=(6, 30)),
        Par("change_effect_mean", 0.12, unit="share of remaining gap",
            source=f"{CALIBRATED}; default: breakthrough gives about 30% of teams a significant improvement (paper)",
            doc="mean effect of one adopted change", ge=0, le=1, prior=(0.04, 0.3)),
        Par("change_effect_log_sd", 0.5, unit="log-sd", source=KEPT,
            doc="how much changes differ in effect (lognormal around the mean)", ge=0, le=2, prior=(0.2, 1.0)),
        Par("change_effect_cap", 0.9, unit="share of remaining gap", source=KEPT,
            doc="largest share of its gap a single change can close", ge=0.1, le=1, prior=(0.6, 1.0)),
        Par("specificity_effect_floor", 0.4, unit="share", source=f"{KEPT}; {PAPER}, challenge 1",
            doc="share of a change's effect, and of the evidence's value, that an entirely broad subject keeps",
            ge=0, le=1, prior=(0.1, 0.8)),
        Par("package_quality_base", 0.2, unit="0-1", source=KEPT,
            doc="quality of a package idea without evidence behind it", ge=0, le=1, prior=(0.05, 0.4)),
        Par("package_quality_evidence", 0.6, unit="0-1", source=f"{KEPT}; {PAPER}, challenge 1",
            doc="quality that full evidence on a narrow subject adds to a package idea", ge=0, le=1,
            prior=(0.3, 0.8)),
        Par("package_quality_sd", 0.12, unit="0-1", source=KEPT,
            doc="how much the package's ideas differ in quality", ge=0, le=0.5, prior=(0.05, 0.2)),
        Par("local_fit_sd", 0.25, unit="0-1", source=f"{KEPT}; {PAPER}, challenge 1",
            doc="how much an idea's quality differs between teams' settings for an entirely broad subject",
            ge=0, le=1, prior=(0.1, 0.4)),
        Par("idea_quality_cap", 0.95, unit="0-1", source=KEPT,
            doc="highest hope a team puts in an idea of its own or a peer's", ge=0.5, le=1, prior=(0.8, 1.0)),
    )
    states = define_states(
        team_state("ideas_found", 0, "change ideas the team has come by (package, peers', its own)", int),
    )
    writes = ("ideas", "ideas_found")

    def init(self) -> None:
        p, rng, model = self.p, self.rng, self.model
        specificity = with_floor(p.subject_specificity, p.specificity_effect_floor)
        quality = p.package_quality_base + p.package_quality_evidence * p.evidence_strength * specificity
        size = p.change_package_size
        qualities = np.array([beta_around(rng, quality, p.package_quality_sd) for _ in range(size)])
        effects = np.minimum(p.change_effect_cap,
                             lognormal_around(rng, p.change_effect_mean, p.change_effect_log_sd, size) * specificity)
        teams = model.team_states.size
        model.ideas = ideas = Ideas(model.team_states, effects)
        if p.mode != "collaborative":
            return
        # the package's ideas in each team's setting: for a broad subject settings differ more
        local = qualities + rng.normal(0, p.local_fit_sd * (1 - p.subject_specificity), (teams, size))
        ideas.quality[:, :size] = np.clip(local, MIN_QUALITY, 1 - MIN_QUALITY)
        ideas.source[:, :size] = PACKAGE
        ideas.at_hand[:, :size] = True
        ideas.found[:, :size] = np.arange(size)
        model.team_states.ideas_found[:] = size
