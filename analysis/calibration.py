"""Bayesian calibration of the shared behavioural inputs to every calibration figure at once.

One model for every collaborative: the inputs listed under ``calibration: free`` in the targets
file are shared by all built-in collaboratives, and each is fitted to every figure marked
``set: calibration`` jointly -- never one collaborative at a time. The method is approximate
Bayesian computation by sequential Monte Carlo (ABC-SMC; Toni et al. 2009, Beaumont et al. 2009)
as the maintained library pyabc implements it: the model is a stochastic simulator without a
likelihood, so each particle (a draw of the inputs) runs every calibration group's scenario and is
weighed by how close its figures come to the published ones. Populations shrink the tolerance
step by step (pyabc's median epsilon); the last population, weighted, is the posterior sample.

- Priors: each free input's plausible range from its declaration (``qicsim show -v``), uniform, or
  log-uniform where the declaration says so (the sampler works on the log scale for those).
- Perturbation: a normal kernel with twice the last population's weighted covariance (Beaumont et
  al. 2009); pyabc's default (Silverman's rule) left the importance weights degenerate with a dozen
  inputs (an effective sample size of 4 of 60 in a trial).
- The distance: the root of the sum of squared standardised misses of the figures
  (:func:`analysis.targets.standardised_miss`: 0 inside a published band, 1 a tolerance outside).
  A published collaborative is one realisation, so its scenario runs once per particle
  (``replicates: 1``); the paper's generalisations (``general``) are means over a few runs.
- Seeds: each particle's runs take seeds derived from the calibration's seed and the particle's
  values, so a particle always gives the same figures; the sampler's own random state is seeded per
  population. With one worker the whole calibration, resumed or not, is reproducible from its seed;
  with several, particles are accepted in the order workers finish, so the sample differs (by
  sampling noise) from one run to the next.
- Resuming: pyabc stores every finished population in ``DIR/calibration.db``; running the same
  command again continues from the last one (a different calibration in the same folder is
  refused).

Outputs in DIR: ``posterior.parquet`` (the weighted particles and, in its metadata, the targets,
seeds, priors, version and diagnostics; :class:`sim.posterior.Posterior`), ``identifiability.csv``
(prior vs posterior spread of each input: which the figures identify), ``generations.csv``,
``prior_posterior.png`` and ``pairs.png``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import zlib
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qicsim import sim
from qicsim.analysis import quantities
from qicsim.analysis.defaults import (
    CALIBRATION_GENERATIONS,
    CALIBRATION_MINUTES,
    CALIBRATION_POPULATION,
    CALIBRATION_SEED,
)
from qicsim.analysis.targets import CALIBRATION, Target, TargetsFile, standardised_miss
from qicsim.analysis.validation import GroupPlan, plan
from qicsim.sim.files import take_lock
from qicsim.sim.parameters import parameter_info
from qicsim.sim.posterior import Posterior

DEFAULT_POPULATION, DEFAULT_GENERATIONS = CALIBRATION_POPULATION, CALIBRATION_GENERATIONS
DEFAULT_MINUTES, DEFAULT_SEED = CALIBRATION_MINUTES, CALIBRATION_SEED
NAN_DISTANCE = 1e6
"""Distance of a particle whose runs could not give a figure."""
LOCK_FILE = ".lock"
SETTINGS_FILE = "calibration.json"
"""What a calibration folder holds (settings a resumed run must match); its populations are in calibration.db."""
EPSILON_QUANTILE = 0.5
"""Each population's tolerance: this quantile of the previous population's distances (pyabc's median)."""
KERNEL_COVARIANCE = 2.0
"""The perturbation kernel's covariance: this multiple of the previous population's weighted covariance
(Beaumont et al. 2009, Biometrika 96:983, the choice that minimises the Kullback-Leibler distance to the
next population). pyabc's default (Silverman's rule, about 0.45 of it for 11 inputs) leaves the kernels
of a population so narrow that the importance weights degenerate."""
IDENTIFIED = 0.5
"""An input counts as identified when its posterior sd is below this share of its prior sd."""


class CalibrationError(ValueError):
    """A calibration that cannot be run or resumed as asked; the message says why."""


# ---- what is fitted -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prior:
    """One free input and its prior: uniform (or log-uniform) on its plausible range."""

    name: str
    low: float
    high: float
    log: bool
    whole: bool

    @classmethod
    def of(cls, name: str) -> Prior:
        info = parameter_info(name)
        low, high = info["prior"]
        return cls(name, float(low), float(high), bool(info.get("log_prior")), isinstance(info["default"], int))

    def rv(self) -> Any:
        """The prior as the sampler sees it: uniform, on the log scale for a log-uniform input (so that the
        sampler's perturbations, and its importance weights, are on the scale the prior is flat on)."""
        import pyabc

        low, high = (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)
        return pyabc.RV("uniform", low, high - low)

    def natural(self, x: float) -> float:
        """A sampler value as the input's own value (undoing the log scale)."""
        return math.exp(x) if self.log else float(x)

    @property
    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    @property
    def sd(self) -> float:
        """The prior's standard deviation (of the input itself)."""
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            m1 = (self.high - self.low) / (b - a)
            m2 = (self.high**2 - self.low**2) / (2 * (b - a))
            return math.sqrt(max(0.0, m2 - m1**2))
        return (self.high - self.low) / math.sqrt(12)

    def value(self, x: float) -> float | int:
        """A particle's value as the scenario takes it (whole numbers rounded)."""
        x = self.natural(x)
        return int(round(x)) if self.whole else x


@dataclass(frozen=True)
class Figure:
    """One calibration figure: its group, target and the key it has among the summary statistics."""

    key: str
    group: str
    target: Target


def calibration_figures(targets: TargetsFile, exclude: Sequence[str] = ()) -> list[Figure]:
    """Every primary figure marked ``calibration``, in the file's order, without the excluded groups."""
    figures = []
    for name, group in targets.numeric_groups().items():
        if name in exclude:
            continue
        for k, target in enumerate(group.scored(CALIBRATION)):
            figures.append(Figure(f"{name}/{k}/{target.quantity}", name, target))
    return figures


# ---- the simulator and the distance --------------------------------------------------------------


@dataclass(frozen=True)
class Simulator:
    """What pyabc calls for a particle: every calibration group's scenario with the particle's inputs, its
    figures' values (means over the group's replicates). Small and picklable, for workers."""

    plans: tuple[GroupPlan, ...]
    figures: tuple[Figure, ...]
    priors: tuple[Prior, ...]
    seed: int

    def particle_seed(self, values: dict[str, float]) -> int:
        """A seed of the particle's own, from its values (the same particle, the same runs)."""
        text = json.dumps([repr(float(values[p.name])) for p in self.priors])
        return sim.derive_seed(self.seed, zlib.crc32(text.encode()))

    def __call__(self, parameters: dict[str, float]) -> dict[str, float]:
        values = {p.name: p.value(parameters[p.name]) for p in self.priors}
        base_seed = self.particle_seed(parameters)
        out: dict[str, float] = {}
        for k, p in enumerate(self.plans):
            wanted = [f for f in self.figures if f.group == p.name]
            if not wanted:
                continue
            # figures settled by the end of the collaborative need no follow-up (the same draws up to the end)
            shorter = {"follow_up_months": 0.0} if all(quantities.get(f.target.quantity).at_end for f in wanted) \
                else {}
            sums = dict.fromkeys((f.key for f in wanted), 0.0)
            counted = dict.fromkeys(sums, 0)
            for r in range(p.group.replicates):
                seed = sim.derive_seed(base_seed, k, r)
                results = {}
                for f in wanted:
                    arm = quantities.get(f.target.quantity).arm
                    if arm not in results:
                        scenario = _arm(p.scenario, arm).with_overrides(**values, **shorter)
                        results[arm] = sim.run(scenario, seed=seed)
                    try:
                        x = quantities.compute(f.target.quantity, results[arm])
                    except quantities.QuantityNotAvailable:
                        x = math.nan
                    if math.isfinite(x):
                        sums[f.key] += x
                        counted[f.key] += 1
            out.update({key: sums[key] / counted[key] if counted[key] else math.nan for key in sums})
        return out


def _arm(scenario: Any, arm: str) -> Any:
    overrides = {k: v for k, v in quantities.ARMS[arm].items() if getattr(scenario, k) != v}
    return scenario.with_overrides(**overrides) if overrides else scenario


@dataclass(frozen=True)
class Distance:
    """The root of the sum of squared standardised misses (:func:`analysis.targets.standardised_miss`)."""

    figures: tuple[Figure, ...]

    def __call__(self, simulated: dict[str, float], observed: dict[str, float]) -> float:
        total = 0.0
        for f in self.figures:
            x = simulated.get(f.key, math.nan)
            if not math.isfinite(x):
                return NAN_DISTANCE
            t = f.target
            total += standardised_miss(t.kind, t.value, t.tolerance, x) ** 2
        return math.sqrt(total)


# ---- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What a calibration is asked to do (and what a resumed one must match)."""

    free: tuple[str, ...]
    figures: tuple[str, ...]
    exclude: tuple[str, ...]
    population: int
    seed: int
    targets_fingerprint: str

    def as_dict(self) -> dict[str, Any]:
        return {"free": list(self.free), "figures": list(self.figures), "exclude": list(self.exclude),
                "population": self.population, "seed": self.seed, "targets_fingerprint": self.targets_fingerprint}


def targets_fingerprint(targets: TargetsFile, figures: Sequence[Figure], priors: Sequence[Prior]) -> str:
    """A hash of what is fitted and how: the figures (quantity, value, rule), their groups' scenarios and replicates,
    and the priors."""
    digest = hashlib.sha256()
    for f in figures:
        t = f.target
        digest.update(json.dumps([f.key, t.value, t.kind, t.tolerance]).encode())
    for p in plan(targets, sorted({f.group for f in figures})):
        digest.update(json.dumps([p.group.replicates, p.scenario.parameters()], sort_keys=True, default=str).encode())
    digest.update(json.dumps([[p.name, p.low, p.high, p.log] for p in priors]).encode())
    return digest.hexdigest()[:16]


@dataclass
class CalibrationRun:
    """A finished (or stopped) calibration: its posterior and what it cost."""

    posterior: Posterior
    generations: pd.DataFrame
    identifiability: pd.DataFrame
    evaluations: int
    seconds: float
    out: Path


def transition() -> Any:
    """pyabc's perturbation kernel for the particles of the next population."""
    import pyabc

    return pyabc.MultivariateNormalTransition(bandwidth_selector=_beaumont_bandwidth)


def _beaumont_bandwidth(effective_sample_size: float, dimension: int) -> float:  # noqa: ARG001
    return math.sqrt(KERNEL_COVARIANCE)


def make_sampler(workers: int, scheduler: str | None, stack: ExitStack) -> Any:
    """pyabc's sampler: in this process, in ``workers`` local processes, or on a Dask scheduler (connected as
    sweeps connect, :class:`experiments.backends.DaskBackend`; closed when ``stack`` closes)."""
    from pyabc import sampler

    if scheduler:
        from qicsim.experiments.backends import DaskBackend

        backend = stack.enter_context(DaskBackend(scheduler, workers))
        return sampler.DaskDistributedSampler(dask_client=backend.client)
    if workers > 1:
        return sampler.MulticoreEvalParallelSampler(n_procs=workers)
    return sampler.SingleCoreSampler()


def check(targets: TargetsFile, exclude: Sequence[str] = ()) -> None:
    """Refuse a calibration that cannot run: no free inputs, unknown groups to leave out, no figures left, or a
    group whose scenario cannot be loaded (:class:`CalibrationError`, ``ScenarioError``)."""
    if not targets.calibration.free:
        raise CalibrationError(f"{targets.origin}: the 'calibration' section lists no free inputs")
    unknown = [g for g in exclude if g not in targets.groups]
    if unknown:
        raise CalibrationError(f"--exclude: unknown group(s) {', '.join(unknown)} "
                               f"(groups: {', '.join(targets.groups)})")
    figures = calibration_figures(targets, exclude)
    if not figures:
        raise CalibrationError("no calibration figures are left to fit")
    plan(targets, sorted({f.group for f in figures}))


def calibrate(targets: TargetsFile, out: Path, population: int = DEFAULT_POPULATION,
              generations: int = DEFAULT_GENERATIONS, minutes: float = DEFAULT_MINUTES, seed: int = DEFAULT_SEED,
              workers: int = 1, scheduler: str | None = None, exclude: Sequence[str] = (),
              progress: Callable[[dict[str, Any]], object] | None = None) -> CalibrationRun:
    """Run (or resume) an ABC-SMC calibration into ``out`` until ``generations`` populations are done or
    ``minutes`` have passed; write the posterior and its diagnostics; return them."""

    check(targets, exclude)
    free = tuple(targets.calibration.free)
    figures = calibration_figures(targets, exclude)
    priors = tuple(Prior.of(name) for name in free)
    groups = sorted({f.group for f in figures}, key=list(targets.groups).index)
    plans = tuple(plan(targets, groups))
    settings = Settings(free, tuple(f.key for f in figures), tuple(sorted(set(exclude))), population, seed,
                        targets_fingerprint(targets, figures, priors))
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        try:
            lock = take_lock(out / LOCK_FILE)
        except BlockingIOError:
            raise CalibrationError(f"{out}: another qicsim calibrate is writing to this folder") from None
        if lock is not None:
            stack.callback(lock.close)
        history, seconds = _calibrate_in(out, settings, plans, tuple(figures), priors,
                                         (generations, minutes, progress, workers, scheduler))
        return finish(history, priors, figures, settings, out, seconds, exclude)


def _calibrate_in(out: Path, settings: Settings, plans: tuple[GroupPlan, ...], figures: tuple[Figure, ...],
                  priors: tuple[Prior, ...], how: tuple[int, float, Any, int, str | None]) -> tuple[Any, float]:
    """The populations of a calibration in ``out`` (its lock held): new, or resumed when the folder holds the same
    calibration; ``how`` is (generations, minutes, progress, workers, scheduler)."""
    import pyabc

    generations, minutes, progress, workers, scheduler = how
    db = out / "calibration.db"
    settings_file = out / SETTINGS_FILE
    if db.is_file() and not settings_file.is_file():
        raise CalibrationError(f"{out}: has calibration.db but no calibration.json to say what it holds; "
                               f"use another folder")
    resuming = db.is_file() and settings_file.is_file()
    if resuming and _stored_settings(settings_file) != settings.as_dict():
        raise CalibrationError(f"{out}: holds a different calibration (other inputs, priors, figures, population, "
                               f"seed or targets); use another folder")
    simulator = Simulator(plans, figures, priors, settings.seed)
    database = f"sqlite:///{db}"
    with ExitStack() as stack:
        sampler = make_sampler(workers, scheduler, stack)

        def smc() -> Any:
            # a fresh ABCSMC per population: pyabc caches the sample it calibrates epsilon on for the
            # life of the object, so a second run() on one object would keep the first tolerance
            return pyabc.ABCSMC(simulator, pyabc.Distribution(**{p.name: p.rv() for p in priors}),
                                Distance(figures), population_size=settings.population, sampler=sampler,
                                eps=pyabc.QuantileEpsilon(alpha=EPSILON_QUANTILE), transitions=transition())

        if not resuming:
            from qicsim.sim.files import write_text

            write_text(json.dumps(settings.as_dict(), indent=1), settings_file)
            smc().new(database, {f.key: f.target.value for f in figures})
        return _run_populations(smc, database, settings.seed, (generations, minutes), progress)


def _stored_settings(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise CalibrationError(f"{path}: cannot be read as a calibration's settings ({exc}); use another folder") \
            from None


def _run_populations(smc: Callable[[], Any], database: str, seed: int, stop: tuple[int, float],
                     progress: Callable[[dict[str, Any]], object] | None) -> tuple[Any, float]:
    """Populations, one ``run`` each, until ``stop[0]`` are stored or ``stop[1]`` minutes have passed (a population
    under way is finished); the pyabc history and the seconds this call took. The sampler's random state is seeded
    per population from ``seed``, so a resumed calibration draws as an uninterrupted one does."""
    import pyabc

    generations, minutes = stop

    start = time.monotonic()
    deadline = start + minutes * 60
    history = pyabc.History(database)
    history.id = 1
    done = 0 if history.max_t is None or history.max_t < 0 else history.max_t + 1
    while done < generations and time.monotonic() < deadline:
        np.random.seed(sim.derive_seed(seed, done) % 2**32)
        abc = smc()
        abc.load(database, 1)
        history = abc.run(max_nr_populations=1, max_walltime=timedelta(seconds=max(1.0, deadline - time.monotonic())))
        done = history.max_t + 1
        if progress is not None:
            progress(generation_row(history, history.max_t))
    return history, time.monotonic() - start


def generation_row(history: Any, t: int) -> dict[str, Any]:
    """One population's epsilon, acceptance and effective sample size."""
    populations = history.get_all_populations()
    row = populations[populations["t"] == t].iloc[0]
    _, weights = history.get_distribution(m=0, t=t)
    w = np.asarray(weights) / np.sum(weights)
    particles = history.get_nr_particles_per_population().get(t, len(w))
    return {"generation": int(t), "epsilon": float(row["epsilon"]), "simulations": int(row["samples"]),
            "acceptance": particles / float(row["samples"]) if row["samples"] else math.nan,
            "effective_sample_size": float(1.0 / np.sum(w**2)),
            "seconds": float(row["wall_time"]) if "wall_time" in row and pd.notna(row["wall_time"]) else math.nan}


def finish(history: Any, priors: Sequence[Prior], figures: Sequence[Figure], settings: Settings, out: Path,
           seconds: float, exclude: Sequence[str]) -> CalibrationRun:
    """Write the posterior, the generations, the identifiability table and the plots."""
    from qicsim.experiments.provenance import code_version

    t = history.max_t
    frame, weights = history.get_distribution(m=0, t=t)
    table = pd.DataFrame({p.name: [p.natural(x) for x in frame[p.name]] for p in priors})
    table["weight"] = np.asarray(weights, dtype=float)
    generations = pd.DataFrame([generation_row(history, g) for g in range(t + 1)])
    evaluations = int(history.total_nr_simulations)
    version = code_version()
    commit = str(version.get("git_commit") or "")[:10]
    made = f"qicsim calibrate {version.get('qicsim', '?')}" + (
        f", commit {commit}{'+changes' if version.get('git_dirty') else ''}" if commit else "")
    meta = {"created_by": made, "code_version": version, "method": "ABC-SMC (pyabc "
            f"{_pyabc_version()}), median epsilon, root of summed squared standardised misses",
            **settings.as_dict(), "priors": [p.__dict__ for p in priors],
            "figures": [{"key": f.key, "value": f.target.value, "kind": f.target.kind,
                         "tolerance": f.target.tolerance} for f in figures],
            "generations": generations.to_dict("records"), "evaluations": evaluations,
            "seconds": round(float(generations["seconds"].sum()), 1), "seconds_this_call": round(seconds, 1),
            "seed_rule": "particle runs: derive_seed(derive_seed(seed, crc32(values)), group, replicate)",
            "excluded_groups": list(exclude)}
    posterior = Posterior(table, meta, str(out / "posterior.parquet"))
    ident = identifiability(posterior, priors)
    posterior = Posterior(table, {**meta, "identifiability": ident.to_dict("records")}, posterior.origin)
    posterior.write(out / "posterior.parquet")
    from qicsim.sim.files import write_csv

    write_csv(ident, out / "identifiability.csv")
    write_csv(generations, out / "generations.csv")
    from qicsim.analysis.figures import posterior_pairs, prior_posterior

    prior_posterior(posterior, priors, out / "prior_posterior.png")
    posterior_pairs(posterior, priors, out / "pairs.png")
    return CalibrationRun(posterior, generations, ident, evaluations, seconds, out)


def identifiability(posterior: Posterior, priors: Sequence[Prior]) -> pd.DataFrame:
    """For each input: prior and posterior mean and sd, and the ratio of the posterior's sd to the prior's on the
    prior's own scale (the log scale for a log-uniform input); the figures identify an input when the ratio is
    below :data:`IDENTIFIED`."""
    summary = posterior.summary().set_index("parameter")
    w = posterior.weights
    rows = []
    for p in priors:
        s = summary.loc[p.name]
        x = posterior.table[p.name].to_numpy(dtype=float)
        if p.log:
            x = np.log(x)
        spread = math.sqrt(float(np.sum(w * (x - np.sum(w * x)) ** 2)))
        flat_sd = (math.log(p.high / p.low) if p.log else p.high - p.low) / math.sqrt(12)
        ratio = spread / flat_sd if flat_sd > 0 else math.nan
        rows.append({"parameter": p.name, "prior_low": p.low, "prior_high": p.high, "prior_scale": "log" if p.log
                     else "linear", "prior_sd": p.sd, "posterior_mean": s["mean"], "posterior_sd": s["sd"],
                     "posterior_p2_5": s["p2_5"], "posterior_p97_5": s["p97_5"], "sd_ratio": ratio,
                     "identified": bool(ratio < IDENTIFIED)})
    return pd.DataFrame(rows)


def _pyabc_version() -> str:
    import pyabc

    return getattr(pyabc, "__version__", "?")
