"""'What changes when...': the paper's qualitative claims as paired-seed experiments on the model.

Each claim of Øvretveit et al. (2002) that the model must show (``analysis/targets.yaml``,
section ``qualitative``) is mapped to one lever change and one outcome. Both settings run on the
same seeds (common random numbers), so the mean paired difference is the lever's effect plus noise
that shrinks with the number of seeds; nothing in the model sets an outcome directly. The levers and
directions are those of ``tests/test_effects.py``, which checks them over more seeds.

A claim whose lever or outcome the model does not have yet (e.g. spread before the spread network
lands) is reported as "not yet modelled" instead of failing the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qicsim import sim
from qicsim.analysis.defaults import EFFECTS_SEED, EFFECTS_SEEDS, EFFECTS_TEAMS  # noqa: F401 (re-exported)

NO_FOLLOW_UP: Mapping[str, Any] = {"follow_up_months": 0.0}
"""Outcomes read at the end of the collaborative need no follow-up (and run twice as fast)."""

NOT_MODELLED = "not yet modelled"


@dataclass(frozen=True)
class Claim:
    """One of the paper's claims as a lever change: ``base`` -> ``changed`` (flat parameter names,
    applied to ``scenario``), read on the summary ``key``; ``expected`` is the sign of the change."""

    claim: str
    label: str
    key: str
    base: Mapping[str, Any]
    changed: Mapping[str, Any]
    expected: int
    scenario: str = sim.DEFAULT_SCENARIO
    shared: Mapping[str, Any] = field(default_factory=dict)
    """Settings of both arms that are not the lever (e.g. no follow-up)."""


_LEADER = "a change of team leader during the collaborative strongly raises the chance that the team drops out"
_SENT = "teams sent by management, less motivated, improve less often"
_SENIOR = "without visible senior-leader support, improvements are rarely significant or sustained"
_FALL = "performance can fall after the collaborative ends unless changes are institutionalised"
_FIRST = "teams in a collaborative reach a first tangible result sooner than traditional teams"
_DIDACTIC = "more didactic lecturing and less team/peer time leaves less capability to continue after the end"
_SPREAD = "spread beyond participants is rare unless planned for"
_BROAD = ("a broad subject ('improve cooperation between primary and secondary care') is less effective than a "
          "narrow, evidence-based one")
_FACTORS = ("the five success factors (teamwork, QI method learning, strategic importance, culture, management "
            "support) each matter")
_NO_SENIOR = {"senior_support": 0.1, "senior_engagement_plan": 0.0}

CLAIMS: tuple[Claim, ...] = (
    Claim(_LEADER, "leader turnover: drop-out", "dropout_rate",
          {"leader_turnover_per_year": 0.05}, {"leader_turnover_per_year": 0.6}, +1, shared=NO_FOLLOW_UP),
    Claim(_SENT, "sent teams: significant improvement", "significant_improvement_rate",
          {"share_sent_by_management": 0.0}, {"share_sent_by_management": 1.0}, -1, shared=NO_FOLLOW_UP),
    Claim(_SENIOR, "no senior support: significant improvement", "significant_improvement_rate",
          {}, _NO_SENIOR, -1, shared=NO_FOLLOW_UP),
    Claim(_SENIOR, "no senior support: sustained improvement", "sustained_rate", {}, _NO_SENIOR, -1),
    Claim(_FALL, "sustain planning: sustained improvement", "sustained_rate",
          {"sustain_planning": 0.0}, {"sustain_planning": 0.9}, +1),
    Claim(_FIRST, "collaborative vs traditional: months to first result", "months_to_first_result_mean",
          {"mode": "traditional"}, {"mode": "collaborative"}, -1, shared=NO_FOLLOW_UP),
    Claim(_DIDACTIC, "more lecturing: continued QI use", "continued_qi_rate",
          {"didactic_share": 0.2}, {"didactic_share": 0.85}, -1),
    Claim(_SPREAD, "spread planning: units reached", "spread_units",
          {"spread_planning": 0.0}, {"spread_planning": 1.0}, +1),
    Claim(_BROAD, "broad subject: significant improvement", "significant_improvement_rate",
          {}, {"subject_specificity": 0.2}, -1, shared=NO_FOLLOW_UP),
    *(Claim(_FACTORS, f"{factor}: significant improvement", "significant_improvement_rate",
            {factor: 0.25}, {factor: 0.8}, +1, shared=NO_FOLLOW_UP)
      for factor in ("teamwork_mean", "qi_method_learning", "strategic_importance", "qi_culture", "senior_support")),
)
"""The paper's qualitative claims, in the order of ``targets.yaml``, each as a lever change."""


def unit_of(key: str) -> str:
    """The unit an effect on ``key`` is measured in (for the chart's panels and the table)."""
    if key.endswith("_rate"):
        return "share of teams"
    if key.startswith("months_"):
        return "months"
    if key.startswith("spread_") or key.endswith("_units"):
        return "units"
    return key


def _arm(claim: Claim, arm: Mapping[str, Any], teams: int) -> sim.Scenario:
    return sim.load_scenario(claim.scenario).with_overrides(teams=teams, **claim.shared, **arm)


def lever_text(claim: Claim) -> str:
    """The lever as 'name base -> changed' for every parameter the two arms set differently."""
    defaults = sim.load_scenario(claim.scenario).parameters()
    names = list(dict.fromkeys([*claim.base, *claim.changed]))
    parts = [f"{n} {claim.base.get(n, defaults.get(n, '?'))} → {claim.changed.get(n, defaults.get(n, '?'))}"
             for n in names]
    if claim.shared:
        parts.append("both: " + ", ".join(f"{k}={v}" for k, v in claim.shared.items()))
    return "; ".join(parts)


def effect_seeds(seeds: int = EFFECTS_SEEDS, base_seed: int = EFFECTS_SEED) -> list[int]:
    """The paired seeds: ``sim.derive_seed(base_seed, i)`` for i = 0..seeds-1."""
    return [sim.derive_seed(base_seed, i) for i in range(seeds)]


def _plan(claims: Sequence[Claim], teams: int) -> tuple[dict[int, tuple[sim.Scenario, sim.Scenario] | str], dict]:
    """Each claim's two scenarios (or why it cannot run) and the distinct scenarios to run, keyed by
    their parameters, so that arms shared by several claims run once per seed."""
    arms: dict[int, tuple[sim.Scenario, sim.Scenario] | str] = {}
    distinct: dict[tuple, sim.Scenario] = {}
    for i, claim in enumerate(claims):
        try:
            pair = (_arm(claim, claim.base, teams), _arm(claim, claim.changed, teams))
        except sim.ScenarioError as exc:
            arms[i] = f"{NOT_MODELLED} (the scenario refuses the lever: {str(exc).splitlines()[0]})"
            continue
        arms[i] = pair
        for scenario in pair:
            distinct.setdefault(_fingerprint(scenario), scenario)
    return arms, distinct


def _fingerprint(scenario: sim.Scenario) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in scenario.parameters().items()))


def count_runs(claims: Sequence[Claim] = CLAIMS, seeds: int = EFFECTS_SEEDS, teams: int = EFFECTS_TEAMS) -> int:
    """How many model runs :func:`run_effects` makes (for a progress bar)."""
    return len(_plan(claims, teams)[1]) * seeds


def run_effects(claims: Sequence[Claim] = CLAIMS, seeds: int = EFFECTS_SEEDS, teams: int = EFFECTS_TEAMS,
                base_seed: int = EFFECTS_SEED, progress: Callable[[], object] | None = None) -> pd.DataFrame:
    """Mean paired difference (changed - base) and its standard error for every claim, with a
    verdict: as expected (beyond 2 SE), as expected within 2 SE, not as expected, or not yet modelled."""
    arms, distinct = _plan(claims, teams)
    seed_list = effect_seeds(seeds, base_seed)
    summaries: dict[tuple, list[dict[str, float]]] = {}
    for fingerprint, scenario in distinct.items():
        runs = []
        for seed in seed_list:
            runs.append(sim.run(scenario, seed=seed).summary)
            if progress is not None:
                progress()
        summaries[fingerprint] = runs
    rows = []
    for i, claim in enumerate(claims):
        row = {"claim": claim.claim, "label": claim.label, "lever": lever_text(claim), "key": claim.key,
               "unit": unit_of(claim.key), "expected": claim.expected, "mean": math.nan, "se": math.nan, "n": 0}
        pair = arms[i]
        if isinstance(pair, str):
            rows.append({**row, "verdict": pair})
            continue
        base, changed = (summaries[_fingerprint(s)] for s in pair)
        if claim.key not in base[0] or claim.key not in changed[0]:
            rows.append({**row, "verdict": f"{NOT_MODELLED} (no {claim.key} in the run summary)"})
            continue
        diffs = np.array([c[claim.key] - b[claim.key] for b, c in zip(base, changed, strict=True)], dtype=float)
        diffs = diffs[np.isfinite(diffs)]
        mean = float(diffs.mean()) if len(diffs) else math.nan
        se = float(diffs.std(ddof=1) / math.sqrt(len(diffs))) if len(diffs) > 1 else math.nan
        rows.append({**row, "mean": mean, "se": se, "n": len(diffs), "verdict": verdict(mean, se, claim.expected)})
    return pd.DataFrame(rows)


def verdict(mean: float, se: float, expected: int) -> str:
    """Whether an effect has the paper's direction, and whether it stands out from the noise."""
    if not math.isfinite(mean):
        return "no value (every paired difference was n/a)"
    signed = expected * mean
    if math.isfinite(se) and signed > 2 * se:
        return "as expected"
    if signed > 0:
        return "as expected, within 2 SE (more seeds needed)"
    if signed == 0:
        return "no change"
    return "not as expected"
