"""Bearer tokens: the verifier that remembers accepted tokens still rejects what it must."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.security import TokenError, TokenVerifier, create_access_token

KEY = "test-signing-key-" * 3


def _token(key: str = KEY, ttl: timedelta = timedelta(minutes=5), user: int = 7) -> str:
    return create_access_token(key, ttl, user, "$argon2id$hash")


def test_remembered_token_gives_the_same_claims() -> None:
    verifier = TokenVerifier(KEY)
    token = _token()
    first = verifier.claims(token)
    assert first.user_id == 7 and first.expires > datetime.now(UTC).timestamp()
    assert verifier.claims(token) == first


def test_remembered_token_still_expires() -> None:
    verifier = TokenVerifier(KEY)
    token = _token(ttl=timedelta(minutes=5))
    claims = verifier.claims(token)
    with pytest.raises(TokenError, match="expired"):
        verifier.claims(token, now=claims.expires)
    assert verifier.claims(token, now=claims.expires - 1.0) == claims


def test_rejected_tokens_are_never_remembered() -> None:
    verifier = TokenVerifier(KEY)
    forged = _token(key="another-key-entirely-" * 3)
    for _ in range(2):  # the second try is checked again, not served from memory
        with pytest.raises(TokenError, match="invalid token"):
            verifier.claims(forged)
    with pytest.raises(TokenError, match="invalid token"):
        verifier.claims("garbage")


def test_memory_is_bounded_least_recently_used_out() -> None:
    verifier = TokenVerifier(KEY, size=2)
    a, b, c = (_token(user=n) for n in (1, 2, 3))
    verifier.claims(a)
    verifier.claims(b)
    verifier.claims(a)  # a is now the most recent
    verifier.claims(c)  # evicts b
    assert set(verifier._seen) == {a, c}
