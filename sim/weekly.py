"""What happens to every team and organisation in one week.

A week runs (:func:`week`): senior engagement fades and leaders leave; teams still in the
collaborative prepare or work (after the end, teams keep using QI or stop); they run their PDSA
cycles (:mod:`sim.pdsa`); then motivation drifts, some teams drop out, and adopted changes are
institutionalised or erode; the week's running costs are booked. Each mechanism is a loop over the
teams compiled with numba, all of them one pass a week -- a team's week costs less than a Mesa
agent's simplest step -- and its docstring names the paper's challenge (Øvretveit et al. 2002) it
implements. Random numbers come from the run's numpy generator, drawn in bulk and read in order
(:mod:`sim.draws`), so a run is reproducible seed for seed in any process or thread.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim import calendar as cal
from sim.agents import LEADER_SHOCK_WINDOW_WEEKS, TRADITIONAL_SUPPORT, WEEKS_PER_YEAR, weekly_chance
from sim.costs import book_week, team_week_cost, weekly_cost_rates
from sim.draws import take_normals, take_uniforms
from sim.ideas import idea_arrays
from sim.network import PEER_SUPPORT_EFFECT
from sim.pdsa import cycles
from sim.states import ACTIVE, COMPLETED, DROPPED, organisation_arrays, team_arrays

if TYPE_CHECKING:
    from sim.model import CollaborativeModel

MODES = ("collaborative", "traditional", "none")
COLLABORATIVE, TRADITIONAL, NO_INTERVENTION = range(len(MODES))
PREWORK = cal.PHASES.index(cal.PREWORK)
ACTION_PERIOD = cal.PHASES.index(cal.ACTION_PERIOD)


RATES_BY_TEAM = ("test_rate", "dropout_context", "engagement_kept", "engagement_kept_follow_up", "week_cost",
                 "week_cost_follow_up")
RATES = ("senior_leaves", "leader_leaves", "leader_change_shock", "prework_quality", "data_support",
         "collaborative_support", "qi_stop_per_year", "follow_up_support", "learning_per_test", "own_quality",
         "own_effect", "dropout_hazard_per_year", "leader_change_dropout_multiplier", "sustain_planning",
         "institutionalisation_per_year", "decay_per_year")
Rates = namedtuple("Rates", (*RATES_BY_TEAM, *RATES, "costs"))
"""The week's rates by name, inside the compiled pass (:func:`rates_by_name`)."""


@dataclass(frozen=True)
class WeeklyRates:
    """What stays the same every week of a run, worked out once from the scenario and the teams:
    ``by_team`` (rows as ``RATES_BY_TEAM``), ``rates`` (as ``RATES``) and ``costs`` (as
    :data:`sim.costs.WEEKLY_RATES`).

    By team: PDSA tests a week at middling motivation, cohesion and leader commitment (the
    scenario's rate, the team's protected time and the topic's importance, and how clear its aims
    are); the part of its drop-out log-hazard that does not change (little time, unclear aims); the
    share of senior engagement left after a week of fading, during the collaborative and after it;
    and what a week of its project time costs, in full and at the follow-up's share.
    """

    by_team: np.ndarray
    rates: np.ndarray
    costs: np.ndarray

    @classmethod
    def for_model(cls, model: CollaborativeModel) -> WeeklyRates:
        s = model.params
        t = model.team_states
        n = t.size
        o = model.organisation_states
        staff_time, importance = o.staff_time_hours[:n], o.strategic_importance[:n]
        time = np.minimum(2.0, staff_time / 3.0) * (0.5 + importance)
        by_team = {
            "test_rate": s.tests_per_month / cal.WEEKS_PER_MONTH * time * (0.75 + 0.5 * t.clarity),
            "dropout_context": 1.0 * (0.5 - np.minimum(1.0, staff_time / 6.0)) + 1.0 * (0.5 - t.clarity),
            "engagement_kept": 1 - o.engagement_decay[:n] / cal.WEEKS_PER_YEAR,
            "engagement_kept_follow_up": 1 - o.engagement_decay_follow_up[:n] / cal.WEEKS_PER_YEAR,
            "week_cost": team_week_cost(s, staff_time),
            "week_cost_follow_up": team_week_cost(s, staff_time, s.follow_up_test_share),
        }
        rates = {
            "senior_leaves": weekly_chance(s.senior_leader_turnover_per_year),
            "leader_leaves": weekly_chance(s.leader_turnover_per_year),
            "leader_change_shock": s.leader_change_shock,
            "prework_quality": s.prework_quality,
            "data_support": s.data_support,
            "collaborative_support": 0.75 + 0.5 * s.organiser_capacity,
            "qi_stop_per_year": s.qi_stop_per_year,
            "follow_up_support": TRADITIONAL_SUPPORT * s.follow_up_test_share,
            "learning_per_test": s.capability_per_test * (0.5 + s.change_support),
            "own_quality": s.own_idea_quality * (0.6 + 0.4 * s.evidence_strength),
            "own_effect": s.change_effect_mean * 0.7 * (0.4 + 0.6 * s.subject_specificity),
            "dropout_hazard_per_year": s.dropout_hazard_per_year,
            "leader_change_dropout_multiplier": s.leader_change_dropout_multiplier,
            "sustain_planning": s.sustain_planning,
            "institutionalisation_per_year": s.institutionalisation_per_year,
            "decay_per_year": s.decay_per_year,
        }
        return cls(np.array([by_team[name] for name in RATES_BY_TEAM]), np.array([rates[name] for name in RATES]),
                   weekly_cost_rates(s))


@njit(cache=True)
def rates_by_name(by_team, rates, costs):  # pragma: no cover - compiled
    """The week's rates by name (:data:`Rates`) from :class:`WeeklyRates`' arrays, in the compiled
    pass; in the order of ``RATES_BY_TEAM`` and ``RATES`` (tested)."""
    return Rates(by_team[0], by_team[1], by_team[2], by_team[3], by_team[4], by_team[5], rates[0], rates[1], rates[2],
                 rates[3], rates[4], rates[5], rates[6], rates[7], rates[8], rates[9], rates[10], rates[11],
                 rates[12], rates[13], rates[14], rates[15], costs)


def week(model: CollaborativeModel) -> None:
    """Everything that happens to the teams and their organisations in week ``model.week``, and its
    running costs: one compiled pass over the teams (:func:`_week`), which stops only where Python
    must act -- the draws, the leaders' successors or the ideas need topping up or more room -- and
    then resumes where it stopped."""
    ideas, draws, candidates, weekly = model.ideas, model.draws, model.leader_candidates, model.week_pass
    w = model.week
    stage = LEADERSHIP
    while True:
        stage, ideas.count = _week(stage, *draws.arrays, *candidates.arrays, w, w > weekly.end_week, weekly.mode,
                                   weekly.phases[w], weekly.discounts[w], ideas.arrays, ideas.count, *weekly.arguments)
        if stage == DONE:
            return
        # the pass stopped for Python: it needs more draws, successors or room for new ideas
        tests = int(weekly.pending.tests.sum()) if stage == TESTS else 0
        ideas.reserve(tests)
        draws.ensure(weekly.draws_before_tests + tests, tests)
        candidates.ensure(model.team_states.size)


class WeekPass:
    """The weekly pass of one run: its rates (:class:`WeeklyRates`), what it keeps between stages
    (:class:`Pending`), and what it is handed every week, gathered once (handing arrays to compiled
    code costs time; gathering them every week costs more)."""

    def __init__(self, model: CollaborativeModel) -> None:
        n = model.team_states.size
        self.rates = rates = WeeklyRates.for_model(model)
        self.pending = pending = Pending.for_teams(n)
        self.mode = MODES.index(model.params.mode)
        self.end_week = model.calendar.end_week
        self.phases = [cal.PHASES.index(p) for p in model.calendar.phase]
        self.discounts = [model.ledger.discount(w / cal.WEEKS_PER_YEAR) for w in range(model.calendar.total_weeks + 1)]
        self.draws_before_tests = 5 * n  # two per team for leadership, three for preparation
        ledger = model.ledger
        self.arguments = (model.team_states.arrays, model.organisation_states.blocks[0], rates.by_team, rates.rates,
                          rates.costs, pending.tests, pending.dropout_draws, ledger.costs, ledger.costs_discounted)


LEADERSHIP, PREPARATION, TESTS, DONE = range(4)
"""Stages of a week's pass: it starts at ``LEADERSHIP`` and stops before any stage whose draws,
successors or (before ``TESTS``) room for the teams' own new ideas would run out; Python tops them
up and the pass resumes there."""


@dataclass(frozen=True)
class Pending:
    """What a week's pass keeps for its own resumption: each team's tests this week and its
    drop-out draw."""

    tests: np.ndarray
    dropout_draws: np.ndarray

    @classmethod
    def for_teams(cls, n: int) -> Pending:
        return cls(np.zeros(n, dtype=np.int64), np.zeros(n))


@njit(cache=True)
def _week(stage, uniforms, normals, cursor, team_skill, team_commitment, senior_skill, appointed, w, follow_up, mode,
          phase, discount, idea_blocks, count, team_blocks, organisations, by_team, rates, cost_rates, tests,
          dropout_draws, costs, costs_discounted):  # pragma: no cover - compiled
    """The week's pass from ``stage`` on; returns the stage to resume at (``DONE`` when the week is
    over) and the number of idea ids in use. Random numbers are read from the run's draws
    (:mod:`sim.draws`): two per team for leadership, three for preparation, then one uniform and
    one normal per test.
    """
    t = team_arrays(*team_blocks)
    n = t.status.shape[0]
    o = organisation_arrays(organisations, n)
    r = rates_by_name(by_team, rates, cost_rates)
    ideas = idea_arrays(*idea_blocks)
    if stage == LEADERSHIP:
        if (cursor[0] + 2 * n > uniforms.shape[0] or appointed[0] + n > team_skill.shape[0]
                or appointed[1] + n > senior_skill.shape[0]):
            return LEADERSHIP, count
        kept = r.engagement_kept_follow_up if follow_up else r.engagement_kept
        _leadership(w, take_uniforms(uniforms, cursor, 2 * n), team_skill, team_commitment, senior_skill, appointed,
                    t, o, ideas, count, kept, r)
    if stage <= PREPARATION:
        if cursor[0] + 3 * n > uniforms.shape[0]:
            return PREPARATION, count
        draws = take_uniforms(uniforms, cursor, 3 * n)  # whether a team stops using QI, its tests, drops out
        dropout_draws[:] = draws[2 * n:]
        total = _prepare(w, follow_up, mode, phase, draws, tests, t, o, r)
        if count + total > ideas.effect.shape[0] or cursor[0] + total > uniforms.shape[0] \
                or cursor[1] + total > normals.shape[0]:
            return TESTS, count
    total = tests.sum()
    book_costs = mode != NO_INTERVENTION
    tally = np.zeros(len(TALLY))
    count = _work(w, follow_up, book_costs, tests, take_uniforms(uniforms, cursor, total),
                  take_normals(normals, cursor, total),
                  dropout_draws, t, o, r, ideas, count, tally)
    if book_costs:
        book_week(costs, costs_discounted, discount, follow_up, cost_rates, tally[0], tally[1], tally[2], tally[3])
    return DONE, count


TALLY = ("active_teams", "team_time", "collecting_data", "keeping_changes")
"""What ``_work`` counts for the week's costs: teams still in, the cost of their project time,
teams collecting data, and teams that completed and keep changes in use after the end."""


@njit(cache=True)
def _leadership(w, draws, team_skill, team_commitment, senior_skill, appointed, t, o, ideas, count, engagement_kept,
                r):  # pragma: no cover - compiled
    """Senior engagement fades (less for strategic topics); senior leaders and team leaders leave, and
    the next candidates (:class:`sim.agents.LeaderCandidates`; ``appointed``: how many of each were)
    take over. ``draws``: two per team.

    Paper, challenge 4: 'It is not sufficient to sign up senior leaders at the beginning of a
    collaborative and to then fail to engage with them further.' After the end, planning to
    sustain 'involving managers in this work' slows the fade (box 1); a new senior leader starts
    cold (engagement halves). A team-leader change breaks continuity (challenges 3 and 4):
    cohesion and motivation drop, and changes that live in the leader's head go with the leader
    (half the shock's share of what is not institutionalised stops being practised). Only
    participating organisations are followed, and teams that dropped out no longer are.
    """
    n = t.status.shape[0]
    for i in range(n):
        o.senior_engagement[i] *= engagement_kept[i]
        if draws[i] < r.senior_leaves:
            o.senior_leader_skill[i] = senior_skill[appointed[1]]
            o.senior_leader_since[i] = w
            appointed[1] += 1
            o.senior_engagement[i] *= 0.5
        if draws[n + i] < r.leader_leaves and t.status[i] != DROPPED:
            t.leader_skill[i] = team_skill[appointed[0]]
            t.leader_commitment[i] = team_commitment[appointed[0]]
            appointed[0] += 1
            t.leader_changes[i] += 1
            t.last_leader_change_week[i] = w
            t.cohesion[i] *= 1.0 - r.leader_change_shock
            t.motivation[i] *= 1.0 - r.leader_change_shock
            loss = 0.5 * r.leader_change_shock
            for j in range(count):
                ideas.in_use[i, j] *= 1.0 - loss * (1.0 - ideas.institutionalisation[i, j])


@njit(cache=True)
def _prepare(w, follow_up, mode, phase, draws, tests, t, o, r):  # pragma: no cover - compiled
    """Preparation and work, and how many tests each team runs this week (``tests``; returns their
    total). ``draws``: one per team whether it stops using QI, then one for its tests.

    During the collaborative: pre-work builds the team and its data (challenge 4); in an action
    period a team tests with the facilitators' support, and data support builds its data skills
    (challenge 8); a traditional team organises, studies the problem, then tests with less
    support. After the end a team keeps using QI until it stops -- practised capability,
    conviction, culture and management keep it going, lectures do not (challenge 9) -- and so do
    tied teams still using QI (a community of practice, challenges 9 and 10); while it uses QI it
    goes on testing at a share of its collaborative pace.
    """
    n = t.status.shape[0]
    total = 0
    for i in range(n):
        tests[i] = 0
        support = 0.0
        if follow_up:
            if not t.using_qi[i]:
                continue
            x = (-4.0 * (t.capability[i] - 0.4) - 1.5 * (o.senior_engagement[i] - 0.5) - 1.5 * (o.qi_culture[i] - 0.5)
                 - 1.0 * (t.motivation[i] - 0.5) - PEER_SUPPORT_EFFECT * t.peer_support[i])
            if draws[i] < weekly_chance(r.qi_stop_per_year * math.exp(x)):
                t.using_qi[i] = False
                continue
            support = r.follow_up_support
        elif t.status[i] >= COMPLETED:
            continue
        elif mode == COLLABORATIVE:
            if phase == PREWORK:
                t.formed[i] = True
                t.cohesion[i] += 0.02 * r.prework_quality * (1.0 - t.cohesion[i])
                t.data_capability[i] += 0.005 * r.prework_quality * (1.0 - t.data_capability[i])
            elif phase == ACTION_PERIOD:
                t.status[i] = ACTIVE
                t.formed[i] = True
                t.planned[i] = True
                t.data_capability[i] += 0.02 * r.data_support * (1.0 - t.data_capability[i])
                support = r.collaborative_support
        elif mode == TRADITIONAL:
            if w <= t.organising_weeks[i]:
                t.formed[i] = w >= t.organising_weeks[i] // 2
            elif w <= t.start_testing_week[i]:
                # a traditional team studies the problem and its causes, and finds its own ideas
                t.formed[i] = True
                t.planned[i] = True
                t.knowledge[i] += 0.01 * (1.0 - t.knowledge[i])
            else:
                t.status[i] = ACTIVE
                t.formed[i] = True
                t.planned[i] = True
                support = TRADITIONAL_SUPPORT
        # PDSA tests expected this week: time, motivation, cohesion, leadership, clarity, support;
        # each factor is 1 for an average team, so ``tests_per_month`` is the rate of such a team
        rate = (r.test_rate[i] * (0.5 + t.motivation[i]) * (0.5 + t.cohesion[i]) * (0.5 + t.leader_commitment[i])
                * support)
        if rate > 0.0:
            tests[i] = poisson(rate, draws[n + i])
            total += tests[i]
    return total


@njit(cache=True)
def poisson(mean, u):  # pragma: no cover - compiled
    """A Poisson count with the given mean from one uniform draw ``u``, by inversion of its
    cumulative distribution (one draw per team, so that a week's draws line up between runs).
    Exact while ``exp(-mean)`` is a normal float (means below about 700); a team's week is a
    fraction of a test by default and at most about 110 within the schema's bounds
    (``tests_per_month`` <= 30 times the largest factors)."""
    k = 0
    p = math.exp(-mean)
    cumulative = p
    while u > cumulative and p > 0.0:
        k += 1
        p *= mean / k
        cumulative += p
    return k


@njit(cache=True)
def _work(w, follow_up, can_drop_out, tests, draws, idea_noise, dropout_draws, t, o, r, ideas, count,
          tally):  # pragma: no cover - compiled
    """Each team's week from its tests on: its PDSA cycles (:func:`sim.pdsa.cycles`); then
    motivation drifts and teams drop out (during the collaborative), and every team's changes are
    institutionalised or erode; ``tally`` counts what the week costs (see ``TALLY``). ``draws`` and
    ``idea_noise``: one per test; ``dropout_draws``: one per team. Returns the number of idea ids in use.

    Motivation drifts back to the team's own level, which fades without senior support. A team
    leaves before the end with low motivation, little senior support, little time, unclear aims,
    and above all after a recent change of team leader (paper: 'a strong predictor').

    Paper, challenge 9: many teams did not plan for sustaining; changes must be built into
    procedures and systems to survive people leaving. Repenning & Sterman 2001: gains that rest on
    effort fade once the effort stops. During the collaborative a working team keeps its changes
    going; teams 'working hard to achieve their immediate targets' give only half the effort to
    institutionalising them. A team that stopped using QI gives it less; one that dropped out none.
    """
    n = t.status.shape[0]
    in_period = not follow_up
    first_test = 0
    for i in range(n):
        if tests[i]:
            count = cycles(i, tests[i], draws[first_test:], idea_noise[first_test:], w, in_period, t, o, ideas, count,
                           r.learning_per_test, r.own_quality, r.own_effect)
            first_test += tests[i]
        engagement = o.senior_engagement[i]
        working = not follow_up and t.status[i] < COMPLETED
        if working:
            anchor = min(1.0, t.motivation_anchor[i] * (0.6 + 0.8 * engagement))
            t.motivation[i] += 0.02 * (anchor - t.motivation[i])
            x = 3.0 * (0.5 - t.motivation[i]) + 1.5 * (0.5 - engagement) + r.dropout_context[i]
            hazard = r.dropout_hazard_per_year * math.exp(x)
            if w - t.last_leader_change_week[i] < LEADER_SHOCK_WINDOW_WEEKS:
                hazard *= r.leader_change_dropout_multiplier
            if can_drop_out and dropout_draws[i] < weekly_chance(hazard):
                t.status[i] = DROPPED
                t.dropped_week[i] = w
                working = False
        effort = (0.15 * o.qi_culture[i] + r.sustain_planning) * (0.5 + engagement)
        if working:
            effort *= 0.5
            maintenance = 1.0
        elif t.using_qi[i]:
            maintenance = 0.8 * (0.5 + 0.5 * engagement)
        else:
            effort *= 0.0 if t.status[i] == DROPPED else 0.3
            maintenance = 0.0
        grow = r.institutionalisation_per_year / WEEKS_PER_YEAR * effort
        erode = r.decay_per_year / WEEKS_PER_YEAR * (1.0 - maintenance)
        keeps_changes = False
        for j in range(count):
            if ideas.adopted[i, j]:
                ideas.institutionalisation[i, j] += grow * (1.0 - ideas.institutionalisation[i, j])
                if erode > 0.0:
                    ideas.in_use[i, j] -= erode * (1.0 - ideas.institutionalisation[i, j]) * ideas.in_use[i, j]
                keeps_changes = keeps_changes or ideas.in_use[i, j] > 0.0
        # what the week costs
        active = t.status[i] < COMPLETED
        if active:
            tally[0] += 1
        if working:
            tally[1] += r.week_cost[i]
        elif t.using_qi[i]:
            tally[1] += r.week_cost_follow_up[i]
        if (active and t.formed[i]) or t.using_qi[i]:
            tally[2] += 1
        if follow_up and t.status[i] == COMPLETED and keeps_changes:
            tally[3] += 1
    return count
