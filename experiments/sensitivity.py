"""Sensitivity indices of a finished Sobol or Morris sweep (SALib), with a bar chart per output.

Replicates are averaged first: the output at a point is the mean of its replicates' values (runs
that failed or gave no value are left out of the mean). SALib's estimators assume one value per
sample point; averaging over replicates removes most of the model's run-to-run noise, which would
otherwise show up as spurious first-order and total effects. Use more replications when the
confidence intervals are wide relative to the indices.

Sobol: ``SALib.analyze.sobol`` gives first-order (S1) and total (ST) indices with 95% bootstrap
confidence intervals (and S2 when sampled with ``second_order``). Morris:
``SALib.analyze.morris`` gives mu* (mean absolute elementary effect, with its 95% interval) and
sigma (its spread: interactions or non-linearity), computed on the sampler's unrounded design.
Bootstrap resampling is seeded from the experiment seed, so the indices are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from qicsim import sim
from qicsim.experiments.samplers import RAW_PREFIX, problem
from qicsim.experiments.spec import ExperimentError, ExperimentSpec, MorrisSampler, SobolSampler
from qicsim.experiments.storage import (
    RUNS,
    done_run_ids,
    load_points,
    load_table,
    parse_stored_spec,
    read_manifest,
)
from qicsim.sim.files import write_text

SOBOL_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("mu_star", "mu_star_conf", "sigma", "mu")


@dataclass(frozen=True)
class KeyIndices:
    """The indices of one output key: one row per varied parameter; or why there are none."""

    key: str
    table: pd.DataFrame | None
    second_order: pd.DataFrame | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class SensitivityResult:
    method: str
    spec: ExperimentSpec
    points: int
    replications: int
    failed_runs: int
    indices: list[KeyIndices]


IMPRECISE_HALF_WIDTH = 0.1
"""A Sobol index whose 95% interval is wider than this either way says little (its scale is 0-1)."""


def precision_warning(method: str, table: pd.DataFrame, samples: int) -> str | None:
    """A warning when the indices of one key are too imprecise to read -- first-order indices below 0 or total
    ones above 1 beyond their intervals, or intervals wider than ±0.1 (Sobol); mu* smaller than its own
    interval's half-width (Morris) -- with the sample size that caused it; None when they can be read."""
    if method == "sobol":
        problems = []
        if ((table["S1"] + table["S1_conf"]) < 0).any():
            problems.append("a first-order index below 0")
        if ((table["ST"] - table["ST_conf"]) > 1).any():
            problems.append("a total index above 1")
        widest = float(max(table["S1_conf"].max(), table["ST_conf"].max()))
        if widest > IMPRECISE_HALF_WIDTH:
            problems.append(f"95% intervals up to ±{widest:.2f}")
        if problems:
            return (f"imprecise: {', '.join(problems)}, from {samples} base samples; Saltelli's scheme usually needs "
                    "hundreds to thousands (run a sweep with more sampler.samples)")
        return None
    unclear = table["mu_star"] < table["mu_star_conf"]
    if unclear.any():
        return (f"imprecise: mu* is within its own 95% interval of 0 for {', '.join(table.index[unclear])}, from "
                f"{samples} trajectories (run a sweep with more sampler.samples)")
    return None


def _default_keys(manifest: dict, spec: ExperimentSpec) -> list[str]:
    stored = list(manifest["summary_keys"])
    if spec.outputs.summary is not None:
        return stored
    headline = [k for k in sim.SUMMARY_KEYS if k in stored]
    return headline or stored


def point_means(runs: pd.DataFrame, key: str, points: int) -> pd.Series:
    """The mean over replicates of ``key`` at each point, indexed 0..points-1 (NaN where none)."""
    ok = runs[runs["status"] == "ok"]
    return ok.groupby("point_id")[key].mean().reindex(range(points))


def indices_for(spec: ExperimentSpec, design: pd.DataFrame, y: np.ndarray, key: str) -> KeyIndices:
    """SALib's indices of one output from the design (point order) and its point means ``y``."""
    missing = int(np.isnan(y).sum())
    if missing:
        return KeyIndices(key, None, skipped=f"no value at {missing} of {len(y)} points (all replicates failed "
                                             "or gave n/a); indices need every point")
    if np.ptp(y) == 0:
        return KeyIndices(key, None, skipped=f"the same value ({y[0]:g}) at every point; nothing to attribute")
    salib_problem = problem(spec)
    seed = sim.derive_seed(spec.seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(spec.sampler, SobolSampler):
            result = sobol_analyze.analyze(salib_problem, y, calc_second_order=spec.sampler.second_order,
                                           conf_level=0.95, seed=seed)
            frames = result.to_df()
            table = pd.concat([frames[1], frames[0]], axis=1)[list(SOBOL_COLUMNS)]
            second = frames[2] if spec.sampler.second_order else None
            return KeyIndices(key, table.rename_axis("parameter"), second)
        assert isinstance(spec.sampler, MorrisSampler)
        x = design[[RAW_PREFIX + n for n in salib_problem["names"]]].to_numpy(dtype=float)
        result = morris_analyze.analyze(salib_problem, x, y, num_levels=spec.sampler.levels, conf_level=0.95,
                                        seed=seed)
        table = result.to_df()[list(MORRIS_COLUMNS)]
        return KeyIndices(key, table.rename_axis("parameter"))


def analyse(root: str | Path, keys: list[str] | None = None) -> SensitivityResult:
    """Indices for ``keys`` (default: the spec's summary keys, or the headline outcomes) of the
    finished sweep in ``root``; :class:`ExperimentError` when the sweep cannot be analysed."""
    manifest = read_manifest(root)
    spec = parse_stored_spec(manifest, root)
    method = spec.sampler.method
    if not isinstance(spec.sampler, SobolSampler | MorrisSampler):
        raise ExperimentError(f"{root}: sensitivity indices need a sweep sampled with sobol or morris; this one "
                              f"was sampled with {method} (use analysis of the runs table instead)")
    total, done = int(manifest["total_runs"]), len(done_run_ids(root))
    if done < total:
        raise ExperimentError(f"{root}: the sweep is incomplete ({done} of {total} runs done); run "
                              f"`qicsim sweep {root}/spec.yaml --out {root}` (or the original spec) to finish it")
    stored = list(manifest["summary_keys"])
    keys = keys or _default_keys(manifest, spec)
    unknown = [k for k in keys if k not in stored]
    if unknown:
        raise ExperimentError(f"--key {unknown[0]!r}: not stored in this sweep (allowed: {', '.join(stored)})")
    runs = load_table(root, RUNS)
    design = load_points(root).sort_values("point_id").reset_index(drop=True)
    points = len(design)
    results = [indices_for(spec, design, point_means(runs, k, points).to_numpy(dtype=float), k) for k in keys]
    failed = int((runs["status"] == "failed").sum())
    return SensitivityResult(method, spec, points, spec.replications, failed, results)


def bar_chart(indices: KeyIndices, method: str, path: Path) -> Path:
    """A horizontal bar chart of one key's indices with their 95% intervals, written atomically: the report's
    chart (:func:`analysis.figures.sensitivity_bars`, imported here when a chart is drawn)."""
    from qicsim.analysis.figures import sensitivity_bars

    sensitivity_bars(indices, method, path)
    return path


def write_outputs(root: str | Path, result: SensitivityResult) -> list[Path]:
    """``sensitivity_<key>.png`` per analysed key and ``sensitivity.csv`` (all indices, long form)."""
    root = Path(root)
    analysed = [k for k in result.indices if k.table is not None]
    written = [bar_chart(k, result.method, root / f"sensitivity_{k.key}.png") for k in analysed]
    rows = [k.table.reset_index().assign(key=k.key) for k in analysed if k.table is not None]
    if rows:
        frame = pd.concat(rows, ignore_index=True)
        frame = frame[["key", *[c for c in frame.columns if c != "key"]]]
        write_text(frame.to_csv(index=False), root / "sensitivity.csv")
        written.append(root / "sensitivity.csv")
    return written
