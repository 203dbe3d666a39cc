"""Cost-effectiveness of a collaborative against its comparators, done the way health economists do.

Each replicate runs the collaborative, the traditional QI team and no intervention on the *same
seed* (common random numbers), so the teams, organisations and their chance events are shared and
the differences between arms are the designs' effects, not sampling noise. Costs are the
health system's (the programme plus the organisations' own staff time), discounted, whatever
perspective the scenario reports its ``total_cost`` in; effects are discounted QALYs; savings (cost offsets) reduce
net cost. For each comparator: incremental cost, incremental effect, the ICER -- or, where one
arm is both cheaper and better, the label 'dominant' or 'dominated' instead of a ratio whose
negative sign would mislead -- and the net monetary benefit at a willingness-to-pay. Over the
replicates: the cost-effectiveness plane and the acceptability curve. With a posterior sample of the
calibrated inputs (``qicsim cea`` uses the built-in one unless told otherwise) each replicate takes
one draw for all its arms, so the plane and the curve hold the inputs' uncertainty too (a
probabilistic sensitivity analysis).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qicsim import sim
from qicsim.sim.posterior import Posterior

ARMS = ("collaborative", "traditional", "none")
ARM_LABELS = {"collaborative": "collaborative", "traditional": "traditional QI team", "none": "no intervention"}


def icer_label(d_cost: float, d_effect: float, effect_unit: str = "QALY", currency: str = "") -> str:
    """A plain-language verdict for an incremental cost and effect (new arm minus comparator).

    - more effect, no more cost: 'dominant'; less effect, no less cost: 'dominated';
    - more effect, more cost: the ICER, cost per unit of effect gained;
    - less effect, less cost: the ICER as savings per unit of effect *lost* (south-west quadrant);
    - no difference in effect: 'no difference in effect' with the cost difference.
    """
    money = f"{currency} " if currency else ""
    if d_effect == 0 or math.isclose(d_effect, 0.0, abs_tol=1e-12):
        if d_cost == 0:
            return "no difference in effect or cost"
        word = "lower (cost-saving)" if d_cost < 0 else "higher"
        return f"no difference in effect; net cost {word} by {money}{abs(d_cost):,.0f}"
    if d_effect > 0 and d_cost <= 0:
        return "dominant (more effective, not more costly)"
    if d_effect < 0 and d_cost >= 0:
        return "dominated (less effective, not less costly)"
    ratio = d_cost / d_effect
    if d_effect > 0:
        return f"ICER {money}{ratio:,.0f} per {effect_unit} gained"
    return f"less costly and less effective: saves {money}{ratio:,.0f} per {effect_unit} lost"


@dataclass(frozen=True)
class CEAResult:
    """Per-replicate results by arm (``replicates``) and the comparison table (``table``)."""

    scenario: sim.Scenario
    wtp: float
    replicates: pd.DataFrame  # replicate, seed, arm, cost, savings, net_cost, qalys, nmb, significant, sustained
    table: pd.DataFrame  # one row per comparator


def run_arms(scenario: sim.Scenario, reps: int, seed: int, progress=None, posterior: Posterior | None = None,
             keep: Collection[str] = ()) -> pd.DataFrame:
    """Run every arm on the same derived seeds -- and, with a posterior, the same draw of the calibrated inputs
    (all but ``keep``) in every arm of a replicate; one row per replicate and arm."""
    rows = []
    for r in range(reps):
        run_seed = sim.derive_seed(seed, r)
        drawn = posterior.apply(scenario, run_seed, keep) if posterior is not None else scenario
        designs = {arm: drawn if drawn.mode == arm else drawn.with_overrides(mode=arm) for arm in ARMS}
        inputs = {f"input_{n}": getattr(drawn, n) for n in posterior.parameters} if posterior is not None else {}
        for arm, design in designs.items():
            summary = sim.run(design, seed=run_seed).summary
            teams = summary["teams"]
            rows.append({
                "replicate": r, "seed": run_seed, "arm": arm,
                "cost": summary["cost_health_system_discounted"], "savings": summary["savings"],
                "net_cost": summary["cost_health_system_discounted"] - summary["savings"],
                "qalys": summary["qalys"],
                "significant": summary["significant_improvement_rate"] * teams,
                "sustained": summary["sustained_rate"] * teams, **inputs,
            })
            if progress is not None:
                progress()
    return pd.DataFrame(rows)


def _per(cost: float, count: float) -> float:
    return cost / count if count > 0 else math.nan


def compare(replicates: pd.DataFrame, scenario: sim.Scenario, wtp: float) -> pd.DataFrame:
    """The comparison table: the collaborative against each comparator, means over replicates."""
    wide = replicates.pivot(index="replicate", columns="arm")
    new = "collaborative"
    rows = []
    for comparator in ARMS[1:]:
        d_cost = wide["net_cost"][new] - wide["net_cost"][comparator]
        d_qaly = wide["qalys"][new] - wide["qalys"][comparator]
        inc_nmb = wtp * d_qaly - d_cost
        mean_dc, mean_de = float(d_cost.mean()), float(d_qaly.mean())
        worth = "cost-effective" if float(inc_nmb.mean()) > 0 else "not cost-effective"  # on the mean net benefit
        money = f"{scenario.currency} " if scenario.currency else ""
        rows.append({
            "comparator": ARM_LABELS[comparator],
            "incremental_cost": mean_dc,
            "incremental_qalys": mean_de,
            "icer": mean_dc / mean_de if mean_de > 0 and mean_dc > 0 else math.nan,
            "verdict": f"{icer_label(mean_dc, mean_de, 'QALY', scenario.currency)}; {worth} at {money}"
                       f"{wtp:,.0f} per QALY",
            "incremental_nmb": float(inc_nmb.mean()),
            "prob_cost_effective": float((inc_nmb > 0).mean()),
        })
    table = pd.DataFrame(rows)
    arms = replicates.groupby("arm").mean(numeric_only=True).reindex(list(ARMS))
    table.attrs["arms"] = pd.DataFrame({
        "arm": [ARM_LABELS[a] for a in ARMS],
        "cost": arms["cost"].to_numpy(),
        "net_cost": arms["net_cost"].to_numpy(),
        "qalys": arms["qalys"].to_numpy(),
        "nmb": (wtp * arms["qalys"] - arms["net_cost"]).to_numpy(),
        "cost_per_significant_improvement": [_per(c, n) for c, n in zip(arms["cost"], arms["significant"],
                                                                          strict=True)],
        "cost_per_sustained_improvement": [_per(c, n) for c, n in zip(arms["cost"], arms["sustained"],
                                                                        strict=True)],
    })
    return table


def acceptability(replicates: pd.DataFrame, wtps: np.ndarray) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves: at each willingness-to-pay, the share of replicates
    in which each arm has the highest net monetary benefit."""
    cost = replicates.pivot(index="replicate", columns="arm", values="net_cost")[list(ARMS)].to_numpy()
    qaly = replicates.pivot(index="replicate", columns="arm", values="qalys")[list(ARMS)].to_numpy()
    rows = []
    for wtp in wtps:
        best = np.argmax(wtp * qaly - cost, axis=1)
        rows.append({"wtp": float(wtp), **{ARM_LABELS[a]: float((best == i).mean()) for i, a in enumerate(ARMS)}})
    return pd.DataFrame(rows)


def analyse(scenario: sim.Scenario, reps: int, seed: int, wtp: float, progress=None,
            posterior: Posterior | None = None, keep: Collection[str] = ()) -> CEAResult:
    """Run the arms and compare them (with a posterior: a probabilistic sensitivity analysis over the calibrated
    inputs as well as the simulation's own chance)."""
    replicates = run_arms(scenario, reps, seed, progress, posterior, keep)
    return CEAResult(scenario, wtp, replicates, compare(replicates, scenario, wtp))
