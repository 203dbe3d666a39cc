"""The network at national scale: built without networkx or Python loops over units, and the same as before.

The organisation graph is networkx's small world drawn tie for tie; the units' ties are the matrix the sum of
sparse matrices gave (:func:`reference_ties`); the spread kernel's shares are the sums over each unit's row;
each compiled kernel gives what its plain-Python twin gives.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from qicsim import sim
from qicsim.sim.module import stream
from qicsim.sim.modules.spread import shares
from qicsim.sim.network import (
    NetworkFileError,
    OrganisationGraph,
    UnitNetwork,
    connected_watts_strogatz,
    fill_ties,
    organisation_graph,
)


def edge_set(edges) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a, b in np.asarray(edges).tolist()}


@pytest.mark.parametrize(("n", "k", "p"), [(3, 2, 0.1), (4, 2, 1.0), (5, 4, 0.5), (6, 5, 1.0), (30, 4, 0.1),
                                           (200, 6, 0.3), (101, 2, 0.0), (12, 10, 0.9)])
def test_the_small_world_is_networkx_s_tie_for_tie(n, k, p):
    for seed in range(5):
        ours = connected_watts_strogatz(n, k, p, tries=200, seed=seed)
        theirs = nx.connected_watts_strogatz_graph(n, k, p, tries=200, seed=seed)
        assert len(ours) == theirs.number_of_edges()
        assert edge_set(ours) == edge_set(theirs.edges())


def reference_ties(graph: OrganisationGraph, teams: int, s) -> sp.csr_matrix:
    """The units' ties as sums of sparse matrices (how they were built before): complete blocks, the internal
    collaborative's extra weight, the ties between lead units."""
    counts = graph.units
    lead = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n = int(counts.sum())
    rows, cols, extra_rows, extra_cols = [], [], [], []
    for o, (first, k) in enumerate(zip(lead.tolist(), counts.tolist(), strict=True)):
        for a in range(first, first + k):
            for b in range(first, first + k):
                if a != b:
                    rows.append(a)
                    cols.append(b)
                    if o < teams and first in (a, b):
                        extra_rows.append(a)
                        extra_cols.append(b)
    ties = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    if s.internal_collaborative and teams:
        ties = ties + sp.csr_matrix((np.full(len(extra_rows), s.internal_collaborative_weight - 1.0),
                                     (extra_rows, extra_cols)), shape=(n, n))
    a, b = lead[graph.edges[:, 0]], lead[graph.edges[:, 1]]
    w = graph.weights * s.between_organisations_weight
    return (ties + sp.csr_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                                 shape=(n, n))).tocsr()


def same_matrix(x: sp.csr_matrix, y: sp.csr_matrix) -> bool:
    return (x.shape == y.shape and np.array_equal(x.indptr, y.indptr) and np.array_equal(x.indices, y.indices)
            and x.data.tobytes() == y.data.tobytes())


CASES = [{}, {"internal_collaborative": True, "internal_collaborative_weight": 2.7},
         {"between_organisations_weight": 0.0, "internal_collaborative": True},
         {"network": "scale_free", "between_organisations_weight": 0.3}, {"network": "none"},
         {"units_per_organisation": 1, "internal_collaborative": True}, {"teams": 3, "other_organisations": 0}]


@pytest.mark.parametrize("overrides", CASES)
def test_the_units_ties_are_the_sum_of_their_parts(overrides):
    s = sim.load_scenario("breakthrough").with_overrides(**overrides)
    for seed in (1, 2):
        graph = organisation_graph(s, stream(seed, "network"))
        units = UnitNetwork.build(graph, s.teams, s)
        assert same_matrix(units.ties, reference_ties(graph, s.teams, s))
        assert np.array_equal(units.degree, np.asarray(units.ties.sum(axis=1)).ravel())


def test_organisations_of_different_sizes_from_a_file(tmp_path: Path):
    g = nx.Graph()
    sizes = [1, 4, 2, 7, 3, 3, 1, 5]
    for i, k in enumerate(sizes):
        g.add_node(f"h{i}", units=k)
    for a, b, w in [(0, 1, 0.5), (1, 2, 2.0), (2, 3, 1.0), (3, 4, 1.5), (4, 5, 1.0), (5, 6, 3.0), (6, 7, 1.0),
                    (0, 7, 0.25), (1, 5, 1.0)]:
        g.add_edge(f"h{a}", f"h{b}", weight=w)
    path = tmp_path / "net.graphml"
    nx.write_graphml(g, path)
    s = sim.load_scenario("breakthrough").with_overrides(teams=3, network="file", network_file=str(path),
                                                         internal_collaborative=True)
    graph = organisation_graph(s, stream(1, "network"))
    units = UnitNetwork.build(graph, s.teams, s)
    assert units.size == sum(sizes)
    assert same_matrix(units.ties, reference_ties(graph, s.teams, s))


def test_a_network_file_s_tie_weights_are_positive_and_finite(tmp_path: Path):
    for weight in (0.0, -1.0, float("inf"), float("nan")):
        g = nx.Graph()
        g.add_edge("a", "b", weight=weight)
        g.add_edge("b", "c", weight=1.0)
        path = tmp_path / "net.graphml"
        nx.write_graphml(g, path)
        s = sim.load_scenario("breakthrough").with_overrides(teams=2, network="file", network_file=str(path))
        with pytest.raises(NetworkFileError, match="weight"):
            organisation_graph(s, stream(1, "network"))


def test_the_organisation_graph_as_networkx_holds_the_same_ties():
    s = sim.load_scenario("breakthrough")
    graph = organisation_graph(s, stream(3, "network"))
    g = graph.graph
    assert g.number_of_nodes() == graph.size and edge_set(g.edges()) == edge_set(graph.edges)
    assert all(d["weight"] == 1.0 for _, _, d in g.edges(data=True))
    assert graph.graph is g


def test_fill_ties_compiled_is_its_plain_python_twin():
    s = sim.load_scenario("breakthrough").with_overrides(internal_collaborative=True)
    graph = organisation_graph(s, stream(1, "network"))
    counts = np.resize([3, 1, 4, 2, 5], graph.size)
    lead = np.concatenate([[0], np.cumsum(counts)[:-1]])
    a, b = graph.edges[:, 0], graph.edges[:, 1]
    between = sp.csr_matrix((np.r_[graph.weights, graph.weights], (np.r_[a, b], np.r_[b, a])),
                            shape=(graph.size, graph.size))
    size = int((counts * (counts - 1)).sum()) + between.nnz
    out = []
    for kernel in (fill_ties, getattr(fill_ties, "py_func", fill_ties)):  # with NUMBA_DISABLE_JIT both are Python
        indices, data = np.full(size, -1, dtype=np.int32), np.full(size, np.nan)
        kernel(counts, lead, (between.indptr, between.indices, between.data), 5, 3.0, indices, data)
        out.append((indices, data))
    assert np.array_equal(out[0][0], out[1][0]) and out[0][1].tobytes() == out[1][1].tobytes()
    assert (out[0][0] >= 0).all() and not np.isnan(out[0][1]).any()


def test_shares_are_the_sums_over_each_unit_s_row():
    s = sim.load_scenario("breakthrough").with_overrides(internal_collaborative=True, between_organisations_weight=0.37)
    graph = organisation_graph(s, stream(2, "network"))
    ties = UnitNetwork.build(graph, s.teams, s).ties
    rng = np.random.default_rng(5)
    sources = (rng.random(ties.shape[0]) < 0.1).astype(float)
    method = np.where(rng.random(ties.shape[0]) < 0.2, rng.random(ties.shape[0]), 0.0)
    for kernel in (shares, getattr(shares, "py_func", shares)):  # with NUMBA_DISABLE_JIT both are Python
        share, method_share, touched = kernel(ties.indptr, ties.indices, ties.data, sources, method)
        assert share.tobytes() == (ties @ sources).tobytes()  # scipy sums each row in order
        assert method_share.tobytes() == (ties @ method).tobytes()
        assert np.array_equal(touched, (ties @ ((sources > 0) | (method > 0)).astype(float)) > 0)
