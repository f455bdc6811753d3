"""Logging in: password check with failed-attempt limits per username and per client IP.

Failures are rows in `login_failure` so all workers share one count. A blocked
attempt is refused before the password is checked (no oracle, no argon2 cost), and
`retry_after` says when the oldest counted failure leaves the window. A success
clears the username's failures, not the IP's. The IP limit is higher by default
because a whole classroom often shares one address.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.security import create_access_token
from api.services.errors import RateLimited
from models.security import LoginFailure
from models.types import utcnow
from models.users import Token, User

if TYPE_CHECKING:
    from api.runtime import Runtime


class BadCredentials(Exception):
    """Wrong username or password (deliberately not saying which)."""


def _retry_after(session: Session, column: object, value: str, since: datetime) -> int:
    oldest = session.exec(
        select(func.min(LoginFailure.at)).where(column == value, LoginFailure.at >= since)
    ).one()
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest - since).total_seconds()))


def check_rate_limit(session: Session, runtime: Runtime, username: str, ip: str) -> None:
    s = runtime.settings
    now = utcnow()
    since = now - timedelta(seconds=s.login_window_seconds)
    for column, value, limit, what in (
        (LoginFailure.username, username, s.login_max_failures_per_user, "this account"),
        (LoginFailure.ip, ip, s.login_max_failures_per_ip, "your address"),
    ):
        count = session.exec(
            select(func.count()).where(column == value, LoginFailure.at >= since)
        ).one()
        if count >= limit:
            wait = _retry_after(session, column, value, since)
            raise RateLimited(
                f"too many failed logins for {what}; try again in {wait} s", retry_after=wait
            )


def login(session: Session, runtime: Runtime, username: str, password: str, ip: str) -> Token:
    """Check the password and issue a bearer token; raise BadCredentials or RateLimited."""
    if "\x00" in username or "\x00" in password:
        raise BadCredentials()  # no account has such a name or password (not storable)
    check_rate_limit(session, runtime, username, ip)
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        ok = runtime.passwords.verify_nobody(password)
    else:
        ok = user.is_active and runtime.passwords.verify(user.password_hash, password)
    if not ok or user is None or user.id is None:
        with write_transaction(session):
            session.add(LoginFailure(username=username[:200], ip=ip[:64]))
            cutoff = utcnow() - timedelta(seconds=runtime.settings.login_window_seconds * 2)
            session.execute(delete(LoginFailure).where(col(LoginFailure.at) < cutoff))
        raise BadCredentials()
    with write_transaction(session):
        session.execute(delete(LoginFailure).where(col(LoginFailure.username) == username))
    token = create_access_token(runtime.signing_key, runtime.token_ttl, user.id, user.password_hash)
    return Token(access_token=token, expires_in=int(runtime.token_ttl.total_seconds()))
