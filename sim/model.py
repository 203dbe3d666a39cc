"""The collaborative as a Mesa model: one step is one week, from enrolment to the end of follow-up.

The calendar's fixed moments -- learning sessions, the final congress, the end of the
collaborative and each month's end -- are Mesa events scheduled at creation; the weekly step runs
every module's ``step`` in the order of :data:`sim.modules.MODULES` (leadership, the action
period's work and PDSA cycles, motivation, drop-out, institutionalisation, costs...), and each
event calls the modules' hook of that name in the same order. The mechanisms are the modules
(:mod:`sim.modules`); this file builds a run and keeps its calendar.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any

import mesa
import mesa.experimental.scenarios
import numpy as np
from mesa.time import Priority
from numba import njit

from qicsim.sim import _cache  # noqa: F401 -- keys numba's cache to the model's source before a kernel is compiled
from qicsim.sim import calendar as cal
from qicsim.sim.agents import Organisation, Team, with_states
from qicsim.sim.calendar import Calendar
from qicsim.sim.ideas import CATALOGUE_STATES, IDEA_STATES
from qicsim.sim.module import Hooks, Module, stream
from qicsim.sim.modules import MODULES
from qicsim.sim.modules.costs import Ledger
from qicsim.sim.modules.measurement import performances, remaining_gaps
from qicsim.sim.network import UnitNetwork, organisation_graph
from qicsim.sim.parameters import Scenario, schema
from qicsim.sim.populations import COMPLETED, DROPPED, ORGANISATION_STATES, TEAM_STATES, Population, parameter_record
from qicsim.sim.scenario import ScenarioError, validate
from qicsim.sim.team_table import TeamTable

NETWORK_STREAM = "network"
"""The stream the organisation graph is drawn from (no module may take its name)."""
SERIES = ("month", "active_teams", "dropped_teams", "mean_performance", "mean_ihi_score", "cost_so_far")
"""Columns of the monthly series (one row per month, month 0 = enrolment)."""


class SeriesCollector(mesa.DataCollector):
    """Mesa's data collector for the monthly series: model attributes that are plain numbers, taken
    as they are (Mesa's own ``collect`` deep-copies each value, in case it is a mutable object)."""

    def collect(self, model: mesa.Model) -> None:
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for name in self.model_reporters:
            self.model_vars[name].append(getattr(model, name))


def check_names(modules: tuple[type[Module], ...]) -> None:
    """Each module's name names its random stream: names must differ, from each other, from the
    network's stream and in their hash."""
    names = [m.name for m in modules]
    if len(set(names)) != len(names) or NETWORK_STREAM in names or not all(names):
        raise ValueError(f"module names must be given and differ from each other and from '{NETWORK_STREAM}' "
                         f"(each names the module's random stream): {names}")
    if len({zlib.crc32(name.encode("utf-8")) for name in names}) != len(names):
        raise ValueError(f"two module names hash alike; rename one: {names}")


def check_direction(s: Scenario) -> None:
    """Best practice lies on the side of the baseline the measure's direction says is better."""
    better = s.best_practice_performance < s.baseline_performance if s.measure_direction == "lower_is_better" \
        else s.best_practice_performance > s.baseline_performance
    if not better:
        raise ScenarioError(f"scenario '{s.name}': best_practice_performance = {s.best_practice_performance:g} is not "
                            f"better than baseline_performance = {s.baseline_performance:g} for a measure where "
                            f"{s.measure_direction.replace('_', ' ')} (allowed: set measure_direction to match, or "
                            f"move best practice past the baseline)")


def check_reads(modules: tuple[type[Module], ...], states: list[str]) -> None:
    """Every state a module reads or writes is declared by the core or by a module of this model: a module
    left out that another needs is named here, not met as a crash in a kernel."""
    declared = {*states, "ideas"}
    for module in modules:
        missing = sorted(name for name in {*module.reads, *module.writes} if name not in declared)
        if missing:
            raise ValueError(f"module '{module.name}' uses state(s) {', '.join(missing)} that no module of this "
                             f"model declares")


class CollaborativeModel(mesa.Model):
    """A quality improvement collaborative (or its comparator) with its teams and organisations.

    Build it from a scenario (``CollaborativeModel(load_scenario("ihi-ade"), rng=1)``) or from flat
    parameters on top of the defaults (``CollaborativeModel(teams=40, didactic_share=0.8, rng=1)``),
    which is what ``mesa.batch_run`` does. ``modules`` replaces the model's mechanisms (default
    :data:`sim.modules.MODULES`), e.g. to add one (docs/extending.md).

    Teams, organisations and their units are populations of declared states (``team_states``,
    ``organisation_states``, ``unit_states``) with Mesa agents as views of their rows (``teams``,
    ``organisations``: an organisation that sends no team becomes an agent when first asked for); ideas are
    team x idea matrices (``ideas``).

    Mesa's conventions hold: ``scenario=`` is Mesa's own ``Scenario`` (its values are qicsim parameters, its
    ``rng`` the seed; ``CollaborativeModel(scenario=Scenario(rng=5, teams=20))``); when the run ends, its summary
    outcomes (:attr:`summary`: ``dropout_rate``, ``sustained_rate``, ...) and its ``seed`` join the data
    collector's last row, which is what ``mesa.batch_run`` returns. Seeding: ``rng`` is an int seed (what qicsim's
    own commands pass: ``derive_seed(base, replicate)``) or a numpy Generator (one seed is drawn from it); left
    out, as in Mesa, a fresh seed is drawn from the operating system's entropy -- never from the clock -- and
    kept as :attr:`seed`, so any run can be repeated with ``rng=model.seed``.
    """

    def __init__(self, collaborative: Scenario | None = None, *, rng: Any = None, scenario: Any = None,
                 modules: tuple[type[Module], ...] | None = None, **params: Any) -> None:
        if isinstance(scenario, Scenario):  # a qicsim scenario passed by keyword, as before Mesa had scenario=
            if collaborative is not None:
                raise ValueError("give the qicsim scenario once (as the first argument)")
            collaborative, scenario = scenario, None
        if scenario is not None:  # Mesa's Scenario: parameter values and the seed
            if not isinstance(scenario, mesa.experimental.scenarios.Scenario):
                raise TypeError(f"scenario: a mesa Scenario or a qicsim Scenario, not {type(scenario).__name__}")
            values = {k: v for k, v in scenario if k != "rng" and not k.startswith("_")}
            params = {**values, **params}
            if rng is not None and scenario.rng is not None and rng != scenario.rng:
                raise ValueError("rng and scenario.rng differ; give the seed once")
            rng = scenario.rng if rng is None else rng
        self.seed = seed_of(rng)
        if scenario is not None:  # Mesa's record of this run: a copy with the seed used (the caller's is left as
            # given, so that one Scenario(rng=None) reused for several runs draws a fresh seed for each)
            scenario = type(scenario)(rng=self.seed, _scenario_id=scenario._scenario_id, **values)
        super().__init__(rng=self.seed, scenario=scenario)
        self.summary: dict[str, Any] = {}
        """The run's summary outcomes (:func:`sim.outcomes.summarise`), filled in when its last month is
        recorded."""
        self.outcomes: Any = None
        """One row per team at the end (:func:`sim.outcomes.team_outcomes`), filled in with :attr:`summary`."""
        modules = MODULES if modules is None else tuple(modules)
        kind = schema(modules)
        base = collaborative if collaborative is not None else kind()
        if params or type(base) is not kind:  # overrides, or parameters of modules the scenario did not know
            known = {k: v for k, v in base.model_dump().items() if k in kind.model_fields}
            base = validate({**known, **params}, origin=f"scenario '{base.name}'", schema=kind)
        if base.best_practice_performance is None:  # worked out from the baseline, for every part of the model
            base = base.model_copy(update={"best_practice_performance": base.best_practice()})
        check_direction(base)
        self.params: Scenario = base
        s = self.params
        self.mode = s.mode
        self.calendar = Calendar.for_scenario(s)
        self.week = 0
        self.report_month = 0
        self.phase = self.calendar.phase[0]
        self.follow_up = False
        self.ledger = Ledger(s)
        self.pars = parameter_record(s.parameters())
        """Every numeric and yes/no parameter as a one-row record, what compiled kernels read them from."""
        check_names(modules)
        self.modules = [cls(self) for cls in modules]
        self._module = {m.name: m for m in self.modules}
        self.hooks = Hooks.of(self.modules)

        # The organisations in contact (drawn from their own stream, so that the teams are the same
        # whatever the network), then every population from the states declared for it.
        self.organisation_graph = organisation_graph(s, stream(self.seed, NETWORK_STREAM))
        self.units = UnitNetwork.build(self.organisation_graph, s.teams, s)
        declared = [state for m in self.modules for state in m.states]
        self.team_states = self._population("teams", s.teams, TEAM_STATES, declared)
        self.organisation_states = self._population("organisations", self.organisation_graph.size,
                                                    ORGANISATION_STATES, declared)
        self.unit_states = self._population("units", self.units.size, (), declared)
        check_reads(modules, [*self.team_states.states, *self.organisation_states.states, *self.unit_states.states,
                              *(state.name for state in (*IDEA_STATES, *CATALOGUE_STATES))])
        self.organisations = OrganisationAgents(self, self.organisation_graph.size, s.teams)
        self.teams = [Team(self, i, self.organisations[i]) for i in range(s.teams)]
        for module in self.modules:
            module.init()

        for w in self.calendar.session_weeks:
            self.schedule_event(self.learning_session, at=w, priority=Priority.LOW)
        if self.calendar.congress_week is not None:
            self.schedule_event(self.congress, at=self.calendar.congress_week, priority=Priority.LOW)
        self.schedule_event(self.end_of_collaborative, at=self.calendar.end_week, priority=Priority.DEFAULT)
        for w in sorted(set(self.calendar.month_end_weeks)):
            self.schedule_event(self.month_end, at=w, priority=Priority.LOW)

        self.end_snapshot: dict[str, np.ndarray] = {}
        self._month_phases = [self.calendar.month_phase(m) for m in range(self.calendar.months + 1)]
        # The month's series row: the model attributes of these names, worked out once a month.
        self.datacollector = SeriesCollector(model_reporters={name: name for name in SERIES})
        self.team_table = TeamTable(self)
        self._record_month(0)

    def _population(self, kind: str, size: int, core: tuple, declared: list) -> Population:
        population = Population(kind, size, [*core, *(state for state in declared if state.population == kind)])
        agent = {"teams": Team, "organisations": Organisation}.get(kind)
        if agent is not None:
            with_states(agent, population)
        return population

    def module(self, name: str) -> Module:
        """The model's module of that name (e.g. ``model.module("spread")``)."""
        return self._module[name]

    # ---- every team's performance ----
    def remaining_gap(self) -> np.ndarray:
        """Each team's distance to best practice, in units of its baseline gap (1 = baseline): its
        drift times what its changes, as far as they are still practised, leave of it."""
        ideas = self.ideas
        return remaining_gaps(self.team_states.record, ideas.matrix.record, ideas.catalogue.record, ideas.count)

    def performance(self) -> np.ndarray:
        """Each team's true value of the measure: between best practice and the floor the drift allows."""
        ideas = self.ideas
        return performances(self.team_states.record, ideas.matrix.record, ideas.catalogue.record, ideas.count,
                            self.pars)

    def relative_improvement(self) -> np.ndarray:
        """Each team's improvement on its own baseline as a share of it (positive = better, whichever
        way the measure runs)."""
        baseline = self.team_states.baseline
        return (1.0 - self.remaining_gap()) * np.abs(baseline - self.params.best_practice_performance) \
            / np.abs(baseline)

    def team_phases(self, week: int) -> np.ndarray:
        """Each team's phase in a week, as codes into ``calendar.PHASES``: the calendar's, or in a
        traditional project the team's own organising, diagnosis or action period."""
        phase = self.calendar.phase[week]
        n = self.team_states.size
        if phase != cal.PROJECT or self.params.mode == "none":
            return np.full(n, cal.PHASES.index(phase))
        t = self.team_states
        return np.where(week <= t.organising_weeks, cal.PHASES.index(cal.ORGANISING),
                        np.where(week <= t.start_testing_week, cal.PHASES.index(cal.DIAGNOSIS),
                                 cal.PHASES.index(cal.ACTION_PERIOD)))

    def reported_phases(self, month: int) -> np.ndarray:
        """The phase each team reports for a month: a session or congress in it names it, else its
        last week's phase (a comparator's project period is each team's own sub-phase)."""
        phase = self._month_phases[month]
        if phase == cal.PROJECT and month > 0:
            return self.team_phases(self.calendar.month_end_weeks[month - 1])
        return np.full(self.team_states.size, cal.PHASES.index(phase))

    def month_of_year(self, week: int | None = None) -> int:
        """The calendar month (1 = January) a week falls in (default: this week), from ``start_month``."""
        week = self.week if week is None else week
        return (self.params.start_month - 1 + int(week / cal.WEEKS_PER_MONTH)) % cal.MONTHS_PER_YEAR + 1

    def month_follow_up(self, month: int) -> bool:
        """Whether month ``month`` ends after the end of the collaborative."""
        return month > 0 and self.calendar.month_end_weeks[month - 1] > self.calendar.end_week

    # ---- the weekly step ----
    def step(self) -> None:
        """One week of every team and organisation: every module's ``step``, in order."""
        self.week = w = self.steps
        self.phase = self.calendar.phase[w]
        self.follow_up = w > self.calendar.end_week
        for step in self.hooks.step:
            step()
        if w >= self.calendar.total_weeks:
            self.running = False

    # ---- scheduled events ----
    def learning_session(self) -> None:
        """A learning session: teams learn, meet, share what worked; senior leaders re-engaged."""
        for meeting in self.hooks.meeting:
            meeting(self.params.session_days, True)

    def congress(self) -> None:
        """The final congress: teams present their results and hear each other's."""
        for meeting in self.hooks.meeting:
            meeting(self.params.congress_days, False)

    def end_of_collaborative(self) -> None:
        """The collaborative (or project) ends: teams still in complete, and each team's result is kept."""
        t = self.team_states
        t.status[t.status < COMPLETED] = COMPLETED
        for end in self.hooks.end_of_collaborative:
            end()
        self.end_snapshot = {
            "performance_end": self.performance(),
            "relative_improvement": self.relative_improvement(),
            "successful_changes": t.successes_in_period.copy(),
            "changes_improving_measure": t.changes_improving_measure.copy(),
            "changes_in_practice": changes_in_practice(self.ideas.matrix.record, self.ideas.count,
                                                       self.params.successful_change_threshold),
            "months_measured": t.measurements.copy(),
            "spread_adopted": self.unit_states.adopted.copy(),
            "leader_changed": t.leader_changes > 0,
        }

    def month_end(self) -> None:
        """The month ends: every module's ``month_end`` (report, exchange, spread, benefits), then the
        month's row of the team table and the series."""
        self.report_month += 1
        for month_end in self.hooks.month_end:
            month_end(self.report_month)
        if self.report_month == self.calendar.end_month:
            self.end_snapshot["ihi_score_end"] = self.team_states.ihi_score.copy()
        self._record_month(self.report_month)

    def _record_month(self, month: int) -> None:
        """The month's row of the team table, and of the series (the data collector's)."""
        performance_now = self.team_table.record(month)
        self.month = month
        self.active_teams, self.dropped_teams, ihi_total = headcount(self.team_states.record)
        self.mean_performance = float(performance_now.mean())
        self.mean_ihi_score = ihi_total / self.team_states.size
        self.cost_so_far = self.ledger.total()
        self.datacollector.collect(self)
        if month == self.calendar.months:
            self._summarise()

    def _summarise(self) -> None:
        """The run's outcomes, worked out once when its last month is recorded: kept for the result tables
        (:func:`sim.simulation.results`) and put on the data collector's last row -- with the seed -- so that
        ``mesa.batch_run`` returns them with the run (earlier rows hold NaN)."""
        from qicsim.sim.outcomes import summarise, team_outcomes

        self.outcomes = team_outcomes(self)
        self.summary = summarise(self.outcomes, self)
        rows = len(self.datacollector.model_vars[SERIES[0]])
        for key, value in {"seed": self.seed, **self.summary}.items():
            self.datacollector.model_vars[key] = [math.nan] * (rows - 1) + [value]

    # ---- model-level state ----
    @property
    def total_cost(self) -> float:
        """Costs so far in the scenario's perspective and currency, undiscounted."""
        return self.ledger.total()


class OrganisationAgents(Sequence):
    """``model.organisations``: every organisation as a Mesa :class:`~sim.agents.Organisation` agent (a view of its
    row of ``organisation_states``), in index order. A participating organisation's agent is made with the model
    (its team holds it); another's -- a target of spread only, which no mechanism reads as an agent -- when first
    asked for, so that a health system of 100,000 organisations does not register 200,000 Mesa agents (each
    organisation and its senior leader; about 1.5 s)."""

    def __init__(self, model: CollaborativeModel, size: int, participating: int) -> None:
        self._model = model
        self._agents: list[Organisation | None] = [Organisation(model, i) for i in range(participating)]
        self._agents += [None] * (size - participating)

    def __len__(self) -> int:
        return len(self._agents)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]  # a negative index counts from the end; out of range: IndexError
        agent = self._agents[i]
        if agent is None:
            agent = self._agents[i] = Organisation(self._model, i, participating=False)
        return agent


def seed_of(rng: Any) -> int:
    """The run's seed from what Mesa's ``rng`` may be: an int seed as it is; a numpy Generator gives one draw;
    None (left out) a fresh 32-bit seed from the operating system's entropy (numpy's SeedSequence), never the
    clock."""
    if rng is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**32))
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer) or rng < 0:
        raise ValueError(f"rng = {rng!r}: a seed is a non-negative whole number (or a numpy Generator, or None)")
    return int(rng)


@njit(cache=True)
def changes_in_practice(ideas, count, threshold):  # pragma: no cover - compiled
    """Each team's adopted changes still practised at least ``threshold`` (its own compliance indicator)."""
    out = np.zeros(ideas.shape[0], np.int64)
    for i in range(ideas.shape[0]):
        for j in range(count):
            out[i] += ideas.adopted[i, j] and ideas.in_use[i, j] >= threshold
    return out


@njit(cache=True)
def headcount(t):  # pragma: no cover - compiled
    """Teams still in, teams dropped out, and the sum of the teams' IHI scores."""
    active = 0
    dropped = 0
    ihi = 0.0
    for i in range(t.shape[0]):
        active += t.status[i] < COMPLETED
        dropped += t.status[i] == DROPPED
        ihi += t.ihi_score[i]
    return active, dropped, ihi
