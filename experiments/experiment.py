"""An experiment ready to run: the spec checked against its base scenario, its design and its runs.

:func:`prepare` does every check that can be done before the first run, so that a spec that cannot
work fails at once with a message naming the field, the value and what is allowed, never halfway
through a sweep: each varied name is a scenario parameter, each value and range end fits it, the
sampler can use each parameter, every point of the design makes a valid scenario, and each output
key is one the model reports.

Run ``run_id = point_id * replications + replicate`` uses seed
``sim.derive_seed(spec.seed, point_id, replicate)`` (with ``common_random_numbers``:
``sim.derive_seed(spec.seed, replicate)``, the same for every point): a run's results depend on the spec
alone, never on the backend, the number of workers or the order in which runs finish.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from qicsim import scenarios, sim
from qicsim.experiments.samplers import check_size, point_overrides
from qicsim.experiments.samplers import design as make_design
from qicsim.experiments.spec import (
    ExperimentError,
    ExperimentSpec,
    GridSampler,
    MorrisSampler,
    Range,
    SobolSampler,
    read_spec,
)
from qicsim.experiments.tasks import RunTask
from qicsim.sim.posterior import Posterior, resolve
from qicsim.sim.scenario import flatten, validate


@dataclass(frozen=True)
class Experiment:
    """A checked spec with its effective base scenario, design and the summary keys it keeps."""

    spec: ExperimentSpec
    spec_text: str
    scenario: sim.Scenario
    kinds: dict[str, str]
    design: pd.DataFrame
    summary_keys: tuple[str, ...]
    origin: str = "experiment spec"
    posterior: Posterior | None = None

    @property
    def varied(self) -> tuple[str, ...]:
        return tuple(self.spec.vary)

    @property
    def points(self) -> int:
        return len(self.design)

    @property
    def total_runs(self) -> int:
        return self.points * self.spec.replications

    def spec_hash(self) -> str:
        """A fingerprint of everything that decides the results: the effective base scenario, the
        varied parameters and sampler, replications, seed and outputs (not the name, the
        description, comments or layout of the file)."""
        doc = {"scenario": scenario_parameters(self.scenario), "spec": self.spec.result_fields()}
        if self.posterior is not None:  # the sample itself (values, names, order), not its file name
            table = self.posterior.table
            doc["posterior"] = [list(table.columns), pd.util.hash_pandas_object(table, index=True).tolist()]
        return hashlib.sha256(json.dumps(doc, sort_keys=False, separators=(",", ":")).encode()).hexdigest()

    def tasks(self) -> Iterator[RunTask]:
        """Every run in ``run_id`` order."""
        reps = self.spec.replications
        keep = {*self.varied, *_fixed(self.spec, self.origin)}
        for point_id, overrides in enumerate(point_overrides(self.design, self.varied, self.kinds)):
            for replicate in range(reps):
                seed = (sim.derive_seed(self.spec.seed, replicate) if self.spec.common_random_numbers
                        else sim.derive_seed(self.spec.seed, point_id, replicate))
                drawn = {} if self.posterior is None else self.posterior.values(self.scenario, seed, keep)
                yield RunTask(
                    run_id=point_id * reps + replicate,
                    point_id=point_id,
                    replicate=replicate,
                    seed=seed,
                    overrides={**drawn, **overrides},
                )

    def with_stored(self, design: pd.DataFrame, summary_keys: tuple[str, ...]) -> Experiment:
        """The same experiment with the design and keys a sweep directory froze when it began."""
        return replace(self, design=design, summary_keys=summary_keys)


def scenario_parameters(scenario: sim.Scenario) -> dict[str, Any]:
    """The scenario's model parameters as JSON-ready values (no name or description)."""
    dumped = scenario.model_dump(mode="json")
    return {k: dumped[k] for k in sim.PARAMETER_NAMES}


def parameter_kind(name: str) -> str:
    """int, float, bool or str (text and choices) for a scenario parameter."""
    annotation = sim.Scenario.model_fields[name].annotation
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    return "str"


def _fixed(spec: ExperimentSpec, origin: str) -> dict[str, Any]:
    """The ``fixed`` block as flat parameter names (section headings allowed, as in scenarios)."""
    try:
        return flatten(spec.fixed, f"{origin}: fixed")
    except sim.ScenarioError as exc:
        raise ExperimentError(str(exc)) from None


def _base_scenario(spec: ExperimentSpec, spec_dir: Path, origin: str) -> sim.Scenario:
    """The base scenario (a built-in name or a file relative to the spec) with ``fixed`` applied."""
    base: str | Path = spec.base
    if scenarios.resource(spec.base) is None and not Path(spec.base).is_absolute():
        candidate = spec_dir / spec.base
        base = candidate if candidate.is_file() else spec.base
    try:
        scenario = sim.load_scenario(base)
    except sim.ScenarioError as exc:
        raise ExperimentError(f"{origin}: base: {exc}") from None
    fixed = _fixed(spec, origin)
    if not fixed:
        return scenario
    try:
        return validate({**scenario.model_dump(), **fixed}, origin=f"{origin}: fixed")
    except sim.ScenarioError as exc:
        raise ExperimentError(str(exc)) from None


def _posterior(spec: ExperimentSpec, spec_dir: Path, origin: str) -> Posterior | None:
    """The spec's posterior: none, the built-in one (default) or a file relative to the spec."""
    choice: str | Path = spec.posterior
    if choice not in ("none", "default") and not Path(choice).is_absolute():
        choice = spec_dir / choice
    try:
        return resolve(choice)
    except sim.ScenarioError as exc:
        raise ExperimentError(f"{origin}: posterior: {exc}") from None


def _check_names(spec: ExperimentSpec, origin: str) -> None:
    for name in spec.vary:
        if name not in sim.PARAMETER_NAMES:
            close = difflib.get_close_matches(name, sim.PARAMETER_NAMES, n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ExperimentError(f"{origin}: vary: unknown parameter '{name}'; {hint}"
                                  "see `qicsim show` for the names")
    both = sorted(set(spec.vary) & set(_fixed(spec, origin)))
    if both:
        raise ExperimentError(f"{origin}: {', '.join(both)} both fixed and varied; keep each in one place")


def _check_sampler_fit(spec: ExperimentSpec, kinds: dict[str, str], origin: str) -> None:
    """Each parameter's list or range is one that the chosen sampler can use."""
    method = spec.sampler.method
    for name, value in spec.vary.items():
        field = f"vary.{name}"
        if isinstance(value, Range):
            if kinds[name] not in ("int", "float"):
                allowed = sim.parameter_info(name)["allowed"]
                raise ExperimentError(f"{origin}: field '{field}' = a range: '{name}' is not numeric "
                                      f"({allowed}); give a list of values (grid, random or lhs)")
            if not value.min < value.max:
                raise ExperimentError(f"{origin}: field '{field}' = {{min: {value.min}, max: {value.max}}}: "
                                      "min must be less than max")
            if isinstance(spec.sampler, GridSampler) and value.num is None:
                raise ExperimentError(f"{origin}: field '{field}' = a range without 'num': a grid needs the "
                                      f"number of values, e.g. {{min: {value.min}, max: {value.max}, num: 5}}, "
                                      "or a list")
            if not isinstance(spec.sampler, GridSampler) and value.num is not None:
                raise ExperimentError(f"{origin}: field '{field}.num' = {value.num}: 'num' is for the grid "
                                      f"sampler only; {method} samples the range itself")
        elif isinstance(spec.sampler, SobolSampler | MorrisSampler):
            raise ExperimentError(f"{origin}: field '{field}' = {value!r}: the {method} sampler needs a numeric "
                                  "range for every parameter, e.g. {min: 0.2, max: 0.8}")


def _check_values(spec: ExperimentSpec, scenario: sim.Scenario, origin: str) -> None:
    """Each listed value and each range end is a valid value of its parameter."""
    base = scenario.model_dump()
    for name, value in spec.vary.items():
        candidates = [value.min, value.max] if isinstance(value, Range) else list(value)
        for candidate in candidates:
            try:
                validate({**base, name: candidate}, origin=f"{origin}: vary.{name}")
            except sim.ScenarioError as exc:
                raise ExperimentError(str(exc)) from None


def _check_points(experiment: Experiment, origin: str) -> None:
    """Every point of the design gives a valid scenario (catches rules that join parameters)."""
    base = experiment.scenario.model_dump()
    for point_id, overrides in enumerate(point_overrides(experiment.design, experiment.varied, experiment.kinds)):
        try:
            validate({**base, **overrides}, origin=f"{origin}: point {point_id} of the design {overrides}")
        except sim.ScenarioError as exc:
            raise ExperimentError(str(exc)) from None


RESERVED_COLUMNS = ("run_id", "point_id", "replicate", "seed", "status", "error", "code_version", "experiment",
                    "spec_fingerprint")
"""Columns a sweep adds to every stored row; no output may have these names."""


def probe(scenario: sim.Scenario) -> sim.RunResult:
    """One tiny run of the scenario (a few milliseconds): the outputs the model reports."""
    small = scenario.with_overrides(teams=min(scenario.teams, 3), follow_up_months=min(scenario.follow_up_months, 1.0))
    return sim.run(small, seed=0)


def _summary_keys(spec: ExperimentSpec, scenario: sim.Scenario, origin: str) -> tuple[str, ...]:
    """The summary keys to store: as listed, or every key the model reports except those named like
    a varied parameter or a sweep column (the parameter's own column holds that value)."""
    result = probe(scenario)
    taken = set(RESERVED_COLUMNS) | set(spec.vary)
    for table in spec.outputs.tables():
        clash = sorted(set(getattr(result, table).columns) & taken)
        if clash:
            raise ExperimentError(f"{origin}: outputs.{table}: its column(s) {', '.join(clash)} have the name of a "
                                  "varied parameter or a sweep column; this output cannot be stored")
    available = tuple(result.summary)
    if spec.outputs.summary is None:
        return tuple(k for k in available if k not in taken)
    for key in spec.outputs.summary:
        if key not in available:
            close = difflib.get_close_matches(key, available, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ExperimentError(f"{origin}: field 'outputs.summary' = {key!r}: not a summary key{hint} "
                                  f"(allowed: {', '.join(available)})")
        if key in taken:
            raise ExperimentError(f"{origin}: field 'outputs.summary' = {key!r}: has the name of a varied parameter "
                                  "or a sweep column, whose column already holds it; leave it out")
    if len(set(spec.outputs.summary)) != len(spec.outputs.summary):
        raise ExperimentError(f"{origin}: field 'outputs.summary' lists a key twice: {spec.outputs.summary}")
    return tuple(spec.outputs.summary)


def prepare(spec: ExperimentSpec, spec_text: str = "", spec_dir: Path | None = None,
            origin: str = "experiment spec") -> Experiment:
    """Check ``spec`` against its base scenario and build its design; raise :class:`ExperimentError`."""
    _check_names(spec, origin)
    scenario = _base_scenario(spec, spec_dir or Path.cwd(), origin)
    kinds = {name: parameter_kind(name) for name in spec.vary}
    _check_sampler_fit(spec, kinds, origin)
    _check_values(spec, scenario, origin)
    check_size(spec, origin)
    experiment = Experiment(spec, spec_text, scenario, kinds, make_design(spec, kinds),
                            _summary_keys(spec, scenario, origin), origin, _posterior(spec, spec_dir or Path.cwd(),
                                                                                      origin))
    _check_points(experiment, origin)
    return experiment


def spec_path(path: str | Path) -> Path:
    """The spec file ``path`` names: a file, or the name of an example shipped with qicsim (``sobol-levers``,
    ``dropout-leader-support``, ...; :func:`experiments.example_specs`), found wherever qicsim is installed."""
    text = str(path)
    if not Path(text).exists() and "/" not in text and "\\" not in text and not text.endswith(".yaml"):
        from qicsim.experiments import example_specs

        examples = example_specs()
        if text in examples:
            return examples[text]
        raise ExperimentError(f"experiment spec {text[:60]!r}: no such file or built-in example (allowed: a spec "
                              f"file, or one of: {', '.join(examples)})")
    return Path(path)


def load_experiment(path: str | Path) -> Experiment:
    """Read, validate and prepare an experiment spec: a file (a base scenario file is found relative to it) or the
    name of a shipped example (:func:`spec_path`)."""
    path = spec_path(path)
    spec, text = read_spec(path)
    return prepare(spec, text, Path(path).resolve().parent, origin=f"experiment spec '{path}'")
