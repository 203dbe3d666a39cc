"""The budget game without a browser: the same seeds for every group, the budget held, nothing lost or mixed up
between games and browsers, honest standings, and a debrief that finds the challenge behind a difference."""

from __future__ import annotations

import json
import math
import string
import time

import ipyvuetify as v
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qicsim import app, game, levers, sim

BUDGET = 480_000.0  # the breakthrough design's own programme cost is about 470,000 on the first seeds


@pytest.fixture
def play(tmp_path):
    return game.Game(tmp_path / "game.json", game.Settings(budget=BUDGET, reps=3, seed=2))


def _design(g: game.Game, **changes) -> dict:
    return {**g.settings.first_design(), **changes}


def _commit(g: game.Game, name: str, **changes) -> game.Group:
    name, number, _ = g.join(name)
    return g.commit(name, number, _design(g, **changes))


def test_every_design_runs_on_the_same_derived_seeds():
    runs = game.run_designs("breakthrough", {"a": {"teams": 6}, "b": {"teams": 6, "didactic_share": 0.9}}, reps=3,
                            seed=4)
    assert list(runs.groupby("design")["seed"].apply(list)) == [[sim.derive_seed(4, r) for r in range(3)]] * 2
    direct = sim.run("breakthrough", seed=sim.derive_seed(4, 1), teams=6).summary
    row = runs[(runs.design == "a") & (runs.replicate == 1)].iloc[0]
    assert all(row[k] == direct[k] for k in game.STORED)


def test_a_group_keeps_its_design_across_a_reload_and_a_restart(play, tmp_path):
    name, number, joined = play.join("Red team")
    assert joined.draft == play.settings.first_design() and joined.committed is None
    assert set(joined.draft) == {lv.name for lv in levers.GAME_LEVERS["challenges and components"]}
    assert "leader_turnover_per_year" not in joined.draft, "leaders leaving is no organiser's choice"
    play.save_draft(name, number, _design(play, coaching_calls_per_month=1, sustain_planning=0.7))
    again = game.Game(tmp_path / "game.json")  # what a restarted server reads
    assert again.settings == play.settings and again.number == number
    _, _, red = again.join("Red team")  # a reload joins again: nothing is reset
    assert red.draft["coaching_calls_per_month"] == 1.0 and isinstance(red.draft["coaching_calls_per_month"], float)
    assert red.draft["sustain_planning"] == 0.7
    assert json.loads((tmp_path / "game.json").read_text())["groups"]["Red team"]["draft"]["sustain_planning"] == 0.7


def test_names_that_differ_in_capitals_or_spaces_are_one_group(play):
    assert play.join("Red")[0] == "Red"
    assert play.join(" red ")[0] == "Red" and play.join("RED")[0] == "Red"
    assert list(play.groups()) == ["Red"]


def test_commit_runs_the_design_and_ranks_the_groups(play):
    for name, changes in {"A": {}, "B": {"sustain_planning": 0.9}}.items():
        committed = _commit(play, name, **changes)
        assert committed.committed == _design(play, **changes)
        assert sorted(committed.outcomes) == sorted(game.STORED)
        assert all(len(values) == 3 for values in committed.outcomes.values())
    table = play.table()
    assert list(table.index) == ["B", "A"], "more sustained improvement ranks first"
    assert list(table["rank"]) == [1, 2]
    groups = play.groups()
    direct = game.run_designs("breakthrough", {"A": groups["A"].committed}, reps=3, seed=2)
    assert groups["A"].outcomes["sustained_rate"] == list(direct["sustained_rate"])
    for key in game.GAME_OUTCOMES:
        low, mean, high = table.loc["A", f"{key}_low"], table.loc["A", key], table.loc["A", f"{key}_high"]
        assert 0 <= low <= mean <= high
        if key in game.SHARES:
            assert high <= 1, "a share's interval stays within 0-1"
    gap = np.asarray(groups["B"].outcomes["sustained_rate"]) - np.asarray(groups["A"].outcomes["sustained_rate"])
    assert table.loc["B", "behind"] == 0 and table.loc["A", "behind"] == pytest.approx(gap.mean())
    assert table.loc["A", "behind_se"] == pytest.approx(gap.std(ddof=1) / math.sqrt(3))


def test_cost_per_sustained_improvement_pools_the_seeds():
    cost = np.array([100.0, 100.0, 100.0, 100.0])
    sustained = np.array([0.0, 2.0, 0.0, 2.0])  # no sustained improvement on two seeds: they still count
    ratio, low, high = game.pooled_ratio(cost, sustained, seed=1)
    assert ratio == 100.0 and low <= ratio <= high
    assert math.isnan(game.pooled_ratio(cost, np.zeros(4), seed=1)[0])
    assert game.pooled_ratio(cost, sustained, seed=1) == game.pooled_ratio(cost, sustained, seed=1), "seeded"


def test_a_design_over_the_budget_is_refused_and_the_last_commit_kept(play):
    _commit(play, "Blue")
    kept = play.groups()["Blue"].committed
    costly = _design(play, site_visits=4, coaching_calls_per_month=4.0)
    assert play.cost_of(costly) > BUDGET
    with pytest.raises(game.GameError, match="over budget"):
        play.commit("Blue", play.number, costly)
    assert play.groups()["Blue"].committed == kept


def test_the_cost_a_group_sees_is_the_commits(play, monkeypatch):
    design = _design(play, sustain_planning=0.55, data_support=0.8)
    seen = play.cost_of(design)
    calls = []
    monkeypatch.setattr(game, "run_designs", lambda *a, **k: calls.append(a) or pytest.fail("ran again"))
    name, number, _ = play.join("Cached")
    committed = play.commit(name, number, design)
    assert np.mean(committed.outcomes["cost_programme"]) == seen and calls == []


def test_a_superseded_cost_stops_between_runs(play):
    asked = []

    def wanted() -> bool:
        asked.append(1)
        return len(asked) < 2

    assert play.cost_of(_design(play, sustain_planning=0.33), wanted) is None
    assert len(asked) == 2, "stopped after the second run"


def test_a_page_of_an_earlier_game_cannot_write_into_a_new_one(play, tmp_path):
    name, old, _ = play.join("Red")
    kept = play.new_game(game.Settings(budget=BUDGET, reps=3, seed=2))
    assert play.number == old + 1 and kept.name == f"game.json.game-{old}"
    with pytest.raises(game.GameError, match="new game"):
        play.save_draft(name, old, _design(play, sustain_planning=0.9))
    with pytest.raises(game.GameError, match="new game"):
        play.commit(name, old, _design(play))
    assert play.groups() == {}


def test_a_design_changed_in_another_browser_while_it_ran_is_not_committed(play, monkeypatch):
    name, number, _ = play.join("Red")
    mine, theirs = _design(play, sustain_planning=0.9), _design(play, sustain_planning=0.1)
    real = play.runs_of

    def meanwhile(design, wanted=None):
        runs = real(design, wanted)
        play.save_draft(name, number, theirs)  # the group's other browser saves while the runs go on
        return runs

    monkeypatch.setattr(play, "runs_of", meanwhile)
    with pytest.raises(game.GameError, match="changed while it ran"):
        play.commit(name, number, mine)
    assert play.groups()["Red"].committed is None and play.groups()["Red"].draft == theirs


def test_new_games_never_overwrite_a_kept_game(play, tmp_path):
    _commit(play, "Red")
    play.new_game(game.Settings(budget=BUDGET, reps=3))
    play.new_game(game.Settings(budget=BUDGET, reps=3))  # a double click
    kept = sorted(p.name for p in tmp_path.glob("game.json.game-*"))
    assert kept == ["game.json.game-1", "game.json.game-2"]
    assert "Red" in json.loads((tmp_path / "game.json.game-1").read_text())["groups"]
    (tmp_path / "game.json.game-3").write_text("{}")  # already there: kept under another name
    assert play.new_game(game.Settings(budget=BUDGET, reps=3)).name == "game.json.game-3-2"
    assert (tmp_path / "game.json.game-3").read_text() == "{}"


def test_debrief_names_the_challenge_behind_a_difference(play):
    _commit(play, "Plans", sustain_planning=0.9)
    _commit(play, "No plans", sustain_planning=0.0)
    assert play.table().index[0] == "Plans"
    (explained,) = play.debrief()
    assert (explained.group, explained.leader) == ("No plans", "Plans")
    (part,) = explained.parts
    assert part.heading == f"Challenge 9: {levers.CHALLENGES[9][0]}"
    assert part.quote == levers.CHALLENGES[9][1]
    assert part.sustained == pytest.approx(explained.gap), "one lever differs: its swap is the whole gap"
    assert explained.gap > 0 and abs(explained.rest) < 1e-12
    assert part.cost == 0.0 and explained.cost_gap == 0.0, "docs/workshop.md: sustain planning costs nothing"
    text = game.format_explanation(explained, "USD")
    assert "Planning to sustain 0 → 0.9" in text and levers.CHALLENGES[9][1] in text and "percentage points" in text


def test_lever_groups_put_each_challenge_together_and_components_apart():
    base = levers.design_levers("breakthrough")
    other = {**base, "subject_specificity": 0.2, "evidence_strength": 0.2, "coaching_calls_per_month": 2.0}
    groups = game.lever_groups(base, other)
    assert groups == {f"Challenge 1: {levers.CHALLENGES[1][0]}": ["subject_specificity", "evidence_strength"],
                      "Component · Coaching calls per month": ["coaching_calls_per_month"]}


DAMAGED = [
    "", "{", "[]", '{"settings": {"budget": 0}}', '{"settings": {"budget": Infinity}}',
    '{"settings": {"budget": 5, "scenario": "nowhere"}}',
    '{"settings": {"budget": 5}, "groups": {"R": {"draft": {"teams": 3}}}}',
    '{"settings": {"budget": 5}, "groups": {"R": {"draft": {}}}}',
    '{"settings": {"budget": 5}, "groups": {"<b>": {"draft": {}}}}',
    '{"settings": {"budget": 5}, "groups": {"Red\\n": {"draft": {}}}}',
]


@pytest.mark.parametrize("text", DAMAGED)
def test_a_damaged_game_file_is_refused_and_left_alone(tmp_path, text):
    path = tmp_path / "game.json"
    path.write_text(text)
    with pytest.raises(game.GameError, match="not a qicsim game"):
        game.Game(path)
    assert path.read_text() == text


@pytest.mark.parametrize("change", [
    {"learning_sessions": "abc"}, {"didactic_share": 7.0}, {"online_forum": None},
])
def test_a_hand_edited_design_is_refused(play, tmp_path, change):
    _commit(play, "Red")
    data = json.loads((tmp_path / "game.json").read_text())
    data["groups"]["Red"]["draft"].update(change)
    (tmp_path / "game.json").write_text(json.dumps(data))
    with pytest.raises(game.GameError, match="not a qicsim game"):
        game.Game(tmp_path / "game.json")


def test_a_commit_without_its_outcomes_is_refused(play, tmp_path):
    _commit(play, "Red")
    data = json.loads((tmp_path / "game.json").read_text())
    del data["groups"]["Red"]["outcomes"]["sustained_rate"]
    (tmp_path / "game.json").write_text(json.dumps(data))
    with pytest.raises(game.GameError, match="outcomes need"):
        game.Game(tmp_path / "game.json")


ALLOWED = set(string.ascii_letters + string.digits + " _-")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=40) | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _\n-]{0,32}", fullmatch=True))
def test_group_names_are_checked(tmp_path, name):
    g = game.Game(tmp_path / "names.json", game.Settings(budget=BUDGET, reps=2))
    typed = name.strip()
    fine = (1 <= len(typed) <= 30 and set(typed) <= ALLOWED and typed[0].isascii() and typed[0].isalnum())
    if fine:
        joined, _, group = g.join(name)
        assert joined.casefold() == typed.casefold() and group.draft
    else:
        with pytest.raises(game.GameError, match="group name"):
            g.join(name)
    assert game.Game(tmp_path / "names.json").settings == g.settings, "the file stays whole"


def test_levers_the_game_does_not_offer_are_refused(play, tmp_path):
    name, number, _ = play.join("Red")
    with pytest.raises(game.GameError, match="lever 'teams' is not one this game offers"):
        play.save_draft(name, number, {**_design(play), "teams": 100})
    with pytest.raises(game.GameError, match="no value for lever"):
        play.save_draft(name, number, {"sustain_planning": 0.5})
    components = game.Game(tmp_path / "c.json", game.Settings(budget=BUDGET, reps=2, levers="components"))
    _, number, red = components.join("Red")
    assert set(red.draft) == {lv.name for lv in levers.COMPONENT_LEVERS}
    with pytest.raises(game.GameError, match="sustain_planning"):
        components.save_draft("Red", number, {**red.draft, "sustain_planning": 1.0})


# -- the pages, rendered by solara's test renderer --------------------------------------------


def _wait(condition, timeout: float = 30.0) -> None:
    """Until ``condition()`` holds: the page also redraws from its own threads (the cost, a commit)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there"
        time.sleep(0.05)


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The server's game, in a file of this test's own."""
    monkeypatch.setenv(app.GAME_FILE_ENV, str(tmp_path / "g.json"))
    app.the_game().new_game(game.Settings(budget=BUDGET, reps=2))
    return app.the_game()


def test_group_page_joins_saves_and_commits(served, render):
    box, rc = render(app.GamePage, "/game?group=Green")
    assert "Green" in served.groups(), "opening the group's page joins it"

    def status() -> str:
        return rc.find(v.Html, class_="qicsim-group-status").widget.children[0]

    assert status() == "Not committed yet."
    _wait(lambda: not rc.find(v.Html, children=["working out the programme cost ..."]))
    rc.find(v.Btn, children=["Commit our design"]).widget.click()
    _wait(lambda: status().startswith("Committed; rank 1 of 1"))
    assert served.groups()["Green"].committed is not None


def test_a_group_page_open_across_a_new_game_says_so(served, render):
    box, rc = render(app.GamePage, "/game?group=Green")
    served.new_game(game.Settings(budget=BUDGET, reps=2))
    rc.find(v.Btn, children=["Commit our design"]).widget.click()
    _wait(lambda: any(game.NEW_GAME in str(w.children) for w in rc.find(v.Alert).widgets))
    assert served.groups() == {}, "nothing of the old page reached the new game"


def test_a_bad_group_name_in_the_address_asks_for_a_name(served, render):
    box, rc = render(app.GamePage, "/game?group=%3Cscript%3E")
    assert rc.find(v.Btn, children=["Join the game"])
    assert served.groups() == {}


def test_facilitator_page_refuses_a_bad_budget_and_keeps_the_game(served, render):
    served.join("Red")
    box, rc = render(app.FacilitatorPage, "/facilitator")
    start = rc.find(v.Btn, children=["Start a new game"]).widget
    assert start.disabled, "ending a game takes a tick in the box first"
    rc.find(v.Checkbox, label="End the current game for every group").widget.v_model = True
    budget = rc.find(v.TextField, label="Budget for the programme").widget
    budget.v_model = "0"
    budget.fire_event("focusout", None)  # the input takes its number when it loses the focus
    rc.find(v.Btn, children=["Start a new game"]).widget.click()
    assert "budget" in str(rc.find(v.Alert).widgets[0].children)
    assert "Red" in served.groups() and served.settings.budget == BUDGET
