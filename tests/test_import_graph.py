"""Imports point one way and never in a circle.

engine is the base; content may use engine; models may use engine and content; api
sits on all three; cli on everything. No product module imports `benchmarks` (or the
tests). The graph comes from `ast` (`tests/utils/import_graph.py`): function-local imports
count, `if TYPE_CHECKING:` ones do not.
"""

from __future__ import annotations

from pathlib import Path

from tests.utils.import_graph import build_graph, import_cycles, import_problems

ROOT = Path(__file__).resolve().parents[1]

LAYERS: dict[str, tuple[str, ...]] = {
    "engine": (),
    "content": ("engine",),
    "models": ("engine", "content"),
    "api": ("engine", "content", "models"),
    "cli": ("engine", "content", "models", "api"),
    "deploy": ("engine", "content", "models", "api", "cli"),  # tooling (benchmarks use it)
}
BANNED = ("benchmarks", "tests")
# Alembic runs these scripts by file path (`alembic -c models/alembic.ini`); nothing
# imports them, and env.py reads the service's settings when run that way.
SCRIPTS = ("models/migrations",)


def test_product_imports_have_no_cycles_and_follow_the_layers() -> None:
    problems = import_problems(ROOT, LAYERS, BANNED, SCRIPTS)
    assert not problems, "\n".join(problems)


def test_the_checker_reports_a_circle_a_lazy_circle_and_a_banned_import(tmp_path: Path) -> None:
    def write(rel: str, text: str = "") -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    write("lib/__init__.py")
    write("lib/a.py", "from lib.b import thing\n")
    write("lib/b.py", "from . import a\nthing = 1\n")
    write("lib/c.py", "def f():\n    from lib import d\n")  # lazy, still a circle
    write("lib/d.py", "import lib.c\n")
    write("lib/typed.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import lib.e\n")
    write("lib/e.py", "import lib.typed\n")  # no circle: the other half only type-checks
    write("app/__init__.py")
    write("app/run.py", "import json\nfrom benchmarks.datasets import load\nimport lib.a\n")
    write("lib/up.py", "from app import run\n")  # the lower layer reaching up

    problems = import_problems(tmp_path, {"lib": (), "app": ("lib",)}, ("benchmarks",))
    assert problems == [
        "import cycle: lib.a -> lib.b -> lib.a",
        "import cycle: lib.c -> lib.d -> lib.c",
        "forbidden import: app.run -> benchmarks.datasets",
        "forbidden import: lib.up -> app.run",
    ]
    graph = build_graph(tmp_path, ["lib", "app"])
    assert graph["lib.typed"] == {"typing"}
    assert import_cycles({"x": {"y"}, "y": {"z"}, "z": set()}) == []
