"""The demo classroom as `make run` seeds it: its own refit, through the gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from api.demo import DemoError, seed_demo
from api.main import create_app
from api.runtime import Runtime
from api.services import fits, params
from engine.params import ModelParams
from engine.report import degenerate_skills
from models.content import Item
from models.users import User
from tests.utils.db import make_test_settings


def _runtime(tmp_path: Path) -> Runtime:
    app = create_app(make_test_settings(tmp_path, database_url=None))
    rt: Runtime = app.state.runtime
    return rt


@pytest.mark.slow
def test_the_demos_activated_set_passes_the_gate_and_covers_every_skill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHWAYS_DEMO_PASSWORD", "demo-pass-123")
    runtime = _runtime(tmp_path)
    report = seed_demo(runtime)
    assert any("the gate passed; activated" in s for s in report.steps), report.steps
    with runtime.session() as session:
        snap = runtime.cache.get(session)
        assert snap.param_set_id is not None
        active = ModelParams.from_json_dict(params.get_param_set(session, snap.param_set_id).params)
        with_items = {s for item in snap.items.values() for s in item.skills}
        assert with_items <= set(active.skills), "every skill with items is covered"
        assert degenerate_skills(active, guess_floors=dict(snap.guess_floors)) == {}
        job = fits.to_public(session, fits.get_fit_job(session, 1))
        assert job.gate is not None and job.gate["passed"] is True
        sources = {r["source"] for r in (job.report or {})["skills"]}
        assert "fitted" in sources, "the demo's history is enough to fit some skills"
        [activation] = params.list_activations(session)
        assert activation.passed and activation.override_reason is None
    runtime.engine.dispose()


def test_a_bad_demo_password_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHWAYS_DEMO_PASSWORD", "short")
    runtime = _runtime(tmp_path)
    with pytest.raises(DemoError, match="PATHWAYS_DEMO_PASSWORD"):
        seed_demo(runtime)
    with runtime.session() as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 0
        assert session.exec(select(func.count()).select_from(Item)).one() == 0
    runtime.engine.dispose()
