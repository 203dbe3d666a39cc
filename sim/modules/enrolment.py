"""Who takes part: applicant teams and their organisations, and the selection policy (challenge 2).

Paper, challenge 2: the ability to improve 'depends mostly on the organisational context for the
team, their time, and their motivation'; organisers may accept all comers, let teams select
themselves with a self-assessment of their capacity to benefit, or select teams themselves
('so far there is no evidence that collaboratives which have selected teams have been more
successful'). Organisers see an organisation's context but not a team's motivation or cohesion.

The organisations that do not take part are drawn as applicants who did not apply, after the
participants, so that the participants are the same whatever the network around them.
"""

from __future__ import annotations

import math

import numpy as np

from qicsim.sim.module import Module, Par, beta_around, define_pars, lognormal_around
from qicsim.sim.sources import ASSUMPTION, KEPT, PAPER

ATTRIBUTES = ("qi_culture", "senior_support", "strategic_importance", "staff_time_hours", "data_infrastructure",
              "motivation", "cohesion", "knowledge", "capability", "learning_ability", "data_capability",
              "clarity", "baseline", "sent_by_management")
"""What an applicant brings: its organisation's context (the first five) and its team."""
ORGANISATION_ATTRIBUTES = ("qi_culture", "senior_support", "strategic_importance", "staff_time_hours",
                           "data_infrastructure")
TEAM_ATTRIBUTES = tuple(name for name in ATTRIBUTES if name not in ORGANISATION_ATTRIBUTES)


class Enrolment(Module):
    """Draws the applicant teams with their organisations, and enrols the teams the policy selects."""

    name = "enrolment"
    section = "participants"
    pars = define_pars(
        Par("selection_policy", "all_comers", unit="choice",
            source=f"{PAPER}, challenge 2: no evidence that selected collaboratives did better",
            doc="who gets a place among the applicants", choices=("all_comers", "self_selected", "organiser_selected")),
        Par("applicants_per_place", 1.5, unit="applicants/place", source=ASSUMPTION,
            doc="applicant teams per place when places are selected", ge=1, le=5, prior=(1.0, 3.0)),
        Par("self_assessment", False, unit="yes/no",
            source=f"{PAPER}, challenge 2: a self-assessment of capacity to benefit helps teams prepare",
            doc="applicants self-assess their capacity to benefit before enrolling"),
        Par("share_sent_by_management", 0.3, unit="share of teams",
            source=f"assumption; {PAPER}: some teams are 'sent' by their management",
            doc="teams sent rather than volunteered", ge=0, le=1, prior=(0.0, 0.8)),
        Par("sent_motivation_penalty", 0.25, unit="share of motivation",
            source=f"{PAPER}, challenge 2: sent teams 'less motivated' (anecdotal); size assumed",
            doc="motivation a sent team lacks at enrolment", ge=0, le=1, prior=(0.0, 0.5)),
        Par("sent_clarity_penalty", 0.2, unit="share of clarity", source=KEPT,
            doc="clarity of objectives a sent team lacks: it has not chosen its own reasons for taking part",
            ge=0, le=1, prior=(0.0, 0.5)),
        Par("self_assessment_clarity_gain", 0.3, unit="share of gap", source=f"{KEPT}; {PAPER}, challenge 2",
            doc="share of the gap to full clarity of objectives a self-assessment closes", ge=0, le=1,
            prior=(0.0, 0.6)),
        Par("self_assessment_noise", 0.15, unit="sd of readiness", source=KEPT,
            doc="error with which a team judges its own capacity to benefit (self-selection)", ge=0, le=1,
            prior=(0.05, 0.3)),
        Par("self_assessment_tool_noise", 0.07, unit="sd of readiness", source=KEPT,
            doc="the same error when a structured self-assessment tool is used", ge=0, le=1, prior=(0.02, 0.15)),
        Par("organiser_judgement_noise", 0.10, unit="sd of readiness", source=KEPT,
            doc="error with which organisers judge an applicant's organisational context", ge=0, le=1,
            prior=(0.03, 0.25)),
        # the five success factors and the team's starting point (paper: 'What is a quality collaborative?')
        Par("teamwork_mean", 0.55, unit="0-1", section="context",
            source=f"{PAPER}: success factor 1, ability to work as a team", doc="mean team cohesion at enrolment",
            ge=0, le=1, prior=(0.3, 0.8)),
        Par("qi_method_learning", 0.5, unit="0-1", section="context",
            source=f"{PAPER}: success factor 2, ability to learn and apply quality methods",
            doc="mean ability of teams to learn QI methods", ge=0, le=1, prior=(0.3, 0.7)),
        Par("strategic_importance", 0.6, unit="0-1", section="context",
            source=f"{PAPER}: success factor 3, strategic importance to the home organisation",
            doc="mean strategic importance of the subject to organisations", ge=0, le=1, prior=(0.3, 0.8)),
        Par("qi_culture", 0.5, unit="0-1", section="context",
            source=f"{PAPER}: success factor 4, culture of the home organisation; Kaplan et al. 2012 (MUSIQ)",
            doc="mean QI culture of organisations", ge=0, le=1, prior=(0.3, 0.7)),
        Par("senior_support", 0.6, unit="0-1", section="preparation",
            source=f"{PAPER}: success factor 5, management support; mean over organisations",
            doc="visible support of senior leaders at enrolment", ge=0, le=1, prior=(0.3, 0.8)),
        Par("qi_capability_mean", 0.15, unit="0-1", section="context",
            source="assumption: most teams new to rapid-cycle QI", doc="teams' practised QI capability at enrolment",
            ge=0, le=1, prior=(0.05, 0.35)),
        Par("staff_time_hours_per_week", 3.0, unit="hours/member/week", section="context",
            source="assumption; Sathe et al. 2016: 62-88% of QIC cost is labour",
            doc="protected time per team member for the project", ge=0, le=40, prior=(1.0, 8.0)),
        Par("full_staff_time_hours", 6.0, unit="hours/member/week", section="context", source=KEPT,
            doc="protected time that counts as fully resourced (in readiness and in the drop-out hazard)",
            ge=0.5, le=40, prior=(3.0, 12.0)),
        Par("between_team_sd", 0.2, unit="0-1", section="context",
            source=f"{PAPER}: 'large differences in the resources available to different teams'",
            doc="spread of team and organisation attributes around their means", ge=0, le=0.5, prior=(0.1, 0.3)),
        Par("staff_time_variation", 2.0, unit="log-sd per unit of between_team_sd", section="context", source=KEPT,
            doc="how much more teams differ in protected time (lognormal) than in their 0-1 attributes",
            ge=0, le=10, prior=(1.0, 4.0)),
        Par("motivation_mean", 0.6, unit="0-1", section="motivation", source=ASSUMPTION,
            doc="mean motivation of volunteered teams at enrolment", ge=0, le=1, prior=(0.4, 0.8)),
        Par("clarity_mean", 0.5, unit="0-1", section="context", source=KEPT,
            doc="mean clarity of a volunteered team's objectives and roles at enrolment", ge=0, le=1,
            prior=(0.3, 0.7)),
        Par("data_capability_mean", 0.35, unit="0-1", section="data_and_change",
            source=f"{PAPER}, challenge 8: data collection was the hardest task for teams",
            doc="teams' mean ability to collect and use data at enrolment", ge=0, le=1, prior=(0.15, 0.6)),
        Par("data_infrastructure_weight", 0.5, unit="share", section="data_and_change", source=KEPT,
            doc="weight of the organisation's data systems (against the team's own skill) in its data capability",
            ge=0, le=1, prior=(0.2, 0.8)),
        Par("baseline_sd_relative", 0.1, unit="share of baseline", section="measurement",
            source=f"{PAPER}: collaboratives chosen where there are 'large variations in care'",
            doc="between-team spread of the baseline", ge=0, le=0.5, prior=(0.05, 0.3)),
        Par("baseline_gap_floor", 0.1, unit="share of the mean gap", section="measurement", source=KEPT,
            doc="smallest baseline gap to best practice a team can have: none starts at best practice",
            ge=0.01, le=1, prior=(0.05, 0.3)),
    )
    writes = (*ATTRIBUTES,)

    def init(self) -> None:
        model = self.model
        teams, organisations = model.team_states, model.organisation_states
        chosen = select_teams(self, self.p.teams)
        others = draw_applicants(self, len(organisations) - len(teams))
        for name in ORGANISATION_ATTRIBUTES:
            getattr(organisations, name)[:] = np.concatenate([chosen[name], others[name]])
        for name in TEAM_ATTRIBUTES:
            getattr(teams, name)[:] = chosen[name]


def draw_applicants(e: Enrolment, n: int) -> dict[str, np.ndarray]:
    """``n`` applicant teams with their organisations' attributes, and each one's readiness (what
    judges its capacity to benefit)."""
    p, rng = e.p, e.rng
    sd = p.between_team_sd
    gap = p.baseline_performance - p.best_practice_performance
    a = {
        "qi_culture": beta_around(rng, p.qi_culture, sd, n),
        "senior_support": beta_around(rng, p.senior_support, sd, n),
        "strategic_importance": beta_around(rng, p.strategic_importance, sd, n),
        "staff_time_hours": lognormal_around(rng, p.staff_time_hours_per_week, p.staff_time_variation * sd, n),
        "data_infrastructure": beta_around(rng, p.data_capability_mean, sd, n),
        "motivation": beta_around(rng, p.motivation_mean, sd, n),
        "cohesion": beta_around(rng, p.teamwork_mean, sd, n),
        "knowledge": beta_around(rng, p.qi_capability_mean, sd, n),
        "capability": beta_around(rng, p.qi_capability_mean, sd, n),
        "learning_ability": beta_around(rng, p.qi_method_learning, sd, n),
        "data_capability": beta_around(rng, p.data_capability_mean, sd, n),
        "clarity": beta_around(rng, p.clarity_mean, sd, n),
        "sent_by_management": rng.random(n) < p.share_sent_by_management,
    }
    # Baselines vary between teams but stay on the far side of best practice.
    if gap != 0:
        spread = rng.normal(0, p.baseline_sd_relative, n) * p.baseline_performance / gap
        a["baseline"] = p.best_practice_performance + gap * np.maximum(p.baseline_gap_floor, 1 + spread)
    else:
        a["baseline"] = np.full(n, p.baseline_performance)
    w = p.data_infrastructure_weight
    a["data_capability"] = (1 - w) * a["data_capability"] + w * a["data_infrastructure"]
    sent = a["sent_by_management"]
    a["motivation"] = np.where(sent, a["motivation"] * (1 - p.sent_motivation_penalty), a["motivation"])
    a["clarity"] = np.where(sent, a["clarity"] * (1 - p.sent_clarity_penalty), a["clarity"])
    if p.self_assessment:
        a["clarity"] = a["clarity"] + p.self_assessment_clarity_gain * (1 - a["clarity"])
    a["context"] = np.mean([a["qi_culture"], a["senior_support"], a["strategic_importance"],
                            np.minimum(1.0, a["staff_time_hours"] / p.full_staff_time_hours)], axis=0)
    a["readiness"] = np.mean([a["qi_culture"], a["senior_support"], a["strategic_importance"], a["motivation"],
                              a["cohesion"], np.minimum(1.0, a["staff_time_hours"] / p.full_staff_time_hours)], axis=0)
    return a


def select_teams(e: Enrolment, places: int) -> dict[str, np.ndarray]:
    """The teams that enrol under the scenario's selection policy, in the order they applied."""
    p, rng = e.p, e.rng
    if p.selection_policy == "all_comers":
        return draw_applicants(e, places)
    pool = draw_applicants(e, math.ceil(places * p.applicants_per_place))
    size = len(pool["readiness"])
    if p.selection_policy == "self_selected":
        noise = p.self_assessment_tool_noise if p.self_assessment else p.self_assessment_noise
        judged = pool["readiness"] + rng.normal(0, noise, size)
    else:  # organiser_selected: context only, motivation and cohesion unseen
        judged = pool["context"] + rng.normal(0, p.organiser_judgement_noise, size)
    chosen = np.sort(np.argsort(-judged, kind="stable")[:places])
    return {k: v[chosen] for k, v in pool.items()}


