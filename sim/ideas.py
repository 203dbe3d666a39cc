"""Change ideas and adopted changes: every team's relation to every idea, as team x idea matrices.

An idea is a column: the faculty's change package first, then the teams' own ideas as they find
them. A row is a team: whether it has the idea at hand, how much it hopes of it (``quality``), how
often it failed, where it came from, and -- once a test worked -- whether it adopted the change,
how fully it still practises it and how far it is institutionalised. The PDSA cycles
(:mod:`sim.pdsa`) and peer learning (:mod:`sim.exchange`) work on these matrices.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SOURCES = ("package", "peer", "own")
"""Where a change idea came from: the faculty's change package, a tied peer team, or the team itself."""
PACKAGE, PEER, OWN = range(len(SOURCES))


class Ideas:
    """Every team's ideas and adopted changes (``teams`` rows, one column per idea id).

    ``effect[j]`` is the share of the remaining gap to best practice idea ``j`` closes when it works
    (the same for every team). ``in_use`` is how fully an adopted change is still practised (0-1);
    ``institutionalisation`` how far it is built into systems and procedures (0-1), which protects
    it from erosion and from the loss of the people who made it (paper, challenge 9).
    """

    def __init__(self, teams: int, package_effects: list[float], capacity: int = 32) -> None:
        self.teams = teams
        self.count = len(package_effects)  # idea ids in use: the package, then own ideas
        capacity = max(capacity, 2 * self.count)
        self.effect = np.zeros(capacity)
        self.effect[: self.count] = package_effects
        self.quality = np.zeros((teams, capacity))
        self.tries = np.zeros((teams, capacity), dtype=np.int64)
        self.source = np.zeros((teams, capacity), dtype=np.int8)
        self.at_hand = np.zeros((teams, capacity), dtype=bool)
        # the order in which each team came by its ideas, so that among equally promising ideas it
        # tests the one it has had longest
        self.found = np.zeros((teams, capacity), dtype=np.int64)
        self.found_count = np.zeros(teams, dtype=np.int64)
        self.adopted = np.zeros((teams, capacity), dtype=bool)
        self.in_use = np.zeros((teams, capacity))
        self.institutionalisation = np.zeros((teams, capacity))
        self.moved()

    def reserve(self, new_ideas: int) -> None:
        """Make room for up to ``new_ideas`` more idea ids."""
        needed = self.count + new_ideas
        capacity = len(self.effect)
        if needed <= capacity:
            return
        capacity = max(needed, 2 * capacity)
        grown = np.zeros(capacity)
        grown[: len(self.effect)] = self.effect
        self.effect = grown
        for name in ("quality", "tries", "source", "at_hand", "found", "adopted", "in_use", "institutionalisation"):
            old = getattr(self, name)
            new = np.zeros((self.teams, capacity), dtype=old.dtype)
            new[:, : old.shape[1]] = old
            setattr(self, name, new)

    def moved(self) -> None:
        """Forget the per-team sums: call after a change is adopted or its use moves."""
        self._remaining_gap: np.ndarray | None = None
        self._in_use_by_team: np.ndarray | None = None

    def remaining_gap(self) -> np.ndarray:
        """Each team's gap as its changes leave it: the product over its changes of (1 - effect x use)
        (read-only; kept until the changes move)."""
        if self._remaining_gap is None:
            self._remaining_gap = _remaining_gap(self.effect, self.in_use, self.adopted, self.count)
            self._remaining_gap.flags.writeable = False
        return self._remaining_gap

    def in_use_by_team(self) -> np.ndarray:
        """Each team's adopted changes weighted by how fully each is still practised (read-only; kept
        until the changes move)."""
        if self._in_use_by_team is None:
            self._in_use_by_team = self.in_use[:, : self.count].sum(axis=1)
            self._in_use_by_team.flags.writeable = False
        return self._in_use_by_team

    def adopted_by_team(self) -> np.ndarray:
        """How many changes each team adopted."""
        return np.count_nonzero(self.adopted, axis=1)

    def from_peers_by_team(self) -> np.ndarray:
        """How many of each team's changes came from, or were proven by, a tied peer team."""
        return np.count_nonzero(self.adopted & (self.source == PEER), axis=1)

    def lose_people(self, team: int, loss: float) -> None:
        """Changes that live in the leader's head go with the leader: a share ``loss`` of what is not
        institutionalised stops being practised."""
        self.in_use[team] *= 1 - loss * (1 - self.institutionalisation[team])
        self.moved()


@njit(cache=True)
def _remaining_gap(effect, in_use, adopted, count):  # pragma: no cover - compiled
    gap = np.ones(in_use.shape[0])
    for i in range(in_use.shape[0]):
        for j in range(count):
            if adopted[i, j]:
                gap[i] *= 1.0 - effect[j] * in_use[i, j]
    return gap
