"""Experiments: parameter sweeps and sensitivity analyses of the model, resumable, on any backend.

::

    from qicsim import experiments
    experiment = experiments.load_experiment("sobol-levers")   # a file, or a shipped example
    report = experiments.run_sweep(experiment, "out/sobol", workers=2)          # or scheduler="tcp://..."
    runs = experiments.load_table("out/sobol")                                  # one row per run
    result = experiments.analyse("out/sobol")                                   # Sobol / Morris indices

The example specs shipped with the package are found with :func:`example_specs`. The machinery is
split by job: ``spec`` (schema), ``experiment`` (checks and design), ``samplers``, ``tasks`` (one
run), ``backends``, ``storage``, ``runner``, ``sensitivity``. This package imports ``sim`` only.
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.resources import files
from pathlib import Path
from typing import Any

_EXPORTS = {
    "Experiment": "experiment", "load_experiment": "experiment", "prepare": "experiment",
    "SweepReport": "runner", "WorkerLost": "runner", "run_sweep": "runner",
    "analyse": "sensitivity",
    "ExperimentError": "spec", "ExperimentSpec": "spec", "read_spec": "spec",
    "load_points": "storage", "load_table": "storage", "read_manifest": "storage", "read_file_metadata": "storage",
}


def __getattr__(name: str) -> Any:
    """Import the public names lazily: a worker process that only needs ``experiments.tasks`` does
    not pay for SALib, scipy's samplers or matplotlib."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule, e.g. experiments.storage
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def example_specs() -> dict[str, Path]:
    """The example specs shipped in this package, by name (file name without ``.yaml``)."""
    folder = files(__name__)
    return {p.name[:-5]: Path(str(p)) for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".yaml")}


__all__ = [
    "Experiment",
    "ExperimentError",
    "ExperimentSpec",
    "SweepReport",
    "WorkerLost",
    "analyse",
    "example_specs",
    "load_experiment",
    "load_points",
    "load_table",
    "prepare",
    "read_file_metadata",
    "read_manifest",
    "read_spec",
    "run_sweep",
]
