"""The recommender is blind to subgroups: same answers, same recommendations, and the
modules that feed the model never read enrolment attributes."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.runtime import Runtime
from models.mastery import StudentStateRow
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG

ROOT = Path(__file__).resolve().parents[2]
# What builds or reads the model's input: tracing, replay, the snapshot, recommending,
# fitting and the data a fit reads. None of it may touch enrolments or their attributes.
MODEL_PATH = [
    "api/services/answers.py",
    "api/services/mastery.py",
    "api/services/practice.py",
    "api/services/cache.py",
    "api/services/replay.py",
    "api/services/model_drift.py",
    "api/services/fits.py",
    "api/services/log_data.py",
]
FORBIDDEN = {"attributes", "Enrolment", "models.classes", "student_class"}


def test_students_with_the_same_answers_get_the_same_recommendations_whatever_their_subgroup(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session)
    teacher = f.make_user(session, runtime, Role.teacher)
    twins = [f.make_user(session, runtime, Role.student) for _ in range(4)]
    groups = [{"ell": "yes", "iep": "no"}, {"ell": "no", "iep": "yes"}, {"ell": "yes"}, {}]
    f.make_class(
        session,
        teacher,
        twins,
        attributes={s.id or 0: g for s, g in zip(twins, groups, strict=True)},
    )
    heads = [f.login(client, s.username) for s in twins]
    script = [("eq1", True), ("eq2", False), ("ad1", False), ("eq3", True), ("ad2", True)]
    paths: list[list[object]] = [[] for _ in twins]
    for step, (item, right) in enumerate(script):
        for k, head in enumerate(heads):
            reply = f.answer(client, head, item, RIGHT[item] if right else WRONG[item], f"s{step}")
            assert reply.status_code == 200, reply.text
            body = reply.json()
            nxt = client.get("/api/practice/next", headers=head).json()
            paths[k].append((body["correct"], body["mastery"], body["next"], nxt))
    assert all(p == paths[0] for p in paths[1:])
    mastery = [client.get("/api/students/me/mastery", headers=h).json()["skills"] for h in heads]
    assert all(m == mastery[0] for m in mastery[1:])


def test_the_stored_model_state_holds_no_subgroup(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session)
    teacher = f.make_user(session, runtime, Role.teacher)
    student = f.make_user(session, runtime, Role.student)
    f.make_class(session, teacher, [student], attributes={student.id or 0: {"ell": "marker-ell"}})
    head = f.login(client, student.username)
    assert f.answer(client, head, "eq1", RIGHT["eq1"]).status_code == 200
    row = session.exec(
        select(StudentStateRow).where(StudentStateRow.student_id == student.id)
    ).one()
    assert row.state["student_class"] is None
    assert "marker-ell" not in repr(row.state) and "ell" not in row.state


def _names(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.keyword) and node.arg:
            found.add(node.arg)
    return found


def test_the_modules_that_feed_the_model_never_read_subgroup_attributes() -> None:
    for rel in MODEL_PATH:
        names = _names(ast.parse((ROOT / rel).read_text()))
        assert not (names & FORBIDDEN), f"{rel} uses {sorted(names & FORBIDDEN)}"
    for path in sorted((ROOT / "engine").rglob("*.py")):
        tree = ast.parse(path.read_text())
        imports = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        assert not any(m.startswith(("models", "api")) for m in imports), path


def test_the_checker_sees_a_module_that_reads_attributes() -> None:
    """The static check above can fail: it finds an attribute read in a snippet."""
    snippet = "def f(e):\n    return e.attributes.get('ell')\n"
    assert "attributes" in _names(ast.parse(snippet)) & FORBIDDEN
