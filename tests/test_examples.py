"""The examples in examples/ run as a researcher would run them: the quick-start notebook end to end (nbclient, in a
temporary working directory) and the EMA Workbench example at tiny sizes."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

import qicsim

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _text(output: nbformat.NotebookNode) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return output.get("data", {}).get("text/plain", "")


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory) -> nbformat.NotebookNode:
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    workdir = tmp_path_factory.mktemp("quickstart")
    # "python3" is the kernel of the running interpreter (jupyter_client starts it with sys.executable)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}})
    # the notebook's temporary folder (its sweep) inside the test's, so that nothing is left behind
    # and the kernel's own matplotlib backend (inline), whatever this process's environment says
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    client.execute(env={**env, "TMPDIR": str(workdir)})
    assert list(workdir.glob("qicsim-quickstart-*/sweep/manifest.json"))
    return notebook


def test_quickstart_notebook_is_stored_without_outputs():
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_quickstart_notebook_is_what_its_generator_writes():
    spec = importlib.util.spec_from_file_location("build_quickstart", EXAMPLES / "build_quickstart.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    assert json.loads(nbformat.writes(module.build())) == json.loads(nbformat.writes(stored)), \
        "examples/quickstart.ipynb differs from examples/build_quickstart.py: run `python examples/build_quickstart.py`"


def test_quickstart_notebook_runs_without_errors(executed_notebook):
    errors = [(i, o.get("ename"), o.get("evalue")) for i, cell in enumerate(executed_notebook.cells)
              if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors


def test_quickstart_notebook_shows_its_key_outputs(executed_notebook):
    cells = [c for c in executed_notebook.cells if c.cell_type == "code"]
    texts = ["\n".join(_text(o) for o in c.outputs) for c in cells]
    everything = "\n".join(texts)
    summary = next(t for c, t in zip(cells, texts, strict=True) if c.source.startswith("result = qicsim.run"))
    assert "dropout_rate" in summary and "sustained_rate" in summary
    assert "mean difference" in everything and "lower 95%" in everything  # the paired comparison
    assert "40 points x 2 replicates = 80 runs" in everything and "complete: True" in everything  # the sweep
    assert "mu_star" in everything  # the Morris indices
    figure = cells[-1]
    assert any("image/png" in o.get("data", {}) for o in figure.outputs), "the figure cell shows no image"


# ---------------------------------------------------------------------------------------------
# EMA Workbench
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ema_example():
    path = EXAMPLES / "ema_workbench_example.py"
    spec = importlib.util.spec_from_file_location("ema_workbench_example", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def tiny_exploration(ema_example):
    return ema_example.main(scenarios=4, policies=3, replicates=2, teams=10, verbose=False)


def test_ema_example_gives_one_row_per_experiment(ema_example, tiny_exploration):
    names = ["leader_turnover_per_year", "senior_support", "didactic_share", "sustain_planning",
             "coaching_calls_per_month"]
    experiments, outcomes = tiny_exploration.experiments, tiny_exploration.outcomes
    assert len(experiments) == 12 and set(names) <= set(experiments.columns)
    assert experiments.groupby("scenario").ngroups == 4 and experiments.groupby("policy").ngroups == 3
    assert list(outcomes.columns) == ["dropout_rate", "sustained_rate", "total_cost"] and len(outcomes) == 12
    assert outcomes.notna().all().all()
    assert outcomes[["dropout_rate", "sustained_rate"]].stack().between(0, 1).all()
    # every sampled value within the range qicsim declares for it
    for name in ("leader_turnover_per_year", "senior_support", "didactic_share", "sustain_planning"):
        low, high = qicsim.parameter_info(name)["prior"]
        assert experiments[name].between(low, high).all(), name
    assert experiments["coaching_calls_per_month"].isin([0, 1, 2]).all()
    scores = tiny_exploration.feature_scores
    assert set(scores.index) == set(names) and list(scores.columns) == list(outcomes.columns)
    assert np.allclose(scores.sum(), 1)


def test_ema_example_outcomes_are_replicate_means_on_common_random_numbers(ema_example):
    """Two experiments with the same values give the same outcomes (replicate r of every experiment runs on
    derive_seed(BASE_SEED, r)), and those outcomes are the means of the qicsim runs on those seeds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        from ema_workbench import Sample
    conditions = {"leader_turnover_per_year": 0.3, "senior_support": 0.5}
    design = {"didactic_share": 0.6, "sustain_planning": 0.4, "coaching_calls_per_month": 1}
    model = ema_example.make_model(replicates=2, teams=10)
    experiments, outcomes = ema_example.run_experiments(
        model, [Sample("first", **conditions), Sample("second", **conditions)], [Sample("design", **design)],
        progress_bar=False)
    assert len(outcomes) == 2
    pd.testing.assert_series_equal(outcomes.iloc[0], outcomes.iloc[1], check_names=False)

    scenario = qicsim.load_scenario("breakthrough").with_overrides(teams=10, **conditions, **design)
    runs = [qicsim.run(scenario, seed=qicsim.derive_seed(ema_example.BASE_SEED, r)).summary for r in range(2)]
    for key in outcomes.columns:
        assert outcomes[key].iloc[0] == pytest.approx(np.mean([s[key] for s in runs]), rel=1e-12), key


def test_ema_example_prim_finds_a_box(ema_example, tiny_exploration):
    """PRIM on a threshold that splits the tiny sample (the default 0.3 may not, with two replicates)."""
    dropout = tiny_exploration.outcomes["dropout_rate"]
    values = np.sort(dropout.unique())
    if len(values) < 2:
        pytest.skip("every experiment has the same drop-out rate; nothing for PRIM to separate")
    threshold = float(values[len(values) // 2 - 1]) if len(values) > 2 else float(values[0])
    found = ema_example.explore(tiny_exploration.experiments, tiny_exploration.outcomes,
                                list(tiny_exploration.feature_scores.index), threshold=threshold, verbose=False)
    assert found.prim_stats is not None and 0 < found.prim_stats["coverage"] <= 1
    assert found.prim_limits is not None and set(found.prim_limits.columns) == {"min", "max"}
