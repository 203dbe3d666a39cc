"""Tests of the figures (analysis/figures.py), the paired-seed effects (analysis/effects.py) and
``qicsim report`` (analysis/report.py, qicsim/cli_report.py).

Runs are small (8 teams, 6 months of follow-up) so that everything but the effects sweep through the
command line stays quick; that one is marked slow.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import re
from pathlib import Path

import matplotlib.image
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from qicsim import sim
from qicsim.analysis import effects, figures, report
from qicsim.cli import main
from qicsim.experiments.sensitivity import KeyIndices
from qicsim.sim.posterior import Posterior

FAST = ["--set", "teams=8", "--set", "follow_up_months=6"]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def quiet_main(*argv: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(list(argv))


def assert_png(path: Path | None, min_side: int = 200) -> tuple[int, int]:
    """A non-empty PNG that matplotlib reads back, at least ``min_side`` pixels each way."""
    assert path is not None and path.is_file()
    assert path.stat().st_size > 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and min(pixels.shape[:2]) >= min_side, pixels.shape
    assert np.ptp(pixels[..., :3]) > 0  # not a blank canvas
    return pixels.shape[0], pixels.shape[1]


def assert_written(fig: Figure | None, path: Path, min_side: int = 200) -> tuple[int, int]:
    """A figure function given a path returns its Figure, closed in pyplot, and wrote a readable PNG there."""
    assert isinstance(fig, Figure), fig
    assert fig.number not in plt.get_fignums()  # closed: a report draws dozens
    return assert_png(path, min_side)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``qicsim run --reps 2 --out DIR`` once, shared by the figure and report tests."""
    out = tmp_path_factory.mktemp("report") / "run"
    assert quiet_main("run", "breakthrough", "--seed", "3", "--reps", "2", *FAST, "--out", str(out)) == 0
    return out


@pytest.fixture(scope="module")
def tables(run_folder: Path) -> dict:
    scenario = sim.load_scenario(run_folder / "scenario.yaml")
    from qicsim.sim.calendar import Calendar

    return {"teams": pd.read_parquet(run_folder / "teams.parquet"),
            "outcomes": pd.read_csv(run_folder / "team_outcomes.csv"),
            "scenario": scenario, "end": Calendar.for_scenario(scenario).end_month}


def small_network(path: Path, units: int = 60, participating: int = 6, seed: int = 2) -> Path:
    """A hand-made spread network in the GraphML contract: organisation, participating, adopted_month (absent for
    a unit that never adopted)."""
    rng = np.random.default_rng(seed)
    graph = nx.connected_watts_strogatz_graph(units, 4, 0.2, seed=seed)
    for n in graph.nodes:
        graph.nodes[n]["organisation"] = int(n // 5) + 1
        graph.nodes[n]["participating"] = bool(n % 5 == 0 and n // 5 < participating)
        month = float(rng.choice([np.nan, np.nan, 3, 7, 12]))
        if not np.isnan(month):
            graph.nodes[n]["adopted_month"] = month
    nx.write_graphml(graph, path)
    return path


# ---- figures -------------------------------------------------------------------------------


def test_performance_trajectories(tables: dict, tmp_path: Path) -> None:
    fig = figures.performance_trajectories(tables["teams"], tables["end"], tmp_path / "t.png", measure="index",
                                           unit="units")
    height, width = assert_written(fig, tmp_path / "t.png")
    assert width > height  # two panels side by side


def test_ihi_distribution(tables: dict, tmp_path: Path) -> None:
    assert_written(figures.ihi_distribution(tables["teams"], tmp_path / "ihi.png", tables["end"]), tmp_path / "ihi.png")


def test_dropout_curves(tables: dict, tmp_path: Path) -> None:
    assert_written(figures.dropout_curves(tables["outcomes"], tables["end"], tmp_path / "km.png"), tmp_path / "km.png")


def test_sustain_curve(tables: dict, tmp_path: Path) -> None:
    s = tables["scenario"]
    assert_written(figures.sustain_curve(tables["teams"], tables["outcomes"], tables["end"],
                                         s.significant_improvement_threshold, tmp_path / "sustain.png"),
                   tmp_path / "sustain.png")


def test_adoption_curve_from_a_hand_made_frame(tmp_path: Path) -> None:
    months = np.arange(0, 25)
    frame = pd.concat([pd.DataFrame({"month": months, "spread_units": np.cumsum(months % 3 == 0) * (r + 1),
                                     "spread_organisations": months // 6, "method_spread_units": months // 4,
                                     "replicate": r, "seed": 100 + r}) for r in range(3)], ignore_index=True)
    assert_written(figures.adoption_curve(frame, tmp_path / "adoption.png", end_month=12), tmp_path / "adoption.png")


def test_adoption_and_network_are_skipped_when_absent(tmp_path: Path) -> None:
    assert figures.load_adoption(tmp_path) is None
    assert figures.adoption_curve(None, tmp_path / "a.png") is None
    assert figures.network_picture(tmp_path / "network.graphml", tmp_path / "n.png") is None
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "n.png").exists()


def test_network_picture(tmp_path: Path) -> None:
    graphml = small_network(tmp_path / "network.graphml")
    assert_written(figures.network_picture(graphml, tmp_path / "network.png"), tmp_path / "network.png")


def test_a_large_network_is_sampled_around_the_participants(tmp_path: Path) -> None:
    """(In the older contract: -1 for a unit that never adopted; still drawn as never reached.)"""
    graph = nx.Graph()
    units = 2500
    for n in range(units):
        graph.add_node(n, organisation=n // 5, participating=n in (0, 5, 10), adopted_month=-1.0)
    graph.add_edges_from((n, n + 1) for n in range(units - 1))
    sample = figures.network_sample(graph)
    assert set(range(15)) <= set(sample.nodes)  # the three participating organisations' units...
    assert 15 in sample.nodes  # ...and their neighbours
    assert sample.number_of_nodes() == 16
    path = tmp_path / "large.graphml"
    nx.write_graphml(graph, path)
    assert_written(figures.network_picture(path, tmp_path / "large.png"), tmp_path / "large.png")


def test_tornado(tmp_path: Path) -> None:
    table = pd.DataFrame({"parameter": ["a", "b", "c"], "low": [0.1, 0.25, 0.3], "high": [0.5, 0.2, 0.35],
                          "low_value": [0.0, 1.0, 0.2], "high_value": [1.0, 5.0, 0.8]})
    assert_written(figures.tornado(table, "dropout_rate", 0.3, tmp_path / "tornado.png"), tmp_path / "tornado.png")


def test_sensitivity_bars_reuse_the_sweep_chart(tmp_path: Path) -> None:
    table = pd.DataFrame({"S1": [0.6, 0.1], "S1_conf": [0.1, 0.05], "ST": [0.7, 0.2], "ST_conf": [0.1, 0.05]},
                         index=pd.Index(["x", "y"], name="parameter"))
    fig = figures.sensitivity_bars(KeyIndices("dropout_rate", table), "sobol", tmp_path / "s.png")
    assert_written(fig, tmp_path / "s.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    assert ax.get_title() == "Sobol sensitivity of dropout_rate"


def test_effects_chart(tmp_path: Path) -> None:
    units = ["share of teams", "share of teams", "months", "units"]
    frame = pd.DataFrame({"label": ["a", "b", "c", "d"], "unit": units,
                          "mean": [0.1, -0.05, -3.0, np.nan], "se": [0.02, 0.03, 0.5, np.nan],
                          "expected": [1, 1, -1, 1]})
    assert_written(figures.effects_chart(frame, tmp_path / "effects.png"), tmp_path / "effects.png")
    assert figures.effects_chart(frame.iloc[3:], tmp_path / "none.png") is None


# ---- the estimators behind the figures -----------------------------------------------------------


def test_kaplan_meier_against_a_hand_computed_case() -> None:
    # times 2, 3, 3+, 5, 5+, 6+ : S(2) = 5/6, S(3) = 5/6 * 4/5, S(5) = 4/6 * 2/3, S(6) = S(5)
    km = figures.kaplan_meier([2, 3, 3, 5, 5, 6], [True, True, False, True, False, False])
    assert km["time"].tolist() == [2, 3, 5, 6]
    assert km["at_risk"].tolist() == [6, 5, 3, 1]
    assert km["events"].tolist() == [1, 1, 1, 0]
    assert km["censored"].tolist() == [0, 1, 1, 1]
    np.testing.assert_allclose(km["survival"], [5 / 6, 4 / 6, 4 / 9, 4 / 9])


def test_teams_that_did_not_drop_out_are_censored_at_the_end() -> None:
    outcomes = pd.DataFrame({"dropped": [True, False, True], "dropped_month": [4.0, np.nan, 9.0]})
    durations, events = figures.dropout_durations(outcomes, end_month=12)
    assert durations.tolist() == [4.0, 12.0, 9.0]
    assert events.tolist() == [True, False, True]
    assert figures.at_risk(durations, [0, 4, 5, 12]) == [3, 3, 2, 1]


def test_sustain_table_by_hand() -> None:
    # lower is better; baseline 1.0; 30% better at the end (month 2), only 15% better a month later
    teams = pd.DataFrame({"team_id": 1, "month": [0, 1, 2, 3], "true_performance": [1.0, 0.9, 0.7, 0.85]})
    outcomes = pd.DataFrame({"team_id": [1], "performance_baseline": [1.0], "relative_improvement": [0.3],
                             "relative_change": [-0.3]})
    table = figures.sustain_table(teams, outcomes, end_month=2, threshold=0.2)
    assert table["months_after_end"].tolist() == [0, 1]
    assert table["still_improved"].tolist() == [1.0, 0.0]
    np.testing.assert_allclose(table["change_since_end"], [0.0, -0.15 / 0.7])


def test_no_sustain_curve_without_follow_up(tmp_path: Path) -> None:
    teams = pd.DataFrame({"team_id": 1, "month": [0, 1, 2], "true_performance": [1.0, 0.9, 0.7]})
    outcomes = pd.DataFrame({"team_id": [1], "performance_baseline": [1.0], "relative_improvement": [0.3],
                             "relative_change": [-0.3]})
    assert figures.sustain_curve(teams, outcomes, 2, 0.2, tmp_path / "s.png") is None
    assert not (tmp_path / "s.png").exists()


def test_improvement_direction_is_read_off_the_outcomes(tables: dict) -> None:
    s = tables["scenario"]
    assert figures.infer_direction(tables["outcomes"]) == (1 if s.best_practice() > s.baseline_performance else -1)
    flipped = tables["outcomes"].assign(relative_change=-tables["outcomes"]["relative_change"])
    assert figures.infer_direction(flipped) == -figures.infer_direction(tables["outcomes"])


# ---- effects ---------------------------------------------------------------------------------


def test_effects_are_paired_differences_on_derived_seeds() -> None:
    claim = effects.Claim("test", "leader turnover", "dropout_rate", {"leader_turnover_per_year": 0.0},
                          {"leader_turnover_per_year": 1.0}, +1, shared={"follow_up_months": 0.0})
    table = effects.run_effects([claim], seeds=2, teams=6, base_seed=9)
    diffs = []
    for seed in (sim.derive_seed(9, 0), sim.derive_seed(9, 1)):
        base = sim.run("breakthrough", seed=seed, teams=6, follow_up_months=0.0, leader_turnover_per_year=0.0)
        changed = sim.run("breakthrough", seed=seed, teams=6, follow_up_months=0.0, leader_turnover_per_year=1.0)
        diffs.append(changed.summary["dropout_rate"] - base.summary["dropout_rate"])
    row = table.iloc[0]
    assert row["n"] == 2
    assert row["mean"] == pytest.approx(np.mean(diffs))
    assert row["se"] == pytest.approx(np.std(diffs, ddof=1) / np.sqrt(2))
    assert row["lever"].startswith("leader_turnover_per_year 0.0 → 1.0")


def test_a_claim_the_model_cannot_run_is_not_yet_modelled() -> None:
    claims = [effects.Claim("a lever the model lacks", "x", "dropout_rate", {"no_such_lever": 0.0},
                            {"no_such_lever": 1.0}, +1),
              effects.Claim("an outcome the model lacks", "y", "no_such_outcome", {"didactic_share": 0.2},
                            {"didactic_share": 0.8}, +1, shared={"follow_up_months": 0.0})]
    assert effects.count_runs(claims, seeds=2, teams=4) == 4  # only the runnable claim's two arms
    table = effects.run_effects(claims, seeds=2, teams=4)
    assert table["verdict"].str.startswith(effects.NOT_MODELLED).all()
    assert table["mean"].isna().all()


@pytest.mark.parametrize(("mean", "se", "expected", "verdict"), [
    (0.3, 0.1, 1, "as expected"), (0.1, 0.1, 1, "as expected, within 2 SE (more seeds needed)"),
    (-0.3, 0.1, 1, "not as expected"), (-0.3, 0.1, -1, "as expected"), (0.0, 0.0, 1, "no change")])
def test_verdicts(mean: float, se: float, expected: int, verdict: str) -> None:
    assert effects.verdict(mean, se, expected) == verdict


def test_every_qualitative_claim_in_the_targets_has_a_lever() -> None:
    shared = Path("/work/shared/calibration/targets.yaml")
    local = Path(report.__file__).with_name("targets.yaml")
    source = local if local.is_file() else shared
    if not source.is_file():
        pytest.skip("no targets.yaml to compare with")
    claims = yaml.safe_load(source.read_text(encoding="utf-8"))["qualitative"]["claims"]
    assert set(claims) == {c.claim for c in effects.CLAIMS}


# ---- qicsim report -------------------------------------------------------------------------------

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def embedded_images(text: str) -> dict[str, bytes]:
    found = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    return {html.unescape(alt): base64.b64decode(data) for alt, data in found}


def test_a_run_with_a_posterior_reports_its_drawn_inputs_apart_from_the_outcomes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toy = Posterior(pd.DataFrame({"tests_per_month": [0.5, 2.5], "weight": [1.0, 1.0]}), {}, "toy")
    path = toy.write(tmp_path / "toy.parquet")
    out = tmp_path / "run"
    assert quiet_main("run", "breakthrough", "--reps", "3", *FAST, "--posterior", str(path), "--out", str(out)) == 0
    assert "posterior" in (out / "scenario.yaml").read_text(encoding="utf-8").split("\nname:")[0]
    code, _, err = run_cli(capsys, "report", str(out), "--no-effects")
    assert code == 0, err
    text = (out / "report.html").read_text(encoding="utf-8")
    summary, rest = text.split('id="inputs"')
    assert "input_tests_per_month" not in summary.split('id="summary"')[1]  # not listed as an outcome
    assert "Calibrated inputs" in rest.split('id="figures"')[0] and "tests_per_month" in rest
    assert "--posterior" in text  # the command to reproduce names it


def test_report_of_a_run_folder(run_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small_network(run_folder / "network.graphml")
    before = {p.name for p in run_folder.iterdir()}
    code, out, err = run_cli(capsys, "report", str(run_folder), "--no-effects")
    assert code == 0, err
    assert {p.name for p in run_folder.iterdir()} - before == {"report.html"}  # one file, no temporary ones
    assert "report.html" in out
    text = (run_folder / "report.html").read_text(encoding="utf-8")

    images = embedded_images(text)
    expected = ["trajectories", "ihi", "dropout", "sustain", "network"]
    if (run_folder / "adoption.csv").is_file():
        expected.append("adoption")
    for name in expected:
        alt = report.FIGURES[name]
        assert alt in images, f"no <img alt={alt!r}>"
        assert images[alt][:8] == b"\x89PNG\r\n\x1a\n"
    assert report.FIGURES["effects"] not in images  # --no-effects

    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text
    assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', text))

    scenario = (run_folder / "scenario.yaml").read_text(encoding="utf-8")
    assert html.escape(scenario) in text
    for seed in pd.read_csv(run_folder / "summary.csv")["seed"]:
        assert f"<td>{seed}</td>" in text
    assert "--seed 3 --reps 2" in text  # the command to reproduce
    for package in report.VERSION_PACKAGES:
        assert f"<td class=\"text\">{package}</td>" in text
    assert "What changes when" in text and "--no-effects" in text
    assert "dropout_rate" in text and "97.5%" in text


def test_a_multi_replicate_run_report_shows_labels_and_each_outcome_s_distribution(run_folder: Path) -> None:
    text = report.build_report(run_folder, effects=False)
    summary = text.split('id="summary"')[1].split('id="figures"')[0]
    images = embedded_images(summary)
    stored = pd.read_csv(run_folder / "summary.csv")
    keys = [k for k in stored.columns if k not in ("replicate", "seed", "scenario") and not k.startswith("input_")
            and stored[k].notna().any()]
    for key in ("dropout_rate", "sustained_rate", "total_cost"):  # a strip per outcome, drawn from its values
        pixels = matplotlib.image.imread(io.BytesIO(images[f"Distribution of {key} across replicates"]))
        assert np.ptp(pixels[..., :3]) > 0
    assert sum(alt.startswith("Distribution of ") for alt in images) == len(keys)
    # human labels, with the raw key still there to find the column
    assert ('<span title="dropout_rate">Drop-out rate</span><br><code class="key">dropout_rate</code>'
            in summary)
    assert ">Share of teams with a sustained improvement</span>" in summary
    assert '<span title="cost_faculty">Cost: faculty</span>' in summary


def test_labels_cover_the_headline_keys_and_make_others_readable() -> None:
    from qicsim.analysis.labels import LABELS, label

    assert set(sim.SUMMARY_KEYS) <= set(LABELS)
    assert label("dropout_rate") == "Drop-out rate"
    assert label("cost_new_thing") == "Cost: new thing"
    assert label("months_waiting_mean") == "Months waiting (mean)"
    assert label("qi_ihi_thing") == "QI IHI thing"
    result = sim.run("breakthrough", seed=1, teams=4, follow_up_months=0)
    unlabelled = [k for k in result.summary if k not in LABELS]
    assert not unlabelled, f"add these run summary keys to analysis/labels.py: {unlabelled}"


def test_one_replicate_shows_no_distribution(tmp_path: Path) -> None:
    out = tmp_path / "one"
    assert quiet_main("run", "breakthrough", "--reps", "1", *FAST, "--out", str(out)) == 0
    text = report.build_report(out, effects=False)
    assert "Distribution of" not in text and "Drop-out rate" in text


@pytest.fixture(scope="module")
def cea_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``qicsim cea --reps 3 --out DIR`` with few teams, once."""
    out = tmp_path_factory.mktemp("cea") / "cea"
    assert quiet_main("cea", "breakthrough", "--reps", "3", "--seed", "4", "--wtp", "25000", *FAST,
                      "--out", str(out)) == 0
    return out


def test_cea_writes_its_provenance(cea_folder: Path) -> None:
    record = yaml.safe_load((cea_folder / "cea.yaml").read_text(encoding="utf-8"))
    assert record["scenario"] == "breakthrough" and record["seed"] == 4 and record["reps"] == 3
    assert record["wtp"] == 25000 and record["currency"] == sim.load_scenario("breakthrough").currency
    assert record["command"].startswith("qicsim cea breakthrough --set teams=8 --set follow_up_months=6 --seed 4 "
                                        "--reps 3 --wtp 25000")
    assert record["effective_scenario"]["name"] == "breakthrough"


def test_report_of_a_cea_folder(cea_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "report", str(cea_folder), "--no-effects")
    assert code == 0, err
    text = (cea_folder / "report.html").read_text(encoding="utf-8")
    images = embedded_images(text)
    for name in ("ce_plane", "ceac"):
        assert images[report.FIGURES[name]][:8] == b"\x89PNG\r\n\x1a\n"
    assert not EXTERNAL.search(text)
    # the verdict table: one row per comparator with the console's numbers, intervals and verdicts
    from qicsim.analysis.cea import compare

    replicates = pd.read_csv(cea_folder / "cea_replicates.csv")
    scenario = sim.load_scenario("breakthrough")
    table = compare(replicates, scenario, 25000.0)
    verdicts = text.split('id="verdicts"')[1].split('id="arms"')[0]
    assert "Incremental net cost" in verdicts and "P(cost-effective)" in verdicts
    for _, row in table.iterrows():
        assert f'<td class="text">{html.escape(row["comparator"])}</td>' in verdicts
        assert f"<td>{row['incremental_cost']:,.0f} [" in verdicts  # the mean, then its interval
        assert f"<td>{row['prob_cost_effective']:.2f}</td>" in verdicts
        assert html.escape(row["verdict"]) in verdicts
    assert f"{scenario.currency} 25,000" in text
    for seed in replicates["seed"].unique():
        assert f"<td>{seed}</td>" in text
    assert "qicsim cea breakthrough" in text  # the command to reproduce


def test_report_of_a_cea_folder_without_its_provenance(cea_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "cea_replicates.csv").write_bytes((cea_folder / "cea_replicates.csv").read_bytes())
    text = report.build_report(folder, effects=False)
    assert "No usable cea.yaml" in text and report.FIGURES["ce_plane"] in embedded_images(text)
    (folder / "cea_replicates.csv").write_text("replicate,arm\n0,none\n", encoding="utf-8")
    with pytest.raises(report.ReportError, match="not a qicsim cost-effectiveness table"):
        report.build_report(folder, effects=False)


def test_report_out_option_writes_elsewhere(run_folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "nested" / "mine.html"
    assert quiet_main("report", str(run_folder), "--no-effects", "--out", str(target)) == 0
    assert target.is_file() and target.stat().st_size > 10_000


@pytest.mark.parametrize("content", [None, "notes.txt"])
def test_report_on_a_folder_that_is_not_a_run_or_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       content: str | None) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    if content:
        (folder / content).write_text("hello")
    code, _, err = run_cli(capsys, "report", str(folder), "--no-effects")
    assert code == 2
    assert err.startswith("qicsim: error: ") and str(folder) in err
    assert "run folder" in err and "sweep folder" in err and "Traceback" not in err
    assert not (folder / "report.html").exists()


def test_report_on_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "report", str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere" in err and "is not a folder" in err


def _sweep(tmp_path: Path, sampler: object, vary: dict) -> Path:
    spec = {"name": "tiny-report", "base": "breakthrough", "fixed": {"teams": 6, "follow_up_months": 3},
            "vary": vary, "sampler": sampler, "replications": 2, "seed": 5}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    out = tmp_path / "sweep"
    assert quiet_main("sweep", str(path), "--out", str(out)) == 0
    return out


def test_report_of_a_grid_sweep(tmp_path: Path) -> None:
    out = _sweep(tmp_path, "grid", {"didactic_share": [0.2, 0.8], "senior_support": [0.3, 0.9]})
    assert quiet_main("report", str(out), "--no-effects") == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Outcome means by point" in text and "tiny-report" in text
    images = embedded_images(text)
    assert "One-way sensitivity of dropout_rate" in images
    assert "Distribution of dropout_rate across runs" in images  # all runs pooled
    assert '<span title="dropout_rate">Drop-out rate</span>' in text.split('id="one-way"')[0]
    assert "qicsim.derive_seed(5, point_id, replicate)" in text
    assert not EXTERNAL.search(text)


def test_one_way_table_takes_the_extreme_values() -> None:
    runs = pd.DataFrame({"a": [0, 0, 1, 1, 2, 2], "b": [5, 6, 5, 6, 5, 6], "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    table = report.one_way_table(runs, ["a", "b"], "y").set_index("parameter")
    assert table.loc["a", "low"] == 1.5 and table.loc["a", "high"] == 5.5
    assert table.loc["b", "low"] == 3.0 and table.loc["b", "high"] == 4.0


def test_report_of_a_sobol_sweep_shows_the_indices(tmp_path: Path) -> None:
    out = _sweep(tmp_path, {"method": "sobol", "samples": 4},
                 {"didactic_share": {"min": 0.1, "max": 0.9}, "senior_support": {"min": 0.2, "max": 1.0}})
    assert quiet_main("report", str(out), "--no-effects") == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    images = embedded_images(text)
    assert "Sensitivity indices of dropout_rate" in images
    assert "ST_conf" in text


@pytest.mark.slow
def test_report_with_the_effects_sweep(run_folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "effects.html"
    assert quiet_main("report", str(run_folder), "--effects-seeds", "3", "--effects-teams", "10",
                      "--out", str(target)) == 0
    text = target.read_text(encoding="utf-8")
    assert report.FIGURES["effects"] in embedded_images(text)
    for claim in {c.claim for c in effects.CLAIMS}:
        assert html.escape(claim) in text
    for i in range(3):
        assert str(sim.derive_seed(effects.EFFECTS_SEED, i)) in text
    assert text.count("as expected") + text.count(effects.NOT_MODELLED) >= len(effects.CLAIMS)


# ---- notebook use: ax=/fig=, no file without a path, no backend switch ----------------------------------


def test_figures_draw_into_a_given_ax_or_fig_and_write_nothing_without_a_path(
        tables: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outer = plt.figure(figsize=(12, 8))
    try:
        ihi_ax, plane_ax = outer.add_subplot(2, 2, 1), outer.add_subplot(2, 2, 2)
        bottom = outer.subfigures(2, 1)[1]
        assert figures.ihi_distribution(tables["teams"], end_month=tables["end"], ax=ihi_ax) is outer
        assert ihi_ax.collections  # the stacked areas landed on the given axes
        assert ihi_ax.get_title().startswith("IHI assessment score by month")
        replicates = pd.DataFrame({"replicate": np.repeat([0, 1], 3), "arm": ["collaborative", "traditional",
                                                                              "none"] * 2,
                                   "qalys": [3.0, 2.0, 1.0, 4.0, 2.5, 1.0], "net_cost": [10.0, 5, 0, 12, 6, 0]})
        from qicsim.analysis.plots import ce_plane

        assert ce_plane(replicates, 5.0, "GBP", ax=plane_ax) is outer
        assert plane_ax.get_title().startswith("Cost-effectiveness plane")
        # a figure of several panels draws into a given (sub)figure
        assert figures.dropout_curves(tables["outcomes"], tables["end"], fig=bottom) is outer
        assert len(bottom.axes) == 2 and bottom.axes[0].get_title().startswith("Drop-out by team-leader change")
        assert len(outer.axes) == 4
        assert outer.number in plt.get_fignums()  # never closed: it is the caller's
    finally:
        plt.close(outer)
    before = set(plt.get_fignums())
    fig = figures.tornado(pd.DataFrame({"parameter": ["a"], "low": [0.1], "high": [0.5]}), "dropout_rate", 0.3)
    try:
        assert isinstance(fig, Figure) and fig.number in plt.get_fignums()  # open, for plt.show() in a notebook
        assert set(plt.get_fignums()) - before == {fig.number}
    finally:
        plt.close(fig)
    assert list(tmp_path.iterdir()) == []  # no path: no file


BACKEND_PROBE = """
import matplotlib
calls = []
matplotlib.use = lambda *args, **kwargs: calls.append(args)
before = matplotlib.get_backend()
import qicsim.analysis.figures, qicsim.analysis.plots, qicsim.analysis.report
from qicsim.sim.simulation import RunResult
after = matplotlib.get_backend()
print(repr(calls), before, after)
"""


def test_importing_the_figures_does_not_choose_a_backend() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    done = subprocess.run([sys.executable, "-c", BACKEND_PROBE], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    calls, before, after = done.stdout.split()
    assert calls == "[]"  # matplotlib.use never called
    assert before == after


# ---- RunResult.plot ------------------------------------------------------------------------------


def titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def test_a_run_result_plots_its_common_views(tmp_path: Path) -> None:
    result = sim.run("breakthrough", seed=3, teams=8, follow_up_months=6)
    before = set(plt.get_fignums())
    fig = result.plot()
    try:
        assert isinstance(fig, Figure) and fig.number in plt.get_fignums()  # open: a notebook shows it
        shown = titles(fig)
        measure = result.scenario.measure_name
        assert any(t.startswith(f"{measure}: measured") for t in shown)
        assert any(t.startswith(f"{measure}: true") for t in shown)
        assert any(t.startswith("IHI assessment score by month") for t in shown)
        assert any(t.startswith("Drop-out by team-leader change") for t in shown)
        assert any(t.startswith("Sustainment after the end") for t in shown)  # 6 months of follow-up
        spread = result.adoption[list(figures.ADOPTION_COLUMNS)].to_numpy().any()
        assert any(t.startswith("Spread beyond the participants") for t in shown) == bool(spread)
        assert f"seed {result.seed}" in fig.get_suptitle()
    finally:
        plt.close(fig)
    assert set(plt.get_fignums()) == before
    assert list(tmp_path.iterdir()) == []

    path = tmp_path / "run.png"
    fig = result.plot(path)
    assert_written(fig, path, min_side=1000)


def test_a_run_without_follow_up_or_spread_plots_fewer_panels() -> None:
    import dataclasses

    result = sim.run("breakthrough", seed=3, teams=6, follow_up_months=0)
    result = dataclasses.replace(result, adoption=result.adoption.assign(
        **{c: 0 for c in figures.ADOPTION_COLUMNS}))  # no spread
    fig = result.plot()
    try:
        shown = titles(fig)
        assert not any(t.startswith(("Sustainment", "Spread")) for t in shown)
        assert sum(t.startswith("IHI assessment") for t in shown) == 1
        assert len(shown) == 5  # trajectories (2), IHI, drop-out and its table at risk
    finally:
        plt.close(fig)
