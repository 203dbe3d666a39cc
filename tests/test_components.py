"""Collaborative components (coaching, site visits, group calls, benchmark reports, an online forum, the
sessions' format): each off changes nothing; each on moves its own mechanism, and the teams' outcomes,
the way its module says, over paired seeds (common random numbers); each books its cost."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from qicsim import sim
from qicsim.sim.calendar import LEARNING_SESSION
from qicsim.sim.modules import MODULES, Benchmarking, Coaching, GroupCalls, OnlineForum

SEEDS = 16
COMPONENT_MODULES = (Benchmarking, Coaching, GroupCalls, OnlineForum)
ON = {
    "coaching": dict(coaching_calls_per_month=2.0),
    "site_visits": dict(site_visits=2),
    "group_calls": dict(group_calls_per_month=2.0),
    "benchmarking": dict(benchmark_reports="monthly"),
    "forum": dict(online_forum=True),
}
"""Each component switched on (a strong dose, so that a test of 16 seeds sees its direction)."""
NO_TIES = dict(tie_formation=0.0, prior_tie_strength=0.0)
"""A collaborative in which no team is tied to another: no ties form at sessions, none existed before."""
COST_CATEGORY = {"coaching": "coaching", "site_visits": "site_visits", "group_calls": "group_calls",
                 "benchmarking": "benchmarking", "forum": "forum"}
UNIT_COST = {"coaching": "adviser_cost_per_hour", "site_visits": "site_visit_travel",
             "group_calls": "faculty_cost_per_day", "benchmarking": "analyst_cost_per_hour",
             "forum": "forum_cost_per_month"}


TEAMS = 16
"""Teams in the mechanism tests' collaboratives (the outcome tests use the scenario's 30)."""


def finished(seed: int, modules=None, **params) -> sim.CollaborativeModel:
    """A breakthrough collaborative of TEAMS teams run to its end (no follow-up: the components act while it
    runs); the same run is made once and shared by the tests that read it (none changes it)."""
    params = {"teams": TEAMS, **params}
    if modules is not None:
        return _run(seed, modules, params)
    return _shared(seed, tuple(sorted(params.items())))


@functools.lru_cache(maxsize=48)  # the 16 seeds of a test and of the tests before it
def _shared(seed: int, params: tuple) -> sim.CollaborativeModel:
    return _run(seed, None, dict(params))


def _run(seed: int, modules, params: dict) -> sim.CollaborativeModel:
    model = sim.CollaborativeModel(sim.load_scenario("breakthrough"), modules=modules, rng=seed,
                                   follow_up_months=0.0, **params)
    model.run_model()
    return model


def participating(model: sim.CollaborativeModel, name: str) -> np.ndarray:
    return getattr(model.organisation_states, name)[: model.team_states.size]


def paired(measure, on: dict, off: dict | None = None, seeds: int = SEEDS) -> tuple[float, float]:
    """Mean and standard error over ``seeds`` of ``measure(model on) - measure(model off)``, seed by seed."""
    off = off or {}
    diffs = [measure(finished(seed, **on)) - measure(finished(seed, **off)) for seed in range(seeds)]
    return float(np.mean(diffs)), float(np.std(diffs, ddof=1) / np.sqrt(seeds))


def summary(key: str):
    return lambda model: sim.results(model, model.seed).summary[key]


def test_every_component_is_off_by_default_and_then_the_run_is_the_model_without_them():
    """Their own random streams and nothing done when off: a breakthrough run is the same, exactly, with
    the component modules in the loop or not."""
    without = tuple(m for m in MODULES if m not in COMPONENT_MODULES)
    for seed in range(2):
        plain = sim.results(finished(seed, modules=without), seed)
        full = sim.results(finished(seed), seed)
        assert plain.summary == {k: v for k, v in full.summary.items() if k in plain.summary}
        assert plain.teams.equals(full.teams)
        assert all(full.summary[f"cost_{c}"] == 0.0 for c in COST_CATEGORY.values())


@pytest.mark.parametrize("component", list(ON))
def test_each_component_books_its_cost_in_its_own_category(component):
    """On, a component costs something in its category; its unit cost doubles the category and changes no
    outcome (costs never feed back into behaviour)."""
    on = ON[component]
    base = sim.load_scenario("breakthrough")
    rate = getattr(base, UNIT_COST[component])
    one = sim.results(finished(3, **on), 3).summary
    two = sim.results(finished(3, **on, **{UNIT_COST[component]: 2 * rate}), 3).summary
    category = f"cost_{COST_CATEGORY[component]}"
    assert one[category] > 0
    if component != "site_visits":  # a visit's cost is travel plus adviser time: travel alone does not double it
        assert two[category] == pytest.approx(2 * one[category])
    else:
        assert two[category] > one[category]
    assert one["significant_improvement_rate"] == two["significant_improvement_rate"]
    assert one["mean_relative_improvement"] == two["mean_relative_improvement"]
    assert one["cost_programme"] > sim.results(finished(3), 3).summary["cost_programme"]


def test_coaching_builds_capability_and_motivation():
    capability, se = paired(lambda m: m.team_states.capability.mean(), ON["coaching"])
    assert capability > 2 * se, (capability, se)
    motivation, se = paired(lambda m: m.team_states.motivation.mean(), ON["coaching"])
    assert motivation > 2 * se, (motivation, se)


def test_site_visits_renew_senior_engagement_and_build_capability():
    engagement, se = paired(lambda m: participating(m, "senior_engagement").mean(), ON["site_visits"])
    assert engagement > 2 * se, (engagement, se)
    capability, se = paired(lambda m: m.team_states.capability.mean(), ON["site_visits"])
    assert capability > 2 * se, (capability, se)


def test_group_calls_carry_changes_between_tied_teams_and_teach():
    from_peers, se = paired(summary("changes_from_peers_mean"), ON["group_calls"])
    assert from_peers > 2 * se, (from_peers, se)
    knowledge, se = paired(lambda m: m.team_states.knowledge.mean(), ON["group_calls"])
    assert knowledge > 2 * se, (knowledge, se)


def test_benchmark_reports_spur_teams_behind_and_engage_leaders():
    engagement, se = paired(lambda m: participating(m, "senior_engagement").mean(), ON["benchmarking"])
    assert engagement > 2 * se, (engagement, se)
    motivation, se = paired(lambda m: m.team_states.motivation.mean(), ON["benchmarking"])
    assert motivation > 2 * se, (motivation, se)
    quarterly, _ = paired(lambda m: participating(m, "senior_engagement").mean(), dict(benchmark_reports="quarterly"))
    assert 0 < quarterly < engagement, "fewer reports, less effect"


def test_benchmark_reports_need_data():
    """A report shows a team where it stands only if the team has measured: in a month in which no team
    measured, a report moves nobody (and still costs the analyst's time)."""
    model = sim.CollaborativeModel(sim.load_scenario("breakthrough"), rng=4, **ON["benchmarking"])
    for _ in range(model.calendar.month_end_weeks[5]):
        model.step()
    t, o = model.team_states, model.organisation_states
    assert (t.measurements >= 2).any(), "some teams could compare by now"
    t.measured_performance[:] = np.nan
    motivation, engagement, cost = t.motivation.copy(), o.senior_engagement.copy(), model.ledger.entry("benchmarking")
    model.module("benchmarking").month_end(6)
    assert np.array_equal(t.motivation, motivation) and np.array_equal(o.senior_engagement, engagement)
    assert model.ledger.entry("benchmarking") > cost


def test_an_online_forum_passes_changes_between_teams_that_are_not_tied():
    """Without any ties no change travels between teams; with a forum, changes do."""
    assert all(summary("changes_from_peers_mean")(finished(seed, **NO_TIES)) == 0.0 for seed in range(3))
    forum_alone, se = paired(summary("changes_from_peers_mean"), {**NO_TIES, **ON["forum"]}, NO_TIES)
    assert forum_alone > 2 * se, (forum_alone, se)


OUTCOME_SEEDS = 120
"""Seeds for the outcome tests: the components' effects on improvement are small (0.005 to 0.02 of the
baseline at these doses), so the paired differences need more seeds than the mechanisms'."""
@pytest.mark.slow
@pytest.mark.parametrize("component", ["coaching", "site_visits", "group_calls", "benchmarking"])
def test_each_component_improves_the_teams_measure_over_paired_seeds(component):
    """The outcome, not only the mechanism: mean relative improvement at the end is higher with the
    component, by more than two standard errors of the paired differences."""
    gain, se = paired(summary("mean_relative_improvement"), {**ON[component], "teams": 30}, {"teams": 30},
                      seeds=OUTCOME_SEEDS)
    assert gain > 2 * se, (component, gain, se)


@pytest.mark.slow
def test_a_forum_improves_the_measure_where_teams_have_no_other_channel():
    """In a collaborative whose sessions already tie the teams, the forum carries changes they mostly hear
    anyway, and its effect on improvement is within noise (README); where teams have no ties, it is the
    only way changes travel, and improvement is higher with it."""
    gain, se = paired(summary("mean_relative_improvement"), {**NO_TIES, **ON["forum"], "teams": 30},
                      {**NO_TIES, "teams": 30}, seeds=OUTCOME_SEEDS)
    assert gain > 2 * se, (gain, se)


def test_virtual_sessions_cost_no_travel_and_form_fewer_ties():
    virtual = dict(session_format="virtual")
    ties, se = paired(lambda m: m.ties.working.sum(), virtual)
    assert ties < -2 * se, (ties, se)
    capability, se = paired(lambda m: m.team_states.capability.mean(), virtual)
    assert capability < -2 * se, (capability, se)
    result = sim.results(finished(2, **virtual), 2).summary
    assert result["cost_venue_and_travel"] == 0.0 and result["cost_faculty"] > 0.0


def test_without_sessions_the_weeks_are_action_periods_and_nothing_is_taught():
    model = finished(5, session_format="none", congress_days=0.0)
    assert LEARNING_SESSION not in model.calendar.phase and not model.calendar.session_weeks
    assert model.calendar.end_week == finished(5, congress_days=0.0).calendar.end_week, "the same months of work"
    result = sim.results(model, 5).summary
    assert result["cost_faculty"] == result["cost_venue_and_travel"] == 0.0
    assert (model.team_states.attended_sessions == 0).all()
    assert result["mean_successful_changes"] > 0, "teams still test changes at home"


@pytest.mark.parametrize("congress_days", [1.0, 0.0])
@pytest.mark.parametrize("follow_up_months", [0.0, 24.0])
def test_calls_are_booked_for_every_week_of_the_collaborative_and_none_after(congress_days, follow_up_months):
    """Without drop-out every team takes part in every week from enrolment to the end, so the adviser's
    calls cost teams x calls a month x the collaborative's months x hours x rate, exactly: whether the end
    falls on a month's end (no congress) or inside a month, and whatever follows it."""
    calls, teams = 2.0, 12
    model = sim.CollaborativeModel(sim.load_scenario("breakthrough"), rng=3, teams=teams, dropout_hazard_per_year=0.0,
                                   coaching_calls_per_month=calls, congress_days=congress_days,
                                   follow_up_months=follow_up_months)
    model.run_model()
    p = model.params
    months = model.calendar.end_week / sim.calendar.WEEKS_PER_MONTH
    expected = teams * calls * months * p.adviser_hours_per_call * p.adviser_cost_per_hour
    assert model.ledger.entry("coaching") == pytest.approx(expected, rel=1e-12)
