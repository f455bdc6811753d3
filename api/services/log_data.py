"""The response log as the engine's `Responses`, for fitting and item statistics.

An answer to an item tagged with several skills counts as one response on each of
them (the usual multi-skill expansion), in log order. `log_responses` reads the
whole log at once; a refit instead streams it skill by skill (`log_plan`,
`LogBlocks`, for engine.fit_stream), holding one skill's rows at a time.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine, text
from sqlalchemy import select as sa_select
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, col

from engine.fit import BKTFitter
from engine.fit_stream import SkillPlan, plan_from_items
from engine.responses import Responses
from models.responses import ResponseLog


def log_responses(session: Session, skills: Collection[str] | None = None) -> Responses | None:
    """All logged responses (optionally only these skills); None when there are none."""
    correct: list[int] = []
    skill: list[str] = []
    student: list[str] = []
    item: list[str] = []
    row: list[int] = []
    wanted = set(skills) if skills is not None else None
    query = sa_select(
        col(ResponseLog.id),
        col(ResponseLog.student_id),
        col(ResponseLog.item_id),
        col(ResponseLog.correct),
        col(ResponseLog.skills),
    ).order_by(col(ResponseLog.id))
    for rid, sid, iid, ok, tagged in session.execute(query.execution_options(yield_per=5_000)):
        for s in tagged:
            if wanted is not None and s not in wanted:
                continue
            correct.append(int(bool(ok)))
            skill.append(s)
            student.append(str(sid))
            item.append(iid)
            row.append(int(rid))
    if not correct:
        return None
    return Responses.from_columns(correct, skill, student, item=item, row=row)


# ---- streamed, skill by skill (the refit's read) ---------------------------------------------

PAGE_ROWS = 5_000  # rows per round trip of a block's server-side cursor


@dataclass(frozen=True)
class LogWindow:
    """Which log rows a streamed read covers: ids up to `upto` (the log's length when the
    job started, so rows appended meanwhile are not half-read), optionally only those
    before `before` (the gate's older part), and only `skills` when given. The code
    tables always come from every row up to `upto`, as `Responses.take` keeps them."""

    upto: int
    before: int | None = None
    skills: tuple[str, ...] | None = None


def _expanded(dialect: str) -> str:
    """FROM clause: one row per (logged answer, tagged skill), as `log_responses` expands."""
    if dialect == "postgresql":
        return "response_log r CROSS JOIN LATERAL jsonb_array_elements_text(r.skills) AS j(value)"
    return "response_log r, json_each(r.skills) j"


def _where(window: LogWindow, counted: bool) -> tuple[str, dict[str, Any]]:
    clauses = ["r.id <= :upto"]
    params: dict[str, Any] = {"upto": window.upto}
    if counted and window.before is not None:
        clauses.append("r.id < :before")
        params["before"] = window.before
    return " AND ".join(clauses), params


def _wanted(window: LogWindow, names: list[str]) -> list[str]:
    return [n for n in names if window.skills is None or n in set(window.skills)]


def log_plan(session: Session, fitter: BKTFitter, window: LogWindow) -> SkillPlan | None:
    """The streamed fit's plan by two aggregate queries (no rows sent): code tables, rows
    and students per skill, the items each skill has rows for. None when there are none."""
    dialect = session.get_bind().dialect.name
    frm = _expanded(dialect)
    where, params = _where(window, counted=False)
    pairs = session.execute(
        text(f"SELECT DISTINCT j.value, r.item_id FROM {frm} WHERE {where}"), params
    ).all()
    skills = tuple(sorted(_wanted(window, sorted({str(s) for s, _ in pairs}))))
    if not skills:
        return None
    wanted = set(skills)
    items = tuple(sorted({str(i) for s, i in pairs if s in wanted}))
    where, params = _where(window, counted=True)
    counts = session.execute(
        text(
            f"SELECT j.value, r.item_id, count(*) "
            f"FROM {frm} WHERE {where} GROUP BY j.value, r.item_id"
        ),
        params,
    ).all()
    students = session.execute(
        text(
            f"SELECT j.value, count(DISTINCT r.student_id) FROM {frm} "
            f"WHERE {where} GROUP BY j.value"
        ),
        params,
    ).all()
    session.rollback()  # end the read transaction: nothing was written
    code = {name: k for k, name in enumerate(skills)}
    item_code = {name: i for i, name in enumerate(items)}
    n_rows = [0] * len(skills)
    n_students = [0] * len(skills)
    skill_items: list[list[int]] = [[] for _ in skills]
    for s, i, n in counts:
        if s in code:
            n_rows[code[s]] += int(n)
            skill_items[code[s]].append(item_code[str(i)])
    for s, n in students:
        if s in code:
            n_students[code[s]] = int(n)
    return plan_from_items(fitter, skills, items, n_rows, n_students, skill_items)


class LogBlocks:
    """`SkillSource` over the database: skill k's rows of the window in (student, id)
    order, only the columns the fit needs, read on a server-side cursor `page` rows per
    round trip, so only the block being built is in memory.

    Two ways to find a skill's rows (`one_pass`, default: unless the database is an
    in-memory SQLite one, whose single connection the session holds):

    * one pass: a single query per pass over the skills, `ORDER BY skill, student, id`
      on a connection of its own (its read transaction stays open for the pass while
      the job's session writes progress; SQLite's WAL lets it read beside the writer);
      the database sorts the expanded log once (PostgreSQL spills to disk past
      `work_mem`) and the blocks are cut as the rows arrive. Skills the fit skips
      (below the minimum, on the refit pass) stream past unkept.
    * per skill: one query per block on the caller's session, its read transaction
      ended after each block. Each query scans the log (no index reaches a skill inside
      the JSON list): the in-memory database's way, and a reference for tests.

    Use as a context manager (or call `close`) to end the one-pass connection early."""

    def __init__(
        self,
        session: Session,
        plan: SkillPlan,
        window: LogWindow,
        page: int = PAGE_ROWS,
        one_pass: bool | None = None,
    ) -> None:
        if page < 1:
            raise ValueError(f"page must be >= 1, got {page}")
        self.session = session
        self.plan = plan
        self.window = window
        self.page = page
        bind = session.get_bind()
        dialect = bind.dialect.name
        self._engine = bind if isinstance(bind, Engine) else bind.engine
        # A second connection exists unless the database is one in-memory SQLite one.
        own_connection = not isinstance(self._engine.pool, StaticPool)
        self.one_pass = own_connection if one_pass is None else one_pass
        self._dialect = dialect
        self._item_code = {name: i for i, name in enumerate(plan.items)}
        self._skill_code = {name: k for k, name in enumerate(plan.skills)}
        self._conn: Connection | None = None
        self._rows: Iterator[Any] | None = None
        self._peek: Any = None
        self._at = -1

    def __enter__(self) -> LogBlocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # rolls back the read transaction
        self._conn = self._rows = self._peek = None
        self._at = -1

    def _arrays(self, rows: Sequence[Any]) -> tuple[NDArray[np.int64], ...]:
        """(id, student id, item code, correct) columns of rows of (id, student, item, ok)."""
        if not rows:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(4))
        ids, students, items, correct = zip(*rows, strict=True)
        return (
            np.asarray(ids, dtype=np.int64),
            np.asarray(students, dtype=np.int64),
            np.asarray([self._item_code[str(i)] for i in items], dtype=np.int64),
            np.asarray([int(bool(c)) for c in correct], dtype=np.int64),
        )

    def pages(self, k: int) -> Iterator[tuple[NDArray[np.int64], ...]]:
        """Skill k's rows by its own query, a page at a time (the per-skill way)."""
        frm = _expanded(self._dialect)
        where, params = _where(self.window, counted=True)
        if self._dialect == "postgresql":  # lets a GIN index on skills, if any, find them
            where += " AND r.skills @> jsonb_build_array(CAST(:skill AS text))"
        query = text(
            f"SELECT r.id, r.student_id, r.item_id, r.correct FROM {frm} "
            f"WHERE {where} AND j.value = :skill ORDER BY r.student_id, r.id"
        )
        result = self.session.execute(
            query.execution_options(yield_per=self.page),
            {**params, "skill": self.plan.skills[k]},
        )
        try:
            for rows in result.partitions(self.page):
                yield self._arrays(rows)
        finally:
            result.close()
            self.session.rollback()

    def _open(self) -> None:
        """Start a pass: the whole window in (skill, student, id) order on its own cursor.
        `COLLATE "C"` (SQLite's default BINARY) orders skills by code point, as Python
        sorts the plan's names."""
        self.close()
        frm = _expanded(self._dialect)
        where, params = _where(self.window, counted=True)
        if self.window.skills is not None:
            names = {f"s{i}": s for i, s in enumerate(self.plan.skills)}
            where += " AND j.value IN (" + ", ".join(f":{n}" for n in names) + ")"
            params = {**params, **names}
        order = 'j.value COLLATE "C"' if self._dialect == "postgresql" else "j.value"
        query = text(
            f"SELECT j.value, r.id, r.student_id, r.item_id, r.correct FROM {frm} "
            f"WHERE {where} ORDER BY {order}, r.student_id, r.id"
        )
        self._conn = self._engine.connect()
        result = self._conn.execute(query.execution_options(yield_per=self.page), params)
        self._rows = iter(result)

    def _one_pass_block(self, k: int) -> tuple[NDArray[np.int64], ...]:
        """Skill k's rows from the pass, turned into arrays a page at a time (only one
        page of database rows is ever held as Python objects)."""
        if self._rows is None or k <= self._at:
            self._open()
        assert self._rows is not None
        self._at = k
        parts: list[tuple[NDArray[np.int64], ...]] = []
        rows: list[Any] = []
        while True:
            row = self._peek if self._peek is not None else next(self._rows, None)
            self._peek = None
            if row is None:
                self.close()
                break
            code = self._skill_code.get(str(row[0]), -1)
            if code > k:
                self._peek = row
                break
            if code == k:
                rows.append(row[1:])
                if len(rows) == self.page:
                    parts.append(self._arrays(rows))
                    rows = []
        parts.append(self._arrays(rows))
        return tuple(np.concatenate(c) for c in zip(*parts, strict=True))

    def block(self, k: int) -> Responses:
        if self.one_pass:
            ids, sid, item, correct = self._one_pass_block(k)
        else:
            parts = list(self.pages(k))
            cols = [np.concatenate(c) for c in zip(*parts, strict=True)] if parts else []
            ids, sid, item, correct = cols or [np.zeros(0, dtype=np.int64)] * 4
        names, student = np.unique(sid.astype(str), return_inverse=True)
        return Responses.from_codes(
            correct.astype(np.int8),
            np.full(ids.shape[0], k, dtype=np.int32),
            self.plan.skills,
            student.ravel().astype(np.int32),
            tuple(str(n) for n in names),
            ids,
            item=(item.astype(np.int32), self.plan.items),
        )


def newest_cutoff(session: Session, window: LogWindow, share: float) -> int | None:
    """The first log id of the newest `share` of the window's answers, as
    `engine.gate.newest_mask` splits a `Responses` (distinct log ids, by id)."""
    frm = _expanded(session.get_bind().dialect.name)
    where, params = _where(window, counted=False)
    skill_filter = ""
    if window.skills is not None:
        names = {f"s{i}": s for i, s in enumerate(window.skills)}
        skill_filter = " AND j.value IN (" + ", ".join(f":{n}" for n in names) + ")"
        params = {**params, **names}
    base = f"SELECT DISTINCT r.id FROM {frm} WHERE {where}{skill_filter}"
    n = session.execute(text(f"SELECT count(*) FROM ({base}) AS ids"), params).scalar_one()
    if n == 0:
        return None
    k = max(1, math.ceil(share * n))
    cutoff = session.execute(
        text(f"{base} ORDER BY r.id DESC LIMIT 1 OFFSET :skip"), {**params, "skip": k - 1}
    ).scalar_one()
    session.rollback()
    return int(cutoff)
