"""What the collaborative's optional components share (coaching, group calls, benchmark reports, a forum):
which teams take part in a month of the collaborative and for how much of it, and the effect of several
events in a month.

The components act at a month's end, for the month that has passed, and only in the collaborative's weeks:
a month that the collaborative's end cuts short counts for the share of a month it has before the end (in
weeks, over the weeks of an average month), whether the run's follow-up goes on or not. The end comes
first in its week (its teams are then ``COMPLETED``), but the last month's calls, reports and posts happened
while they were still in -- so in the month that holds the end, the teams that completed count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qicsim.sim.module import WEEKS_PER_MONTH
from qicsim.sim.populations import COMPLETED

if TYPE_CHECKING:
    from qicsim.sim.model import CollaborativeModel


def collaborative_month(model: CollaborativeModel, month: int) -> tuple[np.ndarray, float]:
    """The teams in the collaborative during month ``month`` (indices) and how many months of the
    collaborative that month holds (its weeks up to the collaborative's end, over the weeks of an average
    month). No teams and 0 after the end, and for a comparator (the components belong to a collaborative)."""
    calendar = model.calendar
    if model.mode != "collaborative" or month < 1:
        return np.empty(0, np.int64), 0.0
    last = calendar.month_end_weeks[month - 1]
    first = calendar.month_end_weeks[month - 2] + 1 if month > 1 else 1
    weeks_inside = min(last, calendar.end_week) - first + 1
    if weeks_inside <= 0:
        return np.empty(0, np.int64), 0.0
    status = model.team_states.status
    teams = np.flatnonzero(status <= COMPLETED if last >= calendar.end_week else status < COMPLETED)
    return teams, weeks_inside / WEEKS_PER_MONTH


def repeated(share: float, times: float) -> float:
    """The share of a gap closed by ``times`` events that each close ``share`` of what is left."""
    return 1.0 - (1.0 - share) ** times
