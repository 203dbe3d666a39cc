"""What a finished run reports: one row per team, and one number per outcome.

Definitions (shares are of the teams that enrolled, intention to treat):
- ``relative_improvement``: improvement of the true measure on the team's own baseline at the end
  of the collaborative (positive = better, whichever direction the measure runs);
- ``significant_improvement``: relative improvement of at least ``significant_improvement_threshold``
  (20% by default, the IHI usage quoted in the paper);
- ``sustained``: significant at the end and still significant at the end of follow-up;
- ``successful_changes``: tests that succeeded during the collaborative (the ADE collaborative's count);
  ``changes_adopted``: all changes adopted, follow-up included;
- ``first_result_month``: month of the first successful change, 'the first tangible result' (paper);
- ``continued_qi``: still using QI methods at the end of follow-up;
- ``ihi_score_end``: the IHI score in the month the collaborative (or project) ends.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim import calendar as cal
from sim.agents import Team
from sim.costs import HEALTH_SYSTEM, PROGRAMME
from sim.model import CollaborativeModel


def team_outcomes(model: CollaborativeModel) -> pd.DataFrame:
    """One row per team at the end of the run."""
    s = model.params
    rows = []
    for t in model.teams:
        end = model.end_snapshot[t.unique_id]
        significant = end["relative_improvement"] >= s.significant_improvement_threshold
        rows.append({
            "team_id": t.team_id,
            "organisation_id": t.organisation.organisation_id,
            "sent_by_management": t.sent_by_management,
            "leader_changed": end["leader_changed"],
            "dropped": t.status == "dropped",
            "relative_improvement": end["relative_improvement"],
            "significant_improvement": significant,
            "sustained": significant and t.relative_improvement >= s.significant_improvement_threshold,
            "changes_adopted": len(t.changes),
            "successful_changes": end["successful_changes"],
            "first_result_month": cal.month_of(t.first_result_week) if not math.isnan(t.first_result_week)
            else math.nan,
            "ihi_score_end": end.get("ihi_score_end", t.ihi_score),
            "dropped_month": cal.month_of(t.dropped_week) if t.dropped_week is not None else math.nan,
            "performance_baseline": t.baseline,
            "performance_end": end["performance_end"],
            "performance_follow_up": t.performance,
            "relative_change": (end["performance_end"] - t.baseline) / t.baseline,
            "relative_improvement_follow_up": t.relative_improvement,
            "continued_qi": t.using_qi,
            "months_organising": t.organising_weeks / cal.WEEKS_PER_MONTH,
            "tests_run": t.tests_run,
        })
    return pd.DataFrame(rows)


def summarise(outcomes: pd.DataFrame, model: CollaborativeModel) -> dict[str, float]:
    """One number per outcome for a run."""
    first = outcomes["first_result_month"].dropna()

    def share(col: str) -> float:
        return float(outcomes[col].mean())

    ledger = model.ledger
    significant = int(outcomes["significant_improvement"].sum())
    sustained = int(outcomes["sustained"].sum())
    total = float(model.total_cost)
    return {
        "teams": float(len(outcomes)),
        "dropout_rate": share("dropped"),
        "significant_improvement_rate": share("significant_improvement"),
        "sustained_rate": share("sustained"),
        "mean_relative_improvement": share("relative_improvement"),
        "months_to_first_result_mean": float(first.mean()) if len(first) else math.nan,
        "continued_qi_rate": share("continued_qi"),
        "total_cost": total,
        "cost_per_significant_improvement": total / significant if significant else math.nan,
        "cost_per_sustained_improvement": total / sustained if sustained else math.nan,
        "net_monetary_benefit": ledger.net_monetary_benefit(),
        "cost_discounted": ledger.total(discounted=True),
        "cost_health_system_discounted": ledger.total(discounted=True, perspective="health_system"),
        "qalys": ledger.qalys,
        "savings": ledger.savings,
        "health_gain": ledger.health_gain,
        "cost_programme": sum(ledger.cost[c] for c in PROGRAMME),
        "cost_health_system": sum(ledger.cost[c] for c in HEALTH_SYSTEM),
        **{f"cost_{c}": float(ledger.cost[c]) for c in HEALTH_SYSTEM},
        "leader_change_rate": share("leader_changed"),
        "mean_measure_baseline": share("performance_baseline"),
        "mean_measure_end": share("performance_end"),
        "mean_measure_follow_up": share("performance_follow_up"),
        "mean_ihi_score_end": share("ihi_score_end"),
        "mean_successful_changes": share("successful_changes"),
        "months_organising_mean": share("months_organising"),
        "first_result_rate": float(len(first) / len(outcomes)) if len(outcomes) else math.nan,
    }


def monthly_teams(model: CollaborativeModel) -> pd.DataFrame:
    """The monthly team table (one row per team per month, month 0 = enrolment)."""
    df = model.datacollector.get_agenttype_vars_dataframe(Team).reset_index(drop=True)
    df["month"] = df["month"].astype(np.int64)
    return df.sort_values(["month", "team_id"], kind="stable").reset_index(drop=True)
