"""Logging in, tokens, and the failed-login limits (429 with Retry-After)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from api.security import create_access_token
from api.services import users
from models.users import Role, UserUpdate
from tests.utils import factories as f


def test_login_returns_a_bearer_token_for_me(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    user = f.make_user(session, runtime, Role.teacher, "tina", full_name="Tina T")
    reply = client.post("/api/auth/token", data={"username": "tina", "password": f.PASSWORD})
    assert reply.status_code == 200
    token = reply.json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 0
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json() == {
        "id": user.id,
        "username": "tina",
        "full_name": "Tina T",
        "role": "teacher",
        "is_active": True,
    }


def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.make_user(session, runtime, Role.student, "sam")
    wrong = client.post("/api/auth/token", data={"username": "sam", "password": "nope-nope"})
    ghost = client.post("/api/auth/token", data={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.json() == ghost.json() == {"detail": "wrong username or password"}


def test_five_failures_lock_the_username_with_retry_after(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.make_user(session, runtime, Role.student, "sam")
    assert [f.login_status(client, "sam", "bad-password") for _ in range(5)] == [401] * 5
    blocked = client.post("/api/auth/token", data={"username": "sam", "password": f.PASSWORD})
    assert blocked.status_code == 429  # even the right password waits
    retry = int(blocked.headers["Retry-After"])
    assert 1 <= retry <= runtime.settings.login_window_seconds
    assert "too many failed logins" in blocked.json()["detail"]
    f.make_user(session, runtime, Role.student, "other")
    assert f.login_status(client, "other", f.PASSWORD) == 200  # other accounts are unaffected


def test_success_clears_the_username_count(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.make_user(session, runtime, Role.student, "sam")
    for _ in range(4):
        f.login_status(client, "sam", "bad-password")
    assert f.login_status(client, "sam", f.PASSWORD) == 200
    assert [f.login_status(client, "sam", "bad-password") for _ in range(4)] == [401] * 4
    assert f.login_status(client, "sam", f.PASSWORD) == 200


def test_many_usernames_from_one_address_hit_the_ip_limit(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    limit = runtime.settings.login_max_failures_per_ip
    codes = [f.login_status(client, f"guess{i}", "bad-password") for i in range(limit)]
    assert codes == [401] * limit
    assert f.login_status(client, "guess-more", "bad-password") == 429


def test_bad_expired_and_stale_tokens_are_401(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    user = f.make_user(session, runtime, Role.student, "sam")
    assert user.id is not None
    headers = f.login(client, "sam")
    assert client.get("/api/me", headers=headers).status_code == 200
    forged = jwt.encode(
        {"sub": str(user.id), "pwf": "x", "exp": datetime.now(UTC) + timedelta(hours=1)},
        "not-our-key-" * 4,
        algorithm="HS256",
    )
    old = create_access_token(
        runtime.signing_key,
        timedelta(minutes=5),
        user.id,
        user.password_hash,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    for token, words in ((forged, "invalid token"), (old, "expired"), ("garbage", "invalid")):
        reply = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401 and words in reply.json()["detail"]
        assert reply.headers["WWW-Authenticate"] == "Bearer"
    users.update_user(session, runtime, user.id, UserUpdate(password="a-new-password-1"))
    reply = client.get("/api/me", headers=headers)
    assert reply.status_code == 401 and "password changed" in reply.json()["detail"]


def test_deactivated_account_cannot_log_in_or_use_its_token(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    user = f.make_user(session, runtime, Role.student, "sam")
    assert user.id is not None
    headers = f.login(client, "sam")
    users.update_user(session, runtime, user.id, UserUpdate(is_active=False))
    assert client.get("/api/me", headers=headers).status_code == 401
    assert f.login_status(client, "sam", f.PASSWORD) == 401


def test_thirty_failures_from_one_address_do_not_lock_out_classmates(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    """A class shares one address: 30 typos and pranks there leave everyone else in."""
    f.make_user(session, runtime, Role.student, "amy")  # never logged in before
    codes = [f.login_status(client, f"guess{i}", "bad-password") for i in range(30)]
    assert codes == [401] * 30
    assert f.login_status(client, "amy", f.PASSWORD) == 200


@pytest.mark.parametrize("sub", [str(2**70), str(2**31), "-1", "0", "abc", "7.0", " 7", ""])
def test_tokens_with_an_impossible_user_id_are_401(
    client: TestClient, session: Session, runtime: Runtime, sub: str
) -> None:
    """Signed by us but naming no possible account: 401 everywhere, never a 500."""
    user = f.make_user(session, runtime, Role.student, "sam")
    f.load_curriculum(session)
    claims = {"sub": sub, "pwf": "x", "gen": 0, "exp": datetime.now(UTC) + timedelta(hours=1)}
    token = jwt.encode(claims, runtime.signing_key, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    assert user.id is not None
    for reply in (
        client.get("/api/me", headers=headers),
        f.answer(client, headers, "eq1", "2/4"),
        client.get("/api/practice/next", headers=headers),
    ):
        assert reply.status_code == 401, reply.text
        assert reply.json()["detail"] == "invalid token"
