"""Scenarios: built-ins load, and bad input is refused with the field, the value and what is allowed."""

from __future__ import annotations

import pytest

from qicsim import scenarios, sim
from qicsim.sim.parameters import PARAMETER_NAMES, SECTIONS, parameter_info
from qicsim.sim.scenario import parse_assignment

PAPER_COLLABORATIVES = {"breakthrough", "traditional", "ihi-ade", "ihi-caesarean", "uk-orthopaedic", "nicu-infection"}
CHALLENGE_VARIANTS = {"didactic-heavy", "no-senior-support", "leader-churn", "planned-sustain", "broad-subject"}


def test_builtins_present_and_valid():
    names = set(scenarios.names())
    assert names >= PAPER_COLLABORATIVES
    assert names >= CHALLENGE_VARIANTS
    for name in names:
        s = sim.load_scenario(name)
        assert s.name == name
        assert s.description


def test_paper_collaboratives_set_up_as_described():
    assert sim.load_scenario("ihi-caesarean").teams == 28
    ortho = sim.load_scenario("uk-orthopaedic")
    assert (ortho.teams, ortho.baseline_performance, ortho.currency) == (37, 8.2, "GBP")
    assert sim.load_scenario("nicu-infection").baseline_performance == 0.22
    assert sim.load_scenario("traditional").mode == "traditional"


def test_every_parameter_documented():
    for name in PARAMETER_NAMES:
        info = parameter_info(name)
        assert info["section"] in SECTIONS
        assert info["unit"] and info["source"] and info["doc"], name


def test_flat_levers_exist():
    for lever in ["teams", "didactic_share", "leader_turnover_per_year", "senior_support", "sustain_planning",
                  "evidence_strength", "subject_specificity", "share_sent_by_management", "data_support",
                  "follow_up_months", "mode"]:
        assert lever in PARAMETER_NAMES


def test_with_overrides_revalidates():
    s = sim.load_scenario("breakthrough").with_overrides(didactic_share=0.8)
    assert s.didactic_share == 0.8
    with pytest.raises(sim.ScenarioError, match=r"didactic_share.*1\.5.*from 0 to 1"):
        s.with_overrides(didactic_share=1.5)


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"teams": 0}, r"'teams' = 0.*whole number from 1 to 500"),
        ({"teams": "many"}, r"'teams' = 'many'.*whole number"),
        ({"mode": "magic"}, r"'mode' = 'magic'.*one of collaborative, traditional, none"),
        ({"self_assessment": "yes"}, r"'self_assessment' = 'yes'.*true or false"),
        ({"no_such_lever": 1}, r"unknown parameter 'no_such_lever'"),
    ],
)
def test_bad_values_name_field_value_and_allowed(overrides, pattern):
    with pytest.raises(sim.ScenarioError, match=pattern):
        sim.run("breakthrough", seed=1, **overrides)


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_file_with_sections_and_base(tmp_path):
    path = write(tmp_path, "name: mine\nbase: breakthrough\nparameters:\n  sessions:\n    didactic_share: 0.9\n"
                           "  teams: 12\n")
    s = sim.load_scenario(path)
    assert (s.name, s.didactic_share, s.teams, s.evidence_strength) == ("mine", 0.9, 12, 0.7)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("parameters:\n  teams: [1, 2\n", "not valid YAML"),
        ("parameters:\n  nonsense:\n    teams: 3\n", "unknown section 'nonsense'"),
        ("parameters:\n  sessions:\n    teams: 3\n", "'teams' is in section 'design', not 'sessions'"),
        ("parameters: 3\n", "'parameters' must be a mapping"),
        ("colour: red\n", r"unknown top-level key\(s\) \['colour'\]"),
        ("parameters:\n  teams: !!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
        ("base: s.yaml\n", "'base' chain loops"),
        ("parameters:\n  teams: 1.5\n", r"'teams' = 1\.5"),
    ],
)
def test_bad_files(tmp_path, text, pattern):
    with pytest.raises(sim.ScenarioError, match=pattern):
        sim.load_scenario(write(tmp_path, text))


def test_unknown_scenario_lists_builtins():
    with pytest.raises(sim.ScenarioError, match="no built-in scenario or file.*breakthrough"):
        sim.load_scenario("no-such-scenario")


def test_parse_assignment():
    assert parse_assignment("didactic_share=0.8") == ("didactic_share", 0.8)
    assert parse_assignment("mode=traditional") == ("mode", "traditional")
    assert parse_assignment("self_assessment=true") == ("self_assessment", True)
    with pytest.raises(sim.ScenarioError, match="expected name=value"):
        parse_assignment("teams")
    with pytest.raises(sim.ScenarioError, match="unknown parameter 'colour'"):
        parse_assignment("colour=red")
