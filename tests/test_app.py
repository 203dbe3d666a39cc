"""The dashboard's pieces without a browser: levers, the live run and its charts, the pages rendered by solara's
test renderer (Step, Reset, the game), compare mode and the command."""

from __future__ import annotations

import math

import ipyvuetify as v
import numpy as np
import pytest
import solara

from qicsim import app, cli, cli_app, levers, live, scenarios, sim
from qicsim.game import compare_designs, format_comparison
from qicsim.sim.parameters import PARAMETER_NAMES


def test_levers_are_the_ten_challenges_and_five_success_factors():
    groups = [lv.group for lv in levers.LEVERS]
    challenges = {g for g in groups if g.startswith("Challenge")}
    assert challenges == {f"Challenge {n}" for n in range(1, 11)}
    assert set(levers.CHALLENGES) == set(range(1, 11))
    factors = [lv.name for lv in levers.LEVERS if lv.group == "Success factor"]
    assert factors == ["teamwork_mean", "qi_method_learning", "strategic_importance", "qi_culture", "senior_support"]
    for lv in (*levers.LEVERS, *levers.COMPONENT_LEVERS):
        assert lv.name in PARAMETER_NAMES
        assert lv.label and lv.explanation.endswith("."), lv.name
        assert "_" not in lv.label, f"{lv.name}: the label should be plain words"
    assert {lv.name for lv in levers.DESIGN_LEVERS} >= {lv.name for lv in levers.COMPONENT_LEVERS}
    assert not {lv.name for lv in levers.DESIGN_LEVERS} & set(factors), "success factors are context, not design"


@pytest.mark.parametrize("name", scenarios.names())
def test_every_scenario_builds_on_the_live_page_with_its_own_values(name):
    values = levers.scenario_levers(name)
    scenario = sim.load_scenario(name)
    assert values == {lv.name: getattr(scenario, lv.name) for lv in levers.LEVERS}
    model = live.DashboardModel(name, seed=2, teams=min(scenario.teams, 12), **values)
    assert model.params.parameters() == scenario.model_copy(
        update={"best_practice_performance": scenario.best_practice(), "teams": min(scenario.teams, 12)}).parameters()


def test_levers_reach_the_model_and_none_keeps_the_scenario():
    model = live.DashboardModel("didactic-heavy", seed=3, teams=12, didactic_share=0.1, self_assessment=1)
    assert model.params.didactic_share == 0.1 and model.params.self_assessment is True
    assert model.params.teams == len(model.teams) == 12
    plain = live.DashboardModel("didactic-heavy", seed=3)
    assert plain.params.didactic_share == sim.load_scenario("didactic-heavy").didactic_share
    with pytest.raises(TypeError, match="unknown lever"):
        live.DashboardModel(seed=3, coaching=1.0)


def test_goal_is_between_baseline_and_best_practice():
    model = live.DashboardModel(seed=2, teams=10, target_ambition=0.5)
    best = model.params.best_practice_performance
    assert model.goal == pytest.approx(model.baseline - 0.5 * (model.baseline - best))
    higher = live.DashboardModel(seed=2, teams=10, target_ambition=0.9)
    assert abs(higher.goal - best) < abs(model.goal - best)


def test_a_step_runs_four_weeks_and_stops_at_the_end_of_follow_up():
    model = live.DashboardModel(seed=4, teams=6)
    assert model.advance() == live.STEP_WEEKS == 4 and model.steps == 4
    weeks = []
    while not model.finished:
        weeks.append(model.advance())
    assert set(weeks[:-1]) == {4} and 1 <= weeks[-1] <= 4
    assert model.report_month == model.calendar.months
    assert model.advance() == 0


def _pixels(picture: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(picture)).convert("RGB"), dtype=int)


def test_blitted_charts_equal_charts_drawn_afresh():
    """A picture drawn on the kept bitmap looks like the same chart drawn whole from the same model."""
    model = live.DashboardModel(seed=4, teams=10)
    charts = live.LiveCharts(model)
    charts.pictures()
    for _ in range(12):
        model.advance()
        kept = charts.pictures()
    fresh = live.LiveCharts(model).pictures()
    assert len(kept) == len(fresh) == len(live.CHARTS)
    for chart, a, b in zip(live.CHARTS, kept, fresh, strict=True):
        differ = np.abs(_pixels(a) - _pixels(b)).max(axis=2) > 40
        assert differ.mean() < 0.002, f"{chart.__name__}: {differ.mean():.4f} of pixels differ"


def test_charts_follow_the_run_and_count_whole_teams():
    model = live.DashboardModel(seed=4, teams=10)
    charts = live.LiveCharts(model)
    first = charts.pictures()
    for _ in range(8):
        model.advance()
    later = charts.pictures()
    assert all(a != b for a, b in zip(first, later, strict=True)), "every chart changes over eight steps"
    assert sum(live.ihi_counts(model)) == 10
    ihi = next(c for c in charts.charts if isinstance(c, live.IhiChart))
    ticks = ihi.ax.get_yticks()
    assert np.allclose(ticks, np.round(ticks)), f"the IHI chart counts whole teams: {ticks}"
    for chart in charts.charts:
        title = chart.ax.get_title()
        assert title, type(chart).__name__
        if not isinstance(chart, live.NetworkChart):
            assert chart.ax.get_xlabel() and chart.ax.get_ylabel(), type(chart).__name__
    network = next(c for c in charts.charts if isinstance(c, live.NetworkChart))
    assert network.ax.get_legend() is not None
    assert len(network.carried.get_segments()) > 0, "after eight months some ties carried changes"
    carried = model.ties.carried + model.ties.carried.T
    assert len(network.carried.get_segments()) == int(np.count_nonzero(np.triu(carried, k=1)))


def test_readout_and_lever_values_say_what_the_run_is():
    model = live.DashboardModel(seed=7, teams=5, didactic_share=0.85, self_assessment=True)
    text = live.lever_values(model)
    assert "Lecture share of sessions: 0.85" in text and "Self-assessment before joining: yes" in text
    assert text.endswith("seed 7.")
    assert live.readout(model).startswith("Week 0 · month 0 of ")
    model.advance()
    assert live.readout(model).startswith("Week 4 ·")


# -- the pages, rendered by solara's test renderer --------------------------------------------


def _readout(rc) -> str:
    return rc.find(v.Html, class_="qicsim-readout").widget.children[0]


def _button(rc, text: str):
    found = rc.find(v.Btn, children=[text])
    found.assert_single()
    return found.widget


def test_step_button_runs_the_weeks_it_names(render):
    box, rc = render(app.RunPage)
    assert _readout(rc).startswith("Week 0 ")
    step = _button(rc, f"Step {live.STEP_WEEKS} weeks")
    weeks = []
    for _ in range(5):
        step.click()
        weeks.append(int(_readout(rc).split()[1]))
    assert weeks == [4, 8, 12, 16, 20]


def test_every_lever_shows_its_value_and_its_explanation(render):
    box, rc = render(app.RunPage)
    labels = [w.children[0] for w in rc.find(v.Html, class_="qicsim-lever-label").widgets]
    explained = [w.children[0] for w in rc.find(v.Html, class_="qicsim-explain").widgets]
    values = levers.scenario_levers(sim.DEFAULT_SCENARIO)
    for lv in levers.LEVERS:
        if lv.kind.startswith("Slider"):
            assert f"{lv.title()}: {levers.shown(values[lv.name])}" in labels, lv.name
        assert lv.explanation in explained, lv.name


def test_reset_runs_with_the_values_on_the_page(render):
    box, rc = render(app.RunPage)
    _button(rc, f"Step {live.STEP_WEEKS} weeks").click()
    teams = rc.find(v.Slider).widgets[0]  # the sidebar's first slider: the number of teams
    assert rc.find(v.Html, children=["Number of teams: 30"])
    teams.v_model = 7
    assert "of 30 teams" in _readout(rc), "a lever takes effect at Reset, not before"
    assert rc.find(v.Html, children=["Number of teams: 7"])
    _button(rc, "Reset").click()
    assert _readout(rc).startswith("Week 0 ") and "of 7 teams" in _readout(rc)


def test_compare_designs_pairs_seeds_and_reports_b_minus_a():
    table = compare_designs("breakthrough", {"teams": 10}, {"teams": 10, "didactic_share": 0.9}, reps=3, seed=5)
    assert list(table.columns) == ["A", "B", "B - A", "se"]
    seeds = [sim.derive_seed(5, r) for r in range(3)]
    a = [sim.run("breakthrough", seed=s, teams=10).summary["dropout_rate"] for s in seeds]
    b = [sim.run("breakthrough", seed=s, teams=10, didactic_share=0.9).summary["dropout_rate"] for s in seeds]
    assert table.loc["dropout_rate", "A"] == pytest.approx(sum(a) / 3)
    assert table.loc["dropout_rate", "B - A"] == pytest.approx((sum(b) - sum(a)) / 3)
    same = compare_designs("breakthrough", {"teams": 10}, {"teams": 10}, reps=2, seed=5)
    assert (same["B - A"].fillna(0) == 0).all()
    text = format_comparison(table, "USD")
    assert "Drop-out rate" in text and "USD" in text


def test_compare_designs_refuses_bad_input():
    with pytest.raises(ValueError):
        compare_designs("breakthrough", {}, {}, reps=0)
    with pytest.raises(sim.ScenarioError):
        compare_designs("breakthrough", {}, {"didactic_share": 2.0}, reps=1)


def test_cost_per_improvement_without_improvement_is_left_out():
    """With no intervention nobody improves significantly: the cost per improvement is n/a, not a crash."""
    table = compare_designs("breakthrough", {"teams": 3, "mode": "none"}, {"teams": 3, "mode": "none"}, reps=2)
    row = table.loc["cost_per_significant_improvement"]
    assert math.isnan(row["A"]) and math.isnan(row["B"]) and math.isnan(row["B - A"])
    assert "| Cost per significant improvement | n/a | n/a | n/a |" in format_comparison(table, "USD")


def test_compare_mode_offers_the_components_as_levers():
    """Every component is a lever of compare mode, with an input that fits its kind; a design with coaching
    costs the programme more on the same seeds."""
    values = levers.design_levers("design-coaching-only")
    assert {lv.name for lv in levers.COMPONENT_LEVERS} <= set(values)
    assert values["session_format"] == "none" and values["coaching_calls_per_month"] == 1.0
    kinds = {lv.name: lv.kind for lv in levers.COMPONENT_LEVERS}
    assert kinds["session_format"] == kinds["benchmark_reports"] == "Select"
    assert kinds["online_forum"] == "Checkbox" and kinds["site_visits"] == "SliderInt"
    assert levers.lever("benchmark_reports").choices == ("none", "quarterly", "monthly")
    plain = {k: levers.as_param(k, v) for k, v in levers.design_levers("breakthrough").items()}
    coached = {**plain, "coaching_calls_per_month": levers.as_param("coaching_calls_per_month", 2),
               "benchmark_reports": "monthly"}
    table = compare_designs("breakthrough", {**plain, "teams": 8}, {**coached, "teams": 8}, reps=2, seed=3)
    assert table.loc["cost_programme", "B - A"] > 0


def test_pages_are_named_and_the_root_carries_the_layout():
    labels = [route.label for route in app.routes]
    assert labels == ["Run a collaborative", "Compare two designs", "Budget game: your group",
                      "Budget game: facilitator"]
    assert app.routes[0].path == "/" and app.routes[0].layout is app.Layout


def test_app_command_defaults_to_localhost():
    args = cli.build_parser().parse_args(["app"])
    assert (args.host, args.port, args.func, args.game) == ("127.0.0.1", cli_app.DEFAULT_PORT, cli_app.cmd_app, None)
    args = cli.build_parser().parse_args(["app", "--port", "9001", "--host", "0.0.0.0", "--game", "g.json"])
    assert (args.host, args.port, args.game) == ("0.0.0.0", 9001, "g.json")
    assert cli.main(["app", "--port", "0"]) == 2
    assert cli_app.address("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert cli_app.address("::1", 80) == "http://[::1]:80/"


def test_app_refuses_a_damaged_game_file_before_serving(tmp_path, capsys):
    damaged = tmp_path / "game.json"
    damaged.write_text('{"settings": {"budget": -1}}')
    assert cli.main(["app", "--game", str(damaged)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qicsim: error: --game:") and "not a qicsim game" in err and "Traceback" not in err
    assert damaged.read_text() == '{"settings": {"budget": -1}}', "the file is left as it was"
    assert cli.main(["app", "--game", str(tmp_path / "no-such-folder" / "g.json")]) == 2
    assert "no folder" in capsys.readouterr().err


def test_play_steps_until_paused_and_the_page_keeps_up_with_the_model(render, monkeypatch):
    """Play stops only between Steps: after Pause the read-out shows the model's week, so the next Step moves
    it by exactly four weeks (a Step cut short by the pause would leave the page behind the model). No pause
    between Steps here, so that Pause nearly always comes in the middle of one."""
    import time

    monkeypatch.setattr(app, "PLAY_INTERVAL_S", 0.0)
    wait = 0.3
    def week() -> int:
        return int(_readout(rc).split()[1])

    box, rc = render(app.RunPage)
    for _ in range(3):
        _button(rc, "Play").click()
        deadline = time.monotonic() + 60
        start = week()
        while time.monotonic() < deadline and week() < start + 8:
            time.sleep(0.01)
        _button(rc, "Pause").click()
        time.sleep(wait)  # a Step under way ends
        paused = week()
        assert paused % live.STEP_WEEKS == 0, "Play runs whole Steps"
        time.sleep(wait)
        assert week() == paused, "paused"
        _button(rc, f"Step {live.STEP_WEEKS} weeks").click()
        assert week() == paused + live.STEP_WEEKS


def test_a_choice_shows_words_and_hands_the_model_its_value():
    lv = levers.lever("session_format")
    got: list = []
    box, rc = solara.render(app.LeverInput(lv, "in_person", got.append), handle_error=False)
    try:
        select = rc.find(v.Select).widget
        assert {"text": "in person", "value": "in_person"} in select.items
        assert select.label == "Component · Sessions held: in person"
        select.v_model = "virtual"
        assert got == ["virtual"]
    finally:
        rc.close()
