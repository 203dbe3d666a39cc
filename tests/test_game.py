"""The budget game without a browser: the same seeds for every group, the budget held, nothing lost, and a
debrief that finds the challenge behind a difference."""

from __future__ import annotations

import json

import ipyvuetify as v
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qicsim import app, game, levers, sim

BUDGET = 480_000.0  # the breakthrough design's own programme cost is about 470,000 on the first seeds


@pytest.fixture
def play(tmp_path):
    return game.Game(tmp_path / "game.json", game.Settings(budget=BUDGET, reps=3, seed=2))


def test_every_design_runs_on_the_same_derived_seeds():
    runs = game.run_designs("breakthrough", {"a": {"teams": 6}, "b": {"teams": 6, "didactic_share": 0.9}}, reps=3,
                            seed=4)
    assert list(runs.groupby("design")["seed"].apply(list)) == [[sim.derive_seed(4, r) for r in range(3)]] * 2
    direct = sim.run("breakthrough", seed=sim.derive_seed(4, 1), teams=6).summary
    row = runs[(runs.design == "a") & (runs.replicate == 1)].iloc[0]
    assert all(row[k] == direct[k] or (row[k] != row[k] and direct[k] != direct[k]) for k in game.GAME_OUTCOMES)


def test_a_group_keeps_its_design_across_a_reload_and_a_restart(play, tmp_path):
    joined = play.join("Red team")
    assert joined.draft == play.settings.first_design() and joined.committed is None
    assert set(joined.draft) == {lv.name for lv in levers.GAME_LEVERS["challenges and components"]}
    assert "leader_turnover_per_year" not in joined.draft, "leaders leaving is no organiser's choice"
    play.save_draft("Red team", {"coaching_calls_per_month": 1, "sustain_planning": 0.7})
    again = game.Game(tmp_path / "game.json")  # what a restarted server reads
    assert again.settings == play.settings
    red = again.join("Red team")  # a reload joins again: nothing is reset
    assert red.draft["coaching_calls_per_month"] == 1.0 and isinstance(red.draft["coaching_calls_per_month"], float)
    assert red.draft["sustain_planning"] == 0.7
    assert json.loads((tmp_path / "game.json").read_text())["groups"]["Red team"]["draft"]["sustain_planning"] == 0.7


def test_commit_runs_the_design_and_ranks_the_groups(play):
    for name, design in {"A": {}, "B": {"sustain_planning": 0.9}}.items():
        play.join(name)
        play.save_draft(name, design)
        committed = play.commit(name)
        assert committed.committed == {**play.settings.first_design(), **design}
        assert all(len(values) == 3 for values in committed.outcomes.values())
    table = play.table()
    assert list(table.index) == ["B", "A"], "more sustained improvement ranks first"
    assert list(table["rank"]) == [1, 2]
    a = play.groups()["A"].outcomes
    direct = game.run_designs("breakthrough", {"A": play.groups()["A"].committed}, reps=3, seed=2)
    assert a["sustained_rate"] == list(direct["sustained_rate"])
    for key in game.GAME_OUTCOMES:
        assert table.loc["A", f"{key}_low"] <= table.loc["A", key] <= table.loc["A", f"{key}_high"]
        assert table.loc["A", f"{key}_low"] >= 0
        if not key.startswith("cost"):
            assert table.loc["A", f"{key}_high"] <= 1, "a share's interval stays within 0-1"


def test_a_design_over_the_budget_is_refused_and_the_last_commit_kept(play):
    play.join("Blue")
    play.commit("Blue")
    kept = play.groups()["Blue"].committed
    play.save_draft("Blue", {"site_visits": 4, "coaching_calls_per_month": 4.0})
    cost = game.design_cost(play.settings, play.groups()["Blue"].draft)
    assert cost > BUDGET
    with pytest.raises(game.GameError, match="over budget"):
        play.commit("Blue")
    assert play.groups()["Blue"].committed == kept


def test_debrief_names_the_challenge_behind_a_difference(play):
    play.join("Plans")
    play.save_draft("Plans", {"sustain_planning": 0.9})
    play.commit("Plans")
    play.join("No plans")
    play.save_draft("No plans", {"sustain_planning": 0.0})
    play.commit("No plans")
    assert play.leader() == "Plans"
    (explained,) = play.debrief()
    assert (explained.group, explained.leader) == ("No plans", "Plans")
    (part,) = explained.parts
    assert part.heading == f"Challenge 9: {levers.CHALLENGES[9][0]}"
    assert part.quote == levers.CHALLENGES[9][1]
    assert part.sustained == pytest.approx(explained.gap), "one lever differs: its swap is the whole gap"
    assert explained.gap > 0 and abs(explained.rest) < 1e-12
    assert part.cost == 0.0 and explained.cost_gap == 0.0, "docs/workshop.md: sustain planning costs nothing"
    text = game.format_explanation(explained, "USD")
    assert "Planning to sustain 0 → 0.9" in text and levers.CHALLENGES[9][1] in text


def test_lever_groups_put_each_challenge_together_and_components_apart():
    base = levers.design_levers("breakthrough")
    other = {**base, "subject_specificity": 0.2, "evidence_strength": 0.2, "coaching_calls_per_month": 2.0}
    groups = game.lever_groups(base, other)
    assert groups == {f"Challenge 1: {levers.CHALLENGES[1][0]}": ["subject_specificity", "evidence_strength"],
                      "Component · Coaching calls per month": ["coaching_calls_per_month"]}


def test_new_game_keeps_the_old_one_beside_it(play, tmp_path):
    play.join("Red")
    play.new_game(game.Settings(scenario="ihi-ade", budget=1e6, reps=2))
    assert play.groups() == {} and play.settings.scenario == "ihi-ade"
    old = json.loads((tmp_path / "game.json.previous").read_text())
    assert "Red" in old["groups"]


@pytest.mark.parametrize("text", ["", "{", "[]", '{"settings": {"budget": 0}}',
                                  '{"settings": {"budget": 5, "scenario": "nowhere"}}',
                                  '{"settings": {"budget": 5}, "groups": {"R": {"draft": {"teams": 3}}}}',
                                  '{"settings": {"budget": 5}, "groups": {"<b>": {"draft": {}}}}'])
def test_a_damaged_game_file_is_refused_and_left_alone(tmp_path, text):
    path = tmp_path / "game.json"
    path.write_text(text)
    with pytest.raises(game.GameError, match="not a qicsim game"):
        game.Game(path)
    assert path.read_text() == text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=60))
def test_group_names_are_checked(tmp_path, name):
    g = game.Game(tmp_path / "names.json", game.Settings(budget=BUDGET, reps=2))
    if game.GROUP_NAME.match(name):
        assert g.join(name).draft
    else:
        with pytest.raises(game.GameError, match="group name"):
            g.join(name)
    assert game.Game(tmp_path / "names.json").settings == g.settings, "the file stays whole"


def test_levers_the_game_does_not_offer_are_refused(play, tmp_path):
    play.join("Red")
    with pytest.raises(game.GameError, match="lever 'teams' is not one this game offers"):
        play.save_draft("Red", {"teams": 100})
    components = game.Game(tmp_path / "c.json", game.Settings(budget=BUDGET, reps=2, levers="components"))
    assert set(components.join("Red").draft) == {lv.name for lv in levers.COMPONENT_LEVERS}
    with pytest.raises(game.GameError, match="sustain_planning"):
        components.save_draft("Red", {"sustain_planning": 1.0})


# -- the pages, rendered by solara's test renderer --------------------------------------------


def test_group_page_joins_saves_and_commits(tmp_path, monkeypatch, render):
    monkeypatch.setenv(app.GAME_FILE_ENV, str(tmp_path / "g.json"))
    app.the_game().new_game(game.Settings(budget=BUDGET, reps=2))
    box, rc = render(app.GamePage, "/game?group=Green")
    assert "Green" in app.the_game().groups(), "opening the group's page joins it"

    def status() -> str:
        return rc.find(v.Html, class_="qicsim-group-status").widget.children[0]

    assert status() == "Not committed yet."
    _wait(lambda: not rc.find(v.Html, children=["working out the programme cost ..."]))
    rc.find(v.Btn, children=["Commit our design"]).widget.click()
    assert app.the_game().groups()["Green"].committed is not None
    _wait(lambda: status().startswith("Committed; rank 1 of 1"))


def _wait(condition, timeout: float = 30.0) -> None:
    """Until ``condition()`` holds: the page also redraws from its own threads (the cost of the design)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there"
        time.sleep(0.05)


def test_a_bad_group_name_in_the_address_asks_for_a_name(tmp_path, monkeypatch, render):
    monkeypatch.setenv(app.GAME_FILE_ENV, str(tmp_path / "g.json"))
    app.the_game().new_game(game.Settings(budget=BUDGET, reps=2))
    box, rc = render(app.GamePage, "/game?group=%3Cscript%3E")
    assert rc.find(v.Btn, children=["Join the game"])
    assert app.the_game().groups() == {}


def test_facilitator_page_refuses_a_bad_budget_and_keeps_the_game(tmp_path, monkeypatch, render):
    monkeypatch.setenv(app.GAME_FILE_ENV, str(tmp_path / "g.json"))
    app.the_game().new_game(game.Settings(budget=BUDGET, reps=2))
    app.the_game().join("Red")
    box, rc = render(app.FacilitatorPage, "/facilitator")
    budget = rc.find(v.TextField, label="Budget for the programme").widget
    budget.v_model = "0"
    budget.fire_event("focusout", None)  # the input takes its number when it loses the focus
    rc.find(v.Btn, children=["Start a new game"]).widget.click()
    assert "budget" in str(rc.find(v.Alert).widgets[0].children)
    assert "Red" in app.the_game().groups() and app.the_game().settings.budget == BUDGET
