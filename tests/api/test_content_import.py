"""Content import: a curriculum YAML or an item CSV, all-or-nothing, with the report."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.runtime import Runtime
from api.services.cache import read_revision
from models.content import Item, Skill
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import BAD_ITEM_CSV, ITEM_CSV, SMALL_CURRICULUM
from tests.utils.queries import count


def _designer(client: TestClient, session: Session, runtime: Runtime) -> dict[str, str]:
    return f.login(client, f.make_user(session, runtime, Role.designer).username)


def _upload(client: TestClient, headers: dict[str, str], name: str, text: str) -> object:
    return client.post(
        "/api/content/import", files={"file": (name, text, "text/plain")}, headers=headers
    )


def test_curriculum_import_reports_counts(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _designer(client, session, runtime)
    reply = _upload(client, headers, "c.yaml", SMALL_CURRICULUM)
    assert reply.status_code == 200  # type: ignore[attr-defined]
    body = reply.json()  # type: ignore[attr-defined]
    assert (body["kind"], body["skills"], body["items"], body["prerequisites"]) == (
        "curriculum",
        3,
        9,
        2,
    )
    assert body["errors"] == [] and len(body["added"]) == 9
    assert count(engine, Item) == 9 and count(engine, Skill) == 3


def test_broken_curriculum_is_422_with_every_problem_and_writes_nothing(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _designer(client, session, runtime)
    broken = SMALL_CURRICULUM.replace("requires: [equiv]", "requires: [nosuch]").replace(
        'answer: {value: "1/4"}', "answer: {value: banana}"
    )
    before = read_revision(session)
    session.rollback()
    reply = _upload(client, headers, "c.yaml", broken)
    assert reply.status_code == 422  # type: ignore[attr-defined]
    report = reply.json()["report"]  # type: ignore[attr-defined]
    messages = " ".join(e["message"] for e in report["errors"])
    assert len(report["errors"]) >= 2 and "nosuch" in messages
    assert all(e["location"].startswith("c.yaml") for e in report["errors"])
    assert count(engine, Item) == 0 and count(engine, Skill) == 0
    assert read_revision(session) == before


def test_item_csv_adds_items_and_a_bad_row_rejects_the_whole_file(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _designer(client, session, runtime)
    no_curriculum = _upload(client, headers, "bank.csv", ITEM_CSV)
    assert no_curriculum.status_code == 422  # type: ignore[attr-defined]
    assert "import a curriculum" in no_curriculum.text  # type: ignore[attr-defined]
    _upload(client, headers, "c.yaml", SMALL_CURRICULUM)
    bad = _upload(client, headers, "bank.csv", BAD_ITEM_CSV)
    assert bad.status_code == 422  # type: ignore[attr-defined]
    [problem] = bad.json()["report"]["errors"]  # type: ignore[attr-defined]
    assert "row 3" in bad.json()["detail"]  # type: ignore[attr-defined]
    assert "row 3" in problem["location"] and "nosuchskill" in problem["message"]
    assert count(engine, Item) == 9  # csv3 (a good row) was not stored either
    good = _upload(client, headers, "bank.csv", ITEM_CSV)
    assert good.status_code == 200  # type: ignore[attr-defined]
    assert good.json()["added"] == ["csv1", "csv2"]  # type: ignore[attr-defined]
    assert count(engine, Item) == 11
    again = _upload(client, headers, "bank.csv", ITEM_CSV)  # ids taken now
    assert again.status_code == 422  # type: ignore[attr-defined]
    assert count(engine, Item) == 11


def test_reimport_retires_dropped_items_and_keeps_history(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    headers = _designer(client, session, runtime)
    _upload(client, headers, "c.yaml", SMALL_CURRICULUM)
    student = f.login(client, f.make_user(session, runtime, Role.student).username)
    assert f.answer(client, student, "mu2", "2").json()["recorded"]
    lines = SMALL_CURRICULUM.splitlines(keepends=True)
    without_mu2 = "".join(line for line in lines if "id: mu2" not in line)
    reply = _upload(client, headers, "c.yaml", without_mu2)
    assert reply.json()["retired"] == ["mu2"]  # type: ignore[attr-defined]
    assert session.exec(select(Item.retired).where(Item.id == "mu2")).one()
    session.rollback()  # the in-memory database has one connection: end our read
    refused = f.answer(client, student, "mu2", "2")
    assert refused.status_code == 422 and "retired" in refused.text


def test_a_one_line_upload_is_content_not_a_server_path(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    headers = _designer(client, session, runtime)
    _upload(client, headers, "c.yaml", SMALL_CURRICULUM)
    reply = _upload(client, headers, "bank.csv", "/etc/passwd")
    assert reply.status_code == 422  # type: ignore[attr-defined]
    assert "root:" not in reply.text  # type: ignore[attr-defined]
