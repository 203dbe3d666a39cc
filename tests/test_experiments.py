"""Tests of sweeps and sensitivity analysis (experiments/, qicsim sweep, qicsim sensitivity).

Runs are tiny (6 teams, 3 months of follow-up) so that the whole file stays well under a minute on
two cores; the slow marks are on the tests that start worker processes, a Dask cluster or a
subprocess to kill.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from qicsim import experiments, sim
from qicsim.cli import main
from qicsim.experiments import samplers, sensitivity, storage
from qicsim.experiments.spec import ExperimentError
from qicsim.sim.posterior import Posterior

TINY = {"teams": 6, "follow_up_months": 3}


def write_spec(path: Path, **changes: object) -> Path:
    """A small grid spec (2 x 2 points, 3 replicates = 12 runs) with ``changes`` applied."""
    spec: dict[str, object] = {
        "name": "tiny",
        "base": "breakthrough",
        "fixed": dict(TINY),
        "vary": {"didactic_share": [0.2, 0.8], "senior_support": {"min": 0.3, "max": 0.9, "num": 2}},
        "sampler": "grid",
        "replications": 3,
        "seed": 5,
    }
    spec.update(changes)
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def results(out: Path) -> pd.DataFrame:
    """The runs table without the code-version label (which names the commit, not the results)."""
    return experiments.load_table(out).drop(columns=["code_version"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The tiny spec swept once, uninterrupted, in this process."""
    folder = tmp_path_factory.mktemp("reference")
    spec = write_spec(folder / "tiny.yaml", outputs={"team_outcomes": True})
    assert main(["sweep", str(spec), "--out", str(folder / "out")]) == 0
    return spec, results(folder / "out")


# ---- specs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(experiments.example_specs()))
def test_example_specs_load_and_validate(name: str) -> None:
    experiment = experiments.load_experiment(experiments.example_specs()[name])
    assert experiment.total_runs == experiment.points * experiment.spec.replications > 0
    assert set(experiment.varied) <= set(sim.PARAMETER_NAMES)


def test_example_specs_are_the_three_promised() -> None:
    specs = experiments.example_specs()
    assert {"dropout-leader-support", "sobol-levers", "what-if-designs"} <= set(specs)
    dropout = experiments.load_experiment(specs["dropout-leader-support"])
    assert set(dropout.varied) == {"leader_turnover_per_year", "senior_support"}
    assert dropout.spec.replications >= 5
    sobol = experiments.load_experiment(specs["sobol-levers"])
    assert sobol.spec.sampler.method == "sobol"
    assert {"teamwork_mean", "qi_method_learning", "strategic_importance", "qi_culture",
            "senior_support"} <= set(sobol.varied)


BAD_SPECS = [
    ({"replications": 0}, ["replications", "0", "greater than or equal to 1"]),
    ({"colour": "blue"}, ["unknown key 'colour'", "allowed here", "vary"]),
    ({"vary": {"didactic_share": [0.2, 1.5]}}, ["vary.didactic_share", "1.5", "allowed: a number from 0 to 1"]),
    ({"vary": {"didactic_shares": [0.2]}}, ["unknown parameter 'didactic_shares'", "did you mean didactic_share"]),
    ({"vary": {"change_package_size": [6.5]}}, ["vary.change_package_size", "6.5", "a whole number"]),
    ({"vary": {"selection_policy": ["all_comers", "lottery"]}}, ["selection_policy", "lottery", "self_selected"]),
    ({"vary": {"didactic_share": 0.5}}, ["vary.didactic_share", "must be a list of values", "range"]),
    ({"vary": {"didactic_share": {"min": 0.2, "max": 0.8}}}, ["vary.didactic_share", "a grid needs", "num"]),
    ({"sampler": {"method": "sobol", "samples": 100}}, ["sampler.samples", "100", "power of 2", "64 or 128"]),
    ({"sampler": {"method": "sobol", "samples": 4}}, ["vary.didactic_share", "sobol sampler needs a numeric range"]),
    ({"sampler": {"method": "lhs", "points": 4, "samples": 3}}, ["unknown key 'sampler.samples'", "points"]),
    ({"sampler": "latin"}, ["sampler", "unknown method", "lhs"]),
    ({"vary": {"self_assessment": {"min": 0, "max": 1}}, "sampler": {"method": "random", "points": 3}},
     ["vary.self_assessment", "not numeric", "true or false"]),
    ({"outputs": {"summary": ["dropout"]}}, ["outputs.summary", "'dropout'", "dropout_rate"]),
    ({"fixed": {"teams": 0}}, ["fixed", "teams", "0", "a whole number from 1"]),
    ({"base": "no-such-scenario"}, ["base", "no-such-scenario", "built-ins"]),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_SPECS, ids=[str(i) for i in range(len(BAD_SPECS))])
def test_bad_spec_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict,
                                   expected: list[str]) -> None:
    spec = write_spec(tmp_path / "bad.yaml", **changes)
    code, out, err = run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.startswith("qicsim: error: ") and "Traceback" not in err
    for fragment in expected:
        assert fragment in err, err
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_malformed_yaml_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.yaml").write_text("vary: [unclosed\n")
    code, _, err = run_cli(capsys, "sweep", str(tmp_path / "broken.yaml"), "--out", str(tmp_path / "o"))
    assert code == 2 and "not valid YAML" in err
    code, _, err = run_cli(capsys, "sweep", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o"))
    assert code == 2 and "cannot read the file" in err


# ---- samplers ------------------------------------------------------------------------------


def _spec(**changes: object) -> experiments.ExperimentSpec:
    data = {"name": "s", "vary": {"didactic_share": {"min": 0.1, "max": 0.9}, "teams": {"min": 4, "max": 9}},
            "sampler": {"method": "lhs", "points": 8}, "seed": 1, **changes}
    return experiments.spec.parse_spec(data, "test")


@pytest.mark.parametrize("sampler", [{"method": "lhs", "points": 8}, {"method": "random", "points": 8},
                                     {"method": "sobol", "samples": 8}, {"method": "morris", "samples": 3}])
def test_samplers_are_reproducible_in_range_and_typed(sampler: dict) -> None:
    spec = _spec(sampler=sampler)
    kinds = {"didactic_share": "float", "teams": "int"}
    design = samplers.design(spec, kinds)
    assert design.equals(samplers.design(spec, kinds))
    assert not design.equals(samplers.design(_spec(sampler=sampler, seed=2), kinds))
    assert design["point_id"].tolist() == list(range(len(design)))
    assert design["didactic_share"].between(0.1, 0.9).all() and design["teams"].between(4, 9).all()
    assert design["teams"].dtype == "int64"
    expected = {"lhs": 8, "random": 8, "sobol": 8 * (2 + 2), "morris": 3 * (2 + 1)}[sampler["method"]]
    assert len(design) == expected


def test_latin_hypercube_has_one_point_per_stratum() -> None:
    design = samplers.design(_spec(vary={"didactic_share": {"min": 0.0, "max": 1.0}}), {"didactic_share": "float"})
    strata = np.floor(design["didactic_share"].to_numpy() * 8).astype(int)
    assert sorted(strata) == list(range(8))


def test_grid_is_every_combination_in_order() -> None:
    spec = _spec(vary={"didactic_share": [0.2, 0.8], "selection_policy": ["all_comers", "self_selected"]},
                 sampler="grid")
    design = samplers.design(spec, {"didactic_share": "float", "selection_policy": "str"})
    assert list(zip(design["didactic_share"], design["selection_policy"], strict=True)) == [
        (0.2, "all_comers"), (0.2, "self_selected"), (0.8, "all_comers"), (0.8, "self_selected")]


# ---- sweeps --------------------------------------------------------------------------------


def test_sweep_rows_carry_ids_seeds_parameters_and_reproduce(reference: tuple[Path, pd.DataFrame]) -> None:
    spec_path, runs = reference
    assert runs["run_id"].tolist() == list(range(12))
    assert (runs["run_id"] == runs["point_id"] * 3 + runs["replicate"]).all()
    assert (runs["status"] == "ok").all()
    assert [int(s) for s in runs["seed"]] == [sim.derive_seed(5, p, r) for p, r in zip(runs["point_id"],
                                                                                        runs["replicate"], strict=True)]
    assert set(runs["didactic_share"]) == {0.2, 0.8} and set(runs["senior_support"]) == {0.3, 0.9}
    row = runs.iloc[7]
    direct = sim.run("breakthrough", seed=int(row["seed"]), didactic_share=float(row["didactic_share"]),
                     senior_support=float(row["senior_support"]), **TINY)
    for key in sim.SUMMARY_KEYS:
        assert row[key] == pytest.approx(direct.summary[key], nan_ok=True)
    outcomes = experiments.load_table(spec_path.parent / "out", "team_outcomes")
    assert len(outcomes) == 12 * 6
    assert list(outcomes.columns[:6]) == ["run_id", "point_id", "replicate", "seed", "didactic_share", "senior_support"]


def test_sweep_directory_layout(reference: tuple[Path, pd.DataFrame]) -> None:
    out = reference[0].parent / "out"
    manifest = experiments.read_manifest(out)
    assert manifest["total_runs"] == 12 and manifest["varied"] == ["didactic_share", "senior_support"]
    assert manifest["code_version"]["qicsim"]
    assert sim.load_scenario(out / "scenario.yaml").teams == 6
    assert (out / "spec.yaml").read_text() == reference[0].read_text()
    assert len(experiments.load_points(out)) == 4


def test_every_parquet_file_names_its_sweep(reference: tuple[Path, pd.DataFrame]) -> None:
    import json

    import pyarrow.parquet as pq

    out = reference[0].parent / "out"
    manifest = experiments.read_manifest(out)
    files = sorted(out.glob("*.parquet")) + sorted(out.glob("*/part-*.parquet"))
    assert {f.parent.name for f in files} >= {"out", "runs", "team_outcomes"}
    for path in files:
        meta = json.loads(pq.read_schema(path).metadata[b"qicsim"])
        assert meta == storage.read_file_metadata(path)
        assert meta["experiment"] == "tiny" and meta["spec_fingerprint"] == manifest["spec_hash"]
        assert meta["seed"] == 5 and meta["qicsim_version"] == manifest["code_version"]["qicsim"]
        assert meta["table"] == (path.parent.name if path.parent != out else "points")
        assert meta["code_version"]
    for table in ("runs", "team_outcomes"):
        rows = experiments.load_table(out, table)
        assert list(rows.columns[-2:]) == ["experiment", "spec_fingerprint"]
        assert set(rows["experiment"]) == {"tiny"} and set(rows["spec_fingerprint"]) == {manifest["spec_hash"]}
    assert not {"experiment", "spec_fingerprint"} & {*manifest["varied"], *manifest["summary_keys"]}
    assert "experiment" not in experiments.load_points(out), "the design holds the varied parameters only"


def test_two_sweeps_read_together_can_be_told_apart(tmp_path: Path, reference: tuple[Path, pd.DataFrame]) -> None:
    first = reference[0].parent / "out"
    spec = write_spec(tmp_path / "other.yaml", name="other", seed=6)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 0
    # straight from the files, as DuckDB or pandas would read runs/*.parquet of several sweeps
    rows = pd.concat([pd.read_parquet(f) for folder in (first, tmp_path / "out")
                      for f in sorted((folder / "runs").glob("part-*.parquet"))], ignore_index=True)
    assert rows.groupby("experiment").size().to_dict() == {"other": 12, "tiny": 12}
    fingerprints = rows.groupby("experiment")["spec_fingerprint"].unique()
    assert all(len(f) == 1 for f in fingerprints) and fingerprints["tiny"][0] != fingerprints["other"][0]
    assert fingerprints["other"][0] == experiments.read_manifest(tmp_path / "out")["spec_hash"]
    assert rows[["experiment", "run_id"]].duplicated().sum() == 0  # run ids repeat across sweeps, not within one


def test_a_sweep_folder_from_before_the_sweep_columns_still_loads(tmp_path: Path,
                                                                   reference: tuple[Path, pd.DataFrame]) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(reference[0].parent / "out", old)
    for path in [*old.glob("*/part-*.parquet"), old / "points.parquet"]:  # as written before: no columns, no metadata
        frame = pd.read_parquet(path).drop(columns=["experiment", "spec_fingerprint"], errors="ignore")
        frame.to_parquet(path, index=False)
        assert storage.read_file_metadata(path) is None
    manifest = experiments.read_manifest(old)
    runs = experiments.load_table(old)
    pd.testing.assert_frame_equal(runs.drop(columns=["code_version", "experiment", "spec_fingerprint"]),
                                  reference[1].drop(columns=["experiment", "spec_fingerprint"]))
    assert set(runs["experiment"]) == {"tiny"} and set(runs["spec_fingerprint"]) == {manifest["spec_hash"]}
    assert len(experiments.load_table(old, "team_outcomes")) == 12 * 6
    (old / "manifest.json").unlink()  # without a manifest there is nothing to fill them from: still loads
    bare = experiments.load_table(old)
    assert len(bare) == 12 and "experiment" not in bare


def test_completed_sweep_is_not_run_again(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          reference: tuple[Path, pd.DataFrame]) -> None:
    spec = write_spec(tmp_path / "tiny.yaml")
    assert run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "out"))[0] == 0
    before = sorted(p.name for p in (tmp_path / "out" / "runs").iterdir())
    code, out, _ = run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "out"))
    assert code == 0 and "12 of 12 runs done, 0 to run" in out
    assert sorted(p.name for p in (tmp_path / "out" / "runs").iterdir()) == before


def test_a_different_spec_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "sweep", str(write_spec(tmp_path / "a.yaml")), "--out", str(tmp_path / "out"))[0] == 0
    other = write_spec(tmp_path / "b.yaml", seed=6, fixed={**TINY, "teams": 7})
    code, _, err = run_cli(capsys, "sweep", str(other), "--out", str(tmp_path / "out"))
    assert code == 2 and "different experiment" in err and "'seed'" in err and "teams 6 -> 7" in err
    # a new name or description is the same experiment
    renamed = write_spec(tmp_path / "c.yaml", name="renamed", description="same runs")
    assert run_cli(capsys, "sweep", str(renamed), "--out", str(tmp_path / "out"))[0] == 0


def test_a_sweep_with_a_posterior_draws_every_calibrated_input_it_does_not_vary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    posterior = Posterior(pd.DataFrame({"tests_per_month": [0.5, 2.5], "didactic_share": [0.1, 0.9],
                                        "weight": [1.0, 1.0]}), {}, "toy")
    posterior.write(tmp_path / "toy.parquet")
    spec = write_spec(tmp_path / "p.yaml", posterior="toy.parquet")  # relative to the spec
    experiment = experiments.load_experiment(spec)
    tasks = list(experiment.tasks())
    assert {t.overrides["tests_per_month"] for t in tasks} == {0.5, 2.5}
    assert all(t.overrides["didactic_share"] in (0.2, 0.8) for t in tasks)  # varied: the design's value wins
    assert experiment.spec_hash() != experiments.load_experiment(write_spec(tmp_path / "n.yaml")).spec_hash()
    assert run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "out"))[0] == 0
    row = results(tmp_path / "out").iloc[4]
    scenario = posterior.apply(sim.load_scenario("breakthrough").with_overrides(
        **TINY, didactic_share=float(row["didactic_share"]), senior_support=float(row["senior_support"])),
        int(row["seed"]), keep={"didactic_share", "senior_support", *TINY})
    assert row["dropout_rate"] == pytest.approx(sim.run(scenario, seed=int(row["seed"])).summary["dropout_rate"])
    with pytest.raises(ExperimentError, match="posterior: --posterior .*not a readable"):
        experiments.load_experiment(write_spec(tmp_path / "bad.yaml", posterior="p.yaml"))


def test_a_directory_with_other_files_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.tex").write_text("precious")
    code, _, err = run_cli(capsys, "sweep", str(write_spec(tmp_path / "a.yaml")), "--out", str(tmp_path / "out"))
    assert code == 2 and "not empty" in err and "thesis.tex" in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["thesis.tex"]  # left as it was


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real_run = sim.simulate  # what a sweep's task runs
    bad_seed = sim.derive_seed(5, 2, 1)

    def flaky(scenario: sim.Scenario, seed: int = 0, **kw: object) -> sim.CollaborativeModel:
        if seed == bad_seed:
            raise ZeroDivisionError("boom in the model")
        return real_run(scenario, seed=seed, **kw)

    monkeypatch.setattr(sim, "simulate", flaky)
    code, out, _ = run_cli(capsys, "sweep", str(write_spec(tmp_path / "a.yaml")), "--out", str(tmp_path / "out"))
    assert code == 1
    assert "1 run(s) failed" in out and f"seed {bad_seed}" in out and "ZeroDivisionError: boom" in out
    runs = experiments.load_table(tmp_path / "out")
    assert len(runs) == 12 and (runs["status"] == "failed").sum() == 1
    failed = runs[runs["status"] == "failed"].iloc[0]
    assert failed["run_id"] == 2 * 3 + 1 and np.isnan(failed["dropout_rate"])
    failures = experiments.load_table(tmp_path / "out", "failures")
    assert failures.loc[0, "seed"] == bad_seed and "boom in the model" in failures.loc[0, "traceback"]
    assert failures.loc[0, "didactic_share"] == failed["didactic_share"]
    # resuming does not rerun a recorded failure, and still reports it
    code, out, _ = run_cli(capsys, "sweep", str(tmp_path / "a.yaml"), "--out", str(tmp_path / "out"))
    assert code == 1 and "0 to run" in out


def test_resume_after_an_interruption(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch, reference: tuple[Path, pd.DataFrame]) -> None:
    """Stopped after 7 runs (Ctrl-C), with a half-written temp file and an uncommitted chunk left
    behind as a crash would: the rerun completes without losing or repeating a run."""
    real_run, calls = sim.simulate, []  # what a sweep's task runs
    sweep_seeds = {sim.derive_seed(5, p, r) for p in range(4) for r in range(3)}  # not the spec check's probe

    def interrupted(scenario: sim.Scenario, seed: int = 0, **kw: object) -> sim.CollaborativeModel:
        calls.extend([seed] if seed in sweep_seeds else [])
        if len(calls) == 8:
            raise KeyboardInterrupt
        return real_run(scenario, seed=seed, **kw)

    spec = write_spec(tmp_path / "tiny.yaml", outputs={"team_outcomes": True})
    out = tmp_path / "out"
    monkeypatch.setattr(sim, "simulate", interrupted)
    assert run_cli(capsys, "sweep", str(spec), "--out", str(out), "--chunk-size", "3")[0] == 130
    monkeypatch.setattr(sim, "simulate", real_run)
    assert len(storage.done_run_ids(out)) == 7
    (out / "runs" / ".part-00009.parquet.abc.tmp").write_bytes(b"PAR1 half a file")
    orphan = out / "team_outcomes" / "part-00042.parquet"
    orphan.write_bytes(b"written before its runs file; never committed")

    code, text, _ = run_cli(capsys, "sweep", str(spec), "--out", str(out))
    assert code == 0 and "resuming, 7 of 12 runs done, 5 to run" in text
    assert not orphan.exists() and not list((out / "runs").glob(".*.tmp"))
    runs = results(out)
    assert sorted(runs["run_id"]) == list(range(12))
    pd.testing.assert_frame_equal(runs, reference[1])
    outcomes = experiments.load_table(out, "team_outcomes")
    assert outcomes.groupby("run_id").size().tolist() == [6] * 12


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")
def test_no_worker_outlives_a_killed_sweep(tmp_path: Path) -> None:
    """``kill -9`` of ``qicsim sweep --workers 2``: the main process cannot stop its pool, so each worker
    notices its parent is gone and exits; within 15 s no process the sweep started is left."""
    spec = write_spec(tmp_path / "kill.yaml", fixed={"teams": 20, "follow_up_months": 6}, replications=50)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "qicsim", "sweep", str(spec), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2:  # the two workers (and multiprocessing's resource tracker)
        assert proc.poll() is None and time.monotonic() < deadline, "the workers did not start within 60 s"
        time.sleep(0.05)
    time.sleep(1.0)  # the workers are running
    started = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in started if _alive(pid)], "a worker outlived the killed sweep by 15 s"


@pytest.mark.slow
def test_resume_after_kill_9(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``kill -9`` in the middle of a sweep, then the same command: every run exactly once, and the
    same results as a sweep that was never interrupted."""
    spec = write_spec(tmp_path / "kill.yaml", fixed={"teams": 20, "follow_up_months": 6}, replications=15)  # 60 runs
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "qicsim", "sweep", str(spec), "--out", str(out), "--chunk-size", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(out.glob("runs/part-*.parquet")):
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "no chunk written within 60 s"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(storage.done_run_ids(out))
    assert 0 < done < 60, f"the sweep was not killed mid-way ({done} of 60 runs done); make it longer"

    code, text, _ = run_cli(capsys, "sweep", str(spec), "--out", str(out))
    assert code == 0 and f"resuming, {done} of 60 runs done" in text
    resumed = results(out)
    assert resumed["run_id"].tolist() == list(range(60))  # each exactly once

    assert run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "whole"))[0] == 0
    pd.testing.assert_frame_equal(resumed, results(tmp_path / "whole"))


@pytest.fixture(scope="module")
def dask_scheduler() -> object:
    """A two-worker Dask LocalCluster on 127.0.0.1 for the backend test; closed afterwards."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.ERROR)
    yield cluster.scheduler_address
    cluster.close()


@pytest.mark.slow
def test_same_results_with_1_and_2_workers_and_dask(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    reference: tuple[Path, pd.DataFrame],
                                                    dask_scheduler: str) -> None:
    spec = str(reference[0])
    assert run_cli(capsys, "sweep", spec, "--out", str(tmp_path / "two"), "--workers", "2", "--chunk-size", "4")[0] == 0
    pd.testing.assert_frame_equal(results(tmp_path / "two"), reference[1])
    code, out, _ = run_cli(capsys, "sweep", spec, "--out", str(tmp_path / "dask"), "--scheduler", dask_scheduler)
    assert code == 0 and "Dask scheduler" in out
    pd.testing.assert_frame_equal(results(tmp_path / "dask"), reference[1])
    ref_outcomes = experiments.load_table(reference[0].parent / "out", "team_outcomes")
    pd.testing.assert_frame_equal(experiments.load_table(tmp_path / "dask", "team_outcomes"), ref_outcomes)


def _worker_settings() -> dict[str, object]:
    import dask

    from qicsim.experiments.backends import LOCAL_CLUSTER_CONFIG
    return {key: dask.config.get(key) for key in LOCAL_CLUSTER_CONFIG}


def test_a_local_dask_cluster_runs_its_workers_without_the_dashboard_profiler() -> None:
    """The statistical profiler and frequent ticks serve a dashboard the local cluster does not have,
    and slowed sweeps; the workers get the local cluster's settings."""
    pytest.importorskip("distributed")
    from qicsim.experiments.backends import LOCAL_CLUSTER_CONFIG, DaskBackend

    backend = DaskBackend("local", 1)
    try:
        settings = list(backend._client.run(_worker_settings).values())
    finally:
        backend.close()
    assert settings == [LOCAL_CLUSTER_CONFIG]
    assert LOCAL_CLUSTER_CONFIG["distributed.worker.profile.enabled"] is False


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dask = pytest.importorskip("dask")
    spec = write_spec(tmp_path / "a.yaml")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, _, err = run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "o"),
                               "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "cannot connect to a Dask scheduler" in err


# ---- sensitivity ---------------------------------------------------------------------------


def test_sobol_indices_find_the_parameter_that_matters() -> None:
    """The analysis wiring (point order, mean over replicates) on an output with a known answer."""
    spec = _spec(vary={"didactic_share": {"min": 0.0, "max": 1.0}, "qi_culture": {"min": 0.0, "max": 1.0}},
                 sampler={"method": "sobol", "samples": 256})
    design = samplers.design(spec, {"didactic_share": "float", "qi_culture": "float"})
    runs = pd.concat([pd.DataFrame({"point_id": design["point_id"], "status": "ok", "replicate": r,
                                    "y": 4 * design["didactic_share"] + 0.2 * design["qi_culture"] + noise})
                      for r, noise in enumerate((0.05, -0.05))])
    y = sensitivity.point_means(runs, "y", len(design)).to_numpy()
    table = sensitivity.indices_for(spec, design, y, "y").table
    assert table.loc["didactic_share", "S1"] > 0.9 and table.loc["qi_culture", "ST"] < 0.05


def test_morris_indices_find_the_parameter_that_matters() -> None:
    spec = _spec(vary={"didactic_share": {"min": 0.0, "max": 1.0}, "qi_culture": {"min": 0.0, "max": 1.0}},
                 sampler={"method": "morris", "samples": 10})
    design = samplers.design(spec, {"didactic_share": "float", "qi_culture": "float"})
    runs = pd.DataFrame({"point_id": design["point_id"], "status": "ok",
                         "y": 4 * design["didactic_share"] + 0.2 * design["qi_culture"]})
    table = sensitivity.indices_for(spec, design, sensitivity.point_means(runs, "y", len(design)).to_numpy(), "y").table
    assert table.loc["didactic_share", "mu_star"] == pytest.approx(4)
    assert table.loc["qi_culture", "mu_star"] == pytest.approx(0.2)


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sensitivity_command(tmp_path: Path, capsys: pytest.CaptureFixture[str], method: str) -> None:
    sampler = {"method": "sobol", "samples": 4} if method == "sobol" else {"method": "morris", "samples": 4}
    spec = write_spec(tmp_path / "s.yaml", sampler=sampler, replications=1,
                      vary={"didactic_share": {"min": 0.1, "max": 0.9}, "senior_support": {"min": 0.2, "max": 1.0}},
                      outputs={"summary": ["mean_relative_improvement", "total_cost"]})
    assert run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "out"))[0] == 0
    code, out, err = run_cli(capsys, "sensitivity", str(tmp_path / "out"))
    assert code == 0, err
    columns = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf", "sigma")
    assert all(c in out for c in columns) and "mean over 1 replicate" in out
    for key in ("mean_relative_improvement", "total_cost"):
        assert (tmp_path / "out" / f"sensitivity_{key}.png").read_bytes()[:4] == b"\x89PNG"
    table = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert set(table["parameter"]) == {"didactic_share", "senior_support"} and set(columns) <= set(table.columns)


def test_sensitivity_refuses_grid_and_incomplete_sweeps(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        reference: tuple[Path, pd.DataFrame]) -> None:
    code, _, err = run_cli(capsys, "sensitivity", str(reference[0].parent / "out"))
    assert code == 2 and "sobol or morris" in err and "grid" in err
    spec = write_spec(tmp_path / "s.yaml", sampler={"method": "sobol", "samples": 2}, replications=1,
                      vary={"didactic_share": {"min": 0.1, "max": 0.9}})
    experiment = experiments.load_experiment(spec)
    with storage.SweepStore.open(tmp_path / "out", experiment, {"qicsim": "test"}):
        pass  # set up, no runs yet
    code, _, err = run_cli(capsys, "sensitivity", str(tmp_path / "out"))
    assert code == 2 and "incomplete (0 of 6 runs done)" in err
    code, _, err = run_cli(capsys, "sensitivity", str(tmp_path / "nothing"))
    assert code == 2 and "not a sweep directory" in err


def test_experiment_errors_are_scenario_errors() -> None:
    """The CLI reports ScenarioError as bad input (exit 2); spec errors must be caught the same way."""
    assert issubclass(ExperimentError, sim.ScenarioError)


def test_a_sweep_can_keep_the_adoption_curve(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "tiny.yaml", vary={"spread_planning": [0.0, 1.0]}, replications=1,
                      outputs={"adoption": True})
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 0
    adoption = experiments.load_table(tmp_path / "out", "adoption")
    runs = experiments.load_table(tmp_path / "out")
    row = runs[runs["spread_planning"] == 1.0].iloc[0]
    direct = sim.run("breakthrough", seed=int(row["seed"]), spread_planning=1.0, **TINY).adoption
    kept = adoption[adoption["run_id"] == row["run_id"]].reset_index(drop=True)
    assert kept["spread_units"].tolist() == direct["spread_units"].tolist()
    assert kept["month"].tolist() == list(range(len(direct)))



def test_a_sweep_run_without_tables_keeps_the_models_own_summary(monkeypatch: pytest.MonkeyPatch):
    """A task that keeps no table takes the summary the model made at its last month and makes no result tables
    (a fifth of a small run); with a table it makes them; the summary is the same either way."""
    from qicsim.experiments.tasks import RunTask, execute

    made = []
    real = sim.results
    monkeypatch.setattr(sim, "results", lambda model, seed: made.append(seed) or real(model, seed))
    scenario = sim.load_scenario("breakthrough").with_overrides(**TINY)
    task = RunTask(run_id=0, point_id=0, replicate=0, seed=11, overrides={})
    bare = execute(scenario, tuple(sim.SUMMARY_KEYS), (), task)
    assert made == [] and bare.ok
    kept = execute(scenario, tuple(sim.SUMMARY_KEYS), ("team_outcomes",), task)
    assert made == [11] and len(kept.tables["team_outcomes"]) == TINY["teams"]
    assert bare.summary == pytest.approx(kept.summary, nan_ok=True)
    direct = sim.run(scenario, seed=11).summary
    assert bare.summary == pytest.approx({k: direct[k] for k in sim.SUMMARY_KEYS}, nan_ok=True)
