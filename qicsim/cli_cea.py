"""``qicsim cea``: cost-effectiveness of a collaborative against the traditional team and no intervention."""

from __future__ import annotations

import argparse
import math
import shlex
from datetime import UTC, datetime
from typing import Any

from qicsim.arguments import (
    COMMANDS,
    add_scenario_argument,
    describe_inputs,
    error,
    finite_number,
    output_directory,
    posterior_argument,
    whole_number,
)


def add_commands(subparsers) -> None:
    """Register ``cea`` on the ``qicsim`` command's subparsers."""
    cea = subparsers.add_parser(
        "cea", help=COMMANDS["cea"][1],
        description="Run the collaborative, the traditional QI team and no intervention on the same seeds "
                    "(common random numbers) and compare costs and QALYs: incremental cost and effect, ICER or "
                    "dominance, net monetary benefit, a cost-effectiveness plane and acceptability curves.",
    )
    add_scenario_argument(cea)
    cea.add_argument("--seed", type=whole_number(0), default=1, metavar="N", help="base seed (default: %(default)s)")
    cea.add_argument("--reps", type=whole_number(2), default=20, metavar="R",
                     help="replicates, at least 2 (default: %(default)s)")
    cea.add_argument("--wtp", type=finite_number(0.0), default=None, metavar="X",
                     help="willingness to pay per QALY (default: the scenario's willingness_to_pay)")
    cea.add_argument("--out", metavar="DIR", default=".",
                     help="where to write ce_plane.png, ceac.png, cea_replicates.csv and cea.yaml (how they were "
                          "made; `qicsim report DIR` reads them all) (default: .)")
    posterior_argument(cea)
    cea.set_defaults(func=cmd_cea)


def _money(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:,.0f}"


def provenance(args: argparse.Namespace, scenario: Any, overrides: dict[str, Any], wtp: float, posterior: Any
               ) -> str:
    """``cea.yaml``: how a ``qicsim cea`` folder was made (scenario, seed, replicates, willingness to pay,
    currency, posterior, the command and the effective scenario), for ``qicsim report`` and for reproducing it."""
    import yaml

    from qicsim.cli import package_version, posterior_choice

    choice = posterior_choice(args.posterior, posterior)
    command = ["qicsim", "cea", args.scenario, *(part for a in args.set for part in ("--set", a)),
               "--seed", str(args.seed), "--reps", str(args.reps), "--wtp", repr(float(wtp)), "--posterior", choice,
               "--out", "NEW_DIR"]
    record = {
        "made_by": f"qicsim {package_version()} cea",
        "qicsim": package_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": scenario.name, "source": args.scenario,
        "overrides": dict(overrides),  # typed, as --set read them
        "seed": args.seed, "reps": args.reps, "wtp": float(wtp), "currency": scenario.currency,
        "price_year": scenario.price_year, "discount_rate_per_year": scenario.discount_rate_per_year,
        "perspective": "health system", "posterior": choice,
        "inputs": describe_inputs(posterior, scenario, overrides),
        "command": shlex.join(command),
        "effective_scenario": yaml.safe_load(scenario.to_yaml()),
    }
    return ("# How this qicsim cea folder was made; `qicsim report DIR` reads it. Replicate r ran every arm with the "
            "seed in cea_replicates.csv.\n" + yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=1000))


def cmd_cea(args: argparse.Namespace) -> int:
    import numpy as np

    from qicsim.analysis.cea import acceptability, analyse
    from qicsim.analysis.plots import acceptability_curve, ce_plane
    from qicsim.cli import effective_scenario, progress_bar
    from qicsim.sim.files import write_csv, write_text
    from qicsim.sim.posterior import resolve

    scenario, overrides = effective_scenario(args.scenario, args.set)
    posterior = resolve(args.posterior)
    wtp = scenario.willingness_to_pay if args.wtp is None else args.wtp
    out = output_directory(args.out)
    if out is None:
        return 1
    with progress_bar(args.reps * 3) as progress:
        result = analyse(scenario, args.reps, args.seed, wtp, progress.update, posterior, keep=overrides)
    c = scenario.currency
    print(f"scenario {scenario.name}: {args.reps} replicates on common random numbers (base seed {args.seed}); "
          f"health-system perspective; {c} at {scenario.price_year} prices; "
          f"costs and QALYs discounted at {scenario.discount_rate_per_year:.1%} a year; WTP {c} {wtp:,.0f}/QALY")
    print(f"inputs: {describe_inputs(posterior, scenario, overrides)}\n")
    arms = result.table.attrs["arms"]
    print(f"{'design':22s} {'cost':>14s} {'net cost':>14s} {'QALYs':>9s} {'NMB':>14s} "
          f"{'cost/significant':>17s} {'cost/sustained':>15s}")
    for _, a in arms.iterrows():
        print(f"{a['arm']:22s} {_money(a['cost']):>14s} {_money(a['net_cost']):>14s} {a['qalys']:9.1f} "
              f"{_money(a['nmb']):>14s} {_money(a['cost_per_significant_improvement']):>17s} "
              f"{_money(a['cost_per_sustained_improvement']):>15s}")
    print("\ncollaborative against      incremental cost  incremental QALYs  incremental NMB  P(cost-effective)")
    for _, row in result.table.iterrows():
        print(f"  {row['comparator']:24s} {_money(row['incremental_cost']):>16s} {row['incremental_qalys']:18.1f} "
              f"{_money(row['incremental_nmb']):>16s} {row['prob_cost_effective']:18.2f}")
        print(f"    {row['verdict']}")
    curve = acceptability(result.replicates, np.linspace(0, 3 * max(wtp, 1.0), 61))
    plane, ceac = out / "ce_plane.png", out / "ceac.png"
    try:
        ce_plane(result.replicates, wtp, c, plane)
        acceptability_curve(curve, wtp, c, ceac)
        write_csv(result.replicates, out / "cea_replicates.csv")
        write_text(provenance(args, scenario, overrides, wtp, posterior), out / "cea.yaml")
    except OSError as exc:
        error(f"--out {args.out!r}: cannot write the results ({exc})")
        return 1
    print(f"\nwrote {plane}, {ceac}, {out / 'cea_replicates.csv'} and {out / 'cea.yaml'}")
    return 0
