"""The LTI tool's private keys sealed at rest: key_vault's seal/unseal, the rows lti_keys
writes (no PEM in the database), the lazy sealing of rows from before, and a wrong KEK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import Engine, text
from sqlmodel import Session

from api.db import new_session, write_transaction
from api.runtime import Runtime
from api.services import key_vault, lti_keys
from models.lti import LtiKey
from models.types import utcnow
from tests.utils.db import make_test_settings, migrated_engine
from tests.utils.lti_world import LtiWorld, form_fields, launch, lti_world

KEK = Fernet.generate_key().decode()
OTHER_KEK = Fernet.generate_key().decode()


# -- key_vault: pure functions ----------------------------------------------------------


def test_seal_and_unseal_round_trip() -> None:
    secret = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n"
    sealed = key_vault.seal(secret, KEK)
    assert sealed.startswith("fernet:v1:") and "PRIVATE KEY" not in sealed
    assert key_vault.is_sealed(sealed) and not key_vault.is_legacy(sealed)
    assert key_vault.unseal(sealed, KEK) == secret
    assert key_vault.seal(secret, KEK) != sealed  # a fresh IV every time
    assert key_vault.unseal(key_vault.seal("é ünïcode", KEK), KEK) == "é ünïcode"


def test_a_legacy_plain_pem_comes_back_as_it_is() -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    assert key_vault.is_legacy(pem) and not key_vault.is_sealed(pem)
    assert key_vault.unseal(pem, KEK) == pem


def test_another_kek_or_an_altered_value_is_an_unseal_error() -> None:
    sealed = key_vault.seal("secret", KEK)
    with pytest.raises(key_vault.UnsealError, match="another key-encryption key"):
        key_vault.unseal(sealed, OTHER_KEK)
    with pytest.raises(key_vault.UnsealError, match="another key-encryption key"):
        key_vault.unseal(sealed[:-6] + "AAAAAA", KEK)
    with pytest.raises(key_vault.UnsealError, match="neither sealed"):
        key_vault.unseal("fernet:v2:whatever", KEK)


def test_a_kek_must_be_a_fernet_key() -> None:
    key_vault.fernet_of(KEK)
    for bad in ("", "short", "k" * 44, KEK[:-2]):
        with pytest.raises(ValueError, match="not a Fernet key"):
            key_vault.fernet_of(bad)
    with pytest.raises(ValueError, match="not a Fernet key"):
        key_vault.seal("secret", "not a key")


# -- lti_keys on a database -------------------------------------------------------------


def _raw_rows(session: Session) -> dict[str, str]:
    """kid -> the private_pem column as stored (no ORM in between)."""
    rows = session.execute(text("SELECT kid, private_pem FROM lti_key")).all()
    session.commit()  # the tests' in-memory database has one connection: end the read
    return {str(kid): str(stored) for kid, stored in rows}


def _verify(token: str, jwk: dict[str, Any]) -> dict[str, Any]:
    key = jwt.PyJWK(jwk)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="platform")


def _plain_key(kid: str, retired: bool = False) -> tuple[LtiKey, str]:
    """A row as written before sealing: the PEM in plain text."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk: dict[str, Any] = dict(RSAAlgorithm.to_jwk(private.public_key(), as_dict=True))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    row = LtiKey(kid=kid, private_pem=pem, public_jwk=jwk, retired_at=utcnow() if retired else None)
    return row, pem


def test_a_new_key_is_stored_sealed_and_still_signs(session: Session, runtime: Runtime) -> None:
    key = lti_keys.current_key(session)
    session.commit()
    stored = _raw_rows(session)[key.kid]
    assert "PRIVATE KEY" not in stored and "-----BEGIN" not in stored
    assert stored.startswith("fernet:v1:")
    pem = key_vault.unseal(stored, runtime.settings.sealing_key())
    assert "PRIVATE KEY" in pem
    token = lti_keys.sign(session, {"aud": "platform", "n": 1})
    session.commit()
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    (published,) = lti_keys.jwks(session)["keys"]
    assert _verify(token, published)["n"] == 1
    assert not set(published) & {"d", "p", "q", "dp", "dq", "qi"}  # the JWKS is as before


def test_rotation_stores_the_new_key_sealed(session: Session, runtime: Runtime) -> None:
    first = lti_keys.current_key(session).kid
    session.commit()
    second = lti_keys.rotate(session).kid
    rows = _raw_rows(session)
    assert set(rows) == {first, second}
    assert all(v.startswith("fernet:v1:") and "PRIVATE KEY" not in v for v in rows.values())


def test_a_legacy_plain_row_still_signs_and_is_sealed_in_place(
    session: Session, runtime: Runtime
) -> None:
    old, old_pem = _plain_key("legacy-old", retired=True)
    current, current_pem = _plain_key("legacy-current")
    with write_transaction(session):
        session.add(old)
        session.flush()
        session.add(current)
    assert all("PRIVATE KEY" in v for v in _raw_rows(session).values())

    token = lti_keys.sign(session, {"aud": "platform", "n": 7})
    session.commit()
    assert jwt.get_unverified_header(token)["kid"] == "legacy-current"  # the same key
    assert _verify(token, current.public_jwk)["n"] == 7
    rows = _raw_rows(session)
    kek = runtime.settings.sealing_key()
    assert all(v.startswith("fernet:v1:") and "PRIVATE KEY" not in v for v in rows.values())
    assert key_vault.unseal(rows["legacy-current"], kek) == current_pem
    assert key_vault.unseal(rows["legacy-old"], kek) == old_pem  # retired rows too
    again = lti_keys.sign(session, {"aud": "platform", "n": 8})  # from the sealed row now
    session.commit()
    assert _verify(again, current.public_jwk)["n"] == 8


def test_rotation_seals_legacy_rows_too(session: Session, runtime: Runtime) -> None:
    row, pem = _plain_key("legacy-rotated")
    with write_transaction(session):
        session.add(row)
    new = lti_keys.rotate(session)
    rows = _raw_rows(session)
    assert set(rows) == {"legacy-rotated", new.kid}
    assert key_vault.unseal(rows["legacy-rotated"], runtime.settings.sealing_key()) == pem


def test_a_wrong_kek_names_the_key_and_the_setting(session: Session, runtime: Runtime) -> None:
    kid = lti_keys.current_key(session).kid
    session.commit()
    lti_keys.use_key_encryption_key(runtime.engine, OTHER_KEK)  # as a node with another KEK
    with pytest.raises(lti_keys.LtiKeyUnreadable) as err:
        lti_keys.sign(session, {"aud": "platform"})
    session.rollback()
    message = str(err.value)
    assert kid in message and "PATHWAYS_KEY_ENCRYPTION_KEY" in message
    assert "another key-encryption key" in message
    assert err.value.status_code == 500
    assert [k["kid"] for k in lti_keys.jwks(session)["keys"]] == [kid]  # JWKS still served


def test_a_registered_kek_must_be_a_fernet_key(engine: Engine) -> None:
    with pytest.raises(ValueError, match="not a Fernet key"):
        lti_keys.use_key_encryption_key(engine, "k" * 40)


def test_an_engine_without_a_kek_is_a_clear_error(tmp_path: Path) -> None:
    with migrated_engine(make_test_settings(tmp_path / "bare")) as bare, new_session(bare) as s:
        with pytest.raises(lti_keys.LtiKeyUnreadable, match="no key-encryption key"):
            lti_keys.current_key(s)
        s.rollback()
        assert _raw_rows(s) == {}


def test_the_runtime_uses_the_kek_setting_and_makes_no_key_file_before_use(
    tmp_path: Path,
) -> None:
    settings = make_test_settings(tmp_path / "given", key_encryption_key=KEK)
    with migrated_engine(settings) as engine:
        runtime = Runtime.create(settings, engine)
        try:
            with runtime.session() as s:
                kid = lti_keys.current_key(s).kid
                s.commit()
                assert key_vault.unseal(_raw_rows(s)[kid], KEK).startswith("-----BEGIN")
        finally:
            runtime.jobs.shutdown()
    assert not (tmp_path / "given" / "key_encryption_key").exists()

    generated = make_test_settings(tmp_path / "generated")
    with migrated_engine(generated) as engine:
        runtime = Runtime.create(generated, engine)
        try:
            path = tmp_path / "generated" / "key_encryption_key"
            assert not path.exists()  # a service that never uses LTI makes no KEK file
            with runtime.session() as s:
                kid = lti_keys.current_key(s).kid
                s.commit()
                stored = _raw_rows(s)[kid]
            assert path.exists()
            assert key_vault.unseal(stored, path.read_text().strip()).startswith("-----BEGIN")
        finally:
            runtime.jobs.shutdown()


# -- over HTTP: a node with the wrong KEK ------------------------------------------------


@pytest.fixture(scope="module")
def world() -> Iterator[LtiWorld]:
    with lti_world(key_encryption_key=KEK) as w:
        w.platform.add_member("c1", "Fractions 5B", "tea-1", "Cy Teacher", "Instructor")
        yield w


def test_a_wrong_kek_is_an_error_page_naming_the_key_not_a_bare_500(world: LtiWorld) -> None:
    done = launch(world, "c1", "tea-1", deep_link=True)
    assert done.response.status_code == 303, done.response.text
    target = done.response.headers["location"]
    cookies = {"pathways_session": done.session_cookie or ""}
    with httpx.Client(base_url=world.tool, cookies=cookies, timeout=30) as client:
        fields = form_fields(client.get(target).text)
        with world.session() as s:
            kid = lti_keys.current_key(s).kid
        lti_keys.use_key_encryption_key(world.runtime.engine, OTHER_KEK)
        try:
            chosen = client.post("/lti/deep-link", data=fields | {"goal": "skill:add"})
        finally:
            lti_keys.use_key_encryption_key(world.runtime.engine, KEK)
    assert chosen.status_code == 500
    assert kid in chosen.text and "PATHWAYS_KEY_ENCRYPTION_KEY" in chosen.text
    assert "Traceback" not in chosen.text and "InvalidToken" not in chosen.text


def test_a_spoilt_kek_file_is_a_clear_error_on_use(tmp_path: Path) -> None:
    settings = make_test_settings(tmp_path / "spoilt")
    (tmp_path / "spoilt").mkdir(mode=0o700, exist_ok=True)
    (tmp_path / "spoilt" / "key_encryption_key").write_text("not a fernet key\n")
    with migrated_engine(settings) as engine:
        runtime = Runtime.create(settings, engine)
        try:
            with runtime.session() as s:
                with pytest.raises(lti_keys.LtiKeyUnreadable) as err:
                    lti_keys.current_key(s)
                s.rollback()
        finally:
            runtime.jobs.shutdown()
    assert "key_encryption_key" in str(err.value)
    assert "PATHWAYS_KEY_ENCRYPTION_KEY" in str(err.value)
