"""The parts under the model's compiled loops: the Poisson draw, agents' array-backed values, the
idea matrices, and how sweeps batch runs for workers."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from experiments.runner import MAX_RUNS_PER_TASK, TASKS_PER_WORKER, runs_per_task
from sim.ideas import PACKAGE, Ideas
from sim.pdsa import cycles
from sim.weekly import poisson


@pytest.mark.parametrize("mean", [0.05, 0.3, 2.0, 40.0, 110.0])
def test_poisson_by_inversion_has_the_poisson_mean_and_variance(mean):
    u = np.random.default_rng(7).random(40_000)
    counts = np.array([poisson(mean, x) for x in u])
    se = np.sqrt(mean / len(counts))
    assert abs(counts.mean() - mean) < 4 * se
    assert counts.var() == pytest.approx(mean, rel=0.05)
    assert counts.min() >= 0


def test_poisson_is_monotone_in_its_uniform_draw():
    """Inversion: a larger uniform never gives a smaller count (what common random numbers rely on)."""
    u = np.sort(np.random.default_rng(3).random(2_000))
    counts = [poisson(1.7, x) for x in u]
    assert counts == sorted(counts)
    assert poisson(1.7, 0.0) == 0


def test_an_agents_values_are_its_row_of_the_arrays():
    model = sim.CollaborativeModel(teams=5, follow_up_months=1.0, rng=2)
    team = model.teams[3]
    team.motivation = 0.25
    assert model.team_states.motivation[3] == 0.25
    assert isinstance(team.motivation, float) and team.motivation == 0.25
    model.team_states.cohesion[3] = 0.5
    assert team.cohesion == 0.5
    assert team.organisation.senior_engagement == model.organisation_states.senior_engagement[3]
    assert team.team_id == 4 and team.organisation.organisation_id == 4


def test_ideas_keep_every_value_when_they_make_room():
    ideas = Ideas(teams=3, package_effects=[0.1, 0.2])
    ideas.quality[1, 1] = 0.7
    ideas.at_hand[1, 1] = True
    ideas.source[1, 1] = PACKAGE
    ideas.adopted[2, 0] = True
    ideas.institutionalisation[2, 0] = 0.4
    ideas.in_use[2, 0] = 0.5
    capacity = ideas.effect.shape[0]
    ideas.reserve(capacity + 10)
    assert ideas.effect.shape[0] >= ideas.count + capacity + 10
    assert ideas.quality[1, 1] == 0.7 and ideas.at_hand[1, 1] and ideas.adopted[2, 0]
    assert ideas.institutionalisation[2, 0] == 0.4 and not ideas.adopted[:, capacity:].any()
    assert list(ideas.effect[:2]) == [0.1, 0.2] and not ideas.at_hand[:, capacity:].any()
    assert ideas.remaining_gap()[2] == pytest.approx(1 - 0.1 * 0.5)


def test_a_team_tests_the_idea_it_has_had_longest_among_equals():
    """Ties in quality (peer ideas all start at the same hope) go to the idea found first, not to the
    lower idea number."""
    model = sim.CollaborativeModel(teams=2, follow_up_months=0.0, rng=1)
    ideas = model.ideas
    ideas.at_hand[0, :] = False
    ideas.reserve(2)
    a, b = ideas.count, ideas.count + 1
    ideas.count += 2
    for j, found in ((a, 5), (b, 2)):
        ideas.at_hand[0, j], ideas.quality[0, j], ideas.found[0, j] = True, 0.6, found
    t, o = model.team_states, model.organisation_states
    cycles(0, 1, np.array([1.0]), np.zeros(1), 1, True, t.capability, t.knowledge, t.data_capability,
           t.learning_ability, t.motivation, t.tests_run, t.successes_in_period, t.first_result_week,
           o.qi_culture[:2], o.senior_engagement[:2], ideas.effect, ideas.quality, ideas.tries, ideas.source,
           ideas.at_hand, ideas.found, ideas.found_count, ideas.adopted, ideas.in_use, ideas.institutionalisation,
           ideas.count, 0.01, 0.3, 0.1)  # draw 1.0: the test fails
    assert (ideas.tries[0, a], ideas.tries[0, b]) == (0, 1), "the idea found earlier (found = 2) is tested"


@pytest.mark.parametrize(("runs", "workers", "expected"), [
    (1000, 1, 1),  # in this process: one run at a time
    (3, 2, 1),
    (40, 2, 40 // (TASKS_PER_WORKER * 2)),
    (10_000, 2, MAX_RUNS_PER_TASK),
])
def test_runs_per_task_shares_task_costs_but_keeps_workers_busy_together(runs, workers, expected):
    assert runs_per_task(runs, workers) == expected
    per = runs_per_task(runs, workers)
    if workers > 1 and per > 1:
        assert runs / per >= TASKS_PER_WORKER * workers
