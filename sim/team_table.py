"""The monthly team table: every team's values at each month's end (month 0 = enrolment).

Each month the whole team record is kept (one copy of :attr:`sim.populations.Population.data`),
with the few values worked out from the model (:data:`DERIVED`); at the end the table's columns are
the team states declared ``recorded`` (:mod:`sim.populations` and the modules) and the derived ones.
A module that declares a recorded state adds a column. :data:`COLUMNS` fixes the order of the
columns every version has had; new recorded states follow them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim import calendar as cal
from sim.populations import STATUS_NAMES

if TYPE_CHECKING:
    from sim.model import CollaborativeModel

COLUMNS = ("team_id", "month", "phase", "true_performance", "measured_performance", "ihi_score", "motivation",
           "knowledge", "capability", "cohesion", "data_capability", "senior_engagement", "changes_in_use",
           "tests_run", "status", "using_qi")
"""The table's first columns, in order (one row per team per month)."""

DERIVED: dict[str, Callable[[CollaborativeModel], np.ndarray]] = {
    "true_performance": lambda m: m.performance(),
    "senior_engagement": lambda m: m.organisation_states.senior_engagement[: m.team_states.size],
    "changes_in_use": lambda m: m.ideas.in_use_by_team(),
}
"""Columns worked out from the model at each month's end rather than read from one team state."""
CODES = {"phase": cal.PHASES, "status": STATUS_NAMES}
"""Columns kept as codes and shown as names."""


class TeamTable:
    """Every month's team records and derived values, in preallocated arrays, made a DataFrame at the end."""

    def __init__(self, model: CollaborativeModel) -> None:
        self.model = model
        t = model.team_states
        self.recorded = [name for name, state in t.states.items() if state.recorded]
        self.columns = [*COLUMNS, *(name for name in self.recorded if name not in COLUMNS)]
        months = model.calendar.months + 1
        self.history = np.zeros((months, t.size), dtype=t.dtype)
        self._history_bytes = self.history.view(np.uint8).reshape(months, -1)  # copied as bytes: ten times faster
        self.derived = {name: np.zeros((months, t.size)) for name in DERIVED}
        self.months = 0

    def record(self, month: int) -> np.ndarray:
        """Month ``month``'s row of every team; returns the teams' true performance."""
        model = self.model
        self._history_bytes[month] = model.team_states.data.view(np.uint8)
        for name, value in DERIVED.items():
            self.derived[name][month] = value(model)
        self.months = month + 1
        return self.derived["true_performance"][month]

    def frame(self) -> pd.DataFrame:
        """The table, one row per team per month, sorted by month then team."""
        model, months, teams = self.model, self.months, self.model.team_states.size
        columns: dict[str, np.ndarray] = {
            "team_id": np.tile(np.arange(1, teams + 1), months),
            "month": np.repeat(np.arange(months), teams),
            "phase": np.concatenate([model.reported_phases(m) for m in range(months)]),
        }
        columns.update({name: values[:months].ravel() for name, values in self.derived.items()})
        columns.update({name: self.history[name][:months].ravel() for name in self.recorded})
        for name, codes in CODES.items():
            columns[name] = np.array(codes, dtype=object)[columns[name]]
        return pd.DataFrame({c: columns[c] for c in self.columns})
