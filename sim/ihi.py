"""The IHI assessment scale (0.5-5.0 in half steps), derived each month from a team's state.

The scale is the one IHI collaboratives use for monthly self-assessment (IHI Breakthrough Series
white paper 2003; paper: 'many studies only report self-assessment by teams ... using the IHI
rating scale'). Progress is judged on the team's own *measured* data, so a team without data
cannot score above 2.5 however well it really does. The thresholds below are the scale's own
definitions (definitional constants, not parameters).
"""

from __future__ import annotations

from numba.extending import register_jitable

MODEST = 0.2  # "modest improvement (~20% of goal)"
IMPROVEMENT = 0.35  # "improvement": between modest and significant
SIGNIFICANT = 0.5  # "significant improvement (>= 50% of goal)"
GOAL = 1.0  # "all goals met"
SUSTAINED_MONTHS = 3  # 4.5: "sustained impact beginning"
OUTSTANDING_MONTHS = 6  # 5.0: "outstanding sustainable results, all goals met"
SCORES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
"""The scale's steps: 0.5 intent to participate · 1.0 team formed · 1.5 planning · 2.0 activity,
baseline data · 2.5 changes tested, no improvement · 3.0 modest improvement · 3.5 improvement ·
4.0 significant improvement · 4.5 sustained impact beginning · 5.0 outstanding results."""
(INTENT, FORMED, PLANNING, ACTIVITY, TESTED, MODEST_SCORE, IMPROVEMENT_SCORE, SIGNIFICANT_SCORE, SUSTAINED_SCORE,
 OUTSTANDING_SCORE) = SCORES
LOWEST = INTENT


@register_jitable
def ihi_score(formed: bool, planned: bool, has_baseline: bool, tests_run: int, progress: float,
              months_at_goal: int, months_at_half_goal: int) -> float:
    """The IHI score a team's state earns this month (``progress`` NaN: no progress data yet)."""
    if not formed:
        return INTENT
    if not planned:
        return FORMED
    if not has_baseline:
        return PLANNING
    if tests_run == 0:
        return ACTIVITY
    if not progress >= MODEST:  # NaN too: no data, no claim of improvement
        return TESTED
    if progress < IMPROVEMENT:
        return MODEST_SCORE
    if progress < SIGNIFICANT:
        return IMPROVEMENT_SCORE
    if months_at_goal >= OUTSTANDING_MONTHS:
        return OUTSTANDING_SCORE
    if months_at_half_goal >= SUSTAINED_MONTHS:
        return SUSTAINED_SCORE
    return SIGNIFICANT_SCORE
