"""Platform registrations (admin API) and the tool's keys: JWKS, signing, rotation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.db import write_transaction
from api.runtime import Runtime
from api.services import lti_keys
from models.lti import LtiKey
from models.types import utcnow
from models.users import Role
from tests.utils import factories as f

REGISTRATION: dict[str, Any] = {
    "name": "District Canvas",
    "issuer": "https://canvas.example.edu",
    "client_id": "10000000000001",
    "deployment_ids": ["1:abc", "1:abc", "2:def"],
    "auth_login_url": "https://canvas.example.edu/api/lti/authorize_redirect",
    "auth_token_url": "https://canvas.example.edu/login/oauth2/token",
    "jwks_url": "https://canvas.example.edu/api/lti/security/jwks",
}


def _admin(client: TestClient, session: Session, runtime: Runtime) -> dict[str, str]:
    admin = f.make_user(session, runtime, Role.admin)
    return f.login(client, admin.username)


def test_admin_registers_reads_updates_and_removes_a_platform(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    h = _admin(client, session, runtime)
    made = client.post("/api/lti/platforms", json=REGISTRATION, headers=h)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["deployment_ids"] == ["1:abc", "2:def"]  # duplicates dropped, order kept
    pid = body["id"]
    assert client.get(f"/api/lti/platforms/{pid}", headers=h).json() == body
    assert [p["id"] for p in client.get("/api/lti/platforms", headers=h).json()] == [pid]
    again = client.post("/api/lti/platforms", json=REGISTRATION, headers=h)
    assert again.status_code == 409 and "already registered" in again.json()["detail"]
    changed = client.patch(
        f"/api/lti/platforms/{pid}", json={"deployment_ids": ["3:ghi"]}, headers=h
    )
    assert changed.status_code == 200 and changed.json()["deployment_ids"] == ["3:ghi"]
    assert client.delete(f"/api/lti/platforms/{pid}", headers=h).status_code == 204
    assert client.get(f"/api/lti/platforms/{pid}", headers=h).status_code == 404


def test_bad_registrations_name_the_field(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    h = _admin(client, session, runtime)
    plain_http = REGISTRATION | {"jwks_url": "http://canvas.example.edu/jwks"}
    reply = client.post("/api/lti/platforms", json=plain_http, headers=h)
    assert reply.status_code == 422
    assert "jwks_url" in reply.text and "https://" in reply.text
    no_deployment = REGISTRATION | {"deployment_ids": []}
    reply = client.post("/api/lti/platforms", json=no_deployment, headers=h)
    assert reply.status_code == 422 and "deployment_ids" in reply.text
    assert client.get("/api/lti/platforms", headers=h).json() == []


def test_tool_config_lists_the_urls_to_copy(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    h = _admin(client, session, runtime)
    config = client.get("/api/lti/config", headers=h).json()
    assert config["login_url"] == "http://testserver/lti/login"
    assert config["launch_url"] == "http://testserver/lti/launch"
    assert config["jwks_url"] == "http://testserver/lti/jwks.json"
    kids = [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]]
    assert kids == [config["current_kid"]]


def _verify(client: TestClient, token: str) -> dict[str, Any]:
    """Verify a token the tool signed with the JWKS it publishes (as a platform does)."""
    kid = jwt.get_unverified_header(token)["kid"]
    jwks = client.get("/lti/jwks.json").json()
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="platform")


def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_published(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    h = _admin(client, session, runtime)
    before = lti_keys.sign(session, {"aud": "platform", "n": 1})
    session.commit()  # the tests' in-memory database has one connection: end the read
    old_kid = jwt.get_unverified_header(before)["kid"]
    keys = client.post("/api/lti/keys/rotate", headers=h).json()
    assert [k["current"] for k in keys] == [True, False]
    assert keys[1]["kid"] == old_kid and keys[1]["published_until"] is not None
    after = lti_keys.sign(session, {"aud": "platform", "n": 2})
    session.commit()
    assert jwt.get_unverified_header(after)["kid"] == keys[0]["kid"] != old_kid
    assert _verify(client, before)["n"] == 1  # a token signed before still verifies
    assert _verify(client, after)["n"] == 2
    # After the grace period the retired key is no longer published.
    with write_transaction(session):
        old = session.exec(select(LtiKey).where(LtiKey.kid == old_kid)).one()
        old.retired_at = utcnow() - lti_keys.KEY_GRACE - timedelta(seconds=1)
        session.add(old)
    kids = [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]]
    assert kids == [keys[0]["kid"]]


def test_the_jwks_holds_no_private_part(client: TestClient) -> None:
    (key,) = client.get("/lti/jwks.json").json()["keys"]
    assert {"kty", "n", "e", "kid", "alg", "use"} <= set(key)
    assert not set(key) & {"d", "p", "q", "dp", "dq", "qi"}  # the private exponent and primes
