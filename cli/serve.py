"""`pathways serve`: the classroom web service (uvicorn) on the data directory.

The database is SQLite at $PATHWAYS_DATA_DIR/pathways.db (default ./.pathways) unless
DATABASE_URL names another; migrations run at start-up. `--workers N` runs N server
processes (one per core uses the machine; SQLite writers queue across them).
`--demo` first seeds a demo classroom (api.demo, idempotent) and prints its logins.
The CLI's other database commands (`users`, `import`, `refit`, `replay`) may run
while the server is up.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.runtime import settings_or_exit

if TYPE_CHECKING:
    from api.settings import Settings


def check_port(host: str, port: int) -> None:
    """Exit with code 2 and one line if the address cannot be served (e.g. a port in
    use), before anything is set up. SO_REUSEADDR as uvicorn: TIME_WAIT is no obstacle."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = (
                "the port is already in use (another server, or workers of one that was killed?)"
                if exc.errno == errno.EADDRINUSE
                else exc.strerror or str(exc)
            )
            typer.echo(f"error: cannot serve on {host}:{port}: {why}", err=True)
            raise typer.Exit(2) from None


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed a demo classroom first and print its logins.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes (about one per core); they share the database.",
        ),
    ] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Run the web service (API docs at /docs)."""
    import uvicorn

    from api.lifecycle import PARENT_ENV
    from api.main import create_app
    from api.settings import SettingsError

    os.umask(0o077)  # whatever the server writes (database, WAL, keys) is the owner's alone
    settings = settings_or_exit()
    check_port(host, port)
    try:
        application = create_app(settings)
    except SettingsError as exc:  # e.g. a read-only data directory, named
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if demo:
        from api.demo import DemoError, seed_demo

        typer.echo("seeding the demo classroom (first run takes a little while) ...", err=True)
        try:
            report = seed_demo(application.state.runtime)
        except DemoError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        for step in report.steps:
            typer.echo(f"  {step}", err=True)
        typer.echo("demo logins:")
        for name, role in report.logins:
            typer.echo(f"  {name:<24} {role}")
        # Service output usually ends up in a log: say where the password is kept, and
        # show it only to someone at a terminal.
        if stdout_is_terminal():
            typer.echo(f"  password: {report.password}  ({report.password_note})")
        else:
            typer.echo(f"  password: {password_source(report.password_note)}")
    where = settings.sqlalchemy_url.split("@")[-1]
    typer.echo(f"database: {where}", err=True)
    typer.echo(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", err=True)
    options = uvicorn_options(settings)
    if workers == 1:
        uvicorn.run(
            application, host=host, port=port, log_level="info", access_log=access_log, **options
        )
        return
    # Each worker process builds its own app from the environment (migrations are
    # already applied by the one above, so theirs are no-ops).
    application.state.runtime.engine.dispose()
    os.environ[PARENT_ENV] = str(os.getpid())  # the workers end with us (api.lifecycle)
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        **options,
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Forwarded headers only from PATHWAYS_TRUSTED_PROXIES (uvicorn alone would trust
    127.0.0.1, so a proxy passing X-Forwarded-For through would let a client choose
    its own address), and no `server: uvicorn` banner."""
    trusted = settings.trusted_proxies
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
        "server_header": False,
    }


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def password_source(note: str) -> str:
    """Where the demo password comes from, without the password ("kept in FILE")."""
    if "PATHWAYS_DEMO_PASSWORD" in note:
        return "from PATHWAYS_DEMO_PASSWORD"
    if " kept in " in note:
        return "kept in " + note.split(" kept in ", 1)[1]
    return note
