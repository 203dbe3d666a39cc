"""Who takes part: applicant teams and their organisations, and the selection policy.

Paper, challenge 2: the ability to improve 'depends mostly on the organisational context for the
team, their time, and their motivation'; organisers may accept all comers, let teams select
themselves with a self-assessment of their capacity to benefit, or select teams themselves
('so far there is no evidence that collaboratives which have selected teams have been more
successful'). Organisers see an organisation's context but not a team's motivation or cohesion.
"""

from __future__ import annotations

import math

import numpy as np

from sim.agents import beta_around
from sim.parameters import Scenario

SELF_ASSESSMENT_NOISE = 0.15
"""Error with which a team judges its own capacity to benefit (assumption)."""
SELF_ASSESSMENT_TOOL_NOISE = 0.07
"""The same error when a structured self-assessment tool is used (assumption)."""
ORGANISER_NOISE = 0.10
"""Error with which organisers judge an applicant's organisational context (assumption)."""


def draw_applicants(s: Scenario, rng: np.random.Generator, n: int) -> list[dict[str, float]]:
    """Draw ``n`` applicant teams with their organisations' attributes."""
    sd = s.between_team_sd
    sigma = 2 * sd
    gap = s.baseline_performance - s.best_practice_performance
    cols = {
        "qi_culture": beta_around(rng, s.qi_culture, sd, n),
        "senior_support": beta_around(rng, s.senior_support, sd, n),
        "strategic_importance": beta_around(rng, s.strategic_importance, sd, n),
        "staff_time_hours": s.staff_time_hours_per_week * np.exp(rng.normal(-sigma**2 / 2, sigma, n)),
        "data_infrastructure": beta_around(rng, s.data_capability_mean, sd, n),
        "motivation": beta_around(rng, s.motivation_mean, sd, n),
        "cohesion": beta_around(rng, s.teamwork_mean, sd, n),
        "knowledge": beta_around(rng, s.qi_capability_mean, sd, n),
        "capability": beta_around(rng, s.qi_capability_mean, sd, n),
        "learning_ability": beta_around(rng, s.qi_method_learning, sd, n),
        "data_capability": beta_around(rng, s.data_capability_mean, sd, n),
        "clarity": beta_around(rng, 0.5, sd, n),
        "sent": rng.random(n) < s.share_sent_by_management,
        # Baselines vary between teams but stay on the far side of best practice.
        "baseline": s.best_practice_performance
        + gap * np.maximum(0.1, 1 + rng.normal(0, s.baseline_sd_relative, n) * s.baseline_performance / gap)
        if gap != 0 else np.full(n, s.baseline_performance),
    }
    applicants = [{k: v[i].item() for k, v in cols.items()} for i in range(n)]
    for a in applicants:
        a["data_capability"] = 0.5 * (a["data_capability"] + a["data_infrastructure"])
        if a["sent"]:
            a["motivation"] *= 1 - s.sent_motivation_penalty
            a["clarity"] *= 0.8  # a sent team has not chosen its own reasons for taking part
        if s.self_assessment:
            a["clarity"] += 0.3 * (1 - a["clarity"])
        a["readiness"] = float(np.mean([
            a["qi_culture"], a["senior_support"], a["strategic_importance"], a["motivation"],
            a["cohesion"], min(1.0, a["staff_time_hours"] / 6.0),
        ]))
    return applicants


def select_teams(s: Scenario, rng: np.random.Generator) -> list[dict[str, float]]:
    """The teams that enrol under the scenario's selection policy, in a fixed order."""
    if s.selection_policy == "all_comers":
        return draw_applicants(s, rng, s.teams)
    pool = draw_applicants(s, rng, math.ceil(s.teams * s.applicants_per_place))
    if s.selection_policy == "self_selected":
        noise = SELF_ASSESSMENT_TOOL_NOISE if s.self_assessment else SELF_ASSESSMENT_NOISE
        judged = [a["readiness"] + rng.normal(0, noise) for a in pool]
    else:  # organiser_selected: context only, motivation and cohesion unseen
        judged = [
            np.mean([a["qi_culture"], a["senior_support"], a["strategic_importance"],
                     min(1.0, a["staff_time_hours"] / 6.0)]) + rng.normal(0, ORGANISER_NOISE)
            for a in pool
        ]
    order = np.argsort(-np.asarray(judged), kind="stable")[: s.teams]
    return [pool[i] for i in sorted(order)]
