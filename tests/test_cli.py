"""Tests of the ``qicsim`` command line (qicsim.cli), run in-process except for one subprocess check."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from qicsim import scenarios, sim
from qicsim.cli import first_sentence, format_outcome, main
from qicsim.sim import files as output
from qicsim.sim.posterior import Posterior
from qicsim.sim.posterior import default as default_posterior

FAST = ["--set", "teams=8", "--set", "follow_up_months=6"]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---- run ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_rep_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, str]:
    """``qicsim run --reps 2 --out DIR`` once for the tests that read its files."""
    out = tmp_path_factory.mktemp("run") / "results"  # not yet there: --out creates it
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(["run", "breakthrough", "--seed", "7", "--reps", "2", *FAST, "--out", str(out)])
    return code, out, stdout.getvalue()


def test_run_writes_its_files(two_rep_run: tuple[int, Path, str]) -> None:
    code, out, stdout = two_rep_run
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["adoption.csv", "scenario.yaml", "series.csv", "summary.csv",
                                                     "team_outcomes.csv", "teams.parquet"]  # no temporaries left
    assert "95% interval" in stdout and "2.5th-97.5th percentile" in stdout

    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2
    assert list(summary.columns[:3]) == ["replicate", "seed", "scenario"]
    assert list(summary.columns[3:3 + len(sim.SUMMARY_KEYS)]) == list(sim.SUMMARY_KEYS)
    assert summary["replicate"].tolist() == [0, 1]
    assert summary["seed"].tolist() == [sim.derive_seed(7, 0), sim.derive_seed(7, 1)]
    assert (summary["scenario"] == "breakthrough").all()

    outcomes = pd.read_csv(out / "team_outcomes.csv")
    assert len(outcomes) == 2 * 8
    assert list(outcomes.columns[:2]) == ["replicate", "seed"]
    assert outcomes.groupby("replicate").size().tolist() == [8, 8]

    teams = pd.read_parquet(out / "teams.parquet")
    assert list(teams.columns[:2]) == ["replicate", "seed"]
    assert set(teams["replicate"]) == {0, 1}
    assert set(teams["seed"]) == set(summary["seed"])

    adoption = pd.read_csv(out / "adoption.csv")
    assert list(adoption.columns[:5]) == ["replicate", "seed", "month", "spread_units", "spread_organisations"]
    assert adoption.groupby("replicate")["spread_units"].is_monotonic_increasing.all()
    series = pd.read_csv(out / "series.csv")
    assert set(series["replicate"]) == {0, 1} and "mean_performance" in series

    reloaded = sim.load_scenario(out / "scenario.yaml")
    expected = sim.load_scenario("breakthrough").with_overrides(teams=8, follow_up_months=6)
    assert reloaded.parameters() == expected.parameters()
    assert reloaded.name == "breakthrough"


def test_run_summary_matches_the_python_api(two_rep_run: tuple[int, Path, str]) -> None:
    """Replicate r is ``sim.run`` of the scenario with the posterior draw its seed picks (when one is shipped)."""
    _, out, _ = two_rep_run
    summary = pd.read_csv(out / "summary.csv")
    seed = sim.derive_seed(7, 1)
    scenario = sim.load_scenario("breakthrough").with_overrides(teams=8, follow_up_months=6)
    posterior = default_posterior()
    if posterior is not None:
        scenario = posterior.apply(scenario, seed)
        for name in posterior.parameters:
            assert summary.loc[1, f"input_{name}"] == pytest.approx(getattr(scenario, name))
    direct = sim.run(scenario, seed=seed).summary
    for key in sim.SUMMARY_KEYS:
        assert summary.loc[1, key] == pytest.approx(direct[key], nan_ok=True)


def test_run_without_a_posterior_is_the_scenario_itself_and_set_inputs_win(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    posterior = Posterior(pd.DataFrame({"tests_per_month": [0.5, 2.5], "dropout_hazard_per_year": [0.1, 0.9],
                                        "weight": [1.0, 1.0]}), {}, "toy")
    path = posterior.write(tmp_path / "toy.parquet")
    code, out, _ = run_cli(capsys, "run", "--seed", "3", "--reps", "4", *FAST, "--posterior", "none", "--out",
                           str(tmp_path / "none"))
    assert code == 0 and "no posterior" in out
    plain = pd.read_csv(tmp_path / "none" / "summary.csv")
    assert not any(c.startswith("input_") for c in plain.columns)
    direct = sim.run("breakthrough", seed=sim.derive_seed(3, 2), teams=8, follow_up_months=6).summary
    assert plain.loc[2, "dropout_rate"] == pytest.approx(direct["dropout_rate"])
    code, out, _ = run_cli(capsys, "run", "--seed", "3", "--reps", "4", *FAST, "--set", "tests_per_month=1.7",
                           "--posterior", str(path), "--out", str(tmp_path / "toy"))
    assert code == 0 and "kept as set: tests_per_month" in out
    drawn = pd.read_csv(tmp_path / "toy" / "summary.csv")
    assert (drawn["input_tests_per_month"] == 1.7).all()
    assert set(drawn["input_dropout_hazard_per_year"]) <= {0.1, 0.9}
    for r in range(4):
        seed = sim.derive_seed(3, r)
        expected = posterior.apply(sim.load_scenario("breakthrough").with_overrides(
            teams=8, follow_up_months=6, tests_per_month=1.7), seed, keep={"tests_per_month"})
        assert drawn.loc[r, "dropout_rate"] == pytest.approx(sim.run(expected, seed=seed).summary["dropout_rate"])
    code, _, err = run_cli(capsys, "run", *FAST, "--posterior", str(tmp_path / "nowhere.parquet"))
    assert code == 2 and err.startswith("qicsim: error: --posterior") and "Traceback" not in err
    # a scenario file that sets a calibrated input keeps it too
    own = tmp_path / "own.yaml"
    own.write_text("name: own\nbase: breakthrough\nparameters:\n  tests_per_month: 1.3\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "run", str(own), "--reps", "3", *FAST, "--posterior", str(path), "--out",
                           str(tmp_path / "own"))
    assert code == 0 and "kept as set: tests_per_month" in out
    assert (pd.read_csv(tmp_path / "own" / "summary.csv")["input_tests_per_month"] == 1.3).all()
    assert f"# posterior: {path.resolve()}" in (tmp_path / "own" / "scenario.yaml").read_text(encoding="utf-8")


def test_run_is_deterministic(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    texts = []
    for name in ("a", "b"):
        code, _, _ = run_cli(capsys, "run", "--seed", "3", "--reps", "2", *FAST, "--out", str(tmp_path / name))
        assert code == 0
        texts.append((tmp_path / name / "summary.csv").read_text())
    assert texts[0] == texts[1]


def test_set_teams_gives_that_many_teams(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "run", "--set", "teams=12", "--set", "follow_up_months=6", "--out", str(tmp_path))
    assert code == 0
    assert "teams=12" in out
    outcomes = pd.read_csv(tmp_path / "team_outcomes.csv")
    assert len(outcomes) == 12 and set(outcomes["replicate"]) == {0}


def test_run_prints_the_summary_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", *FAST)
    assert code == 0
    assert "breakthrough" in out and "1 replicate" in out and "seed 1" in out
    assert "2.5%" not in out  # one replicate: just the value
    lines = out.splitlines()
    positions = [next(i for i, line in enumerate(lines) if line.startswith(k + " ")) for k in sim.SUMMARY_KEYS]
    assert positions == sorted(positions)
    assert "run 1/1" not in err


def test_progress_stays_out_of_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "run", "--reps", "2", *FAST)
    assert code == 0 and "run 1/2" not in out and "\r" not in out


# ---- --network-out ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``qicsim run --out DIR --network-out FILE`` once: the team tables and the GraphML of replicate 0."""
    folder = tmp_path_factory.mktemp("network")
    out, graphml = folder / "results", folder / "network.graphml"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["run", "breakthrough", "--seed", "3", *FAST, "--set", "spread_planning=1",
                     "--out", str(out), "--network-out", str(graphml)])
    assert code == 0
    return out, graphml


def test_network_out_round_trips_with_provenance_and_the_team_tables_ids(network_run: tuple[Path, Path]) -> None:
    import networkx as nx

    from qicsim.cli import package_version

    out, graphml = network_run
    g = nx.read_graphml(graphml)
    meta = g.graph
    assert meta["scenario"] == "breakthrough" and meta["replicate"] == 0 and meta["base_seed"] == 3
    assert meta["seed"] == sim.derive_seed(3, 0) and meta["posterior"] == "default"
    assert meta["qicsim_version"] == package_version() and "teams=8" in meta["overrides"]
    assert "team_id" in meta["description"] and "\n" not in meta["description"]

    outcomes = pd.read_csv(out / "team_outcomes.csv")
    teams = pd.read_parquet(out / "teams.parquet")
    nodes = [d for _, d in g.nodes(data=True)]
    assert all(type(d["organisation"]) is int for d in nodes)
    assert all(type(d["team_id"]) is int for d in nodes if "team_id" in d)
    home = {d["team_id"]: d["organisation"] for d in nodes if "team_id" in d}
    assert home == {int(t): int(o) for t, o in zip(outcomes["team_id"], outcomes["organisation_id"], strict=True)}
    assert set(home) == set(teams["team_id"].astype(int))
    assert all(("team_id" in d) == d["participating"] for d in nodes), "only the units that send a team have one"
    assert not any("organisation_label" in d for d in nodes), "a generated network's labels are its ids"
    assert set(d["organisation"] for d in nodes) == set(range(1, 8 + 30 + 1))  # 8 teams + 30 other organisations

    never = [d for d in nodes if not d["participating"] and "adopted_month" not in d]
    adopted = [d for d in nodes if not d["participating"] and "adopted_month" in d]
    assert never and adopted, "some units adopt, some never do (and then carry no adoption month)"
    assert all(d["adopted_month"] >= 0 for d in adopted)
    assert all(d["reached_through_team"] in home for d in nodes if "reached_through_team" in d)
    values = [*meta.values(), *(v for d in nodes for v in d.values()), *(v for *_, d in g.edges(data=True)
                                                                           for v in d.values())]
    assert -1 not in values and "-1" not in values, "no sentinel codes"
    assert all("team_tie" not in d or d["team_tie"] > 0 for *_, d in g.edges(data=True))


def test_network_out_is_drawn_by_the_reports_figure(network_run: tuple[Path, Path], tmp_path: Path) -> None:
    from qicsim.analysis import figures

    assert figures.network_picture(network_run[1], tmp_path / "network.png") is not None
    assert (tmp_path / "network.png").stat().st_size > 0


def test_network_out_opens_in_igraph(network_run: tuple[Path, Path]) -> None:
    igraph = pytest.importorskip("igraph")
    graph = igraph.Graph.Read_GraphML(str(network_run[1]))
    assert graph.vcount() == (8 + 30) * 5
    assert "organisation" in graph.vs.attributes() and "scenario" in graph.attributes()


def test_network_out_keeps_a_network_files_names_as_labels(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    import networkx as nx

    region = tmp_path / "region.txt"
    region.write_text("".join(f"h{i} h{i + 1}\n" for i in range(19)), encoding="utf-8")
    graphml = tmp_path / "net.graphml"
    code, _, _ = run_cli(capsys, "run", *FAST, "--set", "network=file", "--set", f"network_file={region}",
                         "--posterior", "none", "--network-out", str(graphml))
    assert code == 0
    g = nx.read_graphml(graphml)
    assert g.graph["posterior"] == "none"
    labels = {d["organisation"]: d["organisation_label"] for _, d in g.nodes(data=True)}
    assert sorted(labels) == list(range(1, 21)) and sorted(labels.values()) == sorted(f"h{i}" for i in range(20))


# ---- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--set", "teams=0"], ["teams", "0"]),
        (["run", "--set", "nosuch=1"], ["nosuch", "1"]),
        (["run", "--set", "teams"], ["teams", "name=value"]),
        (["run", "no-such-scenario"], ["no-such-scenario"]),
        (["run", "--reps", "0"], ["--reps", "0"]),
        (["run", "--seed", "-1"], ["--seed", "-1"]),
        (["show", "no-such-scenario"], ["no-such-scenario"]),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: list[str]
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert "error" in err and "Traceback" not in err
    for text in expected:
        assert text in err
    assert out == ""


def test_malformed_yaml_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nparameters: [teams: 3\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "run", str(bad))
    assert code == 2
    assert err.startswith("qicsim: error: ") and str(bad) in err and "YAML" in err


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys)
    assert code == 2 and "usage: qicsim" in err and "scenarios" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.startswith("qicsim ")


def test_module_entry_point_exit_code_without_traceback() -> None:
    bad = subprocess.run([sys.executable, "-m", "qicsim", "run", "--set", "teams=0"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "qicsim: error:" in bad.stderr and "teams" in bad.stderr
    assert "Traceback" not in bad.stderr


# ---- scenarios and show ------------------------------------------------------------------------


def test_scenarios_lists_the_built_ins(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "scenarios")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines() if line.startswith("  ") and line[2] != " "]
    assert "breakthrough" in names
    assert names == scenarios.names()


def test_show_lists_parameters_with_unit_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "show", "breakthrough")
    assert code == 0
    flat = " ".join(out.split())  # sources may be wrapped onto a second line
    info = sim.parameter_info("didactic_share")
    assert "didactic_share" in out
    assert info["unit"] in flat and " ".join(info["source"].split()) in flat
    for section in sim.parameters.SECTIONS:
        assert any(line.startswith(f"{section}:") for line in out.splitlines())
    for name in sim.PARAMETER_NAMES:
        assert name in out
    assert max(len(line) for line in out.splitlines()) <= 120


def test_show_marks_values_that_differ_from_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "show", "--set", "didactic_share=0.85", "--verbose")
    assert code == 0
    line = next(line for line in out.splitlines() if " didactic_share " in line)
    assert line.lstrip().startswith("*") and "default 0.5" in line
    unchanged = next(line for line in out.splitlines() if " informal_time_share " in line)
    assert not unchanged.lstrip().startswith("*")


# ---- helpers -----------------------------------------------------------------------------------


def test_formatting() -> None:
    assert format_outcome("total_cost", 1234567.8) == "1,234,568"
    assert format_outcome("dropout_rate", 0.25) == "0.250"
    assert format_outcome("months_to_first_result_mean", 5.26) == "5.3"
    assert format_outcome("dropout_rate", float("nan")) == "n/a"
    assert first_sentence("Challenge 3: team leaders change often. Leaders leave et al. 2002.") == (
        "Challenge 3: team leaders change often.")


def test_atomic_writers_replace_and_leave_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    output.write_text("old\n", target)
    output.write_text("new\n", target)
    assert target.read_text() == "new\n"
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    output.write_csv(df, tmp_path / "t.csv")
    output.write_parquet(df, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "t.csv"), df, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), df, check_dtype=False)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), output.atomic_open(target) as handle:
        handle.write("partial")
        raise Boom
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "t.csv", "t.parquet"]


@pytest.mark.parametrize("command", [["run"], ["cea", "--reps", "2"], ["validate", "--reps", "1"]])
def test_an_out_directory_that_cannot_be_made_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          command: list[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    code, _, err = run_cli(capsys, *command, "--out", str(blocker / "out"))
    assert code == 1
    assert "--out" in err and "cannot create the directory" in err and "Traceback" not in err
