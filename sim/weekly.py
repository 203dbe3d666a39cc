"""What happens to every team and organisation in one week.

A week runs (:func:`week`): senior engagement fades and leaders leave; teams still in the
collaborative prepare or work (after the end, teams keep using QI or stop); they run their PDSA
cycles (:mod:`sim.pdsa`); then motivation drifts, some teams drop out, and adopted changes are
institutionalised or erode. Each mechanism is a loop over the teams compiled with numba -- a team's
week costs about what a Mesa agent's simplest step does -- and its docstring names the paper's
challenge (Øvretveit et al. 2002) it implements. Random numbers are drawn from the model's numpy
generator before the compiled loops, which draw none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim import calendar as cal
from sim.agents import LEADER_SHOCK_WINDOW_WEEKS, TRADITIONAL_SUPPORT, WEEKS_PER_YEAR, weekly_chance
from sim.network import PEER_SUPPORT_EFFECT
from sim.pdsa import cycles
from sim.states import ACTIVE, COMPLETED, DROPPED

if TYPE_CHECKING:
    from sim.model import CollaborativeModel

MODES = ("collaborative", "traditional", "none")
COLLABORATIVE, TRADITIONAL, NO_INTERVENTION = range(len(MODES))
PREWORK = cal.PHASES.index(cal.PREWORK)
ACTION_PERIOD = cal.PHASES.index(cal.ACTION_PERIOD)


@dataclass(frozen=True)
class WeeklyRates:
    """What stays the same every week of a run, worked out once from the scenario and the teams."""

    test_rate: np.ndarray
    """PDSA tests a week of each team at middling motivation, cohesion and leader commitment: the
    scenario's rate, the team's protected time and the topic's importance, and how clear its aims are."""
    dropout_context: np.ndarray
    """The part of each team's drop-out log-hazard that does not change: little time, unclear aims."""
    team_leader_leaves: float
    senior_leader_leaves: float
    engagement_kept: np.ndarray
    """Share of senior engagement left after a week of fading, during the collaborative and after it."""
    engagement_kept_follow_up: np.ndarray

    @classmethod
    def for_model(cls, model: CollaborativeModel) -> WeeklyRates:
        s = model.params
        t = model.team_states
        n = t.size
        o = model.organisation_states
        staff_time, importance = o.staff_time_hours[:n], o.strategic_importance[:n]
        time = np.minimum(2.0, staff_time / 3.0) * (0.5 + importance)
        return cls(
            test_rate=s.tests_per_month / cal.WEEKS_PER_MONTH * time * (0.75 + 0.5 * t.clarity),
            dropout_context=1.0 * (0.5 - np.minimum(1.0, staff_time / 6.0)) + 1.0 * (0.5 - t.clarity),
            team_leader_leaves=weekly_chance(s.leader_turnover_per_year),
            senior_leader_leaves=weekly_chance(s.senior_leader_turnover_per_year),
            engagement_kept=1 - o.engagement_decay[:n] / cal.WEEKS_PER_YEAR,
            engagement_kept_follow_up=1 - o.engagement_decay_follow_up[:n] / cal.WEEKS_PER_YEAR,
        )


def week(model: CollaborativeModel) -> None:
    """Everything that happens to the teams and their organisations in week ``model.week``; then the
    week's costs. Two compiled passes over the teams: before their tests, and from their tests on."""
    s = model.params
    t = model.team_states
    o = model.organisation_states
    ideas = model.ideas
    rates = model.weekly_rates
    n = t.size
    w = model.week
    follow_up = w > model.calendar.end_week
    rng = model.rng
    draws = rng.random(4 * n)
    engagement, culture = o.senior_engagement[:n], o.qi_culture[:n]
    leaving = np.zeros(n, dtype=np.int8)
    tests = np.zeros(n, dtype=np.int64)
    args = (
        w, follow_up, model.mode_code, model.phase_codes[w], draws, leaving, tests,
        t.status, t.formed, t.planned, t.cohesion, t.data_capability, t.knowledge, t.motivation, t.capability,
        t.leader_commitment, t.using_qi, t.peer_support, t.organising_weeks, t.start_testing_week,
        engagement, culture, rates.test_rate, rates.engagement_kept_follow_up if follow_up else rates.engagement_kept,
        rates.senior_leader_leaves, rates.team_leader_leaves,
        s.prework_quality, s.data_support, 0.75 + 0.5 * s.organiser_capacity, s.qi_stop_per_year,
        TRADITIONAL_SUPPORT * s.follow_up_test_share,
    )
    total = _prepare(True, *args)
    if total < 0:  # leaders left: they go (agents' own events), then the week goes on
        _change_leaders(model, leaving)
        total = _prepare(False, *args)
    after = rng.random(total + n)  # whether each test works, then whether each team drops out
    idea_noise = rng.standard_normal(total) if total else NO_DRAWS  # effects of ideas teams find themselves
    ideas.reserve(total)
    tally = np.zeros(len(TALLY))
    ideas.count = _work(
        w, follow_up, s.mode != "none", w <= model.calendar.end_week, tests, after, idea_noise,
        t.status, t.formed, t.motivation, t.motivation_anchor, t.capability, t.knowledge, t.data_capability,
        t.learning_ability, t.tests_run, t.successes_in_period, t.first_result_week, t.last_leader_change_week,
        t.dropped_week, t.using_qi, rates.dropout_context, engagement, culture,
        ideas.effect, ideas.quality, ideas.tries, ideas.source, ideas.at_hand, ideas.found, ideas.found_count,
        ideas.adopted, ideas.in_use, ideas.institutionalisation, ideas.count,
        s.capability_per_test * (0.5 + s.change_support), s.own_idea_quality * (0.6 + 0.4 * s.evidence_strength),
        s.change_effect_mean * 0.7 * (0.4 + 0.6 * s.subject_specificity),
        s.dropout_hazard_per_year, s.leader_change_dropout_multiplier, s.sustain_planning,
        s.institutionalisation_per_year, s.decay_per_year, model.team_week_cost, model.team_week_cost_follow_up,
        tally,
    )
    ideas.moved()
    model.book_weekly_costs(follow_up, tally)


NO_DRAWS = np.zeros(0)
TALLY = ("active_teams", "team_time", "collecting_data", "keeping_changes")
"""What ``_work`` counts for the week's costs: teams still in, the cost of their project time,
teams collecting data, and teams that completed and keep changes in use after the end."""


def _change_leaders(model: CollaborativeModel, leaving: np.ndarray) -> None:
    """The leaders marked by :func:`_prepare` leave (agents' own events: a new leader is drawn)."""
    for i in leaving.nonzero()[0].tolist():
        if leaving[i] & 1:
            model.organisations[i].change_senior_leader()
        if leaving[i] & 2:
            model.teams[i].change_leader(model.week)


@njit(cache=True)
def _prepare(leadership, w, follow_up, mode, phase, draws, leaving, tests,
             status, formed, planned, cohesion, data_capability, knowledge, motivation, capability,
             leader_commitment, using_qi, peer_support, organising_weeks, start_testing_week,
             engagement, culture, test_rate, engagement_kept, senior_leaves, leader_leaves,
             prework_quality, data_support, collaborative_support, qi_stop_per_year,
             follow_up_support):  # pragma: no cover - compiled
    """The week before the teams' tests: leaders, preparation and work, and how many tests each team
    runs (``tests``; returns their total, or -1 when leaders left -- marked in ``leaving``, 1: the
    senior leader, 2: the team leader -- before anything else moved; call again with
    ``leadership=False`` once they are replaced). ``draws``: four per team.

    Senior engagement fades (less for strategic topics); senior leaders and team leaders leave.
    Paper, challenge 4: 'It is not sufficient to sign up senior leaders at the beginning of a
    collaborative and to then fail to engage with them further.' After the end, planning to
    sustain 'involving managers in this work' slows the fade (box 1). A team-leader change breaks
    continuity (challenges 3 and 4). Only participating organisations are followed, and teams that
    dropped out no longer are.

    During the collaborative: pre-work builds the team and its data (challenge 4); in an action
    period a team tests with the facilitators' support, and data support builds its data skills
    (challenge 8); a traditional team organises, studies the problem, then tests with less
    support. After the end a team keeps using QI until it stops -- practised capability,
    conviction, culture and management keep it going, lectures do not (challenge 9) -- and so do
    tied teams still using QI (a community of practice, challenges 9 and 10); while it uses QI it
    goes on testing at a share of its collaborative pace.
    """
    n = status.shape[0]
    if leadership:
        anyone = False
        for i in range(n):
            engagement[i] *= engagement_kept[i]
            if draws[i] < senior_leaves:
                leaving[i] += 1
                anyone = True
            if draws[n + i] < leader_leaves and status[i] != DROPPED:
                leaving[i] += 2
                anyone = True
        if anyone:
            return -1
    total = 0
    for i in range(n):
        support = 0.0
        if follow_up:
            if not using_qi[i]:
                continue
            x = (-4.0 * (capability[i] - 0.4) - 1.5 * (engagement[i] - 0.5) - 1.5 * (culture[i] - 0.5)
                 - 1.0 * (motivation[i] - 0.5) - PEER_SUPPORT_EFFECT * peer_support[i])
            if draws[2 * n + i] < weekly_chance(qi_stop_per_year * math.exp(x)):
                using_qi[i] = False
                continue
            support = follow_up_support
        elif status[i] >= COMPLETED:
            continue
        elif mode == COLLABORATIVE:
            if phase == PREWORK:
                formed[i] = True
                cohesion[i] += 0.02 * prework_quality * (1.0 - cohesion[i])
                data_capability[i] += 0.005 * prework_quality * (1.0 - data_capability[i])
            elif phase == ACTION_PERIOD:
                status[i] = ACTIVE
                formed[i] = True
                planned[i] = True
                data_capability[i] += 0.02 * data_support * (1.0 - data_capability[i])
                support = collaborative_support
        elif mode == TRADITIONAL:
            if w <= organising_weeks[i]:
                formed[i] = w >= organising_weeks[i] // 2
            elif w <= start_testing_week[i]:
                # a traditional team studies the problem and its causes, and finds its own ideas
                formed[i] = True
                planned[i] = True
                knowledge[i] += 0.01 * (1.0 - knowledge[i])
            else:
                status[i] = ACTIVE
                formed[i] = True
                planned[i] = True
                support = TRADITIONAL_SUPPORT
        # PDSA tests expected this week: time, motivation, cohesion, leadership, clarity, support;
        # each factor is 1 for an average team, so ``tests_per_month`` is the rate of such a team
        rate = (test_rate[i] * (0.5 + motivation[i]) * (0.5 + cohesion[i]) * (0.5 + leader_commitment[i])
                * support)
        if rate > 0.0:
            tests[i] = poisson(rate, draws[3 * n + i])
            total += tests[i]
    return total


@njit(cache=True)
def poisson(mean, u):  # pragma: no cover - compiled
    """A Poisson count with the given mean from one uniform draw ``u``, by inversion of its
    cumulative distribution. Exact while ``exp(-mean)`` is a normal float (means below about 700);
    a team's week is a fraction of a test by default and at most about 110 within the schema's
    bounds (``tests_per_month`` <= 30 times the largest factors)."""
    k = 0
    p = math.exp(-mean)
    cumulative = p
    while u > cumulative and p > 0.0:
        k += 1
        p *= mean / k
        cumulative += p
    return k


@njit(cache=True)
def _work(w, follow_up, can_drop_out, in_period, tests, draws, idea_noise, status, formed, motivation,
          motivation_anchor, capability, knowledge, data_capability, learning_ability, tests_run, successes_in_period,
          first_result_week, last_leader_change_week, dropped_week, using_qi, dropout_context, engagement, culture,
          effect, quality, tries, source, at_hand, found, found_count, adopted, in_use, institutionalisation, count,
          learning_per_test, own_quality, own_effect, dropout_hazard_per_year, leader_change_dropout_multiplier,
          sustain_planning, institutionalisation_per_year, decay_per_year, week_cost, week_cost_follow_up,
          tally):  # pragma: no cover - compiled
    """Each team's week from its tests on: its PDSA cycles (:func:`sim.pdsa.cycles`); then
    motivation drifts and teams drop out (during the collaborative), and every team's changes are
    institutionalised or erode; ``tally`` counts what the week costs (see ``TALLY``). ``draws``: one
    per test, then one per team. Returns the number of idea ids in use.

    Motivation drifts back to the team's own level, which fades without senior support. A team
    leaves before the end with low motivation, little senior support, little time, unclear aims,
    and above all after a recent change of team leader (paper: 'a strong predictor').

    Paper, challenge 9: many teams did not plan for sustaining; changes must be built into
    procedures and systems to survive people leaving. Repenning & Sterman 2001: gains that rest on
    effort fade once the effort stops. During the collaborative a working team keeps its changes
    going; teams 'working hard to achieve their immediate targets' give only half the effort to
    institutionalising them. A team that stopped using QI gives it less; one that dropped out none.
    """
    n = status.shape[0]
    total_tests = tests.sum()
    first_test = 0
    for i in range(n):
        if tests[i]:
            count = cycles(i, tests[i], draws[first_test:], idea_noise[first_test:], w, in_period, capability,
                           knowledge, data_capability, learning_ability, motivation, tests_run, successes_in_period,
                           first_result_week, culture, engagement, effect, quality, tries, source, at_hand, found,
                           found_count, adopted, in_use, institutionalisation, count, learning_per_test, own_quality,
                           own_effect)
            first_test += tests[i]
        working = not follow_up and status[i] < COMPLETED
        if working:
            anchor = min(1.0, motivation_anchor[i] * (0.6 + 0.8 * engagement[i]))
            motivation[i] += 0.02 * (anchor - motivation[i])
            x = 3.0 * (0.5 - motivation[i]) + 1.5 * (0.5 - engagement[i]) + dropout_context[i]
            hazard = dropout_hazard_per_year * math.exp(x)
            if w - last_leader_change_week[i] < LEADER_SHOCK_WINDOW_WEEKS:
                hazard *= leader_change_dropout_multiplier
            if can_drop_out and draws[total_tests + i] < weekly_chance(hazard):
                status[i] = DROPPED
                dropped_week[i] = w
                working = False
        effort = (0.15 * culture[i] + sustain_planning) * (0.5 + engagement[i])
        if working:
            effort *= 0.5
            maintenance = 1.0
        elif using_qi[i]:
            maintenance = 0.8 * (0.5 + 0.5 * engagement[i])
        else:
            effort *= 0.0 if status[i] == DROPPED else 0.3
            maintenance = 0.0
        grow = institutionalisation_per_year / WEEKS_PER_YEAR * effort
        erode = decay_per_year / WEEKS_PER_YEAR * (1.0 - maintenance)
        keeps_changes = False
        for j in range(count):
            if adopted[i, j]:
                institutionalisation[i, j] += grow * (1.0 - institutionalisation[i, j])
                if erode > 0.0:
                    in_use[i, j] -= erode * (1.0 - institutionalisation[i, j]) * in_use[i, j]
                keeps_changes = keeps_changes or in_use[i, j] > 0.0
        # what the week costs
        active = status[i] < COMPLETED
        if active:
            tally[0] += 1
        if working:
            tally[1] += week_cost[i]
        elif using_qi[i]:
            tally[1] += week_cost_follow_up[i]
        if (active and formed[i]) or using_qi[i]:
            tally[2] += 1
        if follow_up and status[i] == COMPLETED and keeps_changes:
            tally[3] += 1
    return count
