"""Change ideas and adopted changes: every team's relation to every idea, as team x idea matrices.

An idea is a column: the faculty's change package first, then the teams' own ideas as they find
them. A row is a team: whether it has the idea at hand, how much it hopes of it (``quality``), how
often it failed, where it came from, and -- once a test worked -- whether it adopted the change,
how fully it still practises it and how far it is institutionalised. The PDSA cycles
(:mod:`sim.pdsa`) and peer learning (:mod:`sim.exchange`) work on these matrices.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from sim.states import Blocks

SOURCES = ("package", "peer", "own")
"""Where a change idea came from: the faculty's change package, a tied peer team, or the team itself."""
PACKAGE, PEER, OWN = range(len(SOURCES))


IDEA_FLOATS = ("quality", "in_use", "institutionalisation")
IDEA_INTS = ("tries", "found", "source")
IDEA_FLAGS = ("at_hand", "adopted")
IdeaArrays = namedtuple("IdeaArrays", ("effect", "found_count", *IDEA_FLOATS, *IDEA_INTS, *IDEA_FLAGS))
"""Every team's ideas by name, inside compiled passes (:func:`idea_arrays`)."""


class Ideas(Blocks):
    """Every team's ideas and adopted changes (``teams`` rows, one column per idea id).

    ``effect[j]`` is the share of the remaining gap to best practice idea ``j`` closes when it works
    (the same for every team). ``in_use`` is how fully an adopted change is still practised (0-1);
    ``institutionalisation`` how far it is built into systems and procedures (0-1), which protects
    it from erosion and from the loss of the people who made it (paper, challenge 9). ``found``:
    the order in which each team came by its ideas, so that among equally promising ideas it tests
    the one it has had longest (``found_count``: how many it came by).
    """

    FIELDS = {np.float64: IDEA_FLOATS, np.int64: IDEA_INTS, np.bool_: IDEA_FLAGS}
    quality: np.ndarray
    in_use: np.ndarray
    institutionalisation: np.ndarray
    tries: np.ndarray
    found: np.ndarray
    source: np.ndarray
    at_hand: np.ndarray
    adopted: np.ndarray

    def __init__(self, teams: int, package_effects: list[float], capacity: int = 32) -> None:
        self.teams = teams
        self.count = len(package_effects)  # idea ids in use: the package, then own ideas
        capacity = max(capacity, 2 * self.count)
        self.effect = np.zeros(capacity)
        self.effect[: self.count] = package_effects
        self.found_count = np.zeros(teams, dtype=np.int64)
        self._make_blocks(teams, capacity)

    def _make_blocks(self, *shape: int) -> None:
        super()._make_blocks(*shape)
        self.arrays = (self.effect, self.found_count, *self.blocks)
        """What a compiled pass receives to name every idea array (:func:`idea_arrays`; remade when the
        ideas make room)."""

    def reserve(self, new_ideas: int) -> None:
        """Make room for up to ``new_ideas`` more idea ids."""
        needed = self.count + new_ideas
        capacity = len(self.effect)
        if needed <= capacity:
            return
        old_effect, old_blocks = self.effect, self.blocks
        capacity = max(needed, 2 * capacity)
        self.effect = np.zeros(capacity)
        self.effect[: len(old_effect)] = old_effect
        self._make_blocks(self.teams, capacity)
        for new, old in zip(self.blocks, old_blocks, strict=True):
            new[:, :, : old.shape[2]] = old

    def remaining_gap(self) -> np.ndarray:
        """Each team's gap as its changes leave it: the product over its changes of (1 - effect x use)."""
        return changes_gap(self.effect, self.in_use, self.adopted, self.count)

    def in_use_by_team(self) -> np.ndarray:
        """Each team's adopted changes weighted by how fully each is still practised."""
        return self.in_use[:, : self.count].sum(axis=1)

    def adopted_by_team(self) -> np.ndarray:
        """How many changes each team adopted."""
        return np.count_nonzero(self.adopted, axis=1)

    def from_peers_by_team(self) -> np.ndarray:
        """How many of each team's changes came from, or were proven by, a tied peer team."""
        return np.count_nonzero(self.adopted & (self.source == PEER), axis=1)


@njit(cache=True)
def idea_arrays(effect, found_count, floats, ints, flags):  # pragma: no cover - compiled
    """Every team's ideas by name (:data:`IdeaArrays`) from ``Ideas.arrays``, in a compiled pass;
    rows in the order of ``IDEA_FLOATS``, ``IDEA_INTS`` and ``IDEA_FLAGS`` (tested)."""
    return IdeaArrays(effect, found_count, floats[0], floats[1], floats[2], ints[0], ints[1], ints[2], flags[0],
                      flags[1])


@njit(cache=True)
def changes_gap(effect, in_use, adopted, count):  # pragma: no cover - compiled
    """Each team's gap as its changes leave it: the product over its changes of (1 - effect x use)."""
    gap = np.ones(in_use.shape[0])
    for i in range(in_use.shape[0]):
        for j in range(count):
            if adopted[i, j]:
                gap[i] *= 1.0 - effect[j] * in_use[i, j]
    return gap
