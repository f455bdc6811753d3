"""OneRoster import at district size: first import, re-import, a broken roster.

    python -m benchmarks.roster_import --json OUT.json [--students 1000] [--classes 40]
        [--per-student 4] [--db sqlite|postgres|both] [--seed 0]

Generates a OneRoster 1.1 CSV roster (one school, a teacher per class, `--students`
students each enrolled in `--per-student` of `--classes` classes, demographics for
every student) and imports it with `api.services.roster_import.run_import` into a
fresh, migrated file SQLite database (and/or a throwaway PostgreSQL cluster). It
measures, in the same run:

* dry_run: the first import tried (the whole sync, rolled back);
* first: the first import applied (target: under 10 s for 1,000 students, 40 classes
  and 4,000 enrolments);
* again: the same roster re-imported (must report zero changes);
* broken: the roster with one bad row at its end (must be refused, and the stored
  accounts, classes and enrolments must be exactly as before);
* peer (bare_insert): the floor: the same users, classes and enrolments written with
  three executemany INSERTs in one transaction into another fresh database, no
  checks, no source ids, no report. `first / bare_insert` is the cost of doing it right.

Exit code 1 if the first import misses the target, the re-import changes anything or
the broken roster changes anything.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text

TARGET_SECONDS = 10.0


def _table(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def synthetic_roster(students: int, classes: int, per_student: int, seed: int) -> dict[str, bytes]:
    """A OneRoster 1.1 roster as {file name: bytes}."""
    rng = random.Random(seed)
    manifest = [
        ["manifest.version", "1.0"],
        ["oneroster.version", "1.1"],
        *[
            [f"file.{name}", "bulk"]
            for name in ("orgs", "users", "classes", "enrollments", "demographics")
        ],
    ]
    users = [
        [f"t{c}", "", "", "true", "o1", "teacher", f"teacher{c}", "", "Teacher", str(c)]
        for c in range(classes)
    ]
    users += [
        [f"s{s}", "", "", "true", "o1", "student", f"student{s:05d}", "", "Student", str(s)]
        for s in range(students)
    ]
    class_rows = [
        [f"c{c}", "", "", f"Math {c % 8 + 1}", "", "", f"P{c}", "scheduled", "", "o1"]
        for c in range(classes)
    ]
    enrolments = [
        [f"et{c}", "", "", f"c{c}", "o1", f"t{c}", "teacher", "true"] for c in range(classes)
    ]
    for s in range(students):
        for c in rng.sample(range(classes), per_student):
            enrolments.append([f"e{s}-{c}", "", "", f"c{c}", "o1", f"s{s}", "student", "false"])
    flags = ("true", "false")
    demographics = [
        [
            f"s{s}",
            "",
            "",
            "",
            rng.choice(("male", "female")),
            *[rng.choice(flags) for _ in range(7)],
        ]
        for s in range(students)
    ]
    return {
        "manifest.csv": _table(["propertyName", "value"], manifest),
        "orgs.csv": _table(
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "name",
                "type",
                "identifier",
                "parentSourcedId",
            ],
            [["o1", "", "", "Benchmark Middle School", "school", "", ""]],
        ),
        "users.csv": _table(
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "enabledUser",
                "orgSourcedIds",
                "role",
                "username",
                "userIds",
                "givenName",
                "familyName",
            ],
            users,
        ),
        "classes.csv": _table(
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "grades",
                "courseSourcedId",
                "classCode",
                "classType",
                "location",
                "schoolSourcedId",
            ],
            class_rows,
        ),
        "enrollments.csv": _table(
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "classSourcedId",
                "schoolSourcedId",
                "userSourcedId",
                "role",
                "primary",
            ],
            enrolments,
        ),
        "demographics.csv": _table(
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "birthDate",
                "sex",
                "americanIndianOrAlaskaNative",
                "asian",
                "blackOrAfricanAmerican",
                "nativeHawaiianOrOtherPacificIslander",
                "white",
                "demographicRaceTwoOrMoreRaces",
                "hispanicOrLatinoEthnicity",
            ],
            demographics,
        ),
    }


@contextmanager
def _database(kind: str, folder: Path, name: str) -> Iterator[Engine]:
    """A fresh migrated database: a file SQLite one, or one on a throwaway cluster."""
    from api.db import make_engine
    from api.settings import load_settings
    from models.migrate import upgrade

    if kind == "sqlite":
        url = None
        server = None
    else:
        from benchmarks.pg_server import PostgresServer

        server = PostgresServer(durable=True).start()
        url = server.create_database(name)
    try:
        settings = load_settings(
            data_dir=folder / name, database_url=url, secret_key="bench-" + "k" * 40
        )
        engine = make_engine(settings)
        upgrade(engine)
        yield engine
        engine.dispose()
    finally:
        if server is not None:
            server.stop()


def _fingerprint(engine: Engine) -> dict[str, Any]:
    from models.classes import Classroom, ClassTeacher, Enrolment
    from models.users import User

    with engine.connect() as conn:
        return {
            "users": conn.execute(select(func.count()).select_from(User)).scalar_one(),
            "active": conn.execute(
                select(func.count()).select_from(User).where(User.is_active.is_(True))  # type: ignore[attr-defined]
            ).scalar_one(),
            "classes": conn.execute(select(func.count()).select_from(Classroom)).scalar_one(),
            "teachers": conn.execute(select(func.count()).select_from(ClassTeacher)).scalar_one(),
            "enrolments": sorted(
                (r[0], r[1], json.dumps(r[2], sort_keys=True))
                for r in conn.execute(
                    select(Enrolment.class_id, Enrolment.student_id, Enrolment.attributes)  # type: ignore[call-overload]
                )
            ),
        }


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _bare_insert(engine: Engine, files: dict[str, bytes]) -> float:
    """The peer: the same rows in three executemany INSERTs, nothing checked."""
    from models.classes import Classroom, Enrolment
    from models.types import utcnow
    from models.users import User

    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(files[name].decode())))

    start = time.perf_counter()
    users, classes, enrolments = rows("users.csv"), rows("classes.csv"), rows("enrollments.csv")
    now = utcnow()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("SELECT 1"))
        conn.execute(
            insert(User),
            [
                {
                    "id": i + 1,
                    "username": u["username"],
                    "full_name": u["givenName"],
                    "role": u["role"],
                    "password_hash": "!",
                    "is_active": True,
                    "created_at": now,
                    "token_generation": 0,
                }
                for i, u in enumerate(users)
            ],
        )
        user_ids = {u["sourcedId"]: i + 1 for i, u in enumerate(users)}
        conn.execute(
            insert(Classroom),
            [
                {"id": i + 1, "name": f"{c['title']} ({c['classCode']})", "created_at": now}
                for i, c in enumerate(classes)
            ],
        )
        class_ids = {c["sourcedId"]: i + 1 for i, c in enumerate(classes)}
        conn.execute(
            insert(Enrolment),
            [
                {
                    "class_id": class_ids[e["classSourcedId"]],
                    "student_id": user_ids[e["userSourcedId"]],
                    "attributes": {},
                }
                for e in enrolments
                if e["role"] == "student"
            ],
        )
    return time.perf_counter() - start


def measure(kind: str, files: dict[str, bytes], folder: Path) -> dict[str, Any]:
    from api.db import new_session
    from api.services.roster_import import run_import

    result: dict[str, Any] = {"db": kind}
    with _database(kind, folder, f"roster_{kind}") as engine, new_session(engine) as session:
        dry, result["dry_run_s"] = _timed(
            lambda: run_import(session, files, "bench.zip", dry_run=True)
        )
        first, result["first_s"] = _timed(lambda: run_import(session, files, "bench.zip"))
        assert first.outcome == "applied", first.report["problems"][:5]
        result["first_changes"] = first.summary["changes"]
        result["dry_run_changes"] = dry.summary["changes"]
        before = _fingerprint(engine)
        again, result["again_s"] = _timed(lambda: run_import(session, files, "bench.zip"))
        result["again_changes"] = again.summary["changes"]
        broken_files = dict(files)
        broken_files["enrollments.csv"] = (
            files["enrollments.csv"] + b"ebad,,,c0,o1,nobody,student,false\r\n"
        )
        broken_files["users.csv"] = files["users.csv"].replace(b",student00007,", b",student 7!,")
        broken, result["broken_s"] = _timed(lambda: run_import(session, broken_files, "bench.zip"))
        result["broken_outcome"] = broken.outcome
        result["broken_problems"] = [p["text"] for p in broken.report["problems"]]
        result["broken_changed_nothing"] = _fingerprint(engine) == before
        result["users"], result["classes"] = before["users"], before["classes"]
        result["enrolments"] = len(before["enrolments"]) + before["teachers"]
    with _database(kind, folder, f"bare_{kind}") as engine:
        result["bare_insert_s"] = _bare_insert(engine, files)
    result["first_vs_bare"] = result["first_s"] / result["bare_insert_s"]
    result["meets_target"] = result["first_s"] < TARGET_SECONDS
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--classes", type=int, default=40)
    parser.add_argument("--per-student", type=int, default=4)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    files = synthetic_roster(args.students, args.classes, args.per_student, args.seed)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    folder = Path(tempfile.mkdtemp(prefix="pathways-roster-bench-"))
    try:
        results = [measure(kind, files, folder) for kind in kinds]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ok = True
    for r in results:
        print(
            f"{r['db']}: {r['users']} users, {r['classes']} classes, {r['enrolments']} enrolments; "
            f"dry run {r['dry_run_s']:.2f} s, first import {r['first_s']:.2f} s "
            f"(target < {TARGET_SECONDS:g} s), re-import {r['again_s']:.2f} s with "
            f"{r['again_changes']} changes, broken roster {r['broken_outcome']} in "
            f"{r['broken_s']:.2f} s (changed nothing: {r['broken_changed_nothing']}); "
            f"bare insert {r['bare_insert_s']:.2f} s, first/bare {r['first_vs_bare']:.1f}x"
        )
        ok &= r["meets_target"] and r["again_changes"] == 0
        ok &= r["broken_outcome"] == "refused" and r["broken_changed_nothing"]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"args": vars(args) | {"json": str(args.json)}, "results": results}, indent=2
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
