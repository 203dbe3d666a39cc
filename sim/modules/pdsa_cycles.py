"""Plan-do-study-act: each week a team runs rapid test cycles of change ideas (the paper: 'many small
changes in quick succession').

How many tests a team runs is a Poisson count: the scenario's rate for an average team, set by its
protected time and the topic's importance, how clear its aims are, its motivation, cohesion and its
leader's commitment, and the week's support (:mod:`sim.modules.action_period`). A test takes the
team's most promising idea at hand (among equals, the one it has had longest) or, with none left,
an idea of its own, whose quality rises with the team's capability and the subject's evidence.
The chance that the test works is the idea's quality times the team's skill (practised capability,
knowledge and data skills) times its context -- culture and engaged management 'amplify these
capabilities' (paper, challenge 8). Every test builds capability (learning by doing, more with
change support and for teams that learn well); a success adopts a change and encourages the team;
a failure lowers its hope in the idea, which it sets aside after ``max_tries`` failures.

A team's tests in one week run one after another, team after team (teams do not touch each other's
ideas, so the order of teams does not matter).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from qicsim.sim.draws import poisson, standard_normal
from qicsim.sim.ideas import OWN, gap_left
from qicsim.sim.module import (
    WEEKS_PER_MONTH,
    Module,
    Par,
    around_average,
    define_pars,
    define_states,
    gained,
    lognormal_factor,
    mean_of,
    team_state,
    with_floor,
)
from qicsim.sim.populations import ACTIVE
from qicsim.sim.sources import KEPT, PAPER

DRAWS_PER_TEST = 3
"""Uniforms a test needs: whether it works, and two (a normal) for the effect of an idea of the team's own."""


class PDSACycles(Module):
    """The week's tests of every team: how many, of which ideas, and what they bring."""

    name = "pdsa_cycles"
    section = "pdsa"
    pars = define_pars(
        Par("tests_per_month", 1.2, unit="tests/month",
            source=f"{PAPER}: 'many small changes in quick succession'; size assumed",
            doc="PDSA tests an average team runs per month at support 1 (a collaborative's support is about "
                "1.1 at the default organiser capacity)", ge=0, le=30,
            prior=(0.4, 3.0), log_prior=True),
        Par("reference_staff_time_hours", 3.0, unit="hours/member/week", source=KEPT,
            doc="protected time at which a team tests at tests_per_month", ge=0.5, le=40, prior=(1.5, 6.0)),
        Par("staff_time_pace_cap", 2.0, unit="factor", source=KEPT,
            doc="the most that protected time beyond the reference speeds testing", ge=1, le=10, prior=(1.2, 4.0)),
        Par("tests_importance_effect", 1.0, unit="per unit", source=f"{KEPT}; {PAPER}: success factor 3",
            doc="how much the topic's strategic importance speeds testing (1 at middling importance)", ge=0,
            le=2, prior=(0.0, 2.0)),
        Par("tests_clarity_effect", 0.5, unit="per unit", source=f"{KEPT}; {PAPER}, challenge 2",
            doc="how much clear objectives and roles speed testing", ge=0, le=2, prior=(0.0, 1.5)),
        Par("tests_motivation_effect", 1.0, unit="per unit", source=f"{KEPT}; {PAPER}, challenge 6",
            doc="how much the team's motivation speeds testing", ge=0, le=2, prior=(0.25, 2.0)),
        Par("tests_cohesion_effect", 1.0, unit="per unit", source=f"{KEPT}; {PAPER}: success factor 1",
            doc="how much the team's cohesion speeds testing", ge=0, le=2, prior=(0.25, 2.0)),
        Par("tests_leadership_effect", 1.0, unit="per unit", source=f"{KEPT}; {PAPER}, challenge 3",
            doc="how much the team leader's commitment speeds testing", ge=0, le=2, prior=(0.25, 2.0)),
        Par("skill_capability_weight", 0.6, unit="weight", source=f"{KEPT}; {PAPER}, challenge 5",
            doc="weight of practised capability in the skill a test needs", ge=0, le=1, prior=(0.3, 0.9)),
        Par("skill_knowledge_weight", 0.1, unit="weight", source=f"{KEPT}; {PAPER}, challenge 5",
            doc="weight of taught knowledge in the skill a test needs", ge=0, le=1, prior=(0.0, 0.4)),
        Par("skill_data_weight", 0.3, unit="weight", source=f"{KEPT}; {PAPER}, challenge 8",
            doc="weight of data capability in the skill a test needs", ge=0, le=1, prior=(0.1, 0.5)),
        Par("success_skill_floor", 0.2, unit="factor", source=KEPT,
            doc="chance factor of a test by a team without any skill (1 with full skill)", ge=0, le=1,
            prior=(0.05, 0.5)),
        Par("success_context_base", 0.3, unit="factor", source=f"{KEPT}; {PAPER}, challenge 8",
            doc="chance factor of a test without culture or engaged management behind it (plus their mean)",
            ge=0, le=2, prior=(0.1, 0.6)),
        Par("success_chance_cap", 0.95, unit="probability", source=KEPT,
            doc="highest chance that a test works", ge=0.5, le=1, prior=(0.8, 1.0)),
        Par("failure_doubt", 0.85, unit="factor", source=KEPT,
            doc="factor on a team's hope in an idea after a test of it failed: the idea may not fit here",
            ge=0, le=1, prior=(0.6, 0.95)),
        Par("max_tries", 3, unit="failed tests", source=KEPT,
            doc="failed tests after which a team sets an idea aside", ge=1, le=20, prior=(2, 6)),
        Par("capability_per_test", 0.03, unit="share of gap per test",
            source="assumption: learning by doing; every test, won or lost, builds capability",
            doc="share of the gap to full capability one test closes for an average learner", ge=0, le=0.5,
            prior=(0.01, 0.08)),
        Par("learning_ability_effect", 1.0, unit="per unit", section="context", source=f"{KEPT}; {PAPER}: "
            "success factor 2", doc="how much a team's ability to learn QI methods speeds its learning by doing "
            "and at sessions", ge=0, le=2, prior=(0.25, 2.0)),
        Par("learning_knowledge_floor", 0.5, unit="factor", source=f"{KEPT}; {PAPER}, challenge 5",
            doc="learning by doing without any taught knowledge, against with full knowledge", ge=0, le=1,
            prior=(0.2, 1.0)),
        Par("change_support", 0.5, unit="0-1", section="data_and_change",
            source=f"{PAPER}, challenge 8: change skills, not only change knowledge",
            doc="support for change management (project, politics of change) from the collaborative", ge=0,
            le=1, prior=(0.0, 1.0)),
        Par("change_support_effect", 1.0, unit="per unit", section="data_and_change",
            source=f"{KEPT}; {PAPER}, challenge 8",
            doc="how much change support speeds learning by doing and practice at sessions", ge=0, le=2,
            prior=(0.0, 2.0)),
        Par("own_idea_quality", 0.35, unit="0-1", section="traditional",
            source="assumption: self-found ideas have no evidence base or peer testing",
            doc="quality of a self-found change idea for a team of middling capability", ge=0, le=1,
            prior=(0.15, 0.6)),
        Par("own_idea_capability_effect", 1.0, unit="per unit", section="traditional", source=KEPT,
            doc="how much capability improves a team's own and adapted ideas", ge=0, le=2, prior=(0.25, 2.0)),
        Par("own_idea_evidence_floor", 0.6, unit="factor", section="traditional", source=KEPT,
            doc="quality of a team's own ideas on a subject without evidence, against with full evidence",
            ge=0, le=1, prior=(0.3, 1.0)),
        Par("own_idea_effect_share", 0.7, unit="share", section="traditional", source=KEPT,
            doc="effect of a team's own idea against a package idea's", ge=0, le=2, prior=(0.3, 1.2)),
        Par("success_motivation_gain", 0.03, unit="share of gap", section="motivation",
            source=f"{KEPT}; {PAPER}, challenge 6",
            doc="share of the gap to full motivation a successful test closes", ge=0, le=0.5, prior=(0.0, 0.1)),
        Par("failure_motivation_loss", 0.01, unit="share of motivation", section="motivation", source=KEPT,
            doc="share of its motivation a team loses with a failed test", ge=0, le=0.5, prior=(0.0, 0.05)),
    )
    states = define_states(
        team_state("tests_run", 0, "PDSA tests run so far", int, recorded=True),
        team_state("tests", 0, "PDSA tests this week", int),
        team_state("successes_in_period", 0, "tests that worked during the collaborative (or project)", int),
        team_state("changes_improving_measure", 0, "changes adopted during the collaborative that each improved the "
                                                   "team's measure by successful_change_threshold of its baseline "
                                                   "or more", int),
        team_state("first_result_week", np.nan, "week of the first successful test (NaN: none yet)"),
        team_state("test_rate", 0.0, "tests a week at average motivation, cohesion and leadership, with support 1"),
    )
    reads = ("testing_support", "motivation", "cohesion", "leader_commitment", "capability", "knowledge",
             "data_capability", "learning_ability", "qi_culture", "senior_engagement", "quality", "at_hand", "found")
    writes = ("tests_run", "tests", "successes_in_period", "changes_improving_measure", "first_result_week",
              "test_rate", "capability", "motivation", "quality", "at_hand", "adopted", "in_use",
              "institutionalisation", "tries", "source", "found", "ideas_found", "ideas")

    def init(self) -> None:
        p, t, o = self.p, self.model.team_states, self.model.organisation_states
        n = t.size
        time = np.minimum(p.staff_time_pace_cap, o.staff_time_hours[:n] / p.reference_staff_time_hours)
        t.test_rate[:] = (p.tests_per_month / WEEKS_PER_MONTH * time
                          * around_average(o.strategic_importance[:n], p.tests_importance_effect)
                          * around_average(t.clarity, p.tests_clarity_effect))

    def step(self) -> None:
        model = self.model
        t, ideas = model.team_states, model.ideas
        total = count_tests(t.record, model.pars, self.draws.uniforms(t.size))
        if total:
            ideas.reserve(total)  # room for an idea of its own for every test
            draws = self.draws.uniforms(DRAWS_PER_TEST * total)
            ideas.count = run_tests(t.record, model.organisation_states.record, ideas.matrix.record,
                                    ideas.catalogue.record, ideas.count, model.pars, draws, model.week)


@njit(cache=True)
def count_tests(t, pars, draws):  # pragma: no cover - compiled
    """How many PDSA tests each team runs this week (``t.tests``; returns the total): a Poisson count
    (``draws``: one uniform per team) around its rate for an average team (protected time, the topic's
    importance, clarity) times the week's support, times its motivation, cohesion and its leader's
    commitment (each factor 1 for an average team)."""
    p = pars[0]
    total = 0
    for i in range(t.shape[0]):
        rate = (t.test_rate[i] * t.testing_support[i]
                * around_average(t.motivation[i], p.tests_motivation_effect)
                * around_average(t.cohesion[i], p.tests_cohesion_effect)
                * around_average(t.leader_commitment[i], p.tests_leadership_effect))
        t.tests[i] = poisson(rate, draws[i]) if rate > 0.0 else 0
        total += t.tests[i]
    return total


@njit(cache=True)
def run_tests(t, o, ideas, catalogue, count, pars, draws, week):  # pragma: no cover - compiled
    """Every team runs its ``t.tests`` tests of the week, one after another; returns the number of idea
    ids in use (a new idea of a team's own takes the next one; the caller made room for them).
    ``draws``: three uniforms per test, in order: whether it works, and two for the effect of an idea of
    the team's own."""
    p = pars[0]
    learning_per_test = p.capability_per_test * around_average(p.change_support, p.change_support_effect)
    own_quality = p.own_idea_quality * with_floor(p.evidence_strength, p.own_idea_evidence_floor)
    own_effect = (p.change_effect_mean * p.own_idea_effect_share
                  * with_floor(p.subject_specificity, p.specificity_effect_floor))
    sd = p.change_effect_log_sd
    test = 0
    for i in range(t.shape[0]):
        for _ in range(t.tests[i]):
            works, u1, u2 = draws[DRAWS_PER_TEST * test: DRAWS_PER_TEST * (test + 1)]
            test += 1
            j = most_promising(ideas, i, count)
            if j < 0:
                # none left: an idea of the team's own, better with capability, no peer testing behind it
                j = count
                count += 1
                catalogue.effect[j] = min(p.change_effect_cap,
                                          lognormal_factor(sd, standard_normal(u1, u2)) * own_effect)
                ideas.quality[i, j] = min(p.idea_quality_cap,
                                          own_quality * around_average(t.capability[i], p.own_idea_capability_effect))
                ideas.source[i, j] = OWN
                ideas.tries[i, j] = 0
                ideas.at_hand[i, j] = True
                ideas.found[i, j] = t.ideas_found[i]
                t.ideas_found[i] += 1
            skill = (p.skill_capability_weight * t.capability[i] + p.skill_knowledge_weight * t.knowledge[i]
                     + p.skill_data_weight * t.data_capability[i])
            context = mean_of(o.qi_culture[i], o.senior_engagement[i])
            chance = min(p.success_chance_cap, ideas.quality[i, j] * with_floor(skill, p.success_skill_floor)
                         * (p.success_context_base + context))
            t.tests_run[i] += 1
            learning = (learning_per_test * around_average(t.learning_ability[i], p.learning_ability_effect)
                        * with_floor(t.knowledge[i], p.learning_knowledge_floor))
            t.capability[i] += gained(learning, t.capability[i])
            if works < chance:
                # it works: the team adopts the change and is encouraged; what the change does to the team's
                # measure, as a share of its baseline, is its effect on what is left of the gap
                gain = (catalogue.effect[j] * t.drift[i] * gap_left(ideas, catalogue, count, i)
                        * abs(t.baseline[i] - p.best_practice_performance) / abs(t.baseline[i]))
                ideas.at_hand[i, j] = False
                ideas.adopted[i, j] = True
                ideas.in_use[i, j] = 1.0
                ideas.institutionalisation[i, j] = 0.0
                if t.status[i] == ACTIVE:  # during the collaborative (after the end teams have completed)
                    t.successes_in_period[i] += 1
                    t.changes_improving_measure[i] += gain >= p.successful_change_threshold
                if math.isnan(t.first_result_week[i]):
                    t.first_result_week[i] = week
                t.motivation[i] += gained(p.success_motivation_gain, t.motivation[i])
            else:
                # it fails: less hope in the idea, set aside after max_tries; a little discouraged
                ideas.tries[i, j] += 1
                ideas.quality[i, j] *= p.failure_doubt
                if ideas.tries[i, j] >= p.max_tries:
                    ideas.at_hand[i, j] = False
                t.motivation[i] -= p.failure_motivation_loss * t.motivation[i]
    return count


@njit(cache=True)
def most_promising(ideas, i, count):  # pragma: no cover - compiled
    """Team ``i``'s most promising idea at hand (among equals, the one it has had longest); -1 if none."""
    best = -1
    for j in range(count):
        if ideas.at_hand[i, j] and (best < 0 or ideas.quality[i, j] > ideas.quality[i, best]
                                    or (ideas.quality[i, j] == ideas.quality[i, best]
                                        and ideas.found[i, j] < ideas.found[i, best])):
            best = j
    return best
