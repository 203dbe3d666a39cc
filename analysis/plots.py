"""Plots in one consistent style, readable in print (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from qicsim.analysis.cea import ARM_LABELS, ARMS  # noqa: E402
from qicsim.sim.files import atomic_open  # noqa: E402

STYLE = {
    "figure.figsize": (6.4, 4.4), "figure.dpi": 150, "font.size": 10, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "legend.frameon": False,
}
COLOURS = {"collaborative": "#1b6ca8", "traditional": "#d1495b", "none": "#6c757d"}


def save(fig: plt.Figure, path: Path) -> Path:
    """Write a figure atomically (temporary file, then rename) and close it."""
    path = Path(path)
    try:
        with atomic_open(path, "wb") as handle:
            fig.savefig(handle, format=path.suffix.lstrip(".") or "png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def ce_plane(replicates: pd.DataFrame, wtp: float, currency: str, path: Path) -> Path:
    """Incremental cost against incremental QALYs of the collaborative, one point per replicate
    and comparator, with the willingness-to-pay line (points below it are cost-effective)."""
    wide = replicates.pivot(index="replicate", columns="arm")
    with plt.style.context(STYLE):
        fig, ax = plt.subplots()
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
        return save(fig, path)


def acceptability_curve(curve: pd.DataFrame, wtp: float, currency: str, path: Path) -> Path:
    """Share of replicates in which each design has the highest net monetary benefit, by WTP."""
    with plt.style.context(STYLE):
        fig, ax = plt.subplots()
        for arm in ARMS:
            ax.plot(curve["wtp"], curve[ARM_LABELS[arm]], color=COLOURS[arm], lw=2, label=ARM_LABELS[arm])
        ax.axvline(wtp, color="black", lw=1, ls="--")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(f"willingness to pay ({currency} per QALY)")
        ax.set_ylabel("probability most cost-effective")
        ax.set_title("Cost-effectiveness acceptability curves")
        ax.legend(loc="best")
        return save(fig, path)
