"""The networks that carry spread (paper, challenge 10): organisations and their units.

Two layers, each kept in the form that is cheap for what it does (the ties between the
collaborative's teams are :mod:`sim.modules.peer_exchange`'s, and what spreads along the units is
:mod:`sim.modules.spread`'s):

- the **organisation graph**: which organisations are in regular contact -- a generated regional
  small world (Watts & Strogatz 1998) or scale-free graph (Barabási & Albert 1999), or a user's own
  referral or regional network read from GraphML or an edge list -- kept as arrays of its edges
  (a networkx graph of it is made when asked for, :attr:`OrganisationGraph.graph`);
- the **units** of every organisation (numpy arrays indexed by unit, ties as a scipy.sparse matrix):
  one unit of each participating organisation sends the team; every other unit, in participating
  organisations and beyond them, is a spread target.

Both are built without a Python loop over units or ties (whole-array operations, and one compiled pass
that writes the units' ties in place), so that a health system of a million units (100,000
organisations, 4.8 million ties) builds in about a second (benchmarks/bench_scale.py).
"""

from __future__ import annotations

import math
import os
import random
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.sparse.csgraph import connected_components

from qicsim.sim import _cache  # noqa: F401 -- keys numba's cache to the model's source before a kernel is compiled
from qicsim.sim.scenario import ScenarioError

if TYPE_CHECKING:
    from qicsim.sim.modules.peer_exchange import TeamTies
    from qicsim.sim.parameters import Scenario

MAX_UNITS_PER_ORGANISATION = 50
"""Most units a network file may give one organisation (as ``units_per_organisation`` allows)."""


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
                or units > MAX_UNITS_PER_ORGANISATION:
            raise NetworkFileError(f"{origin}: node {node!r} has units = {units!r} (allowed: a whole number "
                                   f"from 1 to {MAX_UNITS_PER_ORGANISATION})")
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
    organisation i < teams is the home of team i. The contacts are kept as arrays (``edges``: one
    row per tie, the two organisations; ``weights``: its weight); :attr:`graph` is the same as a
    networkx graph, made on first use.
    """

    edges: np.ndarray  # (ties, 2) organisation indices, each tie once
    weights: np.ndarray  # weight of each tie
    units: np.ndarray  # units per organisation
    labels: list[str]  # the node ids of a user's file, or generated numbers
    _graph: nx.Graph | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.units)

    @property
    def graph(self) -> nx.Graph:
        """The organisations (nodes 0..n-1) and their ties (edge attribute ``weight``) as a networkx graph."""
        if self._graph is None:
            graph = nx.Graph()
            graph.add_nodes_from(range(self.size))
            graph.add_weighted_edges_from(zip(self.edges[:, 0].tolist(), self.edges[:, 1].tolist(),
                                              self.weights.tolist(), strict=True))
            self._graph = graph
        return self._graph


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
        ties = list(raw.edges(data=True))
        edges = np.array([(index[a], index[b]) for a, b, _ in ties], dtype=np.int64).reshape(-1, 2)
        weights = np.array([_weight(d.get("weight", 1.0), a, b, origin) for a, b, d in ties], dtype=float)
        units = np.array([raw.nodes[n].get("units", s.units_per_organisation) for n in order], dtype=np.int64)
        return OrganisationGraph(edges, weights, units, [str(n) for n in order])

    n = s.teams + s.other_organisations
    seed = int(rng.integers(2**31))
    k = min(s.network_degree, n - 1)
    if s.network == "none" or k < 1:
        edges = np.empty((0, 2), dtype=np.int64)
    elif s.network == "small_world":
        edges = connected_watts_strogatz(n, max(2, k), s.network_rewiring, tries=200, seed=seed) if n > 2 \
            else _edges_of(nx.complete_graph(n))
    else:  # scale_free
        edges = _edges_of(nx.barabasi_albert_graph(n, max(1, min(k // 2 or 1, n - 1)), seed=seed)) if n > 1 \
            else np.empty((0, 2), dtype=np.int64)
    # Participants sit anywhere in the region: a random relabelling (organisation perm[i] becomes i)
    # puts them first.
    perm = rng.permutation(n)
    new_label = np.empty(n, dtype=np.int64)
    new_label[perm] = np.arange(n)
    units = np.full(n, s.units_per_organisation, dtype=np.int64)
    return OrganisationGraph(new_label[edges], np.ones(len(edges)), units, [str(i + 1) for i in range(n)])


def _edges_of(graph: nx.Graph) -> np.ndarray:
    return np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)


def _weight(value: Any, a: Any, b: Any, origin: str) -> float:
    """A tie's weight from a network file: a positive, finite number."""
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = math.nan
    if not (weight > 0 and math.isfinite(weight)):
        raise NetworkFileError(f"{origin}: the tie between {a!r} and {b!r} has weight {value!r} (allowed: a positive, "
                               "finite number)")
    return weight


def connected_watts_strogatz(n: int, k: int, p: float, tries: int, seed: int) -> np.ndarray:
    """The ties of ``networkx.connected_watts_strogatz_graph(n, k, p, tries, seed)``, the same ties drawn with the
    same random numbers (networkx 3's algorithm: a ring in which each node is tied to its ``k // 2`` nearest
    neighbours on each side; each tie (u, u + j) in turn, j outer and u inner, is replaced with probability
    ``p`` by a tie from u to a node chosen at random, neither u nor one of its neighbours; again until the graph
    is connected) -- on a set of neighbours per node, ten times faster than networkx's graph and without its
    memory. Returns one row per tie: the node that kept the tie and the other end."""
    draws = random.Random(seed)
    for _ in range(tries):
        edges = _watts_strogatz(n, k, p, draws)
        graph = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        if connected_components(graph, directed=False, return_labels=False) == 1:
            return edges
    raise nx.NetworkXError("Maximum number of tries exceeded")


def _watts_strogatz(n: int, k: int, p: float, draws: random.Random) -> np.ndarray:
    """One draw of ``networkx.watts_strogatz_graph(n, k, p, draws)`` (k < n): its ties, one row each."""
    half = k // 2
    nodes = list(range(n))
    ring = np.arange(n)
    ahead = [((ring + j) % n).tolist() for j in range(1, half + 1)]  # ahead[j - 1][u]: the tie (u, u + j)
    behind = [((ring - j) % n).tolist() for j in range(1, half + 1)]
    neighbours = [set(around) for around in zip(*ahead, *behind, strict=True)]
    uniform, choice = draws.random, draws.choice
    for targets in ahead:
        for u in nodes:
            if uniform() < p:
                w = choice(nodes)
                while w == u or w in neighbours[u]:
                    w = choice(nodes)
                    if len(neighbours[u]) >= n - 1:
                        break  # skip this rewiring
                else:
                    v = targets[u]
                    neighbours[u].remove(v)
                    neighbours[v].remove(u)
                    neighbours[u].add(w)
                    neighbours[w].add(u)
                    targets[u] = w
    return np.column_stack([np.tile(ring, half), np.array(ahead, dtype=np.int64).ravel()]).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# units and spread beyond the participants
# ---------------------------------------------------------------------------------------------


@dataclass
class UnitNetwork:
    """Every unit of every organisation and its ties.

    Unit 0 of organisation i (``lead[i]``) is the organisation's contact with others; for a
    participating organisation it is the unit that sends the team.
    """

    org: np.ndarray  # organisation index of each unit
    lead: np.ndarray  # first unit of each organisation
    participant: np.ndarray  # bool: the unit sends a team
    team_of_unit: np.ndarray  # team index (0-based) of a participating unit, -1 otherwise
    ties: sp.csr_matrix  # symmetric weights between units
    degree: np.ndarray  # weighted degree of each unit

    @property
    def size(self) -> int:
        return len(self.org)

    @classmethod
    def build(cls, graph: OrganisationGraph, teams: int, p: Scenario) -> UnitNetwork:
        """Units of each organisation tied to one another; organisations tied through their lead units
        (``between_organisations_weight``); an internal collaborative ties a team's unit more strongly
        to its organisation's other units (``internal_collaborative_weight``). A tie of weight 0 is no tie."""
        counts = graph.units
        check_memory(counts)
        org = np.repeat(np.arange(len(counts)), counts)
        lead = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        participant = np.zeros(len(org), dtype=bool)
        participant[lead[:teams]] = True
        team_of_unit = np.full(len(org), -1, dtype=np.int64)
        team_of_unit[lead[:teams]] = np.arange(teams)

        # Organisations are tied through their lead units: the organisation graph's ties as a CSR matrix over
        # organisations (columns sorted), each tie both ways, weighted; a tie of weight 0 is none.
        w = graph.weights * p.between_organisations_weight
        keep = w != 0
        a, b, w = graph.edges[keep, 0], graph.edges[keep, 1], w[keep]
        between = sp.csr_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                                shape=(len(counts), len(counts)))
        row_lengths = np.maximum(counts - 1, 0)[org]
        row_lengths[lead] += np.diff(between.indptr)
        indptr = np.zeros(len(org) + 1, dtype=np.int64)
        np.cumsum(row_lengths, out=indptr[1:])
        index = np.int32 if max(len(org), int(indptr[-1])) < np.iinfo(np.int32).max else np.int64
        indices, data = np.empty(int(indptr[-1]), dtype=index), np.empty(int(indptr[-1]))
        # An internal collaborative ties a team's unit and its organisation's other units more strongly:
        # 1 + (weight - 1), an extra tie on top of the ordinary one.
        inside = 1.0 + (p.internal_collaborative_weight - 1.0) if p.internal_collaborative else 1.0
        fill_ties(counts, lead, (between.indptr, between.indices, between.data), teams, inside, indices, data)
        ties = sp.csr_matrix((data, indices, indptr.astype(index)), shape=(len(org), len(org)))
        degree = np.asarray(ties.sum(axis=1)).ravel()
        return cls(org, lead, participant, team_of_unit, ties, degree)


BYTES_PER_TIE = 20
"""Peak memory per tie within an organisation, its build and a run included (measured: national with 4,000
organisations of 10, 30 and 50 units -- 0.4, 3.5 and 9.8 million ties -- peaks 22, 71 and 156 MB above the process
before it, 16 B a tie at the largest: the CSR matrix's 4-byte column and 8-byte weight, and each unit's share).
Building the ties as a sum of sparse matrices took 58 B a tie."""
BYTES_PER_UNIT = 1_000
"""Memory per unit for its states, ties between organisations and what the spread module keeps (generous)."""
MEMORY_SHARE = 0.5
"""Largest share of the machine's available memory one run's network may take."""


def available_memory() -> int | None:
    """Bytes of memory available to a new process now (Linux: MemAvailable), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(counts: np.ndarray) -> None:
    """Refuse, before building it, a network of units whose ties within organisations (every unit tied to every
    other unit of its organisation: k(k-1) per organisation of k units) would not fit in memory."""
    ties = int((counts.astype(np.int64) * (counts.astype(np.int64) - 1)).sum())
    units = int(counts.sum())
    need = ties * BYTES_PER_TIE + units * BYTES_PER_UNIT
    have = available_memory()
    if have is not None and need > MEMORY_SHARE * have:
        raise ScenarioError(
            f"the network of {units:,} units in {len(counts):,} organisations has {ties:,} ties within "
            f"organisations and needs about {need / 1e9:.1f} GB to build; this machine has {have / 1e9:.1f} GB "
            f"available (allowed: at most {MEMORY_SHARE:.0%} of it; fewer other_organisations or "
            "units_per_organisation)")


@njit(cache=True)
def fill_ties(counts, lead, between, teams, inside, indices, data):  # pragma: no cover - compiled
    """The units' ties written into a CSR matrix's ``indices`` and ``data``, row after row, each row's columns in
    order: every unit is tied (weight 1) to the other units of its organisation (``counts[o]`` units from
    ``lead[o]``); a lead unit also to the lead units of the organisations its organisation is tied to
    (``between``: the organisation graph as a CSR matrix's indptr, indices and weights, columns sorted), those of
    earlier organisations before its own organisation's units, those of later ones after; in the first ``teams``
    organisations the ties of the lead unit weigh ``inside``. One pass, no copy of the ties."""
    between_indptr, between_indices, between_weights = between
    place = 0
    for o in range(len(counts)):
        first, last = lead[o], lead[o] + counts[o]
        for j in range(first, last):
            if j == first:
                for k in range(between_indptr[o], between_indptr[o + 1]):
                    if between_indices[k] < o:
                        indices[place], data[place] = lead[between_indices[k]], between_weights[k]
                        place += 1
            for other in range(first, last):
                if other != j:
                    indices[place] = other
                    data[place] = inside if o < teams and (j == first or other == first) else 1.0
                    place += 1
            if j == first:
                for k in range(between_indptr[o], between_indptr[o + 1]):
                    if between_indices[k] > o:
                        indices[place], data[place] = lead[between_indices[k]], between_weights[k]
                        place += 1


GRAPHML_DESCRIPTION = (
    "One node per unit (node id u<number>). Node attributes: organisation (integer, the organisation_id of "
    "team_outcomes.csv: the participating organisations are 1..teams in enrolment order, the others follow), "
    "organisation_label (the organisation's node id in the scenario's network_file; only for a network read from a "
    "file), unit (number within the organisation, 0 = the lead unit, which sends the team), participating (boolean), "
    "team_id (integer, the team_id of team_outcomes.csv and teams.parquet; absent for a unit without a team), "
    "exposed_month, adopted_month, method_month (month since enrolment when the unit was first exposed, adopted the "
    "change, took up QI methods; absent = never), reached_through_team (team_id of the team through which a "
    "non-participating unit was reached; absent = none). Edge attributes: weight (tie weight between the two units; "
    "0 for a tie between teams only), team_tie (strength of the tie between two participating teams at the end; "
    "absent = no such tie). A missing value is a missing attribute, never a code such as -1."
)
"""What a network of units written as GraphML holds (its graph-level ``description``)."""


def unit_graph(units: UnitNetwork, adoption: Any, org_labels: list[str], team_ids: list[int],
               team_ties: TeamTies | None = None) -> nx.Graph:
    """All units as a networkx graph with their organisation, team and adoption months as node attributes,
    for GraphML (:data:`GRAPHML_DESCRIPTION` says what each attribute holds).

    ``adoption``: the units' states (:mod:`sim.modules.spread`); ``org_labels``: the organisations' names in
    order (:attr:`OrganisationGraph.labels`); ``team_ids``: the id of each team (``Team.team_id``).
    Organisation ids are ``Organisation.organisation_id`` (index + 1), as in the team tables; a label is
    written as ``organisation_label`` only when the labels are not those numbers (a user's network file).
    A value that does not exist (never adopted, no team, no tie between teams) is left out, not coded.
    """
    g = nx.Graph(description=GRAPHML_DESCRIPTION)
    first = units.lead[units.org]
    labelled = list(org_labels) != [str(i + 1) for i in range(len(org_labels))]
    for j in range(units.size):
        org = int(units.org[j])
        team = int(units.team_of_unit[j])
        origin = int(adoption.origin[j])
        data: dict[str, Any] = {"organisation": org + 1}
        if labelled:
            data["organisation_label"] = str(org_labels[org])
        data.update(unit=int(j - first[j]), participating=bool(units.participant[j]))
        if team >= 0:
            data["team_id"] = int(team_ids[team])
        for name in ("exposed_month", "adopted_month", "method_month"):
            month = float(getattr(adoption, name)[j])
            if not math.isnan(month):
                data[name] = month
        if origin >= 0 and not units.participant[j]:
            data["reached_through_team"] = int(team_ids[origin])
        g.add_node(f"u{j}", **data)
    coo = sp.triu(units.ties, k=1).tocoo()
    g.add_edges_from((f"u{a}", f"u{b}", {"weight": float(w)})
                     for a, b, w in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    if team_ties is not None:
        for a, b, strength in team_ties.pairs():
            ua, ub = f"u{units.lead[a]}", f"u{units.lead[b]}"
            if g.has_edge(ua, ub):
                g.edges[ua, ub]["team_tie"] = float(strength)
            else:
                g.add_edge(ua, ub, weight=0.0, team_tie=float(strength))
    return g
