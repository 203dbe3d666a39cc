"""Peer exchange: ties between the collaborative's teams, and what travels along them (challenges 5,
6, 9 and 10).

Ties form at learning sessions and the congress when teams meet -- more with informal time and less
lecturing (paper, challenge 5: 'much know-how is transferred' informally) -- and exist already
between teams whose organisations are in contact. A team can keep up only so many working ties
(``tie_capacity``), so a larger collaborative does not give each team ever more peers. Teams that
talk learn both ways: a peer's working changes become proven ideas here, more so for a narrow
subject where teams work on comparable processes (challenges 1 and 10: change spread), and some of
a more skilled peer's QI capability rubs off (challenge 8: method spread). The peers' examples
heard at a meeting build confidence (challenge 6). Between meetings tied teams talk less often;
after the end ties fade unless a community of practice is planned, and tied teams still using QI
help a team keep using it (challenge 9; :mod:`sim.modules.continued_qi`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.extending import register_jitable

from qicsim.sim.ideas import PEER
from qicsim.sim.module import (
    MONTHS_PER_YEAR,
    Module,
    Par,
    around_average,
    define_pars,
    define_states,
    gained,
    team_state,
)
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import ASSUMPTION, KEPT, PAPER

PAIR = 2
"""Teams in a pair."""
DRAWS_PER_PAIR = 2
"""At a meeting: whether two teams start working together, and whether, tied, they seek each other out."""


class TeamTies:
    """Ties between the collaborative's teams: a symmetric strength matrix (0 = no tie), which ties
    are working ties, formed at a meeting (what a team's ``tie_capacity`` counts), and the changes
    each tie carried."""

    def __init__(self, teams: int) -> None:
        self.strength = np.zeros((teams, teams))
        self.working = np.zeros((teams, teams), dtype=bool)
        self.carried = np.zeros((teams, teams), dtype=np.int64)
        """Changes passed from team ``b`` to team ``a`` along their tie, ``carried[a, b]`` (a row per
        hearer): each peer's working change a team heard of when the two talked -- at a meeting, between
        meetings or on a group call -- counted as in ``peer_examples``. Not symmetric; the forum's
        changes travel along no tie and are not counted here."""

    def pairs(self) -> list[tuple[int, int, float]]:
        """Tied pairs and their strength."""
        i, j = np.nonzero(np.triu(self.strength, k=1))
        return [(int(a), int(b), float(self.strength[a, b])) for a, b in zip(i, j, strict=True)]

    def carried_pairs(self) -> list[tuple[int, int, int]]:
        """The ties that carried changes: each pair of teams ``a`` < ``b`` whose tie carried any, and how
        many it carried either way (``carried[a, b] + carried[b, a]``), for drawing them. A tie that has
        faded since is still listed: this is what the ties carried over the run."""
        both = self.carried + self.carried.T
        i, j = np.nonzero(np.triu(both, k=1))
        return [(int(a), int(b), int(both[a, b])) for a, b in zip(i, j, strict=True)]


class PeerExchange(Module):
    """The teams' ties, and the exchange of changes and skills between tied teams."""

    name = "peer_exchange"
    section = "spread"
    pars = define_pars(
        Par("tie_formation", 1.0, unit="0-1",
            source=f"{PAPER}, challenge 10: organisers give 'structured opportunities for exchange'",
            doc="how readily teams that meet at a session form a working tie (0 = sessions form no ties)",
            ge=0, le=1, prior=(0.2, 1.0)),
        Par("tie_capacity", 20, unit="working ties",
            source="assumption: a team can keep up working relations with a limited number of peer teams (no "
                   "study we found counts them; Bunger et al.'s learning-collaborative network surveys asked for at "
                   "most five advisers)",
            doc="most working ties a team keeps up with teams still in the collaborative (a larger collaborative "
                "gives no more)",
            ge=1, le=500, prior=(3, 30)),
        Par("working_tie_share", 0.5, unit="share", source=KEPT,
            doc="share of the teams who meet at a session that go on to work together", ge=0, le=1,
            prior=(0.1, 0.8)),
        Par("meeting_chance_base", 0.1, unit="probability", source=KEPT,
            doc="chance that two teams meet at a session with no informal time and only lectures", ge=0, le=1,
            prior=(0.0, 0.3)),
        Par("meeting_informal_effect", 1.5, unit="per share of time", source=f"{KEPT}; {PAPER}, challenge 5",
            doc="how much each share of session time given to informal contact raises the chance two teams meet",
            ge=0, le=10, prior=(0.5, 3.0)),
        Par("meeting_practice_effect", 0.5, unit="per share of time", source=f"{KEPT}; {PAPER}, challenge 5",
            doc="how much each share of session time not spent on lectures raises the chance two teams meet",
            ge=0, le=10, prior=(0.0, 1.0)),
        Par("virtual_tie_formation", 0.4, unit="factor", source=f"{ASSUMPTION}: teams meeting by video form fewer "
            "working ties than teams in a room together (no controlled comparison found)",
            doc="chance that teams form a working tie at a virtual session, against an in-person one", ge=0, le=1,
            prior=(0.1, 0.9)),
        Par("prior_tie_strength", 0.3, unit="0-1", source=ASSUMPTION,
            doc="strength of the tie between two teams whose organisations are already in contact", ge=0, le=1,
            prior=(0.0, 0.6)),
        Par("informal_contact_per_month", 0.1, unit="probability/month",
            source=f"assumption; {PAPER}, challenge 10: exchange 'inside and outside the meetings'",
            doc="chance that two fully tied teams exchange in a month between meetings", ge=0, le=1,
            prior=(0.0, 0.4)),
        Par("comparator_peer_contact", 0.0, unit="share", section="traditional",
            source="assumption (structural: the paper says how the comparison stands is unknown): traditional "
                   "teams have no sessions; how far they still talk with teams of organisations in contact",
            doc="informal exchange between traditional teams, as a share of a collaborative's informal contact "
                "(0 = none)", ge=0, le=1, prior=(0.0, 0.5)),
        Par("peer_method_transfer", 0.02, unit="share of gap", source=f"{KEPT}; {PAPER}, challenge 8",
            doc="share of the capability gap to a more skilled peer closed at each exchange", ge=0, le=1,
            prior=(0.0, 0.1)),
        Par("peer_tested_boost", 0.5, unit="share of doubt", source=f"{KEPT}; {PAPER}, challenge 1",
            doc="share of a team's doubt in an idea removed when a peer on a fully narrow subject shows it works",
            ge=0, le=1, prior=(0.1, 0.9)),
        Par("peer_idea_specificity_gain", 0.5, unit="share of doubt", source=f"{KEPT}; {PAPER}, challenge 1",
            doc="share of its doubt a team loses in a peer's working change on a fully narrow subject", ge=0,
            le=1, prior=(0.1, 0.9)),
        Par("peer_example_effect", 0.02, unit="0-1 per example", section="motivation",
            source=f"{PAPER}, challenge 6: peers giving examples of changes builds confidence",
            doc="motivation gained per peer success heard at a session", ge=0, le=0.5, prior=(0.0, 0.06)),
        Par("post_collaborative_network", 0.0, unit="0-1",
            source=f"{PAPER}, challenge 9: 'plan for a network to continue after the collaborative' "
                   "(used successfully in one Australian collaborative)",
            doc="how far a community of practice is planned to keep teams' ties after the end", ge=0, le=1,
            prior=(0.0, 1.0)),
        Par("tie_decay_per_year", 1.0, unit="per year",
            source="assumption: without a planned network, ties between teams fade within a year or two",
            doc="rate at which ties between teams fade after the end without a community of practice", ge=0,
            le=20, prior=(0.3, 3.0), log_prior=True),
    )
    states = define_states(
        team_state("peer_examples", 0, "peers' working changes the team has heard of", int),
        team_state("peer_support", 0.0, "after the end: support from tied teams still using QI (0-1)"),
    )
    reads = ("status", "formed", "using_qi", "adopted", "capability")
    writes = ("peer_examples", "peer_support", "motivation", "capability", "quality", "source", "tries", "at_hand",
              "found", "ideas_found")

    def init(self) -> None:
        p, model = self.p, self.model
        n = model.team_states.size
        model.ties = self.ties = TeamTies(n)
        edges = model.organisation_graph.edges  # the ties as an array: no networkx graph of a whole health system
        for a, b in edges[(edges < n).all(axis=1)].tolist():  # ties between participants
            self.ties.strength[a, b] = self.ties.strength[b, a] = p.prior_tie_strength
        self.ties_kept_per_month = math.exp(-p.tie_decay_per_year * (1 - p.post_collaborative_network)
                                            / MONTHS_PER_YEAR)

    def meeting(self, days: float, teaching: bool) -> None:
        """Teams that meet may start working together (each pair with the chance :func:`formation_chance`, more
        in the room than by video), tied teams seek each other out, and each pair that talks learns both ways;
        the peers' examples a team heard build its confidence. Each pair of teams has two draws (:func:`pair`):
        one for forming a tie, one for seeking each other out."""
        model = self.model
        t, ideas = model.team_states, model.ideas
        draws = self.draws.uniforms(DRAWS_PER_PAIR * pairs(t.size))
        forming, seeking = draws[0::DRAWS_PER_PAIR], draws[1::DRAWS_PER_PAIR]
        in_room = self.p.virtual_tie_formation if self.p.session_format == "virtual" else 1.0
        would = np.flatnonzero(forming < formation_chance(self.p) * in_room)
        order = would[np.argsort(forming[would], kind="stable")]  # the would-be ties in a random order
        formed = form_ties(t.record, self.ties.strength, self.ties.working, model.pars, order)
        self.ties.carried += talk(t.record, ideas.matrix.record, ideas.count, self.ties.strength, model.pars, seeking,
                                  formed)

    def month_end(self, month: int) -> None:
        """Outside the meetings tied teams still working on QI pass on changes (the confidence a room of
        peers' stories gives is the sessions' own); after the end ties fade."""
        model = self.model
        if model.mode == "none":
            return
        t, ideas = model.team_states, model.ideas
        contact = self.p.informal_contact_per_month * (1.0 if model.mode == "collaborative"
                                                      else self.p.comparator_peer_contact)
        if contact > 0.0:
            engaged = ((t.status < COMPLETED) & t.formed) | t.using_qi
            self.ties.carried += informal_exchange(t.record, ideas.matrix.record, ideas.count, self.ties.strength,
                                                   model.pars, self.draws.uniforms(pairs(t.size)), contact, engaged)
        if model.mode == "collaborative" and model.month_follow_up(month):
            self.fade_and_support()

    def fade_and_support(self) -> None:
        """A month after the end: ties keep a share of their strength, and each team's support from tied
        teams still using QI (0-1; the community of practice) is the mean over the other teams of tie
        strength times whether they still use QI."""
        fade_and_support(self.model.team_states.record, self.ties.strength, self.ties_kept_per_month)


@njit(cache=True)
def form_ties(t, strength, working, pars, order):  # pragma: no cover - compiled
    """New working ties at a meeting: the pairs of teams (places :func:`pair`) that would start working together,
    in the random ``order`` given, each only while both teams are still in and have room for another working tie
    (ties to teams that have left the collaborative no longer take a team's time). A tie formed is at full
    strength. Returns which pairs formed a tie (``formed[a, b]``, a < b)."""
    p = pars[0]
    n = t.shape[0]
    ties_held = np.zeros(n, np.int64)
    for a in range(n):
        for b in range(n):
            ties_held[a] += working[a, b] and t.status[b] < COMPLETED
    formed = np.zeros((n, n), np.bool_)
    for k in order:
        a, b = pair_of(k, n)
        if t.status[a] >= COMPLETED or t.status[b] >= COMPLETED:
            continue
        if working[a, b] or (ties_held[a] < p.tie_capacity and ties_held[b] < p.tie_capacity):
            if not working[a, b]:
                ties_held[a] += 1
                ties_held[b] += 1
            working[a, b] = working[b, a] = True
            strength[a, b] = strength[b, a] = 1.0
            formed[a, b] = True
    return formed


@njit(cache=True)
def talk(t, ideas, count, strength, pars, seeking, formed):  # pragma: no cover - compiled
    """Every pair of teams present at a meeting talks if it has just ``formed`` a tie, or with the chance of its
    tie's strength (``seeking``: one uniform per pair, :func:`pair`); pairs that talk learn both ways, one pair
    after another, and the peers' examples a team heard build its confidence. Returns the changes each team
    heard of from each other team (a row per hearer, as ``TeamTies.carried``)."""
    p = pars[0]
    n = t.shape[0]
    present = np.flatnonzero(t.status < COMPLETED)
    heard = np.zeros((n, n), np.int64)
    for x in range(present.shape[0]):
        for y in range(x + 1, present.shape[0]):
            a, b = present[x], present[y]
            if formed[a, b] or seeking[pair(a, b, n)] < strength[a, b]:
                learn(a, b, t, ideas, count, pars, heard)
                learn(b, a, t, ideas, count, pars, heard)
    for i in present:
        examples = heard[i].sum()
        t.peer_examples[i] += examples
        t.motivation[i] += gained(min(1.0, p.peer_example_effect * examples), t.motivation[i])
    return heard


@njit(cache=True)
def informal_exchange(t, ideas, count, strength, pars, draws, contact, talking):  # pragma: no cover - compiled
    """Tied teams among those ``talking`` (a yes/no per team: between meetings, those still working on QI)
    exchange: each pair of them talks this month with a chance of its tie strength times ``contact`` (a
    month's chance for a full tie), and then learns both ways (``draws``: one uniform per pair of teams,
    :func:`pair`). Returns the changes each team heard of from each other team (a row per hearer)."""
    n = t.shape[0]
    engaged = np.flatnonzero(talking)
    heard = np.zeros((n, n), np.int64)
    for x in range(engaged.shape[0]):
        for y in range(x + 1, engaged.shape[0]):
            a, b = engaged[x], engaged[y]
            if draws[pair(a, b, n)] < strength[a, b] * contact:
                learn(a, b, t, ideas, count, pars, heard)
                learn(b, a, t, ideas, count, pars, heard)
    for i in engaged:
        t.peer_examples[i] += heard[i].sum()
    return heard


@njit(cache=True)
def fade_and_support(t, strength, kept):  # pragma: no cover - compiled
    """Ties keep a share ``kept`` of their strength; each team's ``peer_support`` is the mean over the other
    teams of tie strength times whether they still use QI."""
    n = t.shape[0]
    for a in range(n):
        support = 0.0
        for b in range(n):
            strength[a, b] *= kept
            if t.using_qi[b]:
                support += strength[a, b]
        t.peer_support[a] = support / max(1, n - 1)


@register_jitable
def formation_chance(p):
    """Chance that two teams at a session start working together (``p``: the parameters): they meet --
    more so with informal time and less lecturing (paper, challenge 5) -- and the meeting becomes a
    working tie."""
    meeting = min(1.0, p.meeting_chance_base + p.meeting_informal_effect * p.informal_time_share
                  + p.meeting_practice_effect * (1.0 - p.didactic_share))
    return p.tie_formation * p.working_tie_share * meeting


@register_jitable
def pairs(n):
    """How many pairs ``n`` teams make."""
    return n * (n - 1) // PAIR


@register_jitable
def pair(a, b, n):
    """The place of the pair of teams ``a`` < ``b`` among all pairs of ``n`` teams, in order (0, 1),
    (0, 2), ..., (1, 2), ...: each pair has its own draws, whoever else is there (common random numbers)."""
    return pairs(n) - pairs(n - a) + b - a - 1


@register_jitable
def pair_of(k, n):
    """The pair of teams at place ``k`` among all pairs of ``n`` teams (the inverse of :func:`pair`)."""
    a = 0
    while k >= n - 1 - a:
        k -= n - 1 - a
        a += 1
    return a, a + 1 + k


@njit(cache=True)
def learn(i, peer, t, ideas, count, pars, heard):  # pragma: no cover - compiled
    """Team ``i`` learns from ``peer``: some of a more skilled peer's capability, and each of the peer's
    changes it has not adopted (an example heard, counted in ``heard[i, peer]``: a matrix over the teams)
    becomes a proven idea here."""
    p = pars[0]
    if t.capability[peer] > t.capability[i]:
        t.capability[i] += p.peer_method_transfer * (t.capability[peer] - t.capability[i])
    for j in range(count):
        if not ideas.adopted[peer, j] or ideas.adopted[i, j]:
            continue
        heard[i, peer] += 1
        if ideas.at_hand[i, j]:
            if ideas.source[i, j] != PEER:  # an idea the team had: a peer proved it works
                ideas.quality[i, j] += gained(p.peer_tested_boost * p.subject_specificity, ideas.quality[i, j])
                ideas.source[i, j] = PEER
        else:  # a peer's change the team did not have (or had set aside) becomes an idea here
            hope = p.own_idea_quality * around_average(t.capability[i], p.own_idea_capability_effect)
            hope += gained(p.peer_idea_specificity_gain * p.subject_specificity, hope)
            ideas.quality[i, j] = min(p.idea_quality_cap, hope)
            ideas.source[i, j] = PEER
            ideas.tries[i, j] = 0
            ideas.at_hand[i, j] = True
            ideas.found[i, j] = t.ideas_found[i]
            t.ideas_found[i] += 1
