"""Published targets: reading and checking a targets file, and the tolerance rules.

A targets file (``analysis/targets.yaml`` by default; a copy of the project's shared calibration
targets, sources kept, with figures from the wider literature) maps group names to groups, and
``calibration`` to the shared inputs a calibration fits::

    calibration:
      free: [dropout_hazard_per_year, change_effect_mean]   # behavioural inputs, priors declared
    general:
      source: "where the figures come from"
      scenario: breakthrough          # a built-in scenario, or a scenario file (relative to this file)
      set: calibration                # or validation: what the group's figures are for (never both)
      replicates: 3                   # runs per calibration particle (default 1)
      targets:
        - {quantity: dropout_rate, value: 0.30, kind: at_most, tolerance: 0.0, note: "up to 30%"}
        - {quantity: share_any_decrease, value: 0.61, kind: about, tolerance: 0.1,
           definition: "another reading of the source"}   # shown, not scored

A target's ``set`` overrides its group's. ``measure``, ``teams`` and ``horizon_months`` describe the
published collaborative; a group with only ``claims`` (qualitative findings) is read but has nothing
to run. Every error names the group, the field, the value and what is allowed, and is raised as
:class:`TargetsError`.

Tolerance rules (``kind``), with ``sim`` the simulated value (the mean over replicates):

- ``about``: ``|sim - value| <= tolerance``;
- ``at_least``: ``sim >= value - tolerance``;
- ``at_most``: ``sim <= value + tolerance``.

Bounds are inclusive and compared with a tolerance of 1e-9 relative to the published value, so that
a value exactly on a bound passes whatever the floating-point rounding of ``value +- tolerance``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qicsim import scenarios
from qicsim.analysis import quantities
from qicsim.sim.parameters import PARAMETER_NAMES, Scenario, allowed, parameter_info
from qicsim.sim.yaml_input import YamlInputError, read_yaml

Kind = Literal["about", "at_least", "at_most"]
KINDS: tuple[str, ...] = ("about", "at_least", "at_most")
CALIBRATION, VALIDATION = "calibration", "validation"
SETS: tuple[str, ...] = (CALIBRATION, VALIDATION)
Set = Literal["calibration", "validation"]
DEFAULT_TARGETS = "targets.yaml"
"""The project's targets file, shipped inside the ``analysis`` package."""

_EPS = 1e-9


class TargetsError(ValueError):
    """A targets file that cannot be used; the message names the field, the value and what is allowed."""


# ---- tolerance logic (pure functions) --------------------------------------------------------


def bounds(kind: str, value: float, tolerance: float) -> tuple[float, float]:
    """The interval of simulated values that meet a target: ``(low, high)``, either end may be infinite."""
    if kind == "about":
        return value - tolerance, value + tolerance
    if kind == "at_least":
        return value - tolerance, math.inf
    if kind == "at_most":
        return -math.inf, value + tolerance
    raise ValueError(f"kind = {kind!r}: allowed: {', '.join(KINDS)}")


def excess(kind: str, value: float, tolerance: float, simulated: float) -> float:
    """How far ``simulated`` lies outside the target's interval: 0 inside (bounds included), positive
    above the upper bound, negative below the lower one; NaN when ``simulated`` is NaN."""
    if math.isnan(simulated):
        return math.nan
    low, high = bounds(kind, value, tolerance)
    slack = _EPS * max(1.0, abs(value))
    if simulated > high + slack:
        return simulated - high
    if simulated < low - slack:
        return simulated - low
    return 0.0


def passes(kind: str, value: float, tolerance: float, simulated: float) -> bool:
    """Whether ``simulated`` meets the target (a NaN never does)."""
    return excess(kind, value, tolerance, simulated) == 0.0


def scale(value: float, tolerance: float) -> float:
    """The unit a miss is measured in: the tolerance, or where it is 0 a tenth of the published value
    (1 when that is 0 too), so that misses of different quantities can be added up."""
    if tolerance > 0:
        return tolerance
    return 0.1 * abs(value) if value != 0 else 1.0


def standardised_miss(kind: str, value: float, tolerance: float, simulated: float) -> float:
    """:func:`excess` in units of :func:`scale`: 0 when the target is met, 1 = one tolerance outside."""
    return excess(kind, value, tolerance, simulated) / scale(value, tolerance)


def describe(kind: str, value: float, tolerance: float, decimals: int | None = None) -> str:
    """The target in words, e.g. ``about 0.200 ± 0.070``, ``at most 0.30``, ``at least 1 (- 0.5)``."""
    d = number_decimals(value, tolerance) if decimals is None else decimals
    v = f"{value:,.{d}f}"
    if kind == "about":
        return f"about {v} ± {tolerance:,.{d}f}"
    word = "at least" if kind == "at_least" else "at most"
    sign = "-" if kind == "at_least" else "+"
    return f"{word} {v}" + (f" ({sign} {tolerance:,.{d}f})" if tolerance else "")


def number_decimals(value: float, tolerance: float) -> int:
    """Decimals to show a target's numbers with: one more than the tolerance's (or the value's) leading
    digit, at most 3 (0.07 -> 3, 0.3 -> 2, 3 -> 1, 15 -> 0)."""
    ref = tolerance if tolerance > 0 else abs(value)
    if ref == 0 or not math.isfinite(ref):
        return 3
    return max(0, min(3, -math.floor(math.log10(ref)) + 1))


# ---- the schema ------------------------------------------------------------------------------


class Target(BaseModel):
    """One published figure: the quantity, its value, and the rule it is judged by."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    quantity: str
    value: float = Field(allow_inf_nan=False)
    kind: Kind
    tolerance: float = Field(ge=0, allow_inf_nan=False)
    note: str = ""
    set: Set | None = None
    definition: str = ""
    """Non-empty for another reading of the source than the primary one: reported, never scored or fitted."""

    @field_validator("quantity")
    @classmethod
    def _known(cls, name: str) -> str:
        try:
            quantities.get(name)
        except quantities.UnknownQuantityError as exc:  # a KeyError: pydantic reports ValueErrors only
            raise ValueError(str(exc)) from None
        return name

    def bounds(self) -> tuple[float, float]:
        return bounds(self.kind, self.value, self.tolerance)

    def passes(self, simulated: float) -> bool:
        return passes(self.kind, self.value, self.tolerance, simulated)

    def excess(self, simulated: float) -> float:
        return excess(self.kind, self.value, self.tolerance, simulated)

    def standardised_miss(self, simulated: float) -> float:
        return standardised_miss(self.kind, self.value, self.tolerance, simulated)

    def describe(self) -> str:
        return describe(self.kind, self.value, self.tolerance)


class Group(BaseModel):
    """Targets from one published source, the scenario that should reproduce them, and what they are for."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    source: str = ""
    scenario: str | None = None
    measure: str = ""
    teams: int | None = Field(None, ge=1)
    horizon_months: float | None = Field(None, gt=0)
    set: Set = CALIBRATION
    replicates: int = Field(1, ge=1, le=50)
    targets: list[Target] = []
    claims: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> Group:
        if not self.targets and not self.claims:
            raise ValueError("a group needs 'targets' (or, for qualitative findings, 'claims')")
        if self.targets and not self.scenario:
            raise ValueError("a group with 'targets' needs a 'scenario' (a built-in name or a scenario file)")
        return self

    @property
    def numeric(self) -> bool:
        """Whether the group has targets to run (a group of claims only has not)."""
        return bool(self.targets)

    def set_of(self, target: Target) -> str:
        """What a target is for: its own ``set``, or its group's."""
        return target.set or self.set

    def scored(self, which: str) -> list[Target]:
        """The group's targets of one set (``calibration`` or ``validation``), primary readings only."""
        return [t for t in self.targets if not t.definition and self.set_of(t) == which]


class Calibration(BaseModel):
    """The shared behavioural inputs a calibration fits (their priors are their declarations')."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    free: list[str] = []

    @field_validator("free")
    @classmethod
    def _calibratable(cls, names: list[str]) -> list[str]:
        for name in names:
            check_free(name)
        if len(set(names)) != len(names):
            raise ValueError("a free input is listed twice")
        return names


def check_free(name: str) -> None:
    """A calibratable input: a declared numeric parameter with a plausible range (its prior)."""
    if name not in PARAMETER_NAMES:
        raise ValueError(f"free input '{name}' is not a parameter; see `qicsim show` for the names")
    info = parameter_info(name)
    if Scenario.model_fields[name].annotation not in (int, float):
        raise ValueError(f"free input '{name}' is not numeric ({allowed(name)}); only numeric inputs can be "
                         "calibrated")
    if not info.get("prior"):
        raise ValueError(f"free input '{name}' has no plausible range (prior) in its declaration")


_ALLOWED = {
    "kind": ", ".join(KINDS),
    "tolerance": "a number of at least 0",
    "value": "a finite number",
    "quantity": "a known quantity name",
    "scenario": "a built-in scenario name or a path to a scenario file",
    "teams": "a whole number of at least 1",
    "horizon_months": "a number above 0",
    "set": "calibration or validation",
    "replicates": "a whole number from 1 to 50",
    "definition": "text naming another reading of the source",
    "targets": "a list of {quantity, value, kind, tolerance, note}",
    "claims": "a list of sentences",
}


def _format_error(group: str, err: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    where = f"group '{group}'"
    if len(loc) >= 2 and loc[0] == "targets" and loc[1].isdigit():
        where += f", targets[{loc[1]}]"
        loc = loc[2:]
    field = loc[0] if loc else ""
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if err["type"] == "extra_forbidden":
        known = ", ".join(Target.model_fields) if "targets[" in where else ", ".join(Group.model_fields)
        return f"{where}: unknown field '{field}' = {err.get('input')!r} (allowed: {known})"
    if not field:  # a whole-group check (model validator)
        return f"{where}: {msg}"
    if field == "quantity" and err["type"] == "value_error":
        return f"{where}, field 'quantity' = {err.get('input')!r}: {msg}"
    what = _ALLOWED.get(field, "see analysis/targets.py")
    return f"{where}, field '{field}' = {err.get('input')!r}: {msg[0].lower() + msg[1:]} (allowed: {what})"


def parse_calibration(data: Any, origin: str) -> Calibration:
    """Validate a targets file's ``calibration`` section."""
    try:
        return Calibration.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"section 'calibration', field '{'.'.join(str(p) for p in err['loc'])}': {msg}")
        raise TargetsError(f"{origin}: " + "; ".join(problems)) from None


def parse_groups(data: Any, origin: str) -> dict[str, Group]:
    """Validate the parsed YAML of a targets file: a mapping of group names to groups."""
    if not isinstance(data, dict) or not data:
        raise TargetsError(f"{origin}: a targets file must be a non-empty mapping of group names to groups")
    groups: dict[str, Group] = {}
    problems: list[str] = []
    for name, body in data.items():
        if name == "calibration":
            continue
        if not isinstance(body, dict):
            problems.append(f"group '{name}': must be a mapping with 'scenario' and 'targets', "
                            f"got {type(body).__name__}")
            continue
        try:
            groups[str(name)] = Group.model_validate(body)
        except ValidationError as exc:
            problems.extend(_format_error(str(name), e) for e in exc.errors())
    if problems:
        raise TargetsError(f"{origin}: " + "; ".join(problems))
    return groups


@dataclass(frozen=True)
class TargetsFile:
    """A validated targets file: its groups and where it was read from (for relative scenario paths)."""

    origin: str
    directory: Path | None
    groups: dict[str, Group]
    calibration: Calibration = Calibration()

    def numeric_groups(self) -> dict[str, Group]:
        return {name: g for name, g in self.groups.items() if g.numeric}

    def select(self, only: list[str] | None) -> dict[str, Group]:
        """The numeric groups to run: all, or those named in ``only`` (unknown names are refused)."""
        if not only:
            return self.numeric_groups()
        unknown = [n for n in only if n not in self.groups]
        if unknown:
            raise TargetsError(f"{self.origin}: unknown group(s) {', '.join(repr(n) for n in unknown)} "
                               f"(groups: {', '.join(self.groups)})")
        return {n: self.groups[n] for n in dict.fromkeys(only) if self.groups[n].numeric}

    def scenario_source(self, group: str) -> str:
        """The group's scenario as :func:`sim.load_scenario` takes it: a built-in name, or a file path
        resolved relative to the targets file (as an experiment spec's ``base`` is)."""
        text = str(self.groups[group].scenario)
        if is_builtin(text):
            return text
        path = Path(text)
        if not path.is_absolute() and self.directory is not None and (self.directory / path).is_file():
            return str(self.directory / path)
        return text


def is_builtin(text: str) -> bool:
    """Whether ``text`` names a built-in scenario (as :func:`sim.load_scenario` decides)."""
    return "/" not in text and "\\" not in text and not text.endswith(".yaml") and scenarios.resource(text) is not None


def load_targets(path: str | Path | None = None) -> TargetsFile:
    """Read and validate a targets file (default: the project's ``analysis/targets.yaml``)."""
    if path is None:
        resource = files("qicsim.analysis").joinpath(DEFAULT_TARGETS)
        origin, directory = f"targets file 'analysis/{DEFAULT_TARGETS}' (built in)", None
        reader = resource.read_text
    else:
        p = Path(path)
        origin, directory = f"targets file '{path}'", p.parent
        if not p.is_file():
            raise TargetsError(f"{origin}: no such file")
        reader = p.read_text
    try:
        data = read_yaml(reader(encoding="utf-8"))
    except YamlInputError as exc:
        raise TargetsError(f"{origin}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetsError(f"{origin}: cannot read the file ({exc})") from None
    calibration = parse_calibration(data.get("calibration") if isinstance(data, dict) else None, origin)
    return TargetsFile(origin, directory, parse_groups(data, origin), calibration)
