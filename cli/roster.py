"""`pathways roster import FOLDER_OR_ZIP [--dry-run]`: a OneRoster 1.1 CSV roster.

    pathways roster import oneroster.zip --dry-run   # what would change; nothing does
    pathways roster import oneroster/                # apply; every problem or nothing

Exit code 0 when the roster was imported (or tried, with --dry-run), 1 when it was
refused (each problem printed with its file, row and column; nothing changed), 2 for
a path that cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.runtime import service_runtime

roster_app = typer.Typer(help="OneRoster 1.1 CSV rosters: import.", no_args_is_help=True)


@roster_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A OneRoster folder or .zip with manifest.csv.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The stored report as JSON.")] = False,
) -> None:
    """Import schools, students, teachers, classes, enrolments and demographics."""
    from api.services import roster_import
    from api.services.errors import Invalid
    from api.services.roster_files import from_path

    runtime = service_runtime()
    try:
        files = from_path(path, runtime.settings.max_import_bytes)
    except (Invalid, OSError) as exc:
        typer.echo(f"error: {getattr(exc, 'detail', exc)}", err=True)
        raise typer.Exit(2) from None
    with runtime.session() as session:
        run = roster_import.run_import(session, files, path.name or str(path), dry_run=dry_run)
        public = roster_import.to_public(run)
    if as_json:
        typer.echo(json.dumps(public.model_dump(mode="json"), indent=2))
    else:
        typer.echo(f"roster import {public.id}: {roster_import.summary_line(run)}")
        for change in public.changes:
            where = f"{change['file']} row {change['row']}" if change["row"] else change["file"]
            what = f" ({', '.join(change['fields'])})" if change["fields"] else ""
            typer.echo(f"  {change['action']:<11} {change['label']}{what}  [{where}]")
        for kind, n in public.summary.get("skipped", {}).items():
            typer.echo(f"  skipped {n} {kind}")
    for problem in public.problems:
        typer.echo(f"error: {problem['text']}", err=True)
    if public.outcome == "refused":
        raise typer.Exit(1)
