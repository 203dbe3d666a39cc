"""The IHI assessment scale (0.5-5.0 in half steps), derived each month from a team's state.

The scale is the one IHI collaboratives use for monthly self-assessment (IHI Breakthrough Series
white paper 2003; paper: 'many studies only report self-assessment by teams ... using the IHI
rating scale'). Progress is judged on the team's own *measured* data, so a team without data
cannot score above 2.5 however well it really does.
"""

from __future__ import annotations

from numba import njit

MODEST = 0.2  # "modest improvement (~20% of goal)"
IMPROVEMENT = 0.35  # "improvement": between modest and significant
SIGNIFICANT = 0.5  # "significant improvement (>= 50% of goal)"
SUSTAINED_MONTHS = 3  # 4.5: "sustained impact beginning"
OUTSTANDING_MONTHS = 6  # 5.0: "outstanding sustainable results, all goals met"


@njit(cache=True)
def ihi_score(formed: bool, planned: bool, has_baseline: bool, tests_run: int, progress: float,
              months_at_goal: int, months_at_half_goal: int) -> float:  # pragma: no cover - compiled
    """The IHI score a team's state earns this month (``progress`` NaN: no progress data yet).

    0.5 intent to participate · 1.0 team formed · 1.5 planning · 2.0 activity, baseline data ·
    2.5 changes tested, no improvement · 3.0 modest improvement · 3.5 improvement ·
    4.0 significant improvement · 4.5 sustained impact beginning · 5.0 outstanding results.
    """
    if not formed:
        return 0.5
    if not planned:
        return 1.0
    if not has_baseline:
        return 1.5
    if tests_run == 0:
        return 2.0
    if not progress >= MODEST:  # NaN too: no data, no claim of improvement
        return 2.5
    if progress < IMPROVEMENT:
        return 3.0
    if progress < SIGNIFICANT:
        return 3.5
    if months_at_goal >= OUTSTANDING_MONTHS:
        return 5.0
    if months_at_half_goal >= SUSTAINED_MONTHS:
        return 4.5
    return 4.0
