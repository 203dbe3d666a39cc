"""Tests of validation and calibration against published targets (analysis/targets.py, quantities.py,
validation.py, calibration.py) and of `qicsim validate` / `qicsim calibrate`."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from analysis import calibration, quantities, validation
from analysis.targets import (
    TargetsError,
    bounds,
    describe,
    excess,
    load_targets,
    parse_groups,
    passes,
    scale,
    standardised_miss,
)
from qicsim.cli import main

SHARED_TARGETS = Path("/work/shared/calibration/targets.yaml")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---- tolerance rules -------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "sim_value", "ok"), [
    ("about", 0.27, True),   # upper bound, included
    ("about", 0.13, True),   # lower bound, included
    ("about", 0.2701, False),
    ("about", 0.1299, False),
    ("about", 0.20, True),
    ("at_least", 0.13, True),
    ("at_least", 0.1299, False),
    ("at_least", 5.0, True),
    ("at_most", 0.27, True),
    ("at_most", 0.2701, False),
    ("at_most", -5.0, True),
])
def test_tolerance_rules_with_their_bounds(kind: str, sim_value: float, ok: bool) -> None:
    assert passes(kind, 0.20, 0.07, sim_value) is ok
    assert (excess(kind, 0.20, 0.07, sim_value) == 0.0) is ok


def test_a_value_on_a_bound_passes_despite_floating_point_rounding() -> None:
    assert 0.1 + 0.7 < 0.8 and 0.8 - 0.1 > 0.7  # the bounds as computed miss the decimal value
    assert passes("about", 0.1, 0.7, 0.8) and passes("at_most", 0.1, 0.7, 0.8)
    assert passes("at_least", 0.8, 0.1, 0.7) and passes("about", 0.8, 0.1, 0.7)
    assert not passes("about", 0.1, 0.7, 0.8 + 1e-6)


def test_zero_tolerance_bounds_are_the_value_itself() -> None:
    assert passes("at_most", 0.30, 0.0, 0.30) and not passes("at_most", 0.30, 0.0, 0.3001)
    assert passes("at_least", 1.0, 0.0, 1.0) and not passes("at_least", 1.0, 0.0, 0.999)
    assert passes("about", 7.2, 0.0, 7.2) and not passes("about", 7.2, 0.0, 7.21)


def test_excess_is_signed_distance_outside_the_band_and_nan_never_passes() -> None:
    assert excess("about", 0.5, 0.1, 0.75) == pytest.approx(0.15)
    assert excess("about", 0.5, 0.1, 0.30) == pytest.approx(-0.10)
    assert excess("at_least", 0.1, 0.0, 0.04) == pytest.approx(-0.06)
    assert excess("at_most", 66, 0, 70) == pytest.approx(4)
    assert math.isnan(excess("about", 0.5, 0.1, math.nan))
    assert not passes("about", 0.5, 0.1, math.nan)
    assert bounds("at_least", 1.0, 0.5) == (0.5, math.inf)
    assert bounds("at_most", 1.0, 0.5) == (-math.inf, 1.5)
    with pytest.raises(ValueError, match="about, at_least, at_most"):
        bounds("roughly", 1.0, 0.1)


def test_standardised_miss_is_in_tolerances_or_a_tenth_of_the_value() -> None:
    assert standardised_miss("about", 0.5, 0.1, 0.8) == pytest.approx(2.0)
    assert scale(0.30, 0.0) == pytest.approx(0.03)
    assert standardised_miss("at_most", 0.30, 0.0, 0.36) == pytest.approx(2.0)
    assert scale(0.0, 0.0) == 1.0
    assert describe("about", 0.2, 0.07) == "about 0.200 ± 0.070"
    assert describe("at_most", 66, 0) == "at most 66"


# ---- quantities on hand-made outcomes --------------------------------------------------------


def outcomes(**columns: list) -> pd.DataFrame:
    return pd.DataFrame(columns)


SCENARIO = sim.Scenario()


def q(name: str, frame: pd.DataFrame, summary: dict | None = None, scenario: sim.Scenario = SCENARIO) -> float:
    return quantities.compute(name, summary or {}, frame, scenario)


def test_ade_shares_partition_the_enrolled_teams() -> None:
    frame = outcomes(dropped=[True, True, False, False, False, False, False, False, False, False],
                     successful_changes=[3, 0, 0, 1, 2, 4, 5, 9, 1, 1])
    one = q("share_one_successful_change", frame)
    two_four = q("share_two_to_four_successful_changes", frame)
    five = q("share_five_or_more_successful_changes", frame)
    none = q("share_dropped_or_data_only", frame)
    assert (one, two_four, five, none) == pytest.approx((0.3, 0.2, 0.2, 0.3))  # the dropped team with 3 is 'dropped'
    assert one + two_four + five + none == pytest.approx(1.0)


def test_relative_improvement_bands_include_their_lower_bound() -> None:
    frame = outcomes(relative_improvement=[0.30, 0.2999, 0.10, 0.0999, 0.5, -0.2, math.nan, 0.15])
    assert q("share_reduction_at_least_30pct", frame) == pytest.approx(2 / 8)
    assert q("share_reduction_10_to_30pct", frame) == pytest.approx(3 / 8)


def test_significant_decrease_uses_the_scenario_threshold() -> None:
    frame = outcomes(relative_improvement=[0.04, 0.05, 0.19, 0.25])
    assert q("share_significant_decrease", frame, scenario=sim.load_scenario("uk-orthopaedic")) == 0.75  # 5%
    assert q("share_significant_decrease", frame, scenario=SCENARIO) == 0.25  # the default 20%


def test_relative_change_extremes_skip_teams_that_dropped_out() -> None:
    frame = outcomes(dropped=[True, False, False, True], relative_change=[-0.6, -0.2, 0.05, 0.4])
    assert q("min_relative_change", frame) == pytest.approx(-0.2)
    assert q("max_relative_change", frame) == pytest.approx(0.05)
    assert math.isnan(q("max_relative_change", outcomes(dropped=[True], relative_change=[0.1])))


def test_first_result_extremes_and_summary_quantities() -> None:
    frame = outcomes(first_result_month=[4.0, math.nan, 30.0, 12.0])
    assert q("min_months_to_first_result", frame) == 4.0
    assert q("max_months_to_first_result", frame) == 30.0
    summary = {"months_to_first_result_mean": 15.5, "months_organising_mean": 2.9, "mean_measure_end": 7.1,
               "dropout_rate": 0.2}
    assert q("mean_months_to_first_result", frame, summary) == 15.5
    assert q("mean_months_organising", frame, summary) == 2.9
    assert q("mean_length_of_stay_end", frame, summary) == q("mean_measure_end", frame, summary) == 7.1
    assert q("dropout_rate", frame, summary) == 0.2
    assert quantities.get("mean_measure_end_control").arm == quantities.CONTROL
    assert quantities.ARMS[quantities.CONTROL] == {"mode": "none"}


def test_total_cost_gbp_needs_a_scenario_in_pounds() -> None:
    summary = {"total_cost": 720_000.0}
    assert q("total_cost_gbp", outcomes(), summary, sim.load_scenario("uk-orthopaedic")) == 720_000.0
    with pytest.raises(quantities.QuantityNotAvailable, match="GBP"):
        q("total_cost_gbp", outcomes(), summary, SCENARIO)  # USD


def test_roll_out_quantities_need_the_roll_out_column() -> None:
    frame = outcomes(first_result_month=[3.0, 5.0, math.nan, 8.0], roll_out_days=[30.0, math.nan, math.nan, 60.0])
    assert q("share_rolled_out_to_other_units", frame) == pytest.approx(2 / 4)  # of all projects
    assert q("mean_days_roll_out", frame) == pytest.approx(45.0)
    without = frame.drop(columns="roll_out_days")
    for name in ("share_rolled_out_to_other_units", "mean_days_roll_out"):
        with pytest.raises(quantities.QuantityNotAvailable, match="roll_out_days"):
            q(name, without)


def test_unknown_quantity_names_it_and_lists_the_known_ones() -> None:
    with pytest.raises(quantities.UnknownQuantityError) as info:
        quantities.get("share_of_happy_teams")
    message = str(info.value)
    assert "share_of_happy_teams" in message and "dropout_rate" in message and "mean_days_roll_out" in message
    with pytest.raises(TargetsError, match="unknown quantity 'share_of_happy_teams'.*known quantities"):
        parse_groups({"g": {"scenario": "breakthrough", "targets": [
            {"quantity": "share_of_happy_teams", "value": 0.5, "kind": "about", "tolerance": 0.1}]}}, "test")


# ---- the targets file ------------------------------------------------------------------------


def test_project_targets_load_and_every_quantity_is_known() -> None:
    targets = load_targets()
    assert set(targets.numeric_groups()) == {"general", "ihi_adverse_drug_events", "ihi_caesarean_section",
                                            "uk_orthopaedic", "neonatal_intensive_care", "traditional_qi_teams"}
    assert targets.groups["qualitative"].claims
    for name, group in targets.numeric_groups().items():
        assert sim.load_scenario(targets.scenario_source(name)).name == group.scenario
        assert group.free, f"group {name} lists no free inputs"
        for target in group.targets:
            quantities.get(target.quantity)


@pytest.mark.skipif(not SHARED_TARGETS.is_file(), reason="the shared calibration targets are not on this machine")
def test_project_copy_keeps_the_shared_targets_and_sources() -> None:
    shared = load_targets(SHARED_TARGETS)
    ours = load_targets()
    assert list(shared.groups) == list(ours.groups)
    for name, group in shared.groups.items():
        mine = ours.groups[name]
        assert (group.source, group.scenario, group.targets, group.claims) == (
            mine.source, mine.scenario, mine.targets, mine.claims)


@pytest.mark.parametrize(("body", "expected"), [
    ({"scenario": "breakthrough", "targets": [{"quantity": "dropout_rate", "value": 0.3, "kind": "roughly",
                                                "tolerance": 0.1}]},
     ["targets[0]", "'kind'", "'roughly'", "about, at_least, at_most"]),
    ({"scenario": "breakthrough", "targets": [{"quantity": "dropout_rate", "value": 0.3, "kind": "about",
                                                "tolerance": -1}]},
     ["'tolerance'", "-1", "at least 0"]),
    ({"scenario": "breakthrough", "targets": [{"quantity": "dropout_rate", "value": "high", "kind": "about",
                                                "tolerance": 0.1}]},
     ["'value'", "'high'", "a finite number"]),
    ({"scenario": "breakthrough", "targets": [{"quantity": "dropout_rate", "value": 0.3, "kind": "about",
                                                "tolerance": 0.1, "weight": 2}]},
     ["unknown field 'weight'"]),
    ({"targets": [{"quantity": "dropout_rate", "value": 0.3, "kind": "about", "tolerance": 0.1}]},
     ["needs a 'scenario'"]),
    ({"scenario": "breakthrough", "targets": [{"quantity": "dropout_rate", "value": 0.3, "kind": "about",
                                                "tolerance": 0.1}], "free": {"didactic_shares": [0, 1]}},
     ["didactic_shares", "not a parameter"]),
    ({"scenario": "breakthrough", "targets": [{"quantity": "dropout_rate", "value": 0.3, "kind": "about",
                                                "tolerance": 0.1}], "free": {"didactic_share": [0.5, 2.0]}},
     ["didactic_share", "beyond the parameter's allowed values", "from 0 to 1"]),
    ({"scenario": "breakthrough", "targets": [{"quantity": "dropout_rate", "value": 0.3, "kind": "about",
                                                "tolerance": 0.1}], "free": {"mode": [0, 1]}},
     ["'mode'", "not numeric"]),
])
def test_malformed_targets_are_refused_naming_group_field_and_value(body: dict, expected: list[str]) -> None:
    with pytest.raises(TargetsError) as info:
        parse_groups({"my_group": body}, "targets file 'x.yaml'")
    message = str(info.value)
    assert message.startswith("targets file 'x.yaml': group 'my_group'")
    for text in expected:
        assert text in message


# ---- validation: judging and running ---------------------------------------------------------


def test_a_missing_column_is_reported_not_available_and_counts_as_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = outcomes(first_result_month=[3.0, 5.0], dropped=[False, False])
    monkeypatch.setattr(validation.sim, "run", lambda scenario, seed: SimpleNamespace(
        summary={"dropout_rate": 0.0}, team_outcomes=frame))
    task = validation.RunTask("g", "main", 0, 1, SCENARIO, ("mean_days_roll_out", "dropout_rate"))
    done = validation.evaluate(task)
    assert done.values["dropout_rate"] == 0.0
    assert "roll_out_days" in done.missing["mean_days_roll_out"]

    group = parse_groups({"g": {"scenario": "breakthrough", "targets": [
        {"quantity": "mean_days_roll_out", "value": 45, "kind": "about", "tolerance": 15}]}}, "t")["g"]
    row = validation.judge("g", "traditional", group.targets[0],
                           validation.Samples(np.array([math.nan]), done.missing["mean_days_roll_out"]), 1)
    assert row["status"] == validation.NOT_AVAILABLE
    assert "not available" in row["message"] and "roll_out_days" in row["message"]


def test_judge_passes_on_the_mean_not_on_every_replicate() -> None:
    target = parse_groups({"g": {"scenario": "breakthrough", "targets": [
        {"quantity": "dropout_rate", "value": 0.3, "kind": "about", "tolerance": 0.05}]}}, "t")["g"].targets[0]
    row = validation.judge("g", "s", target, validation.Samples(np.array([0.1, 0.5, 0.3])), 3)
    assert row["status"] == validation.PASS and row["mean"] == pytest.approx(0.3)
    row = validation.judge("g", "s", target, validation.Samples(np.array([0.4, 0.5, math.nan])), 3)
    assert row["status"] == validation.FAIL
    assert row["excess"] == pytest.approx(0.1) and "above the upper bound" in row["message"]
    assert "no value in 1 of 3" in row["message"]


# ---- the command line ------------------------------------------------------------------------


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    """A small, short scenario so that end-to-end runs take a fraction of a second."""
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\nbase: breakthrough\nparameters:\n  teams: 6\n  follow_up_months: 3\n",
                    encoding="utf-8")
    return path


def write_targets(tmp_path: Path, targets: list[dict], free: dict | None = None, name: str = "t.yaml") -> Path:
    group = {"source": "test", "scenario": "tiny.yaml", "targets": targets}
    if free:
        group["free"] = free
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"tiny_group": group}), encoding="utf-8")
    return path


def test_validate_exits_0_when_every_target_is_trivially_met(capsys, tmp_path: Path, tiny_scenario: Path) -> None:
    targets = write_targets(tmp_path, [
        {"quantity": "dropout_rate", "value": 0.0, "kind": "at_least", "tolerance": 0.0},
        {"quantity": "dropout_rate", "value": 1.0, "kind": "at_most", "tolerance": 0.0},
        {"quantity": "mean_measure_end_control", "value": 1.0, "kind": "about", "tolerance": 5.0},
    ])
    code, out, err = run_cli(capsys, "validate", "--targets", targets, "--reps", "2", "--out", tmp_path / "out")
    assert code == 0, err
    assert "3 of 3 targets pass" in out and "tiny_group" in out and "PASS" in out
    table = pd.read_csv(tmp_path / "out" / "validation.csv")
    assert list(table["status"]) == ["PASS"] * 3
    assert list(table["scenario"]) == ["tiny"] * 3
    assert (table["reps"] == 2).all() and (table["seed"] == 1).all()


def test_validate_exits_1_on_an_impossible_target(capsys, tmp_path: Path, tiny_scenario: Path) -> None:
    targets = write_targets(tmp_path, [
        {"quantity": "dropout_rate", "value": 1.5, "kind": "at_least", "tolerance": 0.0, "note": "impossible"},
        {"quantity": "dropout_rate", "value": 1.0, "kind": "at_most", "tolerance": 0.0},
    ])
    code, out, err = run_cli(capsys, "validate", "--targets", targets, "--reps", "2")
    assert code == 1, err
    assert "FAIL" in out and "1 of 2 targets pass, 1 fail" in out


@pytest.mark.parametrize(("text", "expected"), [
    ("tiny_group:\n  scenario: tiny.yaml\n  targets:\n    - {quantity: dropout_rate, value: 0.2, kind: roughly, "
     "tolerance: 0.1}\n", ["group 'tiny_group'", "'kind'", "'roughly'", "about, at_least, at_most"]),
    ("tiny_group:\n  scenario: tiny.yaml\n  targets:\n    - {quantity: drop_rate, value: 0.2, kind: about, "
     "tolerance: 0.1}\n", ["'quantity'", "unknown quantity 'drop_rate'", "known quantities"]),
    ("tiny_group: [not, a, group]\n", ["group 'tiny_group'", "must be a mapping"]),
    ("tiny_group: {scenario: tiny.yaml, targets: [\n", ["not valid YAML"]),
])
def test_validate_exits_2_on_a_malformed_targets_file(capsys, tmp_path: Path, tiny_scenario: Path, text: str,
                                                     expected: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "validate", "--targets", path, "--reps", "2")
    assert code == 2
    assert err.startswith("qicsim: error: ") and err.count("\n") == 1 and "Traceback" not in err
    for part in expected:
        assert part in err


def test_validate_exits_2_on_missing_file_unknown_group_and_bad_scenario(capsys, tmp_path: Path,
                                                                        tiny_scenario: Path) -> None:
    code, _, err = run_cli(capsys, "validate", "--targets", tmp_path / "nowhere.yaml")
    assert code == 2 and "no such file" in err
    code, _, err = run_cli(capsys, "validate", "--only", "no_such_group", "--reps", "2")
    assert code == 2 and "unknown group(s) 'no_such_group'" in err and "general" in err
    bad = tmp_path / "bad-scenario.yaml"
    bad.write_text(yaml.safe_dump({"g": {"scenario": "no-such-scenario", "targets": [
        {"quantity": "dropout_rate", "value": 0.2, "kind": "about", "tolerance": 0.1}]}}), encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", "--targets", bad, "--reps", "2")
    assert code == 2 and "group 'g'" in err and "no-such-scenario" in err and "Traceback" not in err


def test_validation_does_not_depend_on_the_number_of_workers(tmp_path: Path, tiny_scenario: Path) -> None:
    targets = load_targets(write_targets(tmp_path, [
        {"quantity": "significant_improvement_rate", "value": 0.3, "kind": "about", "tolerance": 0.1},
        {"quantity": "mean_measure_end_control", "value": 1.0, "kind": "about", "tolerance": 0.1},
    ]))
    one = validation.validate(targets, reps=3, seed=5, workers=1).table
    two = validation.validate(targets, reps=3, seed=5, workers=2).table
    pd.testing.assert_frame_equal(one, two)


# ---- calibration -----------------------------------------------------------------------------


def test_objective_parts() -> None:
    groups = parse_groups({"g": {"scenario": "breakthrough", "targets": [
        {"quantity": "dropout_rate", "value": 0.3, "kind": "at_most", "tolerance": 0.0},
        {"quantity": "significant_improvement_rate", "value": 0.3, "kind": "about", "tolerance": 0.1}]}}, "t")
    targets = groups["g"].targets
    distance, objective = calibration.distance_terms(targets, [0.36, 0.35])  # 2 scales over; inside the band
    assert distance == pytest.approx(4.0)
    assert objective == pytest.approx(4.0 + calibration.CENTRING * 0.25)  # 0.05 from 0.3 in a half-width 0.1
    assert calibration.distance_terms(targets, [0.2, math.nan])[0] == calibration.NAN_PENALTY
    # an at_least and an at_most target on one quantity: a band [0.1, 0.3] whose middle pulls
    pair = parse_groups({"g": {"scenario": "breakthrough", "targets": [
        {"quantity": "dropout_rate", "value": 0.3, "kind": "at_most", "tolerance": 0.0},
        {"quantity": "dropout_rate", "value": 0.1, "kind": "at_least", "tolerance": 0.0}]}}, "t")["g"].targets
    assert calibration.distance_terms(pair, [0.29, 0.29]) == pytest.approx((0.0, calibration.CENTRING * 0.81))
    assert calibration.distance_terms(pair, [0.2, 0.2]) == pytest.approx((0.0, 0.0))
    assert calibration.distance_terms(pair[:1], [0.29]) == (0.0, 0.0)  # one-sided: no pull
    p = calibration.FreeParameter("change_effect_mean", 0.05, 0.25)
    assert p.from_unit(0.5) == 0.15 and p.from_unit(1.7) == 0.25 and p.to_unit(0.12) == pytest.approx(0.35)
    assert calibration.FreeParameter("teams", 5, 40).from_unit(0.5) == 22  # whole numbers for integer inputs
    simplex = calibration.initial_simplex(np.array([0.1, 0.9]))
    assert simplex.shape == (3, 2) and ((simplex >= 0) & (simplex <= 1)).all()


def test_calibrate_writes_a_loadable_scenario_that_moves_only_free_inputs(
        capsys, tmp_path: Path, tiny_scenario: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free = {"dropout_hazard_per_year": [0.05, 0.6], "change_effect_mean": [0.05, 0.25]}
    write_targets(tmp_path, [
        {"quantity": "dropout_rate", "value": 0.4, "kind": "about", "tolerance": 0.05},
        {"quantity": "significant_improvement_rate", "value": 0.1, "kind": "about", "tolerance": 0.05},
    ], free)
    monkeypatch.chdir(tmp_path)  # the default output goes to the current directory
    code, out, err = run_cli(capsys, "calibrate", "tiny.yaml", "--targets", "t.yaml", "--reps", "2", "--budget", "4")
    assert code == 0, err
    written = tmp_path / "tiny-calibrated.yaml"
    assert written.is_file() and "distance" in out and "before" in out

    text = written.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["base"] == "tiny.yaml"
    assert {name for section in data["parameters"].values() for name in section} == set(free)
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("dropout_hazard_per_year" in line for line in header)
    assert any("tiny_group" in line for line in header)
    assert any("Distance" in line and "before" in line and "after" in line for line in header)
    assert any("derive_seed(1001, r)" in line and "2 replicates" in line for line in header)

    fitted = sim.load_scenario(written)
    original = sim.load_scenario(tiny_scenario)
    changed = {k for k, v in fitted.parameters().items() if v != original.parameters()[k]}
    assert changed <= set(free)
    for name, (low, high) in free.items():
        assert low <= getattr(fitted, name) <= high


def test_calibrate_spends_at_most_its_budget_and_never_gets_worse(tmp_path: Path, tiny_scenario: Path) -> None:
    targets = load_targets(write_targets(tmp_path, [
        {"quantity": "dropout_rate", "value": 0.6, "kind": "about", "tolerance": 0.05},
    ], {"dropout_hazard_per_year": [0.05, 2.0]}))
    result = calibration.calibrate(targets, str(tiny_scenario), reps=4, seed=3, budget=5)
    assert 1 <= result.evaluations <= 5 and result.runs == 4 * result.evaluations
    assert result.after.objective <= result.before.objective
    assert result.after.distance < result.before.distance  # 0.6 is far above what 0.18 per year gives


def test_calibrate_exits_2_without_free_inputs_or_a_matching_group(capsys, tmp_path: Path,
                                                                   tiny_scenario: Path) -> None:
    targets = write_targets(tmp_path, [{"quantity": "dropout_rate", "value": 0.2, "kind": "about",
                                        "tolerance": 0.05}])
    code, _, err = run_cli(capsys, "calibrate", tiny_scenario, "--targets", targets, "--budget", "2")
    assert code == 2 and "no free parameters" in err
    code, _, err = run_cli(capsys, "calibrate", "breakthrough", "--targets", targets, "--budget", "2")
    assert code == 2 and "no target group names scenario 'breakthrough'" in err and "--group" in err


@pytest.mark.slow
def test_the_built_in_scenarios_reproduce_every_published_figure() -> None:
    """`qicsim validate` as shipped: every target of analysis/targets.yaml met on its default seeds.

    The figures are the paper's, the tolerances targets.yaml's; a model change that moves a
    calibrated scenario off its published figures fails here until it is calibrated again.
    """
    report = validation.validate(load_targets(), workers=2)
    failed = report.table[report.table["status"] != validation.PASS]
    assert failed.empty, failed.to_string()
