"""The scenario schema: every parameter of the model, gathered from the modules that declare it.

A scenario is one flat set of named parameters. Each parameter is declared once, by the module
that uses it (:class:`sim.module.Par`: default, unit, source, meaning, allowed values and a
plausible range), or by the calendar (:data:`sim.calendar.PARS`); this module turns the
declarations into the pydantic model :class:`Scenario`, so that a new module's parameters are
validated, listed by ``qicsim show``, settable with ``--set`` and sweepable like every other.
Each name is unique across the whole schema so that users can type ``--set didactic_share=0.8``
without knowing the section; YAML files may still group parameters under their section
(``sessions: {didactic_share: 0.8}``) for readability.

Three kinds of source appear:
- a published figure (the paper, Øvretveit et al. 2002, or a source listed in DESIGN.md);
- ``assumption``: a modelling choice with no published figure, stated so that it can be varied
  (``assumption (the value the model was first built with ...)`` marks a coefficient that stood
  unnamed in the mechanism code before it was declared);
- ``calibrated``: an input tuned so that the built-in scenarios reproduce the paper's figures
  (calibration moves inputs only; no outcome is ever written directly).
"""

from __future__ import annotations

import functools
import importlib
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AllowInfNan, BaseModel, ConfigDict, Field, create_model

from qicsim.sim import calendar
from qicsim.sim.module import Module, Par
from qicsim.sim.modules import MODULES
from qicsim.sim.sources import IHI_BTS, PAPER

__all__ = ["IHI_BTS", "PAPER", "PARAMETER_NAMES", "SECTIONS", "Scenario", "allowed", "declarations",
           "parameter_info"]

#: Sections in the order ``qicsim show`` prints them, each with the paper's challenge it serves.
SECTIONS: dict[str, str] = {
    "design": "calendar and size of the collaborative (Breakthrough Series) or its comparator",
    "components": "what the collaborative offers beyond its sessions: coaching, site visits, group calls, "
                  "benchmark reports, an online forum",
    "subject": "challenge 1: choosing the right subject; the change package",
    "participants": "challenge 2: objectives, capacity to benefit, selection, sent teams",
    "roles": "challenge 3: organisers, experts, leader continuity",
    "preparation": "challenge 4: team building, pre-work, senior-leader engagement",
    "sessions": "challenge 5: mutual learning rather than teaching",
    "motivation": "challenge 6: motivating and empowering teams",
    "measurement": "challenge 7: measurable targets; the common measure",
    "data_and_change": "challenge 8: data and change skills",
    "sustaining": "challenge 9: sustaining improvement; continued QI use",
    "context": "the paper's five success factors and the team's home organisation",
    "pdsa": "rapid test cycles (plan-do-study-act)",
    "dropout": "leaving the collaborative before its end",
    "traditional": "the comparator: a traditional QI project team without a collaborative",
    "costs": "unit costs of the programme and of the participating organisations' time",
    "benefits": "what an improvement is worth: patients reached, savings, QALYs, discounting",
    "spread": "challenge 10: planning and learning for spread; the network that carries it",
}


def declarations(modules: tuple[type[Module], ...] = MODULES) -> dict[str, tuple[Par, str]]:
    """Every declared parameter by name, with the module that declares it (``calendar`` for the
    calendar's), in the order ``qicsim show`` lists them: by section, then as declared."""
    found: dict[str, tuple[Par, str]] = {}
    sources = [("calendar", p) for p in calendar.PARS]
    sources += [(module.name, p) for module in modules for p in module.declared_pars()]
    for owner, p in sources:
        if p.name in found:
            raise ValueError(f"parameter '{p.name}' is declared twice: by {found[p.name][1]} and by {owner}")
        if p.section not in SECTIONS:
            raise ValueError(f"parameter '{p.name}' ({owner}): unknown section '{p.section}'")
        found[p.name] = (p, owner)
    order = list(SECTIONS)
    return dict(sorted(found.items(), key=lambda item: order.index(item[1][0].section)))


MAX_TEXT = 1_000
"""Longest text a parameter takes (a measure's name, a currency, a file path)."""


def _without_negative_zero(value: float) -> float:
    """-0.0 as 0.0: it passes 'at least 0', but some of numpy's draws read its sign (a scale of -0.0 is < 0)."""
    return value + 0.0


def _field(p: Par, owner: str) -> tuple[Any, Any]:
    """The pydantic field of a declared parameter."""
    annotation: Any = Literal[p.choices] if p.choices else float if p.optional else type(p.default)
    if p.optional:  # a finite number within the bounds, or unset
        annotation = Annotated[float, AllowInfNan(False), Field(ge=p.ge, le=p.le)] | None
    extra = {"section": p.section, "unit": p.unit, "source": p.source, "module": owner, "kind": p.kind,
             "prior": list(p.prior) if p.prior else None, "log_prior": p.log_prior}
    checks: dict[str, Any] = {}
    if annotation is float:
        checks["allow_inf_nan"] = False  # no NaN or infinity for a number
        annotation = Annotated[float, AfterValidator(_without_negative_zero)]
    if annotation is str and not p.choices:
        checks.update(max_length=MAX_TEXT, pattern=p.pattern)
    return annotation, Field(p.default, ge=p.ge, le=p.le, description=p.doc, json_schema_extra=extra, **checks)


class ScenarioBase(BaseModel):
    """A complete, validated set of parameters for one simulated collaborative.

    Defaults are the ``breakthrough`` scenario: a generic IHI Breakthrough Series collaborative
    on a narrow, evidence-based subject. Unknown names, wrong types and out-of-range values are
    refused (strict validation); use :meth:`with_overrides` to derive variants.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)

    # ---- metadata (not parameters of the model) ----
    name: str = Field("breakthrough", description="scenario name")
    description: str = Field("", description="what this scenario represents")

    # ---- helpers ----
    def with_overrides(self, **flat: Any) -> ScenarioBase:
        """A copy with some parameters changed, validated again."""
        from qicsim.sim.scenario import validate  # local: scenario.py imports this module

        return validate({**self.model_dump(), **flat}, origin=f"scenario '{self.name}' with overrides",
                        schema=type(self))

    def to_yaml(self) -> str:
        """The scenario as a YAML file that :func:`sim.load_scenario` reads back to an equal scenario."""
        import yaml

        doc = {"name": self.name, "description": self.description, "parameters": self.parameters()}
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)

    def best_practice(self) -> float:
        """The best-practice level of the measure: ``best_practice_performance`` where the scenario gives it,
        otherwise the baseline improved by ``best_practice_improvement`` in the measure's direction."""
        given = getattr(self, "best_practice_performance", None)
        if given is not None:
            return float(given)
        step = self.best_practice_improvement * abs(self.baseline_performance)
        return self.baseline_performance - step if self.measure_direction == "lower_is_better" \
            else self.baseline_performance + step

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as its modules (by import path) and values, so that a scenario of a model with modules
        # of its own reaches worker processes (whose schema is made anew from the same modules)
        modules = getattr(type(self), "__qicsim_modules__", MODULES)
        paths = None if modules == MODULES else tuple(f"{m.__module__}:{m.__qualname__}" for m in modules)
        return _rebuild_scenario, (paths, self.model_dump())

    def parameters(self) -> dict[str, Any]:
        """The model parameters only (no metadata), as a flat dict."""
        return {k: v for k, v in self.model_dump().items() if k not in ("name", "description")}


_SCHEMAS: dict[tuple[type[Module], ...], type[ScenarioBase]] = {}


def schema(modules: tuple[type[Module], ...] = MODULES) -> type[ScenarioBase]:
    """The scenario model of a model made of ``modules``: every parameter they and the calendar declare
    (made once for each set of modules). :data:`Scenario` is the built-in model's."""
    modules = tuple(modules)
    found = _SCHEMAS.get(modules)
    if found is None:
        found = create_model("Scenario", __base__=ScenarioBase, __module__=__name__,
                             **{name: _field(p, owner) for name, (p, owner) in declarations(modules).items()})
        found.__doc__ = ScenarioBase.__doc__
        found.__qicsim_modules__ = modules
        _SCHEMAS[modules] = found
    return found


Scenario = schema(MODULES)


def _rebuild_scenario(paths: tuple[str, ...] | None, values: dict[str, Any]) -> ScenarioBase:
    """A pickled scenario again (:meth:`ScenarioBase.__reduce__`)."""
    if paths is None:
        return Scenario(**values)
    modules = []
    for path in paths:
        module_name, qualname = path.split(":")
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
        modules.append(found)
    return schema(tuple(modules))(**values)


@functools.cache
def readers(modules: tuple[type[Module], ...] = MODULES) -> dict[str, tuple[str, ...]]:
    """For each parameter, the modules whose code reads it (the calendar reads the design's)."""
    found: dict[str, list[str]] = {}
    for module in modules:
        for name in module.parameters_read():
            found.setdefault(name, []).append(module.name)
    return {name: tuple(names) for name, names in found.items()}


def parameter_info(name: str) -> dict[str, Any]:
    """Section, unit, source, meaning and allowed range of one parameter."""
    field = Scenario.model_fields[name]
    extra = dict(field.json_schema_extra or {})
    lo = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    return {**extra, "doc": field.description, "default": field.default, "ge": lo, "le": hi,
            "allowed": allowed(name), "read_by": readers().get(name, ())}


def allowed(name: str, schema: type[ScenarioBase] | None = None) -> str:
    """Plain words for the values a parameter accepts."""
    field = (schema or Scenario).model_fields[name]
    ann = field.annotation
    choices = getattr(ann, "__args__", None)
    if choices and all(isinstance(c, str) for c in choices):
        return "one of " + ", ".join(choices)
    lo = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    optional = type(None) in (choices or ())
    pattern = next((m.pattern for m in field.metadata if getattr(m, "pattern", None)), None)
    kind = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}.get(ann, "a number")
    if pattern:
        kind = f"text matching {pattern}"
    if lo is not None and hi is not None:
        kind = f"{kind} from {lo:g} to {hi:g}"
    elif lo is not None:
        kind = f"{kind} of at least {lo:g}"
    return f"{kind}, or unset (null)" if optional else kind


PARAMETER_NAMES: tuple[str, ...] = tuple(
    n for n, f in Scenario.model_fields.items() if (f.json_schema_extra or {}).get("section")
)
