"""A curriculum's skills as the plain (nodes, edges) that `engine.graph` works on.

The graph algorithms live in `engine.graph` (one implementation for validation, the
recommender and the pages); this is only the adapter from content's shapes. Free of the
curriculum models (and of pydantic), so any caller can use it on skills from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.graph import Edge


def skill_graph(skills: Iterable[Any]) -> tuple[list[str], list[Edge]]:
    """The prerequisite DAG as (nodes, edges) from skills in any shape.

    Each skill is an object with `id` and `requires` attributes (a content
    `Skill`) or a mapping with those keys (e.g. curriculum JSON from the API).
    Edges are (prerequisite, skill) in the order given.
    """
    nodes: list[str] = []
    edges: list[Edge] = []
    for skill in skills:
        if isinstance(skill, Mapping):
            sid, requires = skill["id"], skill.get("requires", ())
        else:
            sid, requires = skill.id, skill.requires
        nodes.append(sid)
        edges.extend((req, sid) for req in requires)
    return nodes, edges
