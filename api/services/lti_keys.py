"""The tool's own RSA keys: the one that signs, the JWKS platforms verify with, rotation.

Platforms fetch the JWKS and cache it, sometimes for hours. So a rotation does not
drop the old key: it is marked retired and stays published for `KEY_GRACE`, while
everything new is signed with the new key (its `kid` in the JWT header tells a
platform which one to use). Keys are made with `cryptography`; signing is PyJWT's.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlmodel import Session, col, select

from api.db import write_transaction
from models.lti import LtiKey, LtiKeyPublic
from models.types import utcnow

KEY_GRACE = timedelta(days=7)  # a retired key stays in the JWKS this long
KEY_BITS = 2048
ALGORITHM = "RS256"


def _new_key() -> LtiKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = secrets.token_urlsafe(16)
    jwk: dict[str, Any] = dict(RSAAlgorithm.to_jwk(private.public_key(), as_dict=True))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return LtiKey(kid=kid, private_pem=pem, public_jwk=jwk)


def _current(session: Session) -> LtiKey | None:
    return session.exec(
        select(LtiKey).where(col(LtiKey.retired_at).is_(None)).order_by(col(LtiKey.id).desc())
    ).first()


def current_key(session: Session) -> LtiKey:
    """The signing key, made on first use (one writer at a time makes it)."""
    found = _current(session)
    if found is not None:
        return found
    with write_transaction(session):
        found = _current(session)
        if found is None:
            found = _new_key()
            session.add(found)
            session.flush()
    return found


def rotate(session: Session) -> LtiKey:
    """A new signing key; the previous one is retired but published for KEY_GRACE."""
    with write_transaction(session):
        now = utcnow()
        for old in session.exec(select(LtiKey).where(col(LtiKey.retired_at).is_(None))).all():
            old.retired_at = now
            session.add(old)
        key = _new_key()
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
    return jwt.encode(claims, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid})
