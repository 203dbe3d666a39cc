"""``qicsim validate`` and ``qicsim calibrate``: the model against the paper's published figures.

::

    qicsim validate [--targets FILE] [--reps R] [--seed N] [--workers N] [--only GROUP] [--out DIR]
    qicsim calibrate SCENARIO [--targets FILE] [--group GROUP] [--reps R] [--seed N] [--budget N]
                     [--workers N] [--out FILE]

``validate`` exits 0 when every target passes, 1 when any fails or is not available (or the results
cannot be written), 2 on bad input (a missing or malformed targets file, an unknown group, a scenario
that cannot be loaded), with a one-line ``qicsim: error: ...`` and no traceback. ``calibrate`` exits 0
when the calibrated scenario is written, 1 when it cannot be written, 2 on bad input.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from analysis import calibration, validation
from analysis.targets import TargetsError, describe, load_targets, number_decimals
from qicsim.arguments import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, error, output_directory, whole_number
from sim.files import write_csv, write_text


def add_commands(subparsers) -> None:
    """Register ``validate`` and ``calibrate`` on the ``qicsim`` command's subparsers."""
    v = subparsers.add_parser(
        "validate", help="check the model against the paper's published figures",
        description="Run each target group's scenario R times (replicate r with seed derive_seed(SEED, r)) and "
                    "compare the mean of each target quantity, with its 95% interval over the replicates, with "
                    "the published value. A target passes when the MEAN is within its tolerance. Exit status 0 "
                    "when every target passes, 1 when any fails or is not available.",
    )
    _targets_argument(v)
    v.add_argument("--reps", type=whole_number(1), default=validation.DEFAULT_REPS, metavar="R",
                   help="replicates per group (default: %(default)s)")
    v.add_argument("--seed", type=whole_number(0), default=validation.DEFAULT_SEED, metavar="N",
                   help="base seed (default: %(default)s)")
    _workers_argument(v)
    v.add_argument("--only", action="append", default=[], metavar="GROUP",
                   help="validate only this group (repeatable; default: every group)")
    v.add_argument("--out", metavar="DIR", help="also write validation.csv to DIR (created if needed)")
    v.set_defaults(func=cmd_validate)

    c = subparsers.add_parser(
        "calibrate", help="fit a scenario's free inputs to the published figures",
        description="Move the free inputs that the targets file lists for the scenario's target group(s) "
                    "(`free: {parameter: [low, high]}`) to minimise the sum of squared standardised misses, on "
                    "common random numbers (the same seeds for every candidate), with Nelder-Mead from the "
                    "scenario's current values. Writes a scenario file with `base: SCENARIO` and only the fitted "
                    "inputs. Each evaluation runs R replicates (2R when a target needs the control arm).",
    )
    c.add_argument("scenario", metavar="SCENARIO", help="a built-in scenario name or a path to a scenario file")
    _targets_argument(c)
    c.add_argument("--group", action="append", default=[], metavar="GROUP",
                   help="calibrate against this group's targets (repeatable; default: every group whose "
                        "scenario is SCENARIO)")
    c.add_argument("--reps", type=whole_number(1), default=calibration.DEFAULT_REPS, metavar="R",
                   help="replicates per evaluation (default: %(default)s)")
    c.add_argument("--seed", type=whole_number(0), default=calibration.DEFAULT_SEED, metavar="N",
                   help="base seed of the common random numbers (default: %(default)s; not validate's 1, so that "
                        "`qicsim validate` afterwards checks the fit on other seeds)")
    c.add_argument("--budget", type=whole_number(1), default=calibration.DEFAULT_BUDGET, metavar="N",
                   help="at most N evaluations (candidate input sets), the first being the current values "
                        "(default: %(default)s)")
    _workers_argument(c)
    c.add_argument("--out", metavar="FILE",
                   help="where to write the calibrated scenario (default: SCENARIO-calibrated.yaml here)")
    c.set_defaults(func=cmd_calibrate)


def _targets_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--targets", metavar="FILE",
                        help="a targets file (default: the project's analysis/targets.yaml); a group's scenario "
                             "is a built-in name or a scenario file relative to FILE")


def _workers_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=whole_number(1), default=1, metavar="N",
                        help="local processes to run on; results do not depend on it (default: %(default)s)")


# ---- validate --------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """``qicsim validate``: the validation table; exit 0 all pass, 1 any fails, 2 bad input."""
    from qicsim.cli import progress_bar

    try:
        targets = load_targets(args.targets)
        plans = validation.plan(targets, args.only or None)
    except TargetsError as exc:
        error(str(exc))
        return EXIT_USAGE
    out_dir = None
    if args.out is not None:
        out_dir = output_directory(args.out)
        if out_dir is None:
            return EXIT_FAILURE
    jobs = [p.job() for p in plans]
    print(f"{targets.origin}: {len(plans)} group(s), {sum(len(p.group.targets) for p in plans)} targets; "
          f"{args.reps} replicates per group, base seed {args.seed} (replicate r runs with "
          f"derive_seed({args.seed}, r)); {validation.runs_needed(jobs, args.reps)} runs")
    print("a target passes when the mean over replicates meets it; the interval is the 2.5th-97.5th percentile "
          "of the replicate values")
    sys.stdout.flush()
    with progress_bar(validation.runs_needed(jobs, args.reps)) as bar:
        report = validation.validate(targets, args.reps, args.seed, args.workers, args.only or None,
                                     progress=bar.update, plans=plans)
    print()
    print(validation.format_table(report.table))
    messages = [f"{r.group} / {r.quantity}: {r.message}" for r in report.table.itertuples() if r.message]
    if messages or report.notes:
        print()
    for m in messages:
        print(f"note: {m}")
    for n in report.notes:
        print(f"note: {n}")
    counts = report.counts()
    print(f"\n{counts[validation.PASS]} of {len(report.table)} targets pass, {counts[validation.FAIL]} fail, "
          f"{counts[validation.NOT_AVAILABLE]} not available")
    if out_dir is not None:
        table = report.table.assign(reps=args.reps, seed=args.seed)
        try:
            path = write_csv(table, out_dir / "validation.csv")
        except OSError as exc:
            error(f"--out {str(out_dir)!r}: cannot write validation.csv ({exc})")
            return EXIT_FAILURE
        print(f"wrote {path}")
    return EXIT_OK if report.passed else EXIT_FAILURE


# ---- calibrate -------------------------------------------------------------------------------


def format_comparison(result: calibration.CalibrationResult) -> str:
    """Each target before and after calibration, with its verdict on the calibration seeds."""
    headers = ["group", "quantity", "published", "before", "after", "result"]
    rows = []
    for (group, t), b, a in zip(result.targets, result.before.means, result.after.means, strict=True):
        d = number_decimals(t.value, t.tolerance)

        def num(x: float, d: int = d) -> str:
            return "n/a" if not math.isfinite(x) else f"{x:,.{d}f}"

        verdict = f"{'PASS' if t.passes(b) else 'FAIL'} -> {'PASS' if t.passes(a) else 'FAIL'}"
        rows.append([group, t.quantity, describe(t.kind, t.value, t.tolerance, d), num(b), num(a), verdict])
    for (group, q), _why in result.skipped.items():
        rows.append([group, q, "", "not available", "not available", "N/A"])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in [headers, ["-" * w for w in widths], *rows])


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``qicsim calibrate``: fit the free inputs and write the calibrated scenario file."""
    from qicsim.cli import package_version, progress_bar

    out = Path(args.out) if args.out else calibration.default_output(args.scenario)
    try:
        targets = load_targets(args.targets)
        groups = calibration.choose_groups(targets, args.scenario, args.group or None)
        free = calibration.free_parameters(targets, groups)
    except TargetsError as exc:
        error(str(exc))
        return EXIT_USAGE
    print(f"calibrating {', '.join(p.name for p in free)} of scenario {args.scenario!r} against group(s) "
          f"{', '.join(groups)}: at most {args.budget} evaluations of {args.reps} replicates on common random "
          f"numbers (replicate r with seed derive_seed({args.seed}, r))")
    sys.stdout.flush()
    try:
        with progress_bar(args.budget, unit="evaluation") as bar:
            result = calibration.calibrate(targets, args.scenario, groups, args.reps, args.seed, args.budget,
                                           args.workers, progress=bar.update)
    except TargetsError as exc:
        error(str(exc))
        return EXIT_USAGE
    print()
    print(format_comparison(result))
    width = max(len("input"), *(len(p.name) for p in result.free))
    print(f"\n{'input'.ljust(width)}  before -> after  [search range]")
    for p in result.free:
        print(f"{p.name.ljust(width)}  {getattr(result.scenario, p.name)!r} -> {result.after.params[p.name]!r}  "
              f"[{p.low:g}, {p.high:g}]")
    print(f"\ndistance (sum of squared standardised misses, 0 = all met): before {result.before.distance:.4g}, "
          f"after {result.after.distance:.4g}; {result.evaluations} evaluations, {result.runs} runs")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text(calibration.scenario_file_text(result, out, package_version()), out)
    except OSError as exc:
        error(f"--out {str(out)!r}: cannot write the calibrated scenario ({exc})")
        return EXIT_FAILURE
    print(f"wrote {out}; check it on other seeds with `qicsim validate` (a targets file naming it) "
          f"or `qicsim run {out}`")
    return EXIT_OK
