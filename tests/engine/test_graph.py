from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.graph import (
    CycleError,
    Edge,
    ancestor_sets,
    ancestors,
    descendants,
    direct_prerequisites,
    find_cycles,
    strongly_connected,
    topological_order,
    transitive_reduction,
)

NODES = ["a", "b", "c", "d", "e"]


def test_topological_order_puts_prerequisites_first_and_keeps_given_order_for_ties() -> None:
    edges = [("b", "c"), ("a", "c"), ("c", "e")]
    assert topological_order(NODES, edges) == ["a", "b", "c", "d", "e"]
    assert topological_order(["x", "a", "b"], [("b", "a")]) == ["x", "b", "a"]


def test_known_answer_on_a_curriculum_shaped_graph() -> None:
    # Given order is curriculum order; "add" waits for both of its prerequisites.
    nodes = ["add", "unit", "equiv", "ratio", "compare"]
    edges = [("unit", "equiv"), ("equiv", "add"), ("unit", "add"), ("ratio", "compare")]
    assert topological_order(nodes, edges) == ["unit", "equiv", "add", "ratio", "compare"]
    assert ancestor_sets(nodes, edges) == {
        "add": frozenset({"unit", "equiv"}),
        "unit": frozenset(),
        "equiv": frozenset({"unit"}),
        "ratio": frozenset(),
        "compare": frozenset({"ratio"}),
    }


def test_cycle_is_reported_with_its_path() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
    with pytest.raises(CycleError) as err:
        topological_order(NODES, edges)
    assert err.value.cycle == ["a", "b", "c", "a"]
    assert "a -> b -> c -> a" in str(err.value)
    with pytest.raises(CycleError):
        ancestor_sets(NODES, edges)


def test_find_cycles_reports_each_cyclic_component_including_self_loops() -> None:
    edges = [("a", "b"), ("b", "a"), ("c", "c"), ("d", "e")]
    assert find_cycles(NODES, edges) == [["a", "b", "a"], ["c", "c"]]
    assert find_cycles(NODES, [("a", "b"), ("b", "c")]) == []


def test_strongly_connected_components() -> None:
    comps = strongly_connected(NODES, [("a", "b"), ("b", "a"), ("b", "c")])
    assert sorted(map(sorted, comps)) == [["a", "b"], ["c"], ["d"], ["e"]]


def test_ancestors_descendants_and_direct_prerequisites() -> None:
    edges = [("a", "b"), ("b", "c"), ("d", "c")]
    assert ancestors(edges, "c") == {"a", "b", "d"}
    assert descendants(edges, "a") == {"b", "c"}
    assert ancestors(edges, "a") == set()
    assert direct_prerequisites(edges, "c") == ["b", "d"]


def test_transitive_reduction_drops_implied_edges() -> None:
    edges = [("a", "b"), ("b", "c"), ("a", "c")]
    assert transitive_reduction(["a", "b", "c"], edges) == [("a", "b"), ("b", "c")]


def test_unknown_node_in_edge_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="zz"):
        topological_order(["a"], [("a", "zz")])
    with pytest.raises(KeyError, match="zz"):
        ancestor_sets(["a"], [("zz", "a")])


def test_long_chain_does_not_hit_recursion_limit() -> None:
    nodes = [f"n{i}" for i in range(5000)]
    edges = list(itertools.pairwise(nodes))
    assert topological_order(list(reversed(nodes)), edges) == nodes
    assert find_cycles(nodes, [*edges, (nodes[-1], nodes[0])])[0][0] == "n0"


def _has_cycle(nodes: list[str], edges: list[Edge]) -> bool:
    """Oracle: peel off nodes nothing points into; a cycle is what can never be peeled."""
    left, live = set(nodes), set(edges)
    while True:
        free = {n for n in left if not any(b == n for _, b in live)}
        if not free:
            return bool(left)
        left -= free
        live = {(a, b) for a, b in live if a in left}


NODE_COUNT = 7
edge_lists = st.lists(
    st.tuples(st.integers(0, NODE_COUNT - 1), st.integers(0, NODE_COUNT - 1)), max_size=16
)


@given(edge_lists)
def test_forward_edges_always_sort_and_respect_every_edge(pairs: list[tuple[int, int]]) -> None:
    nodes = [str(i) for i in range(NODE_COUNT)]
    edges = [(str(min(a, b)), str(max(a, b))) for a, b in pairs if a != b]
    order = topological_order(nodes, edges)
    position = {n: i for i, n in enumerate(order)}
    assert sorted(order) == sorted(nodes)
    assert all(position[a] < position[b] for a, b in edges)
    assert find_cycles(nodes, edges) == []
    every = ancestor_sets(nodes, edges)
    assert all(every[n] == ancestors(edges, n) for n in nodes)


@given(edge_lists)
def test_a_cycle_is_reported_iff_one_exists(pairs: list[tuple[int, int]]) -> None:
    nodes = [str(i) for i in range(NODE_COUNT)]
    edges = [(str(a), str(b)) for a, b in pairs]
    cycles = find_cycles(nodes, edges)
    assert bool(cycles) == _has_cycle(nodes, edges)
    for cycle in cycles:  # each is a closed path along real edges
        assert cycle[0] == cycle[-1]
        assert all(step in edges for step in itertools.pairwise(cycle))
    if cycles:
        with pytest.raises(CycleError) as err:
            topological_order(nodes, edges)
        assert err.value.cycle == cycles[0]
    else:
        order = topological_order(nodes, edges)
        position = {n: i for i, n in enumerate(order)}
        assert all(position[a] < position[b] for a, b in edges)
