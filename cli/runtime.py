"""The service's settings and runtime for the commands that work on its database
(`users`, `import`, `refit`, `replay`, `backup`, `restore`, `serve`).

Shared here so that those command modules need not import one another. The api is
imported inside the functions: it is heavy, and `pathways --help` should not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from api.runtime import Runtime
    from api.settings import Settings


def settings_or_exit() -> Settings:
    """Settings from the environment; a bad value ends with its message and exit code 2."""
    from api.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def service_runtime() -> Runtime:
    """The service's runtime for a CLI command, on a migrated database."""
    from api.runtime import Runtime
    from api.settings import SettingsError
    from models.migrate import upgrade

    try:
        runtime = Runtime.create(settings_or_exit())
    except SettingsError as exc:  # e.g. a read-only data directory, named
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    upgrade(runtime.engine)
    return runtime
