"""The collaborative as a Mesa model: one step is one week, from enrolment to the end of follow-up.

The calendar's fixed moments -- learning sessions, the final congress, the end of the
collaborative and each month's report -- are Mesa events scheduled at creation; the weekly step
runs what happens every week (action-period work, turnover, drop-out, sustain and decay).
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Any

import mesa
import numpy as np
from mesa.time import Priority

from sim import calendar as cal
from sim.agents import ChangeIdea, Organisation, Team, beta_around
from sim.calendar import Calendar
from sim.costs import HOURS_PER_DAY, Ledger, meeting_costs, team_week_cost
from sim.enrolment import draw_applicants, select_teams
from sim.network import Spread, TeamTies, UnitNetwork, organisation_graph
from sim.parameters import Scenario
from sim.scenario import validate

TEAM_COLUMNS: dict[str, str] = {
    "team_id": "team_id",
    "month": "month",
    "phase": "phase",
    "true_performance": "performance",
    "measured_performance": "last_measured",
    "ihi_score": "ihi_score",
    "motivation": "motivation",
    "knowledge": "knowledge",
    "capability": "capability",
    "cohesion": "cohesion",
    "data_capability": "data_capability",
    "senior_engagement": "senior_engagement",
    "changes_in_use": "changes_in_use",
    "tests_run": "tests_run",
    "status": "status",
    "using_qi": "using_qi",
}
"""Columns of the monthly team table and the Team attribute each reports."""


class CollaborativeModel(mesa.Model):
    """A quality improvement collaborative (or its comparator) with its teams and organisations.

    Build it from a scenario (``CollaborativeModel(load_scenario("ihi-ade"), rng=1)``) or from flat
    parameters on top of the defaults (``CollaborativeModel(teams=40, didactic_share=0.8, rng=1)``),
    which is what ``mesa.batch_run`` does.
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
        # Separate streams for who takes part, for the change package and for what happens week by
        # week, so that designs compared on one seed share their teams and organisations exactly
        # (common random numbers) however differently the weeks then unfold.
        self.population_rng = np.random.default_rng([rng, 1])
        self.package_rng = np.random.default_rng([rng, 2])
        network_rng = np.random.default_rng([rng, 3])
        self.spread_rng = np.random.default_rng([rng, 4])
        self._next_idea_id = s.change_package_size
        self.package = self._change_package()
        self.end_snapshot: dict[int, dict[str, float]] = {}

        self.organisations: list[Organisation] = []
        self.teams: list[Team] = []
        for a in select_teams(s, self.population_rng):
            org = Organisation(self, a["qi_culture"], a["senior_support"], a["strategic_importance"],
                               a["staff_time_hours"], a["data_infrastructure"], self.population_rng)
            team = Team(self, org, a, sent_by_management=bool(a["sent"]))
            if s.mode == "collaborative":
                for idea in self.package:
                    team.ideas[idea.idea_id] = self._localise(idea)
            self.organisations.append(org)
            self.teams.append(team)
        self._build_network(network_rng)
        # Weekly costs that stay the same for a whole run, worked out once; _book_weekly_costs books them.
        hourly = s.wage_per_day / HOURS_PER_DAY
        self._team_week_costs = [(team_week_cost(s, t.organisation.staff_time_hours),
                                  team_week_cost(s, t.organisation.staff_time_hours, s.follow_up_test_share))
                                 for t in self.teams]
        self._data_collection_per_week = cal.MONTHS_PER_YEAR / cal.WEEKS_PER_YEAR \
            * s.data_collection_hours_per_month * hourly
        self._upkeep_per_week = s.upkeep_hours_per_week * hourly
        self._end_month = self.calendar.end_month

        for w in self.calendar.session_weeks:
            self.schedule_event(self.learning_session, at=w, priority=Priority.LOW)
        if self.calendar.congress_week is not None:
            self.schedule_event(self.congress, at=self.calendar.congress_week, priority=Priority.LOW)
        self.schedule_event(self.end_of_collaborative, at=self.calendar.end_week, priority=Priority.DEFAULT)
        for w in sorted(set(self.calendar.month_end_weeks)):
            self.schedule_event(self.month_end, at=w, priority=Priority.LOW)

        self.datacollector = mesa.DataCollector(
            model_reporters={
                "month": "report_month",
                "active_teams": lambda m: sum(t.active for t in m.teams),
                "dropped_teams": lambda m: sum(t.status == "dropped" for t in m.teams),
                "mean_performance": lambda m: float(np.mean([t.performance for t in m.teams])),
                "mean_ihi_score": lambda m: float(np.mean([t.ihi_score for t in m.teams])),
                "cost_so_far": "total_cost",
            },
            # attrgetter: the same values as the attribute names, without a Python call per value
            agenttype_reporters={Team: {column: attrgetter(attribute) for column, attribute in TEAM_COLUMNS.items()}},
        )
        self.datacollector.collect(self)

    # ---- the network that carries spread (challenge 10) ----
    def _build_network(self, rng: np.random.Generator) -> None:
        """The organisation graph, the units of every organisation, and the ties between teams.

        Drawn from its own stream, after the participants, so that the teams are the same whatever
        the network; non-participating organisations are drawn like applicants who did not apply.
        """
        s = self.params
        graph = organisation_graph(s, rng)
        self.organisation_graph = graph
        for a in draw_applicants(s, rng, graph.size - len(self.teams)):
            self.organisations.append(Organisation(
                self, a["qi_culture"], a["senior_support"], a["strategic_importance"], a["staff_time_hours"],
                a["data_infrastructure"], rng, participating=False))
        self.units = UnitNetwork.build(graph, len(self.teams), s.internal_collaborative)
        org_culture = np.array([o.qi_culture for o in self.organisations])
        culture = np.clip(org_culture[self.units.org] + rng.normal(0, s.between_team_sd / 2, self.units.size), 0, 1)
        self.spread = Spread(self.units, culture, len(self.teams), s, self.spread_rng)
        self.ties = TeamTies(len(self.teams), graph.graph)
        self._team_index = {t.unique_id: i for i, t in enumerate(self.teams)}

    # ---- the change package (challenge 1) ----
    def _change_package(self) -> list[ChangeIdea]:
        """The faculty's change ideas: better with strong evidence and a narrow subject.

        Paper, challenge 1: choose 'a subject in which there is evidence of effective
        interventions' and real examples; for a broad subject 'there may not be clear or directly
        comparable examples of best practice, change concepts, or good research evidence'.
        """
        s = self.params
        quality = 0.2 + 0.6 * s.evidence_strength * (0.4 + 0.6 * s.subject_specificity)
        rng = self.package_rng
        return [
            ChangeIdea(i, float(beta_around(rng, quality, 0.12)), self._effect(rng), "package")
            for i in range(s.change_package_size)
        ]

    def _effect(self, rng: np.random.Generator, scale: float = 1.0) -> float:
        """Share of the remaining gap one change closes (lognormal around the scenario mean)."""
        s = self.params
        e = s.change_effect_mean * scale * math.exp(rng.normal(-0.125, 0.5))
        return min(0.9, e * (0.4 + 0.6 * s.subject_specificity))

    def _localise(self, idea: ChangeIdea) -> ChangeIdea:
        """A package idea in one team's setting: for a broad subject teams' settings differ more."""
        s = self.params
        q = idea.quality + self.package_rng.normal(0, 0.25 * (1 - s.subject_specificity))
        return ChangeIdea(idea.idea_id, float(min(0.99, max(0.01, q))), idea.effect, "package")

    def _new_idea_id(self) -> int:
        self._next_idea_id += 1
        return self._next_idea_id

    def own_idea(self, team: Team) -> ChangeIdea:
        """A change idea the team finds itself: better with capability, no peer testing behind it."""
        s = self.params
        q = s.own_idea_quality * (0.5 + team.capability) * (0.6 + 0.4 * s.evidence_strength)
        return ChangeIdea(self._new_idea_id(), float(min(0.95, q)), self._effect(self.rng, 0.7), "own")

    def peer_idea(self, team: Team, change: Any) -> ChangeIdea:
        """A peer's own successful change offered to a team that did not have the idea."""
        s = self.params
        q = s.own_idea_quality * (0.5 + team.capability)
        q += 0.5 * s.subject_specificity * (1 - q)
        return ChangeIdea(change.idea_id, float(min(0.95, q)), change.effect, "peer")

    # ---- the weekly step ----
    def step(self) -> None:
        """One week: organisations, then teams in a fixed order; then the week's costs."""
        self.week = self.steps
        follow_up = self.week > self.calendar.end_week
        for team in self.teams:
            team.organisation.week(follow_up)
        for team in self.teams:
            team.week()
        self._book_weekly_costs(follow_up)
        if self.week >= self.calendar.total_weeks:
            self.running = False

    def _book_weekly_costs(self, follow_up: bool) -> None:
        """Programme running costs while the collaborative runs; teams' time, data and upkeep."""
        s = self.params
        if s.mode == "none":
            return
        w = self.week
        per_week = cal.MONTHS_PER_YEAR / cal.WEEKS_PER_YEAR
        if s.mode == "collaborative" and not follow_up:
            active = sum(t.active for t in self.teams)
            self.ledger.add("organisers", per_week * (s.organiser_cost_per_month
                                                      + active * s.organiser_cost_per_team_per_month), w)
            self.ledger.add("local_funding", per_week * active * s.local_funding_per_team_per_month, w)
        team_time, data_collection, upkeep = [], [], []
        for team, (full_time, follow_up_time) in zip(self.teams, self._team_week_costs, strict=True):
            active = team.active
            if active and not follow_up:
                team_time.append(full_time)
            elif team.using_qi:
                team_time.append(follow_up_time)
            if (active and team.formed) or team.using_qi:
                data_collection.append(self._data_collection_per_week)
            if follow_up and team.status == "completed" and team.changes_in_use > 0:
                upkeep.append(self._upkeep_per_week)
        self.ledger.add_each("team_time", team_time, w)
        self.ledger.add_each("data_collection", data_collection, w)
        self.ledger.add_each("upkeep", upkeep, w)

    # ---- scheduled events ----
    def learning_session(self) -> None:
        """A learning session: teams learn, meet, share what worked; senior leaders re-engaged."""
        s = self.params
        attendees = [t for t in self.teams if t.active]
        self.ledger.add_costs(meeting_costs(s, s.session_days, len(attendees)), self.week)
        for team in attendees:
            team.attend_learning_session(s.session_days)
        for org in dict.fromkeys(t.organisation for t in attendees):
            org.re_engage()
        self.exchange(attendees)

    def congress(self) -> None:
        """The final congress: teams present their results and hear each other's."""
        s = self.params
        attendees = [t for t in self.teams if t.active]
        self.ledger.add_costs(meeting_costs(s, s.congress_days, len(attendees)), self.week)
        self.exchange(attendees)

    def meetings(self, attendees: list[Team]) -> list[tuple[Team, Team]]:
        """Pairs of teams that meet and talk at a session: new ties form, tied teams seek each other out."""
        present = np.array([self._team_index[t.unique_id] for t in attendees], dtype=np.int64)
        return [(self.teams[a], self.teams[b]) for a, b in self.ties.session(present, self.params, self.rng)]

    def informal_contacts(self) -> list[tuple[Team, Team]]:
        """Pairs of tied teams still working on QI that exchange this month outside the meetings."""
        engaged = np.array([i for i, t in enumerate(self.teams)
                            if (t.active and t.formed) or t.using_qi], dtype=np.int64)
        return [(self.teams[a], self.teams[b]) for a, b in self.ties.informal_contacts(engaged, self.params, self.rng)]

    def exchange(self, attendees: list[Team]) -> None:
        """Teams that meet pass on their working changes and motivate each other by example."""
        heard = {t.unique_id: 0 for t in attendees}
        for a, b in self.meetings(attendees):
            before_a, before_b = a.peer_examples, b.peer_examples
            a.learn_from_peer(b)
            b.learn_from_peer(a)
            heard[a.unique_id] += a.peer_examples - before_a
            heard[b.unique_id] += b.peer_examples - before_b
        for t in attendees:
            t.hear_peer_examples(heard[t.unique_id])

    def spread_month(self) -> None:
        """A month of contact between tied teams outside meetings, fading ties, and spread beyond.

        Between meetings (and after the end, in a community of practice) tied teams exchange;
        after the end ties fade. Units beyond the participants take up changes that work in a
        participating unit, and QI methods from teams that use them.
        """
        s = self.params
        if s.mode == "collaborative":
            # Outside the meetings tied teams pass on changes; the confidence a room of peers' stories
            # gives (hear_peer_examples) is the sessions' own.
            for a, b in self.informal_contacts():
                a.learn_from_peer(b)
                b.learn_from_peer(a)
            if self.week > self.calendar.end_week:
                self.ties.fade(s)
                support = self.ties.peer_support(np.array([t.using_qi for t in self.teams]))
                for team, value in zip(self.teams, support.tolist(), strict=True):
                    team.peer_support = value
        if s.mode == "none":
            return
        change_sources = np.array([t.changes_in_use >= 0.5 for t in self.teams], dtype=float)
        method_sources = np.array([t.capability if (t.active and t.formed) or t.using_qi else 0.0
                                   for t in self.teams])
        support = np.array([o.senior_engagement for o in self.organisations])
        self.spread.month(self.report_month, change_sources, method_sources, support)
        improvement = np.array([t.improvement_units for t in self.teams])
        self.ledger.add_benefit(self.spread.spread_improvement(improvement), months=1.0, month=self.report_month)
        self._book_spread_costs(method_sources > 0)

    def _book_spread_costs(self, working: np.ndarray) -> None:
        """Teams' time on spread (as far as it is planned) and internal collaboratives, while teams use QI."""
        s = self.params
        n = int(np.count_nonzero(working))
        hourly = s.wage_per_day / HOURS_PER_DAY
        cost = n * s.spread_planning * s.spread_hours_per_team_month * hourly
        if s.internal_collaborative:
            cost += n * s.internal_collaborative_cost_per_month
        if cost:
            self.ledger.add("spread", cost, self.week)

    def end_of_collaborative(self) -> None:
        """The collaborative (or project) ends: record each team's result; survivors complete."""
        for team in self.teams:
            if team.active:
                team.status = "completed"
                team.using_qi = self.params.mode != "none"
            self.end_snapshot[team.unique_id] = {
                "performance_end": team.performance,
                "relative_improvement": team.relative_improvement,
                "successful_changes": team.successes_in_period,
                "leader_changed": team.leader_changes > 0,
            }

    def month_end(self) -> None:
        """Each team reports its month; the data collector records the month."""
        self.report_month += 1
        month = self.report_month
        # The phase reported for the month; a comparator's project period is each team's own sub-phase.
        phase = self.calendar.month_phase(month)
        for team in self.teams:
            self.ledger.add_benefit(team.improvement_units, months=1.0, month=month)
            if phase != cal.PROJECT:
                team.phase = phase
            team.monthly_report(month)
            if month == self._end_month:
                self.end_snapshot[team.unique_id]["ihi_score_end"] = team.ihi_score
        self.spread_month()
        self.datacollector.collect(self)

    # ---- model-level state ----
    @property
    def total_cost(self) -> float:
        """Costs so far in the scenario's perspective and currency, undiscounted."""
        return self.ledger.total()
