"""Skill maps for pages: a unit's skills (plus prerequisites from other units) as SVG.

The student's map colours each skill by state; the designer's graph shows the
curriculum as authored. Both draw the transitive reduction (an arrow implied by a
longer path adds clutter, not information) in `engine.graph`'s topological order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from sqlmodel import Session

from api.pages.practice_view import MapState, map_state
from api.pages.skill_graph import STATE_LABELS, GraphNode, render_skill_graph
from api.services.cache import Snapshot
from api.services.curriculum_store import current_curriculum_data
from engine.graph import topological_order, transitive_reduction
from models.practice import SkillMasteryPublic


@dataclass(frozen=True)
class UnitInfo:
    id: str
    name: str
    skills: tuple[str, ...]


@dataclass(frozen=True)
class MapRow:
    skill_id: str
    name: str
    unit: str
    state: MapState | None
    state_label: str
    mastery: float | None
    external: bool
    href: str | None


@dataclass(frozen=True)
class MapView:
    units: tuple[UnitInfo, ...]
    unit: UnitInfo | None
    svg: Markup
    rows: tuple[MapRow, ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    edges: int = 0


def units_from_data(data: Mapping[str, Any] | None, known: Sequence[str]) -> list[UnitInfo]:
    """Units in curriculum order with their active skills (skills in no unit: 'Other')."""
    live = set(known)
    out: list[UnitInfo] = []
    seen: set[str] = set()
    for u in (data or {}).get("units", []):
        skills = tuple(s for s in u.get("skills", []) if s in live)
        seen.update(skills)
        if skills:
            out.append(UnitInfo(str(u["id"]), str(u.get("name") or u["id"]), skills))
    rest = tuple(s for s in known if s not in seen)
    if rest:
        out.append(UnitInfo("other", "Other skills", rest))
    return out


_UNITS_CACHE: dict[tuple[tuple[int, int], tuple[str, ...]], list[UnitInfo]] = {}


def units_for(session: Session, snap: Snapshot) -> list[UnitInfo]:
    """`units_from_data` for the snapshot's content revision, read once per revision.

    The heatmap needs only the unit of each skill; re-reading the stored curriculum
    (every item definition included) on each request would cost more than the heatmap.
    """
    key = (snap.revision, snap.skills)
    found = _UNITS_CACHE.get(key)
    if found is None:
        found = units_from_data(current_curriculum_data(session), snap.skills)
        if len(_UNITS_CACHE) > 8:
            _UNITS_CACHE.clear()
        _UNITS_CACHE[key] = found
    return found


def all_edges(snap: Snapshot) -> list[tuple[str, str]]:
    return [(p, s) for s in snap.skills for p in snap.graph.prerequisites(s)]


def subgraph(
    members: Sequence[str], edges: Sequence[tuple[str, str]], *, with_external: bool
) -> tuple[list[str], list[tuple[str, str]]]:
    """Members (plus, optionally, their direct outside prerequisites) in topological order."""
    chosen = list(members)
    if with_external:
        inside = set(members)
        for p, s in edges:
            if s in inside and p not in inside and p not in chosen:
                chosen.append(p)
    keep = set(chosen)
    sub = [(p, s) for p, s in edges if p in keep and s in keep]
    reduced = transitive_reduction(chosen, sub)
    return topological_order(chosen, reduced), reduced


def _pick_unit(units: Sequence[UnitInfo], unit_id: str | None) -> UnitInfo | None:
    return next((u for u in units if u.id == unit_id), None)


def student_map(
    session: Session,
    snap: Snapshot,
    mastery: Mapping[str, SkillMasteryPublic],
    unit_id: str | None,
) -> MapView:
    """One unit of the student's map (default: the first unit not yet fully mastered)."""
    units = units_for(session, snap)
    unit = _pick_unit(units, unit_id)
    if unit is None:
        unit = next(
            (u for u in units if not all(mastery[s].mastered for s in u.skills if s in mastery)),
            units[0] if units else None,
        )
    settings = snap.recommender.settings

    def mastered(s: str) -> bool:
        return s in mastery and mastery[s].mastered

    def unlocked(p: str) -> bool:
        return mastered(p) or (p in mastery and mastery[p].effective >= settings.unlock(p))

    def attempts(s: str) -> int:
        return mastery[s].attempts if s in mastery else 0

    if unit is None:
        return MapView((), None, Markup(""), ())
    order, edges = subgraph(unit.skills, all_edges(snap), with_external=True)
    unit_of = {s: u.name for u in units for s in u.skills}
    inside = set(unit.skills)
    nodes: list[GraphNode] = []
    rows: list[MapRow] = []
    counts: dict[str, int] = dict.fromkeys(STATE_LABELS, 0)
    for s in order:
        state = map_state(
            s,
            mastered=mastered,
            attempts=attempts,
            prerequisites=snap.graph.prerequisites,
            unlocked=unlocked,
        )
        m = mastery.get(s)
        value = m.effective if m is not None and m.attempts else None
        name = snap.skill_names.get(s, s)
        href = f"/student?goal={quote(s, safe='')}"
        detail = f"{round(value * 100)}%" if value is not None else ""
        external = s not in inside
        label = name if not external else f"{name} (from {unit_of.get(s, 'another unit')})"
        nodes.append(
            GraphNode(
                s,
                label,
                state,
                href=href,
                detail=detail,
                progress=(
                    None
                    if m is None or state != "in_progress"
                    else min(1.0, m.effective / m.threshold)
                ),
            )
        )
        if not external:
            counts[state] += 1
        rows.append(
            MapRow(s, name, unit_of.get(s, ""), state, STATE_LABELS[state], value, external, href)
        )
    svg = render_skill_graph(
        nodes,
        edges,
        title=f"Skill map: {unit.name}",
        description="Arrows point from a skill to the skills that build on it. "
        "Choose a skill to make it your goal.",
    )
    return MapView(tuple(units), unit, svg, tuple(rows), counts, len(edges))


def designer_graph(session: Session, snap: Snapshot, unit_id: str | None) -> MapView:
    """The whole prerequisite graph, or one unit with its outside prerequisites."""
    units = units_for(session, snap)
    unit = _pick_unit(units, unit_id)
    members = unit.skills if unit is not None else tuple(snap.skills)
    order, edges = subgraph(members, all_edges(snap), with_external=unit is not None)
    unit_of = {s: u.name for u in units for s in u.skills}
    inside = set(members)
    nodes = []
    rows = []
    for s in order:
        name = snap.skill_names.get(s, s)
        n_items = len(snap.graph.items(s))
        href = f"/designer?skill={quote(s, safe='')}"
        external = s not in inside
        label = name if not external else f"{name} (from {unit_of.get(s, 'another unit')})"
        nodes.append(GraphNode(s, label, None, href=href, detail=f"{n_items} items"))
        rows.append(MapRow(s, name, unit_of.get(s, ""), None, "", None, external, href))
    title = f"Prerequisite graph: {unit.name}" if unit else "Prerequisite graph: whole curriculum"
    svg = render_skill_graph(nodes, edges, title=title) if nodes else Markup("")
    return MapView(tuple(units), unit, svg, tuple(rows), {}, len(edges))
