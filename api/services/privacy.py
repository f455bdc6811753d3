"""A student's data: export everything stored about them, or purge them on request.

Both find the student's rows through the schema itself: every table with a foreign
key to `user.id` (enrolments, mastery, state, login addresses, roster ids, guardian
links, ... including tables added later), every table keyed to their response-log
rows (the stored replies), the failed logins under their username, and the entries
of stored roster reports that name them.

The purge is the one exception to the append-only log (see `models.audit`): in one
write transaction it records an audit event (the reason and counts, nothing about
the student), writes the permit the database triggers check, deletes, scrubs the
roster reports, deletes the account and removes the permit. Other students' rows
are untouched, so their replay still equals their stored mastery. The parameter
revision moves on, so every process drops the states and memos it kept.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table, delete, func, select, update
from sqlmodel import Session, SQLModel
from sqlmodel import select as sqlmodel_select

from api.db import write_transaction
from api.services.audit import record
from api.services.cache import bump_revision
from api.services.errors import Invalid, NotFound
from models.audit import PURGE_REASON_MIN, AuditAction, PurgePermit, PurgeRequest, PurgeResult
from models.responses import ResponseLog
from models.roster import RosterImport
from models.security import LoginFailure
from models.users import Role, User

HIDDEN_USER_COLUMNS = frozenset({"password_hash", "token_generation"})
SKIPPED_TABLES = frozenset({"user", "response_log", "purge_permit"})


def _references(target: str) -> list[tuple[Table, Column[Any]]]:
    """(table, column) for every foreign key to `target` ("user.id", "response_log.id")."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.target_fullname == target for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _student(session: Session, student_id: int) -> User:
    user = session.get(User, student_id)
    if user is None or user.role != Role.student:
        raise NotFound(f"no student {student_id}")
    return user


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(session: Session, table: Table, where: Any) -> list[dict[str, Any]]:
    result = session.execute(select(table).where(where).order_by(*table.primary_key.columns))
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]


def _mentions(entry: dict[str, Any], needles: tuple[str, ...]) -> bool:
    """Whether a report entry is about the student: their source id, their username
    as the label (or the start of "username in class"), or either quoted in a message."""
    label = str(entry.get("label", ""))
    message = str(entry.get("message", ""))
    for needle in needles:
        if entry.get("sourced_id") == needle or label == needle:
            return True
        if label.startswith(needle + " in ") or repr(needle) in message:
            return True
    return False


def _needles(session: Session, user: User) -> tuple[str, ...]:
    from models.roster import RosterUser

    sourced = session.exec(
        sqlmodel_select(RosterUser.sourced_id).where(RosterUser.user_id == user.id)
    ).first()
    return tuple(n for n in (user.username, sourced) if n)


def export_student(session: Session, student_id: int) -> dict[str, Any]:
    """Everything stored about the student, table by table (no password hash)."""
    user = _student(session, student_id)
    accounts = User.__table__  # type: ignore[attr-defined]
    (row,) = _rows(session, accounts, accounts.c.id == user.id)
    account = {k: v for k, v in row.items() if k not in HIDDEN_USER_COLUMNS}
    tables: dict[str, list[dict[str, Any]]] = {}
    log = ResponseLog.__table__  # type: ignore[attr-defined]
    tables["response_log"] = _rows(session, log, log.c.student_id == student_id)
    response_ids = select(log.c.id).where(log.c.student_id == student_id)
    for table, column in _references("response_log.id"):
        tables.setdefault(table.name, []).extend(_rows(session, table, column.in_(response_ids)))
    for table, column in _references("user.id"):
        if table.name in SKIPPED_TABLES:
            continue
        tables.setdefault(table.name, []).extend(_rows(session, table, column == student_id))
    failures = LoginFailure.__table__  # type: ignore[attr-defined]
    tables["login_failure"] = _rows(session, failures, failures.c.username == user.username)
    needles = _needles(session, user)
    reports = []
    for run in session.execute(select(RosterImport)).scalars():
        for part in ("changes", "problems"):
            for entry in run.report.get(part, []):
                if _mentions(entry, needles):
                    reports.append({"roster_import": run.id, "part": part, **entry})
    tables["roster_import_report"] = reports
    return {
        "student": account,
        "exported_at": datetime.now().astimezone().isoformat(),
        "tables": tables,
    }


def export_zip(export: dict[str, Any]) -> bytes:
    """The export as CSV: a zip holding student.csv and one CSV per table."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("student.csv", _csv([export["student"]]))
        for name, rows in export["tables"].items():
            archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
                for k, v in row.items()
            }
        )
    return out.getvalue()


def record_export(session: Session, actor_id: int | None, fmt: str) -> None:
    """An export is an administrative action too (the event names no student)."""
    with write_transaction(session):
        record(session, AuditAction.export, actor_id, details={"format": fmt})


def check_request(user: User, request: PurgeRequest) -> None:
    """Invalid, naming each field, unless the request is verified and its reason says
    why without naming the student (the audit log keeps no personal data)."""
    problems: dict[str, str] = {}
    if request.confirm_username != user.username:
        problems["confirm_username"] = "type the student's username exactly to confirm"
    reason = request.reason.strip()
    if len(reason) < PURGE_REASON_MIN:
        problems["reason"] = f"say why in at least {PURGE_REASON_MIN} characters"
    else:
        lowered = reason.casefold()
        names = [user.username, *user.full_name.split()] if user.full_name else [user.username]
        if any(len(n) > 1 and n.casefold() in lowered for n in names):
            problems["reason"] = (
                "the reason must not name the student: the audit log keeps no personal data"
            )
    if problems:
        raise Invalid(
            {"errors": [{"location": name, "message": text} for name, text in problems.items()]}
        )


def purge_student(
    session: Session, student_id: int, request: PurgeRequest, actor_id: int | None
) -> PurgeResult:
    """Delete the student and everything stored about them; one audited transaction."""
    with write_transaction(session):
        user = _student(session, student_id)
        check_request(user, request)
        needles = _needles(session, user)
        log = ResponseLog.__table__  # type: ignore[attr-defined]
        response_ids = select(log.c.id).where(log.c.student_id == student_id)
        counts = {
            "responses": session.execute(
                select(func.count()).select_from(log).where(log.c.student_id == student_id)
            ).scalar_one()
        }
        event = record(
            session,
            AuditAction.purge,
            actor_id,
            reason=request.reason.strip(),
            details={"role": "student", **counts},
        )
        assert event.id is not None
        session.add(PurgePermit(student_id=student_id, audit_id=event.id))
        session.flush()
        deleted: dict[str, int] = {}
        for table, column in _references("response_log.id"):
            deleted[table.name] = _count(
                session.execute(delete(table).where(column.in_(response_ids)))
            )
        deleted["response_log"] = _count(
            session.execute(delete(log).where(log.c.student_id == student_id))
        )
        for table, column in reversed(_references("user.id")):
            if table.name in SKIPPED_TABLES:
                continue
            nulls = any(fk.ondelete == "SET NULL" for fk in column.foreign_keys)
            statement = (
                update(table).where(column == student_id).values({column.name: None})
                if nulls and column.nullable
                else delete(table).where(column == student_id)
            )
            n = _count(session.execute(statement))
            deleted[table.name] = deleted.get(table.name, 0) + n
        failures = LoginFailure.__table__  # type: ignore[attr-defined]
        deleted["login_failure"] = _count(
            session.execute(delete(failures).where(failures.c.username == user.username))
        )
        deleted["roster_import_report"] = _scrub_reports(session, needles)
        session.delete(user)
        session.flush()
        session.execute(delete(PurgePermit).where(PurgePermit.student_id == student_id))  # type: ignore[arg-type]
        bump_revision(session, params=True)
    return PurgeResult(audit_id=event.id, deleted={k: v for k, v in deleted.items() if v})


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


def _scrub_reports(session: Session, needles: tuple[str, ...]) -> int:
    """Drop the entries of stored roster reports that name the student."""
    removed = 0
    for run in session.execute(select(RosterImport)).scalars():
        report = dict(run.report)
        changed = False
        for part in ("changes", "problems"):
            entries = report.get(part, [])
            kept = [e for e in entries if not _mentions(e, needles)]
            if len(kept) != len(entries):
                removed += len(entries) - len(kept)
                report[part] = kept
                changed = True
        if changed:
            run.report = report
            session.add(run)
    return removed
