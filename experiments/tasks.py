"""One run of a sweep, as a worker executes it: small, picklable, and never raising.

A backend ships :func:`execute` (with the base scenario and the outputs to keep bound to it) and a
:class:`RunTask` to a worker process or a Dask worker. Any exception from the model is caught there
and returned as a failed :class:`RunRecord` with its error and traceback, so that one bad run is
recorded with its parameters and seed and the sweep goes on; only a worker that dies (out of
memory, killed) stops a sweep, and the sweep resumes from its last chunk.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qicsim import sim


@dataclass(frozen=True)
class RunTask:
    """Which run to make: its identity, seed and the varied parameters' values."""

    run_id: int
    point_id: int
    replicate: int
    seed: int
    overrides: dict[str, Any]


@dataclass(frozen=True)
class RunRecord:
    """What one run produced: its summary values and tables, or the error that stopped it."""

    task: RunTask
    summary: dict[str, float] | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def execute(scenario: sim.Scenario, summary_keys: tuple[str, ...], tables: tuple[str, ...], task: RunTask) -> RunRecord:
    """Run ``task`` on ``scenario``; keep ``summary_keys`` and the named result ``tables``
    (``team_outcomes``, ``series``, ``teams``)."""
    try:
        model = sim.simulate(scenario.with_overrides(**task.overrides), seed=task.seed)
        # the summary is the model's own (made when its last month is recorded); the result tables -- a fifth of
        # a small run -- only when the spec keeps one
        result = sim.results(model, task.seed) if tables or model.outcomes is None else None
        source = result.summary if result is not None else model.summary
        summary = {key: float(source.get(key, math.nan)) for key in summary_keys}
        kept = {name: getattr(result, name).reset_index(drop=True) for name in tables}
    except Exception as exc:  # recorded with the run, by design: the sweep goes on
        return RunRecord(task, None, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    return RunRecord(task, summary, kept)


def execute_batch(scenario: sim.Scenario, summary_keys: tuple[str, ...], tables: tuple[str, ...],
                  tasks: list[RunTask]) -> list[RunRecord]:
    """:func:`execute` for several tasks, one after another: one message to a worker for several runs."""
    return [execute(scenario, summary_keys, tables, task) for task in tasks]
