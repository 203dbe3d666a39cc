"""``qicsim sweep`` and ``qicsim sensitivity``: parameter sweeps and sensitivity indices.

::

    qicsim sweep SPEC --out DIR [--workers N] [--scheduler ADDRESS|local] [--chunk-size N]
    qicsim sensitivity DIR [--key KEY ...]

A thin front end over :mod:`experiments`. ``sweep`` resumes an unfinished sweep of the same spec in
DIR and refuses a different one. Exit codes: 0 every run succeeded; 1 some runs failed (recorded in
DIR/failures) or a worker died (rerun to resume); 2 bad input (spec, directory, scheduler address);
130 interrupted (finished runs are stored). Registered on the main parser by :func:`add_commands`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qicsim.arguments import COMMANDS, EXIT_FAILURE, EXIT_OK, check_output_directory, error, whole_number

FAILURES_SHOWN = 5


def run_resumable(experiment: Any, out: Any, args: argparse.Namespace, chunk_size: int = 25) -> Any:
    """Run (or resume) a sweep into ``out`` with the messages every command that runs one gives (``args``:
    workers, scheduler, progress); the :class:`experiments.runner.SweepReport`, or an exit status when it
    could not finish (a worker died, the directory cannot be written: rerun to resume)."""
    from qicsim import experiments
    sys.stdout.flush()
    try:
        return experiments.run_sweep(
            experiment, out, workers=args.workers, scheduler=args.scheduler, chunk_size=chunk_size,
            progress=args.progress, log=lambda line: print(line, flush=True))
    except experiments.WorkerLost as exc:
        error(str(exc))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"stopped: the finished runs are stored in {out}; run the same command again to resume",
              file=sys.stderr)
        raise
    except OSError as exc:
        error(f"--out {str(out)!r}: cannot write the results ({exc})")
        return EXIT_FAILURE


def cmd_sweep(args: argparse.Namespace) -> int:
    """``qicsim sweep``: run (or resume) every run of a spec into DIR."""
    from qicsim import experiments
    from qicsim.experiments import storage

    check_output_directory(args.out)  # the sweep's store makes it
    experiment = experiments.load_experiment(args.spec)
    spec = experiment.spec
    print(f"experiment {spec.name}: {experiment.points} points ({spec.sampler.method}) x {spec.replications} "
          f"replicates = {experiment.total_runs} runs; varied: {', '.join(experiment.varied)}")
    report = run_resumable(experiment, args.out, args, args.chunk_size)
    if isinstance(report, int):
        return report
    rate = f" in {report.seconds:.1f} s ({report.ran / report.seconds:.2f} runs/s)" if report.ran else ""
    print(f"done: {report.done_before + report.ran} of {report.total} runs stored, {report.ran} run now{rate}; "
          f"results in {report.out_dir}/{storage.RUNS}/")
    if report.failed_total:
        failures = storage.load_table(report.out_dir, storage.FAILURES)
        print(f"{report.failed_total} run(s) failed; details with tracebacks in {report.out_dir}/{storage.FAILURES}/:")
        for row in failures.head(FAILURES_SHOWN).itertuples(index=False):
            params = ", ".join(f"{n}={getattr(row, n)!r}" for n in experiment.varied)
            print(f"  run {row.run_id} (point {row.point_id}, replicate {row.replicate}, seed {row.seed}; {params}): "
                  f"{row.error}")
        return EXIT_FAILURE
    return EXIT_OK


def _format_table(table: Any, columns: tuple[str, ...]) -> str:
    return table[list(columns)].to_string(float_format=lambda x: f"{x:.3f}")


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``qicsim sensitivity``: Sobol or Morris indices of a finished sweep, printed and charted."""
    from qicsim.experiments import sensitivity

    result = sensitivity.analyse(args.dir, args.key or None)
    how = ("first-order S1 and total ST Sobol indices" if result.method == "sobol"
           else "Morris mu* (mean |elementary effect|) and sigma")
    print(f"{result.spec.name}: {how}, 95% confidence intervals; {result.points} points, "
          f"output = mean over {result.replications} replicate(s) at each point")
    if result.failed_runs:
        print(f"note: {result.failed_runs} failed run(s) left out of the point means")
    columns = sensitivity.SOBOL_COLUMNS if result.method == "sobol" else sensitivity.MORRIS_COLUMNS[:3]
    for indices in result.indices:
        print(f"\n{indices.key}")
        if indices.table is None:
            print(f"  skipped: {indices.skipped}")
            continue
        print(_format_table(indices.table, columns))
        warning = sensitivity.precision_warning(result.method, indices.table, result.spec.sampler.samples)
        if warning:
            print(f"  note: {warning}")
        if indices.second_order is not None:
            print("second-order indices (S2, pairs of parameters):")
            print(indices.second_order.to_string(float_format=lambda x: f"{x:.3f}"))
    written = sensitivity.write_outputs(args.dir, result)
    if written:
        print(f"\nwrote {', '.join(p.name for p in written)} to {args.dir}")
    return EXIT_OK


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """``--workers``, ``--scheduler`` and ``--progress``: where and how visibly a command's sweep runs
    (:func:`run_resumable` reads them)."""
    parser.add_argument("--workers", type=whole_number(1), default=1, metavar="N",
                        help="local worker processes (default: %(default)s, in this process); with "
                             "--scheduler local, the number of Dask workers")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on Dask: a scheduler address such as tcp://10.0.0.5:8786, or 'local' for a "
                             "LocalCluster of --workers processes on this machine")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar on stderr (default: when stderr is a terminal)")


def add_commands(subparsers: Any) -> None:
    """Register ``sweep`` and ``sensitivity`` on the ``qicsim`` command's subparsers."""
    sweep = subparsers.add_parser(
        "sweep", help=COMMANDS["sweep"][1],
        description="Run every run of an experiment spec (YAML) and store the results in DIR as a chunked Parquet "
                    "dataset. Run r of point p uses seed derive_seed(spec seed, p, r) (with common_random_numbers: "
                    "true, derive_seed(spec seed, r) for every point), so results do not depend on "
                    "the backend or the number of workers. If DIR holds an unfinished sweep of the same spec, it is "
                    "resumed; a different spec there is refused. Exit status 1 when any run failed.",
    )
    sweep.add_argument("spec", metavar="SPEC",
                       help="an experiment spec file, or the name of a shipped example (sobol-levers, "
                            "dropout-leader-support, what-if-designs)")
    sweep.add_argument("--out", required=True, metavar="DIR", help="the sweep directory (created if needed)")
    add_backend_arguments(sweep)
    sweep.add_argument("--chunk-size", type=whole_number(1), default=25, metavar="N",
                       help="runs per stored chunk (default: %(default)s; a chunk is also written every minute)")
    sweep.set_defaults(func=cmd_sweep)

    sens = subparsers.add_parser(
        "sensitivity", help=COMMANDS["sensitivity"][1],
        description="Print the sensitivity indices (Sobol: S1, ST with 95% intervals; Morris: mu*, sigma) of a "
                    "finished sweep sampled with sobol or morris, for each output key, computed with SALib on the "
                    "mean over replicates at each point; write DIR/sensitivity_<key>.png and DIR/sensitivity.csv.",
    )
    sens.add_argument("dir", metavar="DIR", help="a sweep directory written by `qicsim sweep`")
    sens.add_argument("--key", action="append", default=[], metavar="KEY",
                      help="an output (summary) key to analyse (repeatable; default: the spec's summary keys, or "
                           "the headline outcomes)")
    sens.set_defaults(func=cmd_sensitivity)
