"""The workshop dashboard: four pages a room of clinicians and managers can use without a guide.

- **Run a collaborative**: pick a scenario, move the paper's levers (each with its one-line explanation beside
  it and its value on show), press Step to run four weeks (one month) at a time and watch performance, IHI
  scores, drop-out, cost and the teams' network unfold (:mod:`qicsim.live`).
- **Compare two designs**: two designs on the same seeds (common random numbers), so the difference shown is
  the designs' and not the dice's (:func:`qicsim.game.compare_designs`).
- **Budget game: your group** and **Budget game: facilitator**: groups design a collaborative under one budget
  and commit it; the model runs every design on the same seeds; the facilitator sees them side by side and a
  debrief that ties each difference to the paper's challenge behind it (:mod:`qicsim.game`; the 30-minute
  exercise is in docs/workshop.md).

Built on solara directly (not Mesa's SolaraViz): only the controls a workshop needs, a Step of exactly the
weeks the page says, and Reset always with the values on screen (the page keeps them; nothing is debounced).
A group's name is in its page's address (``/game?group=Red``), and its design is kept in the game file at every
change, so a reload, or a second browser for the same group, finds it again.

Serve it with ``qicsim app`` (:mod:`qicsim.cli_app`) or ``solara run qicsim.app``.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import solara
import solara.lab
from pydantic import ValidationError

from qicsim import scenarios, sim
from qicsim.analysis.labels import label
from qicsim.cli_app import DEFAULT_GAME_FILE, GAME_FILE_ENV
from qicsim.game import (
    GAME_OUTCOMES,
    NEW_GAME,
    RANKED_BY,
    SHARES,
    Game,
    GameError,
    Settings,
    compare_designs,
    default_budget,
    format_comparison,
    format_explanation,
    money,
    standings,
    standings_figure,
)
from qicsim.levers import DESIGN_LEVERS, GAME_LEVERS, LEVERS, Lever, as_param, design_levers, scenario_levers, shown
from qicsim.live import DEFAULT_SEED, STEP_WEEKS, DashboardModel, LiveCharts, lever_values, readout

TITLE = "qicsim workshop"
PLAY_INTERVAL_S = 0.3
"""Pause between the months Play runs, so a room can follow."""
REFRESH_S = 2.0
"""How often the facilitator's page looks for new commits."""
CSS = """
.qicsim-lever { padding-bottom: 10px; }  /* solara's column has margin 0 !important */
.qicsim-lever-label { font-weight: 500; font-size: 0.95em; }
.qicsim-lever .v-input--checkbox, .qicsim-lever .v-select { margin-top: 0; }
.qicsim-explain { color: #555; font-size: 0.85em; line-height: 1.25; }
.qicsim-chart img { width: 100%; height: auto; }
.qicsim-readout { font-size: 1.1em; }
"""


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------


@solara.component
def LeverInput(lv: Lever, value: Any, on_value) -> None:
    """One lever: its name and value above its input, and its explanation beneath."""
    label = f"{lv.title()}: {shown(value)}"
    with solara.Column(gap="0px", classes=["qicsim-lever"]):
        if lv.kind == "Checkbox":
            solara.Checkbox(label=label, value=bool(value), on_value=on_value)
        elif lv.kind == "Select":  # the choices in words ("in person"), their values as the model names them
            solara.v.Select(label=label, items=[{"text": shown(c), "value": c} for c in lv.choices], v_model=value,
                            on_v_model=on_value)
        else:
            solara.Div(children=[label], classes=["qicsim-lever-label"])
            if lv.kind == "SliderInt":
                solara.SliderInt("", value=int(value), on_value=on_value, min=min(int(lv.low), int(value)),
                                 max=max(int(lv.high), int(value)), step=int(lv.step))
            else:
                solara.SliderFloat("", value=float(value), on_value=on_value, min=min(lv.low, value),
                                   max=max(lv.high, value), step=lv.step)
        solara.Div(children=[lv.explanation], classes=["qicsim-explain"])


@solara.component
def LeverInputs(levers: tuple[Lever, ...], values: dict[str, Any], on_change, wide: bool = False) -> None:
    """An input for each of ``levers``; ``on_change(name, value)`` at every change. ``wide``: side by side in up
    to three columns, as the page's width allows."""
    def inputs() -> None:
        for lv in levers:
            LeverInput(lv, values[lv.name], lambda v, name=lv.name: on_change(name, as_param(name, v)))

    if wide:
        with solara.ColumnsResponsive(12, medium=6, xlarge=4):
            inputs()
    else:
        with solara.Column(gap="0px"):
            inputs()


# ---------------------------------------------------------------------------------------------
# page 1: a live run
# ---------------------------------------------------------------------------------------------


class LiveRun:
    """One run on the live page: the model, its charts, and the settings it was started with."""

    def __init__(self, scenario_name: str, seed: int, teams: int, levers: dict[str, Any]) -> None:
        self.settings = (scenario_name, int(seed), int(teams), dict(levers))
        self.model = DashboardModel(scenario_name, seed=seed, teams=teams, **levers)
        self.charts = LiveCharts(self.model)
        self.lock = threading.Lock()
        self.pictures = self.charts.pictures()
        self.text = readout(self.model)

    def step(self) -> None:
        """Run :data:`STEP_WEEKS` weeks (fewer at the end of follow-up) and redraw."""
        with self.lock:
            if self.model.advance(STEP_WEEKS):
                self.pictures = self.charts.pictures()
                self.text = readout(self.model)


@solara.component
def RunPage():
    scenario_name = solara.use_reactive(sim.DEFAULT_SCENARIO)
    seed = solara.use_reactive(DEFAULT_SEED)
    teams = solara.use_reactive(sim.load_scenario(sim.DEFAULT_SCENARIO).teams)
    values = solara.use_reactive(scenario_levers(sim.DEFAULT_SCENARIO))
    run = solara.use_reactive(solara.use_memo(
        lambda: LiveRun(sim.DEFAULT_SCENARIO, DEFAULT_SEED, teams.value, values.value), dependencies=[]))
    shown_week = solara.use_reactive(0)  # re-renders the page after a step
    playing = solara.use_reactive(False)

    def start(name: str, seed_value: int, team_count: int, levers: dict[str, Any]) -> None:
        playing.set(False)
        run.set(LiveRun(name, seed_value, team_count, levers))
        shown_week.set(0)

    def pick(name: str) -> None:
        scenario_name.set(name)
        values.set(scenario_levers(name))
        teams.set(sim.load_scenario(name).teams)
        start(name, seed.value, teams.value, values.value)

    def reset() -> None:
        start(scenario_name.value, seed.value, teams.value, values.value)

    def step() -> None:
        run.value.step()
        shown_week.set(run.value.model.steps)

    def play() -> None:
        """Step until paused, reset or at the end; stopped only between Steps (a Step cut short would leave the
        charts behind the model)."""
        current = run.value
        while playing.value and run.value is current and not current.model.finished:
            current.step()
            shown_week.set(current.model.steps)
            time.sleep(PLAY_INTERVAL_S)
        if run.value is current:
            playing.set(False)

    solara.use_thread(play, dependencies=[playing.value], intrusive_cancel=False)

    shown_week.value  # noqa: B018 -- read, so that a Step (which sets it) draws the page again
    current = run.value
    model = current.model
    on_screen = (scenario_name.value, int(seed.value), int(teams.value), values.value)
    changed = on_screen != current.settings

    solara.Title(f"{TITLE} · Run a collaborative")
    with solara.Sidebar():
        with solara.Card("Scenario"):
            solara.Select("Built-in scenario", values=scenarios.names(), value=scenario_name.value, on_value=pick)
            solara.Markdown(sim.load_scenario(scenario_name.value).description)
            with solara.Column(gap="0px", classes=["qicsim-lever"]):
                solara.Div(children=[f"Number of teams: {teams.value}"], classes=["qicsim-lever-label"])
                solara.SliderInt("", value=teams, min=5, max=max(100, teams.value))
            with solara.Column(gap="0px", classes=["qicsim-lever"]):
                solara.Div(children=[f"Random seed: {seed.value} (same seed = same teams)"],
                           classes=["qicsim-lever-label"])
                solara.SliderInt("", value=seed, min=1, max=100)
        with solara.Card("The levers (press Reset to run with them)"):
            LeverInputs(LEVERS, values.value, lambda k, v: values.set({**values.value, k: v}))

    with solara.Card(f"Scenario {current.settings[0]}"):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button(f"Step {STEP_WEEKS} weeks", color="primary", on_click=step,
                          disabled=playing.value or model.finished)
            solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                          disabled=model.finished and not playing.value)
            solara.Button("Reset", on_click=reset, color="warning" if changed else None)
            if changed:
                solara.Text("The levers on screen differ from this run's: press Reset to run with them.",
                            style={"color": "#b36b00"})
        solara.Div(children=[current.text], classes=["qicsim-readout"])
        solara.Div(children=[lever_values(model)], style={"color": "grey", "font-size": "0.9em"})
    with solara.ColumnsResponsive(12, large=6, xlarge=4):
        for k, picture in enumerate(current.pictures):
            solara.Image(picture, classes=["qicsim-chart", f"qicsim-chart-{k}"])


# ---------------------------------------------------------------------------------------------
# page 2: compare two designs
# ---------------------------------------------------------------------------------------------


@solara.component
def ComparePage():
    scenario_name = solara.use_reactive(sim.DEFAULT_SCENARIO)
    reps = solara.use_reactive(5)
    seed = solara.use_reactive(DEFAULT_SEED)
    a = solara.use_reactive(design_levers(sim.DEFAULT_SCENARIO))
    b = solara.use_reactive(design_levers(sim.DEFAULT_SCENARIO))

    def pick(name: str) -> None:
        scenario_name.set(name)
        a.set(design_levers(name))
        b.set(design_levers(name))

    def run() -> tuple[str, str]:
        name, n, base = scenario_name.value, reps.value, seed.value
        table = compare_designs(name, a.value, b.value, n, base)
        return (format_comparison(table, sim.load_scenario(name).currency),
                f"{name}: means over {n} paired seeds derived from base seed {base}")

    task = solara.lab.use_task(run, dependencies=None)
    solara.Title(f"{TITLE} · Compare two designs")
    with solara.Column():
        solara.Markdown("## Compare two designs\nSet the levers and the components (coaching, site visits, "
                        "calls, benchmark reports, a forum) of design A and design B, then run both on the same "
                        "seeds: the difference is the designs', not chance's. Success factors stay at the "
                        "scenario's values. To search every combination within a budget: `qicsim design`.")
        with solara.Row():
            solara.Select("Scenario", values=scenarios.names(), value=scenario_name.value, on_value=pick)
            solara.SliderInt(f"Replicates (paired seeds): {reps.value}", value=reps, min=2, max=20,
                             thumb_label="always")
            solara.SliderInt(f"Base seed: {seed.value}", value=seed, min=1, max=100, thumb_label="always")
        solara.Button("Run A and B", color="primary", on_click=task, disabled=task.pending,
                      classes=["qicsim-compare-run"])
        if task.pending:
            solara.ProgressLinear(True)
            solara.Text(f"running {2 * reps.value} simulations ...")
        elif task.error:
            solara.Error(f"could not compare: {task.exception}")
        elif task.finished and task.value:
            solara.Markdown(task.value[0], style={"font-size": "1.05em"})
            solara.Text(task.value[1])
        with solara.Columns([1, 1]):
            with solara.Card("Design A"):
                LeverInputs(DESIGN_LEVERS, a.value, lambda k, v: a.set({**a.value, k: v}))
            with solara.Card("Design B"):
                LeverInputs(DESIGN_LEVERS, b.value, lambda k, v: b.set({**b.value, k: v}))


# ---------------------------------------------------------------------------------------------
# pages 3 and 4: the budget game
# ---------------------------------------------------------------------------------------------

_game: Game | None = None
_game_lock = threading.Lock()


def game_file() -> Path:
    return Path(os.environ.get(GAME_FILE_ENV) or DEFAULT_GAME_FILE)


def the_game() -> Game:
    """The server's one game (every browser session shares it), opened from the game file on first use."""
    global _game
    with _game_lock:
        if _game is None or _game.path != game_file():
            _game = Game(game_file())
        return _game


def _interval_text(row: Any, key: str, currency: str) -> str:
    mean, low, high = row[key], row[f"{key}_low"], row[f"{key}_high"]
    if key not in SHARES:  # money
        if mean != mean:  # NaN: nobody sustained improvement on any seed
            return "n/a"
        if low != low:  # one seed: no interval
            return money(mean, currency)
        return f"{money(mean, currency)} ({low:,.0f}–{high:,.0f})"
    return f"{mean:.2f} ({low:.2f}–{high:.2f})"


def standings_text(settings: Settings, table: Any) -> str:
    """The facilitator's table: every committed group's outcomes with 95% intervals over the game's seeds, and
    how far behind the leader it is on the same seeds."""
    currency = sim.load_scenario(settings.scenario).currency
    if table.empty:
        return "No group has committed a design yet."
    head = "| rank | group | " + " | ".join(map(label, GAME_OUTCOMES)) + " | Behind the leader (same seeds) |"
    lines = [head, "|---:|---|" + "---:|" * (len(GAME_OUTCOMES) + 1)]
    for name, row in table.iterrows():
        cells = " | ".join(_interval_text(row, key, currency) for key in GAME_OUTCOMES)
        behind = "—" if row["rank"] == 1 else f"{100 * row['behind']:.0f} ± {100 * row['behind_se']:.0f} points"
        lines.append(f"| {int(row['rank'])} | {name} | {cells} | {behind} |")
    lines.append(f"\nMeans over {settings.reps} seeds (the same for every group) with 95% intervals, which show how "
                 "much collaboratives differ by chance. The groups ran on the same seeds, so the last column -- "
                 "each group's gap in sustained improvement to the leader, ± its standard error -- says how sure "
                 f"the ranking is. Ranked by {label(RANKED_BY).lower()}, then by lower programme cost; drop-out and "
                 "improvement are shares of the teams; the cost per sustained improvement pools all seeds (interval: "
                 "bootstrap over the seeds).")
    return "\n".join(lines)


def group_summary(settings: Settings, table: Any, name: str) -> str:
    if table.empty or name not in table.index:
        return "Not committed yet."
    row = table.loc[name]
    currency = sim.load_scenario(settings.scenario).currency
    parts = [f"{label(key)}: {_interval_text(row, key, currency)}" for key in GAME_OUTCOMES]
    return f"Committed; rank {int(row['rank'])} of {len(table)} so far. " + "; ".join(parts) + "."


@solara.component
def JoinGame(on_join, problem: str = "") -> None:
    name = solara.use_reactive("")
    error = solara.use_reactive(problem)

    def join() -> None:
        try:
            joined, _, _ = the_game().join(name.value)
        except GameError as err:
            error.set(str(err))
            return
        on_join(joined)

    solara.Markdown("## Budget game\nEvery group designs a collaborative for the same budget; the model then runs "
                    "every group's design on the same seeds. Type your group's name to start (a group that "
                    "has already started finds its design again).")
    with solara.Row():
        solara.InputText("Your group's name", value=name, continuous_update=True)
        solara.Button("Join the game", color="primary", on_click=join)
    if error.value:
        solara.Error(error.value)


@solara.component
def GamePage():
    router = solara.use_router()
    query = urllib.parse.parse_qs(router.search or "")
    asked = (query.get("group") or [""])[0]
    try:
        name = the_game().name_of(asked)
    except GameError as err:
        solara.Title(f"{TITLE} · Budget game")
        JoinGame(lambda n: router.push(f"{router.path or '/game'}?group={urllib.parse.quote(n)}"),
                 problem=str(err) if asked else "")
        return
    solara.Title(f"{TITLE} · Budget game · {name}")
    GroupDesign(name)


@solara.component
def GroupDesign(name: str) -> None:
    game = the_game()
    name, number, joined = solara.use_memo(lambda: game.join(name), dependencies=[name])
    draft = solara.use_reactive(joined.draft)
    committed = solara.use_reactive(joined.committed)
    message = solara.use_reactive("")
    settings = game.settings
    currency = sim.load_scenario(settings.scenario).currency

    def change(key: str, value: Any) -> None:
        design = {**draft.value, key: value}
        try:
            game.save_draft(name, number, design)
        except GameError as err:
            message.set(str(err))
            return
        draft.set(design)

    def cost_now() -> float | None:
        design = dict(draft.value)

        def wanted() -> bool:  # a slider still moving asks for another design: this one's runs can stop
            return draft.value == design

        time.sleep(0.3)
        return game.cost_of(design, wanted) if wanted() else None

    cost = solara.lab.use_task(cost_now, dependencies=[repr(draft.value)])

    def commit_now() -> None:
        try:
            group = game.commit(name, number, draft.value)
        except GameError as err:
            message.set(str(err))
            return
        committed.set(group.committed)
        message.set("")

    commit = solara.lab.use_task(commit_now, dependencies=None)
    stale = number != game.number
    solara.Markdown(f"## Group {name}\nDesign a collaborative for scenario **{settings.scenario}** within a "
                    f"budget of **{money(settings.budget, currency)}** for the programme (organisers, faculty, "
                    f"sessions, travel, coaching and the other components), held against the design's mean "
                    f"programme cost on the game's {settings.reps} seeds. The aim: the largest share of teams "
                    f"that improve significantly *and sustain it*. Your design is saved as you go.")
    if stale:
        solara.Error(NEW_GAME)
    with solara.Card("Your design's cost"):
        if cost.pending or (cost.finished and cost.value is None):
            solara.Text("working out the programme cost ...")
        elif cost.finished:
            over = cost.value > settings.budget
            solara.Markdown(f"Programme cost of this design: **{money(cost.value, currency)}** of "
                            f"{money(settings.budget, currency)} — "
                            + ("**over budget**: take something away." if over else "within budget."),
                            style={"color": "#b00020" if over else "inherit"})
        with solara.Row():
            solara.Button("Commit our design", color="primary", on_click=commit, disabled=commit.pending or stale,
                          classes=["qicsim-commit"])
            if commit.pending:
                solara.Text(f"running your design on {settings.reps} seeds ...")
            elif committed.value is not None and committed.value != draft.value:
                solara.Text("(your design has changed since you committed it)", style={"color": "#b36b00"})
        if message.value:
            solara.Error(message.value)
        solara.Div(children=[group_summary(*_standings(game), name)], classes=["qicsim-group-status"])
    with solara.Card("The levers"):
        LeverInputs(settings.offered(), draft.value, change, wide=True)
        if settings.levers == "challenges and components":
            solara.Markdown("*In the model, planning, data support and most of the challenges' levers cost the "
                            "sponsor nothing beyond the teams they keep in: an assumption (real planning takes "
                            "faculty and team time) worth arguing about in the debrief.*")


def _standings(game: Game) -> tuple[Settings, Any]:
    settings, groups = game.snapshot()
    return settings, standings(settings, groups)


@solara.component
def FacilitatorPage():
    game = the_game()
    tick = solara.use_reactive(0)
    scenario_name = solara.use_reactive(game.settings.scenario)
    budget = solara.use_reactive(game.settings.budget)
    reps = solara.use_reactive(game.settings.reps)
    seed = solara.use_reactive(game.settings.seed)
    offer = solara.use_reactive(game.settings.levers)
    sure = solara.use_reactive(False)
    problem = solara.use_reactive("")

    def poll() -> None:
        while True:
            time.sleep(REFRESH_S)
            tick.set(tick.value + 1)

    solara.use_thread(poll, dependencies=[])

    def new_game() -> None:
        try:
            kept = game.new_game(Settings(scenario=scenario_name.value, budget=budget.value, reps=reps.value,
                                          seed=seed.value, levers=offer.value))
        except (ValidationError, sim.ScenarioError, GameError) as err:
            detail = (f" ({err.errors()[0]['loc'][0]}: {err.errors()[0]['msg']})"
                      if isinstance(err, ValidationError) else "")
            problem.set(f"could not start a new game: {str(err).splitlines()[0][:200]}{detail}")
            return
        sure.set(False)
        problem.set(f"A new game has started; the last one is kept in {kept}." if kept else "")
        tick.set(tick.value + 1)

    def pick(name: str) -> None:
        scenario_name.set(name)
        budget.set(default_budget(name, reps.value, seed.value))

    def debrief_now() -> tuple[int, tuple[str, ...], str]:
        settings, groups = game.snapshot()
        currency = sim.load_scenario(settings.scenario).currency
        text = "\n\n".join(format_explanation(e, currency) for e in game.debrief())
        return game.number, tuple(sorted((n, repr(g.committed)) for n, g in groups.items())), (
            text or "Fewer than two groups have committed.")

    debrief = solara.lab.use_task(debrief_now, dependencies=None)

    tick.value  # noqa: B018 -- read, so that each refresh draws the page again
    settings, groups = game.snapshot()
    table = standings(settings, groups)
    currency = sim.load_scenario(settings.scenario).currency
    waiting = sorted(n for n, g in game.groups().items() if g.committed is None)
    figure = solara.use_memo(lambda: None if table.empty else standings_figure(table, settings.budget, currency),
                             dependencies=[repr(table.to_dict()), settings.budget])
    solara.Title(f"{TITLE} · Budget game: facilitator")
    solara.Markdown(f"## Budget game: all groups\nGame {game.number}: scenario **{settings.scenario}**, budget "
                    f"**{money(settings.budget, currency)}** for the mean programme cost over {settings.reps} seeds "
                    f"from base seed {settings.seed}; groups set the {settings.levers}. Groups join at the "
                    f"*Budget game: your group* page. Game file: `{game.path}`.")
    with solara.Column(classes=["qicsim-standings"]):
        solara.Markdown(standings_text(settings, table))
        if figure is not None:
            solara.FigureMatplotlib(figure, format="png", dependencies=[repr(table.to_dict())])
    if waiting:
        solara.Text("Joined, not committed yet: " + ", ".join(waiting))
    with solara.Row():
        solara.Button("Debrief: why the groups differ", color="primary", on_click=debrief,
                      disabled=debrief.pending)
        solara.Button("Refresh", on_click=lambda: tick.set(tick.value + 1))
    if debrief.pending:
        solara.ProgressLinear(True)
        solara.Text("running each group's design with the leader's choices, one challenge at a time ...")
    elif debrief.error:
        solara.Error(f"could not debrief: {debrief.exception}")
    elif debrief.finished and debrief.value:
        number, committed_then, text = debrief.value
        now = tuple(sorted((n, repr(g.committed)) for n, g in groups.items()))
        if (number, committed_then) != (game.number, now):
            solara.Warning("Groups have committed since this debrief (or a new game started): press Debrief again.")
        with solara.Column(classes=["qicsim-debrief"]):
            solara.Markdown(text)
    with solara.Card(f"A new game (this one is kept beside it, as {game.path.name}.game-{game.number})"):
        with solara.Row():
            solara.Select("Scenario", values=scenarios.names(), value=scenario_name.value, on_value=pick)
            solara.InputFloat("Budget for the programme", value=budget)
            solara.SliderInt(f"Seeds per design: {reps.value}", value=reps, min=2, max=30, thumb_label="always")
            solara.InputInt("Base seed", value=seed)
            solara.Select("Levers the groups set", values=list(GAME_LEVERS), value=offer)
        with solara.Row():
            solara.Checkbox(label="End the current game for every group", value=sure)
            solara.Button("Start a new game", on_click=new_game, color="warning", disabled=not sure.value)
        if problem.value:
            solara.Error(problem.value)


# ---------------------------------------------------------------------------------------------
# the app
# ---------------------------------------------------------------------------------------------


@solara.component
def Layout(children=[]):  # noqa: B006 -- solara's signature for a layout
    """Solara's app layout with the pages' own names in the tabs (solara's would show their paths). The page's
    style sheet rides in the app bar: an element made outside the returned layout would be dropped."""
    with solara.AppLayout(children=children, title=TITLE) as main, solara.AppBar():
        solara.Style(CSS)
        with solara.lab.Tabs(align="center"):
            for route in routes:
                solara.lab.Tab(route.label, path_or_route=route)
    return main


routes = [
    solara.Route(path="/", component=RunPage, label="Run a collaborative", layout=Layout),  # the root's layout
    # serves every page
    solara.Route(path="compare", component=ComparePage, label="Compare two designs"),
    solara.Route(path="game", component=GamePage, label="Budget game: your group"),
    solara.Route(path="facilitator", component=FacilitatorPage, label="Budget game: facilitator"),
]
"""The four pages, named in the tabs of the page's bar."""
