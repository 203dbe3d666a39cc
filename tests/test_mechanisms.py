"""The parts under the model's compiled loops: the Poisson draw, agents' array-backed values, the
blocks and their names inside compiled code, the draws and leader candidates, the compiled-code
cache, the idea matrices, and how sweeps batch runs for workers."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from experiments.runner import MAX_RUNS_PER_TASK, TASKS_PER_WORKER, batches, runs_per_task
from sim import _cache
from sim.draws import Draws, take_uniforms
from sim.ideas import IDEA_FLAGS, IDEA_FLOATS, IDEA_INTS, PACKAGE, IdeaArrays, Ideas, idea_arrays
from sim.pdsa import cycles
from sim.states import (
    ORGANISATION_FIELDS,
    TEAM_FLAGS,
    TEAM_FLOATS,
    TEAM_INTS,
    Organisations,
    Teams,
    organisation_arrays,
    team_arrays,
)
from sim.weekly import RATES, RATES_BY_TEAM, Rates, poisson, rates_by_name


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
    t = team_arrays(*model.team_states.arrays)
    o = organisation_arrays(model.organisation_states.blocks[0], 2)
    cycles(0, 1, np.array([1.0]), np.zeros(1), 1, True, t, o, idea_arrays(*ideas.arrays), ideas.count,
           0.01, 0.3, 0.1)  # draw 1.0: the test fails
    assert (ideas.tries[0, a], ideas.tries[0, b]) == (0, 1), "the idea found earlier (found = 2) is tested"


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    return a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and a.shape == b.shape


def test_compiled_code_names_every_row_of_the_blocks_as_python_does():
    """The compiled passes name the rows of the blocks by position (team_arrays and its kin); each
    name must be the very array Python knows by that name."""
    model = sim.CollaborativeModel(teams=4, follow_up_months=1.0, rng=5)
    t = team_arrays(*model.team_states.arrays)
    assert Teams._fields[: len(TEAM_FLOATS) + len(TEAM_INTS) + len(TEAM_FLAGS)] == TEAM_FLOATS + TEAM_INTS + TEAM_FLAGS
    for name in Teams._fields:
        assert _same_memory(getattr(t, name), getattr(model.team_states, name)), name
    o = organisation_arrays(model.organisation_states.blocks[0], 4)
    assert Organisations._fields == ORGANISATION_FIELDS
    for name in ORGANISATION_FIELDS:
        assert _same_memory(getattr(o, name), getattr(model.organisation_states, name)[:4]), name
    ideas = model.ideas
    ideas.reserve(ideas.effect.shape[0] + 1)  # the blocks are remade: the names follow
    named = idea_arrays(*ideas.arrays)
    for name in IdeaArrays._fields:
        assert _same_memory(getattr(named, name), getattr(ideas, name)), name
    assert set(IdeaArrays._fields) == {"effect", "found_count", *IDEA_FLOATS, *IDEA_INTS, *IDEA_FLAGS}
    rates = model.week_pass.rates
    r = rates_by_name(rates.by_team, rates.rates, rates.costs)
    for k, name in enumerate(RATES_BY_TEAM):
        assert _same_memory(getattr(r, name), rates.by_team[k]), name
    for k, name in enumerate(RATES):
        assert getattr(r, name) == rates.rates[k], name
    assert Rates._fields == (*RATES_BY_TEAM, *RATES, "costs")


def test_a_row_of_a_block_cannot_be_replaced_only_written_into():
    states = sim.CollaborativeModel(teams=3, follow_up_months=1.0, rng=1).team_states
    row = states.motivation
    states.motivation += 0.01  # in place: the same array
    states.motivation[:] = 0.5
    assert states.motivation is row and states.blocks[0][TEAM_FLOATS.index("motivation")][0] == 0.5
    with pytest.raises(AttributeError, match="motivation is a row of a block"):
        states.motivation = np.zeros(3)


def test_draws_are_read_once_each_in_order_across_top_ups():
    draws = Draws(np.random.default_rng(4), uniforms=10, normals=0)
    first = take_uniforms(draws.uniforms, draws.cursor, 7).copy()
    unread = draws.uniforms[7:].copy()
    draws.ensure(8)
    after = take_uniforms(draws.uniforms, draws.cursor, 8)
    assert list(after[:3]) == list(unread), "the unread draws come first after a top-up"
    assert len(set(first) | set(after)) == 15 and draws.uniforms.shape[0] >= 11
    draws.ensure(2)  # enough left: nothing moves
    assert draws.cursor[0] == 8


def test_leaders_who_leave_are_succeeded_by_the_next_candidates_in_the_same_agents():
    model = sim.CollaborativeModel(teams=10, leader_turnover_per_year=2.0, senior_leader_turnover_per_year=1.0,
                                   follow_up_months=3.0, rng=8)
    agents = len(model.agents)
    candidates = model.leader_candidates
    commitments = list(candidates.team_commitment)
    model.run_model()
    t, o = model.team_states, model.organisation_states
    changed = t.leader_changes > 0
    assert changed.sum() >= 3 and o.senior_leader_since[:10].max() > 0
    assert len(model.agents) == agents, "a successor holds the same post: no Mesa agent made or removed"
    for i in np.nonzero(changed)[0]:
        leader = model.teams[i].leader
        assert leader.start_week == t.last_leader_change_week[i] and leader.commitment in commitments
    assert candidates.cursor[0] >= 1 or len(candidates.team_commitment) != len(commitments)


def test_the_compiled_code_cache_is_keyed_to_every_source_file(tmp_path, monkeypatch):
    """numba checks a cached loop only against its own file; the key covers them all."""
    for path in _cache.HERE.glob("*.py"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(_cache, "HERE", tmp_path)
    before = _cache.source_key()
    assert _cache.source_key() == before
    states = tmp_path / "states.py"
    states.write_text(states.read_text() + "\n# a change in one module\n")
    assert _cache.source_key() != before


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


def test_the_first_run_of_a_version_says_it_compiles(tmp_path, monkeypatch, capsys):
    """Compiling the loops takes about half a minute: a command that runs the model says so first."""
    from qicsim.cli import main

    monkeypatch.setattr(_cache, "compiled", lambda: False)
    assert main(["show", "breakthrough"]) == 0
    assert "compiling" not in capsys.readouterr().err, "show runs no model"
    assert main(["run", "breakthrough", "--set", "teams=3", "--out", str(tmp_path / "o")]) == 0
    assert "compiling the model's loops" in capsys.readouterr().err
    monkeypatch.setattr(_cache, "compiled", lambda: True)
    assert main(["run", "breakthrough", "--set", "teams=3", "--out", str(tmp_path / "p")]) == 0
    assert "compiling" not in capsys.readouterr().err


def test_compiled_means_numba_has_cached_this_version(tmp_path, monkeypatch):
    import numba

    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "key"))
    (tmp_path / "key" / "sim_x").mkdir(parents=True)  # numba makes the folders on import
    assert not _cache.compiled()
    (tmp_path / "key" / "sim_x" / "weekly._week-10.py312.nbi").write_bytes(b"")
    assert _cache.compiled()


@pytest.mark.parametrize(("total", "workers"), [(200, 2), (1000, 4), (7, 2), (1, 1)])
def test_tasks_shrink_towards_the_end_of_a_sweep_and_carry_every_run_once(total, workers):
    size = runs_per_task(total, workers) if workers > 1 else 3
    tasks = list(batches(iter(range(total)), size, total, workers))
    assert [run for task in tasks for run in task] == list(range(total))
    sizes = [len(task) for task in tasks]
    assert sizes[0] == min(size, total) and sizes == sorted(sizes, reverse=True)
    assert sizes[-1] == 1, "the last task is a single run"
