"""Plots in one consistent style, readable in print, and the shared plumbing of every figure function.

Library code never chooses a matplotlib backend: in a notebook the figures show inline (or with
``plt.show()``), and the command line sets ``MPLBACKEND=Agg`` itself (:func:`qicsim.cli.console`, the program's entry).

Every figure function here and in :mod:`analysis.figures` follows one contract:

- it returns the matplotlib :class:`~matplotlib.figure.Figure` it drew on (or ``None`` when there is
  nothing to draw);
- it writes a file (atomically) only when given a ``path``;
- a single-panel figure takes ``ax=`` (an Axes to draw into); a figure of several panels takes ``fig=``
  (an empty Figure or SubFigure, e.g. one of ``fig.subfigures(...)``, whose panels it creates), because
  its panels (and their shared axes) cannot be drawn into one Axes;
- when it made the figure itself and wrote it to a path, it closes it in pyplot (a report draws dozens)
  but still returns it; a figure drawn into a given ``ax`` or ``fig`` is never closed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from qicsim.analysis.cea import ARM_LABELS, ARMS
from qicsim.sim.files import atomic_open

STYLE = {
    "figure.figsize": (6.4, 4.4), "figure.dpi": 150, "font.size": 10, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "legend.frameon": False,
}
COLOURS = {"collaborative": "#1b6ca8", "traditional": "#d1495b", "none": "#6c757d"}


def save(fig: Figure | SubFigure, path: str | Path) -> Path:
    """Write a figure (the whole figure, for a SubFigure) atomically (temporary file, then rename); it
    stays open."""
    path = Path(path)
    root = fig.get_figure(root=True) if isinstance(fig, SubFigure) else fig
    with atomic_open(path, "wb") as handle:
        root.savefig(handle, format=path.suffix.lstrip(".") or "png", bbox_inches="tight")
    return path


def axes_for(ax: Axes | None, figsize: tuple[float, float] | None = None) -> tuple[Axes, bool]:
    """The Axes to draw into: ``ax``, or one on a new pyplot figure; and whether the figure is new."""
    if ax is not None:
        return ax, False
    _, ax = plt.subplots(figsize=figsize)
    return ax, True


def figure_for(fig: Figure | SubFigure | None, figsize: tuple[float, float] | None = None
               ) -> tuple[Figure | SubFigure, bool]:
    """The (Sub)Figure to lay panels out in: ``fig``, or a new pyplot figure; and whether it is new."""
    if fig is not None:
        return fig, False
    return plt.figure(figsize=figsize), True


def finish(fig: Figure | SubFigure, path: str | Path | None, created: bool) -> Figure:
    """The end of every figure function: write to ``path`` if given; close a figure the function made
    itself once it is written; return the (root) Figure."""
    root = fig.get_figure(root=True) if isinstance(fig, SubFigure) else fig
    try:
        if path is not None:
            save(root, path)
    finally:
        if created and path is not None:
            plt.close(root)
    return root


def ce_plane(replicates: pd.DataFrame, wtp: float, currency: str, path: str | Path | None = None, *,
             ax: Axes | None = None) -> Figure:
    """Incremental cost against incremental QALYs of the collaborative, one point per replicate
    and comparator, with the willingness-to-pay line (points below it are cost-effective)."""
    wide = replicates.pivot(index="replicate", columns="arm")
    with plt.style.context(STYLE):
        ax, created = axes_for(ax)
        xs = []
        for comparator in ARMS[1:]:
            dq = wide["qalys"]["collaborative"] - wide["qalys"][comparator]
            dc = wide["net_cost"]["collaborative"] - wide["net_cost"][comparator]
            xs.extend(dq)
            ax.scatter(dq, dc, s=18, alpha=0.7, color=COLOURS[comparator],
                       label=f"vs {ARM_LABELS[comparator]}")
            ax.scatter([dq.mean()], [dc.mean()], s=90, marker="X", color=COLOURS[comparator], edgecolor="black")
        span = np.array([min(0.0, min(xs)), max(0.0, max(xs))]) * 1.1
        ax.plot(span, wtp * span, color="black", lw=1, ls="--", label=f"WTP {currency} {wtp:,.0f}/QALY")
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlabel("incremental QALYs (discounted)")
        ax.set_ylabel(f"incremental net cost ({currency}, discounted)")
        ax.set_title("Cost-effectiveness plane: collaborative against comparators")
        ax.legend(loc="best")
        return finish(ax.get_figure(), path, created)


def acceptability_curve(curve: pd.DataFrame, wtp: float, currency: str, path: str | Path | None = None, *,
                        ax: Axes | None = None) -> Figure:
    """Share of replicates in which each design has the highest net monetary benefit, by WTP."""
    with plt.style.context(STYLE):
        ax, created = axes_for(ax)
        for arm in ARMS:
            ax.plot(curve["wtp"], curve[ARM_LABELS[arm]], color=COLOURS[arm], lw=2, label=ARM_LABELS[arm])
        ax.axvline(wtp, color="black", lw=1, ls="--")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(f"willingness to pay ({currency} per QALY)")
        ax.set_ylabel("probability most cost-effective")
        ax.set_title("Cost-effectiveness acceptability curves")
        ax.legend(loc="best")
        return finish(ax.get_figure(), path, created)
