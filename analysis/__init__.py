"""Analysis of runs and sweeps: figures, the HTML report, cost-effectiveness, validation and calibration.

Submodules load on first use (``qicsim.analysis.figures``, ``.report``, ``.cea``, ``.validation``,
``.calibration``, ``.labels``, ...), so importing this package costs nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any


def __getattr__(name: str) -> Any:
    """A submodule, imported on first access (PEP 562)."""
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
