"""Teams that meet learn from each other: change spread and quality-method spread between tied
teams, compiled (numba) because a session brings hundreds of pairs together.

Paper, challenges 1 and 10: a peer's working changes become tested ideas here, more so for a
narrow subject where teams work on comparable processes; challenge 8: some of a more skilled
peer's QI capability rubs off. Each pair learns both ways, one pair after another.
"""

from __future__ import annotations

from numba import njit

from sim.ideas import PEER
from sim.network import PEER_METHOD_TRANSFER

PEER_TESTED_BOOST = 0.5
"""Share of an idea's remaining doubt removed when a peer shows it worked (change spread)."""


@njit(cache=True)
def informal_exchange(engaged, draws, strength, contact_rate, heard, capability, ideas, count, boost, own_idea_quality,
                      subject_specificity):  # pragma: no cover - compiled
    """Tied teams still working on QI exchange outside the meetings: each pair of ``engaged`` teams
    talks this month with a chance of its tie strength times ``contact_rate``, and then learns both
    ways (``draws``: one per pair of engaged teams, in order; ``ideas``: the ideas' arrays by name)."""
    k = 0
    for x in range(engaged.shape[0]):
        for y in range(x + 1, engaged.shape[0]):
            a, b = engaged[x], engaged[y]
            if draws[k] < strength[a, b] * contact_rate:
                learn(a, b, heard, capability, ideas, count, boost, own_idea_quality, subject_specificity)
                learn(b, a, heard, capability, ideas, count, boost, own_idea_quality, subject_specificity)
            k += 1


@njit(cache=True)
def learn(i, p, heard, capability, ideas, count, boost, own_idea_quality, subject_specificity):  # pragma: no cover
    """Team ``i`` learns from team ``p``: some of a more skilled peer's capability, and each of the
    peer's changes it has not adopted (an example heard) becomes a proven idea here (``ideas``: the
    ideas' arrays by name, :func:`sim.ideas.idea_arrays`)."""
    quality, source, at_hand, adopted = ideas.quality, ideas.source, ideas.at_hand, ideas.adopted
    if capability[p] > capability[i]:
        capability[i] += PEER_METHOD_TRANSFER * (capability[p] - capability[i])
    for j in range(count):
        if not adopted[p, j] or adopted[i, j]:
            continue
        heard[i] += 1
        if at_hand[i, j]:
            if source[i, j] != PEER:  # an idea the team had: a peer proved it works
                quality[i, j] += boost * (1.0 - quality[i, j])
                source[i, j] = PEER
        else:  # a peer's change the team did not have (or had set aside) becomes an idea here
            q = own_idea_quality * (0.5 + capability[i])
            q += 0.5 * subject_specificity * (1.0 - q)
            quality[i, j] = min(0.95, q)
            source[i, j] = PEER
            ideas.tries[i, j] = 0
            at_hand[i, j] = True
            ideas.found[i, j] = ideas.found_count[i]
            ideas.found_count[i] += 1
