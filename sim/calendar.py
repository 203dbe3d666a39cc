"""The calendar of a collaborative: which phase each week is in, and when months end.

One model step is one week; week 0 is enrolment and step ``w`` simulates week ``w``. A
Breakthrough Series runs pre-work, then learning session 1, action period 1, ..., learning
session n, action period n, a final congress, then the follow-up in which sustain and spread play
out (IHI Breakthrough Series white paper 2003). The comparators (``traditional`` and ``none``)
have a single project period of ``project_months`` before the same follow-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qicsim.sim.module import DAYS_PER_WEEK, MONTHS_PER_YEAR, WEEKS_PER_MONTH, WEEKS_PER_YEAR, Par, define_pars
from qicsim.sim.sources import IHI_BTS, PAPER

if TYPE_CHECKING:
    from qicsim.sim.parameters import Scenario

__all__ = ["DAYS_PER_WEEK", "MONTHS_PER_YEAR", "WEEKS_PER_MONTH", "WEEKS_PER_YEAR", "Calendar", "month_of", "weeks"]

PARS = define_pars(
    Par("mode", "collaborative", unit="choice", section="design",
        source=f"{PAPER}: the collaborative and its comparator, the traditional QI team",
        doc="collaborative = Breakthrough Series; traditional = comparator team; none = no intervention",
        choices=("collaborative", "traditional", "none"), kind="design"),
    Par("teams", 30, unit="teams", section="design", source=f"{IHI_BTS}: 12-160 teams",
        doc="number of teams that enrol", ge=1, le=500, prior=(12, 160), kind="design"),
    Par("prework_months", 2.0, unit="months", section="design",
        source=f"{IHI_BTS}: a pre-work period precedes learning session 1",
        doc="pre-work before the first learning session", ge=0, le=12, prior=(0.0, 4.0), kind="design"),
    Par("learning_sessions", 3, unit="sessions", section="design",
        source=f"{IHI_BTS}: typically three learning sessions", doc="number of learning sessions",
        ge=1, le=12, prior=(2, 5), kind="design"),
    Par("session_days", 2.0, unit="days", section="design",
        source=f"{IHI_BTS}: two-day sessions; {PAPER}: 1-3 days", doc="length of each learning session",
        ge=0.5, le=5, prior=(1.0, 3.0), kind="design"),
    Par("action_period_months", 3.0, unit="months", section="design",
        source=f"{IHI_BTS}: 6-15 months in all, sessions about 3 months apart",
        doc="action period after each learning session", ge=0.5, le=12, prior=(1.0, 6.0), kind="design"),
    Par("session_format", "in_person", unit="choice", section="design",
        source=f"{IHI_BTS}: in-person learning sessions; virtual collaboratives meet by video (e.g. the ECHO and "
               "virtual-breakthrough designs); NIATx 200's coaching-only arm had no sessions (Gustafson et al. 2013)",
        doc="in_person = sessions with travel; virtual = the same sessions by video (no travel, less practice, "
            "fewer ties); none = no learning sessions: their weeks are action-period weeks",
        choices=("in_person", "virtual", "none"), kind="design"),
    Par("congress_days", 1.0, unit="days", section="design", source="assumption: a one-day final congress",
        doc="final congress (0 = none)", ge=0, le=5, prior=(0.0, 2.0), kind="design"),
    Par("follow_up_months", 24.0, unit="months", section="design",
        source=f"{PAPER}: 'are improvements sustained 2 years after a collaborative?'",
        doc="follow-up after the end, in which sustain plays out", ge=0, le=120, prior=(0.0, 60.0), kind="design"),
    Par("start_month", 1, unit="month of the year", section="design",
        source="assumption: no built-in mechanism depends on the season; modules that do read it "
               "(CollaborativeModel.month_of_year)",
        doc="calendar month in which teams enrol (1 = January)", ge=1, le=12, kind="design"),
    Par("project_months", 24.0, unit="months", section="traditional",
        source="assumption: a traditional project runs two years before its follow-up",
        doc="length of a traditional project (its 'collaborative period')", ge=1, le=120, prior=(12.0, 36.0),
        kind="design"),
)
"""The calendar's parameters: the design of the collaborative (or the comparator's project) in time."""

PREWORK = "prework"
LEARNING_SESSION = "learning_session"
ACTION_PERIOD = "action_period"
CONGRESS = "congress"
FOLLOW_UP = "follow_up"
PROJECT = "project"  # the comparators' project period; each team's own sub-phase refines it
ORGANISING = "organising"
DIAGNOSIS = "diagnosis"
PHASES = (PREWORK, LEARNING_SESSION, ACTION_PERIOD, CONGRESS, FOLLOW_UP, PROJECT, ORGANISING, DIAGNOSIS)
"""Every phase; a phase's position is its code in arrays (``PHASES.index(ACTION_PERIOD)``)."""


def weeks(months: float) -> int:
    """Whole weeks in a span of months (rounded)."""
    return int(round(months * WEEKS_PER_MONTH))


def month_of(week: int) -> int:
    """The reporting month whose end first shows what happened in a week (week 0 = month 0).

    Month ``m`` closes at week ``round(m * 52 / 12)``, as in the monthly team table.
    """
    m = math.ceil(week / WEEKS_PER_MONTH)
    while m > 0 and round((m - 1) * WEEKS_PER_MONTH) >= week:
        m -= 1
    while round(m * WEEKS_PER_MONTH) < week:
        m += 1
    return m


@dataclass(frozen=True)
class Calendar:
    """Phases by week and the weeks on which learning sessions and month ends fall."""

    phase: tuple[str, ...]  # phase[w] for w = 1..total_weeks; phase[0] = enrolment
    session_weeks: tuple[int, ...]  # learning sessions, in order
    congress_week: int | None
    end_week: int  # last week of the collaborative (or project) period
    total_weeks: int
    month_end_weeks: tuple[int, ...]  # month_end_weeks[m - 1] closes month m

    @property
    def end_month(self) -> int:
        """Month at whose end the collaborative period is over."""
        return next(m for m, w in enumerate(self.month_end_weeks, start=1) if w >= self.end_week)

    @property
    def months(self) -> int:
        return len(self.month_end_weeks)

    def month_phase(self, month: int) -> str:
        """The phase reported for a month: a session or congress in it names it, else its last week."""
        if month == 0:
            return self.phase[0]
        last = self.month_end_weeks[month - 1]
        first = self.month_end_weeks[month - 2] + 1 if month > 1 else 1
        inside = self.phase[first : last + 1]
        for special in (CONGRESS, LEARNING_SESSION):
            if special in inside:
                return special
        return self.phase[last]

    @classmethod
    def for_scenario(cls, s: Scenario) -> Calendar:
        phase: list[str] = []
        sessions: list[int] = []
        congress: int | None = None
        if s.mode == "collaborative":
            phase += [PREWORK] * weeks(s.prework_months)
            action = max(1, weeks(s.action_period_months) - 1)  # the session takes one week
            for _ in range(s.learning_sessions):
                if s.session_format == "none":  # the session's week is one more week of testing at home
                    phase.append(ACTION_PERIOD)
                else:
                    phase.append(LEARNING_SESSION)
                    sessions.append(len(phase))
                phase += [ACTION_PERIOD] * action
            if s.congress_days > 0:
                phase.append(CONGRESS)
                congress = len(phase)
        else:
            phase += [PROJECT] * max(1, weeks(s.project_months))
        end = len(phase)
        phase += [FOLLOW_UP] * weeks(s.follow_up_months)
        total = len(phase)
        month_ends = []
        m = 1
        while round(m * WEEKS_PER_MONTH) <= total:
            month_ends.append(int(round(m * WEEKS_PER_MONTH)))
            m += 1
        if not month_ends or month_ends[-1] < total:  # the last, partial month still closes
            month_ends.append(total)
        first = PREWORK if s.mode == "collaborative" else PROJECT
        return cls(
            phase=(first, *phase),
            session_weeks=tuple(sessions),
            congress_week=congress,
            end_week=end,
            total_weeks=total,
            month_end_weeks=tuple(month_ends),
        )
