"""Populations: every team's (and organisation's, unit's) values as one record array made from
declarations.

A :class:`Population` holds a NumPy structured array with one field per declared
:class:`~sim.module.State` (name, type, default), so ``teams.motivation`` is the array of every
team's motivation; a Mesa agent is a readable view of its row (``team.motivation`` is
``model.team_states.motivation[team.index]``, :mod:`sim.agents`). Mechanisms update a whole
population at once, as IDM's Starsim does, in NumPy or in a compiled kernel that receives the
record (:attr:`Population.record`) and reads the same names (``t.motivation[i]``). No state is
indexed by position: names, types, defaults and meanings come from the declarations, here (the
states every team has) and in the modules (the states a mechanism adds). Because the record's
layout is its type, a compiled kernel is compiled (and cached) for exactly the layout it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numba
import numpy as np

from qicsim.sim.module import State, organisation_state, team_state

# Team status codes (``teams.status``); ``Team.status`` gives the name.
ENROLLED, ACTIVE, COMPLETED, DROPPED = 0, 1, 2, 3
STATUS_NAMES = ("enrolled", "active", "completed", "dropped")
"""Enrolled: signed up, not yet testing; active: testing changes; completed: stayed to the end;
dropped: left before the end. ``status < COMPLETED`` is a team still in the collaborative."""

TEAM_STATES: tuple[State, ...] = (
    # who the team is (drawn at enrolment, sim/modules/enrolment.py)
    team_state("motivation", 0.0, "drive to take part and improve (0-1)", recorded=True),
    team_state("cohesion", 0.0, "ability to work as a team (0-1); success factor 1", recorded=True),
    team_state("knowledge", 0.0, "QI knowledge, taught (0-1)", recorded=True),
    team_state("capability", 0.0, "QI capability, practised (0-1); success factor 2", recorded=True),
    team_state("learning_ability", 0.0, "ability to learn and apply QI methods (0-1)"),
    team_state("data_capability", 0.0, "ability to collect and use data (0-1)", recorded=True),
    team_state("clarity", 0.0, "clarity of objectives and roles (0-1)"),
    team_state("baseline", 0.0, "the team's true value of the measure at enrolment"),
    team_state("sent_by_management", False, "sent by its management rather than volunteered", bool),
    # where the team is
    team_state("status", ENROLLED, "enrolled, active, completed or dropped (codes of STATUS_NAMES)", int,
               recorded=True),
    team_state("formed", False, "the team has formed (IHI score 1.0)", bool),
    team_state("planned", False, "the team has planned its work (IHI score 1.5)", bool),
    team_state("using_qi", False, "still using QI methods (after the end: until it stops)", bool, recorded=True),
    team_state("drift", 1.0, "performance not caused by the team's changes, in units of its baseline gap"),
)
"""The states every team has, whatever the modules; modules add their own."""

ORGANISATION_STATES: tuple[State, ...] = (
    organisation_state("qi_culture", 0.0, "QI culture of the home organisation (0-1); success factor 4"),
    organisation_state("senior_support", 0.0, "management support at enrolment (0-1); success factor 5"),
    organisation_state("strategic_importance", 0.0, "strategic importance of the topic (0-1); success factor 3"),
    organisation_state("staff_time_hours", 0.0, "protected time per team member (hours a week)"),
    organisation_state("data_infrastructure", 0.0, "data systems of the organisation (0-1)"),
)
"""The states every organisation has; modules add their own."""


_DTYPES: dict[tuple[tuple[str, Any], ...], np.dtype] = {}


def record_dtype(fields: Iterable[tuple[str, Any]]) -> np.dtype:
    """The (aligned) record type with these fields: the same dtype object for the same fields, always.

    numba's dispatcher recognises a record type quickly only by the dtype object it first met; an
    equal but new dtype object costs it several microseconds a call, as much as a kernel's whole work.
    """
    key = tuple((name, np.dtype(kind).str) for name, kind in fields)
    found = _DTYPES.get(key)
    if found is None:
        found = _DTYPES[key] = np.dtype([(name, kind) for name, kind in key], align=True)
    return found


class Population:
    """A record per agent (``size`` of them, or ``size`` x ``columns`` for a matrix) with one field per
    declared state, each set to its default. ``population.name`` is the field's array, updated in
    place; only a matrix that grows (the ideas) gets a new record, which callers fetch afresh."""

    def __init__(self, kind: str, size: int, states: Iterable[State], columns: int | None = None) -> None:
        declared: dict[str, State] = {}
        for state in states:
            if state.name in declared:
                raise ValueError(f"{kind} state '{state.name}' is declared twice")
            declared[state.name] = state
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "states", declared)
        object.__setattr__(self, "dtype", record_dtype((s.name, s.dtype) for s in declared.values()))
        self._allocate(size if columns is None else (size, columns))

    def _allocate(self, shape: int | tuple[int, int], old: np.ndarray | None = None) -> None:
        data = np.empty(shape, dtype=self.dtype)
        for name, state in self.states.items():
            data[name] = state.default
        if old is not None:
            data[:, : old.shape[1]] = old
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "_record", data.view(np.recarray) if numba.config.DISABLE_JIT else data)

    def __getattr__(self, name: str) -> np.ndarray:
        if name in self.__dict__.get("states", ()):
            return self.data[name]
        raise AttributeError(f"{self.__dict__.get('kind', 'population')} has no state '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.states:
            raise AttributeError(f"{self.kind}.{name} is a declared state: assign into it ({name}[:] = ...), "
                                 f"do not replace it")
        object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return self.size

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def record(self) -> np.ndarray:
        """The population as a compiled kernel receives it: the structured array (a record array, whose
        fields Python reads as attributes too, when numba's compiler is off: the reference path)."""
        return self._record

    def arrays(self) -> dict[str, np.ndarray]:
        """Every state's array by name."""
        return {name: self.data[name] for name in self.states}

    def grow_columns(self, columns: int) -> None:
        """A matrix population (team x idea) with room for ``columns`` columns, keeping every value."""
        self._allocate((self.data.shape[0], columns), self.data)


def parameter_record(values: dict[str, Any]) -> np.ndarray:
    """The numeric and yes/no parameters of a scenario as a one-row record (``pars[0].name`` in a
    compiled kernel): what a kernel receives to read any parameter by its name."""
    fields = [(k, np.bool_ if isinstance(v, bool) else np.int64 if isinstance(v, int) else np.float64)
              for k, v in values.items() if isinstance(v, int | float)]
    record = np.zeros(1, dtype=record_dtype(fields))
    for name, _ in fields:
        record[name] = values[name]
    return record.view(np.recarray) if numba.config.DISABLE_JIT else record
