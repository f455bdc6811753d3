"""In-memory snapshot of the curriculum and the active parameters, per process.

The answer hot path must not reload items, rebuild the skill graph or parse the
parameter JSON on every request. A `Snapshot` is immutable and tagged with the
database `revision` counters it was built from; `CatalogCache.get` compares them
with the row (one primary-key read) and rebuilds only when an import, an item edit
or an activation (by any process) bumped them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, text
from sqlmodel import Session, col, select

from api.services.payloads import student_view
from content.models import DEFAULT_MASTERY_THRESHOLD
from content.models import Item as ContentItem
from engine.params import ModelParams, SkillParams
from engine.recommend.graph import Item as GraphItem
from engine.recommend.graph import SkillGraph
from engine.recommend.policy import Recommender
from engine.recommend.settings import RecommenderSettings
from engine.recommend.state import StudentState
from models.content import Item, ItemSkill, Prerequisite, Skill, Unit
from models.params import ParamSet
from models.revision import REVISION_ROW, Revision

# Used for a skill the active parameter set does not cover (new content, nothing
# fitted yet). Plausible classroom values; replaced as soon as a fit is activated.
DEFAULT_SKILL_PARAMS = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1)
_DIFFICULTY = {"easy": -1.0, "medium": 0.0, "hard": 1.0}


@dataclass(frozen=True)
class CatalogItem:
    id: str
    skills: tuple[str, ...]
    retired: bool
    content: ContentItem
    student: Mapping[str, Any]


@dataclass(frozen=True)
class Snapshot:
    revision: tuple[int, int]
    items: Mapping[str, CatalogItem]
    skills: tuple[str, ...]  # curriculum order (unit order, then order within the unit)
    skill_names: Mapping[str, str]
    thresholds: Mapping[str, float]
    graph: SkillGraph
    params: ModelParams
    param_set_id: int | None
    by_skill: Mapping[str, SkillParams]  # every curriculum skill, defaults filled in
    recommender: Recommender
    # Recommendations already computed for (student, last response id, goal): a pure
    # function of the state and this snapshot, so the GET after an answer is free.
    memo: dict[tuple[int, int | None, str | None], Any] = field(default_factory=dict)
    # Per student: (last response id, state) as this process stored it, so the next
    # answer does not parse the stored JSON again (see answers._guess).
    states: dict[int, tuple[int, StudentState]] = field(default_factory=dict)

    def skill_params(self, skill: str) -> SkillParams:
        """Active parameters of the skill, else DEFAULT_SKILL_PARAMS."""
        found = self.by_skill.get(skill)
        return found if found is not None else self.params.skills.get(skill, DEFAULT_SKILL_PARAMS)

    def threshold(self, skill: str) -> float:
        return self.thresholds.get(skill, DEFAULT_MASTERY_THRESHOLD)


_REVISION_SQL = text(f"SELECT content, params FROM revision WHERE id = {REVISION_ROW}")


def read_revision(session: Session | Connection) -> tuple[int, int]:
    """The revision counters (plain SQL: this runs on every request)."""
    row = session.execute(_REVISION_SQL).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def bump_revision(session: Session, content: bool = False, params: bool = False) -> None:
    """Mark content and/or parameters changed (call inside the write transaction)."""
    row = session.get(Revision, REVISION_ROW, with_for_update=True)
    if row is None:
        row = Revision(id=REVISION_ROW)
    row.content += int(content)
    row.params += int(params)
    session.add(row)


def active_param_set(session: Session) -> ParamSet | None:
    return session.exec(select(ParamSet).where(col(ParamSet.active).is_(True))).first()


def build_snapshot(
    session: Session, revision: tuple[int, int], stuck_attempts: int = 10
) -> Snapshot:
    units = session.exec(
        select(Unit).where(col(Unit.retired).is_(False)).order_by(col(Unit.position), col(Unit.id))
    ).all()
    unit_pos = {u.id: i for i, u in enumerate(units)}
    skills = sorted(
        session.exec(select(Skill).where(col(Skill.retired).is_(False))).all(),
        key=lambda s: (unit_pos.get(s.unit_id or "", len(unit_pos)), s.position, s.id),
    )
    skill_ids = [s.id for s in skills]
    active = set(skill_ids)
    prereqs: dict[str, list[str]] = {}
    for p in session.exec(select(Prerequisite)).all():
        if p.skill_id in active and p.requires_id in active:
            prereqs.setdefault(p.skill_id, []).append(p.requires_id)
    tags: dict[str, list[tuple[int, str]]] = {}
    for t in session.exec(select(ItemSkill)).all():
        tags.setdefault(t.item_id, []).append((t.position, t.skill_id))
    items: dict[str, CatalogItem] = {}
    graph_items: list[GraphItem] = []
    for row in session.exec(select(Item).order_by(col(Item.position), col(Item.id))).all():
        content = ContentItem.model_validate(row.definition)
        item_skills = tuple(s for _, s in sorted(tags.get(row.id, [])))
        items[row.id] = CatalogItem(
            id=row.id,
            skills=item_skills,
            retired=row.retired,
            content=content,
            student=MappingProxyType(student_view(content)),
        )
        if not row.retired and item_skills and item_skills[0] in active:
            # The recommender files an item under one skill: its first (primary) tag.
            graph_items.append(
                GraphItem(
                    item_id=row.id,
                    skill_id=item_skills[0],
                    difficulty=_DIFFICULTY.get(content.difficulty or ""),
                )
            )
    graph = SkillGraph(
        skill_ids,
        prerequisites=prereqs,
        items=graph_items,
        names={s.id: s.name for s in skills},
    )
    param_set = active_param_set(session)
    params = (
        ModelParams.from_json_dict(param_set.params, where=f"param_set {param_set.id}")
        if param_set is not None
        else ModelParams(skills={})
    )
    thresholds = {
        s.id: float(s.definition.get("mastery_threshold", DEFAULT_MASTERY_THRESHOLD))
        for s in skills
    }
    by_skill = {s: params.skills.get(s, DEFAULT_SKILL_PARAMS) for s in skill_ids}
    recommender = Recommender(
        graph,
        by_skill,
        RecommenderSettings(skill_thresholds=thresholds, wheel_spin_attempts=stuck_attempts),
    )
    return Snapshot(
        revision=revision,
        items=MappingProxyType(items),
        skills=tuple(skill_ids),
        skill_names=MappingProxyType({s.id: s.name for s in skills}),
        thresholds=MappingProxyType(thresholds),
        graph=graph,
        params=params,
        param_set_id=param_set.id if param_set is not None else None,
        by_skill=MappingProxyType(by_skill),
        recommender=recommender,
    )


class CatalogCache:
    """Holds the current Snapshot; thread-safe, rebuilt only when the revision moved."""

    def __init__(self, stuck_attempts: int = 10) -> None:
        self.stuck_attempts = stuck_attempts
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def get(self, session: Session, revision: tuple[int, int] | None = None) -> Snapshot:
        """The snapshot for the database's current revision (pass it if already read)."""
        rev = read_revision(session) if revision is None else revision
        snap = self._snapshot
        if snap is not None and snap.revision == rev:
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.revision != rev:
                snap = build_snapshot(session, rev, self.stuck_attempts)
                self._snapshot = snap
            return snap

    def current(self) -> Snapshot | None:
        """The last snapshot built, without checking the revision (the caller must)."""
        return self._snapshot

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None
