"""Spread (challenge 10): the organisation graph, ties between teams, and adoption beyond the participants."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import paired_difference

from qicsim import sim
from qicsim.cli import main
from qicsim.sim.modules.peer_exchange import TeamTies, formation_chance
from qicsim.sim.network import NetworkFileError, read_network_file

SMALL = {"teams": 12, "follow_up_months": 12.0}
NO_TIES = {"tie_formation": 0.0, "network": "none"}


def test_spread_beyond_participants_grows_with_spread_planning():
    mean, se = paired_difference("spread_units", {"spread_planning": 0.0}, {"spread_planning": 1.0}, seeds=12)
    assert mean > 0 and mean > 2 * se, (mean, se)


def test_without_planning_spread_beyond_participants_stays_rare():
    unplanned = [sim.run("breakthrough", seed=s).summary["spread_units_share"] for s in range(8)]
    planned = [sim.run("breakthrough", seed=s, spread_planning=1.0).summary["spread_units_share"] for s in range(8)]
    assert np.mean(unplanned) < 0.05, unplanned  # paper: 'not a priority for many collaboratives'
    assert np.mean(planned) > 3 * np.mean(unplanned)


def test_an_internal_collaborative_spreads_further_inside_participating_organisations():
    def inside(**overrides) -> float:
        model = sim.simulate("breakthrough", seed=3, spread_planning=0.5, **overrides)
        u = model.unit_states
        return float(np.count_nonzero(~np.isnan(u.adopted_month) & (model.units.org < len(model.teams))))

    assert inside(internal_collaborative=True) > inside(internal_collaborative=False)


def test_removing_all_ties_stops_team_to_team_spread():
    with_ties = [sim.run("breakthrough", seed=s, **SMALL).summary["changes_from_peers_mean"] for s in range(4)]
    without = [sim.run("breakthrough", seed=s, **SMALL, **NO_TIES).summary["changes_from_peers_mean"]
               for s in range(4)]
    assert min(with_ties) > 0  # the test can fail: ties do carry changes
    assert without == [0.0, 0.0, 0.0, 0.0]


def test_no_unit_adopts_before_it_was_exposed():
    for seed in range(3):
        model = sim.simulate("breakthrough", seed=seed, spread_planning=1.0, internal_collaborative=True)
        u, participant = model.unit_states, model.units.participant
        adopted = ~np.isnan(u.adopted_month)
        assert adopted.sum() > 10  # something spread, so the check below checks something
        assert not np.isnan(u.exposed_month[adopted]).any()
        assert (u.exposed_month[adopted] <= u.adopted_month[adopted]).all()
        methods = ~np.isnan(u.method_month)
        assert not adopted[participant].any() and not methods[participant].any()
        assert (u.origin[adopted] >= 0).all(), "every adopting unit was reached through a team"


def test_team_outcomes_attribute_every_spread_unit_to_one_team():
    result = sim.run("breakthrough", seed=2, spread_planning=1.0)
    assert result.team_outcomes["spread_units"].sum() == result.summary["spread_units"]
    assert result.summary["spread_units"] > 0
    curve = result.adoption
    assert curve["month"].tolist() == list(range(len(curve)))
    assert curve["spread_units"].is_monotonic_increasing and curve["spread_units"].iloc[-1] == \
        result.summary["spread_units"]
    rolled = result.team_outcomes["roll_out_days"].dropna()
    assert len(rolled) and (rolled >= 0).all()


def test_spread_planning_leaves_the_teams_exactly_as_they_were():
    """Spread draws from its own stream: planning it changes who adopts, not the teams' own runs."""
    a = sim.run("breakthrough", seed=4, **SMALL).team_outcomes
    b = sim.run("breakthrough", seed=4, **SMALL, spread_planning=1.0).team_outcomes
    own = [c for c in a.columns if c not in ("spread_units", "roll_out_days")]
    pd.testing.assert_frame_equal(a[own], b[own])
    assert b["spread_units"].sum() >= a["spread_units"].sum()


def test_ties_fade_after_the_end_unless_a_community_of_practice_is_planned():
    fading = sim.simulate("breakthrough", seed=1, **SMALL).ties.strength.sum()
    kept = sim.simulate("breakthrough", seed=1, **SMALL, post_collaborative_network=1.0).ties.strength.sum()
    assert kept > 0 and fading < 0.5 * kept


def test_less_lecturing_and_more_informal_time_form_more_ties():
    base = sim.load_scenario("breakthrough")
    lectures = base.with_overrides(didactic_share=0.85, informal_time_share=0.05)
    mingling = base.with_overrides(didactic_share=0.2, informal_time_share=0.3)
    assert formation_chance(mingling) > formation_chance(lectures)
    assert formation_chance(base.with_overrides(tie_formation=0.0)) == 0.0

    def ties_formed(s: sim.Scenario) -> int:
        """Working ties (strength 1) after the first learning session, on five seeds."""
        formed = 0
        for seed in range(5):
            model = sim.CollaborativeModel(s.with_overrides(teams=30), rng=seed)
            model.learning_session()
            formed += int(np.count_nonzero(np.triu(model.ties.strength) == 1.0))
        return formed

    assert ties_formed(mingling) > ties_formed(lectures)


def run_counting_the_forum(scenario: sim.Scenario, seed: int) -> tuple[sim.CollaborativeModel, np.ndarray]:
    """A finished model, and the changes each team heard of on the forum (``peer_examples`` gained in the
    forum's month ends)."""
    model = sim.CollaborativeModel(scenario, rng=seed)
    forum = model.module("online_forum")
    by_forum = np.zeros(model.team_states.size, np.int64)

    def month_end(month, read=forum.month_end, t=model.team_states):
        before = t.peer_examples.copy()
        read(month)
        by_forum[:] += t.peer_examples - before

    model.hooks.month_end[model.hooks.month_end.index(forum.month_end)] = month_end
    model.run_model()
    return model, by_forum


@pytest.mark.parametrize("name, overrides", [
    ("breakthrough", {}),  # sessions and the months between them
    ("design-virtual", {"online_forum": False}),  # virtual sessions and group calls
    ("traditional", {"comparator_peer_contact": 0.5, "teams": 12}),  # teams of organisations in contact
])
def test_ties_record_every_change_a_team_heard_from_a_tied_team(name, overrides):
    """Without a forum every peer's change a team heard of came along a tie: ``ties.carried`` holds, a row
    per hearer, the changes each other team passed, and its rows add up to ``peer_examples``. Changes pass
    only between teams that had a tie (its strength fades after the end, never to nothing)."""
    scenario = sim.load_scenario(name).with_overrides(**overrides)
    assert not scenario.online_forum
    model, by_forum = run_counting_the_forum(scenario, seed=3)
    carried, ties = model.ties.carried, model.ties
    assert carried.dtype == np.int64 and carried.shape == (len(model.teams),) * 2
    assert carried.sum() > 0, "the test can fail: ties carried changes"
    assert not by_forum.any()
    assert np.array_equal(carried.sum(axis=1), model.team_states.peer_examples)
    assert not np.diagonal(carried).any()
    assert (carried >= 0).all()
    assert not carried[(ties.strength <= 0) & ~ties.working].any(), "changes travel along ties only"
    pairs = ties.carried_pairs()
    assert all(a < b and n > 0 for a, b, n in pairs)
    assert sum(n for _, _, n in pairs) == carried.sum()
    assert {(a, b) for a, b, _ in pairs} == {(a, b) for a, b, _ in ties.pairs()
                                             if carried[a, b] + carried[b, a] > 0}


@pytest.mark.parametrize("seed", [0, 1])
def test_the_forum_passes_changes_along_no_tie(seed):
    """With a forum a team also hears of changes no tie carried: ``peer_examples`` is what the ties carried
    plus what the forum passed, and the forum passed some."""
    scenario = sim.load_scenario("design-full-breakthrough")
    assert scenario.online_forum and scenario.group_calls_per_month > 0
    model, by_forum = run_counting_the_forum(scenario, seed)
    carried = model.ties.carried
    assert by_forum.sum() > 0 and carried.sum() > 0
    assert (model.team_states.peer_examples >= carried.sum(axis=1)).all()
    assert np.array_equal(model.team_states.peer_examples, carried.sum(axis=1) + by_forum)


def test_carried_pairs_add_both_ways_of_each_tie():
    ties = TeamTies(4)
    assert ties.carried_pairs() == []
    ties.carried[1, 0] = 3  # team 1 heard of three of team 0's changes
    ties.carried[0, 1] = 2
    ties.carried[2, 3] = 1
    assert ties.carried_pairs() == [(0, 1, 5), (2, 3, 1)]
    assert isinstance(ties.carried_pairs()[0][2], int)


def test_generated_graphs_have_the_documented_shape():
    small_world = sim.simulate("breakthrough", seed=1, **SMALL, other_organisations=188, network_degree=6)
    scale_free = sim.simulate("breakthrough", seed=1, **SMALL, other_organisations=188, network="scale_free",
                              network_degree=6)
    for model in (small_world, scale_free):
        g = model.organisation_graph.graph
        assert g.number_of_nodes() == 200 and nx.is_connected(g)
        assert 5 <= 2 * g.number_of_edges() / 200 <= 7  # mean degree about network_degree
        assert model.units.size == 200 * 5
        assert len(model.organisations) == 200
    degrees = [max(d for _, d in m.organisation_graph.graph.degree()) for m in (small_world, scale_free)]
    assert degrees[1] > 2 * degrees[0], "a scale-free graph has hubs"


def test_the_national_scenario_has_its_size():
    s = sim.load_scenario("national")
    assert s.teams + s.other_organisations == 2000
    assert (s.teams + s.other_organisations) * s.units_per_organisation == 20_000


# ---- network files ---------------------------------------------------------------------------


def edge_list(tmp_path: Path, text: str, name: str = "region.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_users_edge_list_is_the_organisation_graph(tmp_path: Path):
    path = edge_list(tmp_path, "# region\n" + "".join(f"h{i} h{i + 1}\n" for i in range(19)) + "h0 h19 2.5\n")
    model = sim.simulate("breakthrough", seed=1, **SMALL, network="file", network_file=str(path))
    g = model.organisation_graph.graph
    assert g.number_of_nodes() == 20 and g.number_of_edges() == 20
    assert sorted(model.organisation_graph.labels) == sorted(f"h{i}" for i in range(20))
    assert len(model.organisations) == 20


def test_a_graphml_file_with_participants_and_units(tmp_path: Path):
    g = nx.path_graph(15)
    for n in g.nodes:
        g.nodes[n]["participating"] = n < 12
        g.nodes[n]["units"] = 3
    path = tmp_path / "region.graphml"
    nx.write_graphml(g, path)
    model = sim.simulate("breakthrough", seed=1, **SMALL, network="file", network_file=str(path))
    assert model.organisation_graph.labels[:12] == [str(i) for i in range(12)]
    assert model.units.size == 45


def test_a_network_file_in_a_scenario_is_found_beside_it(tmp_path: Path):
    edge_list(tmp_path, "".join(f"{i} {i + 1}\n" for i in range(14)))
    (tmp_path / "mine.yaml").write_text("base: breakthrough\nparameters:\n  teams: 12\n  network: file\n"
                                        "  network_file: region.txt\n", encoding="utf-8")
    s = sim.load_scenario(tmp_path / "mine.yaml")
    assert Path(s.network_file) == tmp_path / "region.txt"
    assert sim.simulate(s, seed=1, follow_up_months=1.0).organisation_graph.size == 15


@pytest.mark.parametrize(("text", "name", "message"), [
    ("a b\nc\n", "bad.txt", "line 2: expected two organisation ids"),
    ("a b x\n", "bad.txt", "weight 'x' is not a number"),
    ("a b -1\n", "bad.txt", "must be positive"),
    ("<graphml><graph><node id='a'>", "bad.graphml", "not a readable GraphML file"),
    ("", "empty.txt", "no organisations"),
])
def test_a_malformed_network_file_gives_a_clear_error(tmp_path: Path, text: str, name: str, message: str):
    path = edge_list(tmp_path, text, name)
    with pytest.raises(NetworkFileError, match=message) as info:
        read_network_file(path)
    assert str(path) in str(info.value)


def test_network_files_that_do_not_fit_the_scenario(tmp_path: Path):
    path = edge_list(tmp_path, "a b\nb c\n")
    with pytest.raises(NetworkFileError, match="3 organisations, fewer than teams = 12"):
        sim.simulate("breakthrough", seed=1, **SMALL, network="file", network_file=str(path))
    with pytest.raises(NetworkFileError, match="no such file"):
        sim.simulate("breakthrough", seed=1, **SMALL, network="file", network_file=str(tmp_path / "nope.txt"))
    with pytest.raises(NetworkFileError, match="required when network = file"):
        sim.simulate("breakthrough", seed=1, **SMALL, network="file")
    g = nx.path_graph(15)
    g.nodes[0]["participating"] = True
    nx.write_graphml(g, tmp_path / "marked.graphml")
    with pytest.raises(NetworkFileError, match="1 nodes are marked participating but the scenario has teams = 12"):
        sim.simulate("breakthrough", seed=1, **SMALL, network="file", network_file=str(tmp_path / "marked.graphml"))
    g.nodes[0]["units"] = 0
    nx.write_graphml(g, tmp_path / "units.graphml")
    with pytest.raises(NetworkFileError, match="units = 0"):
        read_network_file(tmp_path / "units.graphml")


def test_cli_bad_network_file_exits_2_without_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    path = edge_list(tmp_path, "a b c d\n")
    code = main(["run", "--set", "network=file", "--set", f"network_file={path}", "--set", "teams=2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "line 1: expected two organisation ids" in err and "Traceback" not in err


def test_cli_network_out_writes_graphml_with_adoption_months(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    out = tmp_path / "net.graphml"
    code = main(["run", "--seed", "2", "--set", "spread_planning=1", "--network-out", str(out)])
    assert code == 0 and "wrote the network of replicate 0" in capsys.readouterr().out
    g = nx.read_graphml(out)
    assert g.number_of_nodes() == (30 + 30) * 5
    months = {n: d["adopted_month"] for n, d in g.nodes(data=True) if "adopted_month" in d}  # absent: never
    exposed = {n: d["exposed_month"] for n, d in g.nodes(data=True) if "exposed_month" in d}
    adopters = list(months)
    assert adopters and all(0 <= exposed[n] <= months[n] for n in adopters)
    assert len(months) < g.number_of_nodes(), "some units never adopt and carry no adoption month"
    assert sum(d["participating"] for _, d in g.nodes(data=True)) == 30
    assert any(d.get("team_tie", 0) > 0 for _, _, d in g.edges(data=True))
    assert not list(tmp_path.glob("*.tmp*")), "no temporary files left"


def test_spread_adds_health_gain_and_its_planning_costs_staff_time():
    unplanned = sim.run("breakthrough", seed=6, **SMALL).summary
    planned = sim.run("breakthrough", seed=6, **SMALL, spread_planning=1.0, internal_collaborative=True).summary
    assert unplanned["cost_spread"] == 0.0 and planned["cost_spread"] > 0.0
    assert planned["spread_units"] > unplanned["spread_units"]
    assert planned["qalys"] > unplanned["qalys"], "adopting units gain part of their source team's improvement"
    assert planned["cost_health_system"] - unplanned["cost_health_system"] == pytest.approx(planned["cost_spread"])


def test_a_planned_community_of_practice_keeps_more_teams_using_qi():
    """Paper, challenge 9: plan 'for a network to continue after the collaborative'."""
    mean, se = paired_difference("continued_qi_rate", {"post_collaborative_network": 0.0},
                                 {"post_collaborative_network": 1.0}, seeds=24)
    assert mean > 0 and mean > 2 * se, (mean, se)
