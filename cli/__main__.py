"""`python -m cli ...` runs the `pathways` command (e.g. from a fresh interpreter in a
benchmark, without relying on the entry-point script being on PATH)."""

from cli.main import app

app(prog_name="pathways")
