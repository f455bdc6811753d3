"""Password hashing (argon2id) and bearer tokens (HS256 JWT signed with the settings key).

Tokens are stateless JWTs carrying the user id (`sub`) and an expiry; every request
still loads the user, so deactivating an account takes effect at once. The token
also carries a short fingerprint of the password hash, so changing a password
invalidates tokens issued before the change, and the account's session generation
(`gen`), so logging out ends every session issued before it, in every process.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.settings import Settings

ALGORITHM = "HS256"
MAX_ID = 2_147_483_647  # 32-bit: every database we support stores ids in this range
_USER_ID = re.compile(r"[1-9][0-9]{0,9}")


class TokenError(ValueError):
    """The bearer token is missing, malformed, expired or not signed by us."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    fingerprint: str
    expires: float = float("inf")  # POSIX time
    generation: int = 0


class Passwords:
    """argon2id hashing with the cost from settings (tests use a cheap cost)."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify_nobody(self, password: str) -> bool:
        """Spend the same time as a real check, so unknown usernames are not revealed."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("no such user")
        self.verify(self._dummy, password)
        return False

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def create_access_token(
    key: str,
    ttl: timedelta,
    user_id: int,
    password_hash: str,
    now: datetime | None = None,
    *,
    generation: int = 0,
) -> str:
    issued = now or datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        "pwf": password_fingerprint(password_hash),
        "gen": generation,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def _user_id(sub: object) -> int:
    """The `sub` claim as an account id: digits only, within the ids a database holds."""
    if not isinstance(sub, str) or not _USER_ID.fullmatch(sub) or int(sub) > MAX_ID:
        raise ValueError("sub is not a user id")
    return int(sub)


def _generation(gen: object) -> int:
    if not isinstance(gen, int) or isinstance(gen, bool) or not 0 <= gen <= MAX_ID:
        raise ValueError("gen is not a session generation")
    return gen


def decode_access_token(key: str, token: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "pwf", "gen"]},
        )
        return TokenClaims(
            user_id=_user_id(payload["sub"]),
            fingerprint=str(payload["pwf"]),
            expires=float(payload["exp"]),
            generation=_generation(payload["gen"]),
        )
    except jwt.ExpiredSignatureError:
        raise TokenError(EXPIRED) from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise TokenError("invalid token") from None


EXPIRED = "token expired; log in again"


class TokenVerifier:
    """`decode_access_token` that remembers the tokens it has accepted.

    A client sends the same token with every request; verifying its HMAC and parsing
    its JSON each time was a measurable share of a practice request. A remembered
    token is one this key signed, so only its expiry needs checking again. Bounded
    (least recently used out); rejected tokens are never remembered.
    """

    def __init__(self, key: str, size: int = 4096) -> None:
        self._key = key
        self._size = size
        self._seen: OrderedDict[str, TokenClaims] = OrderedDict()
        self._lock = threading.Lock()

    def claims(self, token: str, now: float | None = None) -> TokenClaims:
        with self._lock:
            found = self._seen.get(token)
            if found is not None:
                self._seen.move_to_end(token)
        if found is None:
            found = decode_access_token(self._key, token)
            with self._lock:
                self._seen[token] = found
                if len(self._seen) > self._size:
                    self._seen.popitem(last=False)
        if (datetime.now(UTC).timestamp() if now is None else now) >= found.expires:
            raise TokenError(EXPIRED)
        return found
