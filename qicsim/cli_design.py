"""``qicsim design``: which combination of collaborative components buys the most for a budget.

::

    qicsim design [SCENARIO] --budget AMOUNT --out DIR [--vary NAME=V1,V2,...] [--only] [--set NAME=VALUE]
                  [--reps N] [--seed S]
                  [--posterior FILE|default|none] [--workers N] [--scheduler ADDRESS|local] [--top N]

Runs every combination of the components' values (:data:`experiments.design.OPTIONS`, or those given
with ``--vary``) on common random numbers into DIR/sweep (a sweep: resumable, Dask-ready), then writes
DIR/designs.csv (every design), DIR/frontier.csv and DIR/design.png, and prints the designs within the
budget with their chance of being best. Exit codes as ``qicsim sweep``: 0 done; 1 some runs failed or a
worker died (rerun to resume); 2 bad input; 130 interrupted (finished runs are stored).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from qicsim.arguments import (
    COMMANDS,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    error,
    finite_number,
    output_directory,
    posterior_argument,
    whole_number,
)
from qicsim.sim.yaml_input import YamlInputError, read_yaml

SWEEP = "sweep"
MAX_DESIGNS = 20_000
"""Most designs one search runs (each is ``--reps`` runs): a grid larger than this is refused before any run."""


def parse_vary(items: list[str]) -> dict[str, list[Any]]:
    """``--vary NAME=V1,V2,...`` (each value read as YAML: numbers, true/false, names) into a dict."""
    options: dict[str, list[Any]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise ValueError(f"--vary {item[:60]!r}: expected NAME=V1,V2,... "
                             "e.g. --vary coaching_calls_per_month=0,1,2")
        try:
            values = [read_yaml(v) for v in text.split(",")]
        except YamlInputError:
            raise ValueError(f"--vary {item[:60]!r}: the values are not readable (write e.g. 0,1,2 or none,monthly)") \
                from None
        if any(v is None or isinstance(v, dict | list) for v in values):
            raise ValueError(f"--vary {item[:60]!r}: each value must be a number, true/false or a name")
        if name in options:
            raise ValueError(f"--vary {name}: given twice")
        options[name] = values
    return options


def cmd_design(args: argparse.Namespace) -> int:
    import yaml

    from qicsim.cli import parse_overrides
    from qicsim.cli_experiments import run_resumable
    from qicsim.experiments import design, storage
    from qicsim.experiments.experiment import prepare

    try:
        options = {**design.OPTIONS, **parse_vary(args.vary)} if not args.only else parse_vary(args.vary)
        fixed = parse_overrides(args.set)
    except ValueError as exc:
        error(str(exc))
        return EXIT_USAGE
    for name in fixed:
        options.pop(name, None)  # a component set with --set is not searched
    if not options:
        error("nothing to search: give a component's values with --vary NAME=V1,V2,... (with --only, only those "
              "are searched; --set fixes a parameter for every design)")
        return EXIT_USAGE
    count = math.prod(len(v) for v in options.values())
    if count > MAX_DESIGNS:
        error(f"--vary: {count:,} designs (the product of the values' counts); at most {MAX_DESIGNS:,}: vary fewer "
              "components or fewer values")
        return EXIT_USAGE
    spec = design.design_spec(args.scenario, options, args.reps, args.seed, args.posterior, fixed)
    experiment = prepare(spec, yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), Path.cwd(),
                         origin="qicsim design")
    out = output_directory(args.out)
    if out is None:
        return EXIT_USAGE
    currency = experiment.scenario.currency
    print(f"design: {experiment.points} designs x {args.reps} replicates on common random numbers = "
          f"{experiment.total_runs} runs on {args.scenario}; budget {args.budget:,.0f} {currency} (programme cost)")
    print("components: " + "; ".join(f"{k} {', '.join(map(str, v))}" for k, v in options.items()))
    report = run_resumable(experiment, out / SWEEP, args)
    if isinstance(report, int):
        return report
    if report.ran:
        print(f"ran {report.ran} runs in {report.seconds:.0f} s ({report.ran / report.seconds:.1f} runs/s)")
    runs = storage.load_table(out / SWEEP, storage.RUNS)
    points = storage.load_points(out / SWEEP).set_index("point_id")
    result = design.analyse(runs, points, tuple(options), args.budget, args.reps, args.seed)
    try:
        write_outputs(result, out, currency)
    except OSError as exc:
        error(f"--out {args.out!r}: cannot write the results ({exc}); the runs are stored in {out / SWEEP}")
        return EXIT_FAILURE
    print(format_result(result, currency, args.top))
    print(f"\nwrote {out}/designs.csv, frontier.csv and design.png; the runs are in {out / SWEEP}/")
    return EXIT_FAILURE if report.failed_total or result.failed_runs else EXIT_OK


def write_outputs(result: Any, out: Path, currency: str) -> None:
    from qicsim.experiments import design
    from qicsim.sim.files import write_text

    table = result.table.reset_index()
    write_text(table.to_csv(index=False), out / "designs.csv")
    frontier = table[table.frontier_sustained | table.frontier_nmb]
    write_text(frontier.to_csv(index=False), out / "frontier.csv")
    design.plot(result, out / "design.png", currency)


def format_result(result: Any, currency: str, top: int) -> str:
    import pandas as pd

    table = result.table
    inside = result.within_budget().sort_values("sustained", ascending=False)
    lines = []
    if result.failed_runs:
        lines.append(f"note: {result.failed_runs} failed run(s) left out (see the sweep's failures/)")
    lines.append(f"\n{len(inside)} of {len(table)} designs fit the budget of {result.budget:,.0f} {currency} "
                 "(mean programme cost).")
    if len(inside):
        lines.append(f"The {min(top, len(inside))} with the most sustained improvement within it (share of teams "
                     "still significantly improved at the end of follow-up; mean ± se over "
                     f"{result.replications} replicates). P(best): the chance it is the best on average (bootstrap "
                     "of the replicates) / the best in one collaborative (share of replicates), among the designs "
                     "within the budget:")
        lines.append(_rows(inside.head(top), currency, "sustained"))
        best_nmb = inside.sort_values("nmb", ascending=False).head(min(3, top))
        lines.append("\nhighest net monetary benefit within the budget:")
        lines.append(_rows(best_nmb, currency, "nmb"))
    else:
        cheapest = table.sort_values("programme_cost").iloc[0]
        lines.append(f"the cheapest design costs {cheapest.programme_cost:,.0f} {currency}: {cheapest.design}")
    if len(inside) > 1:
        lines.append(f"\nnote: the best of {len(inside)} designs measured on {result.replications} replicates looks "
                     "better than it is (the winner's curse), and P(best) holds only these replicates' luck: treat the "
                     "top designs as a shortlist and confirm it with more replicates on another seed, e.g. --only "
                     "--vary over the components in which they differ, --set the others, --reps 200 --seed "
                     "<another> (README, 'Designing a collaborative').")
    front = result.frontier("sustained")
    near = pd.concat([front[front.within_budget].tail(top), front[~front.within_budget].head(1)])
    lines.append(f"\nfrontier of cost against sustained improvement ({len(front)} designs: no other costs less and "
                 f"sustains more; all in frontier.csv), up to the budget and the next beyond it:")
    lines.append(_rows(near, currency, "sustained"))
    return "\n".join(lines)


def _rows(frame: Any, currency: str, objective: str) -> str:
    out = []
    for _, row in frame.iterrows():
        chance = (f"  P(best) {row[f'chance_best_mean_{objective}']:.2f} / {row[f'chance_best_{objective}']:.2f}"
                  if row.within_budget else "  (over budget)")
        out.append(f"  {row.programme_cost:>10,.0f} {currency}  sustained {row.sustained:.3f} ± {row.sustained_se:.3f}"
                   f"  significant {row.significant:.3f}  NMB {row.nmb:>10,.0f} ± {row.nmb_se:,.0f}{chance}"
                   f"\n      {row.design}")
    return "\n".join(out)


def add_commands(subparsers: Any) -> None:
    from qicsim.cli_experiments import add_backend_arguments
    from qicsim.experiments.options import OPTIONS

    parser = subparsers.add_parser(
        "design", help=COMMANDS["design"][1],
        description="Run every combination of the collaborative's components (learning sessions and their format, "
                    "coaching calls, site visits, group calls, benchmark reports, an online forum) on the scenario, "
                    "each --reps times on common random numbers (replicate r of every design shares its seed and "
                    "its posterior draw); print and plot the frontier of programme cost against sustained "
                    "improvement and net monetary benefit, the designs within the budget and each one's chance of "
                    "being best. Resumable: the same command again goes on where it stopped. Default components: "
                    + "; ".join(f"{k} {','.join(map(str, v))}" for k, v in OPTIONS.items()) + ".")
    parser.add_argument("scenario", nargs="?", default="breakthrough", metavar="SCENARIO",
                        help="the base scenario (built-in name or YAML file; default: %(default)s)")
    parser.add_argument("--budget", type=finite_number(0.0, above=True, what="an amount of money, e.g. 1500000"),
                        required=True, metavar="AMOUNT",
                        help="the programme budget (the sponsor's cost, in the scenario's currency)")
    parser.add_argument("--out", required=True, metavar="DIR", help="where the runs and the results go")
    parser.add_argument("--vary", action="append", default=[], metavar="NAME=V1,V2,...",
                        help="a component's values to search, replacing its default ones (repeatable); any "
                             "scenario parameter can be varied")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="fix a parameter for every design (repeatable); a component set here is not searched")
    parser.add_argument("--only", action="store_true",
                        help="search only the components given with --vary (the others keep the scenario's values)")
    parser.add_argument("--reps", type=whole_number(2), default=20, metavar="N",
                        help="replicates per design (default: %(default)s)")
    parser.add_argument("--seed", type=whole_number(0), default=1, metavar="S", help="base seed (default: %(default)s)")
    posterior_argument(parser)
    add_backend_arguments(parser)
    parser.add_argument("--top", type=whole_number(1), default=10, metavar="N",
                        help="designs to list (default: %(default)s)")
    parser.set_defaults(func=cmd_design)
