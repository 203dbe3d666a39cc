"""Exploratory modelling with qicsim and the EMA Workbench (3.x): which conditions make a collaborative lose teams?

qicsim is wrapped as an EMA ``Model``: its *uncertainties* are conditions the organisers do not control (team
leaders' turnover, senior leaders' support), its *levers* are design choices (share of lectures at the learning
sessions, planning to sustain, coaching calls), each sampled over the range qicsim declares for it
(``qicsim.parameter_info(name)``); its *outcomes* are replicate means of summary outcomes. The Workbench samples
the experiments (Latin hypercube), runs them, and then

* feature scoring (extra trees) ranks the parameters by how much each outcome depends on them, and
* PRIM (scenario discovery) looks for the box of conditions in which drop-out exceeds a threshold (0.3).

Run it (about half a minute with the default sizes, 1,000 runs; ``--help`` for smaller or larger)::

    pip install "ema_workbench>=3,<4"
    python examples/ema_workbench_example.py --scenarios 50 --policies 4 --replicates 5 --teams 20

The file is not called ``ema_workbench.py`` on purpose: run as a script, its folder comes first on ``sys.path`` and a
file of that name would be imported instead of the package.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import qicsim

with warnings.catch_warnings():  # the Workbench warns on import that its optional ipyparallel evaluator is missing
    warnings.simplefilter("ignore", UserWarning)
    from ema_workbench import (
        IntegerParameter,
        Model,
        RealParameter,
        Sample,
        ScalarOutcome,
        SequentialEvaluator,
        ema_logging,
    )
    from ema_workbench.analysis import feature_scoring, prim

BASE_SEED = 20021101
"""Replicate r of every experiment runs with ``qicsim.derive_seed(BASE_SEED, r)``."""

SCENARIO = "breakthrough"
UNCERTAINTIES = ("leader_turnover_per_year", "senior_support")
"""Conditions the organisers do not control, sampled over their declared plausible ranges ("prior")."""
REAL_LEVERS = ("didactic_share", "sustain_planning")
"""Design choices, sampled over their declared plausible ranges."""
COACHING_CALLS = (0, 2)
"""Coaching calls a team a month (qicsim allows 0-8 and declares no plausible range; 0-2 is what ``qicsim design``
searches by default)."""
OUTCOMES = {"dropout_rate": ScalarOutcome.MINIMIZE, "sustained_rate": ScalarOutcome.MAXIMIZE,
            "total_cost": ScalarOutcome.MINIMIZE}
"""Summary outcomes (replicate means) and the direction a planner wants them to go."""
DROPOUT_THRESHOLD = 0.3
MIN_DENSITY = 0.8
"""The share of a PRIM box's experiments above the threshold that makes the box worth reporting."""


def declared_range(name: str) -> tuple[float, float]:
    """A parameter's plausible range as qicsim declares it (its prior), or else its allowed range."""
    info = qicsim.parameter_info(name)
    low, high = info["prior"] if info.get("prior") else (info["ge"], info["le"])
    return float(low), float(high)


def make_model(replicates: int = 5, teams: int = 20, base_seed: int = BASE_SEED,
               scenario: str = SCENARIO) -> Model:
    """qicsim as an EMA Workbench model whose outcomes are means over ``replicates`` runs of ``teams`` teams."""
    base = qicsim.load_scenario(scenario).with_overrides(teams=teams)
    # Common random numbers: replicate r of *every* experiment uses the same seed, derive_seed(base_seed, r), so it
    # enrols the same organisations and draws the same luck (leaders who leave, tests that fail) wherever the
    # parameters allow. Two experiments then differ because their parameters differ, not because they happened to
    # draw different collaboratives: the between-seed noise cancels from their comparison, and what feature scoring
    # and PRIM attribute to a parameter is not seed noise. (Each mean still holds the sampling error of its
    # `replicates` runs; more replicates make the level more precise, not the comparison fairer.)
    seeds = [qicsim.derive_seed(base_seed, r) for r in range(replicates)]

    def collaborative(**parameters: Any) -> dict[str, float]:
        # the Workbench passes numpy numbers; qicsim's parameters take plain Python ones
        values = {name: int(v) if name == "coaching_calls_per_month" else float(v) for name, v in parameters.items()}
        scenario_r = base.with_overrides(**values)
        summaries = [qicsim.run(scenario_r, seed=seed).summary for seed in seeds]
        return {key: float(np.mean([s[key] for s in summaries])) for key in OUTCOMES}

    model = Model("qicsim", function=collaborative)
    model.uncertainties = [RealParameter(name, *declared_range(name)) for name in UNCERTAINTIES]
    model.levers = [*(RealParameter(name, *declared_range(name)) for name in REAL_LEVERS),
                    IntegerParameter("coaching_calls_per_month", *COACHING_CALLS)]
    model.outcomes = [ScalarOutcome(key, kind=kind) for key, kind in OUTCOMES.items()]
    return model


def run_experiments(model: Model, scenarios: int | Iterable[Sample], policies: int | Iterable[Sample],
                    seed: int = BASE_SEED, progress_bar: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every combination of ``scenarios`` (values of the uncertainties) and ``policies`` (values of the levers), in
    this process; numbers are Latin hypercube samples drawn with seeds derived from ``seed``. Returns the
    experiments (one row each) and their outcomes (same order)."""
    with SequentialEvaluator(model) as evaluator:  # one process: the model function need not be picklable
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=scenarios, policies=policies,
            uncertainty_sampling_kwargs={"rng": qicsim.derive_seed(seed, 1)},
            lever_sampling_kwargs={"rng": qicsim.derive_seed(seed, 2)},
            log_progress=not progress_bar,  # the Workbench's choice: a tqdm bar on stderr, or its log
        )
    return experiments, pd.DataFrame(outcomes)


@dataclass
class Exploration:
    experiments: pd.DataFrame
    """One row per experiment: the parameters, then the Workbench's scenario, policy and model columns."""
    outcomes: pd.DataFrame
    """One row per experiment: the replicate means of OUTCOMES."""
    feature_scores: pd.DataFrame
    """Parameters x outcomes: each outcome's dependence on each parameter (extra trees; columns sum to 1)."""
    prim_limits: pd.DataFrame | None
    """The box PRIM found for drop-out above the threshold (min and max of each restricted parameter), or None."""
    prim_stats: pd.Series | None
    """The box's coverage, density, mass and restricted dimensions, or None."""


def parameter_names(model: Model) -> list[str]:
    return [p.name for p in [*model.uncertainties, *model.levers]]


def explore(experiments: pd.DataFrame, outcomes: pd.DataFrame, names: list[str], threshold: float = DROPOUT_THRESHOLD,
            seed: int = BASE_SEED, verbose: bool = True) -> Exploration:
    """Feature scores for every outcome and a PRIM box for ``dropout_rate > threshold``."""
    say = print if verbose else (lambda *_args: None)
    x = experiments[names]
    scores = feature_scoring.get_feature_scores_all(
        x, {key: outcomes[key].to_numpy() for key in outcomes}, alg="extra trees",
        random_state=qicsim.derive_seed(seed, 3)).rename_axis("parameter")
    say("Feature scores (extra trees: how much each outcome depends on each parameter; each column sums to 1):")
    say(scores.round(3).to_string(), "\n")

    interesting = (outcomes["dropout_rate"] > threshold).to_numpy()
    say(f"{interesting.sum()} of {len(interesting)} experiments lose more than {threshold:.0%} of their teams.")
    if not 0 < interesting.sum() < len(interesting):
        say("PRIM needs some experiments above the threshold and some below; none found. Run more experiments or "
            "change the threshold.")
        return Exploration(experiments, outcomes, scores, None, None)
    # PRIM gets the whole-number parameter as a float: the Workbench 3.0.0 pastes a fractional limit into an integer
    # column, which pandas 3 refuses ("Invalid value '0.5' for dtype 'int64'")
    finder = prim.Prim(x.astype(float), interesting)
    box = finder.find_box()
    # PRIM peels the space step by step, trading coverage for density; take the step with the most coverage among
    # those whose density is at least MIN_DENSITY (or the last step, the densest, if none reaches it)
    trajectory = box.peeling_trajectory
    dense = trajectory[trajectory["density"] >= MIN_DENSITY]
    step = int(dense["coverage"].idxmax()) if len(dense) else len(trajectory) - 1
    stats, limits = box.inspect(step, style="data")[0]
    limits = limits.droplevel(0, axis=1).iloc[:, :2]  # min and max of each parameter the box restricts
    say("PRIM (scenario discovery): the box of conditions in which drop-out is above the threshold")
    say(f"  step {step} of {len(trajectory) - 1}: coverage {stats['coverage']:.2f} (share of the high-drop-out "
        "experiments inside the box), "
        f"density {stats['density']:.2f} (share of the box's experiments with high drop-out), "
        f"mass {stats['mass']:.2f} (share of all experiments inside it)")
    say(limits.to_string() if len(limits) else "  (no parameter restricted)")
    return Exploration(experiments, outcomes, scores, limits, stats)


def main(scenarios: int = 50, policies: int = 4, replicates: int = 5, teams: int = 20, seed: int = BASE_SEED,
         threshold: float = DROPOUT_THRESHOLD, verbose: bool = True) -> Exploration:
    """``scenarios`` x ``policies`` experiments of ``replicates`` runs of ``teams`` teams each, then the analysis."""
    model = make_model(replicates, teams, seed)
    if verbose:
        print(f"{scenarios} scenarios x {policies} policies = {scenarios * policies} experiments, "
              f"{replicates} replicates of {teams} teams each (seeds derive_seed({seed}, r))")
    experiments, outcomes = run_experiments(model, scenarios, policies, seed, progress_bar=verbose)
    return explore(experiments, outcomes, parameter_names(model), threshold, seed, verbose)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=50, help="samples of the uncertainties (default 50)")
    parser.add_argument("--policies", type=int, default=4, help="samples of the levers (default 4)")
    parser.add_argument("--replicates", type=int, default=5, help="runs per experiment (default 5)")
    parser.add_argument("--teams", type=int, default=20, help="teams in each collaborative (default 20)")
    parser.add_argument("--seed", type=int, default=BASE_SEED, help=f"base seed (default {BASE_SEED})")
    parser.add_argument("--threshold", type=float, default=DROPOUT_THRESHOLD,
                        help=f"drop-out rate of interest for PRIM (default {DROPOUT_THRESHOLD})")
    parser.add_argument("--log", action="store_true", help="the Workbench's progress messages on stderr")
    return parser.parse_args()


if __name__ == "__main__":
    args = _arguments()
    if args.log:
        ema_logging.log_to_stderr(ema_logging.INFO)
    main(args.scenarios, args.policies, args.replicates, args.teams, args.seed, args.threshold)
