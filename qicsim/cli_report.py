"""``qicsim report``: one self-contained HTML report of a run, sweep or cost-effectiveness folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from qicsim.analysis.defaults import EFFECTS_SEEDS, EFFECTS_TEAMS
from qicsim.arguments import COMMANDS, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, error, output_file, whole_number


def add_commands(subparsers) -> None:
    """Register ``report`` on the ``qicsim`` command's subparsers."""
    report = subparsers.add_parser(
        "report", help=COMMANDS["report"][1],
        description="Turn a run folder (qicsim run --out DIR), a sweep folder (qicsim sweep, with manifest.json) or "
                    "a cost-effectiveness folder (qicsim cea --out DIR) into one HTML file that opens offline: "
                    "summary with 95% intervals and each outcome's distribution over the replicates, the verdicts, "
                    "cost-effectiveness plane and acceptability curves of a cea folder, figures embedded as PNG, "
                    "the scenario, seeds, versions and the command to reproduce, and 'What changes when...': the "
                    "paper's qualitative claims as a small paired-seed sweep.",
    )
    report.add_argument("folder", metavar="DIR", help="a run, sweep or cost-effectiveness (qicsim cea) folder")
    report.add_argument("--out", metavar="FILE", help="where to write the report (default: DIR/report.html)")
    report.add_argument("--no-effects", action="store_true",
                        help="skip the paired-seed sweep of the paper's claims (300 runs, under a minute)")
    report.add_argument("--effects-seeds", type=whole_number(2), default=EFFECTS_SEEDS, metavar="N",
                        help="paired seeds per claim in that sweep, at least 2 (default: %(default)s)")
    report.add_argument("--effects-teams", type=whole_number(1), default=EFFECTS_TEAMS, metavar="N",
                        help="teams per run in that sweep (default: %(default)s)")
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report; exit status 2 when DIR is not a run, sweep or cea folder, 1 when it cannot be written."""
    from qicsim.analysis.effects import CLAIMS, count_runs
    from qicsim.analysis.report import ReportError, write_report
    from qicsim.cli import progress_bar

    output_file(args.out if args.out is not None else str(Path(args.folder) / "report.html"), "--out")  # bad input
    effects = not args.no_effects
    total = count_runs(CLAIMS, args.effects_seeds, args.effects_teams) if effects else 0
    try:
        with progress_bar(total) as progress:
            path = write_report(args.folder, args.out, effects=effects, seeds=args.effects_seeds,
                                teams=args.effects_teams, progress=progress.update)
    except ReportError as exc:
        error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        target = args.out or str(Path(args.folder) / "report.html")
        error(f"cannot write the report to {target!r} ({exc.strerror or exc})")
        return EXIT_FAILURE
    print(f"wrote {path} ({path.stat().st_size / 1024:,.0f} KB)")
    return EXIT_OK
