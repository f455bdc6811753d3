"""Directed-graph algorithms over plain string ids: the one implementation of them.

Prerequisite graphs come from curricula (content validation), the recommender's
`SkillGraph` and the designer's map; all pass node ids and `(prerequisite, dependent)`
edges, so this module needs nothing from them. Results are deterministic: ties keep
the order nodes were given, which is the curriculum order for every caller.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

Edge = tuple[str, str]
"""(prerequisite, dependent): the first must be learned before the second."""


class CycleError(ValueError):
    """The graph is not a DAG; `cycle` is a closed path such as [a, b, c, a]."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = list(cycle)
        super().__init__("prerequisite cycle: " + " -> ".join(self.cycle))


def _adjacency(nodes: Sequence[str], edges: Iterable[Edge]) -> dict[str, list[str]]:
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        if a not in succ or b not in succ:
            missing = a if a not in succ else b
            raise KeyError(f"edge {a!r} -> {b!r} names unknown node {missing!r}")
        if b not in succ[a]:
            succ[a].append(b)
    return succ


def strongly_connected(nodes: Sequence[str], edges: Iterable[Edge]) -> list[list[str]]:
    """Tarjan's components (iterative, so deep chains cannot hit the recursion limit)."""
    succ = _adjacency(nodes, edges)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    position = {n: k for k, n in enumerate(nodes)}
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, i = work[-1]
            if i < len(succ[node]):
                work[-1] = (node, i + 1)
                nxt = succ[node][i]
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component, key=position.__getitem__))
    return components


def find_cycles(nodes: Sequence[str], edges: Iterable[Edge]) -> list[list[str]]:
    """One closed path per cyclic component, e.g. [[a, b, c, a], [d, d]]; [] for a DAG."""
    edge_list = list(edges)
    succ = _adjacency(nodes, edge_list)
    cycles: list[list[str]] = []
    for component in strongly_connected(nodes, edge_list):
        members = set(component)
        start = component[0]
        if len(component) == 1 and start not in succ[start]:
            continue
        cycles.append(_cycle_through(start, members, succ))
    order = {n: k for k, n in enumerate(nodes)}
    return sorted(cycles, key=lambda c: order[c[0]])


def _cycle_through(start: str, members: set[str], succ: dict[str, list[str]]) -> list[str]:
    """Shortest path start -> ... -> start inside one strongly connected component."""
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt_frontier: list[str] = []
        for node in frontier:
            for nxt in succ[node]:
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [*reversed(path), start]
                if nxt in members and nxt not in parent:
                    parent[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    raise AssertionError("a strongly connected component always has a cycle")


def topological_order(nodes: Sequence[str], edges: Iterable[Edge]) -> list[str]:
    """Prerequisites first; among ready nodes the earliest given comes first.

    Raises CycleError (with the cycle's path) when the graph is not a DAG.
    """
    edge_list = list(edges)
    succ = _adjacency(nodes, edge_list)
    position = {n: k for k, n in enumerate(nodes)}
    indegree = dict.fromkeys(nodes, 0)
    for targets in succ.values():
        for b in targets:
            indegree[b] += 1
    ready = [position[n] for n in nodes if indegree[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        order.append(node)
        for b in succ[node]:
            indegree[b] -= 1
            if indegree[b] == 0:
                heapq.heappush(ready, position[b])
    if len(order) < len(nodes):
        raise CycleError(find_cycles(nodes, edge_list)[0])
    return order


def _reach(start: str, step: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(step.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(step.get(node, ()))
    seen.discard(start)
    return seen


def ancestors(edges: Iterable[Edge], node: str) -> set[str]:
    """Every skill that must come (directly or indirectly) before `node`."""
    pred: dict[str, list[str]] = {}
    for a, b in edges:
        pred.setdefault(b, []).append(a)
    return _reach(node, pred)


def descendants(edges: Iterable[Edge], node: str) -> set[str]:
    """Every skill that builds (directly or indirectly) on `node`."""
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    return _reach(node, succ)


def ancestor_sets(nodes: Sequence[str], edges: Iterable[Edge]) -> dict[str, frozenset[str]]:
    """Every node's ancestors at once, in one pass over the topological order.

    Cheaper than `ancestors` per node when all are needed (the recommender's graph).
    Raises CycleError when the graph is not a DAG.
    """
    edge_list = list(edges)
    order = topological_order(nodes, edge_list)  # also rejects unknown nodes
    pred: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edge_list:
        pred[b].append(a)
    out: dict[str, frozenset[str]] = {}
    for node in order:  # prerequisites come first, so their sets exist already
        acc: set[str] = set(pred[node])
        for p in pred[node]:
            acc |= out[p]
        out[node] = frozenset(acc)
    return out


def direct_prerequisites(edges: Iterable[Edge], node: str) -> list[str]:
    """The skills `node` lists as prerequisites, in edge order."""
    return [a for a, b in edges if b == node]


def transitive_reduction(nodes: Sequence[str], edges: Iterable[Edge]) -> list[Edge]:
    """The edges not implied by longer paths (what a prerequisite map should draw)."""
    edge_list = list(dict.fromkeys(edges))
    topological_order(nodes, edge_list)  # raises on cycles
    kept: list[Edge] = []
    for a, b in edge_list:
        others = [e for e in edge_list if e != (a, b)]
        if b not in descendants(others, a):
            kept.append((a, b))
    return kept
