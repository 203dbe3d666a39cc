"""The report's figures, drawn from result tables (pandas DataFrames), never from live models.

Working from tables means a figure can be redrawn from a run folder years later, or from a sweep's
stored tables, without running the model again, and that every figure traces back to files that
carry their seeds. Every figure uses :data:`analysis.plots.STYLE`. Series are told apart by line
style and marker as well as colour, and colour scales are sequential (monotone in lightness), so the
figures survive grey-scale printing.

The functions work in a notebook as well as in a report (the contract is in :mod:`analysis.plots`):
each returns the matplotlib Figure and writes a file (atomically) only when given a ``path``;
single-panel figures draw into a given ``ax=``, figures of several panels into a given ``fig=`` (a
Figure or a SubFigure); nothing here chooses a matplotlib backend. They return ``None`` when their
input is absent (a run without a spread network has no ``adoption.csv`` or ``network.graphml``): a
report skips such a figure instead of failing::

    import qicsim
    from qicsim.analysis import figures

    result = qicsim.run("breakthrough", seed=1)
    fig = figures.dropout_curves(result.team_outcomes, 12)        # shown inline in a notebook
    figures.ihi_distribution(result.teams, "ihi.png")              # written (and closed), still returned
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from qicsim.analysis.plots import COLOURS, STYLE, axes_for, figure_for, finish

PathLike = str | Path

INK = COLOURS["collaborative"]
"""The main series colour (the collaborative's, as in the cost-effectiveness plots)."""

SERIES = (
    {"color": INK, "ls": "-", "marker": "o"},
    {"color": COLOURS["traditional"], "ls": "--", "marker": "s"},
    {"color": "#2e7d32", "ls": "-.", "marker": "^"},
    {"color": COLOURS["none"], "ls": ":", "marker": "D"},
)
"""Line styles for up to four series: colour, dash pattern and marker differ, so grey print works."""

IHI_SCORES = tuple(np.round(np.arange(0.5, 5.01, 0.5), 1))
"""The IHI assessment scale: 0.5 to 5.0 in steps of 0.5."""

SEQUENTIAL = "cividis"
"""Colour map for ordered categories: lightness rises monotonically and it is colour-blind safe."""

LARGE_NETWORK = 2000
"""Above this many units the network picture keeps participating organisations and their neighbours."""


def _end_lines(ax: plt.Axes, end_months: int | Sequence[int] | None, label: bool = True) -> None:
    """Dashed vertical line(s) at the end of the collaborative (several when the runs differ)."""
    if end_months is None:
        return
    ends = sorted({int(e) for e in np.atleast_1d(end_months)})
    for i, end in enumerate(ends):
        ax.axvline(end, color="black", lw=1, ls="--", label="end of collaborative" if label and i == 0 else None)


def _run_keys(*frames: pd.DataFrame) -> list[str]:
    """Columns that tell one run's teams from another's (``replicate``, ``run_id``) in all frames."""
    return [c for c in ("run_id", "replicate") if all(c in f.columns for f in frames)]


# ---------------------------------------------------------------------------------------------
# performance and IHI score over time
# ---------------------------------------------------------------------------------------------


def performance_trajectories(teams: pd.DataFrame, end_month: int | Sequence[int], path: PathLike | None = None, *,
                             measure: str = "performance", unit: str = "",
                             fig: Figure | SubFigure | None = None) -> Figure:
    """Mean measured and true performance by month with 10-90% and 25-75% bands across teams (and
    replicates): the measured panel is what teams see, the true panel what patients get, and the
    gap between them is measurement noise and missing data. Two panels: ``fig=`` (not ``ax=``)."""
    unit_text = f" ({unit})" if unit and f"({unit})" not in measure else ""
    with plt.style.context(STYLE):
        fig, created = figure_for(fig, (10, 4.2))
        axes = fig.subplots(1, 2, sharey=True)
        for ax, column, title in zip(axes, ("measured_performance", "true_performance"),
                                     ("measured (as the teams report it)", "true"), strict=True):
            by_month = teams.groupby("month")[column]
            q = by_month.quantile([0.1, 0.25, 0.75, 0.9]).unstack()
            mean = by_month.mean()
            ax.fill_between(q.index, q[0.1], q[0.9], color=INK, alpha=0.15, lw=0, label="10-90% of teams")
            ax.fill_between(q.index, q[0.25], q[0.75], color=INK, alpha=0.35, lw=0, label="25-75% of teams")
            ax.plot(mean.index, mean.to_numpy(), color="black", lw=1.8, label="mean")
            _end_lines(ax, end_month)
            ax.set_title(f"{measure}: {title}")
            ax.set_xlabel("month since enrolment")
        axes[0].set_ylabel(f"{measure}{unit_text}")
        axes[0].legend(loc="best", fontsize="small")
        n_runs = teams[_run_keys(teams)].drop_duplicates().shape[0] if _run_keys(teams) else 1
        fig.suptitle(f"Performance by month ({teams['team_id'].nunique()} teams x {n_runs} run(s))")
        return finish(fig, path, created)


def ihi_distribution(teams: pd.DataFrame, path: PathLike | None = None, end_month: int | Sequence[int] | None = None,
                     *, ax: Axes | None = None) -> Figure:
    """Stacked shares of teams at each IHI score (0.5-5.0) by month, among teams not dropped out:
    where the collaborative's self-assessed progress stands, month by month."""
    present = teams[teams["status"] != "dropped"]
    scores = (present["ihi_score"] * 2).round() / 2
    share = pd.crosstab(present["month"], scores, normalize="index").reindex(columns=list(IHI_SCORES), fill_value=0)
    colours = plt.get_cmap(SEQUENTIAL)(np.linspace(0.0, 1.0, len(IHI_SCORES)))
    with plt.style.context(STYLE):
        ax, created = axes_for(ax, (8, 4.4))
        ax.stackplot(share.index, share.T.to_numpy(), colors=colours, labels=[f"{s:.1f}" for s in IHI_SCORES],
                     lw=0.3, edgecolor="white")
        _end_lines(ax, end_month, label=False)
        ax.set_ylim(0, 1)
        ax.set_xlim(share.index.min(), share.index.max())
        ax.set_xlabel("month since enrolment")
        ax.set_ylabel("share of teams still taking part")
        ax.set_title("IHI assessment score by month" + (" (dashed: end of collaborative)" if end_month is not None
                                                          else ""))
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], title="IHI score", loc="center left", bbox_to_anchor=(1.01, 0.5),
                  fontsize="small")
        ax.grid(False)
        return finish(ax.get_figure(), path, created)


# ---------------------------------------------------------------------------------------------
# drop-out: Kaplan-Meier by leader change
# ---------------------------------------------------------------------------------------------


def kaplan_meier(durations: Sequence[float], events: Sequence[bool]) -> pd.DataFrame:
    """Kaplan-Meier estimate: one row per distinct time with the number at risk (time >= t), events
    and censored at t, and survival S(t) = prod over times <= t of (1 - events / at risk)."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    rows, survival = [], 1.0
    for t in np.unique(d):
        at_risk = int((d >= t).sum())
        died = int((e & (d == t)).sum())
        survival *= 1.0 - died / at_risk
        rows.append((t, at_risk, died, int((~e & (d == t)).sum()), survival))
    return pd.DataFrame(rows, columns=["time", "at_risk", "events", "censored", "survival"])


def dropout_durations(team_outcomes: pd.DataFrame, end_month: int) -> tuple[np.ndarray, np.ndarray]:
    """Month of drop-out (an event) or the end of the collaborative (censored) for every team."""
    dropped = team_outcomes["dropped"].astype(bool).to_numpy()
    month = pd.to_numeric(team_outcomes["dropped_month"], errors="coerce").to_numpy(dtype=float)
    durations = np.where(dropped & ~np.isnan(month), month, float(end_month))
    return durations, dropped & ~np.isnan(month)


def at_risk(durations: np.ndarray, times: Sequence[float]) -> list[int]:
    """Number of teams still at risk (not yet dropped or censored) at each time."""
    return [int((durations >= t).sum()) for t in times]


def dropout_curves(team_outcomes: pd.DataFrame, end_month: int, path: PathLike | None = None, *,
                   fig: Figure | SubFigure | None = None) -> Figure:
    """Kaplan-Meier curves of staying in the collaborative, for teams whose leader changed and those
    whose leader did not, with the number at risk under the axis: the paper's 'strong predictor'. Two panels
    (the curves and the table at risk): ``fig=`` (not ``ax=``)."""
    groups = [("leader changed", team_outcomes["leader_changed"].astype(bool)),
              ("leader unchanged", ~team_outcomes["leader_changed"].astype(bool))]
    step = max(1, int(np.ceil(end_month / 6)))
    ticks = list(range(0, int(end_month) + 1, step))
    with plt.style.context(STYLE):
        fig, created = figure_for(fig, (7, 5.2))
        ax, table = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 1.1], "hspace": 0.3})
        risk_rows = []
        for (label, mask), style in zip(groups, SERIES, strict=False):
            durations, events = dropout_durations(team_outcomes[mask], end_month)
            risk_rows.append((label, at_risk(durations, ticks)))
            if not len(durations):
                continue
            km = kaplan_meier(durations, events)
            x = np.concatenate([[0.0], km["time"].to_numpy()])
            y = np.concatenate([[1.0], km["survival"].to_numpy()])
            ax.step(x, y, where="post", color=style["color"], ls=style["ls"], lw=2,
                    label=f"{label} (n = {len(durations)}, {int(events.sum())} dropped)")
        ax.set_ylim(0, 1.03)
        ax.set_ylabel("share of teams still taking part")
        ax.set_title("Drop-out by team-leader change (Kaplan-Meier; censored at the end)")
        ax.legend(loc="lower left", fontsize="small")
        table.set_ylim(-0.5, len(risk_rows) - 0.5)
        for row, (_, counts) in enumerate(risk_rows):
            for t, n in zip(ticks, counts, strict=True):
                table.text(t, row, str(n), ha="center", va="center", fontsize="small")
        table.set_yticks(range(len(risk_rows)), [label for label, _ in risk_rows], fontsize="small")
        table.invert_yaxis()
        table.tick_params(left=False)
        table.grid(False)
        for side in ("left", "bottom"):
            table.spines[side].set_visible(False)
        table.set_title("number at risk", fontsize="small", loc="left")
        table.set_xticks(ticks)
        table.set_xlabel("month since enrolment")
        ax.set_xlim(-0.3, end_month + 0.3)
        return finish(fig, path, created)


# ---------------------------------------------------------------------------------------------
# sustainment after the end
# ---------------------------------------------------------------------------------------------


def infer_direction(team_outcomes: pd.DataFrame) -> int:
    """+1 when a higher measure is better, -1 when lower is better, read off the team outcomes:
    ``relative_improvement`` (positive = better) against ``relative_change`` (the raw change)."""
    ratio = team_outcomes["relative_improvement"] * team_outcomes["relative_change"]
    ratio = ratio[np.isfinite(ratio) & (ratio != 0)]
    return 1 if len(ratio) and float(np.median(np.sign(ratio))) > 0 else -1


def sustain_table(teams: pd.DataFrame, team_outcomes: pd.DataFrame, end_month: int, threshold: float,
                  direction: int | None = None) -> pd.DataFrame:
    """By month after the end: the share of teams significantly improved at the end that still are,
    the share of all enrolled teams significantly improved, and the mean change of the true measure
    since the end (positive = better), from the monthly table and each team's baseline."""
    keys = _run_keys(teams, team_outcomes)
    direction = infer_direction(team_outcomes) if direction is None else direction
    base = team_outcomes[[*keys, "team_id", "performance_baseline"]]
    after = teams.loc[teams["month"] >= end_month, [*keys, "team_id", "month", "true_performance"]]
    after = after.merge(base, on=[*keys, "team_id"], how="inner", validate="many_to_one")
    after["relative_improvement"] = (direction * (after["true_performance"] - after["performance_baseline"])
                                     / after["performance_baseline"].abs())
    after["significant"] = after["relative_improvement"] >= threshold
    at_end = after[after["month"] == end_month].set_index([*keys, "team_id"])
    after = after.join(at_end[["significant", "true_performance"]].rename(
        columns={"significant": "significant_at_end", "true_performance": "performance_at_end"}),
        on=[*keys, "team_id"])
    after["change_since_end"] = (direction * (after["true_performance"] - after["performance_at_end"])
                                 / after["performance_at_end"].abs())
    after["months_after_end"] = after["month"] - end_month
    grouped = after.groupby("months_after_end")
    still = after[after["significant_at_end"].fillna(False).astype(bool)].groupby("months_after_end")["significant"]
    return pd.DataFrame({
        "still_improved": still.mean(),
        "improved_of_all": grouped["significant"].mean(),
        "change_since_end": grouped["change_since_end"].mean(),
        "change_q25": grouped["change_since_end"].quantile(0.25),
        "change_q75": grouped["change_since_end"].quantile(0.75),
        "teams": grouped.size(),
    }).reset_index()


def sustain_curve(teams: pd.DataFrame, team_outcomes: pd.DataFrame, end_month: int, threshold: float,
                  path: PathLike | None = None, direction: int | None = None, *,
                  fig: Figure | SubFigure | None = None) -> Figure | None:
    """The sustain curve: how many significant improvements last after the collaborative ends
    (challenge 9), and how far the measure moves from where it stood at the end; None without
    follow-up months (nothing to draw). Two panels: ``fig=`` (not ``ax=``)."""
    table = sustain_table(teams, team_outcomes, end_month, threshold, direction)
    if len(table) < 2:
        return None
    with plt.style.context(STYLE):
        fig, created = figure_for(fig, (7, 6.4))
        top, bottom = fig.subplots(2, 1, sharex=True)
        x = table["months_after_end"]
        top.plot(x, table["still_improved"], color=SERIES[0]["color"], ls="-", lw=2,
                 label="of teams significantly improved at the end")
        top.plot(x, table["improved_of_all"], color=SERIES[1]["color"], ls="--", lw=2, label="of all enrolled teams")
        top.set_ylim(-0.02, 1.02)
        top.set_ylabel(f"share improved >= {threshold:.0%}")
        top.set_title("Sustainment after the end of the collaborative")
        top.legend(loc="best", fontsize="small")
        bottom.fill_between(x, 100 * table["change_q25"], 100 * table["change_q75"], color=INK, alpha=0.25, lw=0,
                            label="25-75% of teams")
        bottom.plot(x, 100 * table["change_since_end"], color="black", lw=1.8, label="mean")
        bottom.axhline(0, color="grey", lw=0.8)
        bottom.set_ylabel("true measure since the end\n(% of end value, + = better)")
        bottom.set_xlabel("months after the end of the collaborative")
        bottom.legend(loc="best", fontsize="small")
        return finish(fig, path, created)


# ---------------------------------------------------------------------------------------------
# spread: adoption over time and the network
# ---------------------------------------------------------------------------------------------

ADOPTION_COLUMNS = {
    "spread_units": "units using the changes (beyond participants)",
    "spread_organisations": "organisations reached (beyond participants)",
    "method_spread_units": "units using the QI method (beyond participants)",
}
"""The spread layer's ``adoption.csv`` contract: cumulative counts at each month's end."""


def load_adoption(folder: Path) -> pd.DataFrame | None:
    """``folder/adoption.csv`` (month, spread_units, spread_organisations, method_spread_units,
    replicate, seed), or None when the run had no spread layer."""
    path = Path(folder) / "adoption.csv"
    return pd.read_csv(path) if path.is_file() else None


def adoption_curve(adoption: pd.DataFrame | None, path: PathLike | None = None,
                   end_month: int | Sequence[int] | None = None, *, ax: Axes | None = None) -> Figure | None:
    """Cumulative spread beyond the participants by month (mean, and 10-90% over replicates when
    there are several): challenge 10, spread is rare unless planned for."""
    if adoption is None or adoption.empty:
        return None
    columns = [c for c in ADOPTION_COLUMNS if c in adoption.columns]
    if not columns:
        return None
    with plt.style.context(STYLE):
        ax, created = axes_for(ax, (7, 4.4))
        grouped = adoption.groupby("month")
        for column, style in zip(columns, SERIES, strict=False):
            mean = grouped[column].mean()
            if "replicate" in adoption.columns and adoption["replicate"].nunique() > 1:
                q = grouped[column].quantile([0.1, 0.9]).unstack()
                ax.fill_between(q.index, q[0.1], q[0.9], color=style["color"], alpha=0.12, lw=0)
            ax.plot(mean.index, mean.to_numpy(), color=style["color"], ls=style["ls"], lw=2,
                    marker=style["marker"], markevery=max(1, len(mean) // 8), label=ADOPTION_COLUMNS[column])
        _end_lines(ax, end_month)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("month since enrolment")
        ax.set_ylabel("cumulative count (units or organisations)")
        reps = adoption["replicate"].nunique() if "replicate" in adoption.columns else 1
        ax.set_title(f"Spread beyond the participants (mean of {reps} run(s); band: 10-90%)")
        ax.legend(loc="upper left", fontsize="small")
        return finish(ax.get_figure(), path, created)


def _as_bool(value: object) -> bool:
    """A GraphML attribute as a bool (GraphML readers may give 'true'/'false' strings)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def network_sample(graph, limit: int = LARGE_NETWORK):
    """The graph itself when small; otherwise the units of participating organisations and their
    neighbours, so that a picture of a national network still shows where the spread happens."""
    if graph.number_of_nodes() <= limit:
        return graph
    participating = {n for n, d in graph.nodes(data=True) if _as_bool(d.get("participating", False))}
    organisations = {graph.nodes[n].get("organisation") for n in participating}
    core = {n for n, d in graph.nodes(data=True) if d.get("organisation") in organisations}
    keep = set(core)
    for n in core:
        keep.update(graph.neighbors(n))
    if len(keep) > limit:  # still too many to see: keep the core and a fixed sample of neighbours
        rng = np.random.default_rng(0)
        rest = sorted(keep - core, key=str)
        take = max(0, limit - len(core))
        keep = core | set(rng.choice(np.array(rest, dtype=object), size=min(take, len(rest)), replace=False))
    return graph.subgraph(keep).copy()


def network_picture(graphml: PathLike, path: PathLike | None = None, seed: int = 1, *,
                    ax: Axes | None = None) -> Figure | None:
    """The spread network, one node per unit: participating units as squares, other units as circles
    filled by the month they adopted (hollow: never); None when there is no ``network.graphml``."""
    graphml = Path(graphml)
    if not graphml.is_file():
        return None
    import networkx as nx

    full = nx.read_graphml(graphml)
    graph = network_sample(full)
    if graph.number_of_nodes() == 0:
        return None
    layout = nx.spring_layout(graph, seed=seed, iterations=50 if graph.number_of_nodes() <= 500 else 25)
    nodes = list(graph.nodes)
    xy = np.array([layout[n] for n in nodes])
    part = np.array([_as_bool(graph.nodes[n].get("participating", False)) for n in nodes])
    # never adopted: no adopted_month (NaN here), or -1 in a file from before qicsim wrote missing values
    adopted = np.array([float(graph.nodes[n].get("adopted_month", np.nan)) for n in nodes])
    reached = ~part & (adopted >= 0)
    never = ~part & ~reached
    size = 8 if len(nodes) > 500 else 24
    with plt.style.context(STYLE):
        ax, created = axes_for(ax, (7.5, 6.5))
        nx.draw_networkx_edges(graph, layout, ax=ax, edge_color="#9e9e9e", width=0.4, alpha=0.35)
        ax.scatter(xy[never, 0], xy[never, 1], s=size, facecolors="white", edgecolors="#616161", linewidths=0.6,
                   label=f"not reached ({int(never.sum())})", zorder=2)
        if reached.any():
            points = ax.scatter(xy[reached, 0], xy[reached, 1], s=size * 1.3, c=adopted[reached], cmap=SEQUENTIAL,
                                edgecolors="black", linewidths=0.3, label=f"adopted ({int(reached.sum())})", zorder=3)
            ax.get_figure().colorbar(points, ax=ax, shrink=0.7, label="month adopted")
        ax.scatter(xy[part, 0], xy[part, 1], s=size * 2, marker="s", color="black",
                   label=f"participating ({int(part.sum())})", zorder=4)
        ax.set_axis_off()
        organisations = len({graph.nodes[n].get("organisation") for n in nodes})
        shown = "" if graph is full else f" (sample: {len(nodes):,} of {full.number_of_nodes():,} units)"
        ax.set_title(f"Spread network: {len(nodes):,} units in {organisations:,} organisations{shown}")
        ax.legend(loc="lower left", fontsize="small", bbox_to_anchor=(0, -0.08), ncol=3)
        return finish(ax.get_figure(), path, created)


# ---------------------------------------------------------------------------------------------
# sensitivity and effects
# ---------------------------------------------------------------------------------------------


def tornado(table: pd.DataFrame, key: str, base: float, path: PathLike | None = None, *,
            ax: Axes | None = None) -> Figure:
    """One-way sensitivity: for each parameter, the outcome at its low and high value as bars from
    the base, largest swing on top. ``table``: parameter, low, high, and optionally low_value and
    high_value (the parameter values, shown at the bar ends)."""
    table = table.assign(swing=(table["high"] - table["low"]).abs()).sort_values("swing")
    y = np.arange(len(table))
    with plt.style.context(STYLE):
        ax, created = axes_for(ax, (7.5, 1.4 + 0.45 * len(table)))
        ax.barh(y, table["low"] - base, left=base, color="#bdbdbd", edgecolor="black", hatch="//",
                label="parameter at its low value")
        ax.barh(y, table["high"] - base, left=base, color=INK, edgecolor="black", label="parameter at its high value")
        ax.axvline(base, color="black", lw=1)
        if {"low_value", "high_value"} <= set(table.columns):
            for yi, (_, row) in zip(y, table.iterrows(), strict=True):
                for end, value in ((row["low"], row["low_value"]), (row["high"], row["high_value"])):
                    ha = "left" if end >= base else "right"
                    ax.text(end, yi, f" {value:g} " if isinstance(value, numbers.Real) else f" {value} ", va="center",
                            ha=ha, fontsize="small")
        ax.set_yticks(y, table["parameter"])
        ax.set_xlabel(f"{key} (base {base:.3g})")
        ax.set_title(f"One-way sensitivity of {key}", pad=24)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize="small")
        ax.margins(x=0.15)
        return finish(ax.get_figure(), path, created)


def sensitivity_bars(indices, method: str, path: PathLike | None = None, *, ax: Axes | None = None) -> Figure:
    """Sobol (S1, ST) or Morris (mu*, sigma) bars of one output (:class:`experiments.sensitivity.KeyIndices`)
    with their 95% intervals: the chart ``qicsim sensitivity`` writes (:func:`experiments.sensitivity.bar_chart`,
    which draws on a bare Figure for its worker processes), drawn here so that it can go into an Axes."""
    table = indices.table
    if table is None:
        raise ValueError(f"no indices of {indices.key} to draw ({indices.skipped})")
    names = list(table.index)
    y = np.arange(len(names))
    height = 0.4
    with plt.style.context(STYLE):
        ax, created = axes_for(ax, (7.5, 1.2 + 0.38 * len(names)))
        if method == "sobol":
            ax.barh(y - height / 2, table["S1"], height, xerr=table["S1_conf"], label="first order (S1)", capsize=2,
                    color=INK)
            ax.barh(y + height / 2, table["ST"], height, xerr=table["ST_conf"], label="total (ST)", capsize=2,
                    color=COLOURS["traditional"], hatch="//", edgecolor="black", linewidth=0.4)
            ax.set_xlabel("Sobol index (share of output variance), 95% interval")
        else:
            ax.barh(y - height / 2, table["mu_star"], height, xerr=table["mu_star_conf"], label="mu*", capsize=2,
                    color=INK)
            ax.barh(y + height / 2, table["sigma"], height, label="sigma", color=COLOURS["traditional"], hatch="//",
                    edgecolor="black", linewidth=0.4)
            ax.set_xlabel(f"elementary effect on {indices.key} (Morris), 95% interval for mu*")
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_title(f"{method.capitalize()} sensitivity of {indices.key}")
        ax.legend(loc="best", fontsize="small")
        return finish(ax.get_figure(), path, created)


def effects_chart(effects: pd.DataFrame, path: PathLike | None = None, *,
                  fig: Figure | SubFigure | None = None) -> Figure | None:
    """Dot-and-whisker chart of paired differences (changed - base, mean +- 2 SE), one panel per
    unit so that shares and months are not read on one scale; filled dots: direction as expected.
    ``effects``: label, unit, mean, se, expected (+1/-1); rows with NaN mean are left out. One panel per unit:
    ``fig=`` (not ``ax=``)."""
    shown = effects[np.isfinite(effects["mean"].astype(float))]
    if shown.empty:
        return None
    units = list(dict.fromkeys(shown["unit"]))
    heights = [len(shown[shown["unit"] == u]) + 1 for u in units]
    with plt.style.context(STYLE):
        fig, created = figure_for(fig, (8, 1.2 + 0.42 * sum(heights)))
        axes = fig.subplots(len(units), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)
        for ax, unit in zip(axes[:, 0], units, strict=True):
            rows = shown[shown["unit"] == unit].reset_index(drop=True)
            y = np.arange(len(rows))[::-1]
            mean, se = rows["mean"].astype(float), rows["se"].astype(float)
            ax.errorbar(mean, y, xerr=2 * se, fmt="none", ecolor="black", elinewidth=1.2, capsize=3)
            ok = np.sign(mean) == rows["expected"]
            ax.scatter(mean[ok], y[ok], s=40, color=INK, edgecolor="black", zorder=3, label="direction as expected")
            ax.scatter(mean[~ok], y[~ok], s=40, facecolors="white", edgecolor="black", zorder=3,
                       label="not as expected")
            ax.axvline(0, color="grey", lw=0.8)
            ax.set_yticks(y, rows["label"], fontsize="small")
            ax.set_ylim(-0.7, len(rows) - 0.3)
            ax.set_xlabel(f"changed - base ({unit}); whiskers: +-2 SE")
        axes[0, 0].set_title("What changes when...: paired-seed effects of the paper's levers")
        axes[0, 0].legend(loc="best", fontsize="small")
        if created:
            fig.tight_layout()
        return finish(fig, path, created)


def prior_posterior(posterior, priors, path: PathLike | None = None, *,
                    fig: Figure | SubFigure | None = None) -> Figure:
    """For each calibrated input: its prior (flat, on its plausible range, or log-uniform) and its weighted
    posterior (histogram), on the prior's range: where the figures narrow an input, and where not. One panel per
    input: ``fig=`` (not ``ax=``)."""
    n = len(priors)
    cols = min(4, n)
    rows = -(-n // cols)
    w = posterior.weights
    with plt.style.context(STYLE):
        fig, created = figure_for(fig, (3.2 * cols, 2.3 * rows))
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, p in zip(axes.flat, priors, strict=False):
            x = posterior.table[p.name].to_numpy(dtype=float)
            # densities on the prior's own scale (per log unit for a log-uniform input), so that a prior is flat
            bins = np.geomspace(p.low, p.high, 21) if p.log else np.linspace(p.low, p.high, 21)
            mass, _ = np.histogram(x, bins=bins, weights=w)
            widths = np.diff(np.log(bins)) if p.log else np.diff(bins)
            ax.stairs(mass / widths, bins, fill=True, color=INK, alpha=0.75, label="posterior")
            span = np.log(p.high / p.low) if p.log else p.high - p.low
            ax.plot([p.low, p.high], [1 / span, 1 / span], color="black", ls="--", lw=1.2, label="prior")
            if p.log:
                ax.set_xscale("log")
                ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
                ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_title(p.name, fontsize="small")
            ax.set_yticks([])
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        axes.flat[0].legend(fontsize="x-small")
        fig.suptitle("Calibrated inputs: prior (dashed) and posterior", fontsize="medium")
        if created:
            fig.tight_layout()
        return finish(fig, path, created)


def _weighted_correlation(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    mx, my = np.sum(w * x), np.sum(w * y)
    cov = np.sum(w * (x - mx) * (y - my))
    sx, sy = np.sqrt(np.sum(w * (x - mx) ** 2)), np.sqrt(np.sum(w * (y - my) ** 2))
    return float(cov / (sx * sy)) if sx > 0 and sy > 0 else float("nan")


def posterior_pairs(posterior, priors, path: PathLike | None = None, *,
                    fig: Figure | SubFigure | None = None) -> Figure:
    """Pairwise scatter of the posterior particles (darker = more weight) on the priors' ranges, and above the
    diagonal their weighted correlation (on the prior's scale): inputs the figures trade off against each other
    are identified only together. A grid of panels: ``fig=`` (not ``ax=``)."""
    n = len(priors)
    w = posterior.weights
    alpha = 0.15 + 0.85 * w / w.max()
    scaled = {p.name: (np.log(posterior.table[p.name].to_numpy(dtype=float)) if p.log
                       else posterior.table[p.name].to_numpy(dtype=float)) for p in priors}
    with plt.style.context(STYLE):
        fig, created = figure_for(fig, (1.1 * n + 1.6, 1.1 * n + 1.2))
        axes = fig.subplots(n, n, squeeze=False)
        for i, pi in enumerate(priors):
            for j, pj in enumerate(priors):
                ax = axes[i, j]
                if i == j:
                    bins = np.geomspace(pi.low, pi.high, 16) if pi.log else np.linspace(pi.low, pi.high, 16)
                    ax.hist(posterior.table[pi.name], bins=bins, weights=w, color=INK)
                    if pi.log:
                        ax.set_xscale("log")
                elif i > j:
                    ax.scatter(posterior.table[pj.name], posterior.table[pi.name], s=2, c="black",
                               alpha=np.clip(alpha, 0, 1), linewidths=0)
                    if pj.log:
                        ax.set_xscale("log")
                    if pi.log:
                        ax.set_yscale("log")
                    ax.set_xlim(pj.low, pj.high)
                    ax.set_ylim(pi.low, pi.high)
                else:
                    r = _weighted_correlation(scaled[pj.name], scaled[pi.name], w)
                    ax.text(0.5, 0.5, f"{r:+.2f}", ha="center", va="center", fontsize=7,
                            color="firebrick" if abs(r) >= 0.3 else "grey", transform=ax.transAxes)
                    for side in ax.spines.values():
                        side.set_visible(False)
                ax.tick_params(which="both", bottom=False, left=False, labelbottom=False, labelleft=False)
                if j == 0:
                    ax.set_ylabel(pi.name, rotation=0, ha="right", va="center", fontsize=6)
                if i == n - 1:
                    ax.set_xlabel(pj.name, rotation=45, ha="right", fontsize=6)
        fig.suptitle("Posterior of the calibrated inputs, pairwise (above the diagonal: weighted correlation; "
                     "red where |r| >= 0.3)", fontsize="small")
        fig.subplots_adjust(left=0.2, bottom=0.16, right=0.98, top=0.95, wspace=0.08, hspace=0.08)
        return finish(fig, path, created)


# ---------------------------------------------------------------------------------------------
# one outcome across replicates
# ---------------------------------------------------------------------------------------------


def outcome_strip(values: Sequence[float] | np.ndarray | pd.Series, path: PathLike | None = None, *,
                  ax: Axes | None = None) -> Figure | None:
    """One outcome's values across replicates (or a sweep's runs) as a small strip sized for a table row: a
    dot per value (jittered up and down so that equal values stay visible), the 2.5-97.5% interval as a grey
    bar and the mean as a black tick; None when no value is finite."""
    x = pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce").to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    if not x.size:
        return None
    low, high = np.percentile(x, [2.5, 97.5])
    with plt.style.context(STYLE):
        ax, created = axes_for(ax, (2.4, 0.55))
        jitter = np.random.default_rng(0).uniform(-0.28, 0.28, x.size)
        ax.hlines(0, low, high, color="#bdbdbd", lw=5, zorder=1)
        ax.scatter(x, jitter, s=7, color=INK, alpha=0.55 if x.size > 60 else 0.9, linewidths=0, zorder=2)
        ax.vlines(x.mean(), -0.45, 0.45, color="black", lw=1.6, zorder=3)
        if x.min() == x.max():
            pad = abs(x.min()) * 0.1 or 0.5
            ax.set_xlim(x.min() - pad, x.max() + pad)
        ax.set_ylim(-0.5, 0.5)
        ax.set_yticks([])
        ax.grid(False)
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.tick_params(axis="x", labelsize=6, length=2, pad=1)
        return finish(ax.get_figure(), path, created)
