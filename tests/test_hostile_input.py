"""Hostile and malformed input: every input either works with finite values or is refused as bad input
(a ``ScenarioError``; on the command line ``qicsim: error: ...``, exit 2), with a short message, in
bounded time -- never a traceback, a silently wrong value or a blow-up. Property-based (hypothesis)
over ``--set`` values, scenario files and experiment specs, and the reproducers of the fuzz campaign."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qicsim import sim
from qicsim.cli import main
from qicsim.experiments.spec import ExperimentError, parse_spec
from qicsim.sim.parameters import PARAMETER_NAMES, Scenario
from qicsim.sim.scenario import parse_assignment
from qicsim.sim.yaml_input import MAX_BYTES, MAX_DEPTH, YamlInputError, read_yaml, shorten

MESSAGE_LIMIT = 2_000
"""Longest error message any single bad value may produce (the value itself is quoted shortened)."""
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def finite_numbers(scenario: Scenario) -> bool:
    return all(math.isfinite(v) for v in scenario.model_dump().values() if isinstance(v, float))


# ---- the strict YAML reader ------------------------------------------------------------------


def test_repeated_keys_aliases_deep_nesting_and_huge_texts_are_refused():
    with pytest.raises(YamlInputError, match="key 'teams' is given twice"):
        read_yaml("teams: 3\nteams: 4\n")
    with pytest.raises(YamlInputError, match="anchors and aliases are not allowed"):
        read_yaml("a: &x [lol, lol]\nb: [*x, *x]\n")
    with pytest.raises(YamlInputError, match=f"nested more than {MAX_DEPTH} deep"):
        read_yaml("a: " + "[" * 1000 + "]" * 1000)
    with pytest.raises(YamlInputError, match="allowed: at most"):
        read_yaml("a: " + "x" * (MAX_BYTES + 1))
    assert read_yaml("a: [1, {b: 2}]\nc: .5\n") == {"a": [1, {"b": 2}], "c": 0.5}


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=2000),
                    lambda inner: st.lists(inner, max_size=200) | st.dictionaries(st.text(max_size=20), inner,
                                                                                  max_size=50),
                    max_leaves=400))
def test_a_quoted_value_is_always_short(value):
    assert len(shorten(value)) <= 80


# ---- --set and scenario values ---------------------------------------------------------------


@FUZZ
@given(name=st.sampled_from(PARAMETER_NAMES), text=st.text(max_size=300) | st.sampled_from(
    [".nan", ".inf", "-.inf", "1e308", "1e999", "-0", "0", "[1, 2]", "{a: 1}", "&a [1]", "!!python/object:os.system",
     "null", "true", "'x'", "1_000", "0x10"]))
def test_any_set_value_runs_with_finite_values_or_is_refused_in_words(name, text):
    try:
        _, value = parse_assignment(f"{name}={text}")
        scenario = sim.load_scenario("breakthrough").with_overrides(**{name: value})
    except sim.ScenarioError as exc:
        assert len(str(exc)) < MESSAGE_LIMIT and name in str(exc)
        return
    assert finite_numbers(scenario)


@FUZZ
@given(text=st.text(max_size=2000) | st.builds(
    lambda key, value: yaml.safe_dump({"name": "fuzz", "base": "breakthrough", "parameters": {key: value}}),
    st.sampled_from(PARAMETER_NAMES) | st.text(max_size=30),
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50) | st.lists(st.integers(),
                                                                                             max_size=5)))
def test_any_scenario_file_loads_with_finite_values_or_is_refused_in_words(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        scenario = sim.load_scenario(path)
    except sim.ScenarioError as exc:
        assert len(str(exc)) < MESSAGE_LIMIT
        return
    assert finite_numbers(scenario) and isinstance(scenario.name, str)


@FUZZ
@given(spec=st.fixed_dictionaries(
    {"vary": st.dictionaries(st.sampled_from(["didactic_share", "teams", "selection_policy", "nonsense"]),
                             st.lists(st.none() | st.floats() | st.integers() | st.text(max_size=10), max_size=4)
                             | st.fixed_dictionaries({"min": st.floats(), "max": st.floats()}), max_size=3),
     "sampler": st.sampled_from(["grid", "random", {"method": "lhs", "points": 4}, {"method": "sobol"}, 7]),
     "seed": st.integers(min_value=-5, max_value=2**70) | st.floats()},
    optional={"replications": st.integers(-3, 5) | st.floats(), "name": st.text(max_size=5)}))
def test_any_experiment_spec_is_parsed_or_refused_in_words(spec):
    try:
        parsed = parse_spec(spec, "spec")
    except ExperimentError as exc:
        assert len(str(exc)) < MESSAGE_LIMIT
        return
    for value in parsed.vary.values():
        if hasattr(value, "min"):
            assert math.isfinite(value.min) and math.isfinite(value.max)


# ---- the fuzz campaign's reproducers, on the command line ------------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["run", "--set", "baseline_performance=.nan"], "baseline_performance"),
    (["run", "--set", "baseline_performance=.inf"], "finite"),
    (["run", "--set", "best_practice_performance=1"], "best_practice_performance"),
    (["cea", "--wtp", "nan"], "--wtp: must be a finite number"),
    (["cea", "--wtp", "inf"], "--wtp: must be a finite number"),
    (["run", "--out", ""], "--out '': an empty name"),
])
def test_reproducers_of_bad_values_exit_2(capsys, tmp_path, argv, message):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("text, message", [
    ("name: x\nname: y\nbase: breakthrough\n", "key 'name' is given twice"),
    ("name: [a, b]\nbase: breakthrough\n", "field 'name' = ['a', 'b']: must be text"),
    ("name: bomb\nparameters:\n  teams: [&a [lol, lol], &b [*a, *a]]\n", "aliases are not allowed"),
    ("parameters:\n  teams: " + "[" * 1000 + "]" * 1000 + "\n", "nested more than"),
])
def test_reproducers_of_hostile_scenario_files_exit_2(capsys, tmp_path, text, message):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = run_cli(capsys, "run", str(path), "--reps", "1")
    assert code == 2 and message in err and "Traceback" not in err and len(err) < MESSAGE_LIMIT


def test_a_base_chain_of_thousands_of_files_is_refused(capsys, tmp_path):
    for k in range(3000):
        base = f"s{k + 1}.yaml" if k < 2999 else "breakthrough"
        (tmp_path / f"s{k}.yaml").write_text(f"base: {base}\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "run", str(tmp_path / "s0.yaml"), "--reps", "1")
    assert code == 2 and "'base' chain is more than" in err and "Traceback" not in err


def test_a_manifest_nested_too_deep_is_a_damaged_sweep(capsys, tmp_path):
    (tmp_path / "manifest.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, _, err = run_cli(capsys, "sensitivity", str(tmp_path))
    assert code == 2 and "cannot read the manifest" in err and "Traceback" not in err


def test_spec_ranges_must_be_finite(tmp_path: Path):
    with pytest.raises(ExperimentError, match="finite"):
        parse_spec({"vary": {"didactic_share": {"min": 0.0, "max": float("inf")}}, "sampler": "random", "seed": 1},
                   "spec")


# ---- damaged result folders --------------------------------------------------------------------


def small_results(tmp_path_factory: pytest.TempPathFactory, command: str) -> Path:
    """The folder ``qicsim COMMAND --out`` writes for 2 replicates of 5 teams with 2 months of follow-up."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp(command) / "out"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main([command, "--reps", "2", "--set", "teams=5", "--set", "follow_up_months=2", "--out", str(out)]) \
            == 0
    return out


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_results(tmp_path_factory, "run")


@pytest.mark.parametrize("name, content", [
    ("adoption.csv", ""), ("team_outcomes.csv", ""), ("team_outcomes.csv", "a,b\n1,2\n"),
    ("teams.parquet", "garbage"), ("series.csv", "a,b\n"), ("network.graphml", "<graphml><bad"),
])
def test_a_report_of_a_damaged_run_folder_leaves_out_what_it_cannot_read(capsys, tmp_path, run_folder, name,
                                                                          content):
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(run_folder, folder)
    (folder / name).write_text(content, encoding="utf-8")
    code, out, err = run_cli(capsys, "report", str(folder), "--no-effects")
    assert code == 0 and "Traceback" not in err, err
    assert "report.html" in out


@pytest.mark.parametrize("missing", ["summary_keys", "total_runs", "spec"])
def test_a_sweep_whose_manifest_lost_a_field_is_refused_in_words(capsys, tmp_path, missing):
    import json

    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\nbase: breakthrough\nfixed: {teams: 4, follow_up_months: 0}\n"
                    "vary: {didactic_share: [0.2, 0.8]}\nsampler: grid\nreplications: 1\nseed: 1\n", encoding="utf-8")
    out = tmp_path / "sweep"
    assert run_cli(capsys, "sweep", str(spec), "--out", str(out))[0] == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest[missing]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for argv in (["sweep", str(spec), "--out", str(out)], ["sensitivity", str(out)],
                 ["report", str(out), "--no-effects"]):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and "damaged manifest" in err and missing in err and "Traceback" not in err, (argv, err)


# ---- sizes and output paths ------------------------------------------------------------------


@pytest.mark.parametrize("vary, sampler", [
    ({"didactic_share": {"min": 0, "max": 1, "num": 10_000}, "informal_time_share": {"min": 0, "max": 0.4,
                                                                                      "num": 10_000}}, "grid"),
    ({"didactic_share": {"min": 0, "max": 1}}, {"method": "random", "points": 10_000_000}),
    ({"didactic_share": {"min": 0, "max": 1}, "teams": {"min": 5, "max": 50}}, {"method": "sobol", "samples": 2**20}),
])
def test_a_design_too_large_is_refused_before_it_is_built(capsys, tmp_path, vary, sampler):
    spec = tmp_path / "big.yaml"
    spec.write_text(yaml.safe_dump({"name": "big", "vary": vary, "sampler": sampler, "seed": 1}), encoding="utf-8")
    code, _, err = run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "out"))
    assert code == 2 and "runs (about" in err and "allowed: at most" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_outputs_never_replace_a_link_a_pipe_or_a_directory(capsys, tmp_path, run_folder):
    import os

    from qicsim.sim.files import NotARegularFileError, write_text

    target = tmp_path / "kept.txt"
    target.write_text("kept", encoding="utf-8")
    (tmp_path / "link.html").symlink_to(target)
    os.mkfifo(tmp_path / "pipe.html")
    (tmp_path / "folder.html").mkdir()
    for name in ("link.html", "pipe.html", "folder.html"):
        with pytest.raises(NotARegularFileError):
            write_text("x", tmp_path / name)
        code, _, err = run_cli(capsys, "report", str(run_folder), "--out", str(tmp_path / name), "--no-effects")
        assert code != 0 and any(w in err for w in ("not a regular file", "symbolic link", "a directory")), err
        assert "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "kept" and (tmp_path / "link.html").is_symlink()
    assert (tmp_path / "pipe.html").is_fifo() and (tmp_path / "folder.html").is_dir()


def test_a_network_too_large_for_memory_is_refused_before_it_is_built(monkeypatch, capsys):
    """Ties within organisations grow with units_per_organisation squared: 100,000 organisations of 50 units
    are 245 million ties. The estimate is checked against the memory available, before anything is built."""
    from qicsim.sim import network

    monkeypatch.setattr(network, "available_memory", lambda: 2 * 10**9)
    code, _, err = run_cli(capsys, "run", "national", "--set", "other_organisations=100000", "--set",
                           "units_per_organisation=50", "--reps", "1")
    assert code == 2 and "245,245,000 ties" in err and "GB available" in err and "Traceback" not in err
    model = sim.CollaborativeModel(sim.load_scenario("national"), rng=1)  # the built-in one fits in 2 GB
    assert model.units.size > 10_000


def test_imprecise_sensitivity_indices_are_said_to_be_so():
    import pandas as pd

    from qicsim.experiments.sensitivity import precision_warning

    tight = pd.DataFrame({"S1": [0.6, 0.1], "S1_conf": [0.05, 0.04], "ST": [0.7, 0.2], "ST_conf": [0.06, 0.05]},
                         index=["a", "b"])
    assert precision_warning("sobol", tight, 1024) is None
    loose = tight.assign(S1=[0.6, -0.3], S1_conf=[0.05, 0.2], ST=[1.3, 0.2])
    warning = precision_warning("sobol", loose, 8)
    assert "below 0" in warning and "above 1" in warning and "±0.20" in warning and "8 base samples" in warning
    morris = pd.DataFrame({"mu_star": [0.5, 0.01], "mu_star_conf": [0.1, 0.05], "sigma": [0.1, 0.1],
                           "mu": [0.5, 0.0]}, index=["a", "b"])
    assert "for b" in precision_warning("morris", morris, 4)


def damage_files(folder: Path, damage: list[tuple[str, str, int]]) -> None:
    """Damage files of a results folder: (file, how, where) with how = delete, empty, truncate or garble."""
    for name, how, at in damage:
        path = folder / name
        if not path.exists():
            continue
        data = path.read_bytes()
        if how == "delete":
            path.unlink()
        elif how == "empty":
            path.write_bytes(b"")
        elif how == "truncate":
            path.write_bytes(data[: at % max(1, len(data))])
        else:
            path.write_bytes(data[:at] + bytes(range(256))[at % 256:] + data[at:])


def report_of_damaged(capsys, tmp_path_factory, source: Path, damage: list[tuple[str, str, int]]) -> None:
    """A copy of ``source`` damaged as ``damage`` says gives a report, or a clear error with exit 2."""
    import shutil

    folder = tmp_path_factory.mktemp("damaged") / source.name
    shutil.copytree(source, folder)
    damage_files(folder, damage)
    code, _, err = run_cli(capsys, "report", str(folder), "--no-effects")
    assert code in (0, 2) and "Traceback" not in err, err
    assert code == 0 or err.startswith("qicsim: error:")


RUN_FILES = ("summary.csv", "team_outcomes.csv", "teams.parquet", "series.csv", "adoption.csv", "scenario.yaml")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=st.lists(st.tuples(st.sampled_from(RUN_FILES), st.sampled_from(["empty", "truncate", "garble", "delete"]),
                                 st.integers(0, 5000)), min_size=1, max_size=4))
def test_any_damage_to_a_run_folder_gives_a_report_or_a_clear_error(capsys, tmp_path_factory, run_folder, damage):
    report_of_damaged(capsys, tmp_path_factory, run_folder, damage)


def test_negative_zero_is_zero():
    """-0.0 passes 'at least 0', but numpy's normal draw reads its sign as a negative scale."""
    scenario = sim.load_scenario("breakthrough").with_overrides(baseline_sd_relative=-0.0, teams=4,
                                                                follow_up_months=0.0)
    assert math.copysign(1.0, scenario.baseline_sd_relative) == 1.0
    assert sim.run(scenario, seed=1).summary["teams"] == 4


def test_output_paths_that_are_not_what_they_should_be_are_bad_input(capsys, tmp_path):
    import os

    (tmp_path / "file.txt").write_text("kept", encoding="utf-8")
    os.mkfifo(tmp_path / "net.fifo")
    for argv, message in ((["run", "--out", str(tmp_path / "file.txt")], "exists and is not a directory"),
                          (["run", "--network-out", str(tmp_path / "net.fifo")], "not a regular file"),
                          (["run", "--network-out", str(tmp_path)], "a directory")):
        code, _, err = run_cli(capsys, *argv, "--reps", "1", "--set", "teams=4")
        assert code == 2 and message in err and "Traceback" not in err, err
    assert (tmp_path / "file.txt").read_text(encoding="utf-8") == "kept" and (tmp_path / "net.fifo").is_fifo()


@pytest.mark.parametrize("damage", ["points.parquet:delete", "points.parquet:garble", "runs:garble"])
def test_a_sweep_with_a_damaged_file_is_refused_in_words(capsys, tmp_path, damage):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\nbase: breakthrough\nfixed: {teams: 4, follow_up_months: 0}\n"
                    "vary: {didactic_share: {min: 0.2, max: 0.8}, informal_time_share: {min: 0.0, max: 0.4}}\n"
                    "sampler: {method: sobol, samples: 2}\nseed: 1\n", encoding="utf-8")
    out = tmp_path / "sweep"
    assert run_cli(capsys, "sweep", str(spec), "--out", str(out))[0] == 0
    name, how = damage.split(":")
    path = out / name if name != "runs" else next((out / "runs").glob("part-*.parquet"))
    if how == "delete":
        path.unlink()
    else:
        path.write_bytes(b"PAR1" + bytes(range(256)) + b"PAR1")
    code, _, err = run_cli(capsys, "sensitivity", str(out))
    assert code == 2 and "Traceback" not in err and err.startswith("qicsim: error:"), err
    code, _, err = run_cli(capsys, "report", str(out), "--no-effects")  # the report reads the runs alone
    assert code in (0, 2) and "Traceback" not in err, err


def test_a_sweep_into_an_empty_name_or_a_file_is_refused(capsys, tmp_path, monkeypatch, run_folder):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\nvary: {didactic_share: [0.2]}\nsampler: grid\nseed: 1\n", encoding="utf-8")
    (tmp_path / "file.txt").write_text("canary", encoding="utf-8")
    code, _, err = run_cli(capsys, "sweep", str(spec), "--out", "")
    assert code == 2 and "an empty name" in err
    code, _, err = run_cli(capsys, "sweep", str(spec), "--out", "file.txt")
    assert code == 2 and "exists and is not a directory" in err
    code, _, err = run_cli(capsys, "report", str(run_folder), "--no-effects", "--out", "")
    assert code == 2 and "an empty name" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "spec.yaml"], "nothing written"
    assert (tmp_path / "file.txt").read_text(encoding="utf-8") == "canary"


@pytest.fixture(scope="module")
def cea_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_results(tmp_path_factory, "cea")


def _damaged_cea(tmp_path: Path, cea_folder: Path, edit) -> Path:
    import shutil

    folder = tmp_path / "cea"
    shutil.copytree(cea_folder, folder)
    edit(folder)
    return folder


def _replicates(folder: Path, change) -> None:
    frame = pd.read_csv(folder / "cea_replicates.csv")
    change(frame).to_csv(folder / "cea_replicates.csv", index=False)


@pytest.mark.parametrize("change, message", [
    (lambda f: pd.concat([f, f.iloc[:1]]), "rows for arm"),                     # a row twice
    (lambda f: f.iloc[1:], "rows for arm"),                                      # an arm's row missing
    (lambda f: f.assign(cost=f["cost"].astype(object).where(f.index > 0, "lots")), "cost = 'lots' in row 2"),
    (lambda f: f.assign(qalys=f["qalys"].where(f.index > 2, float("inf"))), "qalys = 'inf' in row 2"),
])
def test_a_damaged_cost_effectiveness_table_is_refused_in_words(capsys, tmp_path, cea_folder, change, message):
    folder = _damaged_cea(tmp_path, cea_folder, lambda d: _replicates(d, change))
    code, _, err = run_cli(capsys, "report", str(folder), "--no-effects")
    assert code == 2 and err.startswith("qicsim: error:") and message in err, err


@pytest.mark.parametrize("line", ["discount_rate_per_year: abc", "wtp: .nan", "wtp: -5", "price_year: [1, 2]",
                                  "wtp: [unclosed"])
def test_a_damaged_cea_yaml_leaves_out_what_it_cannot_use(capsys, tmp_path, cea_folder, line):
    def edit(folder: Path) -> None:
        key = line.split(":")[0]
        text = (folder / "cea.yaml").read_text(encoding="utf-8")
        kept = [row for row in text.splitlines() if not row.startswith(f"{key}:")]
        (folder / "cea.yaml").write_text("\n".join([line, *kept]) + "\n", encoding="utf-8")

    folder = _damaged_cea(tmp_path, cea_folder, edit)
    code, out, err = run_cli(capsys, "report", str(folder), "--no-effects")
    assert code == 0 and "Traceback" not in err, err
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "nan per QALY" not in html
    assert ("left out" in html) or ("No usable cea.yaml" in html)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=st.lists(st.tuples(st.sampled_from(["cea_replicates.csv", "cea.yaml"]),
                                 st.sampled_from(["empty", "truncate", "garble", "delete"]), st.integers(0, 5000)),
                       min_size=1, max_size=3))
def test_any_damage_to_a_cea_folder_gives_a_report_or_a_clear_error(capsys, tmp_path_factory, cea_folder, damage):
    report_of_damaged(capsys, tmp_path_factory, cea_folder, damage)
