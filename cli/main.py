"""Entry point of the `pathways` command: the app, and which function serves each command.

Each command group lives in its own module; they import only typer and the standard
library at the top and the rest (engine, content, api) inside the command functions,
so `pathways --help` and every command start without loading what they do not use.
Imports run one way: this module imports the command modules, never the reverse
(what several commands share is in `cli.runtime`, `cli.progress`, `cli.datasets`).
"""

from __future__ import annotations

import typer

from cli import backup, db, fit, roster, serve, users
from cli import content as content_commands

# Plain (click) help and error layout: rich's would add about 0.2 s (rich, markdown-it)
# to every `--help` and usage error, more than all the rest of the start-up together.
app = typer.Typer(
    name="pathways",
    help="Pathways: adaptive practice on Bayesian Knowledge Tracing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},
)

# Registration order is the order `pathways --help` lists the commands in.
app.command("backup")(backup.backup_command)
app.command("restore")(backup.restore_command)
app.command("serve")(serve.serve_command)
app.command("import")(db.import_command)  # import, refit, replay: the service database
app.command("refit")(db.refit_command)
app.command("replay")(db.replay_command)
app.command("fit")(fit.fit_command)  # fit, evaluate, crossvalidate, demo: data files
app.command("evaluate")(fit.evaluate_command)
app.command("crossvalidate")(fit.crossvalidate_command)
app.command("demo")(fit.demo_command)
app.add_typer(content_commands.content_app, name="content")  # content validate
app.add_typer(users.users_app, name="users")  # users add, users list
app.add_typer(roster.roster_app, name="roster")  # roster import
