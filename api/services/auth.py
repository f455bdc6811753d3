"""Logging in and out: failed-attempt limits per account and per address, checked
atomically before the password; session revocation.

The rule (see README, "Failed logins"):

- **per account**: `LOGIN_MAX_FAILURES_PER_USER` (5) failures within
  `LOGIN_WINDOW_SECONDS` (300) lock the username until the oldest leaves the window;
  a teacher of the student's class (or an admin) can clear the lock at once;
- **per address**: `LOGIN_MAX_FAILURES_PER_IP` (100) failures from one address within
  `LOGIN_IP_WINDOW_SECONDS` (60) make further attempts from it wait until the window
  moves on: a short backoff, not a lock. A classroom shares one address (a school
  NAT), so the limit is far above one student's typos (their own account locks after
  5), and accounts that logged in from the address before (within
  `LOGIN_KNOWN_ADDRESS_DAYS`) are not held back by it at all: a prank on made-up
  names cannot keep a class out.

Attempts are rows in `login_failure` so all workers share one count, and the row is
written *before* the password is checked, in one serialised transaction with the
count (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL): concurrent guesses
cannot all slip under the limit. A refused attempt costs no password check and
reveals nothing; a success removes the account's rows. Password checks then run
through the process's `PasswordCheckGate`, which bounds how many run at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from anyio import to_thread
from sqlalchemy import delete, func, text, update
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.security import create_access_token
from api.services.errors import Busy, RateLimited
from api.services.upsert import upsert
from models.security import LoginAddress, LoginFailure, LoginLock
from models.types import utcnow
from models.users import Token, User

if TYPE_CHECKING:
    from api.runtime import Runtime

_PG_LOGIN_LOCK = 7_041_978  # arbitrary, constant: "pathways login counts"
_USER = User.__table__  # type: ignore[attr-defined]
_ADDRESSES = LoginAddress.__table__  # type: ignore[attr-defined]


class BadCredentials(Exception):
    """Wrong username or password (deliberately not saying which)."""


@dataclass(frozen=True)
class Attempt:
    """A login attempt that has been counted (its row written) and may be checked."""

    row_id: int
    username: str
    user_id: int | None
    password_hash: str | None
    active: bool


def _retry_after(session: Session, column: Any, value: str, since: datetime, now: datetime) -> int:
    """Seconds until the oldest counted failure leaves the window that began at `since`."""
    oldest = session.exec(
        select(func.min(LoginFailure.at)).where(column == value, LoginFailure.at >= since)
    ).one()
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest - since).total_seconds()))


def _failures(session: Session, column: Any, value: str, since: datetime) -> int:
    return int(
        session.exec(select(func.count()).where(column == value, LoginFailure.at >= since)).one()
    )


def _known_here(session: Session, runtime: Runtime, user_id: int | None, ip: str) -> bool:
    days = runtime.settings.login_known_address_days
    if user_id is None or days == 0:
        return False
    since = utcnow() - timedelta(days=days)
    found = session.exec(
        select(LoginAddress.user_id).where(
            LoginAddress.user_id == user_id,
            LoginAddress.ip == ip,
            col(LoginAddress.last_login_at) >= since,
        )
    ).first()
    return found is not None


def _serialise(session: Session) -> None:
    """Count-then-insert must not interleave with another login's (SQLite: BEGIN
    IMMEDIATE already serialises writers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOGIN_LOCK})


def reserve_attempt(session: Session, runtime: Runtime, username: str, ip: str) -> Attempt:
    """Count the attempt (or refuse it with RateLimited) in one serialised transaction."""
    s = runtime.settings
    username, ip = username[:200], ip[:64]
    with write_transaction(session):
        _serialise(session)
        now = utcnow()
        row = session.execute(
            select(_USER.c.id, _USER.c.password_hash, _USER.c.is_active).where(
                _USER.c.username == username
            )
        ).first()
        user_id = None if row is None else int(row[0])
        since = now - timedelta(seconds=s.login_window_seconds)
        if _failures(session, LoginFailure.username, username, since) >= (
            s.login_max_failures_per_user
        ):
            wait = _retry_after(session, LoginFailure.username, username, since, now)
            raise RateLimited(
                f"too many failed logins for this account; try again in {wait} s or ask "
                "your teacher to unlock it",
                retry_after=wait,
            )
        if not _known_here(session, runtime, user_id, ip):
            ip_since = now - timedelta(seconds=s.login_ip_window_seconds)
            if _failures(session, LoginFailure.ip, ip, ip_since) >= s.login_max_failures_per_ip:
                wait = _retry_after(session, LoginFailure.ip, ip, ip_since, now)
                raise RateLimited(
                    f"too many failed logins from your address; try again in {wait} s",
                    retry_after=wait,
                )
        cutoff = now - timedelta(seconds=2 * max(s.login_window_seconds, s.login_ip_window_seconds))
        session.execute(delete(LoginFailure).where(col(LoginFailure.at) < cutoff))
        attempt = LoginFailure(username=username, ip=ip, at=now)
        session.add(attempt)
        session.flush()
        assert attempt.id is not None
    return Attempt(
        row_id=attempt.id,
        username=username,
        user_id=user_id,
        password_hash=None if row is None else str(row[1]),
        active=bool(row is not None and row[2]),
    )


def release_attempt(session: Session, attempt: Attempt) -> None:
    """Uncount an attempt that was never checked (the server was too busy)."""
    with write_transaction(session):
        session.execute(delete(LoginFailure).where(col(LoginFailure.id) == attempt.row_id))


def check_password(runtime: Runtime, attempt: Attempt, password: str) -> bool:
    """The argon2 check (slow, memory-hungry: run it through the gate)."""
    if attempt.password_hash is None:
        return runtime.passwords.verify_nobody(password)
    return attempt.active and runtime.passwords.verify(attempt.password_hash, password)


def complete_login(session: Session, runtime: Runtime, attempt: Attempt, ip: str) -> Token:
    """After a right password: clear the account's failures, remember the address, and
    issue a token for the account's current session generation."""
    assert attempt.user_id is not None
    now = utcnow()
    with write_transaction(session):
        session.execute(delete(LoginFailure).where(col(LoginFailure.username) == attempt.username))
        keep = now - timedelta(days=max(1, runtime.settings.login_known_address_days))
        session.execute(
            delete(LoginAddress).where(
                col(LoginAddress.user_id) == attempt.user_id, col(LoginAddress.last_login_at) < keep
            )
        )
        upsert(
            session,
            _ADDRESSES,
            [{"user_id": attempt.user_id, "ip": ip[:64], "last_login_at": now}],
            keys=("user_id", "ip"),
        )
        password_hash, generation = session.execute(
            select(_USER.c.password_hash, _USER.c.token_generation).where(
                _USER.c.id == attempt.user_id
            )
        ).one()
    token = create_access_token(
        runtime.signing_key,
        runtime.token_ttl,
        attempt.user_id,
        password_hash,
        generation=generation,
    )
    return Token(access_token=token, expires_in=int(runtime.token_ttl.total_seconds()))


async def login(session: Session, runtime: Runtime, username: str, password: str, ip: str) -> Token:
    """Check the password and issue a bearer token; raise BadCredentials, RateLimited
    (429: too many failures) or Busy (503: too many checks at once)."""
    if "\x00" in username or "\x00" in password:
        raise BadCredentials()  # no account has such a name or password (not storable)
    attempt = await to_thread.run_sync(reserve_attempt, session, runtime, username, ip)
    try:
        ok = await runtime.login_gate.run(check_password, runtime, attempt, password)
    except Busy:
        await to_thread.run_sync(release_attempt, session, attempt)
        raise
    if not ok or attempt.user_id is None:
        raise BadCredentials()  # the attempt's row stays: it is now a counted failure
    return await to_thread.run_sync(complete_login, session, runtime, attempt, ip)


def end_sessions(session: Session, user_id: int) -> None:
    """Log out: every token issued to the account so far stops working, everywhere."""
    with write_transaction(session):
        session.execute(
            update(_USER)
            .where(_USER.c.id == user_id)
            .values(token_generation=_USER.c.token_generation + 1)
        )


def login_lock(session: Session, runtime: Runtime, username: str) -> LoginLock:
    """The account's failed-login state (for its teacher)."""
    s = runtime.settings
    now = utcnow()
    since = now - timedelta(seconds=s.login_window_seconds)
    failures = _failures(session, LoginFailure.username, username, since)
    locked = failures >= s.login_max_failures_per_user
    wait = _retry_after(session, LoginFailure.username, username, since, now) if locked else 0
    session.commit()  # end the read transaction
    return LoginLock(locked=locked, failures=failures, retry_after=wait)


def clear_login_lock(session: Session, username: str) -> None:
    """Forget the account's failed logins: it may log in again at once."""
    with write_transaction(session):
        session.execute(delete(LoginFailure).where(col(LoginFailure.username) == username))
