"""The worked example of docs/extending.md: a new mechanism is one file and one line in the loop.

The module's code is taken from the page itself, so the documentation cannot drift from what works.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np
import pytest

from qicsim import sim
from qicsim.sim.modules import MODULES, ActionPeriod, PDSACycles

DOCS = Path(__file__).resolve().parent.parent / "docs" / "extending.md"
SEEDS = 24


def example_module() -> type:
    """The winter pressure module, built from the code block the page marks as the example."""
    text = DOCS.read_text(encoding="utf-8")
    code = re.search(r"<!-- example: winter_pressure -->\s*```python\n(.*?)```", text, re.S).group(1)
    module = types.ModuleType("winter_pressure")
    exec(compile(code, str(DOCS), "exec"), module.__dict__)
    return module.WinterPressure


@pytest.fixture(scope="module")
def with_winter() -> tuple[type, ...]:
    """The built-in loop with the example module after the action period: one line."""
    modules = list(MODULES)
    modules.insert(modules.index(ActionPeriod) + 1, example_module())
    return tuple(modules)


def run(modules: tuple[type, ...] | None, seed: int, **params) -> sim.RunResult:
    model = sim.CollaborativeModel(sim.load_scenario("breakthrough"), modules=modules, rng=seed,
                                   follow_up_months=0.0, **params)
    model.run_model()
    return sim.results(model, seed)


def test_the_example_declares_what_a_module_must(with_winter):
    winter = with_winter[with_winter.index(ActionPeriod) + 1]
    assert winter.name == "winter_pressure" and winter.hooks() == ("step",)
    assert winter.writes == ("testing_support",)
    assert with_winter.index(winter) < with_winter.index(PDSACycles), "it acts before the tests it slows"
    schema = sim.parameters.schema(with_winter)
    info = schema.model_fields["winter_pressure"]
    assert info.json_schema_extra["unit"] and info.json_schema_extra["source"]
    assert info.json_schema_extra["prior"] == [0.0, 0.5]
    with pytest.raises(sim.ScenarioError, match="winter_pressure"):
        run(with_winter, 1, winter_pressure=1.5)


def test_without_pressure_the_run_is_the_model_without_the_module(with_winter):
    """Its own random stream and no side effect: the same seed gives the same run, exactly."""
    for seed in range(3):
        plain, extended = run(None, seed), run(with_winter, seed, winter_pressure=0.0)
        assert plain.summary == extended.summary
        assert plain.teams.equals(extended.teams)


def test_winter_pressure_slows_testing_and_improvement_over_paired_seeds(with_winter):
    """Enrolling in October puts two winters in the collaborative; pressure in them means fewer tests and
    less improvement (means of paired differences beyond two standard errors)."""
    def paired(key: str) -> tuple[float, float]:
        diffs = [run(with_winter, s, start_month=10, winter_pressure=0.5).summary[key]
                 - run(with_winter, s, start_month=10, winter_pressure=0.0).summary[key] for s in range(SEEDS)]
        return float(np.mean(diffs)), float(np.std(diffs, ddof=1) / np.sqrt(SEEDS))

    tests, tests_se = paired("mean_successful_changes")
    improvement, improvement_se = paired("mean_relative_improvement")
    assert tests < -2 * tests_se, (tests, tests_se)
    assert improvement < -2 * improvement_se, (improvement, improvement_se)


def test_the_winter_falls_where_start_month_puts_it(with_winter):
    model = sim.CollaborativeModel(sim.load_scenario("breakthrough"), modules=with_winter, rng=1, start_month=11)
    assert model.month_of_year(0) == 11
    months = {model.month_of_year(w) for w in range(0, 9)}
    assert months == {11, 12}, "the first two months of a November start"
