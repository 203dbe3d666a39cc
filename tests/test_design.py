"""``qicsim design``: the frontier, the budget and the chance of being best, on common random numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qicsim.cli import main
from qicsim.experiments import design, storage


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_frontier_keeps_only_designs_nothing_beats():
    cost = np.array([100.0, 200.0, 150.0, 300.0, 200.0])
    value = np.array([0.1, 0.3, 0.05, 0.3, 0.2])
    # 150 is beaten by 100 (cheaper, better); 300 by 200 (cheaper, as good); the second 200 by the first
    assert design.pareto(cost, value).tolist() == [True, True, False, False, False]


def test_the_chance_of_being_best_counts_replicates_and_shares_ties():
    values = pd.DataFrame({0: [0.2, 0.1, 0.2], 1: [0.3, 0.1, 0.0], 2: [0.0, 0.5, 0.0]}, index=[7, 8, 9])
    chance = design.chance_best(values)
    assert chance.to_dict() == pytest.approx({7: (0.5 + 1) / 3, 8: 1 / 3, 9: 0.5 / 3})
    assert chance.sum() == pytest.approx(1.0)


def test_the_chance_of_being_best_on_average_resamples_replicates_together():
    always = pd.DataFrame({r: [0.5, 0.1, 0.1] for r in range(5)}, index=[1, 2, 3])
    assert design.chance_best_on_average(always, seed=1).tolist() == [1.0, 0.0, 0.0]
    twins = pd.DataFrame({0: [0.2, 0.2], 1: [0.4, 0.4], 2: [0.1, 0.1]}, index=[1, 2])
    assert design.chance_best_on_average(twins, seed=1).tolist() == [0.5, 0.5]
    # one design is better in 3 of 4 replicates but loses big in the fourth: on average it is usually best
    close = pd.DataFrame({0: [0.3, 0.2], 1: [0.3, 0.2], 2: [0.3, 0.2], 3: [0.0, 0.2]}, index=[1, 2])
    on_average = design.chance_best_on_average(close, seed=1)
    assert 0.5 < on_average[1] < 1.0 and on_average.sum() == pytest.approx(1.0)
    assert design.chance_best_on_average(close, seed=1).equals(on_average), "seeded: the same every time"


def test_analyse_reads_means_budget_and_chances_from_runs():
    rows = []
    for point, (cost, sustained) in enumerate([(100.0, [0.1, 0.2]), (200.0, [0.3, 0.1]), (400.0, [0.5, 0.5])]):
        for rep in range(2):
            rows.append({"run_id": point * 2 + rep, "point_id": point, "replicate": rep, "status": "ok",
                         design.COST: cost + rep, "sustained_rate": sustained[rep], "net_monetary_benefit": -cost,
                         "significant_improvement_rate": 0.3, "dropout_rate": 0.1,
                         "mean_relative_improvement": 0.2})
    points = pd.DataFrame({"coaching_calls_per_month": [0, 1, 2]}, index=pd.Index([0, 1, 2], name="point_id"))
    result = design.analyse(pd.DataFrame(rows), points, ("coaching_calls_per_month",), budget=300.0, replications=2)
    table = result.table
    assert table.within_budget.tolist() == [True, True, False]
    assert table.programme_cost.tolist() == [100.5, 200.5, 400.5]
    assert table.sustained.tolist() == pytest.approx([0.15, 0.2, 0.5])
    assert table.frontier_sustained.tolist() == [True, True, True]
    assert table.frontier_nmb.tolist() == [True, False, False]
    # within the budget: replicate 0 the second design wins, replicate 1 the first
    assert table.chance_best_sustained.tolist()[:2] == [0.5, 0.5] and np.isnan(table.chance_best_sustained[2])
    assert table.design.tolist() == ["no coaching", "coaching 1/month", "coaching 2/month"]


def test_failed_runs_are_left_out_and_their_replicate_too():
    """A failed run (stored with status 'failed' and no values) counts in no mean, and its replicate in no
    chance: the design better in every replicate that both finished stays the best."""
    rows = []
    for point, values in enumerate([[0.4, 0.4, 0.4, None], [0.2, 0.2, 0.2, 0.3]]):
        for rep, value in enumerate(values):
            rows.append({"run_id": point * 4 + rep, "point_id": point, "replicate": rep,
                         "status": "ok" if value is not None else "failed", design.COST: 100.0,
                         "sustained_rate": value, "net_monetary_benefit": value, "significant_improvement_rate": 0.3,
                         "dropout_rate": 0.1, "mean_relative_improvement": 0.2})
    points = pd.DataFrame({"site_visits": [0, 1]}, index=pd.Index([0, 1], name="point_id"))
    result = design.analyse(pd.DataFrame(rows), points, ("site_visits",), budget=1000.0, replications=4)
    assert result.failed_runs == 1
    assert result.table.runs.tolist() == [3, 4] and result.table.sustained[0] == pytest.approx(0.4)
    assert result.table.within_budget.all()
    assert result.table.chance_best_sustained.tolist() == [1.0, 0.0]
    assert result.table.chance_best_mean_sustained.tolist() == [1.0, 0.0]


@pytest.fixture(scope="module")
def small_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "small.yaml"
    path.write_text("name: small\nbase: breakthrough\nparameters:\n  design:\n    teams: 8\n"
                    "    follow_up_months: 3\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def searched(small_scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, str]:
    out = tmp_path_factory.mktemp("design") / "out"
    import contextlib
    import io

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(["design", str(small_scenario), "--budget", "1e9", "--out", str(out), "--only",
                     "--vary", "coaching_calls_per_month=0,2", "--vary", "site_visits=0,1", "--reps", "3",
                     "--posterior", "none"])
    return code, out, stdout.getvalue()


def test_design_writes_the_frontier_table_and_plot(searched):
    code, out, text = searched
    assert code == 0, text
    table = pd.read_csv(out / "designs.csv")
    assert len(table) == 4 and set(table.design) == {"no coaching, 0 site visits", "no coaching, 1 site visit",
                                                     "coaching 2/month, 0 site visits",
                                                     "coaching 2/month, 1 site visit"}
    assert (out / "design.png").stat().st_size > 10_000 and (out / "frontier.csv").exists()
    assert table.within_budget.all() and table.chance_best_sustained.sum() == pytest.approx(1.0)
    assert "4 of 4 designs fit the budget of 1,000,000,000 USD" in text and "frontier" in text


def test_design_runs_on_common_random_numbers_and_components_cost_more(searched):
    _, out, _ = searched
    runs = storage.load_table(out / "sweep")
    assert (runs.groupby("replicate").seed.nunique() == 1).all(), "replicate r has one seed for every design"
    assert runs.seed.nunique() == 3
    table = pd.read_csv(out / "designs.csv").set_index("design")
    assert table.programme_cost["coaching 2/month, 1 site visit"] > table.programme_cost["no coaching, 1 site visit"] \
        > table.programme_cost["no coaching, 0 site visits"]


def test_design_resumes_and_only_reanalyses(searched, small_scenario, capsys):
    _, out, _ = searched
    before = pd.read_csv(out / "designs.csv")
    code, text, _ = run_cli(capsys, "design", str(small_scenario), "--budget", "1000", "--out", str(out), "--only",
                            "--vary", "coaching_calls_per_month=0,2", "--vary", "site_visits=0,1", "--reps", "3",
                            "--posterior", "none")
    assert code == 0 and "0 to run" in text
    assert "0 of 4 designs fit the budget of 1,000 USD" in text and "the cheapest design costs" in text
    after = pd.read_csv(out / "designs.csv")
    assert not after.within_budget.any() and after.chance_best_sustained.isna().all()
    assert after.programme_cost.tolist() == before.programme_cost.tolist()


def test_set_fixes_a_parameter_for_every_design(small_scenario, tmp_path, capsys):
    out = tmp_path / "out"
    code, text, _ = run_cli(capsys, "design", str(small_scenario), "--budget", "1e9", "--out", str(out), "--only",
                            "--vary", "site_visits=0,1", "--vary", "coaching_calls_per_month=0,1", "--set",
                            "coaching_calls_per_month=2", "--reps", "2", "--posterior", "none")
    assert code == 0, text
    table = pd.read_csv(out / "designs.csv")
    assert list(table.design) == ["0 site visits", "1 site visit"], "a parameter set with --set is not searched"
    assert "coaching_calls_per_month: 2" in (out / "sweep" / "scenario.yaml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_design_on_dask_gives_the_same_designs(searched, small_scenario, tmp_path, capsys):
    """Common random numbers make each run depend on its design and replicate alone: a local Dask cluster of
    two workers finds the same table as one process."""
    _, out, _ = searched
    dask_out = tmp_path / "dask"
    code, text, _ = run_cli(capsys, "design", str(small_scenario), "--budget", "1e9", "--out", str(dask_out), "--only",
                            "--vary", "coaching_calls_per_month=0,2", "--vary", "site_visits=0,1", "--reps", "3",
                            "--posterior", "none", "--scheduler", "local", "--workers", "2")
    assert code == 0 and "Dask" in text, text
    columns = ["design", "programme_cost", "sustained", "significant", "improvement", "nmb", "dropout"]
    on_dask, in_process = (pd.read_csv(d / "designs.csv")[columns] for d in (dask_out, out))
    pd.testing.assert_frame_equal(on_dask, in_process)


@pytest.mark.parametrize("argv, message", [
    (["--budget", "-5"], "--budget: must be more than 0"),
    (["--budget", "nan"], "--budget: must be a finite number"),
    (["--budget", "lots"], "--budget: must be an amount of money"),
    (["--budget", "1e6", "--vary", "coaching=0,1"], "coaching"),
    (["--budget", "1e6", "--vary", "coaching_calls_per_month=-1,1"], "coaching_calls_per_month"),
    (["--budget", "1e6", "--vary", "benchmark_reports=weekly"], "benchmark_reports"),
    (["--budget", "1e6", "--vary", "site_visits"], "expected NAME=V1,V2"),
    (["--budget", "1e6", "--only", "--vary", "site_visits=0,1", "--set", "site_visits=1"], "nothing to search"),
    (["--budget", "1e6", "--set", "coaching_calls=1"], "coaching_calls"),
    (["--budget", "1e6", "--vary", "teams=" + ",".join(map(str, range(1, 60)))], "designs"),
])
def test_bad_input_exits_2_before_any_run(capsys, tmp_path, argv, message):
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "design", "--out", str(out), *argv)
    assert code == 2
    assert "error:" in err and message in err and "Traceback" not in err
    assert not (out / "sweep").exists()
