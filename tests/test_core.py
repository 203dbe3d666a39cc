"""The model's core: declared parameters and states, populations, modules and their streams, compiled
kernels against their plain-Python reference, and the rules that keep mechanism code readable."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qicsim import sim
from qicsim.experiments.runner import MAX_RUNS_PER_TASK, TASKS_PER_WORKER, batches, runs_per_task
from qicsim.sim import _cache
from qicsim.sim.draws import Draws, poisson, standard_normal
from qicsim.sim.ideas import PACKAGE, Ideas
from qicsim.sim.module import Module, Par, team_state
from qicsim.sim.modules import MODULES
from qicsim.sim.modules.pdsa_cycles import most_promising
from qicsim.sim.parameters import declarations
from qicsim.sim.populations import TEAM_STATES, Population, record_dtype

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
MECHANISM_FILES = sorted([*(SIM / "modules").glob("*.py"), *(SIM / name for name in (
    "module.py", "draws.py", "ideas.py", "ihi.py", "populations.py", "calendar.py", "model.py", "agents.py",
    "team_table.py"))])
"""The mechanism code: the modules and the parts they are built from (not file reading, outcome
summaries, scenario loading or provenance)."""


# ---- rules for readable mechanism code --------------------------------------------------------


def unnamed_literals(path: Path) -> list[tuple[int, object]]:
    """Numeric literals other than 0 and 1 inside the functions of a file (declarations of parameters
    and states, and named module constants, sit outside functions)."""
    found = set()
    for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value not in (0, 1):
                    found.add((node.lineno, node.value))
    return sorted(found)


def test_mechanism_code_holds_at_most_ten_unnamed_numbers():
    """Every coefficient is a named parameter; what is left are definitional numbers (counted here)."""
    found = {str(path.relative_to(ROOT)): unnamed_literals(path) for path in MECHANISM_FILES}
    found = {path: hits for path, hits in found.items() if hits}
    assert sum(len(hits) for hits in found.values()) <= 10, found


def test_no_function_in_sim_takes_more_than_eight_parameters():
    wide = []
    for path in SIM.rglob("*.py"):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                a = fn.args
                n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
                n -= 1 if a.args and a.args[0].arg in ("self", "cls") else 0
                if n > 8:
                    wide.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name} ({n})")
    assert not wide, wide


def test_every_parameter_is_declared_once_with_unit_source_meaning_and_a_range():
    declared = declarations()
    assert set(declared) == set(sim.PARAMETER_NAMES)
    assert len(declared) >= 200
    for name, (p, owner) in declared.items():
        assert p.unit and p.source and p.doc and p.section, name
        numeric = isinstance(p.default, int | float) and not isinstance(p.default, bool)
        if numeric and p.kind == "behaviour":
            lo, hi = p.prior
            assert lo < hi and lo <= p.default <= hi, name
        info = sim.parameter_info(name)
        assert info["module"] == owner and info["allowed"], name


def test_every_parameter_is_read_by_the_model():
    """No dead parameter: each declared name is read as an attribute somewhere in sim/ (a module's ``p.name``,
    the calendar's ``s.name``, ...) -- or, for what only describes a scenario (its measure's name and unit,
    currency, price year), by the reports -- and the modules' own reads are found in their code."""
    def read_in(*folders: str) -> set[str]:
        return {node.attr for folder in folders for path in (ROOT / folder).rglob("*.py")
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Attribute)}

    descriptive = {"measure_name", "measure_unit", "currency", "price_year"}
    assert set(declarations()) - descriptive <= read_in("sim"), set(declarations()) - read_in("sim")
    assert descriptive <= read_in("analysis", "qicsim")
    assert sim.parameter_info("full_staff_time_hours")["read_by"] == ("enrolment", "dropout")


def test_show_verbose_lists_every_parameter_with_unit_source_and_range(capsys):
    from qicsim.cli import main

    assert main(["show", "-v"]) == 0
    text = capsys.readouterr().out
    for name in declarations():
        assert f" {name} " in text, name
    assert text.count("source:") >= len(declarations())
    assert "plausible range: 2 to 25 (log scale)" in text  # leader_change_dropout_multiplier's prior
    assert "module: dropout" in text
    assert "module: enrolment; also read by: dropout" in text  # full_staff_time_hours


def test_a_parameter_without_a_range_or_outside_it_cannot_be_declared():
    with pytest.raises(AssertionError, match="plausible range"):
        Par("x", 0.5, unit="0-1", source="assumption", doc="a coefficient")
    with pytest.raises(AssertionError, match="outside its prior"):
        Par("x", 0.5, unit="0-1", source="assumption", doc="a coefficient", prior=(0.6, 0.9))
    with pytest.raises(AssertionError, match="log-scale"):
        Par("x", 0.5, unit="per year", source="assumption", doc="a rate", prior=(0.0, 1.0), log_prior=True)
    with pytest.raises(ValueError, match="declared twice"):
        class Again(Module):
            name = "again"
            pars = (Par("dropout_hazard_per_year", 0.1, unit="per year", source="x", doc="x", prior=(0.0, 1.0)),)

        declarations((*MODULES, Again))


# ---- populations, agents and ideas ------------------------------------------------------------


def test_an_agents_values_are_its_row_of_the_population():
    model = sim.CollaborativeModel(teams=5, follow_up_months=1.0, rng=2)
    team = model.teams[3]
    team.motivation = 0.25
    assert model.team_states.motivation[3] == 0.25
    assert isinstance(team.motivation, float) and team.motivation == 0.25
    model.team_states.cohesion[3] = 0.5
    assert team.cohesion == 0.5
    assert team.tests_run == 0 and team.ihi_score == 0.5, "module states are agent attributes too"
    assert team.organisation.senior_engagement == model.organisation_states.senior_engagement[3]
    assert team.team_id == 4 and team.organisation.organisation_id == 4


def test_a_declared_state_is_written_into_never_replaced_nor_declared_twice():
    states = sim.CollaborativeModel(teams=3, follow_up_months=1.0, rng=1).team_states
    states.motivation[:] = 0.5
    assert (states.data["motivation"] == 0.5).all()
    with pytest.raises(AttributeError, match="assign into it"):
        states.motivation = np.zeros(3)
    with pytest.raises(ValueError, match="declared twice"):
        Population("teams", 3, [*TEAM_STATES, TEAM_STATES[0]])
    with pytest.raises(AttributeError, match="no state 'stamina'"):
        _ = states.stamina


def test_a_state_may_not_hide_an_agents_own_attribute():
    class Clumsy(Module):
        name = "clumsy"
        states = (team_state("model", 0.0, "a name the Team agent already uses"),)

    with pytest.raises(ValueError, match="would hide"):
        sim.CollaborativeModel(teams=3, rng=1, modules=(*MODULES, Clumsy))


def test_records_of_the_same_layout_are_one_type():
    """Compiled kernels dispatch fast only on a record type they have met; every run shares it."""
    a = sim.CollaborativeModel(teams=3, rng=1)
    b = sim.CollaborativeModel(teams=7, rng=2, didactic_share=0.9)
    assert a.team_states.dtype is b.team_states.dtype
    if os.environ.get("NUMBA_DISABLE_JIT") != "1":  # (the reference path hands kernels record-array views)
        assert a.pars.dtype is b.pars.dtype and a.team_states.record.dtype is b.team_states.record.dtype
    assert record_dtype([("x", float), ("y", bool)]) is record_dtype([("x", np.float64), ("y", np.bool_)])


def test_ideas_keep_every_value_when_they_make_room():
    teams = Population("teams", 3, TEAM_STATES + (sim.modules.ChangePackage.states[0],))
    ideas = Ideas(teams, np.array([0.1, 0.2]))
    ideas.quality[1, 1] = 0.7
    ideas.at_hand[1, 1] = True
    ideas.source[1, 1] = PACKAGE
    ideas.adopted[2, 0] = True
    ideas.institutionalisation[2, 0] = 0.4
    ideas.in_use[2, 0] = 0.5
    capacity = ideas.capacity
    ideas.reserve(capacity + 10)
    assert ideas.capacity >= ideas.count + capacity + 10
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
    a, b = ideas.count, ideas.count + 1
    ideas.count += 2
    for j, found in ((a, 5), (b, 2)):
        ideas.at_hand[0, j], ideas.quality[0, j], ideas.found[0, j] = True, 0.6, found
    assert most_promising(ideas.matrix.record, 0, ideas.count) == b
    ideas.quality[0, a] = 0.61
    assert most_promising(ideas.matrix.record, 0, ideas.count) == a
    ideas.at_hand[0, :] = False
    assert most_promising(ideas.matrix.record, 0, ideas.count) == -1


def test_leaders_who_leave_are_succeeded_in_the_same_agents():
    model = sim.CollaborativeModel(teams=10, leader_turnover_per_year=2.0, senior_leader_turnover_per_year=1.0,
                                   follow_up_months=3.0, rng=8)
    agents = len(model.agents)
    first = model.team_states.leader_commitment.copy()
    model.run_model()
    t, o = model.team_states, model.organisation_states
    changed = t.leader_changes > 0
    assert changed.sum() >= 3 and o.senior_leader_since[:10].max() > 0
    assert len(model.agents) == agents, "a successor holds the same post: no Mesa agent made or removed"
    assert (t.leader_commitment[changed] != first[changed]).all(), "successors bring their own commitment"
    for i in np.nonzero(changed)[0]:
        assert model.teams[i].leader.start_week == t.last_leader_change_week[i]


# ---- random numbers ---------------------------------------------------------------------------


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


def test_normals_from_uniforms_are_standard_normal():
    u = np.random.default_rng(5).random((2, 50_000))
    z = np.array([standard_normal(a, b) for a, b in u.T])
    assert abs(z.mean()) < 0.02 and z.std() == pytest.approx(1.0, abs=0.02)
    assert np.isfinite(standard_normal(0.0, 0.3)), "a uniform of exactly 0 gives a finite draw"


def test_a_modules_draws_are_its_stream_in_order_whatever_the_request_sizes():
    draws = Draws(np.random.default_rng(4))
    taken = np.concatenate([draws.uniforms(3), draws.uniforms(5000), draws.uniforms(0), draws.uniforms(700)])
    assert np.array_equal(taken, np.random.default_rng(4).random(5703))
    assert not draws.uniforms(2).flags.writeable


class Bystander(Module):
    """A module that draws a great deal from its own stream and changes nothing."""

    name = "bystander"
    writes = ()

    def step(self) -> None:
        self.rng.random(100)
        self.draws.uniforms(1000)

    def month_end(self, month: int) -> None:
        self.rng.standard_normal(50)


def test_adding_a_module_shifts_no_other_modules_draws():
    """One stream per module: a module that draws (and does nothing else) leaves every other result as it was."""
    plain = sim.run("breakthrough", seed=3)
    for place in (0, 5, len(MODULES)):
        modules = list(MODULES)
        modules.insert(place, Bystander)
        model = sim.CollaborativeModel(sim.load_scenario("breakthrough"), modules=tuple(modules), rng=3)
        model.run_model()
        extended = sim.results(model, 3)
        assert extended.summary == plain.summary, place
        pd.testing.assert_frame_equal(extended.teams, plain.teams)


def test_streams_are_named_and_a_module_name_is_unique():
    model = sim.CollaborativeModel(teams=4, rng=1)
    assert len({m.name for m in model.modules}) == len(model.modules) == len(MODULES)
    with pytest.raises(ValueError, match="differ"):
        sim.CollaborativeModel(teams=4, rng=1, modules=(*MODULES, Bystander, Bystander))


# ---- what modules do ------------------------------------------------------------------------


def _snapshot(model: sim.CollaborativeModel) -> dict[str, np.ndarray]:
    values = {}
    for population in (model.team_states, model.organisation_states, model.unit_states, model.ideas.matrix):
        values.update({name: array.copy() for name, array in population.arrays().items()})
    return values


@pytest.mark.parametrize("scenario", ["breakthrough", "traditional"])
def test_every_module_writes_only_the_states_it_declares(scenario):
    """Each hook of each module, checked at every call of a run: a state it changes is in its ``writes``."""
    model = sim.CollaborativeModel(sim.load_scenario(scenario).with_overrides(
        teams=12, follow_up_months=6.0, leader_turnover_per_year=1.0, spread_planning=1.0), rng=5)
    undeclared: dict[str, set[str]] = {}

    def checked(module: Module, hook):
        def call(*args):
            before = _snapshot(model)
            result = hook(*args)
            for name, array in _snapshot(model).items():
                same = array.shape == before[name].shape and np.array_equal(array, before[name], equal_nan=True)
                if not same and name not in module.writes:
                    undeclared.setdefault(module.name, set()).add(name)
            return result
        return call

    for kind in ("step", "meeting", "month_end", "end_of_collaborative"):
        hooks = getattr(model.hooks, kind)
        hooks[:] = [checked(hook.__self__, hook) for hook in hooks]
    model.run_model()
    assert not undeclared, undeclared


def test_the_week_runs_the_modules_in_the_order_of_the_list():
    model = sim.CollaborativeModel(teams=3, rng=1)
    stepping = [m for m in MODULES if "step" in m.hooks()]
    assert [hook.__self__.__class__ for hook in model.hooks.step] == stepping
    assert [m.name for m in model.modules] == [m.name for m in MODULES]


# ---- peer ties have a capacity ------------------------------------------------------------------


def test_no_team_holds_more_working_ties_than_its_capacity():
    """After every meeting, no team still in holds more working ties to teams still in than its capacity;
    ties to teams that dropped out no longer count, so a team may hold more in all."""
    for capacity in (3, 8):
        model = sim.CollaborativeModel(teams=40, tie_capacity=capacity, dropout_hazard_per_year=1.5,
                                       follow_up_months=0.0, rng=2)
        exchange = model.module("peer_exchange")
        held = []

        def meeting(days, teaching, meet=exchange.meeting, model=model, held=held):
            meet(days, teaching)
            still = model.team_states.status < 2
            ties = model.ties.working[np.ix_(still, still)].sum(axis=1)
            held.append(int(ties.max(initial=0)))

        model.hooks.meeting[model.hooks.meeting.index(exchange.meeting)] = meeting
        model.run_model()
        assert max(held) == capacity, "capacity is reached, never passed"
        assert model.ties.working.sum(axis=1).max() > capacity, "ties to teams that left do not count"


def test_with_a_small_tie_capacity_a_larger_collaborative_gives_teams_no_more_peers():
    """How much a team learns from peers grows with the collaborative's size only as far as its capacity
    for ties lets it (paired seeds; 30 vs 120 teams)."""
    def growth(capacity: int) -> float:
        diffs = []
        for seed in range(8):
            small = sim.run("breakthrough", seed=seed, teams=30, tie_capacity=capacity, follow_up_months=0.0)
            large = sim.run("breakthrough", seed=seed, teams=120, tie_capacity=capacity, follow_up_months=0.0)
            diffs.append(large.summary["changes_from_peers_mean"] - small.summary["changes_from_peers_mean"])
        return float(np.mean(diffs))

    unlimited, limited = growth(500), growth(4)
    assert unlimited > 0.5, unlimited
    assert limited < 0.5 * unlimited, (limited, unlimited)


# ---- compiled kernels and their reference path -----------------------------------------------

REFERENCE_CASES = [("breakthrough", {"teams": 8, "follow_up_months": 6.0}),
                   ("traditional", {"teams": 8, "follow_up_months": 6.0}),
                   ("uk-orthopaedic", {"teams": 8, "follow_up_months": 6.0, "leader_turnover_per_year": 1.0}),
                   ("national", {"teams": 10, "other_organisations": 60, "follow_up_months": 12.0})]


def _fingerprints() -> list[str]:
    out = []
    for scenario, overrides in REFERENCE_CASES:
        result = sim.run(scenario, seed=4, **overrides)
        h = hashlib.sha256(json.dumps(result.summary, sort_keys=True).encode())
        h.update(pd.util.hash_pandas_object(result.teams, index=False).values.tobytes())
        h.update(pd.util.hash_pandas_object(result.team_outcomes, index=False).values.tobytes())
        out.append(h.hexdigest())
    return out


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compares the compiled path with this one")
def test_compiled_kernels_give_exactly_what_their_plain_python_reference_gives():
    """The reference path (numba's compiler off: every kernel runs as plain, index-checked Python on record
    arrays) and the compiled path give identical runs on several scenarios."""
    code = "import sys, json; sys.path.insert(0, 'tests'); from test_core import _fingerprints; " \
           "print(json.dumps(_fingerprints()))"
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                         cwd=ROOT)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == _fingerprints()


def test_the_reference_path_is_plain_python_when_the_compiler_is_off():
    code = ("import numba, qicsim; m = qicsim.CollaborativeModel(teams=3, rng=1); "
            "from qicsim.sim.modules.dropout import leave; "
            "print(numba.config.DISABLE_JIT, type(m.team_states.record).__name__, callable(leave), "
            "hasattr(leave, 'py_func'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "NUMBA_DISABLE_JIT": "1"}, cwd=ROOT)
    assert out.stdout.split() == ["1", "recarray", "True", "False"]


# ---- the compiled-kernel cache --------------------------------------------------------------------


def test_the_compiled_kernel_cache_is_keyed_to_every_source_file(tmp_path, monkeypatch):
    """numba checks a cached kernel only against its own file; the key covers them all, modules included."""
    for path in _cache.HERE.rglob("*.py"):
        target = tmp_path / path.relative_to(_cache.HERE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    monkeypatch.setattr(_cache, "HERE", tmp_path)
    before = _cache.source_key()
    assert _cache.source_key() == before
    helper = tmp_path / "module.py"
    helper.write_text(helper.read_text() + "\n# a change in a helper that kernels inline\n")
    assert _cache.source_key() != before


def test_the_cache_can_live_where_a_cluster_wants_it(tmp_path):
    """Every kernel's cache, whichever module is imported first (here a mechanism module on its own)."""
    code = ("import numba; from qicsim.sim.modules.dropout import leave; "
            "print(getattr(getattr(leave, '_cache', None), '_cache_path', numba.config.CACHE_DIR))")
    env = {**os.environ, "QICSIM_CACHE_DIR": str(tmp_path / "shared")}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT)
    assert out.stdout.strip().startswith(str(tmp_path / "shared"))


def test_a_read_only_installation_keeps_its_kernels_in_a_writable_cache(tmp_path, monkeypatch):
    """sim/__pycache__ cannot be written (a read-only install): the user's cache; not that either: the
    temporary directory. QICSIM_CACHE_DIR wins, as given (a cache compiled in advance may be read-only)."""
    for variable in ("QICSIM_CACHE_DIR", "NUMBA_CACHE_DIR"):
        monkeypatch.delenv(variable, raising=False)
    blocked = tmp_path / "a-file"
    blocked.write_text("")  # nothing can be created under a file, whoever we are (even root)
    monkeypatch.setattr(_cache, "HERE", blocked / "sim")
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    assert _cache.cache_root() == tmp_path / "home" / ".cache" / "qicsim" / "numba"
    monkeypatch.setattr(Path, "home", lambda: blocked / "home")
    monkeypatch.setattr(_cache.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    assert _cache.cache_root().parent.parent == tmp_path / "tmp"
    monkeypatch.setenv("QICSIM_CACHE_DIR", str(blocked / "shared"))
    assert _cache.cache_root() == blocked / "shared"


def test_compiled_means_numba_has_cached_this_version(tmp_path, monkeypatch):
    import numba

    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "key"))
    (tmp_path / "key" / "sim_x").mkdir(parents=True)
    assert not _cache.compiled()
    (tmp_path / "key" / "sim_x" / "dropout.leave-10.py312.nbi").write_bytes(b"")
    assert _cache.compiled()


def test_the_first_run_of_a_version_says_it_compiles(tmp_path, monkeypatch, capsys):
    from qicsim.cli import main

    monkeypatch.setattr(_cache, "compiled", lambda: False)
    assert main(["show", "breakthrough"]) == 0
    assert "compiling" not in capsys.readouterr().err, "show runs no model"
    assert main(["run", "breakthrough", "--set", "teams=3", "--out", str(tmp_path / "o")]) == 0
    assert "compiling the model's kernels" in capsys.readouterr().err
    monkeypatch.setattr(_cache, "compiled", lambda: True)
    assert main(["run", "breakthrough", "--set", "teams=3", "--out", str(tmp_path / "p")]) == 0
    assert "compiling" not in capsys.readouterr().err


# ---- how sweeps batch runs for workers ------------------------------------------------------------


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


@pytest.mark.parametrize(("total", "workers"), [(200, 2), (1000, 4), (7, 2), (1, 1)])
def test_tasks_shrink_towards_the_end_of_a_sweep_and_carry_every_run_once(total, workers):
    size = runs_per_task(total, workers) if workers > 1 else 3
    tasks = list(batches(iter(range(total)), size, total, workers))
    assert [run for task in tasks for run in task] == list(range(total))
    sizes = [len(task) for task in tasks]
    assert sizes[0] == min(size, total) and sizes == sorted(sizes, reverse=True)
    assert sizes[-1] == 1, "the last task is a single run"


def test_a_scenario_of_a_model_with_modules_of_its_own_reaches_other_processes():
    import pickle

    from qicsim.sim.parameters import schema

    extended = schema((*MODULES, Bystander))
    scenario = extended(**sim.load_scenario("ihi-ade").model_dump())
    again = pickle.loads(pickle.dumps(scenario))
    assert type(again) is extended and again == scenario
    assert pickle.loads(pickle.dumps(sim.load_scenario("ihi-ade"))) == sim.load_scenario("ihi-ade")


def test_leaving_out_a_module_another_needs_is_named_not_crashed():
    from qicsim.sim.modules import TraditionalProject

    modules = tuple(m for m in MODULES if m is not TraditionalProject)
    with pytest.raises(ValueError, match="'action_period' uses state.*start_testing_week"):
        sim.CollaborativeModel(teams=3, rng=1, modules=modules)
    with pytest.raises(ValueError, match="differ"):
        class Network(Bystander):
            name = "network"

        sim.CollaborativeModel(teams=3, rng=1, modules=(*MODULES, Network))

