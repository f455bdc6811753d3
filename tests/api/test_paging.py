"""Every list is paged: `limit`/`offset`, one page of rows, the total in `X-Total-Count`.

Before, GET /api/items returned the whole bank (100k items: 11 s) and the designer's
item bank page read all of it to show 40. Lists stay JSON arrays (clients that read
one page keep working); `Link` names the next and previous pages.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session

from api.db import write_transaction
from api.pages.session import SESSION_COOKIE
from api.runtime import Runtime
from api.services import content_import, params
from models.content import Item, ItemSkill
from models.types import utcnow
from models.users import Role, User
from tests.utils import factories as f
from tests.utils.curriculum import SMALL_CURRICULUM

BANK = 250


def _bank(n: int, start: int = 0) -> str:
    rows = [f"p{i:06d},add,numeric,{i} + 1,{i + 1}" for i in range(start, start + n)]
    return "item_id,skill_ids,type,prompt,answer\n" + "\n".join(rows) + "\n"


def _all_pages(client: TestClient, url: str, headers: dict[str, str]) -> list[Any]:
    rows: list[Any] = []
    while url:
        reply = client.get(url, headers=headers)
        assert reply.status_code == 200, reply.text
        rows += reply.json()
        found = re.search(r'<([^>]+)>; rel="next"', reply.headers.get("link", ""))
        url = found.group(1) if found else ""
    return rows


def test_items_come_a_page_at_a_time_with_the_total(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session, SMALL_CURRICULUM)
    content_import.import_text(session, _bank(BANK), "bank.csv")
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    first = client.get("/api/items", headers=designer)
    assert first.status_code == 200
    assert len(first.json()) == 100
    assert first.headers["x-total-count"] == str(9 + BANK)
    assert 'rel="next"' in first.headers["link"] and 'rel="prev"' not in first.headers["link"]
    whole = client.get("/api/items?limit=1000", headers=designer).json()
    assert len(whole) == 9 + BANK
    assert _all_pages(client, "/api/items?limit=60", designer) == whole
    tail = client.get("/api/items?limit=50&offset=240", headers=designer)
    assert [i["id"] for i in tail.json()] == [i["id"] for i in whole[240:]]
    assert 'rel="prev"' in tail.headers["link"] and 'rel="next"' not in tail.headers["link"]
    assert client.get("/api/items?skill=mul", headers=designer).headers["x-total-count"] == "3"
    assert client.get("/api/items?limit=1001", headers=designer).status_code == 422
    assert client.get("/api/items?limit=0", headers=designer).status_code == 422


def test_users_classes_students_and_param_sets_are_paged(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session)
    admin = f.make_user(session, runtime, Role.admin)
    teacher = f.make_user(session, runtime, Role.teacher)
    with write_transaction(session):
        session.add_all(
            User(username=f"bulk{n:03d}", role=Role.student, password_hash="x") for n in range(130)
        )
    students = [f.make_user(session, runtime, Role.student) for _ in range(5)]
    for n in range(3):
        f.make_class(session, teacher, students if n == 0 else [], name=f"class-{n}")
    with write_transaction(session):
        for _ in range(4):
            params.store_param_set(session, f.other_params(), source="upload")
    headers = f.login(client, admin.username)

    users = client.get("/api/users", headers=headers)
    assert len(users.json()) == 100 and int(users.headers["x-total-count"]) == 130 + 7
    assert len(_all_pages(client, "/api/users?limit=40", headers)) == 130 + 7
    assert client.get("/api/users?role=teacher", headers=headers).headers["x-total-count"] == "1"

    classes = client.get("/api/classes?limit=2", headers=headers)
    assert [c["name"] for c in classes.json()] == ["class-0", "class-1"]
    assert classes.headers["x-total-count"] == "3"
    assert classes.json()[0]["student_count"] == 5
    assert classes.json()[0]["teacher_ids"] == [teacher.id]
    class_id = classes.json()[0]["id"]

    roster = client.get(f"/api/classes/{class_id}/students?limit=2&offset=4", headers=headers)
    assert len(roster.json()) == 1 and roster.headers["x-total-count"] == "5"

    sets = client.get("/api/params?limit=3", headers=headers)
    assert len(sets.json()) == 3 and sets.headers["x-total-count"] == "4"
    assert [s["id"] for s in sets.json()] == sorted((s["id"] for s in sets.json()), reverse=True)


def _bulk_items(session: Session, n: int) -> None:
    """n valid items straight into the tables (the bank's size, not its validation)."""
    now = utcnow()
    rows = [
        {
            "id": f"bulk{i:06d}",
            "kind": "numeric",
            "position": 100 + i,
            "retired": False,
            "definition": {
                "id": f"bulk{i:06d}",
                "skills": ["add"],
                "type": "numeric",
                "prompt": f"{i} + 1",
                "answer": {"type": "numeric", "value": str(i + 1)},
            },
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    with write_transaction(session):
        session.execute(insert(Item), rows)
        session.execute(
            insert(ItemSkill),
            [{"item_id": r["id"], "skill_id": "add", "position": 0} for r in rows],
        )


@pytest.mark.slow
def test_a_page_of_a_huge_bank_is_quick(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session)
    _bulk_items(session, 100_000)
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    started = time.perf_counter()
    reply = client.get("/api/items", headers=designer)
    took = time.perf_counter() - started
    assert reply.status_code == 200 and len(reply.json()) == 100
    assert reply.headers["x-total-count"] == str(100_009)
    assert took < 3.0, f"GET /api/items took {took:.2f} s"
    started = time.perf_counter()
    client.cookies.set(SESSION_COOKIE, designer["Authorization"].removeprefix("Bearer "))
    page = client.get("/designer?page=3")
    took = time.perf_counter() - started
    assert page.status_code == 200 and "Page 3 of" in page.text
    assert took < 6.0, f"/designer took {took:.2f} s"
