"""qicsim's model: an agent-based simulation of quality improvement collaboratives on Mesa.

The public API::

    import sim
    scenario = sim.load_scenario("breakthrough").with_overrides(didactic_share=0.8)
    result = sim.run(scenario, seed=1)
    result.summary["dropout_rate"], result.teams, result.team_outcomes

``sim.CollaborativeModel(**flat_params, rng=seed)`` is a plain ``mesa.Model`` for ``mesa.batch_run``.
"""

import sim._cache  # noqa: F401 -- first: keys numba's cache to this source before any kernel compiles
from sim.model import CollaborativeModel
from sim.parameters import PARAMETER_NAMES, Scenario, parameter_info
from sim.run import RunResult, as_scenario, results, run, simulate
from sim.scenario import DEFAULT_SCENARIO, ScenarioError, load_scenario
from sim.seeds import derive_seed

SUMMARY_KEYS = (
    "dropout_rate",
    "significant_improvement_rate",
    "sustained_rate",
    "mean_relative_improvement",
    "months_to_first_result_mean",
    "continued_qi_rate",
    "total_cost",
)
"""The outcome keys every run summary carries (others follow them)."""

__all__ = [
    "DEFAULT_SCENARIO",
    "PARAMETER_NAMES",
    "SUMMARY_KEYS",
    "CollaborativeModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "as_scenario",
    "derive_seed",
    "load_scenario",
    "parameter_info",
    "results",
    "run",
    "simulate",
]
