"""``qicsim validate`` and ``qicsim calibrate``: the model against the paper's published figures.

::

    qicsim validate [--targets FILE] [--reps R] [--seed N] [--workers N] [--only GROUP] [--out DIR]
    qicsim calibrate --out DIR [--targets FILE] [--population N] [--generations G] [--minutes M]
                     [--seed N] [--exclude GROUP] [--workers N] [--scheduler ADDRESS]

``validate`` exits 0 when the mean of every calibration figure meets it, 1 when one does not (or the
results cannot be written; a missed validation figure is a finding, not an error), 2 on bad input (a
missing or malformed targets file, an unknown group, a scenario or posterior that cannot be loaded),
with a one-line ``qicsim: error: ...`` and no traceback. ``calibrate`` exits 0 when the posterior is
written, 1 when the folder cannot be made, 2 on bad input (including a folder that holds another
calibration, or one another process is writing, and an unreachable scheduler).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys

from qicsim.analysis import defaults
from qicsim.arguments import (
    COMMANDS,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    error,
    output_directory,
    posterior_argument,
    whole_number,
)


def add_commands(subparsers) -> None:
    """Register ``validate`` and ``calibrate`` on the ``qicsim`` command's subparsers."""
    v = subparsers.add_parser(
        "validate", help=COMMANDS["validate"][1],
        description="Run each target group's scenario R times (replicate r with seed derive_seed(SEED, r) and the "
                    "posterior draw that seed picks) and show, for every figure, the prediction's mean and 95% "
                    "interval beside the published value, whether the interval covers it, and the interval score "
                    "of the model and of a naive model without agents fitted to the same calibration figures. "
                    "Totals per set (calibration, validation). Exit status 0 when every calibration figure's mean "
                    "is met, 1 when one is not.",
    )
    _targets_argument(v)
    v.add_argument("--reps", type=whole_number(1), default=defaults.VALIDATION_REPS, metavar="R",
                   help="replicates per group (default: %(default)s)")
    v.add_argument("--seed", type=whole_number(0), default=defaults.VALIDATION_SEED, metavar="N",
                   help="base seed (default: %(default)s)")
    _workers_argument(v)
    v.add_argument("--only", action="append", default=[], metavar="GROUP",
                   help="validate only this group (repeatable; default: every group)")
    v.add_argument("--out", metavar="DIR", help="also write validation.csv and validation_totals.csv to DIR "
                                                 "(created if needed)")
    posterior_argument(v)
    v.set_defaults(func=cmd_validate)

    c = subparsers.add_parser(
        "calibrate", help=COMMANDS["calibrate"][1],
        description="Approximate Bayesian computation (ABC-SMC, pyabc) of the shared behavioural inputs the "
                    "targets file lists under `calibration: free`, on every figure marked `set: calibration` at "
                    "once. Priors: each input's plausible range (`qicsim show -v`). Writes DIR/posterior.parquet "
                    "(weighted particles; `qicsim run --posterior DIR/posterior.parquet` uses it), "
                    "identifiability.csv, generations.csv, prior_posterior.png and pairs.png. Stops after "
                    "--generations populations or --minutes; running the same command again resumes from the "
                    "last finished population.",
    )
    _targets_argument(c)
    c.add_argument("--out", metavar="DIR", required=True, help="the calibration's folder (created if needed)")
    c.add_argument("--population", type=whole_number(10), default=defaults.CALIBRATION_POPULATION, metavar="N",
                   help="particles per population (default: %(default)s)")
    c.add_argument("--generations", type=whole_number(1), default=defaults.CALIBRATION_GENERATIONS, metavar="G",
                   help="stop after G populations in all (default: %(default)s)")
    c.add_argument("--minutes", type=positive_number, default=defaults.CALIBRATION_MINUTES, metavar="M",
                   help="stop after M minutes of this call (default: %(default)s)")
    c.add_argument("--seed", type=whole_number(0), default=defaults.CALIBRATION_SEED, metavar="N",
                   help="seed of the sampler and of every particle's runs (default: %(default)s; not validate's 1)")
    c.add_argument("--exclude", action="append", default=[], metavar="GROUP",
                   help="leave this group's figures out (repeatable): a leave-one-out calibration")
    _workers_argument(c)
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="run particles on a Dask scheduler (tcp://host:8786), or 'local' for a LocalCluster of "
                        "--workers workers")
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
    """``qicsim validate``: the validation table; exit 0 when every calibration figure is met, 1 when one is not
    (or the results cannot be written), 2 on bad input. Validation figures missed are findings, not errors."""
    from qicsim.analysis import validation
    from qicsim.analysis.targets import TargetsError, load_targets
    from qicsim.cli import progress_bar
    from qicsim.sim.files import write_csv
    from qicsim.sim.posterior import resolve
    from qicsim.sim.scenario import ScenarioError

    try:
        targets = load_targets(args.targets)
        plans = validation.plan(targets, args.only or None)
        posterior = resolve(args.posterior)
    except (TargetsError, ScenarioError) as exc:
        error(str(exc))
        return EXIT_USAGE
    out_dir = None
    if args.out is not None:
        out_dir = output_directory(args.out)
        if out_dir is None:
            return EXIT_FAILURE
    jobs = [p.job() for p in plans]
    print(f"{targets.origin}: {len(plans)} group(s), {sum(len(p.group.targets) for p in plans)} figures; "
          f"{args.reps} replicates per group, base seed {args.seed} (replicate r runs with "
          f"derive_seed({args.seed}, r)); {validation.runs_needed(jobs, args.reps)} runs")
    print(f"inputs: {posterior.describe() if posterior is not None else 'the scenarios own values (no posterior)'}")
    print("each interval is the 2.5th-97.5th percentile of the replicates; a score is the interval score (width plus "
          "40 x the miss) over the figure's tolerance; lower is better; FAIL~: the mean misses the figure by less "
          "than two standard errors (sampling noise: more --reps would tell)")
    sys.stdout.flush()
    with progress_bar(validation.runs_needed(jobs, args.reps)) as bar:
        report = validation.validate(targets, args.reps, args.seed, args.workers, args.only or None,
                                     progress=bar.update, plans=plans, posterior=posterior)
    print()
    print(validation.format_table(report.table))
    messages = [f"{r.group} / {r.quantity}: {r.message}" for r in report.table.itertuples() if r.message]
    if messages or report.notes:
        print()
    for m in messages:
        print(f"note: {m}")
    for n in report.notes:
        print(f"note: {n}")
    print(f"\nnaive model: {report.naive}")
    print(validation.format_totals(report))
    if out_dir is not None:
        table = report.table.assign(reps=args.reps, seed=args.seed, posterior=report.posterior)
        try:
            path = write_csv(table, out_dir / "validation.csv")
            totals = write_csv(report.totals(), out_dir / "validation_totals.csv")
        except OSError as exc:
            error(f"--out {str(out_dir)!r}: cannot write validation.csv ({exc})")
            return EXIT_FAILURE
        print(f"wrote {path} and {totals}")
    return EXIT_OK if report.calibration_passed else EXIT_FAILURE


# ---- calibrate -------------------------------------------------------------------------------


def positive_number(text: str) -> float:
    """A command-line number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number above 0") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number above 0")
    return value


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``qicsim calibrate``: ABC-SMC of the shared inputs into DIR (resumable)."""
    from tqdm import tqdm

    from qicsim.analysis import calibration
    from qicsim.analysis.targets import TargetsError, load_targets
    from qicsim.sim.scenario import ScenarioError

    try:
        targets = load_targets(args.targets)
        calibration.check(targets, args.exclude)
        figures = calibration.calibration_figures(targets, args.exclude)
    except (TargetsError, ScenarioError, calibration.CalibrationError) as exc:
        error(str(exc))
        return EXIT_USAGE
    out = output_directory(args.out)
    if out is None:
        return EXIT_FAILURE
    import pyabc  # noqa: F401 - its import sets its loggers' level, which this then lowers

    logging.getLogger("ABC").setLevel(logging.WARNING)  # pyabc's per-population log; the bar says as much
    groups = sorted({f.group for f in figures}, key=list(targets.groups).index)
    print(f"calibrating {len(targets.calibration.free)} shared inputs ({', '.join(targets.calibration.free)}) on "
          f"{len(figures)} figures of {', '.join(groups)}"
          + (f" (left out: {', '.join(args.exclude)})" if args.exclude else "")
          + f"; {args.population} particles a population, at most {args.generations} populations or "
            f"{args.minutes:g} minutes; seed {args.seed}")
    sys.stdout.flush()
    bar = tqdm(total=args.generations, unit="population", file=sys.stderr, disable=None)

    def progress(row: dict) -> None:
        bar.n = row["generation"] + 1
        bar.set_postfix(epsilon=f"{row['epsilon']:.3g}", acceptance=f"{row['acceptance']:.2f}",
                        ess=f"{row['effective_sample_size']:.0f}")
        bar.refresh()

    try:
        run = calibration.calibrate(targets, out, args.population, args.generations, args.minutes, args.seed,
                                    args.workers, args.scheduler, args.exclude, progress)
    except (TargetsError, ScenarioError, calibration.CalibrationError) as exc:  # incl. an unreachable scheduler
        bar.close()
        error(str(exc))
        return EXIT_USAGE
    bar.close()
    print(f"\n{len(run.generations)} populations, {run.evaluations:,} particles simulated in {run.seconds / 60:.1f} "
          f"minutes (this call); effective sample size of the posterior "
          f"{run.posterior.effective_sample_size:.0f} of {len(run.posterior.table)}")
    print(run.identifiability[["parameter", "prior_low", "prior_high", "posterior_mean", "posterior_p2_5",
                               "posterior_p97_5", "sd_ratio", "identified"]].to_string(index=False,
                                                                                       float_format="{:.4g}".format))
    print(f"\nwrote {out / 'posterior.parquet'}, identifiability.csv, generations.csv, prior_posterior.png, pairs.png")
    return EXIT_OK
