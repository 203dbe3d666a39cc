"""The live run of the dashboard's first page: the model a room steps through, and its charts.

Why the charts are drawn the way they are:

- They are matplotlib pictures made on the server, so the page needs no JavaScript charting library from the
  internet (a workshop room's network is often poor; solara's Vega-Lite would load from a CDN).
- Each chart is made once per run and then *updated*: a Step changes the lines' data, the bars' heights and the
  network's colours, and draws only those on a kept bitmap of the rest (matplotlib's blitting; fixed margins,
  no layout pass); an axis widens, and the whole chart is drawn again, only when the data leave it.
- Every count axis shows whole teams; every chart names its axes in words.

Nothing here imports solara; :mod:`qicsim.app` shows these, and the tests draw them without a browser.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from qicsim import sim
from qicsim.game import DEFAULT_SEED
from qicsim.levers import LEVER_NAMES, LEVERS, as_param, shown

STEP_WEEKS = 4
"""Weeks one press of Step runs: the charts are monthly, as the teams report monthly."""
IHI_SCORES = tuple(x / 2 for x in range(1, 11))  # 0.5 ... 5.0: the IHI assessment scale
CHART_SIZE = (5.2, 3.0)
CHART_DPI = 90
MARGINS = {"left": 0.15, "right": 0.97, "bottom": 0.2, "top": 0.88}
"""Fixed margins: room for the axis labels whatever the numbers, and no layout pass at each draw."""


class DashboardModel(sim.CollaborativeModel):
    """A collaborative built from a built-in scenario with the dashboard's levers on top (a lever left at None
    keeps the scenario's own value)."""

    def __init__(self, scenario_name: str = sim.DEFAULT_SCENARIO, seed: int = DEFAULT_SEED, teams: int | None = None,
                 **levers: Any) -> None:
        unknown = sorted(set(levers) - set(LEVER_NAMES))
        if unknown:
            raise TypeError(f"DashboardModel: unknown lever {unknown[0]!r}")
        overrides = {k: as_param(k, v) for k, v in {**levers, "teams": teams}.items() if v is not None}
        self.scenario_name = scenario_name
        super().__init__(sim.load_scenario(scenario_name).with_overrides(**overrides), rng=int(seed))

    @property
    def goal(self) -> float:
        """Mean of the teams' goals: each closes ``target_ambition`` of its gap to best practice."""
        p = self.params
        baseline = self.team_states.baseline
        return float(np.mean(baseline - p.target_ambition * (baseline - p.best_practice_performance)))

    @property
    def baseline(self) -> float:
        return float(np.mean(self.team_states.baseline))

    @property
    def finished(self) -> bool:
        """Whether the run has reached the end of its follow-up (a Step then does nothing)."""
        return self.report_month >= self.calendar.months

    def advance(self, weeks: int = STEP_WEEKS) -> int:
        """Run up to ``weeks`` weeks (fewer at the end of follow-up); the number run."""
        done = 0
        while done < weeks and not self.finished:
            self.step()
            done += 1
        return done


def series(model: sim.CollaborativeModel, name: str) -> np.ndarray:
    """One monthly series of the model (month 0 = enrolment), as recorded so far."""
    return np.asarray(model.datacollector.model_vars[name], dtype=float)


def ihi_counts(model: sim.CollaborativeModel) -> list[int]:
    """How many teams have each IHI score now (dropped teams keep their last score)."""
    scores = np.round(np.asarray(model.team_states.ihi_score) * 2) / 2
    return [int(np.count_nonzero(scores == x)) for x in IHI_SCORES]


def ihi_colour(score: Any) -> Any:
    """The colour of an IHI score (red 0.5 to green 5), or an array of colours (one row each) for an array."""
    from matplotlib import colormaps

    return colormaps["RdYlGn"]((score - 0.5) / 4.5)


def readout(model: DashboardModel) -> str:
    """One line of numbers a room can read aloud (the browser test reads it too)."""
    t = model.team_states
    dropped = sum(team.status == "dropped" for team in model.teams)
    active = sum(team.active for team in model.teams)
    return (f"Week {model.steps} · month {model.report_month} of {model.calendar.months} · {active} active, "
            f"{dropped} dropped out of {t.size} teams · mean IHI score {float(np.mean(t.ihi_score)):.2f} · mean "
            f"performance {float(np.mean([team.performance for team in model.teams])):.3f} (target "
            f"{model.goal:.3f}) · cost so far {model.params.currency} {model.total_cost:,.0f} · spread to "
            f"{int(np.count_nonzero(~np.isnan(model.unit_states.adopted_month)))} other units")


def lever_values(model: DashboardModel) -> str:
    """The levers in effect in this run."""
    parts = [f"{lv.label}: {shown(getattr(model.params, lv.name))}" for lv in LEVERS]
    return "This run: " + "; ".join(parts) + f"; seed {model.seed}."


def _figure(title: str) -> tuple[Figure, Any]:
    fig = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
    fig.subplots_adjust(**MARGINS)
    ax = fig.subplots()
    ax.set_title(title, fontsize=11)
    return fig, ax


def _month_axis(ax: Any, model: sim.CollaborativeModel) -> None:
    """Months from enrolment to the end of follow-up; a line where the collaborative ends."""
    ax.set_xlim(0, max(model.calendar.months, 1))
    ax.axvline(model.calendar.end_month, color="black", alpha=0.3, linewidth=1)
    ax.set_xlabel("month since enrolment (grey line: the collaborative ends)")


class Chart:
    """One chart of a run, made once: :meth:`make` draws what stays (axes, labels, legend) and lists in
    ``moving`` the artists a Step changes; :meth:`update` sets their data from the model.

    :meth:`picture` draws the fixed part once and keeps it as a bitmap; later pictures restore that bitmap and
    draw only the moving artists on it (matplotlib's blitting), unless the axes' limits have changed since.
    """

    title = ""

    def __init__(self, model: DashboardModel) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.model = model
        self.fig, self.ax = _figure(self.title)
        self.canvas = FigureCanvasAgg(self.fig)
        self.moving: list[Any] = []
        self.make()
        self._background: Any = None
        self._limits: Any = None

    def make(self) -> None:
        raise NotImplementedError

    def update(self) -> None:
        raise NotImplementedError

    def move(self, *artists: Any) -> None:
        """Artists a Step changes: drawn on the kept bitmap, never into it."""
        for artist in artists:
            artist.set_animated(True)
            self.moving.append(artist)

    def picture(self) -> bytes:
        """The chart as PNG bytes, its data brought up to the model's week."""
        self.update()
        limits = (self.ax.get_xlim(), self.ax.get_ylim())
        if self._background is None or limits != self._limits:
            self.canvas.draw()  # the fixed part (moving artists are animated, so left out)
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._limits = limits
        else:
            self.canvas.restore_region(self._background)
        for artist in self.moving:
            self.fig.draw_artist(artist)
        return encode_png(self.canvas)


def encode_png(canvas: Any) -> bytes:
    """The canvas's bitmap as PNG (light compression: a chart is sent once and shown at once)."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    out = io.BytesIO()
    Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
        out, format="png", compress_level=1)
    return out.getvalue()


def _grow(ax: Any, values: np.ndarray, low: float | None = None) -> None:
    """Widen the y axis (by half its span) when ``values`` leave it; leave it alone otherwise, so that the kept
    bitmap stays valid for most Steps."""
    if values.size == 0:
        return
    lo, hi = ax.get_ylim()
    span = hi - lo
    vmin, vmax = float(np.nanmin(values)), float(np.nanmax(values))
    if vmin < lo or vmax > hi:
        new_lo = min(lo, vmin - 0.5 * span) if low is None else low
        ax.set_ylim(new_lo, max(hi, vmax + 0.5 * span))


class PerformanceChart(Chart):
    """Mean true performance of all teams against their mean goal and baseline."""

    def make(self) -> None:
        p, ax = self.model.params, self.ax
        lower = p.measure_direction == "lower_is_better"
        ax.set_title(f"Performance against target ({'lower' if lower else 'higher'} is better)", fontsize=11)
        ax.axhline(self.model.baseline, color="grey", linestyle=":", label="baseline (mean)")
        ax.axhline(self.model.goal, color="tab:green", linestyle="--", label="target (mean)")
        (self.line,) = ax.plot([], [], color="tab:blue", marker=".", label="mean of all teams")
        self.move(self.line)
        ends = [self.model.baseline, self.model.goal, p.best_practice_performance]
        pad = 0.1 * (max(ends) - min(ends) or 1.0)
        ax.set_ylim(min(ends) - pad, max(ends) + pad)
        ax.set_ylabel(p.measure_unit)
        _month_axis(ax, self.model)
        ax.legend(loc="upper right", fontsize=8)

    def update(self) -> None:
        performance = series(self.model, "mean_performance")
        self.line.set_data(series(self.model, "month"), performance)
        _grow(self.ax, performance)


class IhiChart(Chart):
    """How many teams have each IHI assessment score."""

    def make(self) -> None:
        ax, n = self.ax, self.model.team_states.size
        ax.set_title("IHI assessment scores now", fontsize=11)
        self.bars = ax.bar(IHI_SCORES, [0] * len(IHI_SCORES), width=0.4, color=[ihi_colour(x) for x in IHI_SCORES])
        self.move(*self.bars)
        ax.set_xticks(IHI_SCORES, [f"{x:g}" for x in IHI_SCORES], fontsize=8)
        ax.set_xlabel("IHI score (2 = baseline data, 3 = modest, 4 = significant improvement)", fontsize=9)
        ax.set_ylabel("teams")
        ax.set_ylim(0, n)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))

    def update(self) -> None:
        for bar, count in zip(self.bars, ihi_counts(self.model), strict=True):
            bar.set_height(count)


class TeamsChart(Chart):
    title = "Teams active and dropped out"

    def make(self) -> None:
        ax = self.ax
        (self.active,) = ax.plot([], [], color="tab:blue", label="in the collaborative")
        (self.dropped,) = ax.plot([], [], color="tab:red", label="dropped out")
        self.move(self.active, self.dropped)
        ax.set_ylim(0, self.model.team_states.size + 1)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _month_axis(ax, self.model)
        ax.set_ylabel("teams")
        ax.legend(loc="center right", fontsize=8)

    def update(self) -> None:
        month = series(self.model, "month")
        self.active.set_data(month, series(self.model, "active_teams"))
        self.dropped.set_data(month, series(self.model, "dropped_teams"))


class CostChart(Chart):
    def make(self) -> None:
        currency = self.model.params.currency
        self.ax.set_title(f"Cost so far ({currency}, thousands)", fontsize=11)
        (self.line,) = self.ax.plot([], [], color="tab:orange")
        self.move(self.line)
        self.fill: Any = None
        _month_axis(self.ax, self.model)
        self.ax.set_ylim(0, 100.0)
        self.ax.set_ylabel(f"{currency} thousand")

    def update(self) -> None:
        month, cost = series(self.model, "month"), series(self.model, "cost_so_far") / 1000
        self.line.set_data(month, cost)
        fill = self.ax.fill_between(month, cost, color="tab:orange", alpha=0.4)
        fill.set_animated(True)
        if self.fill is None:
            self.moving.append(fill)
        else:
            self.moving[self.moving.index(self.fill)] = fill
            self.fill.remove()
        self.fill = fill
        _grow(self.ax, cost, low=0.0)


class NetworkChart(Chart):
    """The teams on a circle coloured by IHI score (grey crosses: dropped out), their ties in light grey, and in
    blue the ties along which changes passed (thicker: more changes)."""

    title = "Teams, and the ties that carried changes"

    def make(self) -> None:
        from matplotlib.collections import LineCollection

        ax, n = self.ax, self.model.team_states.size
        angle = 2 * np.pi * np.arange(n) / max(n, 1)
        self.xy = np.column_stack([np.cos(angle), np.sin(angle)])
        self.ties = LineCollection([], colors="0.8", linewidths=0.5, zorder=1)
        self.carried = LineCollection([], colors="tab:blue", zorder=2)
        ax.add_collection(self.ties)
        ax.add_collection(self.carried)
        self.teams = ax.scatter(self.xy[:, 0], self.xy[:, 1], s=max(12, 2400 / max(n, 1)), edgecolors="black",
                                linewidths=0.4, zorder=3)
        self.dropped = ax.scatter([], [], marker="x", color="0.45", s=max(12, 1600 / max(n, 1)), zorder=4)
        self.move(self.ties, self.carried, self.teams, self.dropped)
        ax.set_position((0.0, 0.0, 1.0, 0.9))  # no axes to label: the whole figure for the picture
        ax.set_aspect("equal")
        ax.set_xlim(-1.25, 2.35)
        ax.set_ylim(-1.15, 1.15)
        ax.axis("off")
        handles = [
            Line2D([], [], marker="o", ls="", color=ihi_colour(1.0), mec="k", mew=0.4, label="IHI score 1-2"),
            Line2D([], [], marker="o", ls="", color=ihi_colour(3.0), mec="k", mew=0.4, label="IHI score 3"),
            Line2D([], [], marker="o", ls="", color=ihi_colour(4.5), mec="k", mew=0.4, label="IHI score 4-5"),
            Line2D([], [], marker="x", ls="", color="0.45", label="dropped out"),
            Line2D([], [], color="0.8", lw=1, label="tie"),
            Line2D([], [], color="tab:blue", lw=2, label="tie that carried\nchanges (darker:\nmore changes)"),
        ]
        ax.legend(handles=handles, loc="center right", fontsize=7, frameon=False)

    def update(self) -> None:
        model = self.model
        ties = model.ties
        upper = np.triu(ties.strength > 0, k=1) | np.triu(ties.working, k=1)
        carried = ties.carried + ties.carried.T
        passed = upper & (carried > 0)
        a, b = np.nonzero(upper & ~passed)
        self.ties.set_segments(np.stack([self.xy[a], self.xy[b]], axis=1) if a.size else [])
        a, b = np.nonzero(passed)
        self.carried.set_segments(np.stack([self.xy[a], self.xy[b]], axis=1) if a.size else [])
        if a.size:  # width and darkness grow with the changes a tie carried, so the busiest ties stand out
            share = np.log1p(carried[a, b]) / np.log1p(carried[a, b].max())
            colours = np.zeros((a.size, 4))
            colours[:] = (0.12, 0.47, 0.71, 0.0)  # tab:blue
            colours[:, 3] = 0.1 + 0.8 * share**2
            self.carried.set_color(colours)
            self.carried.set_linewidths(0.3 + 2.2 * share**2)
        dropped = np.array([team.status == "dropped" for team in model.teams], dtype=bool)
        colours = ihi_colour(np.asarray(model.team_states.ihi_score, dtype=float))
        colours[dropped] = (1.0, 1.0, 1.0, 0.0)
        self.teams.set_facecolors(colours)
        self.teams.set_edgecolors(np.where(dropped[:, None], (1.0, 1.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0)))
        self.dropped.set_offsets(self.xy[dropped] if dropped.any() else np.empty((0, 2)))


CHARTS: tuple[type[Chart], ...] = (PerformanceChart, IhiChart, TeamsChart, CostChart, NetworkChart)


class LiveCharts:
    """The five charts of one run, updated together after each Step."""

    def __init__(self, model: DashboardModel) -> None:
        self.model = model
        self.charts = [make(model) for make in CHARTS]

    def pictures(self) -> list[bytes]:
        """Each chart as PNG bytes, its data brought up to the model's week first."""
        return [chart.picture() for chart in self.charts]
