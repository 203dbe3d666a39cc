"""Shared helpers: paired runs over many seeds for effect tests; the dashboard's pages rendered without a browser."""

from __future__ import annotations

import numpy as np
import pytest

from qicsim import sim


def paired_difference(key: str, base: dict, changed: dict, seeds: int = 64, scenario: str = "breakthrough"):
    """Mean and standard error of (changed - base) in a summary key over paired seeds.

    Both arms use the same seeds (common random numbers), so the difference is the lever's effect
    plus noise that shrinks with the number of seeds.
    """
    diffs = []
    for seed in range(seeds):
        a = sim.run(scenario, seed=seed, **base).summary[key]
        b = sim.run(scenario, seed=seed, **changed).summary[key]
        diffs.append(b - a)
    diffs = np.asarray(diffs)
    return float(diffs.mean()), float(diffs.std(ddof=1) / np.sqrt(len(diffs)))


@pytest.fixture(scope="session")
def small_run():
    """One small run shared by the invariant tests."""
    return sim.run("breakthrough", seed=11, teams=20)


@pytest.fixture
def render():
    """Render a page in the app's layout; close it after the test (a live page re-renders from its threads)."""
    opened = []

    def open_page(page, path: str | None = None):
        import solara

        from qicsim import app

        path = path or next(route.path for route in app.routes if route.component is page)
        element = solara.RoutingProvider(routes=app.routes, pathname=path,
                                         children=[app.Layout(children=[page()])])
        box, rc = solara.render(element, handle_error=False)
        opened.append(rc)
        return box, rc

    yield open_page
    for rc in opened:
        rc.close()
