"""The school's calendar day: goals, pace and the family summary count days where the
school is, not in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from api.services import answers, school_time
from api.services.family import recent_practice
from api.settings import SettingsError, load_settings
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, SMALL_CURRICULUM

BOSTON = ZoneInfo("America/New_York")


def test_the_day_is_the_schools() -> None:
    evening = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)  # 20:30 on Dec 1 in Boston
    assert school_time.school_day(evening, UTC) == date(2026, 12, 2)
    assert school_time.school_day(evening, BOSTON) == date(2026, 12, 1)
    naive = datetime(2026, 12, 2, 1, 30)  # as SQLite hands stored times back: UTC
    assert school_time.school_day(naive, BOSTON) == date(2026, 12, 1)
    assert school_time.local(naive, BOSTON).isoformat() == "2026-12-01T20:30:00-05:00"
    assert school_time.today(BOSTON, evening) == date(2026, 12, 1)


def test_an_unknown_zone_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWAYS_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(SettingsError, match=r"PATHWAYS_TIMEZONE: .*unknown time zone"):
        load_settings()
    monkeypatch.setenv("PATHWAYS_TIMEZONE", "America/Sao_Paulo")
    assert load_settings().zone == ZoneInfo("America/Sao_Paulo")


def test_days_practised_are_counted_in_the_schools_zone(
    client: TestClient, session: Session, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    f.load_curriculum(session, SMALL_CURRICULUM)
    child = f.make_user(session, runtime, Role.student)
    headers = f.login(client, child.username)
    afternoon = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 in Boston
    evening = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)  # 20:30 the same day in Boston
    for item, at in (("eq1", afternoon), ("eq2", evening)):
        monkeypatch.setattr(answers, "utcnow", lambda at=at: at)  # the log is append-only
        assert f.answer(client, headers, item, RIGHT[item]).json()["recorded"]
    assert child.id is not None
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    in_utc = recent_practice(session, child.id, {}, now, UTC)
    in_boston = recent_practice(session, child.id, {}, now, BOSTON)
    assert (in_utc.answers, in_utc.days_practised) == (2, 2)
    assert (in_boston.answers, in_boston.days_practised) == (2, 1)
    assert in_boston.last_practised_at is not None
    assert in_boston.last_practised_at.isoformat() == "2026-12-01T20:30:00-05:00"
