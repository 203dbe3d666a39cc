"""The what-if dashboard: a room of organisers or workshop participants moves the paper's levers
and watches a collaborative unfold, week by week, on Mesa's SolaraViz.

Why it looks the way it does:

- The levers are the paper's ten challenges (one control each) and its five success factors,
  with plain words, not parameter names. Each control starts at the chosen built-in scenario's value, so "what if" is
  always asked against a real design.
- One model step is one week; the charts are monthly, as the teams report monthly.
- Charts are matplotlib PNGs rendered on the server, so the page needs no JavaScript charting
  library from the internet (a workshop room's network is often poor).
- Compare mode runs two designs on the same seeds (common random numbers), so the difference it
  shows is the designs' and not the dice's. Its arithmetic is :func:`compare_designs`, a plain
  function tested without a browser.

Serve it with ``qicsim app`` (see :mod:`qicsim.cli_app`) or ``solara run qicsim.app``.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from qicsim import scenarios, sim
from qicsim.sim.parameters import parameter_info

DEFAULT_SEED = 1
PLAY_INTERVAL_MS = 150
STEP_WEEKS = 4
"""Weeks one press of Step runs (Mesa's render interval): the charts are monthly."""
CSS = """
.v-navigation-drawer .v-input__slider .v-label, .qicsim-compare .v-input__slider .v-label {
  white-space: normal; flex: 0 0 55%; max-width: 55%; line-height: 1.2; height: auto; }
"""
"""Let long lever labels wrap in the sidebar instead of squeezing the sliders."""
COMPARE_OUTCOMES: dict[str, str] = {
    "dropout_rate": "drop-out (share of teams)",
    "significant_improvement_rate": "significant improvement (share of teams)",
    "sustained_rate": "sustained improvement (share of teams)",
    "cost_per_significant_improvement": "cost per significant improvement",
    "cost_programme": "programme cost (the sponsor's budget)",
}
"""Outcomes compare mode reports, with the words it shows for them."""


# ---------------------------------------------------------------------------------------------
# the levers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lever:
    """One control: a scenario parameter, the words that explain it and the range offered."""

    name: str
    group: str  # "Challenge N" or "Success factor"
    label: str
    explanation: str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    design: bool = True  # an organiser's design choice (compare mode offers it) rather than context

    @property
    def kind(self) -> str:
        """The Mesa input type for this parameter."""
        default = parameter_info(self.name)["default"]
        if self.choices:
            return "Select"
        if isinstance(default, bool):
            return "Checkbox"
        return "SliderInt" if isinstance(default, int) else "SliderFloat"

    @property
    def choices(self) -> tuple[str, ...]:
        """The values a choice parameter allows (empty for a number or yes/no)."""
        return tuple(a for a in typing.get_args(sim.Scenario.model_fields[self.name].annotation) if isinstance(a, str))

    def title(self) -> str:
        return f"{self.group} · {self.label}"


LEVERS: tuple[Lever, ...] = (
    Lever("subject_specificity", "Challenge 1", "How narrow the subject is",
          "1 = one clear clinical process; 0 = a broad subject where teams each work on different things."),
    Lever("evidence_strength", "Challenge 1", "Strength of the evidence",
          "How well research backs the change package the faculty teach."),
    Lever("share_sent_by_management", "Challenge 2", "Teams sent by management",
          "Share of teams told to join rather than volunteering; sent teams start less motivated."),
    Lever("self_assessment", "Challenge 2", "Self-assessment before joining",
          "Applicants check their capacity to benefit and what support they need before enrolling."),
    Lever("leader_turnover_per_year", "Challenge 3", "Team-leader turnover per year",
          "Chance a year that a team's leader leaves; a change of leader often ends a team's project.",
          0.0, 1.5, 0.05),
    Lever("senior_engagement_plan", "Challenge 4", "Keeping senior leaders engaged",
          "0 = senior leaders only sign up; 1 = they are actively re-engaged at every session."),
    Lever("didactic_share", "Challenge 5", "Lecture share of sessions",
          "Share of learning-session time spent on lectures rather than practice and team time."),
    Lever("expert_credibility", "Challenge 6", "Credibility of the experts",
          "How credible and well briefed the faculty experts are; credible experts motivate teams."),
    Lever("target_ambition", "Challenge 7", "Ambition of the targets",
          "Share of the gap to best practice that each team's goal asks it to close.", 0.05, 1.0, 0.05),
    Lever("data_support", "Challenge 8", "Support for data collection",
          "Help teams get to collect and use their data; teams that can see improvement keep going."),
    Lever("sustain_planning", "Challenge 9", "Planning to sustain",
          "How much teams plan to build their changes into routines before the collaborative ends."),
    Lever("spread_planning", "Challenge 10", "Planning to spread",
          "How far teams and organisers plan and resource spread to other units and organisations."),
    Lever("teamwork_mean", "Success factor", "Teamwork",
          "How well the teams work together when they enrol.", design=False),
    Lever("qi_method_learning", "Success factor", "Learning QI methods",
          "How readily teams learn and apply quality improvement methods.", design=False),
    Lever("strategic_importance", "Success factor", "Strategic importance",
          "How much the subject matters to the home organisations' strategy (and protected time).",
          design=False),
    Lever("qi_culture", "Success factor", "Home QI culture",
          "How much the home organisations' culture supports quality improvement.", design=False),
    Lever("senior_support", "Success factor", "Management support",
          "How visibly senior leaders support the teams when they enrol.", design=False),
)
"""The ten challenges' levers and the five success factors."""

COMPONENT_LEVERS: tuple[Lever, ...] = (
    Lever("learning_sessions", "Component", "Learning sessions",
          "How many learning sessions (each followed by an action period).", 1, 6, 1),
    Lever("session_format", "Component", "Sessions held",
          "In person (with travel), by video (no travel, less practice, fewer ties) or not at all."),
    Lever("coaching_calls_per_month", "Component", "Coaching calls per month",
          "An improvement adviser's calls with each team: capability and motivation between sessions.",
          0.0, 4.0, 0.5),
    Lever("site_visits", "Component", "Site visits per team",
          "The adviser's visits to each team over the collaborative; they re-engage senior leaders.", 0, 4, 1),
    Lever("group_calls_per_month", "Component", "Group calls per month",
          "Calls for all teams: a teaching item, and tied teams exchange what works.", 0.0, 4.0, 0.5),
    Lever("benchmark_reports", "Component", "Benchmark reports",
          "Comparative data feedback: teams behind the median are spurred on; leaders see the report."),
    Lever("online_forum", "Component", "Online forum",
          "A forum where teams post the changes that worked; others take them up without a tie."),
)
"""The collaborative's components, which compare mode offers as levers (``qicsim design`` searches them)."""

LEVER_NAMES: tuple[str, ...] = tuple(lever.name for lever in LEVERS)


def lever(name: str) -> Lever:
    """The lever of one parameter name (a challenge's, a success factor's or a component's)."""
    return next(lv for lv in (*LEVERS, *COMPONENT_LEVERS) if lv.name == name)


def scenario_levers(scenario_name: str, levers: tuple[Lever, ...] = LEVERS) -> dict[str, Any]:
    """The built-in scenario's value of every lever (of the challenges, or of ``levers``)."""
    scenario = sim.load_scenario(scenario_name)
    return {lv.name: getattr(scenario, lv.name) for lv in levers}


def design_levers(scenario_name: str) -> dict[str, Any]:
    """What compare mode lets each design set: the challenges' design levers and the components."""
    return {**{k: v for k, v in scenario_levers(scenario_name).items() if lever(k).design},
            **scenario_levers(scenario_name, COMPONENT_LEVERS)}


def lever_input(lv: Lever, value: Any) -> dict[str, Any]:
    """A Mesa ``model_params`` entry for one lever, its range widened to hold ``value``."""
    if lv.kind == "Checkbox":
        return {"type": "Checkbox", "value": bool(value), "label": lv.title()}
    return {"type": lv.kind, "value": value, "label": lv.title(),
            "min": min(lv.low, value), "max": max(lv.high, value), "step": lv.step}


def model_params(scenario_name: str = sim.DEFAULT_SCENARIO) -> dict[str, Any]:
    """SolaraViz ``model_params``: the scenario (fixed), seed, team count and every lever."""
    values = scenario_levers(scenario_name)
    teams = sim.load_scenario(scenario_name).teams
    params: dict[str, Any] = {
        "scenario_name": scenario_name,
        "seed": {"type": "SliderInt", "value": DEFAULT_SEED, "label": "Random seed (same seed = same teams)",
                 "min": 1, "max": 100, "step": 1},
        "teams": {"type": "SliderInt", "value": teams, "label": "Number of teams", "min": 5,
                  "max": max(100, teams), "step": 1},
    }
    for lv in LEVERS:
        params[lv.name] = lever_input(lv, values[lv.name])
    return params


# ---------------------------------------------------------------------------------------------
# the model the dashboard drives
# ---------------------------------------------------------------------------------------------


class DashboardModel(sim.CollaborativeModel):
    """A collaborative built from a built-in scenario with the dashboard's levers on top.

    Every keyword is explicit (Mesa's Reset rebuilds the model from them); a lever left at None
    keeps the scenario's own value.
    """

    def __init__(
        self,
        scenario_name: str = sim.DEFAULT_SCENARIO,
        seed: int = DEFAULT_SEED,
        teams: int | None = None,
        subject_specificity: float | None = None,
        evidence_strength: float | None = None,
        share_sent_by_management: float | None = None,
        self_assessment: bool | None = None,
        leader_turnover_per_year: float | None = None,
        senior_engagement_plan: float | None = None,
        didactic_share: float | None = None,
        expert_credibility: float | None = None,
        target_ambition: float | None = None,
        data_support: float | None = None,
        sustain_planning: float | None = None,
        spread_planning: float | None = None,
        teamwork_mean: float | None = None,
        qi_method_learning: float | None = None,
        strategic_importance: float | None = None,
        qi_culture: float | None = None,
        senior_support: float | None = None,
    ) -> None:
        given = dict(locals())
        overrides = {k: _as_param(k, v) for k, v in given.items() if k in (*LEVER_NAMES, "teams") and v is not None}
        self.scenario_name = scenario_name
        self.seed = int(seed)
        super().__init__(sim.load_scenario(scenario_name).with_overrides(**overrides), rng=int(seed))

    @property
    def goal(self) -> float:
        """Mean of the teams' goals: each closes ``target_ambition`` of its gap to best practice."""
        p = self.params
        return float(np.mean([t.baseline - p.target_ambition * (t.baseline - p.best_practice_performance)
                              for t in self.teams]))

    @property
    def baseline(self) -> float:
        return float(np.mean([t.baseline for t in self.teams]))


def _as_param(name: str, value: Any) -> Any:
    """A widget value in the type the strict schema wants (sliders may hand over ints for floats)."""
    default = parameter_info(name)["default"]
    if isinstance(default, str):  # a choice
        return str(value)
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, int):
        return int(value)
    return float(value)


# ---------------------------------------------------------------------------------------------
# charts: plain functions of a model, so that they are testable without a browser
# ---------------------------------------------------------------------------------------------


def monthly(model: sim.CollaborativeModel) -> pd.DataFrame:
    """The model's monthly series (month 0 = enrolment), without the summary the last month adds."""
    from qicsim.sim.model import SERIES

    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)[list(SERIES)]


def _figure(title: str) -> tuple[Figure, Any]:
    fig = Figure(figsize=(5.2, 3.0), dpi=90, layout="constrained")
    ax = fig.subplots()
    ax.set_title(title, fontsize=11)
    return fig, ax


def _month_axis(ax: Any, model: sim.CollaborativeModel) -> None:
    """Months from enrolment to the end of follow-up; a line where the collaborative ends."""
    ax.set_xlim(0, max(model.calendar.months, 1))
    ax.axvline(model.calendar.end_month, color="black", alpha=0.3, linewidth=1)
    ax.set_xlabel("month (line: end of the collaborative)")


def performance_figure(model: DashboardModel) -> Figure:
    """Mean true performance of all teams against their mean goal and baseline."""
    p = model.params
    df = monthly(model)
    lower_better = p.measure_direction == "lower_is_better"
    fig, ax = _figure(f"Performance against target ({'lower' if lower_better else 'higher'} is better)")
    ax.axhline(model.baseline, color="grey", linestyle=":", label="baseline")
    ax.axhline(model.goal, color="tab:green", linestyle="--", label="target")
    ax.plot(df["month"], df["mean_performance"], color="tab:blue", marker=".", label="mean of all teams")
    ax.set_ylabel(p.measure_unit)
    _month_axis(ax, model)
    ax.legend(loc="best", fontsize=8)
    return fig


IHI_SCORES = tuple(x / 2 for x in range(1, 11))  # 0.5 ... 5.0


def ihi_counts(model: sim.CollaborativeModel) -> list[int]:
    """How many teams have each IHI score now (dropped teams keep their last score)."""
    scores = [round(t.ihi_score * 2) / 2 for t in model.teams]
    return [sum(s == x for s in scores) for x in IHI_SCORES]


def ihi_figure(model: sim.CollaborativeModel) -> Figure:
    fig, ax = _figure(f"IHI assessment scores, month {model.report_month}")
    ax.bar(IHI_SCORES, ihi_counts(model), width=0.4, color=[_ihi_colour(x) for x in IHI_SCORES])
    ax.set_xticks(IHI_SCORES)
    ax.set_xlabel("IHI score (2 = baseline data, 3 = modest, 4 = significant improvement)")
    ax.set_ylabel("teams")
    ax.set_ylim(0, len(model.teams))
    return fig


def teams_figure(model: sim.CollaborativeModel) -> Figure:
    df = monthly(model)
    fig, ax = _figure("Teams active and dropped out")
    ax.plot(df["month"], df["active_teams"], color="tab:blue", label="active")
    ax.plot(df["month"], df["dropped_teams"], color="tab:red", label="dropped out")
    ax.set_ylim(0, len(model.teams) + 1)
    _month_axis(ax, model)
    ax.set_ylabel("teams")
    ax.legend(loc="best", fontsize=8)
    return fig


def cost_figure(model: sim.CollaborativeModel) -> Figure:
    df = monthly(model)
    currency = model.params.currency
    fig, ax = _figure(f"Cost so far ({currency}, thousands)")
    ax.fill_between(df["month"], df["cost_so_far"] / 1000, color="tab:orange", alpha=0.5)
    ax.plot(df["month"], df["cost_so_far"] / 1000, color="tab:orange")
    _month_axis(ax, model)
    ax.set_ylabel(f"{currency} 000")
    return fig


def _ihi_colour(score: float) -> tuple[float, float, float, float]:
    from matplotlib import colormaps

    return colormaps["RdYlGn"]((score - 0.5) / 4.5)


def network_figure(model: sim.CollaborativeModel) -> Figure:
    """The teams on a circle, coloured by IHI score, with the ties between them (darker = stronger);
    dropped teams as grey crosses."""
    fig, ax = _figure("Teams by IHI score, and their ties")
    n = len(model.teams)
    for a, b, strength in model.ties.pairs():
        xa, ya = math.cos(2 * math.pi * a / n), math.sin(2 * math.pi * a / n)
        xb, yb = math.cos(2 * math.pi * b / n), math.sin(2 * math.pi * b / n)
        ax.plot([xa, xb], [ya, yb], color="tab:blue", alpha=0.15 + 0.5 * strength, lw=0.6, zorder=0)
    for i, team in enumerate(model.teams):
        angle = 2 * math.pi * i / n
        x, y = math.cos(angle), math.sin(angle)
        if team.status == "dropped":
            ax.scatter([x], [y], marker="x", color="grey", s=60)
        else:
            ax.scatter([x], [y], color=_ihi_colour(team.ihi_score), s=220, edgecolors="black", linewidths=0.5)
            ax.annotate(f"{team.ihi_score:.1f}", (x, y), ha="center", va="center", fontsize=6)
    ax.set_aspect("equal")
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.axis("off")
    return fig


def readout(model: DashboardModel) -> str:
    """One line of numbers a room can read aloud (the browser test reads it too)."""
    teams = model.teams
    active = sum(t.active for t in teams)
    dropped = sum(t.status == "dropped" for t in teams)
    mean_ihi = float(np.mean([t.ihi_score for t in teams]))
    return (f"Week {model.steps} · month {model.report_month} · {active} active, {dropped} dropped out of "
            f"{len(teams)} teams · mean IHI score {mean_ihi:.2f} · mean performance "
            f"{float(np.mean([t.performance for t in teams])):.3f} (target {model.goal:.3f}) · cost so far "
            f"{model.params.currency} {model.total_cost:,.0f} · spread to "
            f"{int(np.count_nonzero(~np.isnan(model.unit_states.adopted_month)))} other units")


def lever_values(model: DashboardModel) -> str:
    """The levers in effect in this run (Mesa's sliders do not show their numbers)."""
    parts = []
    for lv in LEVERS:
        value = getattr(model.params, lv.name)
        parts.append(f"{lv.label}: {('yes' if value else 'no') if isinstance(value, bool) else f'{value:g}'}")
    return "This run: " + "; ".join(parts) + f"; seed {model.seed}."


# ---------------------------------------------------------------------------------------------
# compare mode
# ---------------------------------------------------------------------------------------------


def compare_designs(scenario_name: str, a: dict[str, Any], b: dict[str, Any], reps: int = 5,
                    seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Mean outcomes of designs A and B over the same seeds, and the paired difference B − A.

    Replicate r of both designs runs with ``sim.derive_seed(seed, r)``. Rows are the outcomes of
    :data:`COMPARE_OUTCOMES`; columns ``A``, ``B``, ``B - A`` (mean of paired differences) and
    ``se`` (its standard error). A cost per improvement with no improvement is NaN and left out.
    """
    if reps < 1:
        raise ValueError(f"reps = {reps}: at least one replicate is needed")
    base = sim.load_scenario(scenario_name)
    design_a, design_b = base.with_overrides(**a), base.with_overrides(**b)
    rows: list[dict[str, float]] = []
    for r in range(reps):
        s = sim.derive_seed(seed, r)
        sa, sb = sim.run(design_a, seed=s).summary, sim.run(design_b, seed=s).summary
        rows.append({**{f"A:{k}": sa[k] for k in COMPARE_OUTCOMES}, **{f"B:{k}": sb[k] for k in COMPARE_OUTCOMES}})
    runs = pd.DataFrame(rows)
    table = []
    for key in COMPARE_OUTCOMES:
        diff = (runs[f"B:{key}"] - runs[f"A:{key}"]).dropna()
        se = float(diff.std(ddof=1) / math.sqrt(len(diff))) if len(diff) > 1 else math.nan
        table.append({"outcome": key, "A": runs[f"A:{key}"].mean(), "B": runs[f"B:{key}"].mean(),
                      "B - A": diff.mean() if len(diff) else math.nan, "se": se})
    return pd.DataFrame(table).set_index("outcome")


def format_comparison(table: pd.DataFrame, currency: str) -> str:
    """The comparison as a markdown table in plain words."""
    lines = ["| outcome | A | B | B − A (± se) |", "|---|---:|---:|---:|"]
    for key, row in table.iterrows():
        money = key.startswith("cost")

        def fmt(x: float, money: bool = money) -> str:
            if x is None or (isinstance(x, float) and math.isnan(x)):
                return "n/a"
            return f"{currency} {x:,.0f}" if money else f"{x:.3f}"

        diff = "n/a" if math.isnan(row["B - A"]) else f"{fmt(row['B - A'])} (± {fmt(row['se'])})"
        lines.append(f"| {COMPARE_OUTCOMES[key]} | {fmt(row['A'])} | {fmt(row['B'])} | {diff} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# solara components
# ---------------------------------------------------------------------------------------------


def _chart(make_figure):
    """A SolaraViz component drawing ``make_figure(model)`` again after every step."""

    def Chart(model):
        update_counter.get()
        return solara.FigureMatplotlib(make_figure(model), format="png", dependencies=[update_counter.value])

    Chart.__name__ = f"Chart_{make_figure.__name__}"
    return Chart


@solara.component
def Readout(model: DashboardModel):
    update_counter.get()
    with solara.Card(f"Scenario {model.scenario_name}"), solara.Column():
        solara.Div(children=[readout(model)], classes=["qicsim-readout"], style={"font-size": "1.1em"})
        solara.Div(children=[lever_values(model)], style={"color": "grey", "font-size": "0.9em"})
        solara.Markdown("Move the levers on the left, then press **Reset** to start again with them. "
                        f"**Step** runs {STEP_WEEKS} weeks (about a month); **▶** plays, **❚❚** pauses. "
                        "Page 1 compares two designs.")


@solara.component
def LeverInputs(values: solara.Reactive[dict], side: str) -> None:
    """Sliders for the design levers and the components of one side of compare mode."""
    solara.Markdown(f"**Design {side}**")
    for lv in (*(x for x in LEVERS if x.design), *COMPONENT_LEVERS):
        def on_value(v, name=lv.name):
            values.set({**values.value, name: v})

        current = values.value[lv.name]
        label = f"{lv.group.replace('Challenge', 'Ch.')} · {lv.label}"
        if lv.kind == "Checkbox":
            solara.Checkbox(label=label, value=bool(current), on_value=on_value)
        elif lv.kind == "Select":
            solara.Select(label, values=list(lv.choices), value=current, on_value=on_value)
        elif lv.kind == "SliderInt":
            solara.SliderInt(label, value=int(current), on_value=on_value, min=min(int(lv.low), current),
                             max=max(int(lv.high), current), step=int(lv.step), thumb_label="always")
        else:
            solara.SliderFloat(label, value=float(current), on_value=on_value, min=min(lv.low, current),
                               max=max(lv.high, current), step=lv.step, thumb_label="always")


@solara.component
def Compare(model: DashboardModel):
    """Compare mode: two designs on the same seeds; the table shows A, B and B − A."""
    scenario_name = solara.use_reactive(model.scenario_name)
    reps = solara.use_reactive(5)
    seed = solara.use_reactive(DEFAULT_SEED)
    a = solara.use_reactive(design_levers(model.scenario_name))
    b = solara.use_reactive(design_levers(model.scenario_name))
    def pick(name: str) -> None:
        scenario_name.set(name)
        a.set(design_levers(name))
        b.set(design_levers(name))

    def design(values: dict) -> dict:
        return {k: _as_param(k, values[k]) for k in values}

    def run() -> str:
        table = compare_designs(scenario_name.value, design(a.value), design(b.value), reps.value, seed.value)
        return format_comparison(table, sim.load_scenario(scenario_name.value).currency)

    task = solara.lab.use_task(run, dependencies=None)

    with solara.Column(classes=["qicsim-compare"]):
        solara.Markdown("## Compare two designs\nSet the levers and the components (coaching, site visits, "
                        "calls, benchmark reports, a forum) of design A and design B, then run both on the same "
                        "seeds: the difference is the designs', not chance's. Success factors stay at the "
                        "scenario's values. To search every combination within a budget: `qicsim design`.")
        solara.Select("Scenario", values=scenarios.names(), value=scenario_name.value, on_value=pick)
        solara.SliderInt("Replicates (paired seeds)", value=reps, min=2, max=20, thumb_label="always")
        solara.SliderInt("Base seed", value=seed, min=1, max=100, thumb_label="always")
        with solara.Columns([1, 1]):
            with solara.Column():
                LeverInputs(a, "A")
            with solara.Column():
                LeverInputs(b, "B")
        solara.Button("Run A and B", color="primary", on_click=task, disabled=task.pending,
                      classes=["qicsim-compare-run"])
        if task.pending:
            solara.ProgressLinear(True)
            solara.Text(f"running {2 * reps.value} simulations ...")
        elif task.error:
            solara.Error(f"could not compare: {task.exception}")
        elif task.finished and task.value:
            solara.Markdown(task.value, style={"font-size": "1.05em"})
            solara.Text(f"means over {reps.value} paired seeds derived from base seed {seed.value}")


def lever_guide() -> str:
    """Every lever in plain words, as markdown."""
    return ("**What the levers mean** (they take effect when you press Reset)\n\n"
            + "\n".join(f"- **{lv.title()}**: {lv.explanation}" for lv in LEVERS))


@solara.component
def LeverGuide(model: DashboardModel):
    with solara.Card("The levers"):
        solara.Markdown(lever_guide())


CHARTS = (performance_figure, ihi_figure, teams_figure, cost_figure, network_figure)
COMPONENTS = [(Readout, 0), *[(_chart(f), 0) for f in CHARTS], (LeverGuide, 0), (Compare, 1)]


@solara.component
def Page():
    """The dashboard: a scenario picker, then Mesa's SolaraViz (page 0 live, page 1 compare)."""
    scenario_name = solara.use_reactive(sim.DEFAULT_SCENARIO)
    model = solara.use_memo(lambda: DashboardModel(scenario_name=scenario_name.value),
                            dependencies=[scenario_name.value])
    solara.Style(CSS)
    with solara.Sidebar(), solara.Card("Scenario"), solara.Column():
        solara.Select("Built-in scenario", values=scenarios.names(), value=scenario_name)
        solara.Markdown(sim.load_scenario(scenario_name.value).description)
    SolaraViz(model, components=list(COMPONENTS), model_params=model_params(scenario_name.value),
              name="qicsim: what if?", play_interval=PLAY_INTERVAL_MS,
              render_interval=STEP_WEEKS).key(f"viz-{scenario_name.value}")


page = Page
