"""A OneRoster import run: read, check, sync (or only try), and store its report.

All-or-nothing: the files are read and checked first (`roster_csv`); a roster with
any problem changes nothing. Otherwise the changes are made in one write transaction
(`roster_sync`); a reference that does not resolve, or a dry run, rolls it back, so
a dry run reports exactly what an import would change. Every run's report is
stored (`roster_import`), the applied ones in the same transaction as their changes,
with an audit event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.audit import record
from api.services.errors import NotFound
from api.services.roster_csv import read_roster
from api.services.roster_sync import SyncResult, sync
from models.audit import AuditAction
from models.roster import RosterImport, RosterImportPublic


class _Undo(Exception):
    """Leaves the write transaction by rolling it back (a dry run or unresolved references)."""


def run_import(
    session: Session,
    files: dict[str, bytes],
    source: str,
    *,
    dry_run: bool = False,
    actor_id: int | None = None,
) -> RosterImport:
    """Import (or with `dry_run`, try) a roster; the stored run says what happened.

    `outcome` is `applied`, `dry_run` or `refused` (problems listed; nothing changed).
    """
    roster = read_roster(files)
    result = SyncResult(problems=list(roster.problems))
    if not roster.problems:
        try:
            with write_transaction(session):
                result = sync(session, roster)
                if dry_run or result.problems:
                    raise _Undo()
                run = _run(source, "applied", result, actor_id)
                session.add(run)
                session.flush()
                record(
                    session,
                    AuditAction.roster_import,
                    actor_id,
                    details={"import_id": run.id, **result.summary()},
                )
            return run
        except _Undo:
            pass
    outcome = "refused" if result.problems else "dry_run"
    run = _run(source, outcome, result, actor_id)
    with write_transaction(session):
        session.add(run)
    return run


def _run(source: str, outcome: str, result: SyncResult, actor_id: int | None) -> RosterImport:
    return RosterImport(
        source=source[:255],
        outcome=outcome,
        actor_id=actor_id,
        summary=result.summary(),
        report={
            "changes": [c.to_dict() for c in result.changes],
            "problems": [p.to_dict() | {"text": str(p)} for p in result.problems],
        },
    )


def to_public(run: RosterImport) -> RosterImportPublic:
    assert run.id is not None
    return RosterImportPublic(
        id=run.id,
        created_at=run.created_at,
        actor_id=run.actor_id,
        source=run.source,
        outcome=run.outcome,
        summary=dict(run.summary),
        changes=list(run.report.get("changes", [])),
        problems=list(run.report.get("problems", [])),
    )


def imports_query() -> Select[Any]:
    """Import runs, newest first (page it with api.paging)."""
    return select(RosterImport).order_by(col(RosterImport.id).desc())


def list_imports(session: Session, limit: int = 50, offset: int = 0) -> list[RosterImport]:
    return list(session.execute(imports_query().limit(limit).offset(offset)).scalars())


def get_import(session: Session, import_id: int) -> RosterImport:
    run = session.get(RosterImport, import_id)
    if run is None:
        raise NotFound(f"no roster import {import_id}")
    return run


def summary_line(run: RosterImport) -> str:
    """One line for the command line and the page's heading."""
    summary: dict[str, Any] = run.summary
    if run.outcome == "refused":
        return f"refused: {summary.get('problems', 0)} problems, nothing changed"
    counts = summary.get("counts", {})
    parts = [
        f"{kind} {action} {n}"
        for kind, actions in sorted(counts.items())
        for action, n in sorted(actions.items())
    ]
    verb = "would change" if run.outcome == "dry_run" else "changed"
    return f"{verb} {summary.get('changes', 0)} records" + (
        f" ({', '.join(parts)})" if parts else ""
    )
