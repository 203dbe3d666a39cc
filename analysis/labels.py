"""Human labels for the outcome keys of a run summary (``summary.csv``, ``result.summary``), the sweep tables
and the cost-effectiveness tables: "Drop-out rate" rather than ``dropout_rate``. One table, used by the report;
a key it does not know is made readable from its own words (:func:`label`)."""

from __future__ import annotations

import re

LABELS: dict[str, str] = {
    # the headline outcomes (qicsim.sim.SUMMARY_KEYS), in that order
    "dropout_rate": "Drop-out rate",
    "significant_improvement_rate": "Share of teams significantly improved",
    "sustained_rate": "Share of teams with a sustained improvement",
    "mean_relative_improvement": "Mean relative improvement",
    "months_to_first_result_mean": "Months to a first result (mean)",
    "continued_qi_rate": "Share of teams still using QI",
    "total_cost": "Total cost",
    # the rest of a run summary
    "teams": "Teams enrolled",
    "cost_per_significant_improvement": "Cost per significant improvement",
    "cost_per_sustained_improvement": "Cost per sustained improvement",
    "net_monetary_benefit": "Net monetary benefit",
    "cost_discounted": "Cost, discounted",
    "cost_health_system_discounted": "Health-system cost, discounted",
    "qalys": "QALYs gained (discounted)",
    "savings": "Savings (cost offsets)",
    "health_gain": "Health gain (measure units × patients)",
    "cost_programme": "Programme cost",
    "cost_health_system": "Health-system cost",
    "cost_organisers": "Cost: organisers",
    "cost_faculty": "Cost: faculty",
    "cost_venue_and_travel": "Cost: venue and travel",
    "cost_local_funding": "Cost: local funding",
    "cost_coaching": "Cost: coaching",
    "cost_site_visits": "Cost: site visits",
    "cost_group_calls": "Cost: group calls",
    "cost_benchmarking": "Cost: benchmarking",
    "cost_forum": "Cost: forum",
    "cost_meeting_staff_time": "Cost: staff time at meetings",
    "cost_team_time": "Cost: team time",
    "cost_data_collection": "Cost: data collection",
    "cost_upkeep": "Cost: upkeep",
    "cost_spread": "Cost: spread",
    "leader_change_rate": "Team-leader change rate",
    "mean_measure_baseline": "Mean measure at baseline",
    "mean_measure_end": "Mean measure at the end",
    "mean_measure_follow_up": "Mean measure at the end of follow-up",
    "mean_ihi_score_end": "Mean IHI score at the end",
    "mean_successful_changes": "Successful changes per team (mean)",
    "months_organising_mean": "Months organising (mean)",
    "first_result_rate": "Share of teams with a first result",
    "changes_from_peers_mean": "Changes from peers per team (mean)",
    "spread_share_inside_end": "Share of participants' other units using the changes",
    "spread_share_outside_end": "Share of other organisations' units using the changes",
    "spread_units": "Units using the changes beyond the participants",
    "spread_units_share": "Share of reachable units using the changes",
    "spread_organisations": "Organisations reached beyond the participants",
    "method_spread_units": "Units using the QI method beyond the participants",
    # the workshop's budget game (qicsim.game)
    "programme_cost_per_sustained_improvement": "Programme cost per sustained improvement (all seeds pooled)",
    # cost-effectiveness (qicsim cea)
    "cost": "Cost (health system, discounted)",
    "net_cost": "Net cost (cost − savings)",
    "nmb": "Net monetary benefit",
    "incremental_cost": "Incremental net cost",
    "incremental_qalys": "Incremental QALYs",
    "incremental_nmb": "Incremental net monetary benefit",
    "icer": "ICER",
    "prob_cost_effective": "P(cost-effective)",
}
"""Key -> label. Keys are kept visible next to their labels in the report, so that a reader can find the column."""

_WORDS = {"qi": "QI", "ihi": "IHI", "qalys": "QALYs", "qaly": "QALY", "nmb": "NMB", "icer": "ICER"}


def label(key: str) -> str:
    """The human label of an outcome key: from :data:`LABELS`, else the key's words ('_mean' read as
    '(mean)', 'cost_x' as 'Cost: x', abbreviations in capitals)."""
    if key in LABELS:
        return LABELS[key]
    if key.startswith("cost_"):
        return "Cost: " + _readable(key.removeprefix("cost_"))
    suffix = ""
    if key.endswith("_mean"):
        key, suffix = key.removesuffix("_mean"), " (mean)"
    text = _readable(key)
    return (text[:1].upper() + text[1:] if text else key) + suffix


def _readable(key: str) -> str:
    return " ".join(_WORDS.get(word.lower(), word) for word in re.split(r"[_\s]+", key) if word)
