"""Designs run side by side on the same seeds: compare mode's A and B, and the workshop's budget game.

The budget game (docs/workshop.md): each group of a workshop, at its own browser, designs a collaborative from the
organiser's levers (:data:`qicsim.levers.GAME_LEVERS`: the challenges' design choices and the components, or the
components alone, as the facilitator chooses) under one budget for the sponsor's programme cost, and commits it;
the model runs every committed design on the game's seeds (replicate r of every design runs with
``derive_seed(seed, r)``: common random numbers, so differences between groups are the designs' and not the
dice's). The facilitator sees all groups side by side with intervals, and a debrief that links each group's gap to
the leading group to the paper's challenges: each challenge's levers (and each component) are swapped, one at a
time, from the group's design to the leader's, on the same seeds, and the change that makes is that challenge's
share of the gap.

Nothing here imports solara: the game is plain functions and a :class:`Game` kept in a JSON file, tested
without a browser; :mod:`qicsim.app` draws it. A group's draft and committed design are written to the file at
every change (atomically: a reload, or a restart of the server, loses nothing).
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qicsim import sim
from qicsim.levers import CHALLENGES, DESIGN_LEVERS, GAME_LEVERS, Lever, as_param, challenge_of, lever

DEFAULT_SEED = 1
GAME_OUTCOMES: dict[str, str] = {
    "cost_programme": "programme cost",
    "dropout_rate": "drop-out",
    "significant_improvement_rate": "significant improvement",
    "sustained_rate": "sustained improvement",
    "cost_per_sustained_improvement": "cost per sustained improvement",
}
"""What the facilitator's table shows for each group (shares of teams; costs in the scenario's currency)."""
RANKED_BY = "sustained_rate"
"""The game's aim: the most teams that improve significantly and keep it, within the budget."""
COMPARE_OUTCOMES: dict[str, str] = {
    "dropout_rate": "drop-out (share of teams)",
    "significant_improvement_rate": "significant improvement (share of teams)",
    "sustained_rate": "sustained improvement (share of teams)",
    "cost_per_significant_improvement": "cost per significant improvement",
    "cost_programme": "programme cost (the sponsor's budget)",
}
"""Outcomes compare mode reports, with the words it shows for them."""
GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,29}$")
"""A group's name: 1-30 letters, digits, spaces, '-' or '_' (it is shown to the room and kept in the file)."""
CONFIDENCE = 0.95


# ---------------------------------------------------------------------------------------------
# running designs on the same seeds
# ---------------------------------------------------------------------------------------------


def run_designs(scenario_name: str, designs: Mapping[str, Mapping[str, Any]], reps: int, seed: int = DEFAULT_SEED,
                progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Every design (overrides of the built-in scenario) on replicates ``0 .. reps-1``, replicate r with
    ``sim.derive_seed(seed, r)`` whatever the design: one row per design and replicate, with its summary.
    ``progress(done, total)`` is called after each run."""
    if reps < 1:
        raise ValueError(f"reps = {reps}: at least one replicate is needed")
    base = sim.load_scenario(scenario_name)
    scenarios = {name: base.with_overrides(**dict(values)) for name, values in designs.items()}  # validate first
    rows, total = [], len(scenarios) * reps
    for name, scenario in scenarios.items():
        for r in range(reps):
            s = sim.derive_seed(seed, r)
            rows.append({"design": name, "replicate": r, "seed": s, **sim.run(scenario, seed=s).summary})
            if progress:
                progress(len(rows), total)
    return pd.DataFrame(rows)


def interval(values: pd.Series | np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t interval of the mean of ``values`` (NaN left out; no interval from one value)."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size == 1:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def compare_designs(scenario_name: str, a: dict[str, Any], b: dict[str, Any], reps: int = 5,
                    seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Mean outcomes of designs A and B over the same seeds, and the paired difference B − A.

    Rows are the outcomes of :data:`COMPARE_OUTCOMES`; columns ``A``, ``B``, ``B - A`` (mean of paired
    differences) and ``se`` (its standard error). A cost per improvement with no improvement is NaN and left out.
    """
    runs = run_designs(scenario_name, {"A": a, "B": b}, reps, seed)
    ra = runs[runs.design == "A"].set_index("replicate")
    rb = runs[runs.design == "B"].set_index("replicate")
    table = []
    for key in COMPARE_OUTCOMES:
        diff = (rb[key] - ra[key]).dropna()
        se = float(diff.std(ddof=1) / math.sqrt(len(diff))) if len(diff) > 1 else math.nan
        table.append({"outcome": key, "A": ra[key].mean(), "B": rb[key].mean(),
                      "B - A": diff.mean() if len(diff) else math.nan, "se": se})
    return pd.DataFrame(table).set_index("outcome")


def money(x: float, currency: str, signed: bool = False) -> str:
    """An amount as the page shows it (``signed``: a difference, with its sign in front)."""
    if x is None or math.isnan(x):
        return "n/a"
    if signed:
        return f"{'+' if x >= 0 else '−'}{currency} {abs(x):,.0f}"
    return f"{currency} {x:,.0f}"


def format_comparison(table: pd.DataFrame, currency: str) -> str:
    """The comparison as a markdown table in plain words."""
    lines = ["| outcome | A | B | B − A (± se) |", "|---|---:|---:|---:|"]
    for key, row in table.iterrows():
        def fmt(x: float, key: str = key) -> str:
            if key.startswith("cost"):
                return money(x, currency)
            return "n/a" if math.isnan(x) else f"{x:.3f}"

        diff = "n/a" if math.isnan(row["B - A"]) else f"{fmt(row['B - A'])} (± {fmt(row['se'])})"
        lines.append(f"| {COMPARE_OUTCOMES[key]} | {fmt(row['A'])} | {fmt(row['B'])} | {diff} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the budget game
# ---------------------------------------------------------------------------------------------


class GameError(ValueError):
    """A game request that cannot be taken (a bad group name, a design over the budget, a damaged file)."""


class Settings(BaseModel):
    """What every group shares: the scenario, the budget for the programme cost, the seeds."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = sim.DEFAULT_SCENARIO
    budget: float = Field(gt=0, description="the sponsor's budget: most programme cost a design may have")
    reps: int = Field(8, ge=2, le=50, description="replicates (paired seeds) each design runs")
    seed: int = Field(DEFAULT_SEED, ge=0, description="base seed: replicate r runs with derive_seed(seed, r)")
    levers: Literal["challenges and components", "components"] = Field(
        "challenges and components", description="what groups set (the rest stays at the scenario's values)")

    def offered(self) -> tuple[Lever, ...]:
        return GAME_LEVERS[self.levers]

    def first_design(self) -> dict[str, Any]:
        """What a new group starts from: the scenario's own value of every lever offered."""
        scenario = sim.load_scenario(self.scenario)
        return {lv.name: getattr(scenario, lv.name) for lv in self.offered()}


class Group(BaseModel):
    """One group: the design it is working on, and the one it committed with its outcomes over the seeds."""

    model_config = ConfigDict(extra="forbid")
    draft: dict[str, Any]
    committed: dict[str, Any] | None = None
    outcomes: dict[str, list[float]] | None = None  # per outcome, one value per replicate


class GameFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    qicsim_game: int = 1
    settings: Settings
    groups: dict[str, Group] = {}


def default_budget(scenario_name: str, reps: int = 8, seed: int = DEFAULT_SEED) -> float:
    """The scenario's own design's mean programme cost on the game's seeds, rounded up to two significant
    figures: the default design just fits, and anything added must be paid for by something taken away."""
    cost = float(run_designs(scenario_name, {"scenario": {}}, reps, seed)["cost_programme"].mean())
    step = 10 ** max(0, math.floor(math.log10(cost)) - 1)
    return float(math.ceil(cost / step) * step)


def design_cost(settings: Settings, design: Mapping[str, Any]) -> float:
    """A design's mean programme cost on the game's seeds: what the budget is held against (the same runs a
    commit makes, so the figure a group sees before committing is the one its design is judged by)."""
    return float(run_designs(settings.scenario, {"d": design}, settings.reps, settings.seed)["cost_programme"].mean())


def clean_design(design: Mapping[str, Any], offered: tuple[Lever, ...]) -> dict[str, Any]:
    """A design from a browser or the file: only the levers the game offers, each in the parameter's own type."""
    allowed = {lv.name for lv in offered}
    unknown = sorted(set(design) - allowed)
    if unknown:
        raise GameError(f"design: lever {unknown[0]!r} is not one this game offers; it offers: "
                        f"{', '.join(lv.name for lv in offered)}")
    return {k: as_param(k, v) for k, v in design.items()}


class Game:
    """A workshop's game, kept in a JSON file: the settings and each group's draft and committed design.

    One server holds one :class:`Game`; every browser session reads and writes it through the methods here,
    under one lock, and every change is written to the file before the method returns (a temporary file
    renamed over the old one, so the file is always whole).
    """

    def __init__(self, path: Path | str, settings: Settings | None = None) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        if self.path.exists():
            self.data = self._read()
            if settings is not None and settings != self.data.settings:
                self.new_game(settings)
        else:
            self.data = GameFile(settings=settings or self.default_settings())
            self._write()

    @staticmethod
    def default_settings(scenario: str = sim.DEFAULT_SCENARIO) -> Settings:
        return Settings(scenario=scenario, budget=default_budget(scenario))

    def _read(self) -> GameFile:
        try:
            text = self.path.read_text(encoding="utf-8")
            data = GameFile.model_validate(json.loads(text))
            sim.load_scenario(data.settings.scenario)
            for name, group in data.groups.items():
                check_group_name(name)
                clean_design(group.draft, data.settings.offered())
            return data
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError, sim.ScenarioError,
                GameError) as err:
            first = str(err).splitlines()[0][:200]
            raise GameError(f"game file {self.path}: not a qicsim game ({type(err).__name__}: {first}); move it "
                            "away or name another file with --game") from None

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = self.data.model_dump_json(indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- what the facilitator does --------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.data.settings

    def new_game(self, settings: Settings) -> None:
        """Start again with ``settings``; the old game's file is kept beside it as ``<file>.previous``."""
        sim.load_scenario(settings.scenario)
        with self._lock:
            if self.path.exists():
                self.path.replace(self.path.with_name(self.path.name + ".previous"))
            self.data = GameFile(settings=settings)
            self._write()

    # -- what a group does ----------------------------------------------------------------------

    def groups(self) -> dict[str, Group]:
        with self._lock:
            return {name: group.model_copy(deep=True) for name, group in self.data.groups.items()}

    def join(self, name: str) -> Group:
        """The group called ``name``, made with the scenario's own design if it is new (a reload finds it)."""
        check_group_name(name)
        with self._lock:
            if name not in self.data.groups:
                self.data.groups[name] = Group(draft=self.settings.first_design())
                self._write()
            return self.data.groups[name].model_copy(deep=True)

    def save_draft(self, name: str, design: Mapping[str, Any]) -> None:
        """Keep the design a group is working on (every change a group makes, so a reload loses nothing)."""
        draft = clean_design(design, self.settings.offered())
        self.join(name)  # a group whose page outlived a new game joins the new one
        with self._lock:
            group = self._group(name)
            group.draft = {**group.draft, **draft}
            self._write()

    def commit(self, name: str, progress: Callable[[int, int], None] | None = None) -> Group:
        """Run the group's draft on the game's seeds and keep it as the group's committed design, if its mean
        programme cost is within the budget; otherwise :class:`GameError` saying by how much it is over."""
        self.join(name)
        with self._lock:
            design = dict(self._group(name).draft)
            settings = self.settings
        runs = run_designs(settings.scenario, {name: design}, settings.reps, settings.seed, progress)
        cost = float(runs["cost_programme"].mean())
        if cost > settings.budget:
            raise GameError(f"over budget: this design's programme cost is {cost:,.0f}, "
                            f"{cost - settings.budget:,.0f} more than the budget of {settings.budget:,.0f}")
        with self._lock:
            group = self._group(name)
            group.committed = design
            group.outcomes = {k: [float(v) for v in runs[k]] for k in GAME_OUTCOMES}
            self._write()
            return group.model_copy(deep=True)

    def _group(self, name: str) -> Group:
        try:
            return self.data.groups[name]
        except KeyError:
            raise GameError(f"no group called {name!r} in this game") from None

    # -- what the room sees -----------------------------------------------------------------------

    def committed(self) -> dict[str, Group]:
        return {name: g for name, g in self.groups().items() if g.committed is not None}

    def table(self) -> pd.DataFrame:
        """One row per committed group: each outcome's mean and 95% interval over the seeds (cut to the outcome's
        range: no share below 0 or above 1, no cost below 0), and the rank."""
        rows = []
        for name, group in self.committed().items():
            row: dict[str, Any] = {"group": name}
            for key in GAME_OUTCOMES:
                mean, low, high = interval(group.outcomes[key])
                top = math.inf if key.startswith("cost") else 1.0  # shares of teams stay within 0-1
                row[key], row[f"{key}_low"], row[f"{key}_high"] = mean, max(low, 0.0), min(high, top)
            rows.append(row)
        table = pd.DataFrame(rows)
        if table.empty:
            return table
        table = table.sort_values([RANKED_BY, "cost_programme"], ascending=[False, True], kind="stable")
        table.insert(1, "rank", range(1, len(table) + 1))
        return table.set_index("group")

    def leader(self) -> str | None:
        table = self.table()
        return None if table.empty else str(table.index[0])

    def debrief(self, progress: Callable[[int, int], None] | None = None) -> list[Explanation]:
        """For every committed group but the leader, why it sustained less (or more): :func:`explain`."""
        groups = self.committed()
        lead = self.leader()
        if lead is None:
            return []
        others = [name for name in groups if name != lead]
        out = []
        for k, name in enumerate(others):
            def step(done: int, total: int, k: int = k) -> None:
                if progress:
                    progress(k * total + done, len(others) * total)

            out.append(explain(self.settings, name, groups[name].committed, lead, groups[lead].committed, step))
        return out


def check_group_name(name: str) -> str:
    if not isinstance(name, str) or not GROUP_NAME.match(name):
        shown = repr(name)[:40]
        raise GameError(f"group name {shown}: use 1-30 letters, digits, spaces, '-' or '_', starting with a letter "
                        "or digit")
    return name


# ---------------------------------------------------------------------------------------------
# the debrief
# ---------------------------------------------------------------------------------------------


class Part(BaseModel):
    """One challenge's (or one component's) share of the gap between two groups."""

    heading: str  # "Challenge 9: Learning and planning for sustaining improvements" or "Coaching calls per month"
    quote: str  # the paper's words on the challenge ("" for a component)
    levers: list[tuple[str, str, str]]  # (label, this group's value, the leader's value)
    sustained: float  # mean change in sustained improvement, taking the leader's values for these levers
    sustained_se: float
    cost: float  # mean change in programme cost


class Explanation(BaseModel):
    group: str
    leader: str
    gap: float  # leader's mean sustained improvement minus this group's (same seeds)
    gap_se: float
    cost_gap: float
    parts: list[Part]

    @property
    def rest(self) -> float:
        """What the one-at-a-time swaps do not account for: the levers acting together, and chance."""
        return self.gap - sum(p.sustained for p in self.parts)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def lever_groups(design: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, list[str]]:
    """The levers on which two designs differ, by the paper's challenge (a component is its own group)."""
    out: dict[str, list[str]] = {}
    for lv in DESIGN_LEVERS:
        if design.get(lv.name) == other.get(lv.name):
            continue
        number = challenge_of(lv)
        heading = f"Challenge {number}: {CHALLENGES[number][0]}" if number else f"{lv.group} · {lv.label}"
        out.setdefault(heading, []).append(lv.name)
    return out


def explain(settings: Settings, name: str, design: Mapping[str, Any], leader: str, leader_design: Mapping[str, Any],
            progress: Callable[[int, int], None] | None = None) -> Explanation:
    """Why group ``name`` sustained less than the ``leader``: for each challenge whose levers differ (and each
    differing component), the group's design with the leader's values for those levers, on the same seeds; the
    mean paired change in sustained improvement (and programme cost) is that challenge's share of the gap."""
    parts_levers = lever_groups(design, leader_design)
    designs: dict[str, dict[str, Any]] = {"group": dict(design), "leader": dict(leader_design)}
    for heading, names in parts_levers.items():
        designs[heading] = {**design, **{k: leader_design[k] for k in names}}
    runs = run_designs(settings.scenario, designs, settings.reps, settings.seed, progress)
    by = {d: frame.set_index("replicate") for d, frame in runs.groupby("design", sort=False)}
    base = by["group"]

    def change(d: str, key: str) -> tuple[float, float]:
        diff = (by[d][key] - base[key]).to_numpy(dtype=float)
        se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else math.nan
        return float(diff.mean()), se

    gap, gap_se = change("leader", RANKED_BY)
    parts = []
    for heading, names in parts_levers.items():
        sustained, se = change(heading, RANKED_BY)
        number = challenge_of(lever(names[0]))
        parts.append(Part(heading=heading, quote=CHALLENGES[number][1] if number else "",
                          levers=[(lever(k).label, _shown(design[k]), _shown(leader_design[k])) for k in names],
                          sustained=sustained, sustained_se=se, cost=change(heading, "cost_programme")[0]))
    parts.sort(key=lambda p: -abs(p.sustained))
    return Explanation(group=name, leader=leader, gap=gap, gap_se=gap_se,
                       cost_gap=change("leader", "cost_programme")[0], parts=parts)


def format_explanation(e: Explanation, currency: str) -> str:
    """The debrief of one group as markdown, for the facilitator to read out."""
    if not e.parts:
        return f"**{e.group}** committed the same design as **{e.leader}**."
    lines = [f"**{e.group}** vs **{e.leader}**: {e.leader}'s design sustains improvement in {e.gap:+.2f} of the "
             f"teams (± {e.gap_se:.2f}) on the same seeds, for {money(e.cost_gap, currency, signed=True)} programme "
             f"cost. Taking {e.leader}'s choices one challenge at a time:", ""]
    for p in e.parts:
        choices = "; ".join(f"{label} {ours} → {theirs}" for label, ours, theirs in p.levers)
        quote = f" — the paper: “{p.quote}”" if p.quote else ""
        lines.append(f"- **{p.heading}** ({choices}): sustained improvement {p.sustained:+.2f} "
                     f"(± {p.sustained_se:.2f}), programme cost {money(p.cost, currency, signed=True)}{quote}")
    lines.append(f"- the levers acting together, and chance: {e.rest:+.2f}")
    return "\n".join(lines)


def standings_figure(table: pd.DataFrame, budget: float, currency: str) -> Any:
    """The groups side by side, for a projector: sustained improvement and programme cost, each group's mean
    with its 95% interval over the game's seeds, the budget as a dashed line. Returns the Figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 0.9 + 0.45 * max(len(table), 1)), dpi=90, layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(table))[::-1]
    for ax, key, scale, label in ((left, RANKED_BY, 1.0, "sustained improvement (share of teams)"),
                                  (right, "cost_programme", 1000.0, f"programme cost ({currency} thousand)")):
        mean = table[key].to_numpy(dtype=float) / scale
        low = table[f"{key}_low"].to_numpy(dtype=float) / scale
        high = table[f"{key}_high"].to_numpy(dtype=float) / scale
        error = np.nan_to_num(np.vstack([mean - low, high - mean]))
        ax.errorbar(mean, y, xerr=error, fmt="o", color="tab:blue" if key == RANKED_BY else "tab:orange",
                    capsize=3)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    right.axvline(budget / 1000.0, color="black", linestyle="--", linewidth=1, label="budget")
    right.legend(loc="lower right", fontsize=8)
    left.set_yticks(y, list(table.index))
    left.set_ylim(-0.7, len(table) - 0.3)
    return fig
