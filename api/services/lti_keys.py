"""The tool's own RSA keys: the one that signs, the JWKS platforms verify with, rotation.

Platforms fetch the JWKS and cache it, sometimes for hours. So a rotation does not
drop the old key: it is marked retired and stays published for `KEY_GRACE`, while
everything new is signed with the new key (its `kid` in the JWT header tells a
platform which one to use). Keys are made with `cryptography`; signing is PyJWT's.

Private keys are sealed at rest (`key_vault`: `fernet:v1:...` under the settings'
key-encryption key, `Settings.sealing_key()`), so a database dump or backup alone
cannot sign as Pathways. The KEK is not in the database: `Runtime.create` hands it over
per engine (`use_key_encryption_key`). Rows from before sealing (a plain PEM) are still
read, and are sealed in place the first time the keys are used: `current_key` seals
them in a write transaction when the signing key is one of them, `rotate` in its own.
There is no data migration for this, because a migration does not see the KEK.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services import key_vault
from api.services.errors import ServiceError
from models.lti import LtiKey, LtiKeyPublic
from models.types import utcnow

log = logging.getLogger(__name__)

KEY_GRACE = timedelta(days=7)  # a retired key stays in the JWKS this long
KEY_BITS = 2048
ALGORITHM = "RS256"
KEK_SETTING = "PATHWAYS_KEY_ENCRYPTION_KEY"


class LtiKeyUnreadable(ServiceError):
    """A stored private key cannot be opened: the configured KEK is not the one it was
    sealed with (or none was configured for this database)."""

    status_code = 500


_keks: weakref.WeakKeyDictionary[Engine, Callable[[], str]] = weakref.WeakKeyDictionary()
_keks_lock = threading.Lock()


def use_key_encryption_key(engine: Engine, kek: str | Callable[[], str]) -> None:
    """Seal and open the keys in `engine`'s database with `kek` (or what it returns: it is
    called once, on first use, so no key file is made by a service that never uses LTI)."""
    source: Callable[[], str]
    if callable(kek):
        source = functools.cache(kek)
    else:
        key_vault.fernet_of(kek)  # a bad key fails here, not at the first signature
        source = functools.partial(str, kek)
    with _keks_lock:
        _keks[engine] = source


def _kek(session: Session) -> str:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with _keks_lock:
        source = _keks.get(engine)
    if source is None:
        raise LtiKeyUnreadable(
            "no key-encryption key for this database: build the service with Runtime.create "
            f"(it takes {KEK_SETTING}, else the data directory's key_encryption_key file)"
        )
    try:
        return source()
    except ValueError as exc:  # SettingsError: a spoilt key file, named in the message
        log.error("LTI keys: %s", exc)
        raise LtiKeyUnreadable(str(exc)) from None


def _private_pem(key: LtiKey, kek: str) -> str:
    try:
        return key_vault.unseal(key.private_pem, kek)
    except key_vault.UnsealError as exc:
        message = (
            f"LTI key {key.kid}: its private key cannot be decrypted ({exc}); check that "
            f"{KEK_SETTING} (or the data directory's key_encryption_key file) is the key it "
            "was sealed with, the same on every node"
        )
        log.error(message)
        raise LtiKeyUnreadable(message) from None


def _seal_legacy(session: Session, kek: str) -> None:
    """Seal, in place, every row still holding a plain PEM (inside a write transaction)."""
    legacy = col(LtiKey.private_pem).startswith(key_vault.LEGACY_PREFIX)
    for key in session.exec(select(LtiKey).where(legacy)).all():
        key.private_pem = key_vault.seal(key.private_pem, kek)
        session.add(key)
        log.info("LTI key %s: private key sealed at rest", key.kid)


def _new_key(kek: str) -> LtiKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = secrets.token_urlsafe(16)
    jwk: dict[str, Any] = dict(RSAAlgorithm.to_jwk(private.public_key(), as_dict=True))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return LtiKey(kid=kid, private_pem=key_vault.seal(pem, kek), public_jwk=jwk)


def _current(session: Session) -> LtiKey | None:
    return session.exec(
        select(LtiKey).where(col(LtiKey.retired_at).is_(None)).order_by(col(LtiKey.id).desc())
    ).first()


def current_key(session: Session) -> LtiKey:
    """The signing key, made on first use (one writer at a time makes it); a legacy plain
    one is sealed first (with any other plain rows)."""
    found = _current(session)
    if found is not None and not key_vault.is_legacy(found.private_pem):
        return found
    kek = _kek(session)
    with write_transaction(session):
        _seal_legacy(session, kek)
        found = _current(session)
        if found is None:
            found = _new_key(kek)
            session.add(found)
        session.flush()
    return found


def rotate(session: Session) -> LtiKey:
    """A new signing key; the previous one is retired but published for KEY_GRACE."""
    kek = _kek(session)
    with write_transaction(session):
        _seal_legacy(session, kek)
        now = utcnow()
        for old in session.exec(select(LtiKey).where(col(LtiKey.retired_at).is_(None))).all():
            old.retired_at = now
            session.add(old)
        key = _new_key(kek)
        session.add(key)
        session.flush()
    return key


def _published(key: LtiKey, now: datetime) -> bool:
    return key.retired_at is None or key.retired_at + KEY_GRACE > now


def published_keys(session: Session) -> list[LtiKey]:
    """Keys platforms may verify with: the current one and those still in their grace."""
    current_key(session)
    now = utcnow()
    keys = session.exec(select(LtiKey).order_by(col(LtiKey.id).desc())).all()
    session.commit()  # end the read transaction
    return [k for k in keys if _published(k, now)]


def jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    return {"keys": [dict(k.public_jwk) for k in published_keys(session)]}


def key_list(session: Session) -> list[LtiKeyPublic]:
    keys = published_keys(session)
    return [
        LtiKeyPublic(
            kid=k.kid,
            created_at=k.created_at,
            retired_at=k.retired_at,
            current=k.retired_at is None,
            published_until=None if k.retired_at is None else k.retired_at + KEY_GRACE,
        )
        for k in keys
    ]


def sign(session: Session, claims: dict[str, Any]) -> str:
    """A JWT over `claims`, signed RS256 with the current key (its kid in the header)."""
    key = current_key(session)
    pem = _private_pem(key, _kek(session))
    return jwt.encode(claims, pem, algorithm=ALGORITHM, headers={"kid": key.kid})
