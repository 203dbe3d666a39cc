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

from sim.parameters import Scenario

WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12
DAYS_PER_WEEK = 7
WEEKS_PER_MONTH = WEEKS_PER_YEAR / MONTHS_PER_YEAR

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
