"""Costs, benefits and cost-effectiveness: documented scaling, discounting, ICER conventions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qicsim import sim
from qicsim.analysis.cea import compare, icer_label
from qicsim.cli import main
from qicsim.sim.modules.costs import Ledger, discount_factor, meeting_costs
from qicsim.sim.posterior import Posterior

NO_CHANCE_LOSSES = {"dropout_hazard_per_year": 0.0, "leader_turnover_per_year": 0.0,
                    "follow_up_months": 0.0, "congress_days": 0.0}


def test_meeting_cost_is_sessions_days_attendees_and_unit_costs():
    s = sim.load_scenario("breakthrough")
    one = meeting_costs(s, days=2, attending_teams=10)
    assert one["venue_and_travel"] == 2 * 10 * s.attendees_per_team * s.travel_venue_per_attendee_day
    assert one["meeting_staff_time"] == 2 * 10 * s.attendees_per_team * s.wage_per_day
    assert one["faculty"] == 2 * s.faculty_experts * s.faculty_cost_per_day
    two = meeting_costs(s, days=4, attending_teams=10)
    assert all(two[k] == pytest.approx(2 * one[k]) for k in one)


def test_twice_the_sessions_twice_the_meeting_cost():
    meeting = ["cost_faculty", "cost_venue_and_travel", "cost_meeting_staff_time"]
    three = sim.run("breakthrough", seed=3, learning_sessions=3, **NO_CHANCE_LOSSES).summary
    six = sim.run("breakthrough", seed=3, learning_sessions=6, **NO_CHANCE_LOSSES).summary
    for key in meeting:
        assert six[key] == pytest.approx(2 * three[key]), key


def test_perspectives():
    hs = sim.run("breakthrough", seed=2).summary
    prog = sim.run("breakthrough", seed=2, cost_perspective="programme").summary
    assert prog["total_cost"] == pytest.approx(hs["cost_programme"])
    assert hs["total_cost"] == pytest.approx(hs["cost_health_system"])
    assert hs["total_cost"] > prog["total_cost"] > 0
    assert sim.run("breakthrough", seed=2, mode="none").summary["total_cost"] == 0.0
    trad = sim.run("traditional", seed=2).summary
    assert trad["cost_organisers"] == trad["cost_faculty"] == trad["cost_venue_and_travel"] == 0.0


def test_discounting_against_a_hand_computed_case():
    s = sim.load_scenario("breakthrough").with_overrides(
        discount_rate_per_year=0.035, patients_per_team_per_year=1200.0, qalys_per_unit=0.5, savings_per_unit=100.0)
    ledger = Ledger(s)
    ledger.add("team_time", 1000.0, week=104)
    assert ledger.cost["team_time"] == 1000.0
    assert ledger.cost_discounted["team_time"] == pytest.approx(1000.0 / 1.035**2)
    ledger.add_benefit(0.1, month=12)  # a month of 0.1 units x 1200/12 patients = 10 unit-patients
    assert ledger.health_gain == pytest.approx(10.0)
    assert ledger.qalys == pytest.approx(10.0 * 0.5 / 1.035)
    assert ledger.savings == pytest.approx(10.0 * 100.0 / 1.035)
    assert ledger.net_monetary_benefit() == pytest.approx(
        s.willingness_to_pay * ledger.qalys + ledger.savings - 1000.0 / 1.035**2)
    assert discount_factor(0.0, 7.0) == 1.0


def test_undiscounted_run_equals_its_discounted_totals():
    r = sim.run("breakthrough", seed=4, discount_rate_per_year=0.0).summary
    assert r["cost_discounted"] == pytest.approx(r["total_cost"])
    d = sim.run("breakthrough", seed=4).summary
    assert d["cost_discounted"] < d["total_cost"] and d["qalys"] < r["qalys"]


def test_decay_after_the_end_costs_benefit():
    """Benefits run to the end of follow-up, so sustaining more of the gain is worth more QALYs."""
    diffs = [sim.run("breakthrough", seed=s, sustain_planning=0.9).summary["qalys"]
             - sim.run("breakthrough", seed=s, sustain_planning=0.0).summary["qalys"] for s in range(12)]
    assert np.mean(diffs) > 2 * np.std(diffs, ddof=1) / np.sqrt(len(diffs))


def mean_total(scenario, seeds=6):
    return float(np.mean([sim.run(scenario, seed=s).summary["total_cost"] for s in range(seeds)]))


def test_uk_orthopaedic_programme_cost_matches_the_report():
    assert mean_total("uk-orthopaedic") == pytest.approx(750_000, rel=0.2)


def test_uk_cancer_cost_per_project_matches_the_report():
    assert mean_total("uk-cancer") / sim.load_scenario("uk-cancer").teams == pytest.approx(6_000_000 / 43, rel=0.2)


@pytest.mark.parametrize(
    ("d_cost", "d_effect", "expected"),
    [
        (-10.0, 2.0, "dominant"),
        (0.0, 2.0, "dominant"),
        (10.0, -2.0, "dominated"),
        (0.0, -2.0, "dominated"),
        (100.0, 4.0, "ICER USD 25 per QALY gained"),
        (-100.0, -4.0, "less costly and less effective: saves USD 25 per QALY lost"),
        (5.0, 0.0, "no difference in effect; net cost higher by USD 5"),
        (-5.0, 0.0, "no difference in effect; net cost lower (cost-saving) by USD 5"),
    ],
)
def test_icer_labels(d_cost, d_effect, expected):
    assert icer_label(d_cost, d_effect, "QALY", "USD").startswith(expected)


def synthetic(collab, trad, none):
    rows = []
    for r in range(3):
        for arm, (cost, qalys) in zip(("collaborative", "traditional", "none"), (collab, trad, none), strict=True):
            rows.append({"replicate": r, "seed": r, "arm": arm, "cost": cost, "savings": 0.0, "net_cost": cost,
                         "qalys": qalys, "significant": 1.0, "sustained": 1.0})
    return pd.DataFrame(rows)


def test_compare_never_shows_a_negative_ratio():
    s = sim.load_scenario("breakthrough")
    table = compare(synthetic(collab=(100.0, 10.0), trad=(200.0, 5.0), none=(0.0, 20.0)), s, wtp=1000.0)
    vs_trad, vs_none = table.iloc[0], table.iloc[1]
    assert vs_trad["verdict"].startswith("dominant") and math.isnan(vs_trad["icer"])
    # the verdict at the willingness to pay follows the sign of the mean incremental net monetary benefit
    for row in (vs_trad, vs_none):
        worth = "; cost-effective at" if row["incremental_nmb"] > 0 else "; not cost-effective at"
        assert worth in row["verdict"], row["verdict"]
    assert vs_none["verdict"].startswith("dominated") and math.isnan(vs_none["icer"])
    assert vs_trad["incremental_nmb"] == pytest.approx(1000.0 * 5 + 100.0)
    assert vs_trad["prob_cost_effective"] == 1.0 and vs_none["prob_cost_effective"] == 0.0


def test_cea_command_writes_plots(tmp_path, capsys):
    code = main(["cea", "--reps", "2", "--set", "teams=6", "--set", "follow_up_months=3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "collaborative against" in out and "no intervention" in out
    for name in ("ce_plane.png", "ceac.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
    assert len(pd.read_csv(tmp_path / "cea_replicates.csv")) == 2 * 3


def test_cea_takes_one_posterior_draw_per_replicate_for_every_arm(tmp_path):
    posterior = Posterior(pd.DataFrame({"tests_per_month": [0.5, 2.5], "weight": [1.0, 1.0]}), {}, "toy")
    path = posterior.write(tmp_path / "toy.parquet")
    code = main(["cea", "--reps", "6", "--set", "teams=6", "--set", "follow_up_months=3", "--out", str(tmp_path),
                 "--posterior", str(path)])
    assert code == 0
    table = pd.read_csv(tmp_path / "cea_replicates.csv")
    per_replicate = table.groupby("replicate")["input_tests_per_month"].nunique()
    assert (per_replicate == 1).all()  # the arms of a replicate share its draw
    assert set(table["input_tests_per_month"]) == {0.5, 2.5}


def test_cea_bad_input_exits_2(capsys):
    assert main(["cea", "--wtp", "-5"]) == 2
    assert main(["cea", "--set", "discount_rate_per_year=0.9"]) == 2
    assert "discount_rate_per_year" in capsys.readouterr().err
