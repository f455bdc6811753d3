"""OAuth2 client-credentials tokens from a platform, for its LTI Advantage services.

The tool proves who it is with a JWT client assertion (RFC 7523) signed with its
own RSA key: `iss` and `sub` are the client id, `aud` the platform's token URL,
with a fresh `jti`. Tokens are kept per (platform, scopes) until a minute before
they expire, so a busy sender asks the platform for one only now and then.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlmodel import Session

from api.services import lti_keys
from api.services.errors import ServiceError
from models.lti import LtiPlatform
from models.types import utcnow

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_TTL = timedelta(minutes=5)
EARLY_RENEWAL_S = 60


class ServiceUnavailable(ServiceError):
    """The platform's token endpoint or service did not give what was asked for."""

    status_code = 502


@dataclass
class _Held:
    token: str
    until: float  # time.monotonic()


class TokenCache:
    def __init__(self) -> None:
        # Keyed by the registration's token endpoint and client id as well as its row id:
        # an edited registration (or one re-created under a reused id, or another
        # database's row 1 in the same process) must not be handed the old one's token.
        self._held: dict[tuple[int, str, str, str], _Held] = {}
        self._lock = threading.Lock()

    def token(
        self, session: Session, client: httpx.Client, platform: LtiPlatform, scopes: list[str]
    ) -> str:
        assert platform.id is not None
        key = (platform.id, platform.auth_token_url, platform.client_id, " ".join(sorted(scopes)))
        with self._lock:
            held = self._held.get(key)
        if held is not None and held.until > time.monotonic():
            return held.token
        token, lifetime = request_token(session, client, platform, scopes)
        with self._lock:
            self._held[key] = _Held(token, time.monotonic() + max(0, lifetime - EARLY_RENEWAL_S))
        return token

    def forget(self, platform_id: int) -> None:
        """Drop the platform's tokens (it refused one: ask again next time)."""
        with self._lock:
            for key in [k for k in self._held if k[0] == platform_id]:
                del self._held[key]


def client_assertion(session: Session, platform: LtiPlatform) -> str:
    now = utcnow()
    return lti_keys.sign(
        session,
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.auth_token_url,
            "iat": now,
            "exp": now + ASSERTION_TTL,
            "jti": secrets.token_urlsafe(16),
        },
    )


def request_token(
    session: Session, client: httpx.Client, platform: LtiPlatform, scopes: list[str]
) -> tuple[str, int]:
    """(access token, lifetime in seconds) from the platform's token endpoint."""
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(session, platform),
        "scope": " ".join(scopes),
    }
    try:
        reply = client.post(platform.auth_token_url, data=data)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"token endpoint {platform.auth_token_url}: {exc}") from None
    if reply.status_code != 200:
        raise ServiceUnavailable(
            f"token endpoint {platform.auth_token_url} answered {reply.status_code}: "
            f"{reply.text[:200]}"
        )
    try:
        body = reply.json()
        return str(body["access_token"]), int(body.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError):
        raise ServiceUnavailable(
            f"token endpoint {platform.auth_token_url} sent no access_token"
        ) from None


TOKENS = TokenCache()
