from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from content.graph import skill_graph


def test_importing_graph_does_not_pull_in_pydantic() -> None:
    code = "import sys, content.graph; print('pydantic' in sys.modules, 'yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_skill_graph_from_plain_mappings() -> None:
    skills = [{"id": "a"}, {"id": "b", "requires": ["a"]}, {"id": "c", "requires": ["a", "b"]}]
    assert skill_graph(skills) == (["a", "b", "c"], [("a", "b"), ("a", "c"), ("b", "c")])


def test_skill_graph_from_objects_with_id_and_requires() -> None:
    skills = [SimpleNamespace(id="x", requires=()), SimpleNamespace(id="y", requires=("x",))]
    assert skill_graph(skills) == (["x", "y"], [("x", "y")])
