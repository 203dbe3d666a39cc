"""The collaborative components the design advisor searches unless told otherwise, in a module light to import
(``qicsim design --help`` lists them without loading the model; :mod:`experiments.design` uses them)."""

from __future__ import annotations

from typing import Any

OPTIONS: dict[str, list[Any]] = {
    "learning_sessions": [2, 3, 4],
    "session_format": ["in_person", "virtual"],
    "coaching_calls_per_month": [0, 1, 2],
    "site_visits": [0, 1],
    "group_calls_per_month": [0, 1],
    "benchmark_reports": ["none", "quarterly", "monthly"],
    "online_forum": [False, True],
}
"""The components an organiser chooses and the values searched unless told otherwise (432 designs)."""
