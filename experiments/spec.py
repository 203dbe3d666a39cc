"""The experiment spec: a YAML file that says which runs a sweep makes, validated strictly.

An experiment spec looks like::

    name: dropout-leader-support
    description: drop-out under leader turnover and senior support
    base: breakthrough              # a built-in scenario or a scenario file (relative to this file)
    fixed:                          # optional: parameters set for every run (flat or by section)
      teams: 30
    vary:                           # flat parameter names (`qicsim show`)
      leader_turnover_per_year: [0.0, 0.15, 0.3]          # a list of values
      senior_support: {min: 0.2, max: 1.0, num: 5}        # a range (num: grid only)
    sampler: grid                   # or {method: random|lhs, points: N}
                                    #    {method: sobol, samples: N, second_order: false}
                                    #    {method: morris, samples: N, levels: 4}
    replications: 5
    seed: 1
    posterior: none                 # or default (the built-in calibration) or a posterior.parquet file:
                                    #   each run takes the calibrated inputs its seed draws (not varied ones)
    common_random_numbers: false    # true: replicate r of every point has the same seed (and posterior draw)
    outputs:
      summary: [dropout_rate, significant_improvement_rate]   # default: every summary key
      team_outcomes: false          # one row per team and run
      series: false                 # one row per month and run (collaborative level)
      teams: false                  # one row per team, month and run (large)

This module checks the file's shape only (unknown keys, types, counts); whether each varied value
fits its parameter, and whether the sampler can use it, is checked against the base scenario by
:func:`experiments.experiment.prepare`, before any run starts. Every error is an
:class:`ExperimentError` naming the field, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AllowInfNan, BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from qicsim import sim
from qicsim.sim.yaml_input import YamlInputError, read_yaml, shorten

SAMPLERS = ("grid", "random", "lhs", "sobol", "morris")


class ExperimentError(sim.ScenarioError):
    """A spec, sweep directory or stored sweep that cannot be used; the message says why.

    It is a :class:`sim.ScenarioError` (a ``ValueError``) on purpose: front ends already report
    those as bad input (``qicsim: error: ...``, exit status 2) without a traceback.
    """


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Range(_Strict):
    """A numeric range to sample from; ``num`` evenly spaced values (ends included) for a grid."""

    min: int | Annotated[float, AllowInfNan(False)]
    max: int | Annotated[float, AllowInfNan(False)]
    num: int | None = Field(None, ge=2, le=10_000)


def _vary_kind(value: Any) -> str | None:
    if isinstance(value, dict | Range):  # a mapping when validating, a Range when serialising
        return "range"
    if isinstance(value, list):
        return "list"
    return None


Values = Annotated[list[bool | int | float | str], Field(min_length=1)]
"""A list of values for one parameter: numbers, true/false or choices."""

VaryValue = Annotated[
    Annotated[Values, Tag("list")] | Annotated[Range, Tag("range")],
    Discriminator(
        _vary_kind,
        custom_error_type="vary_value",
        custom_error_message="must be a list of values, e.g. [0.2, 0.8], or a range, e.g. {min: 0.2, max: 0.8}",
    ),
]


class GridSampler(_Strict):
    """Every combination of the listed values (ranges need ``num``)."""

    method: Literal["grid"]


class RandomSampler(_Strict):
    """``points`` independent uniform draws (ranges) or choices (lists)."""

    method: Literal["random"]
    points: int = Field(ge=1, le=10_000_000)


class LatinHypercubeSampler(_Strict):
    """``points`` from a Latin hypercube (scipy.stats.qmc); a list's items get equal strata."""

    method: Literal["lhs"]
    points: int = Field(ge=1, le=10_000_000)


class SobolSampler(_Strict):
    """Saltelli's scheme for Sobol indices (SALib): ``samples`` x (D + 2) points, or x (2D + 2) with
    ``second_order``; ``samples`` must be a power of 2."""

    method: Literal["sobol"]
    samples: int = Field(ge=2, le=1_048_576)
    second_order: bool = False


class MorrisSampler(_Strict):
    """Morris elementary effects (SALib): ``samples`` trajectories of D + 1 points on a grid of
    ``levels`` levels."""

    method: Literal["morris"]
    samples: int = Field(ge=2, le=1_000_000)
    levels: int = Field(4, ge=2, le=100)


Sampler = Annotated[
    GridSampler | RandomSampler | LatinHypercubeSampler | SobolSampler | MorrisSampler,
    Field(discriminator="method"),
]
SAMPLER_MODELS: dict[str, type[BaseModel]] = {
    "grid": GridSampler, "random": RandomSampler, "lhs": LatinHypercubeSampler,
    "sobol": SobolSampler, "morris": MorrisSampler,
}


class Outputs(_Strict):
    """What each run keeps besides its parameters and seed."""

    summary: list[str] | None = Field(None, min_length=1)
    team_outcomes: bool = False
    series: bool = False
    teams: bool = False
    adoption: bool = False

    def tables(self) -> tuple[str, ...]:
        """The optional per-run tables to store, in a fixed order."""
        return tuple(t for t in ("team_outcomes", "series", "teams", "adoption") if getattr(self, t))


class ExperimentSpec(_Strict):
    """A validated experiment spec (shape only; see :func:`experiments.experiment.prepare`)."""

    name: str = Field(min_length=1)
    description: str = ""
    base: str = sim.DEFAULT_SCENARIO
    fixed: dict[str, Any] = Field(default_factory=dict)
    vary: dict[str, VaryValue] = Field(min_length=1)
    sampler: Sampler
    replications: int = Field(1, ge=1, le=1_000_000)
    seed: int = Field(ge=0, le=2**63 - 1)
    posterior: str = Field("none", min_length=1)
    common_random_numbers: bool = False
    """Replicate r of every point runs on the same seed (and posterior draw): designs compared on common random
    numbers, their differences free of the noise between seeds (``qicsim design``). Off: every run its own seed."""
    outputs: Outputs = Outputs()

    @model_validator(mode="before")
    @classmethod
    def _sampler_shorthand(cls, data: Any) -> Any:
        """``sampler: grid`` is short for ``sampler: {method: grid}``."""
        if isinstance(data, dict) and isinstance(data.get("sampler"), str):
            data = {**data, "sampler": {"method": data["sampler"]}}
        return data

    def result_fields(self) -> dict[str, Any]:
        """The parts of the spec that decide the results (name and description do not; the posterior does, by its
        content, which :meth:`experiments.experiment.Experiment.spec_hash` adds, not by its file name)."""
        fields = self.model_dump(mode="json", exclude={"name", "description", "base", "posterior"})
        if not self.common_random_numbers:  # off, the spec adds to the fingerprint what it added before the option
            del fields["common_random_numbers"]
        return fields


# ---------------------------------------------------------------------------------------------
# reading and error messages
# ---------------------------------------------------------------------------------------------


def _model_at(raw_loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema model that owns the key at ``raw_loc`` (pydantic's location, tags included)."""
    if len(raw_loc) == 1:
        return ExperimentSpec
    head = raw_loc[0]
    if head == "sampler" and len(raw_loc) == 3:
        return SAMPLER_MODELS.get(str(raw_loc[1]))
    if head == "outputs" and len(raw_loc) == 2:
        return Outputs
    if head == "vary" and len(raw_loc) == 4 and raw_loc[2] == "range":
        return Range
    return None


def _readable_loc(raw_loc: tuple[Any, ...]) -> str:
    """``sampler.samples`` rather than pydantic's ``sampler.sobol.samples`` (tags dropped)."""
    loc = list(raw_loc)
    if len(loc) > 1 and loc[0] == "sampler" and loc[1] in SAMPLERS:
        del loc[1]
    if len(loc) > 2 and loc[0] == "vary" and loc[2] in ("list", "range"):
        del loc[2]
    return ".".join(str(p) for p in loc) or "(spec)"


SCALAR_TAGS = {"bool": "true/false", "int": "a whole number", "float": "a finite number", "str": "a name"}
"""The members of a list value's union, as pydantic names them at the end of an error's location."""
MAX_ERRORS_SHOWN = 8


def describe_validation_error(exc: ValidationError) -> str:
    """pydantic's errors as one line each: field, value, what is wrong and what is allowed (a value that fits
    none of a union's members is one line, and at most MAX_ERRORS_SHOWN lines are shown)."""
    lines = []
    members: dict[tuple[Any, ...], list[str]] = {}
    for err in exc.errors():
        raw = tuple(err["loc"])
        if raw and raw[-1] in SCALAR_TAGS:  # one of a scalar union's members: said once, below
            if raw[:-1] not in members:
                members[raw[:-1]] = []
                lines.append((raw[:-1], err.get("input")))
            members[raw[:-1]].append(SCALAR_TAGS[raw[-1]])
            continue
        field = _readable_loc(raw)
        value = err.get("input")
        kind = err["type"]
        if kind == "extra_forbidden":
            owner = _model_at(raw)
            allowed = ", ".join(owner.model_fields) if owner else "see the spec format"
            lines.append(f"unknown key '{field}' = {shorten(value)} (allowed here: {allowed})")
        elif kind == "missing":
            lines.append(f"field '{field}' is required")
        elif kind == "union_tag_invalid" and field == "sampler":
            lines.append(f"field 'sampler' = {shorten(value)}: unknown method (allowed: {', '.join(SAMPLERS)})")
        elif kind == "union_tag_not_found" and field == "sampler":
            lines.append(f"field 'sampler' = {shorten(value)}: needs a 'method' (one of {', '.join(SAMPLERS)})")
        else:
            lines.append(f"field '{field}' = {shorten(value)}: {err['msg'][0].lower() + err['msg'][1:]}")
    text = [line if isinstance(line, str) else
            f"field '{_readable_loc(line[0])}' = {shorten(line[1])}: must be {' or '.join(members[line[0]])}"
            for line in lines]
    more = f"; and {len(text) - MAX_ERRORS_SHOWN} more" if len(text) > MAX_ERRORS_SHOWN else ""
    return "; ".join(text[:MAX_ERRORS_SHOWN]) + more


def parse_spec(data: Any, origin: str) -> ExperimentSpec:
    """Validate the shape of a spec read from YAML (or a manifest); raise :class:`ExperimentError`."""
    if not isinstance(data, dict):
        raise ExperimentError(f"{origin}: an experiment spec must be a mapping with 'vary', 'sampler' and 'seed'")
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(f"{origin}: {describe_validation_error(exc)}") from None
    if isinstance(spec.sampler, SobolSampler) and spec.sampler.samples & (spec.sampler.samples - 1):
        n = spec.sampler.samples
        lower, upper = 1 << (n.bit_length() - 1), 1 << n.bit_length()
        raise ExperimentError(f"{origin}: field 'sampler.samples' = {n}: Sobol sampling needs a power of 2 "
                              f"(allowed: e.g. {lower} or {upper})")
    if isinstance(spec.sampler, MorrisSampler) and spec.sampler.levels % 2:
        raise ExperimentError(f"{origin}: field 'sampler.levels' = {spec.sampler.levels}: Morris sampling "
                              "needs an even number of levels (allowed: 2, 4, 6, ...)")
    return spec


def read_spec(path: str | Path) -> tuple[ExperimentSpec, str]:
    """Read and validate a spec file; return the spec and the file's text (kept with the results)."""
    origin = f"experiment spec '{path}'"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError(f"{origin}: cannot read the file ({exc})") from None
    try:
        data = read_yaml(text)
    except YamlInputError as exc:
        raise ExperimentError(f"{origin}: {exc}") from None
    return parse_spec(data, origin), text
