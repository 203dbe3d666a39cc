"""The networks that carry spread (paper, challenge 10): organisations and their units, and the ties
between the collaborative's teams.

Three layers, each kept in the form that is cheap for what it does:

- the **organisation graph** (networkx): which organisations are in regular contact -- a generated
  regional small world (Watts & Strogatz 1998) or scale-free graph (Barabási & Albert 1999), or a
  user's own referral or regional network read from GraphML or an edge list;
- the **units** of every organisation (numpy arrays indexed by unit, ties as a scipy.sparse matrix):
  one unit of each participating organisation sends the team; every other unit, in participating
  organisations and beyond them, is a spread target. A unit adopts the collaborative's changes
  (or its QI methods) through exposure to adopted contacts and its own receptivity;
- the **ties between teams** (a dense teams x teams strength matrix): formed at learning sessions,
  more of them with less lecturing and more informal time, carrying tested changes and QI skill
  between teams; after the end they fade unless a community of practice is planned.

Adoption rule: a Bass-type contagion on the network (Bass 1969; Mahajan, Muller & Bass 1995 for
the coefficients; its network form as in Valente 1996's exposure models). A unit is *exposed* once
any of its contacts has adopted; an exposed unit adopts in a month with probability
``1 - exp(-(p + q * f) * r / 12)``, where ``f`` is the weighted share of its contacts that have
adopted, ``p`` and ``q`` are the yearly innovation and imitation coefficients and ``r`` its
receptivity: its organisation's QI culture and management support (paper: spreading within an
organisation 'requires the right leadership, support from opinion leaders, and training'), times
how far spread is planned. Without planning the receptivity is low, so that spread beyond the
participants stays rare, as the paper found; an internal collaborative raises both exposure and
receptivity inside the participating organisations.

Roll-out inside an organisation: an organisation adopts before its units implement (Greenhalgh et
al. 2004). When a change first works in one of its units -- its team's pilot, or a unit reached by
contagion -- the organisation decides once whether to roll it out, with probability
``roll_out_chance`` times its receptivity; if it does, each of its other units adopts at
``roll_out_rate_per_year`` on top of the contagion. A pilot is rolled out soon after it works or,
most often, not at all (the paper's traditional projects: 26% rolled out, in 45 days on average).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numba import njit

from sim.draws import BUFFER, Draws, take_uniforms
from sim.parameters import Scenario
from sim.scenario import ScenarioError

UNPLANNED_SPREAD = 0.05
"""Receptivity factor of units when nobody plans spread (assumption: the paper found spread beyond
participants rare where it was 'not a priority')."""
SPREAD_PLANNING_GAIN = 2.0
"""Receptivity added by fully planned spread (assumption: planning gives time, a spread plan and
training, Greenhalgh et al. 2004)."""
INTERNAL_COLLABORATIVE_GAIN = 1.0
"""Receptivity added inside an organisation running an internal collaborative (assumption)."""
INTERNAL_COLLABORATIVE_WEIGHT = 3.0
"""Weight of the tie from a team's unit to the other units of its organisation when an internal
collaborative brings them together (an ordinary tie weighs 1; assumption)."""
BETWEEN_ORGANISATIONS_WEIGHT = 1.0
"""Weight of a tie between two organisations' lead units, against 1 for two units of one
organisation (assumption)."""
METHOD_SPREAD_FACTOR = 0.5
"""QI methods spread at this share of the rate of a tested change: they need training, not only an
example (paper: spreading 'requires ... training about quality improvement techniques')."""
PRIOR_TIE_STRENGTH = 0.3
"""Strength of the tie between two teams whose organisations are already in contact (assumption)."""
WORKING_TIE_SHARE = 0.5
"""Share of the teams who meet at a session that go on to work together (assumption; the chance
of meeting follows the session's informal time and lecturing)."""
PEER_METHOD_TRANSFER = 0.02
"""Share of the capability gap to a more skilled tied team closed at each exchange (quality
method spread among teams; assumption)."""
PEER_SUPPORT_EFFECT = 2.0
"""How strongly a community of practice keeps a team using QI after the end: full peer support
(fully tied to every other team, all still using QI) divides the hazard of stopping by e^2, about
7 (assumption; paper, challenge 9: a network 'to continue after the collaborative ... was used
successfully in one Australian collaborative')."""
NEVER = -1.0
"""Month written to GraphML for a unit that never adopted or was never exposed."""


class NetworkFileError(ScenarioError):
    """A network file that cannot be used; the message names the file and the problem."""


# ---------------------------------------------------------------------------------------------
# the organisation graph
# ---------------------------------------------------------------------------------------------


def read_network_file(path: str | Path) -> nx.Graph:
    """An organisation graph from GraphML or an edge list (two node ids and an optional weight a line).

    Nodes may carry ``units`` (a whole number of units, at least 1) and ``participating`` (true for
    the organisations that send teams). Directed graphs are read as undirected; self-loops are
    dropped. Every problem is reported with the file's name and, for an edge list, the line.
    """
    path = Path(path)
    origin = f"network_file '{path}'"
    if not path.is_file():
        raise NetworkFileError(f"{origin}: no such file")
    if path.suffix.lower() in (".graphml", ".xml"):
        try:
            graph = nx.read_graphml(path)
        except (ElementTree.ParseError, nx.NetworkXError, KeyError, ValueError) as exc:
            raise NetworkFileError(f"{origin}: not a readable GraphML file ({' '.join(str(exc).split())})") from None
        graph = nx.Graph(graph)
    else:
        graph = _read_edge_list(path, origin)
    graph.remove_edges_from(list(nx.selfloop_edges(graph)))
    if graph.number_of_nodes() == 0:
        raise NetworkFileError(f"{origin}: the file holds no organisations (nodes)")
    for node, data in graph.nodes(data=True):
        if "units" not in data:
            continue
        units = data["units"]
        if isinstance(units, bool) or not isinstance(units, int | float) or units < 1 or units != int(units) \
                or units > 50:
            raise NetworkFileError(f"{origin}: node {node!r} has units = {units!r} (allowed: a whole number "
                                   f"from 1 to 50)")
        data["units"] = int(units)
    return graph


def _read_edge_list(path: Path, origin: str) -> nx.Graph:
    graph = nx.Graph()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NetworkFileError(f"{origin}: cannot read the file ({exc})") from None
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].replace(",", " ").strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) not in (2, 3):
            raise NetworkFileError(f"{origin}, line {number}: expected two organisation ids and an optional "
                                   f"weight, got {line.strip()!r}")
        weight = 1.0
        if len(parts) == 3:
            try:
                weight = float(parts[2])
            except ValueError:
                raise NetworkFileError(f"{origin}, line {number}: weight {parts[2]!r} is not a number") from None
            if not weight > 0:
                raise NetworkFileError(f"{origin}, line {number}: weight {parts[2]!r} must be positive")
        graph.add_edge(parts[0], parts[1], weight=weight)
    return graph


def _participating_nodes(graph: nx.Graph, nodes: list, teams: int, origin: str, rng: np.random.Generator) -> list:
    marked = [n for n in nodes if _truthy(graph.nodes[n].get("participating", False))]
    if marked:
        if len(marked) != teams:
            raise NetworkFileError(f"{origin}: {len(marked)} nodes are marked participating but the scenario "
                                   f"has teams = {teams}; mark exactly {teams} or none")
        return marked
    picks = rng.choice(len(nodes), size=teams, replace=False)
    return [nodes[i] for i in sorted(picks)]


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


@dataclass
class OrganisationGraph:
    """Organisations 0..n-1 and their contacts; the first ``teams`` organisations take part.

    Reordering puts the participating organisations first (in enrolment order) so that
    organisation i < teams is the home of team i.
    """

    graph: nx.Graph
    units: np.ndarray  # units per organisation
    labels: list[str]  # the node ids of a user's file, or generated numbers

    @property
    def size(self) -> int:
        return self.graph.number_of_nodes()


def organisation_graph(s: Scenario, rng: np.random.Generator) -> OrganisationGraph:
    """The scenario's organisation graph, generated or read from its file."""
    if s.network == "file":
        if not s.network_file:
            raise NetworkFileError("field 'network_file' = '': a file is required when network = file")
        raw = read_network_file(s.network_file)
        origin = f"network_file '{s.network_file}'"
        nodes = list(raw.nodes)
        if len(nodes) < s.teams:
            raise NetworkFileError(f"{origin}: {len(nodes)} organisations, fewer than teams = {s.teams}")
        participating = _participating_nodes(raw, nodes, s.teams, origin, rng)
        chosen = set(participating)
        order = participating + [n for n in nodes if n not in chosen]
        index = {n: i for i, n in enumerate(order)}
        graph = nx.Graph()
        graph.add_nodes_from(range(len(order)))
        graph.add_weighted_edges_from((index[a], index[b], float(d.get("weight", 1.0)))
                                      for a, b, d in raw.edges(data=True))
        units = np.array([raw.nodes[n].get("units", s.units_per_organisation) for n in order], dtype=np.int64)
        return OrganisationGraph(graph, units, [str(n) for n in order])

    n = s.teams + s.other_organisations
    seed = int(rng.integers(2**31))
    k = min(s.network_degree, n - 1)
    if s.network == "none" or k < 1:
        graph = nx.empty_graph(n)
    elif s.network == "small_world":
        graph = nx.connected_watts_strogatz_graph(n, max(2, k), s.network_rewiring, tries=200, seed=seed) \
            if n > 2 else nx.complete_graph(n)
    else:  # scale_free
        graph = nx.barabasi_albert_graph(n, max(1, min(k // 2 or 1, n - 1)), seed=seed) if n > 1 else nx.empty_graph(n)
    # Participants sit anywhere in the region: a random relabelling puts them first.
    perm = rng.permutation(n)
    graph = nx.relabel_nodes(graph, {int(old): i for i, old in enumerate(perm)})
    nx.set_edge_attributes(graph, 1.0, "weight")
    return OrganisationGraph(graph, np.full(n, s.units_per_organisation, dtype=np.int64),
                             [str(i + 1) for i in range(n)])


# ---------------------------------------------------------------------------------------------
# units and spread beyond the participants
# ---------------------------------------------------------------------------------------------


@dataclass
class UnitNetwork:
    """Every unit of every organisation, its ties, and who adopted what when.

    Unit 0 of organisation i (``lead[i]``) is the organisation's contact with others; for a
    participating organisation it is the unit that sends the team.
    """

    org: np.ndarray  # organisation index of each unit
    lead: np.ndarray  # first unit of each organisation
    participant: np.ndarray  # bool: the unit sends a team
    team_of_unit: np.ndarray  # team index (0-based) of a participating unit, -1 otherwise
    ties: sp.csr_matrix  # symmetric weights between units
    degree: np.ndarray  # weighted degree of each unit
    adopted_month: np.ndarray = field(init=False)
    exposed_month: np.ndarray = field(init=False)
    method_month: np.ndarray = field(init=False)
    origin: np.ndarray = field(init=False)  # team index through which a unit was reached, -1 if none

    def __post_init__(self) -> None:
        n = len(self.org)
        self.adopted_month = np.full(n, np.nan)
        self.exposed_month = np.full(n, np.nan)
        self.method_month = np.full(n, np.nan)
        self.origin = np.where(self.participant, self.team_of_unit, -1)
        # 1 / weighted degree (0 for a unit without contacts), for the exposure shares
        self.per_degree = np.divide(1.0, self.degree, out=np.zeros_like(self.degree), where=self.degree > 0)

    @property
    def size(self) -> int:
        return len(self.org)

    @classmethod
    def build(cls, graph: OrganisationGraph, teams: int, internal_collaborative: bool) -> UnitNetwork:
        """Units of each organisation tied to one another; organisations tied through their lead units."""
        counts = graph.units
        org = np.repeat(np.arange(len(counts)), counts)
        lead = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        participant = np.zeros(len(org), dtype=bool)
        participant[lead[:teams]] = True
        team_of_unit = np.full(len(org), -1, dtype=np.int64)
        team_of_unit[lead[:teams]] = np.arange(teams)

        within = _complete_blocks(lead, counts)
        if internal_collaborative and teams:
            # The internal collaborative brings the team's unit and the other units together.
            rows, cols = [], []
            for i in range(teams):
                others = np.arange(lead[i] + 1, lead[i] + counts[i])
                rows.extend([lead[i]] * len(others) + list(others))
                cols.extend(list(others) + [lead[i]] * len(others))
            extra = sp.csr_matrix((np.full(len(rows), INTERNAL_COLLABORATIVE_WEIGHT - 1.0), (rows, cols)),
                                  shape=within.shape)
            within = within + extra
        edges = np.array([(a, b, d.get("weight", 1.0)) for a, b, d in graph.graph.edges(data=True)],
                         dtype=float).reshape(-1, 3)
        a, b = lead[edges[:, 0].astype(np.int64)], lead[edges[:, 1].astype(np.int64)]
        w = edges[:, 2] * BETWEEN_ORGANISATIONS_WEIGHT
        between = sp.csr_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                                shape=within.shape)
        ties = (within + between).tocsr()
        ties.sum_duplicates()
        degree = np.asarray(ties.sum(axis=1)).ravel()
        return cls(org, lead, participant, team_of_unit, ties, degree)


def _complete_blocks(starts: np.ndarray, counts: np.ndarray) -> sp.csr_matrix:
    """Ties of weight 1 between every two units of one organisation, built without a per-node loop."""
    rows, cols = [], []
    for k in np.unique(counts):
        if k < 2:
            continue
        i, j = np.nonzero(~np.eye(k, dtype=bool))
        s = starts[counts == k][:, None]
        rows.append((s + i).ravel())
        cols.append((s + j).ravel())
    n = int(counts.sum())
    if not rows:
        return sp.csr_matrix((n, n))
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, n))


# ---------------------------------------------------------------------------------------------
# ties between teams
# ---------------------------------------------------------------------------------------------


class TeamTies:
    """Working ties between the collaborative's teams: a symmetric strength matrix (0 = no tie).

    Ties form at learning sessions when teams meet -- more with less lecturing and more informal
    time (paper, challenge 5: 'much know-how is transferred' informally) -- and when their
    organisations are already in contact. Tied teams exchange at sessions and, less often, between
    them. After the end ties fade unless a community of practice is planned (challenge 9).
    """

    def __init__(self, teams: int, organisation_graph: nx.Graph) -> None:
        self.strength = np.zeros((teams, teams))
        for a, b in organisation_graph.edges():
            if a < teams and b < teams:
                self.strength[a, b] = self.strength[b, a] = PRIOR_TIE_STRENGTH

    @staticmethod
    def formation_chance(s: Scenario) -> float:
        """Chance that two teams at a session start working together: they meet (more so with informal
        time and less lecturing) and the meeting becomes a working tie."""
        meet = min(1.0, 0.1 + 1.5 * s.informal_time_share + 0.5 * (1 - s.didactic_share))
        return s.tie_formation * WORKING_TIE_SHARE * meet

    @staticmethod
    def kept_per_month(s: Scenario) -> float:
        """Share of a tie's strength left after a month of fading after the end: ties fade, less so when
        a community of practice is planned (:func:`fade_and_support`)."""
        return math.exp(-s.tie_decay_per_year * (1 - s.post_collaborative_network) / 12.0)

    def pairs(self) -> list[tuple[int, int, float]]:
        """Tied pairs and their strength."""
        i, j = np.nonzero(np.triu(self.strength, k=1))
        return [(int(a), int(b), float(self.strength[a, b])) for a, b in zip(i, j, strict=True)]


@njit(cache=True)
def fade_and_support(strength, kept, using_qi, peer_support):  # pragma: no cover - compiled
    """A month after the end: ties keep a share ``kept`` of their strength, and each team's support
    from tied teams still using QI (0-1; the community of practice) is the mean over the other teams
    of tie strength times whether they still use QI."""
    n = strength.shape[0]
    for a in range(n):
        support = 0.0
        for b in range(n):
            strength[a, b] *= kept
            if using_qi[b]:
                support += strength[a, b]
        peer_support[a] = support / max(1, n - 1)


# ---------------------------------------------------------------------------------------------
# the spread process
# ---------------------------------------------------------------------------------------------


CHANGES_AT_WORK = 0.5
"""A team's changes work in its own unit, and so can spread, while its changes weighted by how fully
each is practised add up to at least this (half a change; assumption)."""
TOTALS = ("spread_units", "method_spread_units", "exposed_units", "spread_organisations")
"""Running counts of spread beyond the participants (``Spread.totals``)."""
CURVE = (*TOTALS, "participating_units_adopted")
"""Columns of the adoption curve (``Spread.curve``, one row per month): the running counts, and the
participating units whose team's changes work there."""


class Spread:
    """Units beyond the participants taking up the collaborative's changes and its QI methods.

    State lives in numpy arrays indexed by unit, ties in a sparse matrix; one month is a compiled pass
    over the units (:func:`spread_month`, inside the month end's pass), so a national network of tens
    of thousands of units costs milliseconds a month. The spread draws from its own stream (``draws``),
    so that designs compared on one seed share their network's chances.
    """

    def __init__(self, units: UnitNetwork, culture: np.ndarray, teams: int, s: Scenario,
                 rng: np.random.Generator, months: int) -> None:
        self.units = units
        self.culture = culture
        self.teams = teams
        planning = UNPLANNED_SPREAD + SPREAD_PLANNING_GAIN * s.spread_planning
        self.amplifier = np.full(units.size, planning)
        if s.internal_collaborative:
            self.amplifier[units.org < teams] += INTERNAL_COLLABORATIVE_GAIN
        self.curve = np.zeros((months + 1, len(CURVE)), dtype=np.int64)  # row m: month m (0: enrolment)
        self.months_recorded = 0  # rows of the curve written so far (after month 0)
        n_orgs = int(units.org.max()) + 1 if units.size else 0
        self.roll_out_month = np.full(n_orgs, np.nan)  # month the organisation decided (NaN: not yet)
        self.rolls_out = np.zeros(n_orgs, dtype=bool)
        # Running state, kept as units adopt so that a month need not recount it.
        self.targets = ~units.participant  # units that can adopt by spread
        self.adopted = np.zeros(units.size, dtype=bool)
        self.exposed = np.zeros(units.size, dtype=bool)
        self.has_method = np.zeros(units.size, dtype=bool)
        self.reached_by_team = np.zeros(teams, dtype=np.int64)  # units beyond the participants, per team
        self.organisation_reached = np.zeros(n_orgs, dtype=bool)  # non-participating, with an adopter
        self.totals = np.zeros(len(TOTALS), dtype=np.int64)  # the counts of TOTALS so far
        self.draws_per_month = n_orgs + 2 * units.size
        self.draws = Draws(rng, uniforms=max(BUFFER, self.draws_per_month), normals=0)
        u = units
        self.arguments = (
            self.culture, self.amplifier, u.org, u.lead, u.ties.indptr, u.ties.indices, u.ties.data, u.per_degree,
            self.targets, u.origin, u.adopted_month, u.exposed_month, u.method_month, self.adopted, self.exposed,
            self.has_method, self.roll_out_month, self.rolls_out, self.reached_by_team, self.organisation_reached,
            self.totals, self.curve, teams, s.spread_innovation_per_year, s.spread_imitation_per_year,
            s.roll_out_chance, math.exp(-s.roll_out_rate_per_year / 12.0), METHOD_SPREAD_FACTOR, CHANGES_AT_WORK)
        """What :func:`spread_month` reads and moves after the teams' values and the draws: the units and
        their ties, the running state and the rates."""

    def units_reached_by_team(self) -> np.ndarray:
        """Units beyond the participants reached through each team (directly or along a chain)."""
        return self.reached_by_team.copy()

    def first_roll_out_month(self) -> np.ndarray:
        """For each team, the first month another unit of its organisation adopted in the organisation's
        roll-out (NaN when the organisation did not decide to roll the change out, or no unit adopted).

        Units that copy a change informally in an organisation that decided against rolling it out
        count as spread, not as a roll-out effort (the paper's traditional projects report the latter).
        """
        u = self.units
        out = np.full(self.teams, np.nan)
        inside = (u.org < self.teams) & ~u.participant & ~np.isnan(u.adopted_month)
        for org in np.unique(u.org[inside]):
            if self.rolls_out[org]:
                out[org] = np.nanmin(u.adopted_month[inside & (u.org == org)])
        return out

    def adoption_curve(self) -> pd.DataFrame:
        """Cumulative adoption beyond the participants, one row per month recorded (month 0 = enrolment)."""
        frame = pd.DataFrame(self.curve[: self.months_recorded + 1], columns=CURVE)
        frame.insert(0, "month", np.arange(len(frame)))
        return frame


@njit(cache=True)
def spread_month(month, team_in_use, engaged, capability, improvement, support, uniforms, normals, cursor, culture,
                 amplifier, org, lead, indptr, indices, weights, per_degree, targets, origin, adopted_month,
                 exposed_month, method_month, adopted, exposed, has_method, roll_out_month, rolls_out,
                 reached_by_team, organisation_reached, totals, curve, teams, innovation, imitation, roll_out_chance,
                 roll_out_keep, method_factor, changes_at_work):  # pragma: no cover - compiled
    """One month of spread over every unit (compiled: a national network has tens of thousands of
    units), from ``Spread.arguments`` after the teams' values and the draws; records the month's row
    of the adoption curve. Returns the improvement reached through the teams (before
    ``spread_effect_share``) and how many teams showed QI methods. Reads one draw per organisation,
    then two per unit, from the spread's own draws.

    Team i's changes work in its own unit when ``team_in_use[i]`` (its changes weighted by use)
    is at least ``changes_at_work``; it shows others QI methods with its ``capability`` while
    ``engaged`` (working on QI); ``improvement`` is each team's improvement in the measure's
    units and ``support`` each organisation's current management support.

    Organisations in which a change now works for the first time decide, once, whether to
    roll it out (``roll_out_chance`` times the lead unit's receptivity). Every unit beyond the
    participants with a contact that uses a change is exposed, and adopts with the Bass
    hazard of its share of such contacts, scaled by its receptivity; in an organisation rolling
    the change out, faster (``roll_out_rate_per_year``). A new adopter is reached through the
    team of its heaviest adopting contact. QI methods spread alike, at ``METHOD_SPREAD_FACTOR``.
    """
    draws = take_uniforms(uniforms, cursor, rolls_out.shape[0] + 2 * org.shape[0])
    units = org.shape[0]
    organisations = rolls_out.shape[0]
    receptivity = (0.5 + culture) * (0.5 + support[org]) * amplifier
    sources = np.zeros(units)
    method = np.zeros(units)
    for j in range(units):
        if adopted[j]:
            sources[j] = 1.0
        if has_method[j]:
            method[j] = 1.0
    working = 0
    adopted_here = 0
    for i in range(teams):
        sources[lead[i]] = 1.0 if team_in_use[i] >= changes_at_work else 0.0
        adopted_here += team_in_use[i] >= changes_at_work
        method[lead[i]] = capability[i] if engaged[i] else 0.0
        working += method[lead[i]] > 0.0
    # organisations where a change now works decide, once, whether to roll it out
    working_here = np.zeros(organisations, dtype=np.bool_)
    for j in range(units):
        if sources[j] > 0.0:
            working_here[org[j]] = True
    for o in range(organisations):
        if working_here[o] and np.isnan(roll_out_month[o]):
            roll_out_month[o] = month
            rolls_out[o] = draws[o] < min(1.0, roll_out_chance * receptivity[lead[o]])
    # exposure and adoption of changes, then of QI methods (both from last month's adopters)
    new = np.zeros(units, dtype=np.bool_)
    for j in range(units):
        if not targets[j]:
            continue
        share = 0.0
        method_share = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            share += weights[k] * sources[indices[k]]
            method_share += weights[k] * method[indices[k]]
        share *= per_degree[j]
        method_share *= per_degree[j]
        if share > 0.0:
            if not exposed[j]:
                exposed[j] = True
                exposed_month[j] = month
                totals[2] += 1
            if not adopted[j]:
                p = -math.expm1(-(innovation + imitation * share) * receptivity[j] / 12.0)
                if rolls_out[org[j]]:
                    p = 1.0 - (1.0 - p) * roll_out_keep
                new[j] = draws[organisations + j] < p
        if method_share > 0.0 and not has_method[j]:
            p = -math.expm1(-method_factor * (innovation + imitation * method_share) * receptivity[j] / 12.0)
            if draws[organisations + units + j] < p:
                has_method[j] = True
                method_month[j] = month
                totals[1] += 1
    for j in range(units):
        if new[j]:
            # reached through the team of its heaviest source contact
            best = -1.0
            for k in range(indptr[j], indptr[j + 1]):
                if weights[k] * sources[indices[k]] > best:
                    best = weights[k] * sources[indices[k]]
                    origin[j] = origin[indices[k]]
            adopted[j] = True
            adopted_month[j] = month
            totals[0] += 1
            if origin[j] >= 0:
                reached_by_team[origin[j]] += 1
            if org[j] >= teams and not organisation_reached[org[j]]:
                organisation_reached[org[j]] = True
                totals[3] += 1
    reached_improvement = 0.0
    for i in range(teams):
        reached_improvement += reached_by_team[i] * max(improvement[i], 0.0)
    curve[month, : totals.shape[0]] = totals
    curve[month, totals.shape[0]] = adopted_here
    return reached_improvement, working


def unit_graph(units: UnitNetwork, org_labels: list[str], team_ids: list[int],
               team_ties: TeamTies | None = None) -> nx.Graph:
    """All units as a networkx graph with adoption months as node attributes (-1 = never), for GraphML.

    Node attributes: organisation (the organisation's id), unit (its number within the
    organisation, 0 = the lead unit), participating, team_id (0 if none), exposed_month,
    adopted_month, method_month, reached_through_team (team_id or 0). Edge attributes: weight (the
    tie weight between units) and team_tie (strength of the tie between two participating teams at
    the end, 0 if none).
    """
    g = nx.Graph()
    first = units.lead[units.org]
    for j in range(units.size):
        team = int(units.team_of_unit[j])
        origin = int(units.origin[j])
        g.add_node(f"u{j}", organisation=org_labels[int(units.org[j])], unit=int(j - first[j]),
                   participating=bool(units.participant[j]), team_id=team_ids[team] if team >= 0 else 0,
                   exposed_month=_month(units.exposed_month[j]), adopted_month=_month(units.adopted_month[j]),
                   method_month=_month(units.method_month[j]),
                   reached_through_team=team_ids[origin] if origin >= 0 and not units.participant[j] else 0)
    coo = sp.triu(units.ties, k=1).tocoo()
    g.add_edges_from((f"u{a}", f"u{b}", {"weight": float(w), "team_tie": 0.0})
                     for a, b, w in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    if team_ties is not None:
        for a, b, strength in team_ties.pairs():
            ua, ub = f"u{units.lead[a]}", f"u{units.lead[b]}"
            if g.has_edge(ua, ub):
                g.edges[ua, ub]["team_tie"] = strength
            else:
                g.add_edge(ua, ub, weight=0.0, team_tie=strength)
    return g


def _month(value: float) -> float:
    return NEVER if math.isnan(value) else float(value)
