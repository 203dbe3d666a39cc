"""What a collaborative costs: meetings and team time (the cost-effectiveness issue refines it).

Meetings: sessions x days x attendees x (daily wage + travel and venue) -- the paper: 'collaboratives
are expensive, mostly because of the costs of meeting three or more times for 2-3 days'.
Team time: protected hours per member per week x members x wage, while a team works on the
project (Sathe et al. 2016: 62-88% of a QIC's cost is labour).
"""

from __future__ import annotations

from sim.parameters import Scenario

HOURS_PER_DAY = 8.0


def meeting_cost(s: Scenario, days: float, attending_teams: int) -> float:
    """Cost of one meeting of ``days`` days attended by ``attending_teams`` teams."""
    return days * attending_teams * s.attendees_per_team * (s.wage_per_day + s.travel_venue_per_attendee_day)


def team_week_cost(s: Scenario, staff_time_hours: float, share: float = 1.0) -> float:
    """Cost of one week of a team's project time (``share`` of its full protected time)."""
    return share * staff_time_hours * s.team_members * s.wage_per_day / HOURS_PER_DAY
