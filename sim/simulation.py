"""Run one simulation and collect its results: the Python API's front door."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from qicsim.sim.model import SERIES, CollaborativeModel
from qicsim.sim.outcomes import adoption_curve, monthly_teams, summarise, team_outcomes
from qicsim.sim.parameters import Scenario
from qicsim.sim.scenario import ScenarioError, load_scenario


@dataclass(frozen=True)
class RunResult:
    """The results of one run: ``summary`` (one number per outcome), ``teams`` (one row per team
    per month), ``team_outcomes`` (one row per team), ``series`` (one row per month), ``adoption``
    (spread beyond the participants, one row per month)."""

    scenario: Scenario
    seed: int
    summary: dict[str, float]
    teams: pd.DataFrame
    team_outcomes: pd.DataFrame
    series: pd.DataFrame
    adoption: pd.DataFrame = field(default_factory=pd.DataFrame)


def as_scenario(scenario_or_name: Scenario | str | Path, **overrides: Any) -> Scenario:
    """A scenario object from a scenario, a built-in name or a file path, with overrides applied."""
    scenario = scenario_or_name if isinstance(scenario_or_name, Scenario) else load_scenario(scenario_or_name)
    return scenario.with_overrides(**overrides) if overrides else scenario


def run(scenario_or_name: Scenario | str | Path = "breakthrough", seed: int = 0, **overrides: Any) -> RunResult:
    """Simulate one collaborative from enrolment to the end of follow-up.

    The same scenario and seed give identical results in any process.
    """
    return results(simulate(scenario_or_name, seed, **overrides), seed)


def simulate(scenario_or_name: Scenario | str | Path = "breakthrough", seed: int = 0,
             **overrides: Any) -> CollaborativeModel:
    """The finished model of one run, for what the result tables do not hold (its network)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError(f"seed = {seed!r}: a seed must be a non-negative whole number")
    model = CollaborativeModel(as_scenario(scenario_or_name, **overrides), rng=seed)
    model.run_model()
    return model


def results(model: CollaborativeModel, seed: int) -> RunResult:
    """The result tables of a finished model."""
    if model.outcomes is None:  # a model stopped before its last month (the summary is made then)
        outcomes = team_outcomes(model)
        model.outcomes, model.summary = outcomes, summarise(outcomes, model)
    series = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)[list(SERIES)]
    return RunResult(model.params, seed, model.summary, monthly_teams(model), model.outcomes, series,
                     adoption_curve(model))
