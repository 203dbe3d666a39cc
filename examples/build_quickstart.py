"""Writes examples/quickstart.ipynb (no outputs stored): `python examples/build_quickstart.py`.

Edit the cells here rather than in the notebook, so that the notebook stays reviewable as code; the test suite
(tests/test_examples.py) executes the notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

CELLS: list[tuple[str, str]] = [
    ("md", """\
# qicsim quick start

qicsim simulates a **quality improvement collaborative** (the IHI Breakthrough Series): teams from many
organisations meet at learning sessions, test changes at home, share what works, and try to keep their gains.
Drop-out, improvement, sustainment and cost are not inputs: they *emerge* from the teams, their leaders and their
organisations.

This notebook shows the everyday API in five steps: one run, its result tables, a paired comparison of two designs,
a small sensitivity sweep, and a figure. It takes well under a minute (the first run of a new qicsim version compiles
the model's kernels once, about 10 seconds).

**Seeds.** Every run takes an explicit seed, and qicsim never seeds itself from the clock: the same scenario and seed
give the same collaborative on any machine. Quote the seeds with your results."""),
    ("code", """\
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import qicsim

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)
pd.set_option("display.float_format", "{:,.3f}".format)
print("qicsim", qicsim.__version__)
print("built-in scenarios:", ", ".join(qicsim.scenario_names()))"""),
    ("md", """\
## 1. One run

`qicsim.run(scenario, seed=..., **overrides)` simulates one collaborative from enrolment to the end of follow-up.
The scenario is a built-in name (above), a YAML file, or a `Scenario` object; any parameter can be overridden by
its flat name (`qicsim show -v` on the command line lists them with units, sources and allowed ranges). Here: the
default `breakthrough` collaborative with 20 teams instead of 30, to keep the example fast.

`result.summary` holds one number per outcome for the whole collaborative: the share of teams that dropped out, that
improved significantly, that sustained it at the end of follow-up, costs, QALYs and more."""),
    ("code", """\
result = qicsim.run("breakthrough", seed=1, teams=20)
summary = pd.Series(result.summary)
summary[list(qicsim.SUMMARY_KEYS)]  # the headline outcomes; summary.index has all of them"""),
    ("md", """\
## 2. The result tables

* `result.teams`: one row per team per month — the team's true and measured performance, its IHI assessment score
  (1–5), motivation, knowledge, capability, senior leaders' engagement, and whether it is still taking part.
* `result.team_outcomes`: one row per team — dropped out or not (and when), whether its leader changed, its
  improvement on the measure, whether it was significant and sustained.
* `result.series`: one row per month for the whole collaborative (active teams, mean performance, cost so far).

They are ordinary pandas DataFrames, so the usual grouping and plotting work."""),
    ("code", """\
result.teams.head()"""),
    ("code", """\
outcomes = result.team_outcomes
print(f"{len(outcomes)} teams; {outcomes['dropped'].sum()} dropped out")
# drop-out and improvement by whether the team's leader changed (the paper calls a leader change a strong predictor
# of drop-out); with 20 teams these are small numbers -- pool replicates for anything you want to report
outcomes.groupby("leader_changed")[["dropped", "significant_improvement", "relative_improvement"]].mean()"""),
    ("md", """\
## 3. Comparing two designs on paired seeds

Does a collaborative whose learning sessions are mostly lectures (`didactic_share=0.8`, against 0.5 by default) lose
more teams? One run of each would mostly show chance: which organisations enrolled, whose leader left. So we run both
designs on the **same seeds** (common random numbers): replicate *r* of each design has the same teams, leaders and
luck, and the paired difference is the design's effect plus much less noise than two independent samples would have.

`qicsim.derive_seed(base, r)` gives replicate *r*'s seed from one base seed (the command line's `--seed` does the
same). The interval below is a t interval for the mean paired difference; 10 replicates of 20 teams is a
demonstration, not a study — use more of both for a result."""),
    ("code", """\
BASE_SEED = 2002
seeds = [qicsim.derive_seed(BASE_SEED, r) for r in range(10)]
standard = qicsim.load_scenario("breakthrough").with_overrides(teams=20)
lectures = standard.with_overrides(didactic_share=0.8)

keys = ["dropout_rate", "significant_improvement_rate", "sustained_rate"]
rows = []
for seed in seeds:
    a, b = qicsim.run(standard, seed=seed).summary, qicsim.run(lectures, seed=seed).summary
    rows.append({"seed": seed, **{f"{k}_standard": a[k] for k in keys}, **{f"{k}_lectures": b[k] for k in keys}})
paired = pd.DataFrame(rows)


def paired_interval(diff: pd.Series, level: float = 0.95) -> pd.Series:
    \"\"\"Mean paired difference with a t interval.\"\"\"
    mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(len(diff))
    half = stats.t.ppf(0.5 + level / 2, len(diff) - 1) * se
    return pd.Series({"mean difference": mean, "lower 95%": mean - half, "upper 95%": mean + half})


comparison = pd.DataFrame({k: paired_interval(paired[f"{k}_lectures"] - paired[f"{k}_standard"]) for k in keys}).T
comparison  # didactic_share 0.8 minus 0.5, on the same 10 seeds"""),
    ("md", """\
## 4. A small sweep and its sensitivity

For more than a couple of designs, write an **experiment spec** (YAML, like the ones in the repository's
`experiments/` folder) and run it as a sweep. This one varies three levers over their plausible ranges with the
Morris method (10 trajectories of 4 points, 2 replicates each: 80 runs of 15 teams), which ranks the levers by how
much they move each outcome. Run `r` of point `p` has seed `derive_seed(seed, p, r)`, so the sweep gives the same
numbers on any machine and with any number of workers, and an interrupted sweep resumes where it stopped.

The spec goes into a temporary folder here; for a real study keep it with your project and run it from the command
line (`qicsim sweep spec.yaml --out DIR --workers 4`, then `qicsim sensitivity DIR` or `qicsim report DIR`)."""),
    ("code", """\
workdir = Path(tempfile.mkdtemp(prefix="qicsim-quickstart-"))
spec_path = workdir / "levers.yaml"
spec_path.write_text(\"\"\"\\
name: quickstart-levers
description: lectures, senior support and sustain planning (Morris screening)
base: breakthrough
fixed: {teams: 15}
vary:
  didactic_share: {min: 0.1, max: 0.9}
  senior_support: {min: 0.3, max: 0.8}
  sustain_planning: {min: 0.0, max: 1.0}
sampler: {method: morris, samples: 10, levels: 4}
replications: 2
seed: 20020601
outputs:
  summary: [dropout_rate, significant_improvement_rate, sustained_rate, total_cost]
\"\"\")
experiment = qicsim.load_experiment(spec_path)  # checked in full before any run: names, ranges, sampler
print(experiment.points, "points x", experiment.spec.replications, "replicates =", experiment.total_runs, "runs")

sweep_dir = workdir / "sweep"
report = qicsim.run_sweep(experiment, sweep_dir, workers=1)
print(f"{report.ran} runs in {report.seconds:.1f} s; complete: {report.complete}")"""),
    ("md", """\
`qicsim.load_table(DIR)` gives one row per run: its point, replicate and seed, the varied parameters, and the
summary outcomes it stored."""),
    ("code", """\
runs = qicsim.load_table(sweep_dir)
runs[["run_id", "point_id", "replicate", "seed", "didactic_share", "senior_support", "sustain_planning",
      "dropout_rate", "sustained_rate"]].head()"""),
    ("code", """\
# the mean over replicates at each point, and how each lever moves drop-out across the design (a first look)
levers = ["didactic_share", "senior_support", "sustain_planning"]
point_means = runs.groupby("point_id")[[*levers, "dropout_rate", "sustained_rate"]].mean()
point_means.corr().loc[levers, ["dropout_rate", "sustained_rate"]]  # correlations over the 40 points"""),
    ("md", """\
`qicsim.analyse(DIR)` computes the Morris indices (with SALib) on the mean over replicates at each point: **mu\\***
is a lever's average absolute effect on the outcome across the design, **sigma** how much that effect depends on the
other levers (interactions or non-linearity). Each comes with a 95% interval; with 10 trajectories they are wide, so
read the ranking, not the decimals."""),
    ("code", """\
sensitivity = qicsim.analyse(sweep_dir)
for key_indices in sensitivity.indices:
    print(f"\\n{key_indices.key}")
    if key_indices.table is None:
        print("  no indices:", key_indices.skipped)
    else:
        print(key_indices.table.sort_values("mu_star", ascending=False).round(4).to_string())"""),
    ("md", """\
## 5. A figure

`result.plot()` draws the common views of one run in one matplotlib Figure: each team's measured and true performance
over time, the distribution of IHI assessment scores, drop-out curves for teams whose leader changed and teams whose
leader stayed, and — when the scenario has months of follow-up or the changes spread — how many teams keep their
improvement after the collaborative ends and how far the changes reach beyond the participating teams.
`result.plot("run.png")` also writes it to a file. The functions in `qicsim.figures` draw each view on its own from
result tables (for instance from a run folder written by `qicsim run --out DIR`), into an axes of your own with
`ax=`."""),
    ("code", """\
fig = result.plot()  # shown below; fig.savefig("breakthrough-seed1.png", dpi=200) writes it at print quality"""),
]


def build() -> nbformat.NotebookNode:
    """The notebook, without outputs."""
    cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    for i, cell in enumerate(notebook.cells):  # stable ids, so that rebuilding changes nothing
        cell["id"] = f"cell-{i:02d}"
    return notebook


def main() -> None:
    path = HERE / "quickstart.ipynb"
    nbformat.validate(notebook := build())
    nbformat.write(notebook, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
