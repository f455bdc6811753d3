from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.graph import (
    CycleError,
    ancestors,
    descendants,
    direct_prerequisites,
    find_cycles,
    skill_graph,
    strongly_connected,
    topological_order,
    transitive_reduction,
)

NODES = ["a", "b", "c", "d", "e"]


def test_topological_order_puts_prerequisites_first_and_keeps_given_order_for_ties() -> None:
    edges = [("b", "c"), ("a", "c"), ("c", "e")]
    assert topological_order(NODES, edges) == ["a", "b", "c", "d", "e"]
    assert topological_order(["x", "a", "b"], [("b", "a")]) == ["x", "b", "a"]


def test_cycle_is_reported_with_its_path() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
    with pytest.raises(CycleError) as err:
        topological_order(NODES, edges)
    assert err.value.cycle == ["a", "b", "c", "a"]
    assert "a -> b -> c -> a" in str(err.value)


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


def test_long_chain_does_not_hit_recursion_limit() -> None:
    nodes = [f"n{i}" for i in range(5000)]
    edges = list(itertools.pairwise(nodes))
    assert topological_order(list(reversed(nodes)), edges) == nodes
    assert find_cycles(nodes, [*edges, (nodes[-1], nodes[0])])[0][0] == "n0"


@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20))
def test_forward_edges_always_sort_and_respect_every_edge(pairs: list[tuple[int, int]]) -> None:
    nodes = [str(i) for i in range(8)]
    edges = [(str(min(a, b)), str(max(a, b))) for a, b in pairs if a != b]
    order = topological_order(nodes, edges)
    position = {n: i for i, n in enumerate(order)}
    assert sorted(order) == sorted(nodes)
    assert all(position[a] < position[b] for a, b in edges)
    assert find_cycles(nodes, edges) == []


def test_importing_graph_does_not_pull_in_pydantic() -> None:
    code = "import sys, content.graph; print('pydantic' in sys.modules, 'yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_skill_graph_from_plain_mappings() -> None:
    skills = [{"id": "a"}, {"id": "b", "requires": ["a"]}, {"id": "c", "requires": ["a", "b"]}]
    assert skill_graph(skills) == (["a", "b", "c"], [("a", "b"), ("a", "c"), ("b", "c")])
