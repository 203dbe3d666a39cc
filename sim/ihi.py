"""The IHI assessment scale (0.5-5.0 in half steps), derived each month from a team's state.

The scale is the one IHI collaboratives use for monthly self-assessment (IHI Breakthrough Series
white paper 2003; paper: 'many studies only report self-assessment by teams ... using the IHI
rating scale'). Progress is judged on the team's own *measured* data, so a team without data
cannot score above 2.5 however well it really does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.agents import Team

MODEST = 0.2  # "modest improvement (~20% of goal)"
IMPROVEMENT = 0.35  # "improvement": between modest and significant
SIGNIFICANT = 0.5  # "significant improvement (>= 50% of goal)"
SUSTAINED_MONTHS = 3  # 4.5: "sustained impact beginning"
OUTSTANDING_MONTHS = 6  # 5.0: "outstanding sustainable results, all goals met"


def ihi_score(team: Team, progress: float | None) -> float:
    """The IHI score a team's state earns this month.

    0.5 intent to participate · 1.0 team formed · 1.5 planning · 2.0 activity, baseline data ·
    2.5 changes tested, no improvement · 3.0 modest improvement · 3.5 improvement ·
    4.0 significant improvement · 4.5 sustained impact beginning · 5.0 outstanding results.
    """
    if not team.formed:
        return 0.5
    if not team.planned:
        return 1.0
    if team.baseline_measured is None:
        return 1.5
    if team.tests_run == 0:
        return 2.0
    if progress is None or progress < MODEST:
        return 2.5
    if progress < IMPROVEMENT:
        return 3.0
    if progress < SIGNIFICANT:
        return 3.5
    if team.months_at_goal >= OUTSTANDING_MONTHS:
        return 5.0
    if team.months_at_half_goal >= SUSTAINED_MONTHS:
        return 4.5
    return 4.0
