"""The monthly team table: every team's values at each month's end (month 0 = enrolment).

Each month the whole team record is kept (one copy of :attr:`sim.populations.Population.data`),
with the few values worked out from the model (:data:`DERIVED`); at the end the table's columns are
the team states declared ``recorded`` (:mod:`sim.populations` and the modules) and the derived ones.
A module that declares a recorded state adds a column. :data:`COLUMNS` fixes the order of the
columns every version has had; new recorded states follow them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit

from qicsim.sim import _cache  # noqa: F401 -- keys numba's cache to the model's source before a kernel is compiled
from qicsim.sim import calendar as cal
from qicsim.sim.ideas import gap_left, in_use_of
from qicsim.sim.modules.measurement import performance
from qicsim.sim.populations import STATUS_NAMES

if TYPE_CHECKING:
    from qicsim.sim.model import CollaborativeModel

COLUMNS = ("team_id", "month", "phase", "true_performance", "measured_performance", "ihi_score", "motivation",
           "knowledge", "capability", "cohesion", "data_capability", "senior_engagement", "changes_in_use",
           "tests_run", "status", "using_qi")
"""The table's first columns, in order (one row per team per month)."""

DERIVED = ("true_performance", "senior_engagement", "changes_in_use")
"""Columns worked out from the model at each month's end rather than read from one team state
(:func:`derived_values`)."""
PERFORMANCE, ENGAGEMENT, IN_USE = range(len(DERIVED))
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
        self.derived = np.zeros((len(DERIVED), months, t.size))
        self.months = 0

    def record(self, month: int) -> np.ndarray:
        """Month ``month``'s row of every team; returns the teams' true performance."""
        model = self.model
        self._history_bytes[month] = model.team_states.data.view(np.uint8)
        ideas = model.ideas
        derived_values(model.team_states.record, model.organisation_states.record, ideas.matrix.record,
                       ideas.catalogue.record, ideas.count, model.pars, self.derived[:, month])
        self.months = month + 1
        return self.derived[PERFORMANCE, month]

    def frame(self) -> pd.DataFrame:
        """The table, one row per team per month, sorted by month then team."""
        model, months, teams = self.model, self.months, self.model.team_states.size
        columns: dict[str, np.ndarray] = {
            "team_id": np.tile(np.arange(1, teams + 1), months),
            "month": np.repeat(np.arange(months), teams),
            "phase": np.concatenate([model.reported_phases(m) for m in range(months)]),
        }
        columns.update({name: self.derived[k, :months].ravel() for k, name in enumerate(DERIVED)})
        columns.update({name: self.history[name][:months].ravel() for name in self.recorded})
        for name, codes in CODES.items():
            columns[name] = np.array(codes, dtype=object)[columns[name]]
        return pd.DataFrame({c: columns[c] for c in self.columns})


@njit(cache=True)
def derived_values(t, o, ideas, catalogue, count, pars, out):  # pragma: no cover - compiled
    """Each team's true performance, its organisation's senior engagement and its changes in use (into
    the rows of ``out``, in the order of :data:`DERIVED`)."""
    best = pars[0].best_practice_performance
    for i in range(t.shape[0]):
        out[PERFORMANCE, i] = performance(best, t.drift[i] * gap_left(ideas, catalogue, count, i), t.baseline[i])
        out[ENGAGEMENT, i] = o.senior_engagement[i]
        out[IN_USE, i] = in_use_of(ideas, count, i)
