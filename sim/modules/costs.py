"""What a collaborative costs and what it gains, in money and health, discounted as economists do.

Costs fall into categories that belong to one of two perspectives:

- **programme** (the sponsor's budget, what reports such as 'the orthopaedic collaborative cost
  GBP 750,000' count): organisers and facilitators, faculty, meeting venues and travel, and any
  funding the sponsor gives local projects;
- **health system** (the programme plus what the participating organisations spend): staff time at
  meetings, team project time, data collection, upkeep of changes after the end, and spread.

``cost_perspective`` chooses which one ``total_cost`` (and ``net_monetary_benefit``) reports; the
cost-effectiveness analysis always takes the health-system perspective, so that a comparator's
own staff time is not hidden from the comparison. The paper: 'collaboratives are expensive,
mostly because of the costs of meeting three or more times for 2-3 days'; Sathe et al. 2016:
62-88% of a diabetes QIC's cost was labour.

Benefits: each month a team's improvement on its own baseline (in the measure's units) counts for
``patients_per_team_per_year / 12`` patients, valued at ``savings_per_unit`` (money, counted as
a cost offset) and ``qalys_per_unit``. They are counted to the end of follow-up, so improvement
that decays after the end loses benefit (paper, key messages: cost-effectiveness 'depends on
whether a team sustains improvement').
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit

from qicsim.sim.module import (
    HOURS_PER_DAY,
    MONTHS_PER_YEAR,
    WEEKS_PER_YEAR,
    Module,
    Par,
    define_pars,
    define_states,
    team_state,
)
from qicsim.sim.modules.measurement import improvements
from qicsim.sim.populations import COMPLETED, record_dtype
from qicsim.sim.sources import IHI_BTS, PAPER

PROGRAMME = ("organisers", "faculty", "venue_and_travel", "local_funding", "coaching", "site_visits", "group_calls",
             "benchmarking", "forum")
"""Cost categories the sponsor pays: the central team, the sessions, local funding, and the optional components
(:mod:`sim.modules.coaching`, :mod:`sim.modules.group_calls`, :mod:`sim.modules.benchmarking`,
:mod:`sim.modules.online_forum`), each booked by its own module."""
HEALTH_SYSTEM = (*PROGRAMME, "meeting_staff_time", "team_time", "data_collection", "upkeep", "spread")
"""All cost categories: the programme plus the participating organisations' own resources."""
BENEFITS = ("health_gain", "savings", "qalys")
"""What :class:`Ledger` counts as benefit: measure units x patients (e.g. bed-days saved), undiscounted;
money saved and QALYs gained, discounted."""


def discount_factor(rate_per_year: float, years: float) -> float:
    """Present value of one unit ``years`` from enrolment at an annual discount rate."""
    return (1.0 + rate_per_year) ** (-years)


LEDGER = (*HEALTH_SYSTEM, *(f"{c}_discounted" for c in HEALTH_SYSTEM), *BENEFITS)
"""The ledger's entries: every cost category undiscounted and discounted, and the benefits."""


class Ledger:
    """Running, discounted totals of costs by category and of benefits, for one run: a one-row record
    (``record[0].team_time``), which compiled kernels book into by name, as Python does here."""

    def __init__(self, s) -> None:
        self.s = s
        self.record = np.zeros(1, dtype=record_dtype((name, np.float64) for name in LEDGER))
        self.values = self.record.view(np.float64)  # the same entries, in the order of LEDGER
        self.place = {name: k for k, name in enumerate(LEDGER)}
        self.place_discounted = {c: self.place[f"{c}_discounted"] for c in HEALTH_SYSTEM}
        counted = PROGRAMME if s.cost_perspective == "programme" else HEALTH_SYSTEM
        self._counted = np.array([self.place[c] for c in counted])
        if numba.config.DISABLE_JIT:
            self.record = self.record.view(np.recarray)

    def entry(self, name: str) -> float:
        return float(self.values[self.place[name]])

    @property
    def health_gain(self) -> float:
        """Measure units x patients (e.g. bed-days saved), undiscounted."""
        return self.entry("health_gain")

    @property
    def savings(self) -> float:
        """Money saved, discounted."""
        return self.entry("savings")

    @property
    def qalys(self) -> float:
        """QALYs gained, discounted."""
        return self.entry("qalys")

    def discount(self, years: float) -> float:
        """:func:`discount_factor` at the scenario's rate."""
        return discount_factor(self.s.discount_rate_per_year, years)

    @property
    def cost(self) -> dict[str, float]:
        """Costs so far by category, undiscounted."""
        return {c: self.entry(c) for c in HEALTH_SYSTEM}

    @property
    def cost_discounted(self) -> dict[str, float]:
        """Costs so far by category, discounted to enrolment."""
        return {c: self.entry(f"{c}_discounted") for c in HEALTH_SYSTEM}

    def add(self, category: str, amount: float, week: float) -> None:
        """Book a cost incurred in a given week."""
        self.add_costs({category: amount}, week)

    def add_costs(self, amounts: dict[str, float], week: float) -> None:
        """Book several costs incurred in a given week."""
        discount = self.discount(week / WEEKS_PER_YEAR)
        values, place = self.values, self.place
        for category, amount in amounts.items():
            if category not in HEALTH_SYSTEM:
                raise KeyError(f"unknown cost category {category!r}")
            values[place[category]] += amount
            values[self.place_discounted[category]] += amount * discount

    def add_benefit(self, improvement_units: float, month: float) -> None:
        """Book one month of an improvement of ``improvement_units`` (summed over teams or units),
        the month ending at ``month``."""
        s = self.s
        gain = improvement_units * s.patients_per_team_per_year / MONTHS_PER_YEAR
        discount = self.discount(month / MONTHS_PER_YEAR)
        values, place = self.values, self.place
        values[place["health_gain"]] += gain
        values[place["savings"]] += gain * s.savings_per_unit * discount
        values[place["qalys"]] += gain * s.qalys_per_unit * discount

    def total(self, discounted: bool = False, perspective: str | None = None) -> float:
        """Total cost in a perspective (default: the scenario's ``cost_perspective``)."""
        if perspective is None and not discounted:
            return float(self.values[self._counted].sum())
        counted = PROGRAMME if (perspective or self.s.cost_perspective) == "programme" else HEALTH_SYSTEM
        return sum(self.entry(f"{c}_discounted" if discounted else c) for c in counted)

    def net_monetary_benefit(self) -> float:
        """Discounted QALYs at the willingness-to-pay plus savings, minus discounted cost,
        against no change from baseline."""
        return self.s.willingness_to_pay * self.qalys + self.savings - self.total(discounted=True)


class Costs(Module):
    """Books the week's running costs, each meeting's costs and each month's benefits."""

    name = "costs"
    section = "costs"
    pars = define_pars(
        Par("attendees_per_team", 3, unit="people", section="design", kind="design",
            source=f"{IHI_BTS}: each team sends about three members", doc="members attending each session",
            ge=1, le=20),
        Par("team_members", 6, unit="people", section="design", kind="design",
            source=f"{PAPER}, challenge 3: leader, clinician, opinion leader, quality specialist (+ others)",
            doc="members of a site project team", ge=1, le=40),
        Par("currency", "USD", unit="ISO 4217", source="assumption", kind="design", pattern=r"^[A-Z]{3}$",
            doc="currency of all money figures (a three-letter ISO 4217 code, e.g. USD, GBP, EUR)"),
        Par("price_year", 2002, unit="year", source=f"{PAPER}: year of publication", doc="price year of unit costs",
            ge=1990, le=2100, kind="design"),
        Par("wage_per_day", 400.0, unit="currency/person-day",
            source="assumption: blended clinician and manager salary with on-costs",
            doc="cost of one person-day of staff time", ge=0, le=10000, kind="design"),
        Par("travel_venue_per_attendee_day", 250.0, unit="currency/person-day",
            source="assumption: travel, lodging and venue per attendee and day",
            doc="meeting cost per attendee and day beyond wages", ge=0, le=10000, kind="design"),
        Par("cost_perspective", "health_system", unit="choice", kind="definition",
            source="health-economic convention (health-system perspective); 'programme' = the sponsor's budget, "
                   "which is what the paper's reported costs count",
            doc="which costs total_cost counts: the sponsor's programme only, or the whole health system",
            choices=("health_system", "programme")),
        Par("organiser_cost_per_month", 15000.0, unit="currency/month", kind="design",
            source="calibrated: with the other unit costs, uk-orthopaedic's programme costs GBP 750,000 (paper)",
            doc="central programme team (director, facilitators, administration) while the collaborative runs",
            ge=0, le=1e7),
        Par("organiser_cost_per_team_per_month", 400.0, unit="currency/team/month", kind="design",
            source="assumption: facilitator visits, calls and reports per team",
            doc="organisers' support per enrolled, active team", ge=0, le=1e6),
        Par("faculty_experts", 6, unit="experts", source=f"{IHI_BTS}: 5-8 faculty experts", kind="design",
            doc="faculty at each learning session", ge=0, le=100),
        Par("faculty_cost_per_day", 1500.0, unit="currency/expert-day", kind="design",
            source="assumption: fee and expenses of a clinical or improvement expert",
            doc="cost of one faculty expert for one day", ge=0, le=1e5),
        Par("local_funding_per_team_per_month", 0.0, unit="currency/team/month", kind="design",
            source="assumption: none by default; some sponsors fund local project managers (uk-cancer)",
            doc="sponsor's funding of local project staff per active team", ge=0, le=1e6),
        Par("data_collection_hours_per_month", 8.0, unit="hours/team/month", kind="design",
            source=f"assumption; {PAPER}, challenge 8: teams must 'find a cost effective way to collect' data",
            doc="staff time a team spends collecting and reporting data", ge=0, le=200),
        Par("upkeep_hours_per_week", 1.0, unit="hours/team/week", kind="design",
            source="assumption: keeping adopted changes going after the end",
            doc="staff time after the end spent maintaining changes still in use", ge=0, le=40),
        Par("discount_rate_per_year", 0.035, unit="per year", section="benefits", kind="definition",
            source="NICE reference case: 3.5% a year for costs and effects",
            doc="discount rate for costs and benefits", ge=0, le=0.2),
        Par("patients_per_team_per_year", 500.0, unit="patients/team/year", section="benefits", kind="design",
            source="assumption: patients a team's unit treats in a year",
            doc="patients whose care the measure describes, per team and year", ge=0, le=1e7),
        Par("savings_per_unit", 0.0, unit="currency/(measure unit x patient)", section="benefits", kind="design",
            source="assumption: none for the generic index; e.g. the cost of a bed-day for length of stay",
            doc="money saved per unit of improvement per patient (a cost offset)", ge=-1e6, le=1e6),
        Par("qalys_per_unit", 0.016, unit="QALY/(measure unit x patient)", section="benefits", kind="design",
            source="calibrated for the generic index: breakthrough's ICER against no intervention is of the order "
                   "Huang et al. 2007 report for a QIC (about USD 33,000/QALY)",
            doc="quality-adjusted life years gained per unit of improvement per patient", ge=0, le=100),
        Par("willingness_to_pay", 30000.0, unit="currency/QALY", section="benefits", kind="definition",
            source="NICE threshold GBP 20,000-30,000 per QALY; Huang et al. 2007 ICER about USD 33,000/QALY",
            doc="willingness to pay for one QALY, for net monetary benefit", ge=0, le=1e7),
    )
    states = define_states(
        team_state("project_week_cost", 0.0, "what a week of the team's project time costs (its members' "
                                             "protected time at the wage)"),
    )
    reads = ("status", "formed", "using_qi", "staff_time_hours", "in_use", "drift", "baseline")
    writes = ("project_week_cost",)

    def init(self) -> None:
        p, model = self.p, self.model
        t = model.team_states
        # a week of a team's project time: its members' protected time
        t.project_week_cost[:] = (model.organisation_states.staff_time_hours[: t.size] * p.team_members
                                  * p.wage_per_day / HOURS_PER_DAY)

    def step(self) -> None:
        """The week's running costs: organisers and the sponsor's local funding while a collaborative
        runs, the teams' project time and data collection, upkeep of changes kept after the end."""
        model = self.model
        if model.mode != "none":
            ideas = model.ideas
            book_week(model.team_states.record, ideas.matrix.record, ideas.count, model.ledger.record, model.pars,
                      model.week, model.follow_up, model.mode == "collaborative")

    def meeting(self, days: float, teaching: bool) -> None:
        """One meeting: faculty days, attendees' venue and travel (none by video), and attendees' time."""
        p, model = self.p, self.model
        attending = int(np.count_nonzero(model.team_states.status < COMPLETED))
        costs = meeting_costs(p, days, attending)
        if p.session_format == "virtual":
            costs["venue_and_travel"] = 0.0
        model.ledger.add_costs(costs, model.week)

    def month_end(self, month: int) -> None:
        """The month's benefit: each team's improvement on its baseline, as it stood through the month."""
        model = self.model
        ideas = model.ideas
        gained_units = improvements(model.team_states.record, ideas.matrix.record, ideas.catalogue.record,
                                    ideas.count, model.pars)
        model.ledger.add_benefit(float(gained_units.sum()), month)


def meeting_costs(p, days: float, attending_teams: int) -> dict[str, float]:
    """One meeting: faculty days, attendees' venue and travel, and attendees' time."""
    attendee_days = days * attending_teams * p.attendees_per_team
    return {
        "faculty": days * p.faculty_experts * p.faculty_cost_per_day,
        "venue_and_travel": attendee_days * p.travel_venue_per_attendee_day,
        "meeting_staff_time": attendee_days * p.wage_per_day,
    }


def hourly_wage(p) -> float:
    """What an hour of a team member's time costs."""
    return p.wage_per_day / HOURS_PER_DAY


@njit(cache=True)
def book_week(t, ideas, count, ledger, pars, week, follow_up, collaborative):  # pragma: no cover - compiled
    """Book what a week costs into the ``ledger`` record: the teams' project time (in full while working,
    at the follow-up's share while using QI after the end), data collection by teams that have formed or
    use QI, the organisers and the sponsor's local funding per team still in (a collaborative only),
    and after the end the upkeep of teams that completed and keep changes in use."""
    p, book = pars[0], ledger[0]
    discount = (1.0 + p.discount_rate_per_year) ** (-week / WEEKS_PER_YEAR)
    per_week = MONTHS_PER_YEAR / WEEKS_PER_YEAR
    hourly = p.wage_per_day / HOURS_PER_DAY
    active = 0
    team_time = 0.0
    collecting = 0
    keeping = 0
    for i in range(t.shape[0]):
        still = t.status[i] < COMPLETED
        active += still
        if still and not follow_up:
            team_time += t.project_week_cost[i]
        elif t.using_qi[i]:
            team_time += t.project_week_cost[i] * p.follow_up_test_share
        collecting += (still and t.formed[i]) or t.using_qi[i]
        if follow_up and t.status[i] == COMPLETED:
            for j in range(count):
                if ideas.in_use[i, j] > 0.0:
                    keeping += 1
                    break
    data_collection = collecting * per_week * p.data_collection_hours_per_month * hourly
    book.team_time += team_time
    book.team_time_discounted += team_time * discount
    book.data_collection += data_collection
    book.data_collection_discounted += data_collection * discount
    if follow_up:
        upkeep = keeping * p.upkeep_hours_per_week * hourly
        book.upkeep += upkeep
        book.upkeep_discounted += upkeep * discount
    elif collaborative:
        organisers = per_week * (p.organiser_cost_per_month + active * p.organiser_cost_per_team_per_month)
        local_funding = per_week * active * p.local_funding_per_team_per_month
        book.organisers += organisers
        book.organisers_discounted += organisers * discount
        book.local_funding += local_funding
        book.local_funding_discounted += local_funding * discount
