"""Does the model still behave as it did? Summary outcomes over many seeds, before vs after a change.

    .venv/bin/python benchmarks/behaviour.py collect --out FILE [--seeds 200] [--scenarios a b ...]
                                                  [--set name=value ...]
    .venv/bin/python benchmarks/behaviour.py compare BEFORE AFTER [--markdown FILE]

``collect`` runs each scenario on seeds ``sim.derive_seed(2026, i)`` for ``i < seeds`` and writes
every run's summary (one row per scenario and seed) as CSV. ``compare`` reads two such files and,
for each scenario and summary key, prints both means, the difference and its standard error
(independent samples: the draws per seed may differ between versions), and whether the difference
lies within 2 standard errors. A redesign that keeps the model's behaviour keeps (almost) every
key within 2 standard errors; each one outside needs an explanation.

To measure an older version, run ``collect`` with ``PYTHONPATH`` pointing at its checkout.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd
from tqdm import tqdm

SCENARIOS = ("breakthrough", "traditional", "ihi-ade", "uk-orthopaedic", "national")
KEYS = ("dropout_rate", "significant_improvement_rate", "sustained_rate", "mean_relative_improvement",
        "months_to_first_result_mean", "continued_qi_rate", "total_cost", "leader_change_rate",
        "mean_ihi_score_end", "mean_successful_changes", "changes_from_peers_mean", "spread_units",
        "method_spread_units", "qalys", "first_result_rate")
"""The outcomes compared (those every version of the summary carries)."""


def collect(out: Path, seeds: int, scenarios: list[str], overrides: list[str]) -> None:
    from qicsim import sim
    from qicsim.sim.scenario import parse_assignment

    settings = dict(parse_assignment(text) for text in overrides)
    rows = []
    for name in scenarios:
        scenario = sim.load_scenario(name).with_overrides(**settings)
        for i in tqdm(range(seeds), desc=name, file=sys.stderr):
            seed = sim.derive_seed(2026, i)
            summary = sim.run(scenario, seed=seed).summary
            rows.append({"scenario": name, "seed": seed, **{k: summary.get(k, math.nan) for k in KEYS}})
    pd.DataFrame(rows).to_csv(out, index=False)
    print(f"wrote {out} ({len(rows)} runs; sim from {sim.__file__})")


def compare(before: Path, after: Path) -> pd.DataFrame:
    a, b = pd.read_csv(before), pd.read_csv(after)
    rows = []
    for name in [s for s in a["scenario"].unique() if s in set(b["scenario"])]:
        x, y = a[a["scenario"] == name], b[b["scenario"] == name]
        for key in KEYS:
            u, v = x[key].dropna(), y[key].dropna()
            if len(u) < 2 or len(v) < 2:
                continue
            se = math.sqrt(u.var() / len(u) + v.var() / len(v))
            diff = v.mean() - u.mean()
            z = diff / se if se > 0 else (0.0 if diff == 0 else math.inf)
            rows.append({"scenario": name, "outcome": key, "before": u.mean(), "after": v.mean(),
                         "difference": diff, "se": se, "z": z, "within_2se": abs(z) <= 2,
                         "n_before": len(u), "n_after": len(v)})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--seeds", type=int, default=200)
    c.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    c.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter set in every scenario (a version that lacks it cannot be compared this way)")
    d = sub.add_parser("compare")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    d.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    if args.command == "collect":
        collect(args.out, args.seeds, args.scenarios, args.set)
        return
    table = compare(args.before, args.after)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"{int(table['within_2se'].sum())} of {len(table)} within 2 standard errors")
    if args.markdown:
        args.markdown.write_text(markdown(table), encoding="utf-8")


def markdown(table: pd.DataFrame) -> str:
    """The comparison as a Markdown table (numbers to 4 significant digits)."""
    def cell(value: object) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
