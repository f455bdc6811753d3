"""The curriculum in the database: read it back as a `content.Curriculum`, write one.

Rows keep each part's full definition (content models dumped as JSON); the current
curriculum is the active units and skills plus every item whose skills are all
active, retired items included (their ids stay taken, so a new item can never reuse
an id the log refers to).

Staged items: a large item import writes its rows in many short transactions (so
answers are not kept waiting) before one statement publishes them all. Until then
their skill tags (`item_skill` rows, narrow) carry a negative `position` (-1 - the
tag's position); every reader of items (`PUBLISHED`) leaves out an item with such a
tag, so no reader ever sees part of an import. `publish_staged` flips the tags, one
statement over the narrow table, `discard_staged` removes staged items (a rejected
or abandoned import).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from api.services.cache import bump_revision
from api.services.upsert import dialect_insert, upsert
from content.curriculum import Curriculum
from content.loader import curriculum_from_data
from content.models import Item as ContentItem
from models.content import CurriculumInfo, Item, ItemSkill, Prerequisite, Skill, Unit
from models.types import utcnow

STAGED_TAG = col(ItemSkill.position) < 0
_staged_tag = aliased(ItemSkill)  # its own name: a query may join item_skill too
# an item is published unless an import in progress staged it
PUBLISHED = ~(
    select(_staged_tag.item_id)
    .where(_staged_tag.item_id == Item.id, col(_staged_tag.position) < 0)
    .correlate(Item)
    .exists()
)


def stage_items(session: Session, items: Iterable[tuple[ContentItem, int]]) -> None:
    """Insert new items invisibly (see the module doc); the caller holds the transaction.
    An id that is taken fails the insert (IntegrityError)."""
    rows = [_item_row(item, pos) for item, pos in items]
    if not rows:
        return
    session.execute(Item.__table__.insert(), rows)  # type: ignore[attr-defined]
    tags = [
        {"item_id": r["id"], "skill_id": s, "position": -1 - j}
        for r in rows
        for j, s in enumerate(r["definition"]["skills"])
    ]
    session.execute(ItemSkill.__table__.insert(), tags)  # type: ignore[attr-defined]


def publish_staged(session: Session) -> int:
    """Make every staged item an ordinary one (one statement; caller's transaction)."""
    published = session.execute(
        update(ItemSkill).where(STAGED_TAG).values(position=-1 - col(ItemSkill.position))
    )
    bump_revision(session, content=True)
    return int(published.rowcount or 0)  # type: ignore[attr-defined]


def discard_staged(session: Session, limit: int) -> int:
    """Delete up to `limit` staged items (with their tags); returns how many went."""
    ids = list(
        session.execute(
            select(ItemSkill.item_id).where(STAGED_TAG).distinct().limit(limit)
        ).scalars()
    )
    if ids:
        session.execute(delete(ItemSkill).where(col(ItemSkill.item_id).in_(ids)))
        session.execute(delete(Item).where(col(Item.id).in_(ids)))
    return len(ids)


def current_curriculum_data(session: Session) -> dict[str, Any] | None:
    """The stored curriculum as loader data (None before the first import)."""
    info = session.get(CurriculumInfo, 1)
    if info is None:
        return None
    units = session.exec(
        select(Unit).where(col(Unit.retired).is_(False)).order_by(col(Unit.position))
    ).all()
    skills = session.exec(
        select(Skill).where(col(Skill.retired).is_(False)).order_by(col(Skill.position))
    ).all()
    active = {s.id for s in skills}
    items = [
        i.definition
        for i in session.exec(
            select(Item).where(PUBLISHED).order_by(col(Item.position), col(Item.id))
        ).all()
        if set(i.definition.get("skills", ())) <= active
    ]
    return {
        "format_version": 1,
        "id": info.curriculum_id,
        "name": info.name,
        "description": info.description,
        "units": [u.definition for u in units],
        "skills": [s.definition for s in skills],
        "items": items,
    }


def current_curriculum(session: Session) -> Curriculum | None:
    data = current_curriculum_data(session)
    return None if data is None else curriculum_from_data(data, source="database")


def _item_row(item: ContentItem, position: int) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": item.id,
        "kind": item.type,
        "position": position,
        "retired": False,
        "definition": item.model_dump(mode="json"),
        "created_at": now,
        "updated_at": now,
    }


def write_items(session: Session, items: Iterable[tuple[ContentItem, int]]) -> None:
    """Insert or replace items and their skill tags (caller holds the transaction)."""
    rows = [_item_row(item, pos) for item, pos in items]
    if not rows:
        return
    table = Item.__table__  # type: ignore[attr-defined]
    stmt = dialect_insert(session, table)
    keep = {"created_at"}
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={c: stmt.excluded[c] for c in rows[0] if c not in keep | {"id"}},
        ),
        rows,
    )
    ids = [r["id"] for r in rows]
    session.execute(delete(ItemSkill).where(col(ItemSkill.item_id).in_(ids)))
    tags = [
        {"item_id": r["id"], "skill_id": s, "position": j}
        for r in rows
        for j, s in enumerate(r["definition"]["skills"])
    ]
    session.execute(ItemSkill.__table__.insert(), tags)  # type: ignore[attr-defined]
    bump_revision(session, content=True)


def write_curriculum(session: Session, cur: Curriculum) -> dict[str, list[str]]:
    """Make the database hold exactly `cur` (absent parts retired); returns item id changes."""
    existing = dict(session.exec(select(Item.id, Item.retired).where(PUBLISHED)).all())
    upsert(
        session,
        CurriculumInfo.__table__,  # type: ignore[attr-defined]
        [
            {
                "id": 1,
                "curriculum_id": cur.id,
                "name": cur.name,
                "description": cur.description,
                "imported_at": utcnow(),
            }
        ],
        ["id"],
    )
    unit_ids = [u.id for u in cur.units]
    upsert(
        session,
        Unit.__table__,  # type: ignore[attr-defined]
        [
            {
                "id": u.id,
                "title": u.name,
                "position": i,
                "retired": False,
                "definition": u.model_dump(mode="json"),
            }
            for i, u in enumerate(cur.units)
        ],
        ["id"],
    )
    session.execute(update(Unit).where(col(Unit.id).not_in(unit_ids)).values(retired=True))
    unit_of = {sid: u.id for u in cur.units for sid in u.skills}
    order = {sid: i for i, sid in enumerate(sid for u in cur.units for sid in u.skills)}
    skill_ids = [s.id for s in cur.skills]
    upsert(
        session,
        Skill.__table__,  # type: ignore[attr-defined]
        [
            {
                "id": s.id,
                "name": s.name,
                "unit_id": unit_of.get(s.id),
                "position": order.get(s.id, len(order) + i),
                "retired": False,
                "definition": s.model_dump(mode="json"),
            }
            for i, s in enumerate(cur.skills)
        ],
        ["id"],
    )
    session.execute(update(Skill).where(col(Skill.id).not_in(skill_ids)).values(retired=True))
    session.execute(delete(Prerequisite))
    edges = [{"skill_id": s.id, "requires_id": r} for s in cur.skills for r in s.requires]
    if edges:
        session.execute(Prerequisite.__table__.insert(), edges)  # type: ignore[attr-defined]
    write_items(session, ((item, i) for i, item in enumerate(cur.items)))
    item_ids = [i.id for i in cur.items]
    newly_retired = [i for i, retired in existing.items() if i not in item_ids and not retired]
    session.execute(update(Item).where(col(Item.id).in_(newly_retired)).values(retired=True))
    bump_revision(session, content=True)
    return {
        "added": [i for i in item_ids if i not in existing],
        "updated": [i for i in item_ids if i in existing],
        "retired": sorted(newly_retired),
    }
