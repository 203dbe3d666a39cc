"""Comparative data feedback: benchmark reports that show each team where it stands among its peers.

Audit and feedback works, a little, and more where baseline performance is low (Ivers et al. 2012,
Cochrane review of 140 trials; Ivers et al. 2014, J Gen Intern Med). The paper (challenges 6 and 7)
puts the strength of a common measure in teams seeing their progress; a benchmark report adds the
comparison. In each report month every team in the collaborative that has measured this month and
before (against a first measurement that is not zero) sees its improvement on its own first
measurement against the median of the teams reporting: a team behind the median is spurred on, and
the report, which goes to the senior leaders too, renews some of their engagement (challenge 4). A
team without data sees nothing: the feedback works through measurement and the team's data skills
(:mod:`sim.modules.measurement`).

``benchmark_reports``: ``none`` (the default: nothing happens), ``quarterly`` (every third month) or
``monthly``, while the collaborative runs. Costs: an analyst's hours per report and per team
(``benchmarking``).
"""

from __future__ import annotations

import numpy as np

from qicsim.sim.module import Module, Par, define_pars, gained
from qicsim.sim.modules.measurement import FOR_PROGRESS
from qicsim.sim.modules.senior_engagement import renew_engagement
from qicsim.sim.modules.support import collaborative_month
from qicsim.sim.sources import ASSUMPTION, PAPER

IVERS = "Ivers et al. 2012, Cochrane Database Syst Rev (audit and feedback)"
REPORT_EVERY = {"none": 0, "quarterly": 3, "monthly": 1}
"""Months between benchmark reports."""


class Benchmarking(Module):
    """Benchmark reports: each reporting team's improvement against the median team's."""

    name = "benchmarking"
    section = "components"
    pars = define_pars(
        Par("benchmark_reports", "none", unit="choice", kind="design",
            source=f"{IVERS}; assumption: none by default beyond each team's own data",
            doc="comparative feedback to every team on its measure against the others'",
            choices=tuple(REPORT_EVERY)),
        Par("feedback_motivation_behind", 0.05, unit="share of gap per report", section="motivation",
            source=f"{IVERS}: feedback helps most where performance is low; {PAPER}, challenge 6",
            doc="share of its gap to full motivation a team behind the median closes on reading a report", ge=0,
            le=1, prior=(0.0, 0.15)),
        Par("feedback_engagement", 0.05, unit="share of gap per report", source=f"{ASSUMPTION}; {PAPER}, challenge 4",
            doc="share of the gap between senior leaders' engagement and their support a report closes", ge=0,
            le=1, prior=(0.0, 0.15)),
        Par("analyst_cost_per_hour", 60.0, unit="currency/hour", section="costs", kind="design",
            source="assumption: a data analyst's salary with on-costs", doc="cost of an hour of an analyst's time",
            ge=0, le=10000),
        Par("benchmark_hours_per_report", 8.0, unit="hours/report", section="costs", kind="design",
            source="assumption: preparing a report once the data are in", doc="analyst time per report", ge=0,
            le=1000),
        Par("benchmark_hours_per_team", 0.5, unit="hours/team/report", section="costs", kind="design",
            source="assumption: checking and charting one team's data", doc="analyst time per team and report",
            ge=0, le=100),
    )
    reads = ("status", "measured_performance", "baseline_measured", "measurements", "senior_support",
             "senior_engagement")
    writes = ("motivation", "senior_engagement")

    def month_end(self, month: int) -> None:
        p, model = self.p, self.model
        every = REPORT_EVERY[p.benchmark_reports]
        if not every or month % every:
            return
        t, o = model.team_states, model.organisation_states
        present, _ = collaborative_month(model, month)  # a report is sent once the month's data are in
        if not present.size:
            return
        compared = ((t.measurements[present] >= FOR_PROGRESS) & ~np.isnan(t.measured_performance[present])
                    & (t.baseline_measured[present] != 0))
        reporting = present[compared]
        if reporting.size:
            better = 1.0 if p.measure_direction == "lower_is_better" else -1.0
            first = t.baseline_measured[reporting]
            improvement = better * (first - t.measured_performance[reporting]) / np.abs(first)
            behind = reporting[improvement < np.median(improvement)]
            t.motivation[behind] += gained(p.feedback_motivation_behind, t.motivation[behind])
            renew_engagement(o, reporting, p.feedback_engagement)
        hours = p.benchmark_hours_per_report + present.size * p.benchmark_hours_per_team
        model.ledger.add_costs({"benchmarking": hours * p.analyst_cost_per_hour}, model.week)
