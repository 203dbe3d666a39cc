"""The ``qicsim`` command line: run a scenario, list the built-in scenarios, show parameters.

::

    qicsim run [SCENARIO] [--seed N] [--reps R] [--set name=value ...] [--out DIR]
    qicsim scenarios
    qicsim show [SCENARIO] [--verbose]

This module is a thin front end over the ``sim`` package's Python API (``sim.load_scenario``,
``sim.run``); it adds replication with derived seeds, a summary table, and atomic result files
(see :mod:`sim.files`).

Exit codes: 0 success; 1 the result files could not be written, a built-in scenario failed to load
(``qicsim scenarios``: its file could not be read) or stdout was closed early; 2 bad input (usage, unknown scenario or
parameter, a value out of range, an unreadable file); 130 interrupted. Bad input is reported as
``qicsim: error: <message>`` without a traceback; an unexpected failure inside the model keeps its
traceback (with a note naming the replicate and seed), because that is a bug to report.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import math
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qicsim.arguments import (
    COMMANDS,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    add_scenario_argument,
    describe_inputs,
    error,
    output_directory,
    output_file,
    posterior_argument,
    whole_number,
)

if TYPE_CHECKING:  # the model, pandas and tqdm are imported by the commands that use them
    import pandas as pd
    from tqdm import tqdm

    from qicsim import sim

MAX_WIDTH = 120
"""Widest line the listings are wrapped to (narrower when the terminal is narrower)."""

OUTPUT_FILES = ("summary.csv", "team_outcomes.csv", "teams.parquet", "series.csv", "adoption.csv", "scenario.yaml")
"""Files ``qicsim run --out DIR`` writes, in the order they are written."""



# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def package_version() -> str:
    """The installed version of qicsim, or ``"unknown"`` when run from an uninstalled checkout."""
    from qicsim.experiments import provenance

    return provenance.package_version("qicsim") or "unknown"


def _width() -> int:
    """Line width for wrapped text: the terminal's, but at most :data:`MAX_WIDTH` and at least 60."""
    return max(60, min(MAX_WIDTH, shutil.get_terminal_size((MAX_WIDTH, 24)).columns))


def _wrap(text: str, width: int, indent: str, first_indent: str | None = None) -> str:
    """Wrap ``text`` (whitespace collapsed) with a hanging indent."""
    return textwrap.fill(
        " ".join(text.split()),
        width=width,
        initial_indent=indent if first_indent is None else first_indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(`])")


def first_sentence(text: str) -> str:
    """The first sentence of ``text``: up to a full stop (or ! ?) followed by a capitalised word."""
    text = " ".join(text.split())
    return _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""


def format_outcome(key: str, value: float) -> str:
    """Format one summary number for the table: money with thousands separators and no decimals,
    months with one decimal, counts as whole numbers, everything else (shares, rates, indices)
    with three decimals; NaN as ``n/a``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    value = float(value)
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if key.startswith("cost") or key.endswith("_cost") or "_cost_" in key:
        return f"{value:,.0f}"
    if key.startswith("months_") or key.endswith("_months") or "_months_" in key:
        return f"{value:,.1f}"
    if key == "teams" or key.startswith("n_"):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    return f"{value:,.3f}"


def format_parameter(value: Any) -> str:
    """A parameter value as it would be typed in ``--set`` or YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        import yaml

        try:
            plain = value.strip() == value and value != "" and yaml.safe_load(value) == value
        except yaml.YAMLError:
            plain = False
        return value if plain else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


# ---------------------------------------------------------------------------------------------
# qicsim run
# ---------------------------------------------------------------------------------------------


def parse_overrides(assignments: Sequence[str]) -> dict[str, Any]:
    """``--set`` arguments as a dict (a name given twice: the last value wins)."""
    from qicsim.sim.scenario import parse_assignment

    overrides: dict[str, Any] = {}
    for text in assignments:
        name, value = parse_assignment(text)
        overrides[name] = value
    return overrides


def effective_scenario(name_or_path: str, assignments: Sequence[str]) -> tuple[sim.Scenario, dict[str, Any]]:
    """The scenario to run and the overrides applied to it; raises :class:`sim.ScenarioError`."""
    from qicsim import sim

    try:
        overrides = parse_overrides(assignments)
        scenario = sim.load_scenario(name_or_path)
        return (scenario.with_overrides(**overrides) if overrides else scenario), overrides
    except sim.ScenarioError:
        raise
    except ValueError as exc:  # anything else the loader refuses is still bad input
        raise sim.ScenarioError(str(exc)) from None


def _describe_overrides(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={format_parameter(v)}" for k, v in overrides.items()) or "none"


def summary_keys(summaries: Sequence[dict[str, float]]) -> list[str]:
    """``sim.SUMMARY_KEYS`` first, then every other key in the order the runs report them."""
    from qicsim.sim import SUMMARY_KEYS

    keys = list(SUMMARY_KEYS)
    for summary in summaries:
        keys.extend(k for k in summary if k not in keys)
    return keys


def summary_frame(scenario: sim.Scenario, seeds: Sequence[int], summaries: Sequence[dict[str, float]]) -> pd.DataFrame:
    """One row per replicate: replicate, seed, scenario, then every summary key."""
    import pandas as pd

    keys = summary_keys(summaries)
    rows = [
        {"replicate": r, "seed": seed, "scenario": scenario.name, **{k: s.get(k, math.nan) for k in keys}}
        for r, (seed, s) in enumerate(zip(seeds, summaries, strict=True))
    ]
    return pd.DataFrame(rows, columns=["replicate", "seed", "scenario", *keys])


def _with_replicate(frame: pd.DataFrame, replicate: int, seed: int) -> pd.DataFrame:
    """``frame`` with ``replicate`` and ``seed`` columns prepended."""
    frame = frame.reset_index(drop=True).copy()
    frame.insert(0, "seed", seed)
    frame.insert(0, "replicate", replicate)
    return frame


def format_summary_table(summary: pd.DataFrame, keys: Sequence[str]) -> str:
    """The summary table: one row per key; the value (one replicate) or the mean and 95% interval."""
    from qicsim.sim import SUMMARY_KEYS
    from qicsim.sim.outcomes import replicate_interval

    reps = len(summary)
    headers = ["outcome", "value"] if reps == 1 else ["outcome", "mean", "2.5%", "97.5%"]
    rows: list[list[str]] = []
    notes: list[str] = []
    for key in keys:
        values = summary[key].to_numpy(dtype=float)
        if reps == 1:
            rows.append([key, format_outcome(key, values[0])])
            continue
        mean, low, high, n = replicate_interval(values)
        rows.append([key, *(format_outcome(key, x) for x in (mean, low, high))])
        missing = reps - n
        if 0 < missing < reps:
            notes.append(f"{key}: n/a in {missing} of {reps} replicates; mean and interval use the others")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    n_headline = sum(1 for k in keys if k in SUMMARY_KEYS)
    out = [line(headers), line(["-" * w for w in widths])]
    for i, row in enumerate(rows):
        if i == n_headline:
            out.append("")
        out.append(line(row))
    out.extend(f"note: {n}" for n in notes)
    return "\n".join(out)


def progress_bar(total: int, unit: str = "run") -> tqdm:
    """A tqdm bar on stderr (runs done, rate, time left), shown only to a person at a terminal, so
    that stdout keeps only the results and logs stay clean."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True,
                disable=total < 2 or not sys.stderr.isatty())


def posterior_choice(choice: str, loaded: Any) -> str:
    """How a run's ``--posterior`` is recorded: ``default``, ``none`` (also when nothing was loaded), or the file's
    full path."""
    if loaded is None:
        return "none"
    return choice if choice in ("default", "none") else str(Path(choice).resolve())


def scenario_yaml(scenario: sim.Scenario, source: str, overrides: dict[str, Any], seed: int, reps: int,
                  posterior: tuple[str, Any] = ("none", None)) -> str:
    """The effective scenario as a file that ``sim.load_scenario(path)`` reads back unchanged; its comment says
    how it ran, including the ``--posterior`` (``posterior``: what was asked for and what it loaded)."""
    choice, loaded = posterior
    choice = posterior_choice(choice, loaded)
    comment = (
        f"# Effective scenario of a qicsim {package_version()} run: scenario {source!r}, "
        f"overrides: {_describe_overrides(overrides)}; base seed {seed}, {reps} replicate(s).\n"
        "# Every parameter is listed; run it again with `qicsim run path/to/this/scenario.yaml` and the same "
        "--posterior.\n"
        f"# posterior: {choice}\n"
    )
    if loaded is not None:
        comment += (f"# Calibrated inputs: {describe_inputs(loaded, scenario, overrides)}; each replicate's values "
                    f"are the input_* columns of summary.csv.\n")
    return comment + scenario.to_yaml()


def cmd_run(args: argparse.Namespace) -> int:
    """``qicsim run``: replicate a scenario, print the summary table, optionally write files."""
    import networkx as nx
    import pandas as pd

    from qicsim import sim
    from qicsim.sim.files import atomic_open, write_csv, write_parquet, write_text
    from qicsim.sim.network import unit_graph
    from qicsim.sim.posterior import resolve

    scenario, overrides = effective_scenario(args.scenario, args.set)
    posterior = resolve(args.posterior)
    if args.network_out is not None:
        output_file(args.network_out, "--network-out")
    out_dir: Path | None = None
    if args.out is not None:
        out_dir = output_directory(args.out)
        if out_dir is None:
            return EXIT_FAILURE

    reps, base_seed = args.reps, args.seed
    seeds = [sim.derive_seed(base_seed, r) for r in range(reps)]
    if reps == 1:
        seed_text = f"1 replicate, seed {base_seed} (run seed {seeds[0]} = derive_seed({base_seed}, 0))"
    else:
        seed_text = f"{reps} replicates, base seed {base_seed} (replicate r runs with derive_seed({base_seed}, r))"
    print(f"scenario {scenario.name}: {seed_text}; overrides: {_describe_overrides(overrides)}")
    print(f"calibrated inputs: {describe_inputs(posterior, scenario, overrides)}")
    if reps > 1:
        print(f"mean and 95% interval (2.5th-97.5th percentile of the {reps} replicate values)")
    sys.stdout.flush()

    summaries: list[dict[str, float]] = []
    drawn: list[dict[str, Any]] = []
    tables: dict[str, list[pd.DataFrame]] = {"teams": [], "team_outcomes": [], "series": [], "adoption": []}
    network = None
    with progress_bar(reps) as progress:
        for r, seed in enumerate(seeds):
            replicate = posterior.apply(scenario, seed, keep=overrides) if posterior is not None else scenario
            if posterior is not None:
                drawn.append({name: getattr(replicate, name) for name in posterior.parameters})
            try:
                model = sim.simulate(replicate, seed=seed)
                result = sim.results(model, seed)
            except Exception as exc:
                exc.add_note(f"qicsim: while running replicate {r} (seed {seed}) of scenario {scenario.name!r}")
                raise
            summaries.append(dict(result.summary))
            if r == 0 and args.network_out is not None:
                network = unit_graph(model.units, model.unit_states, model.organisation_graph.labels,
                                     [t.team_id for t in model.teams], model.ties)
            if out_dir is not None:
                for name, frames in tables.items():
                    frames.append(_with_replicate(getattr(result, name), r, seed))
            progress.update()

    summary = summary_frame(scenario, seeds, summaries)
    if drawn:  # each replicate's values of the calibrated inputs, after the outcomes
        summary = pd.concat([summary, pd.DataFrame(drawn).add_prefix("input_")], axis=1)
    print()
    print(format_summary_table(summary, summary_keys(summaries)))
    if any(k.startswith("cost") or "_cost" in k for k in summary.columns):
        print(f"\ncosts in {scenario.currency} at {scenario.price_year} prices")

    if out_dir is not None:
        try:
            write_csv(summary, out_dir / "summary.csv")
            write_csv(pd.concat(tables["team_outcomes"], ignore_index=True), out_dir / "team_outcomes.csv")
            write_parquet(pd.concat(tables["teams"], ignore_index=True), out_dir / "teams.parquet")
            write_csv(pd.concat(tables["series"], ignore_index=True), out_dir / "series.csv")
            write_csv(pd.concat(tables["adoption"], ignore_index=True), out_dir / "adoption.csv")
            write_text(scenario_yaml(scenario, args.scenario, overrides, base_seed, reps, (args.posterior, posterior)),
                       out_dir / "scenario.yaml")
        except OSError as exc:
            error(f"--out {str(out_dir)!r}: cannot write the results ({exc})")
            return EXIT_FAILURE
        print(f"\nwrote {', '.join(OUTPUT_FILES)} to {out_dir}")
    if network is not None:
        # Graph-level provenance: what made this network (the description of the attributes is unit_graph's).
        choice = posterior_choice(args.posterior, posterior)
        network.graph.update({"scenario": scenario.name, "overrides": _describe_overrides(overrides),
                              "replicate": 0, "seed": seeds[0], "base_seed": base_seed,
                              "seed_rule": f"seed = derive_seed(base_seed, replicate) = derive_seed({base_seed}, 0)",
                              "posterior": choice, "qicsim_version": package_version()})
        try:
            with atomic_open(Path(args.network_out), "wb") as handle:
                nx.write_graphml(network, handle)
        except OSError as exc:
            error(f"--network-out {args.network_out!r}: cannot write the network ({exc})")
            return EXIT_FAILURE
        print(f"wrote the network of replicate 0 ({network.number_of_nodes():,} units, "
              f"{network.number_of_edges():,} ties; adoption months as node attributes, absent = never) "
              f"to {args.network_out}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# qicsim scenarios
# ---------------------------------------------------------------------------------------------


def scenario_description(name: str) -> str:
    """A built-in scenario's description, read from its file (or its ``base``'s) without building the model, so
    that listing the scenarios is quick; raises :class:`~qicsim.sim.yaml_input.YamlInputError` if a file cannot
    be read. (Whether every built-in scenario loads is the test suite's job: tests/test_scenario.py.)"""
    from qicsim import scenarios
    from qicsim.sim.yaml_input import YamlInputError, read_yaml

    seen: set[str] = set()
    while name not in seen and (resource := scenarios.resource(name)) is not None:
        seen.add(name)
        data = read_yaml(resource.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise YamlInputError("not a mapping of parameter names to values")
        if data.get("description"):
            return str(data["description"])
        name = str(data.get("base", ""))
    return ""


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``qicsim scenarios``: each built-in scenario with the first sentence of its description."""
    from qicsim import scenarios
    from qicsim.sim.yaml_input import YamlInputError

    names = scenarios.names()
    if not names:
        print("no built-in scenarios found")
        return EXIT_OK
    width = _width()
    name_width = max(len(n) for n in names)
    indent = " " * (name_width + 4)
    failed = False
    for name in names:
        try:
            text = first_sentence(scenario_description(name)) or "(no description)"
        except (OSError, UnicodeDecodeError, YamlInputError) as exc:
            text, failed = f"[cannot read: {exc}]", True
        print(_wrap(text, width, indent, first_indent=f"  {name.ljust(name_width)}  "))
    print(f"\n`{PROG} show NAME` lists a scenario's parameters; `{PROG} run NAME` runs it.")
    return EXIT_FAILURE if failed else EXIT_OK


# ---------------------------------------------------------------------------------------------
# qicsim show
# ---------------------------------------------------------------------------------------------


def format_parameters(scenario: sim.Scenario, verbose: bool = False, width: int = MAX_WIDTH) -> str:
    """Every parameter grouped by section: name, value, unit, default if changed, then the source."""
    from qicsim import sim
    from qicsim.sim.parameters import SECTIONS

    values = scenario.parameters()
    infos = {name: sim.parameter_info(name) for name in sim.PARAMETER_NAMES}
    shown = {name: format_parameter(values[name]) for name in sim.PARAMETER_NAMES}
    name_w = max(len(n) for n in sim.PARAMETER_NAMES)
    value_w = min(32, max(len(v) for v in shown.values()))
    unit_w = min(24, max(len(str(i.get("unit", ""))) for i in infos.values()))
    detail_indent = " " * 8

    groups: dict[str, list[str]] = {section: [] for section in SECTIONS}
    for name in sim.PARAMETER_NAMES:
        groups.setdefault(str(infos[name].get("section", "other")), []).append(name)

    lines = ["* = differs from the schema default (the default follows in brackets)"]
    for section, names in groups.items():
        if not names:
            continue
        lines.append("")
        lines.append(_wrap(f"{section}: {SECTIONS.get(section, '')}".rstrip(": "), width, "    ", first_indent=""))
        for name in names:
            info = infos[name]
            changed = values[name] != info["default"]
            row = (
                f"  {'*' if changed else ' '} {name.ljust(name_w)}  {shown[name].ljust(value_w)}  "
                f"{str(info.get('unit', '')).ljust(unit_w)}"
            )
            if changed:
                row += f"  [default {format_parameter(info['default'])}]"
            lines.append(row.rstrip())
            if verbose:
                lines.append(_wrap(f"{info.get('doc') or ''}; allowed: {info['allowed']}", width, detail_indent))
                lines.append(_wrap(_provenance(info), width, detail_indent + "  ", first_indent=detail_indent))
            lines.append(_wrap(f"source: {info.get('source', 'not given')}", width, detail_indent + "  ",
                               first_indent=detail_indent))
    return "\n".join(lines)


def _provenance(info: dict[str, Any]) -> str:
    """Where a parameter lives and what range it plausibly takes (its prior for calibration)."""
    prior = info.get("prior")
    scale = " (log scale)" if info.get("log_prior") else ""
    plausible = f"plausible range: {prior[0]:g} to {prior[1]:g}{scale}; " if prior else ""
    read_by = ", ".join(module for module in info.get("read_by", ()) if module != info.get("module"))
    also = f"; also read by: {read_by}" if read_by else ""
    return f"{plausible}{info.get('kind', 'behaviour')}; module: {info.get('module', '?')}{also}"


def cmd_show(args: argparse.Namespace) -> int:
    """``qicsim show``: the scenario's name, description and every parameter by section."""
    scenario, overrides = effective_scenario(args.scenario, args.set)
    width = _width()
    print(f"scenario {scenario.name}" + (f" with overrides: {_describe_overrides(overrides)}" if overrides else ""))
    if scenario.description:
        print(_wrap(scenario.description, width, "  "))
    print()
    print(format_parameters(scenario, verbose=args.verbose, width=width))
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# parser and entry point
# ---------------------------------------------------------------------------------------------


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog, max_help_position=28)


class _Version(argparse.Action):
    """``--version``: looks the version up only when asked (the metadata lookup is not free)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the program's version and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{PROG} {package_version()}")
        parser.exit()


def add_commands(subparsers: Any) -> None:
    """Register ``run``, ``scenarios`` and ``show`` (the commands this module runs)."""
    run = subparsers.add_parser(
        "run", help=COMMANDS["run"][1],
        description="Run a scenario for one or more replicates and print a summary of the outcomes. "
                    "Replicate r (0-based) runs with seed derive_seed(SEED, r) and, unless --posterior none, the "
                    "calibrated inputs of the posterior draw that seed picks (inputs given with --set are kept).",
    )
    add_scenario_argument(run)
    run.add_argument("--seed", type=whole_number(0), default=1, metavar="N",
                     help="base seed, a whole number >= 0 (default: %(default)s)")
    run.add_argument("--reps", type=whole_number(1), default=1, metavar="R",
                     help="number of replicates, >= 1 (default: %(default)s)")
    run.add_argument("--out", metavar="DIR",
                     help="write summary.csv, team_outcomes.csv, teams.parquet, series.csv, adoption.csv and "
                          "scenario.yaml to DIR (created if needed; each file is replaced atomically)")
    run.add_argument("--network-out", metavar="FILE",
                     help="write replicate 0's network of units as GraphML to FILE: organisation and team_id (the "
                          "ids of team_outcomes.csv), and the months each unit was exposed and adopted (left out "
                          "when never); graph attributes: scenario, seeds, posterior, qicsim version")
    posterior_argument(run)
    run.set_defaults(func=cmd_run)

    listing = subparsers.add_parser(
        "scenarios", help=COMMANDS["scenarios"][1],
        description="List the built-in scenarios with the first sentence of each description.",
    )
    listing.set_defaults(func=cmd_scenarios)

    show = subparsers.add_parser("show", help=COMMANDS["show"][1],
                                 description="Show every parameter of a scenario by section, with unit and source; "
                                             "values that differ from the schema default are marked with *.")
    add_scenario_argument(show)
    show.add_argument("-v", "--verbose", action="store_true", help="also show each parameter's meaning and range")
    show.set_defaults(func=cmd_show)


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` asks for: its first word that is not an option (the main parser's only options,
    --help and --version, take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``qicsim`` command.

    With ``argv``, only the command it asks for is built in full (its module imported); every other command is
    a one-line entry for ``--help``, so that ``qicsim --help`` and ``qicsim scenarios`` start in a fraction of a
    second. Without ``argv``, every command is built."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=_formatter,
        description="Agent-based simulation of healthcare quality improvement collaboratives.",
        epilog=f"Run `{PROG} COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    if argv is None:
        wanted = {module for module, _ in COMMANDS.values()}
    else:
        chosen = _chosen_command(argv)
        wanted = {COMMANDS[chosen][0]} if chosen in COMMANDS else set()
    built: set[str] = set()
    for name, (module, line) in COMMANDS.items():
        if module not in wanted:
            commands.add_parser(name, help=line, add_help=False)
        elif module not in built:
            importlib.import_module(module).add_commands(commands)
            built.add(module)
    return parser


def _exit_code(code: object) -> int:
    """An integer exit code from ``SystemExit.code`` (None = 0; a message = 1, as Python does)."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else 1


SIMULATING = {"run", "sweep", "cea", "validate", "calibrate", "report", "app"}
"""Commands that run the model (and so compile its loops on the first run of a version)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``qicsim`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (argparse has printed them)
        return _exit_code(exc.code)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command in SIMULATING:
        from qicsim.sim import _cache

        if not _cache.compiled():
            print("qicsim: compiling the model's kernels for this version (about 10 seconds, once)", file=sys.stderr)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `qicsim show | head`): stop quietly, as other CLI tools do.
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as exc:
        scenario_module = sys.modules.get("qicsim.sim.scenario")  # loaded whenever a ScenarioError was raised
        if scenario_module is None or not isinstance(exc, scenario_module.ScenarioError):
            raise
        error(str(exc))
        return EXIT_USAGE


def console() -> None:
    """The ``qicsim`` program (the installed script and ``python -m qicsim``): :func:`main` with figures drawn by
    matplotlib's Agg, since they go to files -- no window, whatever the user's default. Only the program sets a
    backend: :func:`main` called from a notebook or script leaves the caller's alone."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    console()
