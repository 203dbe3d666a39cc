"""Each workshop exercise (docs/workshop.md) promises the room an effect; the model must deliver it.

An exercise moves one lever from A to B. Both designs run on the same seeds (common random numbers),
and every promised outcome must move in the promised direction by more than two standard errors of
the mean paired difference, as in tests/test_effects.py. If the model changes so that a promise no
longer holds, this test fails and the workshop plan must change with it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qicsim import sim
from qicsim.levers import lever

WORKSHOP = Path(__file__).resolve().parents[1] / "docs" / "workshop.md"
SEEDS = 64

EXERCISES = [
    # (exercise, lever, value A, value B, {outcome: promised sign of B - A})
    (1, "subject_specificity", 0.8, 0.2, {"significant_improvement_rate": -1}),
    (2, "share_sent_by_management", 0.0, 1.0, {"dropout_rate": +1, "significant_improvement_rate": -1}),
    (3, "didactic_share", 0.2, 0.85, {"continued_qi_rate": -1, "significant_improvement_rate": -1}),
    (4, "leader_turnover_per_year", 0.05, 0.6, {"dropout_rate": +1}),
    (5, "sustain_planning", 0.0, 0.9, {"sustained_rate": +1, "cost_per_sustained_improvement": -1}),
]


SPEND_THE_BUDGET = {
    # exercise 6: the same programme, its travel money spent on coaching instead
    "A": {"session_format": "in_person", "coaching_calls_per_month": 0.0},
    "B": {"session_format": "virtual", "coaching_calls_per_month": 2.0},
    "promised": {"cost_programme": -1, "sustained_rate": +1, "significant_improvement_rate": +1},
}


def _paired(design_a: dict, design_b: dict, keys: list[str]) -> dict[str, tuple[float, float]]:
    """Mean and standard error of B - A for each key over paired seeds (one pair of runs per seed)."""
    diffs: dict[str, list[float]] = {k: [] for k in keys}
    for seed in range(SEEDS):
        ra = sim.run("breakthrough", seed=seed, **design_a).summary
        rb = sim.run("breakthrough", seed=seed, **design_b).summary
        for k in keys:
            diffs[k].append(rb[k] - ra[k])
    out = {}
    for k, values in diffs.items():
        d = np.asarray(values, dtype=float)
        d = d[~np.isnan(d)]  # a cost per improvement without any improvement is undefined
        out[k] = (float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))))
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("number", "name", "a", "b", "promised"), EXERCISES,
                         ids=[f"exercise-{e[0]}" for e in EXERCISES])
def test_exercise_shows_the_promised_effect(number, name, a, b, promised):
    results = _paired({name: a}, {name: b}, list(promised))
    for key, sign in promised.items():
        mean, se = results[key]
        assert sign * mean > 2 * se, f"exercise {number} ({name} {a} -> {b}): {key} moved {mean:+.4g} (se {se:.4g})"


@pytest.mark.slow
def test_spending_the_budget_shows_the_promised_effect():
    """Exercise 6: sessions by video and the travel money on coaching cost the programme less and sustain more."""
    results = _paired(SPEND_THE_BUDGET["A"], SPEND_THE_BUDGET["B"], list(SPEND_THE_BUDGET["promised"]))
    for key, sign in SPEND_THE_BUDGET["promised"].items():
        mean, se = results[key]
        assert sign * mean > 2 * se, f"exercise 6: {key} moved {mean:+.4g} (se {se:.4g})"


def test_the_plan_names_each_exercise_lever_and_values():
    """The plan and this test describe the same exercises (a fast check, not marked slow)."""
    text = WORKSHOP.read_text(encoding="utf-8")
    assert "90 minutes" in text
    for number, name, a, b, promised in EXERCISES:
        section = text.split(f"## Exercise {number}", 1)[1].split("## ", 1)[0]
        for heading in ("Question", "Levers", "What the room should see"):
            assert f"**{heading}" in section, f"exercise {number}: no {heading!r}"
        assert lever(name).label in section, f"exercise {number}: lever {lever(name).label!r} not named"
        assert f"`{name}`" in section and f"{a:g}" in section and f"{b:g}" in section, f"exercise {number}: values"
        for key in promised:
            assert f"`{key}`" in section, f"exercise {number}: outcome {key} not named"
    section = text.split("## Exercise 6", 1)[1].split("## ", 1)[0]
    for name, value in SPEND_THE_BUDGET["B"].items():
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        assert lever(name).label in section and f"`{name}`" in section and shown in section, f"exercise 6: {name}"
    for key in SPEND_THE_BUDGET["promised"]:
        assert f"`{key}`" in section, f"exercise 6: outcome {key} not named"
