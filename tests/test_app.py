"""The dashboard's pieces without a browser: levers, the model it drives, charts, compare mode, command."""

from __future__ import annotations

import inspect
import math

import pytest

from qicsim import app, cli, cli_app, scenarios, sim
from qicsim.sim.parameters import PARAMETER_NAMES


def test_levers_are_the_ten_challenges_and_five_success_factors():
    groups = [lv.group for lv in app.LEVERS]
    challenges = {g for g in groups if g.startswith("Challenge")}
    assert challenges == {f"Challenge {n}" for n in range(1, 11)}
    factors = [lv.name for lv in app.LEVERS if lv.group == "Success factor"]
    assert factors == ["teamwork_mean", "qi_method_learning", "strategic_importance", "qi_culture", "senior_support"]
    for lv in app.LEVERS:
        assert lv.name in PARAMETER_NAMES
        assert lv.label and lv.explanation.endswith("."), lv.name
        assert "_" not in lv.label, f"{lv.name}: the label should be plain words"


@pytest.mark.parametrize("name", scenarios.names())
def test_model_params_start_at_each_scenarios_values_and_build_the_model(name):
    params = app.model_params(name)
    scenario = sim.load_scenario(name)
    for lv in app.LEVERS:
        entry = params[lv.name]
        assert entry["value"] == getattr(scenario, lv.name), lv.name
        if entry["type"] != "Checkbox":
            assert entry["min"] <= entry["value"] <= entry["max"]
    values = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    model = app.DashboardModel(**values)
    effective = scenario.model_copy(update={"best_practice_performance": scenario.best_practice()})
    assert model.params.parameters() == effective.parameters(), "the scenario, best practice worked out"


def test_dashboard_model_signature_suits_mesa_reset():
    """Mesa's Reset passes a mesa Scenario to a model that accepts ``scenario`` or ``**kwargs``."""
    sig = inspect.signature(app.DashboardModel.__init__).parameters
    assert "scenario" not in sig
    assert all(p.kind != p.VAR_KEYWORD for p in sig.values())
    assert set(app.model_params()) <= set(sig)


def test_levers_reach_the_model_and_none_keeps_the_scenario():
    model = app.DashboardModel("didactic-heavy", seed=3, teams=12, didactic_share=0.1, self_assessment=1)
    assert model.params.didactic_share == 0.1 and model.params.self_assessment is True
    assert model.params.teams == len(model.teams) == 12
    plain = app.DashboardModel("didactic-heavy", seed=3)
    assert plain.params.didactic_share == sim.load_scenario("didactic-heavy").didactic_share


def test_goal_is_between_baseline_and_best_practice():
    model = app.DashboardModel(seed=2, teams=10, target_ambition=0.5)
    best = model.params.best_practice_performance
    assert model.goal == pytest.approx(model.baseline - 0.5 * (model.baseline - best))
    higher = app.DashboardModel(seed=2, teams=10, target_ambition=0.9)
    assert abs(higher.goal - best) < abs(model.goal - best)


def test_charts_and_readout_follow_the_run():
    model = app.DashboardModel(seed=4, teams=10)
    before = app.readout(model)
    assert "Week 0" in before and "10 active" in before
    for _ in range(30):
        model.step()
    after = app.readout(model)
    assert after != before and "Week 30" in after
    assert sum(app.ihi_counts(model)) == 10
    assert max(s for s, c in zip(app.IHI_SCORES, app.ihi_counts(model), strict=True) if c) > 0.5
    for make in app.CHARTS:
        fig = make(model)
        assert fig.axes and fig.axes[0].get_title(), make.__name__


def test_compare_designs_pairs_seeds_and_reports_b_minus_a():
    table = app.compare_designs("breakthrough", {"teams": 10}, {"teams": 10, "didactic_share": 0.9}, reps=3, seed=5)
    assert list(table.index) == list(app.COMPARE_OUTCOMES)
    assert list(table.columns) == ["A", "B", "B - A", "se"]
    seeds = [sim.derive_seed(5, r) for r in range(3)]
    a = [sim.run("breakthrough", seed=s, teams=10).summary["dropout_rate"] for s in seeds]
    b = [sim.run("breakthrough", seed=s, teams=10, didactic_share=0.9).summary["dropout_rate"] for s in seeds]
    assert table.loc["dropout_rate", "A"] == pytest.approx(sum(a) / 3)
    assert table.loc["dropout_rate", "B - A"] == pytest.approx((sum(b) - sum(a)) / 3)
    same = app.compare_designs("breakthrough", {"teams": 10}, {"teams": 10}, reps=2, seed=5)
    assert (same["B - A"].fillna(0) == 0).all()
    text = app.format_comparison(table, "USD")
    assert "drop-out" in text and "USD" in text


def test_compare_designs_refuses_bad_input():
    with pytest.raises(ValueError):
        app.compare_designs("breakthrough", {}, {}, reps=0)
    with pytest.raises(sim.ScenarioError):
        app.compare_designs("breakthrough", {}, {"didactic_share": 2.0}, reps=1)


def test_app_command_defaults_to_localhost():
    args = cli.build_parser().parse_args(["app"])
    assert (args.host, args.port, args.func) == ("127.0.0.1", cli_app.DEFAULT_PORT, cli_app.cmd_app)
    args = cli.build_parser().parse_args(["app", "--port", "9001", "--host", "0.0.0.0"])
    assert (args.host, args.port) == ("0.0.0.0", 9001)
    assert cli.main(["app", "--port", "0"]) == 2
    assert cli_app.address("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert cli_app.address("::1", 80) == "http://[::1]:80/"


def test_cost_per_improvement_without_improvement_is_left_out():
    """With no intervention nobody improves significantly: the cost per improvement is n/a, not a crash."""
    table = app.compare_designs("breakthrough", {"teams": 3, "mode": "none"}, {"teams": 3, "mode": "none"}, reps=2)
    row = table.loc["cost_per_significant_improvement"]
    assert math.isnan(row["A"]) and math.isnan(row["B"]) and math.isnan(row["B - A"])
    assert "| cost per significant improvement | n/a | n/a | n/a |" in app.format_comparison(table, "USD")


def test_the_run_shows_the_lever_values_in_effect():
    text = app.lever_values(app.DashboardModel(seed=7, teams=5, didactic_share=0.85, self_assessment=True))
    assert "Lecture share of sessions: 0.85" in text and "Self-assessment before joining: yes" in text
    assert text.endswith("seed 7.")


def test_compare_mode_offers_the_components_as_levers():
    """Every component is a lever of compare mode, with an input that fits its kind; a design with coaching
    costs the programme more on the same seeds."""
    values = app.design_levers("design-coaching-only")
    assert {lv.name for lv in app.COMPONENT_LEVERS} <= set(values)
    assert values["session_format"] == "none" and values["coaching_calls_per_month"] == 1.0
    kinds = {lv.name: lv.kind for lv in app.COMPONENT_LEVERS}
    assert kinds["session_format"] == kinds["benchmark_reports"] == "Select"
    assert kinds["online_forum"] == "Checkbox" and kinds["site_visits"] == "SliderInt"
    assert app.lever("benchmark_reports").choices == ("none", "quarterly", "monthly")
    plain = {k: app._as_param(k, v) for k, v in app.design_levers("breakthrough").items()}
    coached = {**plain, "coaching_calls_per_month": app._as_param("coaching_calls_per_month", 2),
               "benchmark_reports": "monthly"}
    table = app.compare_designs("breakthrough", {**plain, "teams": 8}, {**coached, "teams": 8}, reps=2, seed=3)
    assert table.loc["cost_programme", "B - A"] > 0
