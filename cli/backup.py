"""`pathways backup PATH` and `pathways restore PATH`: consistent copies of the service database.

    pathways backup backups/pathways-2025-03-01.db     # while the server runs
    pathways restore backups/pathways-2025-03-01.db    # into an empty database

Copying `pathways.db` while the server runs is not a backup: the newest answers are
still in the write-ahead log beside it (pathways.db-wal), and a copy taken during a
checkpoint can be torn. `backup` uses SQLite's online backup API (sqlite3's
`Connection.backup`): one read transaction, so the copy is the database as of one
moment, every committed answer up to it included, while the server goes on writing.
It is written to PATH.partial, checked (`PRAGMA quick_check`) and renamed, so PATH
is never a half-written file. On PostgreSQL it runs `pg_dump --format=custom`
(one snapshot, likewise consistent).

`restore` copies a backup into the configured database (SQLite: the backup API
again; PostgreSQL: `pg_restore`), then applies any newer migrations. It refuses a
database that already holds data unless `--force` (stop the server first: it keeps
state in memory), and it says what it did. Both exit 2 with one `error:` line on a
problem.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Annotated, Any

import typer

PG_BINDIR_ENV = "PATHWAYS_PG_BINDIR"
COUNTED = (("response_log", "answers"), ("user", "accounts"), ("item", "items"))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _settings() -> Any:
    from cli.runtime import settings_or_exit

    return settings_or_exit()


def _sqlite_path(settings: Any) -> Path | None:
    from api.storage import sqlite_file

    return sqlite_file(settings)


def _counts(db: sqlite3.Connection) -> str:
    found = []
    for table, name in COUNTED:
        try:
            n = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        except sqlite3.Error:
            continue
        found.append(f"{n} {name}")
    return ", ".join(found) or "no pathways tables"


def _schema(db: sqlite3.Connection) -> str | None:
    try:
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


def backup_command(
    path: Annotated[Path, typer.Argument(help="File to write the backup to.")],
    force: Annotated[bool, typer.Option("--force", help="Replace PATH if it exists.")] = False,
) -> None:
    """A consistent copy of the service database, safe while the server runs."""
    settings = _settings()
    if path.exists() and not force:
        raise _fail(f"{path} exists; choose another name or pass --force to replace it")
    began = time.perf_counter()
    database = _sqlite_path(settings)
    if database is None:
        _pg_dump(settings.sqlalchemy_url, path)
        typer.echo(f"backed up the PostgreSQL database to {path} (pg_dump, custom format)")
        return
    if not database.exists():
        raise _fail(f"{database}: no database to back up")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            contextlib.closing(sqlite3.connect(database, timeout=60)) as source,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)  # one step: one read transaction, one moment
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise _fail(f"{partial}: the copy does not check out ({check}); nothing replaced")
            summary, schema = _counts(copy), _schema(copy)
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise _fail(f"backing up {database} to {path} failed: {exc}") from None
    took = time.perf_counter() - began
    typer.echo(
        f"backed up {database} to {path}: {summary} (schema {schema}), "
        f"consistent as of one moment; {took:.1f} s"
    )


def restore_command(
    path: Annotated[Path, typer.Argument(help="A file written by `pathways backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data.")
    ] = False,
) -> None:
    """Copy a backup into the configured database (empty unless --force), then migrate."""
    settings = _settings()
    if not path.is_file():
        raise _fail(f"{path}: no such backup file")
    database = _sqlite_path(settings)
    if database is None:
        _pg_restore(settings.sqlalchemy_url, path, force)
        where = settings.sqlalchemy_url.split("@")[-1]
    else:
        _sqlite_restore(path, database, force)
        where = str(database)
    from cli.runtime import service_runtime

    runtime = service_runtime()  # applies newer migrations, if the backup is older
    try:
        with runtime.engine.connect() as conn:
            counts = []
            for table, name in COUNTED:
                n = conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one()
                counts.append(f"{n} {name}")
            schema = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        runtime.jobs.shutdown()
        runtime.engine.dispose()
    typer.echo(f"restored {path} into {where}: {', '.join(counts)} (schema {schema})")


def _sqlite_restore(path: Path, database: Path, force: bool) -> None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as backup:
            check = backup.execute("PRAGMA quick_check").fetchone()[0]
            schema = _schema(backup)
    except sqlite3.Error as exc:
        raise _fail(f"{path}: not an SQLite backup ({exc})") from None
    if check != "ok" or schema is None:
        raise _fail(f"{path}: not a pathways backup ({check}, schema {schema})")
    if database.exists() and not force and _holds_data(database):
        with contextlib.closing(sqlite3.connect(database, timeout=60)) as target:
            held = _counts(target)
        raise _fail(
            f"{database} already holds data ({held}); stop the server and pass --force "
            "to replace it, or restore into another PATHWAYS_DATA_DIR"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as backup,
            contextlib.closing(sqlite3.connect(database, timeout=60)) as target,
        ):
            backup.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
    except (OSError, sqlite3.Error) as exc:
        raise _fail(f"restoring {path} into {database} failed: {exc}") from None


def _holds_data(database: Path) -> bool:
    with contextlib.closing(sqlite3.connect(database, timeout=60)) as db:
        for table, _ in COUNTED:
            try:
                if db.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                    return True
            except sqlite3.Error:
                continue
    return False


# --------------------------------------------------------------------------------------
# PostgreSQL


def _pg_tool(name: str) -> str:
    override = os.environ.get(PG_BINDIR_ENV)
    candidates = [Path(override) / name] if override else []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for found in candidates:
        if found.is_file() and os.access(found, os.X_OK):
            return str(found)
    raise _fail(f"{name} not found (PATH, {PG_BINDIR_ENV}, /usr/lib/postgresql/*/bin)")


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise _fail(f"{what} failed: {last}")


def _pg_dump(url: str, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    _run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", _libpq(url)],
        "pg_dump",
    )
    os.replace(partial, path)


def _pg_restore(url: str, path: Path, force: bool) -> None:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        tables = inspect(engine).get_table_names()
        held = False
        if tables:
            with engine.connect() as conn:
                held = any(
                    conn.exec_driver_sql(f'SELECT 1 FROM "{t}" LIMIT 1').first() is not None
                    for t, _ in COUNTED
                    if t in tables
                )
    finally:
        engine.dispose()
    if held and not force:
        raise _fail(
            "the database already holds data; stop the server and pass --force to replace "
            "it, or restore into an empty database"
        )
    clean = ["--clean", "--if-exists"] if tables else []
    _run(
        [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", *clean, f"--dbname={_libpq(url)}",
         str(path)],
        "pg_restore",
    )  # fmt: skip
