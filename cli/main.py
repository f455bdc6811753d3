"""Entry point of the `pathways` command; each command group lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="pathways",
    help="Pathways: adaptive practice on Bayesian Knowledge Tracing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Command groups register themselves here (one import per module).
import cli.content  # noqa: E402, F401  (content validate)
from cli import backup as backup_commands  # noqa: E402, F401  (backup, restore)
from cli import db as db_commands  # noqa: E402, F401  (import, refit, replay: service database)
from cli import fit as fit_commands  # noqa: E402, F401  (fit, evaluate, crossvalidate, demo)
from cli import serve as serve_commands  # noqa: E402, F401  (serve)
from cli import users as users_commands  # noqa: E402, F401  (users add, users list)
