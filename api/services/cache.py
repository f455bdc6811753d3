"""In-memory snapshot of the curriculum and the active parameters, per process.

The answer hot path must not reload items, rebuild the skill graph or parse the
parameter JSON on every request. A `Snapshot` is immutable and tagged with the
database `revision` counters it was built from; `CatalogCache.get` compares them
with the row (one primary-key read) and rebuilds only when an import, an item edit
or an activation (by any process) bumped them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import aliased
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, col, select

from api import gc_control
from api.services.payloads import student_view
from content.cold_start import DEFAULT_STARTING, guess_floors, starting_params
from content.models import DEFAULT_MASTERY_THRESHOLD
from content.models import Item as ContentItem
from content.models import Skill as ContentSkill
from engine.params import ModelParams, SkillParams, with_guess_floors
from engine.recommend.graph import Item as GraphItem
from engine.recommend.graph import SkillGraph
from engine.recommend.policy import Recommender
from engine.recommend.settings import RecommenderSettings
from engine.recommend.state import StudentState
from models.content import Item, ItemSkill, Prerequisite, Skill, Unit
from models.params import ParamSet
from models.revision import REVISION_ROW, Revision

logger = logging.getLogger(__name__)
FREEZE_ITEMS = 5_000  # a snapshot this large is kept out of garbage collections
_DIFFICULTY = {"easy": -1.0, "medium": 0.0, "hard": 1.0}


@dataclass(frozen=True)
class CatalogItem:
    id: str
    skills: tuple[str, ...]
    retired: bool
    content: ContentItem
    student: Mapping[str, Any]


@dataclass(frozen=True)
class Catalog:
    """The content and the parameters the service runs, as read at one revision: what a
    `Snapshot` is built from, without the recommender (the costly part to build)."""

    revision: tuple[int, int]
    items: Mapping[str, CatalogItem]
    skills: tuple[str, ...]  # curriculum order (unit order, then order within the unit)
    skill_names: Mapping[str, str]
    thresholds: Mapping[str, float]
    graph: SkillGraph
    params: ModelParams
    param_set_id: int | None
    by_skill: Mapping[str, SkillParams]  # every curriculum skill: active set, else cold start
    cold_start: ModelParams  # what the curriculum declares (content.cold_start)
    guess_floors: Mapping[str, float]  # item -> 1/choices for multiple choice
    stuck_attempts: int

    def skill_params(self, skill: str) -> SkillParams:
        """The parameters the service runs for the skill: the active set's, else the
        curriculum's cold start (a skill retired since keeps what it had)."""
        found = self.by_skill.get(skill)
        if found is not None:
            return found
        return self.params.skills.get(skill, self.cold_start.skills.get(skill, DEFAULT_STARTING))

    def running_model(self) -> ModelParams:
        """Everything the service runs now as one parameter set (what a new set must beat)."""
        return ModelParams(
            skills=dict(self.by_skill),
            forgets=self.params.forgets,
            multigs=self.params.multigs,
            metadata={"source": "running", "param_set_id": self.param_set_id},
        )

    def threshold(self, skill: str) -> float:
        return self.thresholds.get(skill, DEFAULT_MASTERY_THRESHOLD)


@dataclass(frozen=True)
class Snapshot(Catalog):
    """One process's view of a revision: the catalog plus its recommender and caches."""

    recommender: Recommender
    # Recommendations already computed for (student, last response id, goal): a pure
    # function of the state and this snapshot, so the GET after an answer is free.
    memo: dict[tuple[int, int | None, str | None], Any] = field(default_factory=dict)
    # Per student: (last response id, state) as this process stored it, so the next
    # answer does not parse the stored JSON again (see answers._guess).
    states: dict[int, tuple[int, StudentState]] = field(default_factory=dict)


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
    cat = read_catalog(session, revision, stuck_attempts)
    recommender = Recommender(
        cat.graph,
        cat.by_skill,
        RecommenderSettings(
            skill_thresholds=cat.thresholds, wheel_spin_attempts=cat.stuck_attempts
        ),
    )
    return Snapshot(
        **{f.name: getattr(cat, f.name) for f in fields(Catalog)}, recommender=recommender
    )


def read_catalog(session: Session, revision: tuple[int, int], stuck_attempts: int = 10) -> Catalog:
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
    tagged: dict[str, list[str]] = {}  # skill -> its items
    for t in session.exec(select(ItemSkill).where(col(ItemSkill.position) >= 0)).all():
        tags.setdefault(t.item_id, []).append((t.position, t.skill_id))
        tagged.setdefault(t.skill_id, []).append(t.item_id)
    items: dict[str, CatalogItem] = {}
    graph_items: list[GraphItem] = []
    # not the items an import in progress has staged (api.services.curriculum_store)
    staged = aliased(ItemSkill)
    published = ~(
        select(staged.item_id)
        .where(staged.item_id == Item.id, col(staged.position) < 0)
        .correlate(Item)
        .exists()
    )
    for row in session.exec(
        select(Item).where(published).order_by(col(Item.position), col(Item.id))
    ).all():
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
    live_items = [c.content for c in items.values() if not c.retired]
    cold = starting_params([ContentSkill.model_validate(s.definition) for s in skills], live_items)
    floors = guess_floors(c.content for c in items.values())
    by_skill = {
        s: with_guess_floors(params.skills.get(s) or cold.skills[s], floors, tagged.get(s, ()))
        for s in skill_ids
    }
    return Catalog(
        revision=revision,
        items=MappingProxyType(items),
        skills=tuple(skill_ids),
        skill_names=MappingProxyType({s.id: s.name for s in skills}),
        thresholds=MappingProxyType(thresholds),
        graph=graph,
        params=params,
        param_set_id=param_set.id if param_set is not None else None,
        by_skill=MappingProxyType(by_skill),
        cold_start=cold,
        guess_floors=MappingProxyType(floors),
        stuck_attempts=stuck_attempts,
    )


class CatalogCache:
    """Holds the current Snapshot; thread-safe, rebuilt only when the revision moved.

    Rebuilding after an import of a large bank takes seconds (every item parsed), so
    the rebuild must not stand in the way of students. `get` waits for the exact
    snapshot (what writers of content and parameters need). `recent` and `for_answer`
    instead start the rebuild in a background thread and, while it runs, hand out the
    previous snapshot if only the content moved on (same parameter revision): `recent`
    after waiting up to `STALE_WAIT_S` for the rebuild (reads: what to practise, the
    pages), `for_answer` at once (the answer path holds the write lock, and checks the
    answered item against its row itself, see `fresh_item`). In-memory databases (one
    shared connection) are always rebuilt in the caller's thread.
    """

    STALE_WAIT_S = 0.5

    def __init__(self, stuck_attempts: int = 10) -> None:
        self.stuck_attempts = stuck_attempts
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._background: threading.Thread | None = None
        self._started = threading.Lock()

    def get(self, session: Session, revision: tuple[int, int] | None = None) -> Snapshot:
        """The snapshot for the database's current revision (pass it if already read)."""
        rev = read_revision(session) if revision is None else revision
        snap = self._snapshot
        if snap is not None and snap.revision == rev:
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.revision != rev:
                with gc_control.paused():  # a large bank: no multi-second collections
                    snap = build_snapshot(session, rev, self.stuck_attempts)
                if len(snap.items) >= FREEZE_ITEMS:  # long-lived: not walked again
                    gc_control.keep()
                self._snapshot = snap
            return snap

    def recent(self, session: Session, revision: tuple[int, int] | None = None) -> Snapshot:
        """The current snapshot, or (content changed, a rebuild already takes longer than
        STALE_WAIT_S) the previous one: for reads that may lag a content change."""
        rev = read_revision(session) if revision is None else revision
        snap = self._snapshot
        if snap is not None and snap.revision == rev:
            return snap
        worker = self._stale_ok(session, snap, rev)
        if worker is None:
            return self.get(session, rev)
        worker.join(self.STALE_WAIT_S)
        fresh = self._snapshot
        if fresh is not None and fresh.revision[0] >= rev[0] and fresh.revision[1] == rev[1]:
            return fresh
        return snap  # type: ignore[return-value]  # _stale_ok: not None

    def for_answer(self, session: Session, revision: tuple[int, int]) -> tuple[Snapshot, bool]:
        """(snapshot, exact) for an answer under the write lock: the exact snapshot, or at
        once the previous one (exact False) while it is rebuilt, if only content moved."""
        snap = self._snapshot
        if snap is not None and snap.revision == revision:
            return snap, True
        if self._stale_ok(session, snap, revision) is None:
            return self.get(session, revision), True
        assert snap is not None
        return snap, False

    def _stale_ok(
        self, session: Session, snap: Snapshot | None, rev: tuple[int, int]
    ) -> threading.Thread | None:
        """The background rebuild (started if need be) when `snap` may stand in for
        revision `rev` meanwhile, else None."""
        if snap is None or snap.revision[1] != rev[1] or snap.revision[0] > rev[0]:
            return None
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        if isinstance(engine.pool, StaticPool):  # one connection: no second reader
            return None
        with self._started:
            worker = self._background
            if worker is None or not worker.is_alive():
                worker = threading.Thread(
                    target=self._rebuild, args=(engine,), name="catalog-rebuild", daemon=True
                )
                self._background = worker
                worker.start()
            return worker

    def _rebuild(self, engine: Engine) -> None:
        with Session(engine) as session:
            try:
                self.get(session)
            except Exception:  # the next request tries again (and reports what is wrong)
                logger.exception("rebuilding the catalog snapshot failed")

    def current(self) -> Snapshot | None:
        """The last snapshot built, without checking the revision (the caller must)."""
        return self._snapshot

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None


def fresh_item(db: Connection, snap: Snapshot, item_id: str) -> CatalogItem | None:
    """The item as its row is now (None: no such item, or staged by an import), for an
    answer checked against a snapshot that lags content: the snapshot's own entry
    when the row still matches it."""
    row = db.execute(_ITEM_SQL, {"id": item_id}).first()
    if row is None:
        return None
    tags = db.execute(_TAGS_SQL, {"id": item_id}).all()
    if any(position < 0 for _, position in tags):  # staged by an import in progress
        return None
    raw = row.definition  # text on SQLite (plain SQL), a dict from PostgreSQL's JSONB
    definition = raw if isinstance(raw, dict) else orjson.loads(raw)
    skills = tuple(s for s, _ in tags)
    content = ContentItem.model_validate(definition)
    kept = snap.items.get(item_id)
    if (
        kept is not None
        and kept.retired == bool(row.retired)
        and kept.skills == skills
        and kept.content == content
    ):
        return kept
    return CatalogItem(
        id=item_id,
        skills=skills,
        retired=bool(row.retired),
        content=content,
        student=MappingProxyType(student_view(content)),
    )


_ITEM_SQL = text("SELECT retired, definition FROM item WHERE id = :id")
_TAGS_SQL = text("SELECT skill_id, position FROM item_skill WHERE item_id = :id ORDER BY position")
