"""Run one simulation and collect its results: the Python API's front door."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qicsim.sim.model import SERIES, CollaborativeModel
from qicsim.sim.outcomes import adoption_curve, monthly_teams, summarise, team_outcomes
from qicsim.sim.parameters import Scenario
from qicsim.sim.scenario import ScenarioError, load_scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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

    def plot(self, path: str | Path | None = None) -> Figure:
        """The common views of this run in one matplotlib Figure: performance trajectories (measured and
        true), the IHI score distribution and the drop-out curves by leader change, then the sustain curve
        when there are months of follow-up and the spread beyond the participants when there was any; drawn
        by :mod:`qicsim.analysis.figures`. In a notebook it shows inline; with ``path`` the figure is written
        there (atomically) and closed in pyplot, and still returned."""
        import matplotlib.pyplot as plt  # here, not at the top: the model does not need matplotlib

        from qicsim.analysis import figures
        from qicsim.analysis.plots import finish
        from qicsim.sim.calendar import Calendar

        s = self.scenario
        end = Calendar.for_scenario(s).end_month
        columns = [c for c in figures.ADOPTION_COLUMNS if c in self.adoption.columns]
        spread = bool(columns) and bool((self.adoption[columns].to_numpy() > 0).any())
        follow_up = bool(len(self.teams)) and int(self.teams["month"].max()) > end
        rows = 3 if spread or follow_up else 2
        fig = plt.figure(figsize=(14, 4.8 * rows))
        top, middle, *bottom = fig.subfigures(rows, 1)
        figures.performance_trajectories(self.teams, end, measure=s.measure_name, unit=s.measure_unit, fig=top)
        left, right = middle.subfigures(1, 2, width_ratios=[1.15, 1])
        figures.ihi_distribution(self.teams, end_month=end, ax=left.subplots())
        figures.dropout_curves(self.team_outcomes, end, fig=right)
        if bottom:
            left, right = bottom[0].subfigures(1, 2, width_ratios=[1, 1.15])
            if follow_up:
                direction = 1 if s.measure_direction == "higher_is_better" else -1
                figures.sustain_curve(self.teams, self.team_outcomes, end, s.significant_improvement_threshold,
                                      direction=direction, fig=left)
            if spread:
                figures.adoption_curve(self.adoption, end_month=end, ax=right.subplots())
        fig.suptitle(f"qicsim run: scenario {s.name}, seed {self.seed}, {len(self.team_outcomes)} teams",
                     fontweight="bold", y=1.0, va="bottom")
        return finish(fig, path, created=True)


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
