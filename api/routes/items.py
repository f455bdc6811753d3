"""The item bank (designers, admins): list, read, create, update, retire, statistics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status

from api import paging
from api.deps import DesignerUser, PageDep, SessionDep
from api.services import item_stats, items
from models.items import ItemPublic, ItemStats

router = APIRouter(prefix="/api/items", tags=["items"])

ItemBody = Annotated[
    dict[str, Any],
    Body(
        description="A curriculum item (id, skills, type, prompt, answer, hints, solution, ...)",
        examples=[
            {
                "id": "frac-add-99",
                "skills": ["frac-add"],
                "type": "fraction",
                "prompt": "1/4 + 1/4 = ?",
                "answer": {"value": "1/2"},
            }
        ],
    ),
]


@router.get("", response_model=list[ItemPublic], responses=paging.PAGED_RESPONSES)
def list_items(
    session: SessionDep,
    _user: DesignerUser,
    page: PageDep,
    skill: Annotated[str | None, Query(max_length=100)] = None,
    include_retired: bool = True,
) -> list[ItemPublic]:
    """One page of the bank in curriculum order; the total is in `X-Total-Count`."""
    rows = page.rows(session, items.items_query(skill, include_retired))
    return [items.to_public(i) for i in rows]


@router.post("", response_model=ItemPublic, status_code=status.HTTP_201_CREATED)
def create_item(body: ItemBody, session: SessionDep, _user: DesignerUser) -> ItemPublic:
    """Add an item; validated with the whole curriculum (422 with the problems, else stored)."""
    return items.to_public(items.create_item(session, body))


@router.get("/{item_id}", response_model=ItemPublic)
def get_item(item_id: str, session: SessionDep, _user: DesignerUser) -> ItemPublic:
    return items.to_public(items.get_item(session, item_id))


@router.put("/{item_id}", response_model=ItemPublic)
def update_item(
    item_id: str, body: ItemBody, session: SessionDep, _user: DesignerUser
) -> ItemPublic:
    """Replace the item's definition. Logged answers keep the skills they were credited to."""
    return items.to_public(items.update_item(session, item_id, body))


@router.post("/{item_id}/retire", response_model=ItemPublic)
def retire_item(item_id: str, session: SessionDep, _user: DesignerUser) -> ItemPublic:
    """Stop offering and accepting the item; its history stays."""
    return items.to_public(items.set_retired(session, item_id, True))


@router.post("/{item_id}/restore", response_model=ItemPublic)
def restore_item(item_id: str, session: SessionDep, _user: DesignerUser) -> ItemPublic:
    return items.to_public(items.set_retired(session, item_id, False))


@router.get("/{item_id}/stats", response_model=ItemStats)
def get_item_stats(item_id: str, session: SessionDep, _user: DesignerUser) -> ItemStats:
    """Attempts, share correct, fitted per-item guess/slip and quality flags."""
    return item_stats.item_stats(session, item_id)
