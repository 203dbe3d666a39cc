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
    assert {"Mesa agents (teams, organisations, leaders)", "init: enrolment"} <= set(watch.spent)
    assert {"pdsa_cycles.step", "peer_exchange.meeting", "spread.month_end"} <= set(weeks.spent)
    counted = dict(watch.spent)
    sim.CollaborativeModel(scenario, rng=4)  # after the context: nothing is timed any more
    assert watch.spent == counted
