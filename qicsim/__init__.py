"""qicsim: an agent-based simulator of healthcare quality improvement collaboratives.

The everyday API, for scripts and notebooks::

    import qicsim

    result = qicsim.run("breakthrough", seed=1)             # a built-in scenario, a YAML file or a Scenario
    result.summary["dropout_rate"], result.teams, result.team_outcomes
    result.plot()                                           # the common views, as a matplotlib Figure

    scenario = qicsim.load_scenario("breakthrough").with_overrides(didactic_share=0.8)
    model = qicsim.CollaborativeModel(scenario, rng=1)      # a plain mesa.Model (mesa.batch_run works)

    experiment = qicsim.load_experiment("sobol-levers")   # a spec file, or a shipped example
    qicsim.run_sweep(experiment, "out/sobol", workers=2)    # resumable; or scheduler="tcp://..."
    runs = qicsim.load_table("out/sobol")                   # one row per run (pandas)

The model lives in :mod:`qicsim.sim`, sweeps and sensitivity analysis in :mod:`qicsim.experiments`, figures,
validation, calibration and cost-effectiveness in :mod:`qicsim.analysis`, the built-in scenarios in
:mod:`qicsim.scenarios`. Names are imported when first used (PEP 562), so ``import qicsim`` and the command line
start quickly.

Seeds: qicsim never seeds itself from the clock. ``qicsim.run`` takes ``seed=`` (default 0); replicate ``r`` of a
command with ``--seed S`` runs with ``qicsim.derive_seed(S, r)``. ``CollaborativeModel`` without ``rng`` draws a seed
from the operating system's entropy, as Mesa does, and keeps it as ``model.seed``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # the model
    "run": "qicsim.sim.simulation", "simulate": "qicsim.sim.simulation", "results": "qicsim.sim.simulation",
    "RunResult": "qicsim.sim.simulation",
    "load_scenario": "qicsim.sim.scenario", "ScenarioError": "qicsim.sim.scenario",
    "DEFAULT_SCENARIO": "qicsim.sim.scenario",
    "Scenario": "qicsim.sim.parameters", "PARAMETER_NAMES": "qicsim.sim.parameters",
    "parameter_info": "qicsim.sim.parameters",
    "CollaborativeModel": "qicsim.sim.model",
    "derive_seed": "qicsim.sim.seeds",
    "SUMMARY_KEYS": "qicsim.sim",
    "scenario_names": "qicsim.scenarios:names",
    # experiments
    "load_experiment": "qicsim.experiments.experiment", "run_sweep": "qicsim.experiments.runner",
    "load_table": "qicsim.experiments.storage", "load_points": "qicsim.experiments.storage",
    "analyse": "qicsim.experiments.sensitivity", "ExperimentError": "qicsim.experiments.spec",
    # analysis
    "figures": "qicsim.analysis.figures:",
}
"""Public name -> the module that defines it (``module:attribute`` when the names differ; ``module:`` for the
module itself)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qicsim")
    except PackageNotFoundError:  # a checkout used without installing it
        return "unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name in _EXPORTS:
        module, _, attribute = _EXPORTS[name].partition(":")
        loaded = importlib.import_module(module)
        value = loaded if _EXPORTS[name].endswith(":") else getattr(loaded, attribute or name)
    else:
        raise AttributeError(f"module 'qicsim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, "__version__"])


__all__ = sorted(_EXPORTS)  # noqa: PLE0605 -- built from the table above
