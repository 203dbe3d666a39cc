"""The networks that carry spread (paper, challenge 10): organisations and their units.

Two layers, each kept in the form that is cheap for what it does (the ties between the
collaborative's teams are :mod:`sim.modules.peer_exchange`'s, and what spreads along the units is
:mod:`sim.modules.spread`'s):

- the **organisation graph** (networkx): which organisations are in regular contact -- a generated
  regional small world (Watts & Strogatz 1998) or scale-free graph (Barabási & Albert 1999), or a
  user's own referral or regional network read from GraphML or an edge list;
- the **units** of every organisation (numpy arrays indexed by unit, ties as a scipy.sparse matrix):
  one unit of each participating organisation sends the team; every other unit, in participating
  organisations and beyond them, is a spread target.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

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
        to its organisation's other units (``internal_collaborative_weight``)."""
        counts = graph.units
        check_memory(counts)
        org = np.repeat(np.arange(len(counts)), counts)
        lead = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        participant = np.zeros(len(org), dtype=bool)
        participant[lead[:teams]] = True
        team_of_unit = np.full(len(org), -1, dtype=np.int64)
        team_of_unit[lead[:teams]] = np.arange(teams)

        within = _complete_blocks(lead, counts)
        if p.internal_collaborative and teams:
            # The internal collaborative brings the team's unit and the other units together.
            rows, cols = [], []
            for i in range(teams):
                others = np.arange(lead[i] + 1, lead[i] + counts[i])
                rows.extend([lead[i]] * len(others) + list(others))
                cols.extend(list(others) + [lead[i]] * len(others))
            extra = sp.csr_matrix((np.full(len(rows), p.internal_collaborative_weight - 1.0), (rows, cols)),
                                  shape=within.shape)
            within = within + extra
        edges = np.array([(a, b, d.get("weight", 1.0)) for a, b, d in graph.graph.edges(data=True)],
                         dtype=float).reshape(-1, 3)
        a, b = lead[edges[:, 0].astype(np.int64)], lead[edges[:, 1].astype(np.int64)]
        w = edges[:, 2] * p.between_organisations_weight
        between = sp.csr_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                                shape=within.shape)
        ties = (within + between).tocsr()
        ties.sum_duplicates()
        degree = np.asarray(ties.sum(axis=1)).ravel()
        return cls(org, lead, participant, team_of_unit, ties, degree)


BYTES_PER_TIE = 70
"""Peak memory per tie within an organisation while the network is built (measured: 4,000 organisations of
10, 30 and 50 units -- 0.4, 3.5 and 9.9 million ties -- peak at 277, 429 and 804 MB)."""
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
