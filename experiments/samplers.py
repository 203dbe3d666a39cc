"""Samplers: the experiment's design, one row per point, from its ``vary`` block and ``sampler``.

Each sampler is a thin layer over a library: ``itertools.product`` (grid), numpy's Generator
(random), ``scipy.stats.qmc.LatinHypercube`` (lhs) and SALib (Sobol/Saltelli and Morris). The
sampler's random stream is seeded with ``sim.derive_seed(experiment seed)``, so a spec always gives
the same design; runs have their own seeds (``derive_seed(seed, point, replicate)``).

Integer parameters sampled from a range are rounded to the nearest whole number (half to even);
Sobol and Morris keep their unrounded sample in ``raw.<name>`` columns for the analysis.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

from qicsim import sim
from qicsim.experiments.spec import (
    ExperimentError,
    ExperimentSpec,
    LatinHypercubeSampler,
    MorrisSampler,
    RandomSampler,
    Range,
    SobolSampler,
)

RAW_PREFIX = "raw."
"""Prefix of the design columns that hold a sampler's unrounded values (Sobol and Morris)."""


def cast(kind: str, value: Any) -> Any:
    """A sampled value as the parameter's Python type (``kind``: int, float, bool or str)."""
    if kind == "int":
        return int(np.rint(value)) if isinstance(value, float | np.floating) else int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def problem(spec: ExperimentSpec) -> dict[str, Any]:
    """SALib's problem definition: the varied parameters and their ranges, in spec order."""
    names = list(spec.vary)
    bounds = []
    for name in names:
        value = spec.vary[name]
        assert isinstance(value, Range), name  # checked by experiments.experiment.prepare
        bounds.append([float(value.min), float(value.max)])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def _grid_values(value: Range | list[Any], kind: str) -> list[Any]:
    if isinstance(value, Range):
        assert value.num is not None
        points = [cast(kind, x) for x in np.linspace(value.min, value.max, value.num)]
        return list(dict.fromkeys(points))  # an integer range rounded to repeats: keep each value once
    return [cast(kind, x) for x in value]


def _from_unit(unit: np.ndarray, vary: Mapping[str, Range | list[Any]], kinds: Mapping[str, str]) -> dict[str, list]:
    """Map points in the unit hypercube to values: ranges linearly, lists by equal strata."""
    columns: dict[str, list[Any]] = {}
    for j, (name, value) in enumerate(vary.items()):
        u = unit[:, j]
        if isinstance(value, Range):
            columns[name] = [cast(kinds[name], value.min + x * (value.max - value.min)) for x in u]
        else:
            index = np.minimum((u * len(value)).astype(int), len(value) - 1)
            columns[name] = [cast(kinds[name], value[i]) for i in index]
    return columns


MAX_POINTS = 1_000_000
"""Most points a design may have: a design is built in memory, and each point is at least one run."""
MAX_RUNS = 10_000_000
"""Most runs a sweep may make (at about 25 breakthrough-sized runs a second per worker: days on a laptop)."""
RUNS_PER_SECOND_PER_WORKER = 25.0
"""A rough speed for the estimate in the refusal (benchmarks/: a 30-team run takes about 40 ms)."""


def design_size(spec: ExperimentSpec) -> int:
    """How many points the spec's design will have, worked out without building it (for a grid: the product
    of the values' counts, before repeats of an integer range are merged)."""
    sampler = spec.sampler
    d = len(spec.vary)
    if isinstance(sampler, RandomSampler | LatinHypercubeSampler):
        return sampler.points
    if isinstance(sampler, SobolSampler):
        return sampler.samples * (2 * d + 2 if sampler.second_order else d + 2)
    if isinstance(sampler, MorrisSampler):
        return sampler.samples * (d + 1)
    return math.prod(value.num or 0 if isinstance(value, Range) else len(value) for value in spec.vary.values())


def check_size(spec: ExperimentSpec, origin: str) -> None:
    """Refuse, before anything is built, a design too large to hold or a sweep too large to run, saying how
    large and how long it would take."""
    points = design_size(spec)
    runs = points * spec.replications
    hours = runs / RUNS_PER_SECOND_PER_WORKER / 3600
    if points > MAX_POINTS or runs > MAX_RUNS:
        raise ExperimentError(f"{origin}: the design has {points:,} points x {spec.replications:,} replications = "
                              f"{runs:,} runs (about {hours:,.0f} hours on one worker); allowed: at most "
                              f"{MAX_POINTS:,} points and {MAX_RUNS:,} runs (fewer values, points or samples)")


def design(spec: ExperimentSpec, kinds: Mapping[str, str]) -> pd.DataFrame:
    """The experiment's points: ``point_id`` (0..n-1) and one column per varied parameter.

    ``kinds`` gives each varied parameter's type (int, float, bool, str). The spec must already be
    checked against the scenario (:func:`experiments.experiment.prepare`).
    """
    sampler = spec.sampler
    seed = sim.derive_seed(spec.seed)
    names = list(spec.vary)
    raw: np.ndarray | None = None
    if isinstance(sampler, RandomSampler):
        rng = np.random.default_rng(seed)
        columns = _from_unit(rng.random((sampler.points, len(names))), spec.vary, kinds)
    elif isinstance(sampler, LatinHypercubeSampler):
        engine = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed))
        columns = _from_unit(engine.random(sampler.points), spec.vary, kinds)
    elif isinstance(sampler, SobolSampler):
        raw = sobol_sample.sample(problem(spec), sampler.samples, calc_second_order=sampler.second_order, seed=seed)
    elif isinstance(sampler, MorrisSampler):
        raw = morris_sample.sample(problem(spec), sampler.samples, num_levels=sampler.levels, seed=seed)
    else:  # grid
        combos = list(itertools.product(*(_grid_values(spec.vary[n], kinds[n]) for n in names)))
        columns = {n: [c[j] for c in combos] for j, n in enumerate(names)}
    if raw is not None:
        columns = {n: [cast(kinds[n], x) for x in raw[:, j]] for j, n in enumerate(names)}
    frame = pd.DataFrame({"point_id": np.arange(len(next(iter(columns.values()))), dtype=np.int64)})
    for name in names:
        frame[name] = pd.Series(columns[name], dtype=column_dtype(kinds[name]))
    if raw is not None:
        for j, name in enumerate(names):
            frame[RAW_PREFIX + name] = raw[:, j].astype(np.float64)
    return frame


def column_dtype(kind: str) -> str:
    """The pandas dtype that stores a parameter of ``kind`` the same way in every chunk."""
    return {"int": "int64", "float": "float64", "bool": "bool"}.get(kind, "string")


def point_overrides(design_frame: pd.DataFrame, names: Sequence[str], kinds: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each point's parameter values as plain Python values, ready for ``Scenario.with_overrides``."""
    return [
        {name: cast(kinds[name], value) for name, value in zip(names, row, strict=True)}
        for row in design_frame[list(names)].itertuples(index=False, name=None)
    ]
