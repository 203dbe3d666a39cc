"""Reading scenarios: built-in names or YAML files, sections flattened, strictly validated.

A scenario file looks like::

    name: didactic-heavy
    description: lectures fill most of each learning session
    base: breakthrough          # optional: start from another scenario
    parameters:
      sessions:                 # optional section headings, as in ``qicsim show``
        didactic_share: 0.85
      teams: 30                 # or flat names

YAML is read with :func:`sim.yaml_input.read_yaml` only (safe, no aliases or repeated keys, bounded in
size and depth). Every error names the field, the value (shortened) and what is allowed, and is raised
as :class:`ScenarioError` (a ``ValueError``) so that front ends can show it without a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qicsim import scenarios
from qicsim.sim.parameters import PARAMETER_NAMES, SECTIONS, Scenario, allowed, parameter_info
from qicsim.sim.yaml_input import YamlInputError, read_yaml, shorten

DEFAULT_SCENARIO = scenarios.DEFAULT
_FILE_KEYS = {"name", "description", "base", "parameters"}
MAX_BASE_CHAIN = 20
"""Most scenario files a ``base`` chain may pass through (the built-ins use one or two)."""


class ScenarioError(ValueError):
    """A scenario, override or file that cannot be used; the message says why and what is allowed."""


def validate(values: dict[str, Any], origin: str = "scenario", schema: type | None = None) -> Scenario:
    """Build a :class:`Scenario` (or a scenario of another ``schema``: a model with modules of its own)
    from flat values, turning pydantic's errors into plain ones."""
    schema = schema or Scenario
    try:
        return schema(**values)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(scenario)"
            value = err.get("input")
            if err["type"] == "extra_forbidden":
                lines.append(f"unknown parameter {shorten(field)} = {shorten(value)}; see `qicsim show` for the "
                             "names")
            else:
                what = allowed(field, schema) if field in schema.model_fields else err["msg"]
                message = err["msg"][:1].lower() + err["msg"][1:]
                lines.append(f"field '{field}' = {shorten(value)}: {message} (allowed: {what})")
        raise ScenarioError(f"{origin}: " + "; ".join(lines)) from None


def flatten(parameters: Any, origin: str) -> dict[str, Any]:
    """Flatten optional section headings into flat parameter names, checking each heading."""
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise ScenarioError(f"{origin}: 'parameters' must be a mapping of names to values, "
                            f"got {type(parameters).__name__}")
    flat: dict[str, Any] = {}
    for key, value in parameters.items():
        if key in SECTIONS and isinstance(value, dict):
            for name, v in value.items():
                if name in PARAMETER_NAMES and parameter_info(name)["section"] != key:
                    raise ScenarioError(
                        f"{origin}: parameter '{name}' is in section "
                        f"'{parameter_info(name)['section']}', not '{key}'")
                flat[str(name)] = v
        elif isinstance(value, dict):
            raise ScenarioError(f"{origin}: unknown section '{key}' (allowed: {', '.join(SECTIONS)})")
        else:
            flat[str(key)] = value
    return flat


def _read_file(source: Path | Any, origin: str) -> dict[str, Any]:
    try:
        data = read_yaml(source.read_text(encoding="utf-8"))
    except YamlInputError as exc:
        raise ScenarioError(f"{origin}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{origin}: cannot read the file ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{origin}: a scenario file must be a mapping with 'parameters'")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise ScenarioError(f"{origin}: unknown top-level key(s) {sorted(unknown)} "
                            f"(allowed: {', '.join(sorted(_FILE_KEYS))})")
    return data


def _resolve(name_or_path: str | Path, chain: tuple[str, ...] = ()) -> dict[str, Any]:
    """Flat values of a scenario, its ``base`` chain applied first.

    A ``base`` names a built-in scenario or a file, relative to the file that names it.
    """
    text = str(name_or_path)
    builtin = scenarios.resource(text) if "/" not in text and not text.endswith(".yaml") else None
    if builtin is not None:
        source, origin, key = builtin, f"scenario '{text}'", text
    else:
        path = Path(text)
        if not path.is_file():
            raise ScenarioError(
                f"scenario '{text}': no built-in scenario or file of that name "
                f"(built-ins: {', '.join(scenarios.names())})")
        source, origin, key = path, f"scenario file '{text}'", str(path.resolve())
    if key in chain:
        raise ScenarioError(f"{origin}: 'base' chain loops back to itself")
    if len(chain) >= MAX_BASE_CHAIN:
        raise ScenarioError(f"{origin}: 'base' chain is more than {MAX_BASE_CHAIN} files long (allowed: at most "
                            f"{MAX_BASE_CHAIN})")
    data = _read_file(source, origin)
    values: dict[str, Any] = {}
    base = data.get("base")
    if base is not None:
        if not isinstance(base, str):
            raise ScenarioError(f"{origin}: 'base' must be a scenario name or file, got {shorten(base)}")
        if builtin is None and scenarios.resource(base) is None and not Path(base).is_absolute():
            base = str(Path(text).parent / base)
        values.update(_resolve(base, (*chain, key)))
    flat = flatten(data.get("parameters"), origin)
    network_file = flat.get("network_file")
    if isinstance(network_file, str) and network_file and not Path(network_file).is_absolute():
        # A network file is named relative to the scenario file that names it.
        home = Path(scenarios.__file__).parent if builtin is not None else Path(text).parent
        flat["network_file"] = str(home / network_file)
    values.update(flat)
    for key in ("name", "description"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ScenarioError(f"{origin}: field '{key}' = {shorten(data[key])}: must be text")
    values["name"] = data.get("name") or Path(text).stem
    values["description"] = data.get("description") or ""
    return values


def load_scenario(name_or_path: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """Load a built-in scenario by name, or a scenario YAML file by path, and validate it."""
    values = _resolve(name_or_path)
    return validate(values, origin=f"scenario '{values['name']}'")


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``name=value`` from the command line; the value is read as a YAML scalar."""
    if "=" not in text:
        raise ScenarioError(f"--set {shorten(text)}: expected name=value, for example didactic_share=0.8")
    name, raw = text.split("=", 1)
    name = name.strip()
    if name not in PARAMETER_NAMES:
        raise ScenarioError(f"--set {shorten(text)}: unknown parameter {shorten(name)}; see `qicsim show` for the "
                            "names")
    if Scenario.model_fields[name].annotation is str:
        return name, raw  # text stays text: measure_name=on is the word "on", not true
    try:
        value = read_yaml(raw) if raw.strip() else raw
    except YamlInputError:
        value = raw  # not YAML: the text itself, which validation then judges
    return name, value
