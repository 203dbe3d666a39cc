"""The design advisor: which collaborative design buys the most sustained improvement for a budget?

An organiser's question is 'we have this budget: how many learning sessions, is coaching worth it,
site visits, calls, benchmark reports, a forum?' (:mod:`sim.modules.coaching` and the other
components). :func:`design_spec` turns a base scenario and each component's allowed values into an
experiment: every combination (a grid: the space is small enough to search exhaustively), each run
``replications`` times on **common random numbers** -- replicate r of every design has the same seed,
so the same teams, leaders and luck, and the same draw of the calibrated inputs from the posterior --
so that designs are compared on what differs between them. :mod:`experiments.runner` runs it
(resumable, on local processes or Dask). :func:`analyse` then gives, for each design, its mean
programme cost (the sponsor's budget: organisers, faculty, sessions' venues and travel, local
funding and the components), its sustained improvement (the share of teams still significantly
improved at the end of follow-up) and net monetary benefit; the Pareto frontier of cost against
each; which designs fit the budget; and how sure the ranking is: the probability that each design
within the budget is the best, the share of replicates (seeds and posterior draws together) in which
it does best, ties shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qicsim.experiments.options import OPTIONS  # noqa: F401 -- re-exported: the default search
from qicsim.experiments.spec import ExperimentSpec

COST = "cost_programme"
OBJECTIVES = {"sustained": "sustained_rate", "nmb": "net_monetary_benefit"}
"""What a design is judged by: the share of teams with sustained improvement, or net monetary benefit."""
KEPT = (COST, "sustained_rate", "significant_improvement_rate", "net_monetary_benefit", "dropout_rate",
        "mean_relative_improvement", "total_cost")
"""The summary keys a design run keeps."""


def design_spec(base: str, options: dict[str, list[Any]], replications: int, seed: int,
                posterior: str, fixed: dict[str, Any] | None = None) -> ExperimentSpec:
    """The experiment that runs every combination of ``options`` on ``base`` (with ``fixed`` parameters set)
    on common random numbers."""
    return ExperimentSpec.model_validate({
        "name": f"design-{base}", "description": f"qicsim design: component combinations on {base}",
        "base": base, "fixed": dict(fixed or {}), "vary": {name: list(values) for name, values in options.items()},
        "sampler": {"method": "grid"}, "replications": replications, "seed": seed, "posterior": posterior,
        "common_random_numbers": True, "outputs": {"summary": list(KEPT)},
    })


def describe(row: pd.Series | dict[str, Any], varied: Sequence[str]) -> str:
    """A design in words an organiser reads: '3 in-person sessions, coaching 1/month, ...'."""
    parts = []
    for name in varied:
        value = row[name]
        if name == "learning_sessions":
            parts.append(f"{value:g} sessions")
        elif name == "session_format":
            parts.append({"in_person": "in person", "virtual": "by video", "none": "no sessions"}[value])
        elif name == "coaching_calls_per_month":
            parts.append(f"coaching {value:g}/month" if value else "no coaching")
        elif name == "site_visits":
            parts.append(f"{value:g} site visit{'s' if value != 1 else ''}")
        elif name == "group_calls_per_month":
            parts.append(f"group calls {value:g}/month" if value else "no group calls")
        elif name == "benchmark_reports":
            parts.append(f"{value} benchmark reports" if value != "none" else "no benchmark reports")
        elif name == "online_forum":
            parts.append("forum" if value else "no forum")
        else:
            parts.append(f"{name}={value}")
    return ", ".join(parts)


@dataclass
class DesignResult:
    """Every design's means and chances (``table``), the budget, and what was compared."""

    table: pd.DataFrame
    budget: float
    varied: tuple[str, ...]
    replications: int
    failed_runs: int

    def within_budget(self) -> pd.DataFrame:
        return self.table[self.table.within_budget]

    def frontier(self, objective: str = "sustained") -> pd.DataFrame:
        return self.table[self.table[f"frontier_{objective}"]].sort_values("programme_cost")


def pareto(cost: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Which designs are on the frontier: no other design costs no more and achieves more, or costs less
    and achieves as much (ties: the first of equal designs stands for them)."""
    order = np.lexsort((-value, cost))  # by cost, and at equal cost the best first
    on = np.zeros(cost.size, bool)
    best = -np.inf
    for k in order:
        if value[k] > best:
            on[k] = True
            best = value[k]
    return on


def chance_best(values: pd.DataFrame) -> pd.Series:
    """The share of replicates (columns) in which each design (rows) does best, ties shared equally: the
    chance that it does best in one collaborative."""
    return pd.Series(_wins(values.to_numpy(float)).mean(axis=1), index=values.index)


def _wins(matrix: np.ndarray) -> np.ndarray:
    """1 where a row is the largest of its column (shared equally among ties), else 0."""
    top = matrix == np.nanmax(matrix, axis=0, keepdims=True)
    return top / top.sum(axis=0, keepdims=True)


BOOTSTRAP = 1000
"""Resamples of the replicates for the chance that a design is best on average."""
BOOTSTRAP_CHUNK = 50


def chance_best_on_average(values: pd.DataFrame, seed: int) -> pd.Series:
    """The chance that each design (rows) has the highest mean over the replicates (columns): the share of
    bootstrap resamples of the replicates -- the same resampled replicates for every design, keeping the
    common random numbers' pairing -- in which its mean is the highest (ties shared)."""
    matrix = values.to_numpy(float)
    replicates = matrix.shape[1]
    rng = np.random.default_rng([seed, replicates])
    wins = np.zeros(matrix.shape[0])
    for start in range(0, BOOTSTRAP, BOOTSTRAP_CHUNK):
        picks = rng.integers(0, replicates, size=(min(BOOTSTRAP_CHUNK, BOOTSTRAP - start), replicates))
        means = matrix[:, picks].mean(axis=2)  # designs x resamples
        wins += _wins(means).sum(axis=1)
    return pd.Series(wins / BOOTSTRAP, index=values.index)


def analyse(runs: pd.DataFrame, points: pd.DataFrame, varied: Sequence[str], budget: float,
            replications: int, seed: int = 0) -> DesignResult:
    """Each design's mean cost and outcomes over its replicates, the frontiers, which fit ``budget``,
    and each in-budget design's chance of being best, on average (``chance_best_mean_*``, a bootstrap of
    the replicates seeded by ``seed``) and in one collaborative (``chance_best_*``), over the same
    replicates for every design: failed runs (``status`` not ``ok``) are left out of every mean, and a
    replicate that failed for any design within the budget is left out of the chances."""
    ok = runs[runs["status"] == "ok"]
    failed = len(runs) - len(ok)
    grouped = ok.groupby("point_id")
    table = points.loc[:, list(varied)].copy()
    table.index.name = "point_id"
    n = grouped.size().reindex(table.index).fillna(0).astype(int)
    table["design"] = [describe(row, varied) for _, row in table.iterrows()]
    table["programme_cost"] = grouped[COST].mean()
    table["programme_cost_sd"] = grouped[COST].std(ddof=1)
    for name, key in OBJECTIVES.items():
        table[name] = grouped[key].mean()
        table[f"{name}_se"] = grouped[key].std(ddof=1) / np.sqrt(n)
    table["significant"] = grouped["significant_improvement_rate"].mean()
    table["improvement"] = grouped["mean_relative_improvement"].mean()
    table["dropout"] = grouped["dropout_rate"].mean()
    table["runs"] = n
    table["within_budget"] = table["programme_cost"] <= budget
    table["chance_within_budget"] = ok.assign(fits=ok[COST] <= budget).groupby("point_id")["fits"].mean()
    for name, key in OBJECTIVES.items():
        table[f"frontier_{name}"] = pareto(table["programme_cost"].to_numpy(), table[name].to_numpy())
        inside = table.index[table.within_budget]
        chance = pd.Series(np.nan, index=table.index)
        on_average = pd.Series(np.nan, index=table.index)
        if len(inside):
            wide = ok[ok.point_id.isin(inside)].pivot_table(index="point_id", columns="replicate", values=key)
            wide = wide.reindex(inside).dropna(axis=1)  # only replicates every design has: pairs stay pairs
            if wide.shape[1]:
                chance.loc[wide.index] = chance_best(wide)
                on_average.loc[wide.index] = chance_best_on_average(wide, seed)
        table[f"chance_best_{name}"] = chance
        table[f"chance_best_mean_{name}"] = on_average
    return DesignResult(table, budget, tuple(varied), replications, failed)


def plot(result: DesignResult, path: Any, currency: str) -> Any:
    """Programme cost against sustained improvement and against net monetary benefit: every design, the
    frontier, the budget line, the designs within it coloured by their chance of being best. Returns the Figure;
    writes it only when ``path`` is given. (No backend is chosen here: the command line draws with Agg, a notebook
    with its own.)"""
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    table = result.table
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    for ax, (name, label) in zip(axes, (("sustained", "teams with sustained improvement (share)"),
                                        ("nmb", f"net monetary benefit ({currency})")), strict=True):
        inside = table[table.within_budget]
        outside = table[~table.within_budget]
        front = result.frontier(name)
        ax.plot(front.programme_cost, front[name], color="C3", lw=1.2, zorder=1, label="frontier")
        ax.scatter(outside.programme_cost, outside[name], s=14, color="0.7", zorder=2, label="over budget")
        points = ax.scatter(inside.programme_cost, inside[name], s=24, c=inside[f"chance_best_mean_{name}"],
                            cmap="viridis", vmin=0,
                            vmax=max(0.01, float(inside[f"chance_best_mean_{name}"].max())),
                            edgecolors="k", linewidths=0.3, zorder=3, label="within budget")
        best = inside[f"chance_best_mean_{name}"].idxmax() if len(inside) else None
        if best is not None:
            ax.annotate("most likely best", (inside.programme_cost[best], inside[name][best]), xytext=(-90, 25),
                        textcoords="offset points", arrowprops={"arrowstyle": "->"}, fontsize=8)
        ax.axvline(result.budget, color="k", ls="--", lw=1)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
        if name == "nmb":
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:,.0f}"))
        ax.set_xlabel(f"programme cost ({currency}, mean over replicates)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8, loc="lower right")
        fig.colorbar(points, ax=ax, label="chance of being best on average within the budget")
    fig.suptitle(f"{len(table)} designs, {result.replications} replicates each on common random numbers; "
                 f"budget {result.budget:,.0f} {currency} (dashed)")
    if path is not None:  # written (atomically) and closed; without a path the Figure is the caller's to show
        from qicsim.experiments.storage import write_bytes_with

        write_bytes_with(path, lambda handle: fig.savefig(handle, format="png", dpi=120))
        plt.close(fig)
    return fig

