"""What a collaborative costs and what it gains, in money and health, discounted as economists do.

Costs fall into categories that belong to one of two perspectives:

- **programme** (the sponsor's budget, what reports such as 'the orthopaedic collaborative cost
  GBP 750,000' count): organisers and facilitators, faculty, meeting venues and travel, and any
  funding the sponsor gives local projects;
- **health system** (the programme plus what the participating organisations spend): staff time at
  meetings, team project time, data collection, and upkeep of changes after the end.

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

import numpy as np
from numba import njit

from sim.parameters import Scenario

HOURS_PER_DAY = 8.0
WEEKS_PER_YEAR = 52.0

PROGRAMME = ("organisers", "faculty", "venue_and_travel", "local_funding")
"""Cost categories the sponsor pays."""
HEALTH_SYSTEM = (*PROGRAMME, "meeting_staff_time", "team_time", "data_collection", "upkeep", "spread")
"""All cost categories: the programme plus the participating organisations' own resources (a
category's position is its column in :class:`Ledger`'s arrays)."""
ORGANISERS, LOCAL_FUNDING, TEAM_TIME, DATA_COLLECTION, UPKEEP, SPREAD = (
    HEALTH_SYSTEM.index(c) for c in ("organisers", "local_funding", "team_time", "data_collection", "upkeep", "spread"))
BENEFITS = ("health_gain", "savings", "qalys")
"""What :class:`Ledger` counts as benefit: measure units x patients (e.g. bed-days saved), undiscounted;
money saved and QALYs gained, discounted."""
WEEKLY_RATES = ("organisers", "organisers_per_team", "local_funding_per_team", "data_collection_per_team",
                "upkeep_per_team")
"""The running costs of one week, per team where so named (:func:`weekly_cost_rates`, :func:`book_week`)."""


def discount_factor(rate_per_year: float, years: float) -> float:
    """Present value of one unit ``years`` from enrolment at an annual discount rate."""
    return (1.0 + rate_per_year) ** (-years)


def meeting_costs(s: Scenario, days: float, attending_teams: int) -> dict[str, float]:
    """One meeting: faculty days, attendees' venue and travel, and attendees' time."""
    attendee_days = days * attending_teams * s.attendees_per_team
    return {
        "faculty": days * s.faculty_experts * s.faculty_cost_per_day,
        "venue_and_travel": attendee_days * s.travel_venue_per_attendee_day,
        "meeting_staff_time": attendee_days * s.wage_per_day,
    }


def spread_cost_per_team_month(s: Scenario) -> float:
    """A month of one team's time on spread (as far as it is planned) and its internal collaborative."""
    cost = s.spread_planning * s.spread_hours_per_team_month * s.wage_per_day / HOURS_PER_DAY
    return cost + (s.internal_collaborative_cost_per_month if s.internal_collaborative else 0.0)


def team_week_cost(s: Scenario, staff_time_hours: float, share: float = 1.0) -> float:
    """One week of a team's project time (``share`` of its full protected time)."""
    return share * staff_time_hours * s.team_members * s.wage_per_day / HOURS_PER_DAY


def weekly_cost_rates(s: Scenario) -> np.ndarray:
    """The week's running costs (as :data:`WEEKLY_RATES`): the organisers and the sponsor's funding of
    local projects while a collaborative runs, data collection, and upkeep of changes after the end."""
    hourly = s.wage_per_day / HOURS_PER_DAY
    per_week = 12.0 / WEEKS_PER_YEAR
    collaborative = s.mode == "collaborative"
    return np.array([
        per_week * s.organiser_cost_per_month * collaborative,
        per_week * s.organiser_cost_per_team_per_month * collaborative,
        per_week * s.local_funding_per_team_per_month * collaborative,
        per_week * s.data_collection_hours_per_month * hourly,
        s.upkeep_hours_per_week * hourly,
    ])


@njit(cache=True)
def book_week(costs, discounted, discount, follow_up, rates, active_teams, team_time, collecting,
              keeping):  # pragma: no cover - compiled
    """Book one week's running costs (``rates`` as :data:`WEEKLY_RATES`) into a ledger's arrays: the
    organisers and local funding while the collaborative runs, the teams' time and data collection,
    upkeep by teams that keep changes after the end. ``discount``: the week's discount factor."""
    if not follow_up:
        book(costs, discounted, ORGANISERS, rates[0] + active_teams * rates[1], discount)
        book(costs, discounted, LOCAL_FUNDING, active_teams * rates[2], discount)
    else:
        book(costs, discounted, UPKEEP, keeping * rates[4], discount)
    book(costs, discounted, TEAM_TIME, team_time, discount)
    book(costs, discounted, DATA_COLLECTION, collecting * rates[3], discount)


@njit(cache=True)
def book_benefit(benefits, improvement_units, months, discount, patients_per_team_per_year, savings_per_unit,
                 qalys_per_unit):  # pragma: no cover - compiled
    """Book ``months`` of an improvement of ``improvement_units`` into a ledger's ``benefits`` (as
    :data:`BENEFITS`); ``discount``: the factor of the month it ends."""
    gain = improvement_units * patients_per_team_per_year * months / 12.0
    benefits[0] += gain
    benefits[1] += gain * savings_per_unit * discount
    benefits[2] += gain * qalys_per_unit * discount


@njit(cache=True)
def book(costs, discounted, category, amount, discount):  # pragma: no cover - compiled
    """Book a cost into a ledger's arrays; ``discount``: the factor of the week it falls in."""
    costs[category] += amount
    discounted[category] += amount * discount


class Ledger:
    """Running, discounted totals of costs by category (arrays in :data:`HEALTH_SYSTEM`'s order) and of
    benefits (as :data:`BENEFITS`), for one run; arrays, so that the compiled passes book into them."""

    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.costs = np.zeros(len(HEALTH_SYSTEM))
        self.costs_discounted = np.zeros(len(HEALTH_SYSTEM))
        self.benefits = np.zeros(len(BENEFITS))
        self._discount_factors: dict[float, float] = {}
        self.benefit_rates = (s.patients_per_team_per_year, s.savings_per_unit, s.qalys_per_unit)

    @property
    def health_gain(self) -> float:
        """Measure units x patients (e.g. bed-days saved), undiscounted."""
        return float(self.benefits[0])

    @property
    def savings(self) -> float:
        """Money saved, discounted."""
        return float(self.benefits[1])

    @property
    def qalys(self) -> float:
        """QALYs gained, discounted."""
        return float(self.benefits[2])

    def discount(self, years: float) -> float:
        """:func:`discount_factor` at the scenario's rate, worked out once for each point in time."""
        factor = self._discount_factors.get(years)
        if factor is None:
            factor = self._discount_factors[years] = discount_factor(self.s.discount_rate_per_year, years)
        return factor

    @property
    def cost(self) -> dict[str, float]:
        """Costs so far by category, undiscounted."""
        return dict(zip(HEALTH_SYSTEM, self.costs.tolist(), strict=True))

    @property
    def cost_discounted(self) -> dict[str, float]:
        """Costs so far by category, discounted to enrolment."""
        return dict(zip(HEALTH_SYSTEM, self.costs_discounted.tolist(), strict=True))

    def add(self, category: str, amount: float, week: float) -> None:
        """Book a cost incurred in a given week."""
        if category not in HEALTH_SYSTEM:
            raise KeyError(f"unknown cost category {category!r}")
        book(self.costs, self.costs_discounted, HEALTH_SYSTEM.index(category), amount,
             self.discount(week / WEEKS_PER_YEAR))

    def add_costs(self, amounts: dict[str, float], week: float) -> None:
        for category, amount in amounts.items():
            self.add(category, amount, week)

    def add_benefit(self, improvement_units: float, months: float, month: float) -> None:
        """Book ``months`` of an improvement of ``improvement_units`` for one team, ending at ``month``."""
        book_benefit(self.benefits, improvement_units, months, self.discount(month / 12.0), *self.benefit_rates)

    def total(self, discounted: bool = False, perspective: str | None = None) -> float:
        """Total cost in a perspective (default: the scenario's ``cost_perspective``)."""
        amounts = self.costs_discounted if discounted else self.costs
        return float(amounts[: self.counted(perspective)].sum())

    def counted(self, perspective: str | None = None) -> int:
        """How many categories, from the first, a perspective counts (default: the scenario's)."""
        return len(PROGRAMME) if (perspective or self.s.cost_perspective) == "programme" else len(HEALTH_SYSTEM)

    def net_monetary_benefit(self) -> float:
        """Discounted QALYs at the willingness-to-pay plus savings, minus discounted cost,
        against no change from baseline."""
        return self.s.willingness_to_pay * self.qalys + self.savings - self.total(discounted=True)
