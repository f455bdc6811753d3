"""The school's calendar: which day "today" is, in the school's time zone.

Answers are stored with UTC times (SQLite hands them back without a zone). Goals have
target days and families are told on how many days their child practised; both mean
days where the school is, not in UTC, or a class answering in the evening in Boston
would already count as tomorrow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo


def aware(at: datetime) -> datetime:
    """A stored time with its zone: naive values are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def local(at: datetime, zone: tzinfo) -> datetime:
    return aware(at).astimezone(zone)


def school_day(at: datetime, zone: tzinfo) -> date:
    """The calendar day at the school at moment `at`."""
    return local(at, zone).date()


def today(zone: tzinfo, now: datetime | None = None) -> date:
    return school_day(now or datetime.now(UTC), zone)
