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
- ``ihi_score_end``: the IHI score in the month the collaborative (or project) ends;
- ``changes_from_peers``: adopted changes whose idea came from, or was proven by, a tied peer team
  (change spread within the collaborative);
- ``spread_units``: units beyond the participants that adopted changes reached through the team,
  directly or along a chain of adopting units (change spread beyond the collaborative);
- ``roll_out_days``: days from the team's first result to the first adoption by another unit of its
  own organisation in the organisation's roll-out of the change ('pilot improvement used by other
  organisational units', a 'roll out effort', paper, ref 8); empty when the organisation did not
  decide to roll it out.

Spread summary keys count units and organisations beyond the participants (cumulative to the end
of follow-up): ``spread_units``, ``spread_organisations`` (non-participating organisations with a
unit that adopted), ``method_spread_units`` (units that took up QI methods), ``spread_units_share``
(of all units that could adopt).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qicsim.sim import calendar as cal
from qicsim.sim.model import CollaborativeModel
from qicsim.sim.modules.costs import HEALTH_SYSTEM, PROGRAMME
from qicsim.sim.modules.spread import TOTALS
from qicsim.sim.populations import DROPPED


def team_outcomes(model: CollaborativeModel) -> pd.DataFrame:
    """One row per team at the end of the run."""
    s = model.params
    t = model.team_states
    end = model.end_snapshot
    threshold = s.significant_improvement_threshold
    significant = end["relative_improvement"] >= threshold
    relative_follow_up = model.relative_improvement()
    performance_follow_up = model.performance()
    n = t.size
    ihi_end = end.get("ihi_score_end", t.ihi_score)
    return pd.DataFrame({
        "team_id": np.arange(1, n + 1),
        "organisation_id": [team.organisation.organisation_id for team in model.teams],
        "sent_by_management": t.sent_by_management.copy(),
        "leader_changed": end["leader_changed"],
        "dropped": t.status == DROPPED,
        "relative_improvement": end["relative_improvement"],
        "significant_improvement": significant,
        "sustained": significant & (relative_follow_up >= threshold),
        "changes_adopted": model.ideas.adopted_by_team(),
        "successful_changes": end["successful_changes"],
        "first_result_month": _months(t.first_result_week),
        "ihi_score_end": ihi_end,
        "dropped_month": _months(t.dropped_week),
        "performance_baseline": t.baseline.copy(),
        "performance_end": end["performance_end"],
        "performance_follow_up": performance_follow_up,
        "relative_change": (end["performance_end"] - t.baseline) / t.baseline,
        "relative_improvement_follow_up": relative_follow_up,
        "continued_qi": t.using_qi.copy(),
        "months_organising": t.organising_weeks / cal.WEEKS_PER_MONTH,
        "tests_run": t.tests_run.copy(),
        "changes_from_peers": model.ideas.from_peers_by_team(),
        "spread_units": model.organisation_states.units_reached[:n].copy(),
        "roll_out_days": _roll_out_days(model, model.module("spread").first_roll_out_month()),
        "changes_improving_measure": end["changes_improving_measure"],
        "changes_in_practice": end["changes_in_practice"],
        "months_measured": end["months_measured"],
    })


def _months(weeks: np.ndarray) -> np.ndarray:
    """The reporting month of each week (NaN stays NaN)."""
    return np.array([math.nan if math.isnan(w) else float(cal.month_of(int(w))) for w in weeks.tolist()])


def _roll_out_days(model: CollaborativeModel, months: np.ndarray) -> np.ndarray:
    """Days from each team's first result to the month end at which another of its units had adopted."""
    first = model.team_states.first_result_week
    days = np.full(len(months), math.nan)
    for i, month in enumerate(months.tolist()):
        if not (math.isnan(month) or math.isnan(first[i])):
            week = model.calendar.month_end_weeks[int(month) - 1]
            days[i] = max(0.0, (week - first[i]) * cal.DAYS_PER_WEEK)
    return days


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
        "changes_from_peers_mean": share("changes_from_peers"),
        **spread_summary(model),
    }


def spread_summary(model: CollaborativeModel) -> dict[str, float]:
    """Spread beyond the participants at the end of the run."""
    spread = model.module("spread")
    totals = dict(zip(TOTALS, spread.totals.tolist(), strict=True))
    targets = int(np.count_nonzero(spread.targets))
    units, teams = model.units, model.team_states.size
    inside = (units.org < teams) & ~units.participant  # the participants' other units
    outside = units.org >= teams
    adopted_end = model.end_snapshot.get("spread_adopted", model.unit_states.adopted)
    return {
        "spread_share_inside_end": _share_of(adopted_end, inside),
        "spread_share_outside_end": _share_of(adopted_end, outside),
        "spread_units": float(totals["spread_units"]),
        "spread_units_share": totals["spread_units"] / targets if targets else math.nan,
        "spread_organisations": float(totals["spread_organisations"]),
        "method_spread_units": float(totals["method_spread_units"]),
    }


def _share_of(adopted: np.ndarray, where: np.ndarray) -> float:
    n = int(np.count_nonzero(where))
    return float(np.count_nonzero(adopted & where) / n) if n else math.nan


def adoption_curve(model: CollaborativeModel) -> pd.DataFrame:
    """Cumulative adoption beyond the participants, one row per month (month 0 = enrolment)."""
    columns = ["month", "spread_units", "spread_organisations", "method_spread_units", "exposed_units",
               "participating_units_adopted"]
    return model.module("spread").adoption_curve()[columns]


def replicate_interval(values: np.ndarray) -> tuple[float, float, float, int]:
    """Mean and 95% interval (2.5th-97.5th percentile) of one outcome over replicates, leaving out the
    replicates without a finite value, and how many had one (NaN everywhere when none did)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return math.nan, math.nan, math.nan, 0
    low, high = (float(x) for x in np.percentile(finite, [2.5, 97.5]))
    return float(finite.mean()), low, high, int(finite.size)


def monthly_teams(model: CollaborativeModel) -> pd.DataFrame:
    """The monthly team table (one row per team per month, month 0 = enrolment)."""
    return model.team_table.frame()
