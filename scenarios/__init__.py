"""The built-in scenario library: YAML files shipped inside this package.

This package holds data only; ``sim.scenario`` reads and validates it. Files are found through
``importlib.resources`` so that they work from an installed wheel as well as a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

SUFFIX = ".yaml"

DEFAULT = "breakthrough"
"""The scenario a command runs when none is named."""


def names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(p.name[: -len(SUFFIX)] for p in files(__name__).iterdir() if p.name.endswith(SUFFIX))


def resource(name: str) -> Traversable | None:
    """The file of a built-in scenario, or None when there is none of that name."""
    path = files(__name__).joinpath(name + SUFFIX)
    return path if path.is_file() else None
