"""Argument types, messages and the table of commands shared by every ``qicsim`` subcommand.

Light on purpose: ``qicsim --help`` imports this module and nothing of the model (see :data:`COMMANDS`).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from qicsim.scenarios import DEFAULT as DEFAULT_SCENARIO

PROG = "qicsim"
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
"""Exit statuses of every subcommand: done; done, but something failed (a run, a target); bad input
(message, no traceback); stopped with Ctrl-C."""

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("qicsim.cli", "run a scenario and print its summary"),
    "scenarios": ("qicsim.cli", "list the built-in scenarios"),
    "show": ("qicsim.cli", "show a scenario's parameters"),
    "sweep": ("qicsim.cli_experiments", "run a parameter sweep from an experiment spec (resumable)"),
    "sensitivity": ("qicsim.cli_experiments", "Sobol or Morris indices of a finished sweep"),
    "cea": ("qicsim.cli_cea", "cost-effectiveness against the traditional team and no intervention"),
    "design": ("qicsim.cli_design", "search combinations of collaborative components for the best within a budget"),
    "validate": ("qicsim.cli_validate", "predict published figures, calibration and validation, beside a naive model"),
    "calibrate": ("qicsim.cli_validate", "fit the shared behavioural inputs to every calibration figure (ABC-SMC)"),
    "report": ("qicsim.cli_report", "write one self-contained HTML report of a run, sweep or cea folder"),
    "app": ("qicsim.cli_app", "serve the workshop dashboard and budget game in a web browser"),
}
"""Every subcommand: the module that defines it (its ``add_commands``) and the one line ``qicsim --help`` shows.
A command's module, and what it imports, is loaded only when that command runs (or shows its help)."""


def _scenario_error(message: str) -> Exception:
    """The model's bad-input error (imported on use, so that building the parser stays light)."""
    from qicsim.sim.scenario import ScenarioError

    return ScenarioError(message)


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` that accepts whole numbers of at least ``minimum``.

    argparse prefixes the message with the option, e.g. ``argument --reps: must be at least 1, got 0``.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def finite_number(minimum: float, above: bool = False, what: str = "a number") -> Callable[[str], float]:
    """An argparse ``type`` for a finite number of at least ``minimum`` (more than it when ``above``);
    NaN and infinity are refused, and the text quoted back is shortened."""

    def parse(text: str) -> float:
        try:
            value = float(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text[:40]!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text[:40]!r}")
        if value < minimum or (above and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'more than' if above else 'at least'} {minimum:g}, "
                                             f"got {text[:40]!r}")
        return value

    return parse


def add_scenario_argument(parser: argparse.ArgumentParser) -> None:
    """The optional SCENARIO argument and the repeatable ``--set NAME=VALUE``."""
    parser.add_argument(
        "scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
        help=f"a built-in scenario name (see `{PROG} scenarios`) or a path to a scenario YAML file "
             f"(default: %(default)s)",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="override one parameter, e.g. --set didactic_share=0.8 (repeatable; the value is read as YAML)",
    )


def error(message: str) -> None:
    """Report bad input the way argparse does, without a traceback."""
    print(f"{PROG}: error: {message}", file=sys.stderr)


def check_output_directory(text: str, option: str = "--out") -> Path:
    """The directory an ``--out`` option names, checked: bad input (:class:`sim.ScenarioError`, exit 2) if the
    name is empty (it would be the current directory) or names something that is not a directory."""
    if not text.strip():
        raise _scenario_error(f"{option} {text!r}: an empty name (allowed: a directory path, e.g. {option} "
                                "results)")
    path = Path(text)
    if (path.is_symlink() or path.exists()) and not path.is_dir():
        raise _scenario_error(f"{option} {text!r}: exists and is not a directory (allowed: a directory, or a path "
                                "to create one)")
    return path


def output_directory(text: str, option: str = "--out") -> Path | None:
    """The directory an ``--out`` option names (:func:`check_output_directory`), created if needed; None (after
    saying why) if it cannot be."""
    path = check_output_directory(text, option)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        error(f"{option} {text!r}: cannot create the directory ({exc.strerror or exc})")
        return None
    return path


def output_file(text: str, option: str) -> Path:
    """The file an option such as ``--network-out`` names, checked before any work: bad input
    (:class:`sim.ScenarioError`, exit 2) if it is empty, or names a directory, a link, a device or a pipe
    (qicsim writes new files, or replaces regular ones whole)."""
    from qicsim.sim.files import not_replaceable

    path = Path(text)
    if not text.strip():
        raise _scenario_error(f"{option} {text!r}: an empty name (allowed: a file path)")
    kind = not_replaceable(path)
    if kind:
        raise _scenario_error(f"{option} {text!r}: {kind} (allowed: a new file, or a regular file to replace)")
    return path


def posterior_argument(parser: argparse.ArgumentParser) -> None:
    """``--posterior FILE|default|none``: the shared inputs each replicate draws (default: the built-in one)."""
    parser.add_argument("--posterior", default="default", metavar="FILE",
                        help="a posterior sample of the shared inputs (`qicsim calibrate`): each replicate takes one "
                             "draw, so intervals hold the inputs' uncertainty too; 'default' (the built-in one, fitted "
                             "to the built-in calibration figures) or 'none' (the scenario's own values) "
                             "(default: %(default)s)")


def describe_inputs(posterior: Any, scenario: Any, overrides: Collection[str] = ()) -> str:
    """Which values of the calibrated inputs the runs take: one posterior draw per replicate (except inputs the
    user or the scenario set, which win), or the scenario's own."""
    if posterior is None:
        return "the scenario's own values (no posterior)"
    kept = posterior.kept(scenario, overrides)
    return f"one draw per replicate from the {posterior.describe()}" + (
        f"; kept as set: {', '.join(kept)}" if kept else "")
