"""The model: determinism, invariants, calendar, IHI scale, and the Mesa contract."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys

import mesa
import numpy as np
import pandas as pd
import pytest

from qicsim import sim
from qicsim.sim.calendar import WEEKS_PER_MONTH, Calendar, month_of, weeks
from qicsim.sim.ihi import ihi_score as ihi

OUTCOME_COLUMNS = ["team_id", "organisation_id", "sent_by_management", "leader_changed", "dropped",
                   "relative_improvement", "significant_improvement", "sustained", "changes_adopted",
                   "successful_changes", "first_result_month", "ihi_score_end"]
TEAM_TABLE_COLUMNS = ["team_id", "month", "phase", "true_performance", "measured_performance", "ihi_score",
                      "motivation", "knowledge", "capability", "cohesion", "status"]


def fingerprint(result: sim.RunResult) -> str:
    h = hashlib.sha256(json.dumps(result.summary, sort_keys=True).encode())
    h.update(pd.util.hash_pandas_object(result.teams, index=False).values.tobytes())
    h.update(pd.util.hash_pandas_object(result.team_outcomes, index=False).values.tobytes())
    return h.hexdigest()


def test_same_seed_same_results_and_other_seed_differs():
    a, b = sim.run("breakthrough", seed=5), sim.run("breakthrough", seed=5)
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(sim.run("breakthrough", seed=6))


def test_same_seed_same_results_in_another_process():
    code = ("import sys; sys.path.insert(0, 'tests'); from qicsim import sim; from test_model import fingerprint; "
            "print(fingerprint(sim.run('breakthrough', seed=5)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""})
    assert out.stdout.strip() == fingerprint(sim.run("breakthrough", seed=5))


def test_outputs_have_the_contracted_shape(small_run):
    assert set(sim.SUMMARY_KEYS) <= set(small_run.summary)
    assert all(isinstance(v, float) for v in small_run.summary.values())
    assert list(small_run.team_outcomes.columns[: len(OUTCOME_COLUMNS)]) == OUTCOME_COLUMNS
    assert len(small_run.team_outcomes) == 20
    assert set(TEAM_TABLE_COLUMNS) <= set(small_run.teams.columns)
    months = small_run.teams.groupby("team_id")["month"].apply(list)
    assert all(m == list(range(m[-1] + 1)) for m in months), "one row per team per month from month 0"
    assert set(small_run.teams["phase"]) == {"prework", "learning_session", "action_period", "congress",
                                             "follow_up"}
    by_month = small_run.teams.groupby("month")["phase"].first()
    assert by_month.iloc[0] == "prework" and by_month.iloc[-1] == "follow_up"


@pytest.mark.parametrize("scenario", ["breakthrough", "traditional", "leader-churn", "uk-orthopaedic"])
def test_invariants(scenario):
    for seed in range(3):
        r = sim.run(scenario, seed=seed)
        for key in ["dropout_rate", "significant_improvement_rate", "sustained_rate", "continued_qi_rate"]:
            assert 0.0 <= r.summary[key] <= 1.0
        s = r.scenario
        t = r.teams
        for col in ["motivation", "knowledge", "capability", "cohesion", "data_capability", "senior_engagement"]:
            assert t[col].between(0, 1).all(), col
        assert t["ihi_score"].isin(np.arange(0.5, 5.01, 0.5)).all()
        o = r.team_outcomes
        floor = s.best_practice_performance + 1.5 * (o["performance_baseline"] - s.best_practice_performance)
        merged = t.merge(o[["team_id"]].assign(floor=floor.values), on="team_id")
        assert (merged["true_performance"] >= s.best_practice_performance - 1e-12).all()
        assert (merged["true_performance"] <= merged["floor"] + 1e-12).all()
        # sustained implies significant; dropped teams never complete
        assert not (o["sustained"] & ~o["significant_improvement"]).any()
        assert (t.loc[t["status"] == "completed", "team_id"].isin(o.loc[~o["dropped"], "team_id"])).all()


def test_dropped_teams_run_no_more_tests():
    checked = 0
    for seed in range(4):
        r = sim.run("leader-churn", seed=seed)
        for team_id, rows in r.teams.groupby("team_id"):
            dropped = rows[rows["status"] == "dropped"]
            if dropped.empty:
                continue
            checked += 1
            assert dropped["tests_run"].nunique() == 1, f"team {team_id} tested after dropping out"
            assert (dropped["status"] == "dropped").all()
            assert rows.loc[rows["month"] >= dropped["month"].min(), "status"].eq("dropped").all()
    assert checked >= 5, "too few drop-outs to check"


def test_gap_and_changes_in_use_follow_each_teams_changes():
    """A team's gap is its drift times the product over its adopted changes of (1 - effect x use), and
    its changes in use their sum, at every step (leader changes, erosion in follow-up and drift all
    move them); use and institutionalisation stay shares, and only adopted changes have either."""
    model = sim.CollaborativeModel(teams=8, follow_up_months=6.0, leader_turnover_per_year=1.0, rng=3)
    ideas = model.ideas
    checked = 0
    while model.running:
        model.step()
        for team in model.teams:
            rows = ideas.adopted[team.index].nonzero()[0]
            use = ideas.in_use[team.index, rows]
            expected = team.drift * float(np.prod(1.0 - ideas.effect[rows] * use))
            assert team.gap == pytest.approx(expected, rel=1e-12)
            assert team.changes_in_use == pytest.approx(float(use.sum()), rel=1e-12)
            checked += len(rows)
        assert np.all((ideas.in_use >= 0) & (ideas.in_use <= 1))
        assert np.all((ideas.institutionalisation >= 0) & (ideas.institutionalisation <= 1))
        assert not (ideas.in_use[~ideas.adopted].any() or ideas.institutionalisation[~ideas.adopted].any())
        assert not (ideas.adopted & ideas.at_hand).any(), "an adopted change is no longer an idea to test"
    assert checked > 100
    assert model.team_states.leader_changes.sum() > 0, "a leader change should have moved some changes"


def test_comparators():
    none = sim.run("breakthrough", seed=2, mode="none")
    assert none.summary["dropout_rate"] == 0.0
    assert none.team_outcomes["changes_adopted"].sum() == 0
    assert none.summary["total_cost"] == 0.0
    trad = sim.run("traditional", seed=2)
    assert trad.summary["cost_venue_and_travel"] == trad.summary["cost_meeting_staff_time"] == 0.0
    assert set(trad.teams["phase"]) <= {"project", "organising", "diagnosis", "action_period", "follow_up"}
    assert {"organising", "diagnosis", "action_period"} <= set(trad.teams["phase"])


def test_calendar_breakthrough():
    s = sim.load_scenario("breakthrough")
    c = Calendar.for_scenario(s)
    assert len(c.session_weeks) == s.learning_sessions
    assert c.congress_week == c.end_week
    assert c.months == math.ceil(c.total_weeks / WEEKS_PER_MONTH)
    assert c.total_weeks == weeks(s.prework_months) + s.learning_sessions * weeks(s.action_period_months) + 1 \
        + weeks(s.follow_up_months)
    for m, w in enumerate(c.month_end_weeks, start=1):
        assert month_of(w) == m
        assert month_of(w + 1) == m + 1 or w == c.total_weeks
    assert c.month_phase(0) == "prework"


def test_calendar_traditional_has_no_sessions():
    c = Calendar.for_scenario(sim.load_scenario("traditional"))
    assert c.session_weeks == () and c.congress_week is None


def ihi_score(progress: float | None, **kw) -> float:
    """The IHI score of one team in the given state (defaults: formed, planned, baseline data, tests run)."""
    state = {**dict(formed=True, planned=True, has_baseline=True, tests_run=3, months_at_goal=0,
                    months_at_half_goal=0), **kw}
    return ihi(progress=math.nan if progress is None else progress, **state)


def test_ihi_scale():
    assert ihi_score(None, formed=False) == 0.5
    assert ihi_score(None, planned=False) == 1.0
    assert ihi_score(None, has_baseline=False) == 1.5
    assert ihi_score(0.9, tests_run=0) == 2.0
    assert ihi_score(None) == 2.5, "no data, no claim of improvement"
    assert [ihi_score(p) for p in (0.1, 0.25, 0.4, 0.6)] == [2.5, 3.0, 3.5, 4.0]
    assert ihi_score(0.6, months_at_half_goal=3) == 4.5
    assert ihi_score(1.1, months_at_half_goal=6, months_at_goal=6) == 5.0


def test_model_is_a_mesa_model_for_batch_run():
    model = sim.CollaborativeModel(teams=6, follow_up_months=3.0, rng=4)
    assert isinstance(model, mesa.Model)
    results = mesa.batch_run(sim.CollaborativeModel, parameters={"teams": [6], "didactic_share": [0.2, 0.8],
                                                                 "follow_up_months": 3.0},
                             rng=[1, 2], max_steps=500, display_progress=False)
    assert len({r["RunId"] for r in results}) == 4
    assert len(results) == 4, "one row per run: the model-level series (team tables come from sim.run)"
    assert {"active_teams", "dropped_teams", "mean_ihi_score", "didactic_share"} <= set(results[0])
    # the run's summary outcomes and seed come with its last row, equal to what sim.run reports
    for row in results:
        expected = sim.run("breakthrough", seed=row["rng"], teams=6, didactic_share=row["didactic_share"],
                           follow_up_months=3.0).summary
        assert row["seed"] == row["rng"]
        for key in sim.SUMMARY_KEYS:
            assert row[key] == pytest.approx(expected[key], nan_ok=True), key


def test_batch_run_monthly_rows_carry_the_summary_only_at_the_end():
    rows = mesa.batch_run(sim.CollaborativeModel, parameters={"teams": 5, "follow_up_months": 2.0}, rng=[3],
                          data_collection_period=1, max_steps=500, display_progress=False)
    assert len(rows) > 3
    assert all(math.isnan(r["dropout_rate"]) for r in rows[:-1])
    assert not math.isnan(rows[-1]["dropout_rate"])


def test_a_mesa_scenario_sets_parameters_and_seed():
    """Mesa 3.5's own ``scenario=`` (a mesa Scenario) is taken as Mesa means it: values and seed."""
    from mesa.experimental.scenarios import Scenario

    model = sim.CollaborativeModel(scenario=Scenario(rng=5, teams=7, didactic_share=0.6, follow_up_months=1.0))
    assert model.seed == 5 and model.params.teams == 7 and model.params.didactic_share == 0.6
    assert model.scenario.rng == 5
    model.run_model()
    same = sim.run("breakthrough", seed=5, teams=7, didactic_share=0.6, follow_up_months=1.0)
    assert model.summary == pytest.approx(same.summary, nan_ok=True)
    with pytest.raises(ValueError, match="differ"):
        sim.CollaborativeModel(scenario=Scenario(rng=5, teams=7), rng=6)
    # one unseeded Scenario reused: each run draws its own seed, as in Mesa, and the caller's object is untouched
    unseeded = Scenario(teams=5, follow_up_months=1.0)
    first, second = (sim.CollaborativeModel(scenario=unseeded) for _ in range(2))
    assert first.seed != second.seed and unseeded.rng is None
    assert first.scenario.rng == first.seed and first.scenario.teams == 5
    # a qicsim scenario passed by keyword still works, as it did before Mesa had scenario=
    assert sim.CollaborativeModel(scenario=sim.load_scenario("ihi-ade"), rng=1).params.name == "ihi-ade"


def test_seeding_as_mesa_users_expect():
    """Left out, the seed comes from the operating system's entropy (as in Mesa), is kept, and repeats the run."""
    a = sim.CollaborativeModel(teams=5, follow_up_months=1.0)
    b = sim.CollaborativeModel(teams=5, follow_up_months=1.0)
    assert a.seed != b.seed, "two unseeded models draw different seeds (a 1 in 4 billion chance of a tie)"
    a.run_model()
    again = sim.CollaborativeModel(teams=5, follow_up_months=1.0, rng=a.seed)
    again.run_model()
    assert a.summary == pytest.approx(again.summary, nan_ok=True)
    generator = sim.CollaborativeModel(teams=5, rng=np.random.default_rng(7)).seed
    assert generator == sim.CollaborativeModel(teams=5, rng=np.random.default_rng(7)).seed
    with pytest.raises(ValueError, match="seed"):
        sim.CollaborativeModel(teams=5, rng=-1)


def test_bad_seed_refused():
    with pytest.raises(sim.ScenarioError, match="seed"):
        sim.run("breakthrough", seed=-1)


def test_designs_on_one_seed_share_their_teams():
    """Common random numbers: every mode draws the same teams and organisations from a seed."""
    cols = ["team_id", "organisation_id", "sent_by_management", "performance_baseline"]
    runs = [sim.run("breakthrough", seed=9, mode=m, follow_up_months=3.0).team_outcomes[cols]
            for m in ("collaborative", "traditional", "none")]
    pd.testing.assert_frame_equal(runs[0], runs[1])
    pd.testing.assert_frame_equal(runs[0], runs[2])
    other = sim.run("breakthrough", seed=9, didactic_share=0.9, change_package_size=20).team_outcomes[cols]
    pd.testing.assert_frame_equal(runs[0], other)


def test_a_measure_where_higher_is_better_counts_its_rise_as_improvement():
    """Relative improvement has the measure's direction: a rise towards a higher best practice is an
    improvement (it was counted as a fall until the modular core)."""
    rising = [sim.run("breakthrough", seed=s, baseline_performance=0.6, best_practice_performance=0.95,
                      measure_direction="higher_is_better") for s in range(6)]
    derived = sim.load_scenario("breakthrough").with_overrides(baseline_performance=0.6,
                                                                 measure_direction="higher_is_better")
    assert derived.best_practice() == pytest.approx(0.9), "unset best practice: the baseline improved by half"
    with pytest.raises(sim.ScenarioError, match="not better than baseline"):
        sim.run("breakthrough", seed=1, baseline_performance=0.6, best_practice_performance=0.95)
    falling = [sim.run("breakthrough", seed=s) for s in range(6)]
    for r in rising:
        o = r.team_outcomes
        assert (o["performance_end"] >= o["performance_baseline"]).mean() > 0.5, "the measure rises"
        assert r.summary["mean_relative_improvement"] > 0
        assert r.summary["health_gain"] > 0
    up = np.mean([r.summary["significant_improvement_rate"] for r in rising])
    down = np.mean([r.summary["significant_improvement_rate"] for r in falling])
    assert up > 0.1 and down > 0.1, (up, down)
