"""Designers' item bank: list, read, create, update, retire and restore.

Every change is validated by `content` against the stored curriculum as a whole
(`merge_items` for a new item, the curriculum rebuilt with the edited item for an
update), so the bank always stays a valid curriculum. Items are never deleted.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, update
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.cache import bump_revision
from api.services.curriculum_store import (
    PUBLISHED,
    STAGED_TAG,
    current_curriculum,
    current_curriculum_data,
    write_items,
)
from api.services.errors import Invalid, NotFound
from api.services.model_drift import replay_if_model_changed
from content.loader import curriculum_from_data
from content.merge import merge_items
from content.models import Item as ContentItem
from content.problems import CurriculumError, Location, Problem
from content.pydantic_errors import problems_from_validation
from models.content import Item, ItemSkill, Skill
from models.items import ItemPublic
from models.types import has_nul, utcnow


def to_public(row: Item) -> ItemPublic:
    return ItemPublic(
        id=row.id,
        type=row.kind,
        skills=list(row.definition.get("skills", [])),
        retired=row.retired,
        definition=row.definition,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def items_query(skill: str | None = None, include_retired: bool = True) -> Select[Any]:
    """The bank in curriculum order (what `list_items` reads; page it with api.paging)."""
    query = select(Item).where(PUBLISHED).order_by(col(Item.position), col(Item.id))
    if skill is not None:
        query = query.join(ItemSkill, ItemSkill.item_id == Item.id).where(  # type: ignore[arg-type]
            ItemSkill.skill_id == skill
        )
    if not include_retired:
        query = query.where(col(Item.retired).is_(False))
    return query


def list_items(
    session: Session,
    skill: str | None = None,
    include_retired: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> list[Item]:
    query = items_query(skill, include_retired)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(session.execute(query).scalars())


def get_item(session: Session, item_id: str) -> Item:
    row = None if has_nul(item_id) else session.get(Item, item_id)
    if row is None or _staged(session, item_id):  # an import in progress staged it
        raise NotFound(f"no item {item_id!r}")
    return row


def _staged(session: Session, item_id: str) -> bool:
    found = select(ItemSkill.item_id).where(ItemSkill.item_id == item_id, STAGED_TAG).limit(1)
    return session.execute(found).first() is not None


def _report(problems: list[Problem]) -> dict[str, Any]:
    return {"errors": [p.to_dict() for p in problems]}


def _parse(definition: dict[str, Any], where: str) -> ContentItem:
    if has_nul(definition):
        raise Invalid(_report([Problem(Location(where), "text must not contain NUL characters")]))
    try:
        return ContentItem.model_validate(definition)
    except ValidationError as exc:
        raise Invalid(_report(list(problems_from_validation(exc, Location(where))))) from None


def create_item(session: Session, definition: dict[str, Any]) -> Item:
    item = _parse(definition, "body")
    with write_transaction(session):
        base = current_curriculum(session)
        if base is None:
            raise Invalid(_report([Problem(Location("body"), "import a curriculum first")]))
        try:
            merge_items(base, [item], source="body")
        except CurriculumError as exc:
            raise Invalid(_report(list(exc.problems))) from None
        write_items(session, [(item, len(base.items))])
        row = get_item(session, item.id)
    return row


def update_item(session: Session, item_id: str, definition: dict[str, Any]) -> Item:
    """Replace an item's definition (its id cannot change); the curriculum must stay valid."""
    if definition.get("id", item_id) != item_id:
        raise Invalid(f"id: the body's id {definition.get('id')!r} differs from {item_id!r}")
    item = _parse({**definition, "id": item_id}, "body")
    with write_transaction(session), replay_if_model_changed(session):
        row = get_item(session, item_id)
        data = current_curriculum_data(session)
        assert data is not None
        data["items"] = [
            item.model_dump(mode="json") if d["id"] == item_id else d for d in data["items"]
        ]
        try:
            curriculum_from_data(data, source="database")
        except CurriculumError as exc:
            raise Invalid(_report(list(exc.problems))) from None
        position, retired = row.position, row.retired
        write_items(session, [(item, position)])
        if retired:
            session.execute(update(Item).where(col(Item.id) == item_id).values(retired=True))
        session.refresh(row)
    return row


def set_retired(session: Session, item_id: str, retired: bool) -> Item:
    """Retire (no longer offered or accepted; history kept) or restore an item."""
    with write_transaction(session), replay_if_model_changed(session):
        row = get_item(session, item_id)
        if not retired:
            _check_skills_active(session, row)
        row.retired = retired
        row.updated_at = utcnow()
        session.add(row)
        bump_revision(session, content=True)
    return row


def _check_skills_active(session: Session, row: Item) -> None:
    skills = list(row.definition.get("skills", []))
    active = set(
        session.exec(
            select(Skill.id).where(col(Skill.id).in_(skills), col(Skill.retired).is_(False))
        ).all()
    )
    gone = [s for s in skills if s not in active]
    if gone:
        raise Invalid(f"item {row.id!r} practises skill(s) {gone} no longer in the curriculum")
