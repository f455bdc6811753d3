"""`pathways content validate PATH`: check a curriculum YAML file or an item-bank CSV.

Prints a human summary (or, with --json, exactly {"skills", "items",
"prerequisites", "errors"}) on stdout and exits 1 when anything is wrong, so it
can gate content changes in CI. A CSV is checked against --curriculum (default:
the shipped sample curriculum); its counts are the bank's items, the distinct
skills they practise, and 0 prerequisites (a bank declares none).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from content.problems import ValidationReport

# The content checker is imported inside the command: `pathways --help` should not pay for it.
content_app = typer.Typer(help="Curriculum content: validate curricula and item banks.")


def _csv_report(path: Path, curriculum_path: Path) -> ValidationReport:
    from content.csv_items import parse_item_csv
    from content.loader import parse_file
    from content.problems import ValidationReport

    parsed = parse_file(curriculum_path)
    if parsed.problems:
        return ValidationReport(0, 0, 0, tuple(parsed.problems))
    items, problems = parse_item_csv(path, parsed.curriculum())
    skills = {sid for it in items for sid in it.value.skills}
    return ValidationReport(len(skills), len(items), 0, tuple(problems))


def _summary(path: Path, report: ValidationReport) -> str:
    counts = f"{report.skills} skills, {report.items} items, {report.prerequisites} prerequisites"
    if report.ok:
        return f"{path}: OK ({counts})"
    lines = [f"{path}: {len(report.errors)} problem(s) ({counts} read)"]
    lines += [f"  - {p}" for p in report.errors]
    return "\n".join(lines)


@content_app.command("validate")
def validate(
    path: Annotated[Path, typer.Argument(help="A curriculum .yaml/.yml file or an item .csv.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {skills, items, prerequisites, errors}.")
    ] = False,
    curriculum: Annotated[
        Path | None,
        typer.Option(help="Curriculum to check a CSV against (default: the sample)."),
    ] = None,
) -> None:
    """Report every problem with its location; exit 1 if there is any."""
    from content import sample_curriculum_path
    from content.loader import parse_file

    if path.suffix.lower() == ".csv":
        report = _csv_report(path, curriculum or sample_curriculum_path())
    else:
        if curriculum is not None:
            raise typer.BadParameter("--curriculum only applies to a CSV item bank")
        report = parse_file(path).report()
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else _summary(path, report))
    if not report.ok:
        raise typer.Exit(1)
