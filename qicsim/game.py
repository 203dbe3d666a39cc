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
from pydantic import BaseModel, ConfigDict, Field

from qicsim import sim
from qicsim.analysis.labels import label
from qicsim.levers import (
    CHALLENGES,
    DESIGN_LEVERS,
    GAME_LEVERS,
    Lever,
    as_param,
    challenge_of,
    lever,
    scenario_levers,
    shown,
)

DEFAULT_SEED = 1
RANKED_BY = "sustained_rate"
"""The game's aim: the most teams that improve significantly and keep it, within the budget."""
COMPARE_OUTCOMES: tuple[str, ...] = ("dropout_rate", "significant_improvement_rate", "sustained_rate",
                                     "cost_per_significant_improvement", "cost_programme")
"""Outcomes compare mode reports (in the words of :mod:`qicsim.analysis.labels`, the report's)."""
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
    ra = runs[runs.design == "A"].set_index("replicate").sort_index()
    rb = runs[runs.design == "B"].set_index("replicate").sort_index()
    table = []
    for key in COMPARE_OUTCOMES:
        mean, se = paired(rb[key], ra[key])
        table.append({"outcome": key, "A": ra[key].mean(), "B": rb[key].mean(), "B - A": mean, "se": se})
    return pd.DataFrame(table).set_index("outcome")


def paired(after: Any, before: Any) -> tuple[float, float]:
    """Mean and standard error of the paired differences ``after - before`` (one per seed), leaving out seeds
    where either is undefined (e.g. a cost per improvement without improvement); NaN where too few are left."""
    diff = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    diff = diff[~np.isnan(diff)]
    mean = float(diff.mean()) if diff.size else math.nan
    se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else math.nan
    return mean, se


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
        lines.append(f"| {label(key)} | {fmt(row['A'])} | {fmt(row['B'])} | {diff} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the budget game
# ---------------------------------------------------------------------------------------------


class GameError(ValueError):
    """A game request that cannot be taken (a bad group name, a design over the budget, a damaged file)."""


NEW_GAME = "the facilitator has started a new game: reload this page"
STORED = ("cost_programme", "dropout_rate", "significant_improvement_rate", "sustained_rate")
"""What a commit keeps of each seed's run: enough for every column of the table and for the debrief."""
SHARES = ("dropout_rate", "significant_improvement_rate", "sustained_rate")
"""The outcomes that are shares of the teams (0-1); the others here are money."""
PER_SUSTAINED = "programme_cost_per_sustained_improvement"
GAME_OUTCOMES: tuple[str, ...] = ("cost_programme", "dropout_rate", "significant_improvement_rate", "sustained_rate",
                                  PER_SUSTAINED)
"""What the facilitator's table shows for each group (in the words of :mod:`qicsim.analysis.labels`). The cost per
sustained improvement is the programme cost of all seeds over the teams that sustained improvement on all seeds (a
pooled ratio, so that a seed on which nobody sustained counts instead of dropping out)."""
BOOTSTRAP = 2000


class Settings(BaseModel):
    """What every group shares: the scenario, the budget for the programme cost, the seeds."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = sim.DEFAULT_SCENARIO
    budget: float = Field(gt=0, allow_inf_nan=False,
                          description="the sponsor's budget: the most mean programme cost over the seeds a design may "
                                      "have")
    reps: int = Field(8, ge=2, le=50, description="replicates (paired seeds) each design runs")
    seed: int = Field(DEFAULT_SEED, ge=0, description="base seed: replicate r runs with derive_seed(seed, r)")
    levers: Literal["challenges and components", "components"] = Field(
        "challenges and components", description="what groups set (the rest stays at the scenario's values)")

    def offered(self) -> tuple[Lever, ...]:
        return GAME_LEVERS[self.levers]

    def first_design(self) -> dict[str, Any]:
        """What a new group starts from: the scenario's own value of every lever offered."""
        return scenario_levers(self.scenario, self.offered())


class Group(BaseModel):
    """One group: the design it is working on, and the one it committed with what each seed's run gave."""

    model_config = ConfigDict(extra="forbid")
    draft: dict[str, Any]
    committed: dict[str, Any] | None = None
    outcomes: dict[str, list[float]] | None = None  # each of STORED, one value per replicate


class GameFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    qicsim_game: int = 1
    game: int = Field(1, ge=1, description="the game's number: a new game counts on, so that a page of an earlier "
                                           "game cannot write into this one")
    settings: Settings
    groups: dict[str, Group] = {}


def default_budget(scenario_name: str, reps: int = 8, seed: int = DEFAULT_SEED) -> float:
    """The scenario's own design's mean programme cost on the game's seeds, rounded up to two significant
    figures: the default design just fits (with 0-10% to spare, by the rounding), and anything added must be paid
    for by something taken away."""
    cost = float(run_designs(scenario_name, {"scenario": {}}, reps, seed)["cost_programme"].mean())
    step = 10 ** max(0, math.floor(math.log10(cost)) - 1)
    return float(math.ceil(cost / step) * step)


def clean_design(design: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """A whole design from a browser or the file: every lever the game offers and no other, each in the parameter's
    own type and within its range (:class:`GameError` naming the lever otherwise)."""
    offered = settings.offered()
    allowed = {lv.name for lv in offered}
    unknown = sorted(set(design) - allowed)
    if unknown:
        raise GameError(f"design: lever {unknown[0]!r} is not one this game offers; it offers: "
                        f"{', '.join(lv.name for lv in offered)}")
    missing = sorted(allowed - set(design))
    if missing:
        raise GameError(f"design: no value for lever {missing[0]!r}")
    for lv in offered:
        value, kind = design[lv.name], lv.kind
        fits = (isinstance(value, bool) if kind == "Checkbox" else isinstance(value, str) if kind == "Select"
                else isinstance(value, int | float) and not isinstance(value, bool))
        if not fits:
            wanted = {"Checkbox": "yes or no (true/false)", "Select": f"one of {', '.join(lv.choices)}"}
            raise GameError(f"design: {lv.name} = {str(value)[:40]!r}: expected {wanted.get(kind, 'a number')}")
    try:
        clean = {k: as_param(k, v) for k, v in design.items()}
        sim.load_scenario(settings.scenario).with_overrides(**clean)
    except (TypeError, ValueError) as err:  # ScenarioError is a ValueError
        raise GameError(f"design: {str(err).splitlines()[0][:200]}") from None
    return clean


class Game:
    """A workshop's game, kept in a JSON file: the settings and each group's draft and committed design.

    One server holds one :class:`Game`; every browser session reads and writes it through the methods here,
    under one lock, and every change is written to the file before the method returns (a temporary file,
    flushed to disk, renamed over the old one, so the file is always whole). A page says which game it belongs
    to (:meth:`join` gives the game's number); a request from a page of an earlier game is refused.
    """

    CACHED = 128
    """Designs whose runs are kept in memory: the cost a group sees while designing is the commit's, run once."""

    def __init__(self, path: Path | str, settings: Settings | None = None) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._runs: dict[tuple[int, str], pd.DataFrame] = {}
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
                clean_design(group.draft, data.settings)
                if (group.committed is None) != (group.outcomes is None):
                    raise GameError(f"group {name!r}: a committed design comes with its outcomes")
                if group.committed is not None:
                    clean_design(group.committed, data.settings)
                    if sorted(group.outcomes) != sorted(STORED) or any(
                            len(v) != data.settings.reps for v in group.outcomes.values()):
                        raise GameError(f"group {name!r}: outcomes need {', '.join(STORED)}, "
                                        f"{data.settings.reps} values each")
            return data
        except (OSError, UnicodeDecodeError, ValueError, TypeError) as err:  # json, pydantic and ours are ValueErrors
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
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- what the facilitator does --------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.data.settings

    @property
    def number(self) -> int:
        """The game's number (a new game counts on)."""
        return self.data.game

    def new_game(self, settings: Settings) -> Path | None:
        """Start again with ``settings``. The old game's file is kept beside the new one, named by its number
        (``<file>.game-N``; never overwritten), and returned."""
        sim.load_scenario(settings.scenario)
        with self._lock:
            kept = None
            if self.path.exists():
                kept = self.path.with_name(f"{self.path.name}.game-{self.data.game}")
                extra = 1
                while kept.exists():
                    extra += 1
                    kept = self.path.with_name(f"{self.path.name}.game-{self.data.game}-{extra}")
                self.path.replace(kept)
            self.data = GameFile(game=self.data.game + 1, settings=settings)
            self._runs.clear()
            self._write()
            return kept

    # -- what a group does ----------------------------------------------------------------------

    def groups(self) -> dict[str, Group]:
        with self._lock:
            return {name: group.model_copy(deep=True) for name, group in self.data.groups.items()}

    def name_of(self, name: str) -> str:
        """The group a typed name means: spaces around it dropped, and an existing group's own spelling when the
        name differs from it only in capitals (so "red" joins "Red" rather than a look-alike group)."""
        name = check_group_name(name.strip() if isinstance(name, str) else name)
        with self._lock:
            return next((known for known in self.data.groups if known.casefold() == name.casefold()), name)

    def join(self, name: str) -> tuple[str, int, Group]:
        """The group called ``name`` (see :meth:`name_of`), made with the scenario's own design if it is new (a
        reload finds it): its name, the game's number and the group."""
        with self._lock:
            name = self.name_of(name)
            if name not in self.data.groups:
                self.data.groups[name] = Group(draft=self.settings.first_design())
                self._write()
            return name, self.data.game, self.data.groups[name].model_copy(deep=True)

    def save_draft(self, name: str, game: int, design: Mapping[str, Any]) -> None:
        """Keep the whole design a group's page shows (at every change, so a reload loses nothing)."""
        with self._lock:
            self._same_game(game)
            draft = clean_design(design, self.settings)
            self._group(name).draft = draft
            self._write()

    def runs_of(self, design: Mapping[str, Any], wanted: Callable[[], bool] | None = None) -> pd.DataFrame | None:
        """The design's runs on the game's seeds (kept for the next asker), or None when ``wanted()`` turns false
        between two runs: a group's page asks for the cost of each design it shows, and a slider drag should not
        queue a run of every design it passed."""
        with self._lock:
            settings, number = self.settings, self.data.game
            design = clean_design(design, settings)
            key = (number, json.dumps(design, sort_keys=True))
            if key in self._runs:
                return self._runs[key]

        class Superseded(Exception):
            pass

        def check(done: int, total: int) -> None:
            if wanted is not None and not wanted():
                raise Superseded

        try:
            runs = run_designs(settings.scenario, {"design": design}, settings.reps, settings.seed, check)
        except Superseded:
            return None
        runs = runs[["replicate", *STORED]]
        with self._lock:
            if len(self._runs) >= self.CACHED:
                self._runs.pop(next(iter(self._runs)))
            self._runs[key] = runs
        return runs

    def cost_of(self, design: Mapping[str, Any], wanted: Callable[[], bool] | None = None) -> float | None:
        """A design's mean programme cost on the game's seeds: what the budget is held against (the same runs a
        commit makes, so the figure a group sees before committing is the one its design is judged by)."""
        runs = self.runs_of(design, wanted)
        return None if runs is None else float(runs["cost_programme"].mean())

    def commit(self, name: str, game: int, design: Mapping[str, Any]) -> Group:
        """Run the design the group's page shows on the game's seeds and keep it as the group's committed design,
        if its mean programme cost is within the budget (otherwise :class:`GameError` saying by how much it is
        over). Refused if a new game started or the group's design changed (another browser) meanwhile."""
        self.save_draft(name, game, design)
        design = clean_design(design, self.settings)
        runs = self.runs_of(design)
        with self._lock:
            self._same_game(game)
            group = self._group(name)
            if group.draft != design:
                raise GameError("your group's design changed while it ran (in another browser?): commit again")
            cost = float(runs["cost_programme"].mean())
            budget = self.settings.budget
            if cost > budget:
                raise GameError(f"over budget: this design's programme cost is {cost:,.0f}, {cost - budget:,.0f} "
                                f"more than the budget of {budget:,.0f}")
            group.committed = design
            group.outcomes = {k: [float(v) for v in runs[k]] for k in STORED}
            self._write()
            return group.model_copy(deep=True)

    def _same_game(self, game: int) -> None:
        if game != self.data.game:
            raise GameError(NEW_GAME)

    def _group(self, name: str) -> Group:
        try:
            return self.data.groups[name]
        except KeyError:
            raise GameError(f"no group called {name!r} in this game") from None

    # -- what the room sees -----------------------------------------------------------------------

    def snapshot(self) -> tuple[Settings, dict[str, Group]]:
        """The settings and the committed groups, taken together (a commit may come at any moment)."""
        with self._lock:
            committed = {n: g.model_copy(deep=True) for n, g in self.data.groups.items() if g.committed is not None}
            return self.settings, committed

    def table(self) -> pd.DataFrame:
        """:func:`standings` of the committed groups now."""
        return standings(*self.snapshot())

    def debrief(self) -> list[Explanation]:
        """For every committed group but the leader, why it sustained less: :func:`explain` (one snapshot)."""
        settings, groups = self.snapshot()
        table = standings(settings, groups)
        if table.empty:
            return []
        lead = str(table.index[0])
        return [explain(settings, name, groups[name], lead, groups[lead]) for name in table.index[1:]]


def check_group_name(name: str) -> str:
    if not isinstance(name, str) or not GROUP_NAME.fullmatch(name):
        shown_name = repr(name)[:40]
        raise GameError(f"group name {shown_name}: use 1-30 letters, digits, spaces, '-' or '_', starting with a "
                        "letter or digit")
    return name


def pooled_ratio(cost: np.ndarray, sustained: np.ndarray, seed: int) -> tuple[float, float, float]:
    """Programme cost of all seeds over sustained improvements on all seeds, with a 95% bootstrap interval over
    the seeds (percentiles of :data:`BOOTSTRAP` resamples, drawn from ``seed``); NaN when nobody sustained."""
    if sustained.sum() <= 0:
        return math.nan, math.nan, math.nan
    ratio = float(cost.sum() / sustained.sum())
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, cost.size, size=(BOOTSTRAP, cost.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = cost[picks].sum(axis=1) / sustained[picks].sum(axis=1)
    ratios = ratios[np.isfinite(ratios)]
    low, high = np.percentile(ratios, [50 * (1 - CONFIDENCE), 50 * (1 + CONFIDENCE)])
    return ratio, float(low), float(high)


def standings(settings: Settings, groups: Mapping[str, Group]) -> pd.DataFrame:
    """One row per committed group: each outcome's mean and 95% interval over the seeds (shares cut to 0-1, costs
    at 0), the cost per sustained improvement (:func:`pooled_ratio`), the rank (by sustained improvement, then
    lower programme cost) and how far behind the leader the group is on the same seeds (``behind`` ± ``behind_se``,
    in shares of teams): the intervals show how much collaboratives differ by chance, the paired gap how sure the
    ranking is."""
    teams = sim.load_scenario(settings.scenario).teams
    rows = []
    for name, group in groups.items():
        row: dict[str, Any] = {"group": name}
        for key in STORED:
            mean, low, high = interval(group.outcomes[key])
            top = 1.0 if key in SHARES else math.inf
            row[key], row[f"{key}_low"], row[f"{key}_high"] = mean, max(low, 0.0), min(high, top)
        cost = np.asarray(group.outcomes["cost_programme"])
        sustained = np.asarray(group.outcomes["sustained_rate"]) * teams
        row[PER_SUSTAINED], row[f"{PER_SUSTAINED}_low"], row[f"{PER_SUSTAINED}_high"] = pooled_ratio(
            cost, sustained, settings.seed)
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values([RANKED_BY, "cost_programme"], ascending=[False, True], kind="stable")
    table.insert(1, "rank", range(1, len(table) + 1))
    table = table.set_index("group")
    lead = groups[str(table.index[0])].outcomes[RANKED_BY]
    table["behind"], table["behind_se"] = zip(*(paired(lead, groups[name].outcomes[RANKED_BY])
                                                for name in table.index), strict=True)
    return table


# ---------------------------------------------------------------------------------------------
# the debrief
# ---------------------------------------------------------------------------------------------


class Part(BaseModel):
    """What taking the leader's choices for one challenge (or one component) alone does to a group's design."""

    heading: str  # "Challenge 9: Learning and planning for sustaining improvements" or "Component · Site visits"
    quote: str  # the paper's words on the challenge ("" for a component)
    levers: list[tuple[str, str, str]]  # (label, this group's value, the leader's value)
    sustained: float  # mean paired change in sustained improvement (share of teams)
    sustained_se: float
    cost: float  # mean paired change in programme cost


class Explanation(BaseModel):
    group: str
    leader: str
    gap: float  # leader's mean sustained improvement minus this group's (same seeds; share of teams)
    gap_se: float
    cost_gap: float
    parts: list[Part]

    @property
    def rest(self) -> float:
        """What the swaps, each taken alone, do not add up to: the choices acting together, and chance."""
        return self.gap - sum(p.sustained for p in self.parts)


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


def explain(settings: Settings, name: str, group: Group, leader: str, lead: Group) -> Explanation:
    """What separates group ``name`` from the ``leader``: for each challenge whose levers differ (and each differing
    component), the group's design with the leader's choices for that challenge alone, run on the same seeds. Each
    swap's mean paired change in sustained improvement (and programme cost) says what that challenge's choices do
    from where the group stands; the swaps need not add up to the gap (choices act together)."""
    design, leader_design = group.committed, lead.committed
    parts_levers = lever_groups(design, leader_design)
    designs = {heading: {**design, **{k: leader_design[k] for k in names}} for heading, names in parts_levers.items()}
    runs = run_designs(settings.scenario, designs, settings.reps, settings.seed) if designs else pd.DataFrame()
    parts = []
    for heading, names in parts_levers.items():
        swapped = runs[runs.design == heading].sort_values("replicate")
        sustained, se = paired(swapped[RANKED_BY], group.outcomes[RANKED_BY])
        number = challenge_of(lever(names[0]))
        parts.append(Part(heading=heading, quote=CHALLENGES[number][1] if number else "",
                          levers=[(lever(k).label, shown(design[k]), shown(leader_design[k])) for k in names],
                          sustained=sustained, sustained_se=se,
                          cost=paired(swapped["cost_programme"], group.outcomes["cost_programme"])[0]))
    parts.sort(key=lambda p: -abs(p.sustained))
    gap, gap_se = paired(lead.outcomes[RANKED_BY], group.outcomes[RANKED_BY])
    return Explanation(group=name, leader=leader, gap=gap, gap_se=gap_se,
                       cost_gap=paired(lead.outcomes["cost_programme"], group.outcomes["cost_programme"])[0],
                       parts=parts)


def points(share: float) -> str:
    """A difference in shares of teams, in percentage points."""
    return f"{100 * share:+.0f} points"


def format_explanation(e: Explanation, currency: str) -> str:
    """The debrief of one group as markdown, for the facilitator to read out."""
    if not e.parts:
        return f"**{e.group}** committed the same design as **{e.leader}**."
    lines = [f"**{e.group}** vs **{e.leader}**: on the same seeds, {e.leader}'s design sustains improvement in "
             f"{100 * e.gap:.0f} percentage points more of the teams (± {100 * e.gap_se:.0f}), for "
             f"{money(e.cost_gap, currency, signed=True)} programme cost. {e.group}'s design with {e.leader}'s "
             "choices for one challenge at a time:", ""]
    for p in e.parts:
        choices = "; ".join(f"{label} {ours} → {theirs}" for label, ours, theirs in p.levers)
        quote = f" — the paper: “{p.quote}”" if p.quote else ""
        lines.append(f"- **{p.heading}** ({choices}): sustained improvement {points(p.sustained)} "
                     f"(± {100 * p.sustained_se:.0f}), programme cost {money(p.cost, currency, signed=True)}{quote}")
    lines.append(f"- the rest, {points(e.rest)}: the choices acting together (swaps taken one at a time need not "
                 "add up), and chance")
    return "\n".join(lines)


def standings_figure(table: pd.DataFrame, budget: float, currency: str) -> Any:
    """The groups side by side, for a projector: sustained improvement and programme cost, each group's mean
    with its 95% interval over the game's seeds, the budget as a dashed line. Returns the Figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 0.9 + 0.45 * max(len(table), 1)), dpi=90, layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(table))[::-1]
    for ax, key, scale, words in ((left, RANKED_BY, 1.0, "sustained improvement (share of teams)"),
                                  (right, "cost_programme", 1000.0, f"programme cost ({currency} thousand)")):
        mean = table[key].to_numpy(dtype=float) / scale
        low = table[f"{key}_low"].to_numpy(dtype=float) / scale
        high = table[f"{key}_high"].to_numpy(dtype=float) / scale
        error = np.nan_to_num(np.vstack([mean - low, high - mean]))
        ax.errorbar(mean, y, xerr=error, fmt="o", color="tab:blue" if key == RANKED_BY else "tab:orange",
                    capsize=3)
        ax.set_xlabel(words)
        ax.grid(axis="x", alpha=0.3)
    right.axvline(budget / 1000.0, color="black", linestyle="--", linewidth=1, label="budget")
    right.legend(loc="lower right", fontsize=8)
    left.set_yticks(y, list(table.index))
    left.set_ylim(-0.7, len(table) - 0.3)
    return fig
