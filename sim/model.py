"""The collaborative as a Mesa model: one step is one week, from enrolment to the end of follow-up.

The calendar's fixed moments -- learning sessions, the final congress, the end of the
collaborative and each month's report -- are Mesa events scheduled at creation; the weekly step
runs what happens every week (action-period work, turnover, drop-out, sustain and decay).
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
from mesa.time import Priority

from sim import calendar as cal
from sim import monthly, sessions, weekly
from sim.agents import LeaderCandidates, Organisation, Team, beta_around
from sim.calendar import Calendar
from sim.costs import Ledger
from sim.draws import Draws
from sim.enrolment import draw_applicants, select_teams
from sim.ideas import PACKAGE, Ideas
from sim.measurement import TeamTable, performance
from sim.network import Spread, TeamTies, UnitNetwork, organisation_graph
from sim.parameters import Scenario
from sim.scenario import validate
from sim.states import COMPLETED, OrganisationStates, TeamStates

SERIES = ("month", "active_teams", "dropped_teams", "mean_performance", "mean_ihi_score", "cost_so_far")
"""Columns of the monthly series (one row per month, month 0 = enrolment)."""


class SeriesCollector(mesa.DataCollector):
    """Mesa's data collector for the monthly series: model attributes that are plain numbers, taken
    as they are (Mesa's own ``collect`` deep-copies each value, in case it is a mutable object,
    which made collecting a tenth of a run's time)."""

    def collect(self, model: mesa.Model) -> None:
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for name in self.model_reporters:
            self.model_vars[name].append(getattr(model, name))


class CollaborativeModel(mesa.Model):
    """A quality improvement collaborative (or its comparator) with its teams and organisations.

    Build it from a scenario (``CollaborativeModel(load_scenario("ihi-ade"), rng=1)``) or from flat
    parameters on top of the defaults (``CollaborativeModel(teams=40, didactic_share=0.8, rng=1)``),
    which is what ``mesa.batch_run`` does.

    Teams, organisations and leaders are Mesa agents whose values live in arrays (``team_states``,
    ``organisation_states``), so that a week of every team is one compiled pass (:mod:`sim.weekly`),
    and so are each month's end (:mod:`sim.monthly`) and each meeting (:mod:`sim.sessions`).
    """

    def __init__(self, scenario: Scenario | None = None, *, rng: int | None = None, **params: Any) -> None:
        if rng is None:
            raise ValueError("rng: a seed (int) is required; qicsim never seeds from the clock")
        super().__init__(rng=rng)
        base = scenario if scenario is not None else Scenario()
        self.params: Scenario = validate({**base.model_dump(), **params}, origin=f"scenario '{base.name}'") \
            if params else base
        s = self.params
        self.calendar = Calendar.for_scenario(s)
        self.week = 0
        self.report_month = 0
        self.ledger = Ledger(s)
        # Separate streams for who takes part, for the change package, for the network and for what
        # happens week by week, so that designs compared on one seed share their teams and
        # organisations exactly (common random numbers) however differently the weeks then unfold.
        self.population_rng = np.random.default_rng([rng, 1])
        self.package_rng = np.random.default_rng([rng, 2])
        network_rng = np.random.default_rng([rng, 3])
        self.spread_rng = np.random.default_rng([rng, 4])
        self.end_snapshot: dict[str, np.ndarray] = {}

        # Who takes part, then the organisations around them (non-participating organisations are
        # drawn like applicants who did not apply); participants come first.
        applicants = select_teams(s, self.population_rng)
        graph = organisation_graph(s, network_rng)
        others = draw_applicants(s, network_rng, graph.size - len(applicants))
        self.organisation_states = OrganisationStates(applicants + others, s.self_assessment,
                                                      s.senior_engagement_decay_per_year, s.sustain_planning)
        self.team_states = TeamStates(applicants)
        package_quality, package_effect = self._change_package()
        self.ideas = Ideas(len(applicants), package_effect)
        self.organisations: list[Organisation] = []
        self.teams: list[Team] = []
        for i in range(len(applicants)):
            org = Organisation(self, i, self.population_rng)
            team = Team(self, i, org, self.population_rng)
            if s.mode == "collaborative":
                self._localise(i, package_quality)
            self.organisations.append(org)
            self.teams.append(team)
        self.organisations += [Organisation(self, len(applicants) + k, network_rng, participating=False)
                               for k in range(len(others))]
        self._build_network(graph, network_rng)
        self.draws = Draws(self.rng)  # what the compiled passes draw from the week-by-week stream
        self.leader_candidates = LeaderCandidates(s, self.rng)
        self.week_pass = weekly.WeekPass(self)
        self._month_phases = [self.calendar.month_phase(m) for m in range(self.calendar.months + 1)]
        self._end_month = self.calendar.end_month

        for w in self.calendar.session_weeks:
            self.schedule_event(self.learning_session, at=w, priority=Priority.LOW)
        if self.calendar.congress_week is not None:
            self.schedule_event(self.congress, at=self.calendar.congress_week, priority=Priority.LOW)
        self.schedule_event(self.end_of_collaborative, at=self.calendar.end_week, priority=Priority.DEFAULT)
        for w in sorted(set(self.calendar.month_end_weeks)):
            self.schedule_event(self.month_end, at=w, priority=Priority.LOW)

        # The month's series row: the model attributes of these names, worked out once a month.
        self.datacollector = SeriesCollector(model_reporters={name: name for name in SERIES})
        self.team_table = TeamTable(self.calendar.months + 1, len(self.teams))
        self.month_pass = monthly.MonthPass(self)
        self._record_month(self.team_table.record(self, 0), 0.0)

    # ---- the network that carries spread (challenge 10) ----
    def _build_network(self, graph: Any, rng: np.random.Generator) -> None:
        """The units of every organisation in the organisation graph, and the ties between teams.

        Drawn from its own stream, after the participants, so that the teams are the same whatever
        the network.
        """
        s = self.params
        self.organisation_graph = graph
        self.units = UnitNetwork.build(graph, len(self.teams), s.internal_collaborative)
        org_culture = self.organisation_states.qi_culture
        culture = np.clip(org_culture[self.units.org] + rng.normal(0, s.between_team_sd / 2, self.units.size), 0, 1)
        self.spread = Spread(self.units, culture, len(self.teams), s, self.spread_rng, self.calendar.months)
        self.ties = TeamTies(len(self.teams), graph.graph)

    # ---- the change package (challenge 1) ----
    def _change_package(self) -> tuple[list[float], list[float]]:
        """The faculty's change ideas, their quality and effect: better with strong evidence and a
        narrow subject.

        Paper, challenge 1: choose 'a subject in which there is evidence of effective
        interventions' and real examples; for a broad subject 'there may not be clear or directly
        comparable examples of best practice, change concepts, or good research evidence'.
        """
        s = self.params
        quality = 0.2 + 0.6 * s.evidence_strength * (0.4 + 0.6 * s.subject_specificity)
        rng = self.package_rng
        qualities, effects = [], []
        for _ in range(s.change_package_size):
            qualities.append(float(beta_around(rng, quality, 0.12)))
            e = s.change_effect_mean * math.exp(rng.normal(-0.125, 0.5))  # lognormal around the mean
            effects.append(min(0.9, e * (0.4 + 0.6 * s.subject_specificity)))
        return qualities, effects

    def _localise(self, team: int, package_quality: list[float]) -> None:
        """The package's ideas in one team's setting: for a broad subject teams' settings differ more."""
        s = self.params
        ideas = self.ideas
        for j, quality in enumerate(package_quality):
            q = quality + self.package_rng.normal(0, 0.25 * (1 - s.subject_specificity))
            ideas.quality[team, j] = min(0.99, max(0.01, q))
            ideas.source[team, j] = PACKAGE
            ideas.at_hand[team, j] = True
            ideas.found[team, j] = j
        ideas.found_count[team] = len(package_quality)

    # ---- every team's performance ----
    def remaining_gap(self) -> np.ndarray:
        """Each team's distance to best practice, in units of its baseline gap (1 = baseline): its
        drift times what its changes, as far as they are still practised, leave of it."""
        return self.team_states.drift * self.ideas.remaining_gap()

    def performance(self) -> np.ndarray:
        """Each team's true value of the measure: between best practice and the floor the drift allows."""
        return performance(self.params.best_practice_performance, self.remaining_gap(), self.team_states.baseline)

    def relative_improvement(self) -> np.ndarray:
        """Each team's improvement on its own baseline as a share of it (positive = better)."""
        baseline = self.team_states.baseline
        return (1.0 - self.remaining_gap()) * (baseline - self.params.best_practice_performance) / np.abs(baseline)

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

    # ---- the weekly step ----
    def step(self) -> None:
        """One week of every team and organisation, and its running costs (:func:`sim.weekly.week`)."""
        self.week = self.steps
        weekly.week(self)
        if self.week >= self.calendar.total_weeks:
            self.running = False

    # ---- scheduled events ----
    def learning_session(self) -> None:
        """A learning session: teams learn, meet, share what worked; senior leaders re-engaged
        (:func:`sim.sessions.meeting`)."""
        sessions.meeting(self, self.params.session_days, learning=True)

    def congress(self) -> None:
        """The final congress: teams present their results and hear each other's."""
        sessions.meeting(self, self.params.congress_days, learning=False)

    def end_of_collaborative(self) -> None:
        """The collaborative (or project) ends: record each team's result; survivors complete."""
        t = self.team_states
        staying = t.status < COMPLETED
        t.status[staying] = COMPLETED
        t.using_qi[staying] = self.params.mode != "none"
        self.end_snapshot = {
            "performance_end": self.performance(),
            "relative_improvement": self.relative_improvement(),
            "successful_changes": t.successes_in_period.copy(),
            "leader_changed": t.leader_changes > 0,
        }

    def month_end(self) -> None:
        """Each team reports its month, tied teams exchange, spread moves on, the month's benefits and
        spread costs are booked (:func:`sim.monthly.month_end`); the month's row is recorded."""
        self.report_month += 1
        series, cost_so_far = monthly.month_end(self)
        if self.report_month == self._end_month:
            self.end_snapshot["ihi_score_end"] = self.team_states.ihi_score.copy()
        self._record_month(series, cost_so_far)

    def _record_month(self, series: np.ndarray, cost_so_far: float) -> None:
        """The month's row of the series (the data collector's) from the team table's sums."""
        n = self.team_states.size
        self.month = self.report_month
        active, dropped, performance, ihi = series.tolist()
        self.active_teams, self.dropped_teams = int(active), int(dropped)
        self.mean_performance, self.mean_ihi_score = performance / n, ihi / n
        self.cost_so_far = cost_so_far
        self.datacollector.collect(self)

    # ---- model-level state ----
    @property
    def total_cost(self) -> float:
        """Costs so far in the scenario's perspective and currency, undiscounted."""
        return self.ledger.total()
