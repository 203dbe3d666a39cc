"""Change ideas and adopted changes: every team's relation to every idea, as a team x idea matrix.

An idea is a column: the faculty's change package first, then the teams' own ideas as they find
them (``catalogue``: each idea's effect, the same for every team). A row is a team: whether it has
the idea at hand, how much it hopes of it (``quality``), how often it failed, where it came from,
and -- once a test worked -- whether it adopted the change, how fully it still practises it and
how far it is institutionalised. The PDSA cycles (:mod:`sim.modules.pdsa_cycles`) and peer
exchange (:mod:`sim.modules.peer_exchange`) work on these matrices; institutionalisation and
leadership turnover change how fully changes are kept.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from qicsim.sim import _cache  # noqa: F401 -- keys numba's cache to the model's source before a kernel is compiled
from qicsim.sim.module import define_states, idea_state
from qicsim.sim.populations import Population

SOURCES = ("package", "peer", "own")
"""Where a change idea came from: the faculty's change package, a tied peer team, or the team itself."""
PACKAGE, PEER, OWN = range(len(SOURCES))
GROWTH = 2
"""The idea matrices at least double when they need room (so growing them costs little over a run)."""
MIN_QUALITY = 0.01
"""An idea's quality (a chance factor) is kept this far inside (0, 1) where it is drawn: a team's hope
in an idea at hand is never nil nor certainty."""

IDEA_STATES = define_states(
    idea_state("quality", 0.0, "how much the team hopes of the idea: its chance-of-success factor (0-1)"),
    idea_state("in_use", 0.0, "how fully an adopted change is still practised (0-1)"),
    idea_state("institutionalisation", 0.0, "how far an adopted change is built into systems and procedures (0-1)"),
    idea_state("tries", 0, "failed tests of the idea", int),
    idea_state("found", 0, "order in which the team came by the idea (earlier first among equals)", int),
    idea_state("source", PACKAGE, "where the idea came from (codes of SOURCES)", int),
    idea_state("at_hand", False, "the team has the idea and may test it", bool),
    idea_state("adopted", False, "a test of the idea worked: the team adopted the change", bool),
)
CATALOGUE_STATES = define_states(
    idea_state("effect", 0.0, "share of a team's remaining gap to best practice the change closes when it works"),
)


class Ideas:
    """Every team's ideas and adopted changes: ``matrix`` (teams x idea ids, ``count`` in use) and the
    ideas' ``catalogue``. The matrix's states read as attributes (``ideas.quality[i, j]``).

    ``institutionalisation`` protects a change from erosion and from the loss of the people who made
    it (paper, challenge 9). ``found`` orders each team's ideas by when it came by them (the team
    state ``ideas_found`` counts them), so that among equally promising ideas it tests the one it has
    had longest.
    """

    def __init__(self, teams: Population, package_effects: np.ndarray, capacity: int = 32) -> None:
        self.teams = teams
        self.count = len(package_effects)
        capacity = max(capacity, GROWTH * self.count)
        self.matrix = Population("ideas", teams.size, IDEA_STATES, columns=capacity)
        self.catalogue = Population("catalogue", capacity, CATALOGUE_STATES)
        self.catalogue.effect[: self.count] = package_effects

    def __getattr__(self, name: str) -> np.ndarray:
        # the matrix's states by name: ideas.quality is ideas.matrix.quality
        if name != "matrix" and "matrix" in self.__dict__ and name in self.matrix.states:
            return getattr(self.matrix, name)
        raise AttributeError(name)

    @property
    def effect(self) -> np.ndarray:
        return self.catalogue.effect

    @property
    def capacity(self) -> int:
        return self.catalogue.size

    def reserve(self, new_ideas: int) -> None:
        """Make room for up to ``new_ideas`` more idea ids."""
        needed = self.count + new_ideas
        if needed <= self.capacity:
            return
        capacity = max(needed, GROWTH * self.capacity)
        effect = self.catalogue.effect.copy()
        self.catalogue = Population("catalogue", capacity, CATALOGUE_STATES)
        self.catalogue.effect[: len(effect)] = effect
        self.matrix.grow_columns(capacity)

    def remaining_gap(self) -> np.ndarray:
        """Each team's gap as its changes leave it: the product over its changes of (1 - effect x use)."""
        return changes_gap(self.matrix.record, self.catalogue.record, self.count)

    def in_use_by_team(self) -> np.ndarray:
        """Each team's adopted changes weighted by how fully each is still practised."""
        return changes_in_use(self.matrix.record, self.count)

    def adopted_by_team(self) -> np.ndarray:
        """How many changes each team adopted."""
        return np.count_nonzero(self.adopted, axis=1)

    def from_peers_by_team(self) -> np.ndarray:
        """How many of each team's changes came from, or were proven by, a tied peer team."""
        return np.count_nonzero(self.adopted & (self.source == PEER), axis=1)


@register_jitable
def gap_left(ideas, catalogue, count, i):
    """Team ``i``'s gap as its changes leave it (in units of its baseline gap, before drift): the product
    over its changes of (1 - effect x how fully it is practised); ``in_use`` is 0 for an idea never adopted."""
    gap = 1.0
    for j in range(count):
        gap *= 1.0 - catalogue.effect[j] * ideas.in_use[i, j]
    return gap


@register_jitable
def in_use_of(ideas, count, i):
    """Team ``i``'s adopted changes weighted by how fully each is still practised."""
    total = 0.0
    for j in range(count):
        total += ideas.in_use[i, j]
    return total


@njit(cache=True)
def changes_gap(ideas, catalogue, count):  # pragma: no cover - compiled
    """Each team's gap as its changes leave it (:func:`gap_left`)."""
    gap = np.empty(ideas.shape[0])
    for i in range(ideas.shape[0]):
        gap[i] = gap_left(ideas, catalogue, count, i)
    return gap


@njit(cache=True)
def changes_in_use(ideas, count):  # pragma: no cover - compiled
    """Each team's adopted changes weighted by how fully each is still practised (:func:`in_use_of`)."""
    total = np.empty(ideas.shape[0])
    for i in range(ideas.shape[0]):
        total[i] = in_use_of(ideas, count, i)
    return total
