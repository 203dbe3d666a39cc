"""One self-contained HTML report of a run folder (``qicsim run --out``), a sweep (``qicsim sweep``) or a
cost-effectiveness folder (``qicsim cea --out``).

The report is a single file that opens offline and can be mailed or archived with a paper: the
figures are embedded as base64 PNG, there are no scripts, web fonts or external links, and it
carries what is needed to reproduce every number in it (the effective scenario, the seeds, the
command, the versions of qicsim and its libraries). The section "What changes when..." runs the
paper's qualitative claims as a small paired-seed sweep (:mod:`analysis.effects`) so that a reader
sees, next to the results, whether the model shows the paper's mechanisms.
"""

from __future__ import annotations

import base64
import html
import math
import platform
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from qicsim import sim
from qicsim.analysis import figures
from qicsim.analysis.cea import ARM_LABELS, ARMS, acceptability, compare
from qicsim.analysis.effects import CLAIMS, EFFECTS_SEED, EFFECTS_SEEDS, EFFECTS_TEAMS, effect_seeds, run_effects
from qicsim.analysis.labels import label
from qicsim.analysis.plots import acceptability_curve, ce_plane
from qicsim.experiments import provenance
from qicsim.sim.calendar import Calendar
from qicsim.sim.files import write_text
from qicsim.sim.outcomes import replicate_interval
from qicsim.sim.yaml_input import shorten

__all__ = ["CLAIMS", "ReportError", "build_report", "folder_kind", "write_report"]

RUN_FILES = ("summary.csv", "team_outcomes.csv", "teams.parquet", "scenario.yaml")
"""What ``qicsim run --out DIR`` writes (and a run report reads); optional: adoption.csv, network.graphml."""

SWEEP_MARKER = "manifest.json"
CEA_MARKER = "cea_replicates.csv"
"""What ``qicsim cea --out DIR`` writes (with ce_plane.png, ceac.png and the provenance file :data:`CEA_PROVENANCE`)."""
CEA_PROVENANCE = "cea.yaml"
VERSION_PACKAGES = ("qicsim", "mesa", "numpy", "pandas", "networkx", "matplotlib")
MAX_POINT_ROWS = 60
"""Longest table of outcome means by point shown in a sweep report (the rest: the runs table)."""

FIGURES = {
    "trajectories": "Performance trajectories: mean measured and true performance by month with percentile bands",
    "ihi": "IHI score distribution by month: share of teams at each score",
    "dropout": "Kaplan-Meier drop-out curves by team-leader change, with the number at risk",
    "sustain": "Sustain curve: share of teams still significantly improved after the end",
    "adoption": "Adoption curve: spread beyond the participants by month",
    "network": "Spread network: units coloured by the month they adopted",
    "effects": "What changes when: paired-seed effects of the paper's levers",
    "ce_plane": "Cost-effectiveness plane: incremental cost against incremental QALYs, one point per replicate",
    "ceac": "Cost-effectiveness acceptability curves: probability each design is most cost-effective by WTP",
}
"""Figure name -> the ``alt`` text of its ``<img>`` (tests look for these)."""


class ReportError(ValueError):
    """The folder cannot be reported on (not a run or sweep folder, unreadable files)."""


# ---------------------------------------------------------------------------------------------
# what kind of folder
# ---------------------------------------------------------------------------------------------


def folder_kind(folder: str | Path) -> str:
    """``"sweep"`` (a ``manifest.json``), ``"run"`` (a ``summary.csv``) or ``"cea"`` (a ``cea_replicates.csv``);
    :class:`ReportError` otherwise."""
    folder = Path(folder)
    expected = (f"expected a run folder (with {', '.join(RUN_FILES)}, as written by `qicsim run --out DIR`), a "
                f"sweep folder (with {SWEEP_MARKER}, as written by `qicsim sweep SPEC --out DIR`) or a "
                f"cost-effectiveness folder (with {CEA_MARKER}, as written by `qicsim cea --out DIR`)")
    if not folder.is_dir():
        raise ReportError(f"{str(folder)!r} is not a folder; {expected}")
    if (folder / SWEEP_MARKER).is_file():
        return "sweep"
    if (folder / "summary.csv").is_file():
        return "run"
    if (folder / CEA_MARKER).is_file():
        return "cea"
    raise ReportError(f"{str(folder)!r} is not a run, sweep or cost-effectiveness folder; {expected}")


# ---------------------------------------------------------------------------------------------
# HTML pieces
# ---------------------------------------------------------------------------------------------

CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem;
       color: #111; line-height: 1.45; }
h1, h2, h3 { font-family: Helvetica, Arial, sans-serif; }
h2 { border-bottom: 1px solid #999; padding-bottom: .2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #ccc; padding: .2rem .6rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
thead th { border-bottom: 2px solid #333; }
pre { background: #f4f4f4; padding: .6rem; overflow-x: auto; font-size: .8rem; white-space: pre-wrap; }
figure { margin: 1.2rem 0; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .9rem; color: #333; }
.note { color: #444; font-style: italic; }
code { font-size: .9em; }
code.key { font-size: .72rem; color: #555; }
td.dist img { width: 11rem; height: auto; border: none; }
.wide { overflow-x: auto; }
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def number(key: str, value: object) -> str:
    """One outcome as text: money without decimals, months with one, shares with three; n/a for NaN."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if "cost" in key or key in ("net_monetary_benefit", "savings"):
        return f"{x:,.0f}"
    if key.startswith("months_") or "_months" in key:
        return f"{x:,.1f}"
    if key == "teams" or key.startswith("n_"):
        return f"{x:,.0f}" if x.is_integer() else f"{x:,.1f}"
    return f"{x:,.3f}"


def label_html(key: str) -> str:
    """An outcome's human label as HTML, with the raw key under it (and as its tooltip) so that readers can find
    the column in the files."""
    return f'<span title="{_esc(key)}">{_esc(label(key))}</span><br><code class="key">{_esc(key)}</code>'


def html_table(frame: pd.DataFrame, formatters: dict[str, Callable[[object], str]] | None = None,
               text_columns: Sequence[str] = (), headers: dict[str, str] | None = None,
               html_columns: Sequence[str] = ()) -> str:
    """A plain HTML table, escaped except the cells of ``html_columns`` and the ``headers`` (column -> header),
    which are HTML already; text columns are left-aligned."""
    formatters = formatters or {}
    headers = headers or {}
    head = "".join(f'<th{" class=\"text\"" if c in text_columns else ""}>{headers.get(c, _esc(c))}</th>'
                   for c in frame.columns)
    body = []
    for values in frame.itertuples(index=False, name=None):  # keeps each column's type (ints stay ints)
        cells = []
        for c, value in zip(frame.columns, values, strict=True):
            cls = ' class="text"' if c in text_columns else ""
            if c in html_columns:
                cells.append(f"<td{cls}>{value}</td>")
                continue
            text = formatters[c](value) if c in formatters else str(value)
            cells.append(f"<td{cls}>{_esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def image(path: Path, alt: str, caption: str) -> str:
    """A figure embedded as a data: URI, so that the report needs no other file."""
    return f'<figure><img alt="{_esc(alt)}" src="{_data_uri(path)}"><figcaption>{_esc(caption)}</figcaption></figure>'



def note(text: str) -> str:
    return f'<p class="note">{_esc(text)}</p>'


def page(title: str, sections: Sequence[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_esc(title)}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n")


# ---------------------------------------------------------------------------------------------
# shared sections
# ---------------------------------------------------------------------------------------------


def interval_table(values: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Mean and 95% interval (2.5th-97.5th percentile over replicates) of each key; NaNs left out."""
    rows = []
    for key in keys:
        mean, low, high, n = replicate_interval(pd.to_numeric(values[key], errors="coerce").to_numpy(dtype=float))
        if n:
            rows.append((key, number(key, mean), number(key, low), number(key, high), n))
        else:
            rows.append((key, "n/a", "n/a", "n/a", 0))
    return pd.DataFrame(rows, columns=["outcome", "mean", "2.5%", "97.5%", "replicates with a value"])


def outcome_table(values: pd.DataFrame, keys: Sequence[str], figure_dir: Path | None = None,
                  over: str = "replicates") -> str:
    """The mean and 95% interval table of ``keys`` with human labels (and the raw keys); with ``figure_dir``, a
    strip of each outcome's values across the ``over`` (replicates, runs) next to its interval."""
    table = interval_table(values, keys).rename(columns={"replicates with a value": f"{over} with a value"})
    if figure_dir is not None:
        strips = []
        for i, key in enumerate(keys):
            path = figure_dir / f"strip_{i}.png"
            drawn = figures.outcome_strip(pd.to_numeric(values[key], errors="coerce"), path)
            strips.append(f'<img alt="{_esc(f"Distribution of {key} across {over}")}" src="{_data_uri(path)}">'
                          if drawn is not None else "")
        table.insert(4, "distribution", strips)
    table["outcome"] = [label_html(k) for k in keys]
    text = html_table(table, text_columns=["outcome"], html_columns=["outcome", "distribution"])
    return text.replace("<td><img", '<td class="dist"><img')


def versions_section(extra: dict[str, object] | None = None) -> str:
    """The versions of qicsim and its libraries that made this report (and, for a sweep, its results)."""
    info = provenance.code_version()
    rows = [(name, provenance.package_version(name) or "not installed") for name in VERSION_PACKAGES]
    rows.append(("python", platform.python_version()))
    rows.append(("git commit", (info.get("git_commit") or "not a git checkout")
                 + (" (with uncommitted changes)" if info.get("git_dirty") else "")))
    out = ["<h3>Versions used to make this report</h3>",
           html_table(pd.DataFrame(rows, columns=["package", "version"]), text_columns=["package", "version"])]
    if extra:
        out.append("<h3>Versions that made the results</h3>")
        out.append(html_table(pd.DataFrame([(k, str(v)) for k, v in extra.items()], columns=["item", "value"]),
                              text_columns=["item", "value"]))
    return "\n".join(out)


def effects_section(effects: pd.DataFrame | None, figure_dir: Path, seeds: int, teams: int) -> str:
    """The paper's claims, each with its lever, outcome, paired effect and verdict."""
    out = ['<h2 id="effects">What changes when…</h2>']
    if effects is None:
        out.append(note("Skipped (--no-effects). Run `qicsim report DIR` without it to add the paired-seed "
                        "effects of the paper's levers."))
        return "\n".join(out)
    seed_list = effect_seeds(seeds, EFFECTS_SEED)
    out.append(f"<p>Each of the paper's qualitative claims (<code>analysis/targets.yaml</code>, "
               f"<code>qualitative</code>) as one lever change on the built-in scenario, run on {seeds} paired seeds "
               f"(seed <i>i</i> = <code>qicsim.derive_seed({EFFECTS_SEED}, i)</code>: "
               f"{_esc(', '.join(map(str, seed_list)))})"
               f" with {teams} teams. Effect = changed − base, mean ± standard error over the seeds; "
               "'as expected' means the paper's direction and at least two standard errors from zero. These "
               "runs do not depend on the folder reported on.</p>")
    table = effects.assign(
        effect=[("n/a" if not math.isfinite(m) else f"{m:+.3f} ± {s:.3f}") for m, s in zip(effects["mean"],
                                                                                           effects["se"], strict=True)],
        expected=effects["expected"].map({1: "increase", -1: "decrease"}),
    )[["claim", "lever", "key", "unit", "expected", "effect", "n", "verdict"]]
    out.append(html_table(table, text_columns=["claim", "lever", "key", "unit", "expected", "verdict"]))
    chart = figure_dir / "effects.png"
    if figures.effects_chart(effects, chart) is not None:
        out.append(image(chart, FIGURES["effects"], "Paired differences (changed − base), mean ± 2 SE; filled: "
                                                    "in the paper's direction, hollow: not. One panel per unit."))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# a run folder
# ---------------------------------------------------------------------------------------------

_COMMENT = re.compile(r"scenario (?P<source>'[^']*'|\"[^\"]*\"), overrides: (?P<overrides>.*); base seed "
                      r"(?P<seed>\d+), (?P<reps>\d+) replicate")


@dataclass
class RunFolder:
    """What a run report reads; missing optional files are None and their figures are skipped."""

    folder: Path
    summary: pd.DataFrame
    scenario_text: str
    team_outcomes: pd.DataFrame | None = None
    teams: pd.DataFrame | None = None
    adoption: pd.DataFrame | None = None
    scenario: sim.Scenario | None = None
    notes: list[str] = field(default_factory=list)


_POSTERIOR = re.compile(r"^# posterior: (?P<choice>.+)$", re.MULTILINE)


def _optional_table(run: RunFolder, name: str, reader: Callable[[Path], pd.DataFrame]) -> pd.DataFrame | None:
    """An optional table of a run folder; a file that cannot be read (empty, truncated, not a table) is left
    out with a note rather than stopping the report."""
    path = run.folder / name
    if not path.is_file():
        return None
    try:
        table = reader(path)
    except (OSError, ValueError) as exc:  # pandas' EmptyDataError and pyarrow's ArrowInvalid are ValueErrors
        run.notes.append(f"{name} cannot be read ({type(exc).__name__}: {shorten(str(exc), 120)}); the figures "
                         "that need it are left out.")
        return None
    if table.empty:
        run.notes.append(f"{name} has no rows; the figures that need it are left out.")
        return None
    return table


NOTHING_TO_DRAW = ""
"""What a figure function's own None (nothing to draw, e.g. no follow-up) becomes inside :func:`_drawn`, whose
None means the figure failed."""


def _drawn(out: list[str], what: str, path: Path, draw: Callable[[Path], object]) -> Path | str | None:
    """One figure of a run report written to ``path`` by ``draw(path)``: the path, :data:`NOTHING_TO_DRAW` when
    the figure function has nothing to draw (returns None), or (None) a note when the folder's files do not have
    what it needs (a damaged or hand-edited file): a report of what can be shown, never a traceback."""
    try:
        return NOTHING_TO_DRAW if draw(path) is None else path
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, SyntaxError) as exc:  # XML: SyntaxError
        out.append(note(f"The {what} cannot be drawn from this folder's files ({type(exc).__name__}: "
                        f"{shorten(str(exc), 120)}); are they damaged?"))
        return None


def load_run(folder: Path) -> RunFolder:
    """Read a run folder; unreadable required files raise :class:`ReportError`."""
    try:
        summary = pd.read_csv(folder / "summary.csv")
    except (OSError, ValueError) as exc:
        raise ReportError(f"{folder / 'summary.csv'}: cannot read it ({exc})") from None
    if summary.empty or "seed" not in summary.columns:
        raise ReportError(f"{folder / 'summary.csv'}: not a qicsim run summary (no rows or no seed column)")
    path = folder / "scenario.yaml"
    run = RunFolder(folder, summary, "")
    try:
        run.scenario_text = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError) as exc:
        run.notes.append(f"scenario.yaml cannot be read ({type(exc).__name__}); it is left out.")
    if not run.scenario_text:
        run.notes.append("scenario.yaml is missing or unreadable: the run cannot be reproduced from this folder alone.")
    else:
        try:
            run.scenario = sim.load_scenario(path)
        except sim.ScenarioError as exc:  # e.g. written by another qicsim version
            run.notes.append(f"scenario.yaml does not load in this qicsim ({exc}); the end of the collaborative "
                             "is read from the team table's phases instead.")
    run.team_outcomes = _optional_table(run, "team_outcomes.csv", pd.read_csv)
    run.teams = _optional_table(run, "teams.parquet", pd.read_parquet)
    run.adoption = _optional_table(run, "adoption.csv", pd.read_csv)
    missing = [n for n in RUN_FILES if not (folder / n).is_file()]
    if missing:
        run.notes.append(f"missing from the folder: {', '.join(missing)}; the figures that need them are left out.")
    return run


def end_month(run: RunFolder) -> int | None:
    """The month at whose end the collaborative is over: from the scenario's calendar, else the month
    before the first follow-up month of the team table."""
    if run.scenario is not None:
        return Calendar.for_scenario(run.scenario).end_month
    if run.teams is not None:
        follow = run.teams.loc[run.teams["phase"] == "follow_up", "month"]
        return int(follow.min()) - 1 if len(follow) else int(run.teams["month"].max())
    return None


def reproduce_command(run: RunFolder) -> str:
    """The command that remakes the folder: its own scenario.yaml, base seed and replicates."""
    match = _COMMENT.search(run.scenario_text)
    reps = len(run.summary)
    if match:
        seed = match["seed"]
        original = f"qicsim run {match['source'].strip(chr(39) + chr(34))}"
        if match["overrides"] != "none":
            original += "".join(f" --set {part.strip()}" for part in match["overrides"].split(", "))
        found = _POSTERIOR.search(run.scenario_text)
        posterior = f" --posterior {found['choice']}" if found else " --posterior none"  # older runs had none
        return (f"qicsim run {run.folder / 'scenario.yaml'} --seed {seed} --reps {reps}{posterior} --out NEW_DIR\n"
                f"# as first run: {original} --seed {seed} --reps {reps}{posterior}")
    seeds = ", ".join(str(s) for s in run.summary["seed"])
    return (f"# the base seed is not recorded; each replicate runs with its own seed:\n"
            f"python -c \"import qicsim; [qicsim.run('{run.folder / 'scenario.yaml'}', seed=s) for s in [{seeds}]]\"")


def run_figures(run: RunFolder, figure_dir: Path) -> list[str]:
    """Every figure a run folder supports, as HTML, with notes for those left out."""
    out: list[str] = []
    end = end_month(run)
    s = run.scenario
    measure, unit = (s.measure_name, s.measure_unit) if s is not None else ("performance", "")
    if run.teams is not None and end is not None:
        path = _drawn(out, "performance trajectories", figure_dir / "trajectories.png",
                      lambda p: figures.performance_trajectories(run.teams, end, p, measure=measure, unit=unit))
        if path:
            out.append(image(path, FIGURES["trajectories"],
                             "Mean (black) and 25–75% / 10–90% bands across teams and replicates; measured values "
                             "are what the teams' data show (missing when no data), true values what patients get. "
                             "Dashed: end of the collaborative."))
        path = _drawn(out, "IHI score distribution", figure_dir / "ihi.png",
                      lambda p: figures.ihi_distribution(run.teams, p, end))
        if path:
            out.append(image(path, FIGURES["ihi"], "Share of teams still taking part at each IHI assessment score "
                                                   "(0.5–5.0) by month, all replicates pooled."))
    path = None
    if run.team_outcomes is not None and end is not None:
        path = _drawn(out, "drop-out curves", figure_dir / "dropout.png",
                      lambda p: figures.dropout_curves(run.team_outcomes, end, p))
    if path:
        out.append(image(path, FIGURES["dropout"],
                         "Kaplan–Meier estimate of staying in the collaborative; teams that did not drop out are "
                         "censored at the end of the collaborative; all replicates pooled. Teams are grouped by "
                         "whether their leader changed at any time during the collaborative, so the groups are "
                         "descriptive, not a time-varying hazard model."))
    if run.teams is not None and run.team_outcomes is not None and end is not None:
        threshold = s.significant_improvement_threshold if s is not None else 0.2
        direction = None
        if s is not None:
            direction = 1 if s.measure_direction == "higher_is_better" else -1
        path = _drawn(out, "sustain curve", figure_dir / "sustain.png", lambda p: figures.sustain_curve(
            run.teams, run.team_outcomes, end, threshold, p, direction))
        if path == NOTHING_TO_DRAW:
            out.append(note("No months of follow-up after the end: the sustain curve is left out."))
        elif path is not None:
            out.append(image(path, FIGURES["sustain"],
                             f"Top: share of teams at least {threshold:.0%} better than their baseline (true "
                             "measure), among those that were at the end and among all enrolled teams. Bottom: "
                             "change of the true measure since the end, positive = better."))
    adoption = _drawn(out, "adoption curve", figure_dir / "adoption.png",
                      lambda p: figures.adoption_curve(run.adoption, p, end))
    if adoption:
        out.append(image(adoption, FIGURES["adoption"], "Cumulative units and organisations beyond the "
                                                        "participants that took up the changes or the QI method."))
    elif run.adoption is None:
        out.append(note("No adoption.csv in this folder: the adoption curve is left out."))
    network = _drawn(out, "network picture", figure_dir / "network.png",
                     lambda p: figures.network_picture(run.folder / "network.graphml", p))
    if network:
        out.append(image(network, FIGURES["network"], "The network of units (network.graphml; one replicate). "
                                                      "Layout: networkx spring layout, seed 1."))
    elif not (run.folder / "network.graphml").is_file():
        out.append(note("No network.graphml in this folder (write one with `qicsim run ... --network-out "
                        "DIR/network.graphml`): the network picture is left out."))
    return out


INPUT_PREFIX = "input_"
"""summary.csv columns holding each replicate's draw of the calibrated inputs (``qicsim run --posterior``)."""


def inputs_section(summary: pd.DataFrame, inputs: Sequence[str], source: str = "scenario.yaml") -> list[str]:
    """The calibrated inputs each replicate drew from the posterior, if the run used one."""
    if not inputs:
        return []
    table = interval_table(summary[list(inputs)].rename(columns=lambda c: c.removeprefix(INPUT_PREFIX)),
                           [c.removeprefix(INPUT_PREFIX) for c in inputs]).rename(columns={"outcome": "input"})
    return ['<h3 id="inputs">Calibrated inputs</h3>',
            "<p>Each replicate took one draw of the calibrated inputs from the posterior named in "
            f"<code>{_esc(source)}</code>; their mean and 95% interval over the replicates (the intervals above hold "
            "this uncertainty as well as the simulation's own chance):</p>",
            html_table(table, text_columns=["input"])]


def run_report(run: RunFolder, effects: pd.DataFrame | None, figure_dir: Path, seeds: int, teams: int) -> str:
    """The HTML report of a run folder."""
    folder = run.folder
    name = run.scenario.name if run.scenario is not None else str(run.summary.get("scenario", ["?"])[0])
    reps = len(run.summary)
    inputs = [c for c in run.summary.columns if c.startswith(INPUT_PREFIX)]
    keys = [c for c in run.summary.columns if c not in ("replicate", "seed", "scenario", *inputs)]
    headline = [k for k in sim.SUMMARY_KEYS if k in keys]
    ordered = headline + [k for k in keys if k not in headline]
    currency = f" Costs in {run.scenario.currency} at {run.scenario.price_year} prices." if run.scenario else ""
    sections = [
        f"<h1>qicsim report: scenario {_esc(name)}</h1>",
        f"<p>Run folder <code>{_esc(folder)}</code>, {reps} replicate(s); report made "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC with qicsim {_esc(provenance.package_version('qicsim'))}.</p>",
        *(note(n) for n in run.notes),
        '<h2 id="summary">Summary</h2>',
        f"<p>Mean and 95% interval (2.5th–97.5th percentile of the {reps} replicate values) of every outcome; "
        f"shares are of all enrolled teams (intention to treat).{_esc(currency)}"
        + (" Distribution: each replicate's value (dots), the 95% interval (grey bar) and the mean (black tick)."
           if reps > 1 else "") + "</p>",
        outcome_table(run.summary, ordered, figure_dir if reps > 1 else None),
        *inputs_section(run.summary, inputs),
        '<h2 id="figures">Figures</h2>',
        *run_figures(run, figure_dir),
        effects_section(effects, figure_dir, seeds, teams),
        '<h2 id="scenario">Scenario</h2>',
        "<p>The effective scenario (every parameter; <code>scenario.yaml</code> in the folder):</p>",
        f"<pre>{_esc(run.scenario_text or '(missing)')}</pre>",
        '<h2 id="reproduce">Seeds, versions and how to reproduce</h2>',
        "<p>Replicate <i>r</i> ran with the seed below; <code>qicsim.run(scenario, seed=seed)</code> reproduces it "
        "exactly, in any process" + (" (the scenario with that replicate's calibrated inputs: "
                                     "<code>scenario.with_overrides(**inputs)</code>)" if inputs else "") + ".</p>",
        html_table(run.summary[["replicate", "seed", *inputs]]),
        f"<pre>{_esc(reproduce_command(run))}</pre>",
        versions_section(_run_versions(run)),
    ]
    return page(f"qicsim report: {name}", sections)


def _run_versions(run: RunFolder) -> dict[str, object] | None:
    """The qicsim version that made a run folder, from its scenario.yaml header (None if not recorded)."""
    match = re.search(r"Effective scenario of a qicsim (\S+) run", run.scenario_text)
    return {"qicsim (scenario.yaml header)": match[1]} if match else None


# ---------------------------------------------------------------------------------------------
# a sweep folder
# ---------------------------------------------------------------------------------------------


def one_way_table(runs: pd.DataFrame, parameters: Sequence[str], key: str) -> pd.DataFrame:
    """For each numeric varied parameter, the mean outcome where it is at its lowest and highest
    values (the extreme values of a grid; the bottom and top fifth of a sampled design), averaged
    over the other parameters: a one-way sensitivity read off the sweep itself."""
    rows = []
    for p in parameters:
        x = pd.to_numeric(runs[p], errors="coerce")
        if x.isna().all() or x.nunique() < 2:
            continue
        if x.nunique() <= 10:
            low_mask, high_mask = x == x.min(), x == x.max()
        else:
            low_mask, high_mask = x <= x.quantile(0.2), x >= x.quantile(0.8)
        rows.append({"parameter": p, "low": runs.loc[low_mask, key].mean(), "high": runs.loc[high_mask, key].mean(),
                     "low_value": round(float(x[low_mask].mean()), 3), "high_value": round(float(x[high_mask].mean()),
                                                                                            3)})
    return pd.DataFrame(rows, columns=["parameter", "low", "high", "low_value", "high_value"])


def sweep_keys(manifest: dict, limit: int = 3) -> list[str]:
    """The outcomes a sweep report charts: the spec's summary keys or the headline outcomes, at most ``limit``."""
    stored = list(manifest.get("summary_keys", []))
    chosen = manifest.get("spec", {}).get("outputs", {}).get("summary") or [k for k in sim.SUMMARY_KEYS
                                                                             if k in stored]
    return [k for k in chosen if k in stored][:limit] or stored[:limit]


def sensitivity_html(folder: Path, method: str, keys: list[str], figure_dir: Path) -> list[str]:
    """Sobol or Morris indices with their bar charts; the stored sensitivity.csv when they cannot be computed."""
    from qicsim.experiments.sensitivity import analyse
    from qicsim.experiments.spec import ExperimentError

    out = [f'<h2 id="sensitivity">Sensitivity indices ({_esc(method)})</h2>']
    try:
        result = analyse(folder, keys)
    except ExperimentError as exc:
        out.append(note(f"Indices not computed: {exc}"))
        stored = folder / "sensitivity.csv"
        if stored.is_file():
            out.append("<p>The stored <code>sensitivity.csv</code>:</p>")
            out.append(html_table(pd.read_csv(stored).round(4), text_columns=["key", "parameter"]))
        return out
    out.append(f"<p>Computed with SALib on the mean over {result.replications} replicate(s) at each of "
               f"{result.points} points (as <code>qicsim sensitivity</code>); 95% bootstrap intervals.</p>")
    for indices in result.indices:
        if indices.table is None:
            out.append(note(f"{indices.key}: {indices.skipped}"))
            continue
        out.append(f"<h3>{_esc(indices.key)}</h3>")
        out.append(html_table(indices.table.reset_index().round(4), text_columns=["parameter"]))
        path = figure_dir / f"sensitivity_{indices.key}.png"
        figures.sensitivity_bars(indices, method, path)
        out.append(image(path, f"Sensitivity indices of {indices.key}",
                         f"{method.capitalize()} indices of {indices.key} with 95% intervals."))
    return out


@dataclass
class SweepFolder:
    """What a sweep report reads: the manifest and the runs table."""

    folder: Path
    manifest: dict
    runs: pd.DataFrame


def load_sweep(folder: Path) -> SweepFolder:
    """Read a sweep folder's manifest and runs; :class:`ReportError` when they cannot be read."""
    from qicsim.experiments.spec import ExperimentError
    from qicsim.experiments.storage import load_table, read_manifest

    try:
        return SweepFolder(folder, read_manifest(folder), load_table(folder))
    except (ExperimentError, OSError, ValueError) as exc:
        raise ReportError(str(exc)) from None


def sweep_report(sweep: SweepFolder, effects: pd.DataFrame | None, figure_dir: Path, seeds: int, teams: int) -> str:
    """The HTML report of a sweep folder."""
    folder, manifest, runs = sweep.folder, sweep.manifest, sweep.runs
    spec = manifest.get("spec", {})
    varied = list(manifest.get("varied", []))
    method = spec.get("sampler", {}).get("method", "?")
    keys = sweep_keys(manifest)
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    failed = int((runs["status"] == "failed").sum()) if len(runs) else 0
    sections = [
        f"<h1>qicsim report: sweep {_esc(manifest.get('name', folder.name))}</h1>",
        f"<p>{_esc(spec.get('description') or '')}</p>",
        f"<p>Sweep folder <code>{_esc(folder)}</code>: sampler {_esc(method)}, {manifest.get('points')} points × "
        f"{manifest.get('replications')} replicates = {manifest.get('total_runs')} runs; {len(runs)} stored, "
        f"{failed} failed. Varied: {_esc(', '.join(varied))}. Report made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.</p>",
        '<h2 id="summary">Outcome means by point</h2>',
    ]
    if ok.empty:
        sections.append(note("No finished runs yet."))
    else:
        shown_keys = sweep_keys(manifest, limit=len(sim.SUMMARY_KEYS))
        means = ok.groupby("point_id")[[*varied, *shown_keys]].mean(numeric_only=True).reset_index()
        counts = ok.groupby("point_id").size().rename("runs").reset_index()
        table = means.merge(counts, on="point_id")
        for v in varied:  # non-numeric levers (choices) are taken from the first run at the point
            if v not in table.columns:
                table = table.merge(ok.groupby("point_id")[v].first().reset_index(), on="point_id")
        table = table[["point_id", *varied, "runs", *shown_keys]]
        formats = {k: (lambda x, k=k: number(k, x)) for k in shown_keys}
        formats.update({v: (lambda x: f"{x:.3g}" if isinstance(x, float) else str(x)) for v in varied})
        sections.append(f"<p>Mean over replicates at each point ({min(len(table), MAX_POINT_ROWS)} of {len(table)} "
                        "points shown; all runs: <code>qicsim.load_table(DIR)</code>). Overall:</p>")
        sections.append(outcome_table(ok, shown_keys, figure_dir if len(ok) > 1 else None, over="runs"))
        sections.append(note("The distribution pools every run of every point: it shows the spread the varied "
                             "parameters make as well as the simulation's own chance."))
        sections.append(html_table(table.head(MAX_POINT_ROWS), formats,
                                   headers={k: label_html(k) for k in shown_keys}))
        sections.append('<h2 id="one-way">One-way sensitivity</h2>')
        sections.append("<p>Mean outcome where each varied parameter is at its low and its high values (grid: the "
                        "extreme values; sampled designs: the bottom and top fifth), averaged over the others; the "
                        "base line is the mean over all runs.</p>")
        for key in keys:
            table = one_way_table(ok, varied, key)
            if table.empty or table[["low", "high"]].isna().all().all():
                sections.append(note(f"{key}: no numeric parameter varies, no one-way chart."))
                continue
            path = figure_dir / f"tornado_{key}.png"
            figures.tornado(table, key, float(ok[key].mean()), path)
            sections.append(image(path, f"One-way sensitivity of {key}",
                                  f"Tornado chart of {key}: bars from the mean over all runs to the mean at each "
                                  "parameter's low (hatched) and high (solid) values."))
    if method in ("sobol", "morris") and not ok.empty:
        sections.extend(sensitivity_html(folder, method, keys, figure_dir))
    sections.append(note("Team-level figures (trajectories, IHI scores, drop-out, sustainment) are drawn for run "
                         "folders: `qicsim run SCENARIO --reps R --out DIR`, then `qicsim report DIR`."))
    sections.append(effects_section(effects, figure_dir, seeds, teams))
    scenario_text = (folder / "scenario.yaml").read_text(encoding="utf-8") if (folder / "scenario.yaml").is_file() \
        else yaml.safe_dump(manifest.get("scenario", {}), sort_keys=False)
    spec_text = (folder / "spec.yaml").read_text(encoding="utf-8") if (folder / "spec.yaml").is_file() \
        else yaml.safe_dump(spec, sort_keys=False)
    code = manifest.get("code_version", {})
    sections += [
        '<h2 id="scenario">Spec and base scenario</h2>',
        f"<pre>{_esc(spec_text)}</pre>",
        "<p>The effective base scenario:</p>",
        f"<pre>{_esc(scenario_text)}</pre>",
        '<h2 id="reproduce">Seeds, versions and how to reproduce</h2>',
        f"<p>Run <i>r</i> of point <i>p</i> has <code>run_id = {_esc(manifest.get('run_id', ''))}</code> and seed "
        f"<code>{_esc(manifest.get('seed', ''))}</code> (every run's seed is in the runs table).</p>",
        f"<pre>{_esc(f'qicsim sweep {folder / 'spec.yaml'} --out NEW_DIR')}</pre>",
        versions_section({"qicsim": code.get("qicsim"), "git commit": code.get("git_commit"),
                          "uncommitted changes": code.get("git_dirty"), "python": code.get("python"),
                          **{k: v for k, v in (code.get("packages") or {}).items() if k != "qicsim"},
                          "created": manifest.get("created")}),
    ]
    return page(f"qicsim report: sweep {manifest.get('name', '')}", sections)


# ---------------------------------------------------------------------------------------------
# a cost-effectiveness folder
# ---------------------------------------------------------------------------------------------

CEA_COLUMNS = ("replicate", "seed", "arm", "cost", "net_cost", "qalys", "significant", "sustained")
"""The columns of ``cea_replicates.csv`` a report needs (one row per replicate and arm)."""


@dataclass
class CEAFolder:
    """What a cost-effectiveness report reads: the replicates by arm and the provenance (``cea.yaml``)."""

    folder: Path
    replicates: pd.DataFrame
    provenance: dict
    provenance_text: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def wtp(self) -> float:
        return float(self.provenance["wtp"])

    @property
    def currency(self) -> str:
        return str(self.provenance.get("currency", ""))


def load_cea(folder: Path) -> CEAFolder:
    """Read a ``qicsim cea --out DIR`` folder; :class:`ReportError` when its replicates cannot be read. Without
    ``cea.yaml`` (written by qicsim before it recorded one) the willingness to pay and the currency are the
    built-in scenario's, with a note."""
    path = folder / CEA_MARKER
    try:
        replicates = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read it ({exc})") from None
    missing = [c for c in CEA_COLUMNS if c not in replicates.columns]
    arms = set(replicates["arm"]) if "arm" in replicates.columns else set()
    if replicates.empty or missing or not set(ARMS) <= arms:
        raise ReportError(f"{path}: not a qicsim cost-effectiveness table (expected the columns "
                          f"{', '.join(CEA_COLUMNS)} and the arms {', '.join(ARMS)}; missing: "
                          f"{', '.join(missing + sorted(set(ARMS) - arms)) or 'no rows'})")
    replicates = _checked_replicates(replicates, path)
    cea = CEAFolder(folder, replicates, {})
    source = folder / CEA_PROVENANCE
    try:
        cea.provenance_text = source.read_text(encoding="utf-8") if source.is_file() else ""
        loaded = yaml.safe_load(cea.provenance_text) if cea.provenance_text else None
        cea.provenance = loaded if isinstance(loaded, dict) else {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        cea.notes.append(f"{CEA_PROVENANCE} cannot be read ({type(exc).__name__}); it is left out.")
    for key in ("discount_rate_per_year", "price_year"):  # shown when they are numbers; a damaged value is dropped
        if key in cea.provenance and not _finite(cea.provenance[key]):
            cea.notes.append(f"{CEA_PROVENANCE}: {key} = {str(cea.provenance.pop(key))[:40]!r} is not a number; "
                             "it is left out.")
    if not (_finite(cea.provenance.get("wtp")) and float(cea.provenance["wtp"]) >= 0):
        try:
            base = sim.load_scenario(str(cea.provenance.get("scenario") or "breakthrough"))
        except sim.ScenarioError:
            base = sim.load_scenario("breakthrough")
        cea.provenance.setdefault("scenario", "?")
        cea.provenance.update(wtp=base.willingness_to_pay, currency=cea.provenance.get("currency") or base.currency)
        cea.notes.append(f"No usable {CEA_PROVENANCE} in this folder (qicsim cea writes one since this version): the "
                         f"willingness to pay ({cea.currency} {cea.wtp:,.0f}/QALY) and the currency are the built-in "
                         f"scenario {base.name!r}'s, which may not be those of the run.")
    return cea


def _finite(value: object) -> bool:
    """Whether a value read from a file is a finite number."""
    try:
        return not isinstance(value, bool) and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _checked_replicates(replicates: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The replicates of a cea folder as numbers, one row per replicate and arm with every arm present;
    :class:`ReportError` naming the column and the first bad row otherwise (a hand-edited or damaged file)."""
    replicates = replicates[replicates["arm"].isin(ARMS)].reset_index(drop=True)
    for column in (c for c in CEA_COLUMNS if c != "arm"):
        numbers = pd.to_numeric(replicates[column], errors="coerce")
        bad = ~np.isfinite(numbers.to_numpy(dtype=float))
        if column in ("significant", "sustained"):  # shares: n/a is allowed (no team completed)
            bad &= replicates[column].notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ReportError(f"{path}: {column} = {str(replicates[column].iloc[row])[:40]!r} in row {row + 2} is "
                              "not a finite number (allowed: the numbers qicsim cea writes)")
        replicates[column] = numbers
    counts = replicates.groupby(["replicate", "arm"]).size().unstack(fill_value=0).reindex(columns=list(ARMS),
                                                                                         fill_value=0)
    if (counts != 1).to_numpy().any():
        replicate, arm = next((r, a) for r in counts.index for a in counts.columns if counts.loc[r, a] != 1)
        raise ReportError(f"{path}: replicate {replicate} has {counts.loc[replicate, arm]} rows for arm {arm!r} "
                          f"(allowed: exactly one row per replicate and arm: {', '.join(ARMS)})")
    return replicates


def _interval_text(values: pd.Series, fmt: str = "{:,.0f}") -> str:
    mean, low, high, n = replicate_interval(values.to_numpy(dtype=float))
    return "n/a" if not n else f"{fmt.format(mean)} [{fmt.format(low)}, {fmt.format(high)}]"


def cea_verdicts(replicates: pd.DataFrame, wtp: float, currency: str) -> pd.DataFrame:
    """One row per comparator, as ``qicsim cea`` prints it (:func:`analysis.cea.compare`): the collaborative's
    incremental net cost, QALYs and net monetary benefit at ``wtp`` (mean and 95% interval over the replicates),
    the ICER or dominance verdict on the means and the share of replicates in which it is cost-effective."""
    table = compare(replicates, _Priced(currency), wtp)  # type: ignore[arg-type]
    wide = replicates.pivot(index="replicate", columns="arm")
    rows = []
    for comparator, (_, row) in zip(ARMS[1:], table.iterrows(), strict=True):
        d_cost = wide["net_cost"]["collaborative"] - wide["net_cost"][comparator]
        d_qaly = wide["qalys"]["collaborative"] - wide["qalys"][comparator]
        rows.append({
            "comparator": row["comparator"],
            "incremental_cost": _interval_text(d_cost),
            "incremental_qalys": _interval_text(d_qaly, "{:,.2f}"),
            "incremental_nmb": _interval_text(wtp * d_qaly - d_cost),
            "icer": "n/a" if math.isnan(row["icer"]) else f"{row['icer']:,.0f}",
            "prob_cost_effective": f"{row['prob_cost_effective']:.2f}",
            "verdict": row["verdict"],
        })
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class _Priced:
    """What :func:`analysis.cea.compare` reads of a scenario (its currency), for a folder whose scenario is not
    at hand."""

    currency: str


def cea_arms(replicates: pd.DataFrame, wtp: float) -> pd.DataFrame:
    """Per design: cost, net cost, QALYs and net monetary benefit (mean and 95% interval over the replicates) and
    the cost per significant and per sustained improvement (mean cost over mean count), as ``qicsim cea``."""
    rows = []
    for arm in ARMS:
        r = replicates[replicates["arm"] == arm]
        significant, sustained, cost = r["significant"].mean(), r["sustained"].mean(), r["cost"].mean()
        rows.append({
            "design": ARM_LABELS[arm], "cost": _interval_text(r["cost"]), "net_cost": _interval_text(r["net_cost"]),
            "qalys": _interval_text(r["qalys"], "{:,.1f}"), "nmb": _interval_text(wtp * r["qalys"] - r["net_cost"]),
            "cost_per_significant_improvement": f"{cost / significant:,.0f}" if significant > 0 else "n/a",
            "cost_per_sustained_improvement": f"{cost / sustained:,.0f}" if sustained > 0 else "n/a",
        })
    return pd.DataFrame(rows)


def cea_report(cea: CEAFolder, effects: pd.DataFrame | None, figure_dir: Path, seeds: int, teams: int) -> str:
    """The HTML report of a ``qicsim cea`` folder: the verdicts, the plane, the acceptability curves."""
    p, wtp, currency = cea.provenance, cea.wtp, cea.currency
    replicates = cea.replicates
    reps = replicates["replicate"].nunique()
    name = p.get("scenario", "?")
    settings = (f"{reps} replicates on common random numbers (every arm of a replicate runs on its seed)"
                + (f", base seed {p['seed']}" if "seed" in p else "")
                + "; health-system perspective"
                + (f"; {currency} at {p['price_year']} prices" if "price_year" in p else f"; {currency}")
                + (f"; costs and QALYs discounted at {float(p['discount_rate_per_year']):.1%} a year"
                   if "discount_rate_per_year" in p else "")
                + f"; willingness to pay {currency} {wtp:,.0f} per QALY.")
    verdicts = cea_verdicts(replicates, wtp, currency)
    value_columns = ["incremental_cost", "incremental_qalys", "incremental_nmb", "icer", "prob_cost_effective"]
    sections = [
        f"<h1>qicsim report: cost-effectiveness, scenario {_esc(name)}</h1>",
        f"<p>Cost-effectiveness folder <code>{_esc(cea.folder)}</code> (<code>qicsim cea</code>): the collaborative "
        "against the traditional QI team and no intervention. "
        f"Report made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with qicsim "
        f"{_esc(provenance.package_version('qicsim'))}.</p>",
        *(note(n) for n in cea.notes),
        f"<p>{_esc(settings)}" + (f" Inputs: {_esc(p['inputs'])}." if p.get("inputs") else "") + "</p>",
        '<h2 id="verdicts">Verdicts</h2>',
        "<p>The collaborative against each comparator: mean and [95% interval] (2.5th–97.5th percentile over the "
        f"replicates) of the incremental net cost ({_esc(currency)}, discounted, savings deducted), incremental QALYs "
        "and incremental net monetary benefit at the willingness to pay; the ICER and the verdict on the means; "
        "P(cost-effective): the share of replicates with a positive incremental net monetary benefit.</p>",
        html_table(verdicts, text_columns=["comparator", "verdict"],
                   headers={"comparator": "Collaborative against", "verdict": "Verdict",
                            **{c: label_html(c) for c in value_columns}}),
        '<h3 id="arms">By design</h3>',
        html_table(cea_arms(replicates, wtp), text_columns=["design"],
                   headers={"design": "Design", **{c: label_html(c) for c in ("cost", "net_cost", "qalys", "nmb",
                                                         "cost_per_significant_improvement",
                                                         "cost_per_sustained_improvement")}}),
        '<h2 id="figures">Figures</h2>',
    ]
    plane, ceac = figure_dir / "ce_plane.png", figure_dir / "ceac.png"
    ce_plane(replicates, wtp, currency, plane)
    sections.append(image(plane, FIGURES["ce_plane"],
                          "Incremental net cost against incremental QALYs of the collaborative, one dot per replicate "
                          "and comparator (crosses: the means); below the dashed line the collaborative is "
                          f"cost-effective at {currency} {wtp:,.0f} per QALY."))
    acceptability_curve(acceptability(replicates, np.linspace(0, 3 * max(wtp, 1.0), 61)), wtp, currency, ceac)
    sections.append(image(ceac, FIGURES["ceac"],
                          "Share of replicates in which each design has the highest net monetary benefit, by "
                          "willingness to pay (dashed: the one used above)."))
    inputs = [c for c in replicates.columns if c.startswith(INPUT_PREFIX)]
    per_replicate = replicates[replicates["arm"] == "collaborative"].sort_values("replicate")
    sections += inputs_section(per_replicate, inputs, CEA_PROVENANCE)
    sections.append(effects_section(effects, figure_dir, seeds, teams))
    command = p.get("command") or f"# the command is not recorded; base seed {p.get('seed', '?')}, {reps} replicates"
    sections += [
        '<h2 id="reproduce">Seeds, versions and how to reproduce</h2>',
        "<p>Replicate <i>r</i> ran every arm with the seed below (common random numbers):</p>",
        html_table(per_replicate[["replicate", "seed", *inputs]]),
        f"<pre>{_esc(command)}</pre>",
        f"<p>The provenance file <code>{CEA_PROVENANCE}</code> (with the effective scenario):</p>",
        f"<pre>{_esc(cea.provenance_text or '(missing)')}</pre>",
        versions_section({"qicsim (cea.yaml)": p["qicsim"]} if p.get("qicsim") else None),
    ]
    return page(f"qicsim report: cost-effectiveness {name}", sections)


# ---------------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------------


def build_report(folder: str | Path, *, effects: bool = True, seeds: int = EFFECTS_SEEDS, teams: int = EFFECTS_TEAMS,
                 progress: Callable[[], object] | None = None) -> str:
    """The report of a run, sweep or cost-effectiveness folder as one HTML string; :class:`ReportError` when the
    folder is none of them. ``effects=False`` skips the paired-seed sweep of the paper's claims."""
    folder = Path(folder)
    kind = folder_kind(folder)
    data = {"run": load_run, "sweep": load_sweep, "cea": load_cea}[kind](folder)  # read before the sweep
    table = run_effects(CLAIMS, seeds=seeds, teams=teams, progress=progress) if effects else None
    with tempfile.TemporaryDirectory(prefix="qicsim-report-") as tmp:
        if isinstance(data, RunFolder):
            return run_report(data, table, Path(tmp), seeds, teams)
        if isinstance(data, CEAFolder):
            return cea_report(data, table, Path(tmp), seeds, teams)
        return sweep_report(data, table, Path(tmp), seeds, teams)


def write_report(folder: str | Path, out: str | Path | None = None, **options: object) -> Path:
    """Write the report (default ``folder/report.html``) atomically and return its path."""
    target = Path(out) if out is not None else Path(folder) / "report.html"
    text = build_report(folder, **options)  # type: ignore[arg-type]
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_text(text, target)
