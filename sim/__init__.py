"""qicsim's model: an agent-based simulation of quality improvement collaboratives on Mesa.

Most users reach it through the top-level package (``import qicsim``; ``qicsim.run``,
``qicsim.load_scenario``, ...). The same names live here::

    from qicsim import sim
    scenario = sim.load_scenario("breakthrough").with_overrides(didactic_share=0.8)
    result = sim.run(scenario, seed=1)
    result.summary["dropout_rate"], result.teams, result.team_outcomes

``sim.CollaborativeModel(scenario_or_none, rng=seed, **flat_params)`` is a plain ``mesa.Model`` for
``mesa.batch_run``. Public names are imported when first used, so reading a scenario does not pay for
Mesa and pandas. (numba's cache is keyed to this source by :mod:`qicsim.sim._cache`, which every
module that compiles a kernel imports first.)
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

_EXPORTS = {
    "CollaborativeModel": "model",
    "PARAMETER_NAMES": "parameters", "Scenario": "parameters", "parameter_info": "parameters",
    "RunResult": "simulation", "as_scenario": "simulation", "results": "simulation", "run": "simulation",
    "simulate": "simulation",
    "DEFAULT_SCENARIO": "scenario", "ScenarioError": "scenario", "load_scenario": "scenario",
    "derive_seed": "seeds",
}

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


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (PEP 562)."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule, e.g. sim.parameters
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


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
