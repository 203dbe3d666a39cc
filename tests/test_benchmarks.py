"""The benchmarks' own machinery measures what it says (nothing here times anything: speed is measured in
benchmarks/, never asserted in tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from qicsim import sim

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import profile_run  # noqa: E402


def test_stopwatch_counts_a_nested_call_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A timed call inside another timed call is the inner part's time only: the parts add up to the whole."""
    clock = iter([0.0, 1.0, 3.0, 10.0])  # outer starts, inner starts, inner ends, outer ends
    monkeypatch.setattr(profile_run.time, "perf_counter", lambda: next(clock))
    watch = profile_run.Stopwatch()
    inner = watch.wrap("inner", lambda: None)
    outer = watch.wrap("outer", lambda: inner())
    outer()
    assert watch.spent == {"inner": 2.0, "outer": 8.0}


def test_stopwatch_gives_each_level_its_own_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three levels and two siblings: each label gets its time less its own timed children's, no ancestor's."""
    # top starts 0; middle starts 1; leaf starts 2, ends 4; leaf starts 5, ends 6; middle ends 9; top ends 20
    clock = iter([0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 9.0, 20.0])
    monkeypatch.setattr(profile_run.time, "perf_counter", lambda: next(clock))
    watch = profile_run.Stopwatch()
    leaf = watch.wrap("leaf", lambda: None)

    def two_leaves() -> None:
        leaf()
        leaf()

    middle = watch.wrap("middle", two_leaves)
    watch.wrap("top", middle)()
    assert watch.spent == {"leaf": 3.0, "middle": 5.0, "top": 12.0}
    assert watch.calls == 4


def test_stopwatch_keeps_counting_when_the_timed_call_raises() -> None:
    watch = profile_run.Stopwatch()

    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        watch.wrap("fails", fails)()
    assert set(watch.spent) == {"fails"} and watch._children == []


def test_timing_a_run_changes_nothing_and_is_undone() -> None:
    """The timers patched into a build and a run leave the results alone, and are gone after the context."""
    scenario = sim.load_scenario("breakthrough").with_overrides(teams=8, follow_up_months=3.0)
    plain = sim.run(scenario, seed=3).summary
    watch = profile_run.Stopwatch()
    with profile_run.timed_build(watch):
        model = sim.CollaborativeModel(scenario, rng=3)
    weeks = profile_run.Stopwatch()
    profile_run.timed_weeks(model, weeks)
    model.run_model()
    assert pd.Series(sim.results(model, 3).summary).equals(pd.Series(plain))  # NaN where NaN
    assert {label for _, _, label in profile_run.build_patches()} == set(watch.spent)  # every patch fired
    hooks = {f"{m.name}.{hook}" for m in model.modules for hook in m.hooks() if hook != "init"}
    assert hooks | {"team table, series, summary (monthly record)"} == set(weeks.spent)
    counted = dict(watch.spent)
    sim.CollaborativeModel(scenario, rng=4)  # after the context: nothing is timed any more
    assert watch.spent == counted


def test_a_build_that_fails_leaves_nothing_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that fails late (the team table, after the agents and modules' init were timed) restores all."""

    def fails(model: object) -> None:
        raise RuntimeError("the team table fails")

    monkeypatch.setattr(profile_run.model_module, "TeamTable", fails)
    originals = [vars(owner)[name] for owner, name, _ in profile_run.build_patches()]
    watch = profile_run.Stopwatch()
    with pytest.raises(RuntimeError, match="team table"), profile_run.timed_build(watch):
        sim.CollaborativeModel(sim.load_scenario("breakthrough"), rng=1)
    assert "init: enrolment" in watch.spent  # the build got that far under the timers
    assert [vars(owner)[name] for owner, name, _ in profile_run.build_patches()] == originals


def test_peak_memory_is_the_process_own_not_its_parent() -> None:
    """bench_scale's peak is the measured process's: a child started by a large parent reports its own small peak
    (``ru_maxrss`` would report the parent's)."""
    import subprocess

    import bench_scale
    import numpy as np

    ballast = np.ones(40_000_000)  # 320 MB in this (parent) process
    parent = bench_scale.peak_mb()
    child = subprocess.run([sys.executable, "-c", "import bench_scale; print(bench_scale.peak_mb())"],
                           capture_output=True, text=True, check=True, cwd=Path(bench_scale.__file__).parent)
    del ballast
    assert parent > 320
    assert float(child.stdout) < parent - 250


def test_side_by_side_gives_the_other_version_first_on_the_path(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import side_by_side

    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    monkeypatch.setenv("QICSIM_CACHE_DIR", "/a/warm/cache")
    monkeypatch.chdir(tmp_path)
    env = side_by_side.environment(Path("old"))
    assert env["PYTHONPATH"] == str(tmp_path / "old")  # absolute: the child runs elsewhere
    assert "QICSIM_CACHE_DIR" not in env
    assert "PYTHONPATH" not in side_by_side.environment(None)
    assert "-P" in side_by_side.bench_startup.QICSIM_RUN  # the working directory's qicsim never comes first
