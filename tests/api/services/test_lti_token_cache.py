"""The platform token cache: a token is reused only for the same registration, endpoint,
client and scopes. Keyed by the row id alone, a second registration under the same id
(another database in the process, an edited or re-created one) was handed the first
one's token, which its platform refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.services import lti_tokens
from models.lti import LtiPlatform


def _platform(token_url: str, client_id: str = "tool") -> LtiPlatform:
    return LtiPlatform(
        id=1,
        name="LMS",
        issuer="https://lms.example",
        client_id=client_id,
        deployment_ids=["d1"],
        auth_login_url="https://lms.example/auth",
        auth_token_url=token_url,
        jwks_url="https://lms.example/jwks",
    )


def test_tokens_are_kept_per_endpoint_client_and_scopes(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str, tuple[str, ...]]] = []

    def request_token(
        session: Any, client: Any, platform: LtiPlatform, scopes: list[str]
    ) -> tuple[str, int]:
        asked.append((platform.auth_token_url, platform.client_id, tuple(scopes)))
        return f"token-{len(asked)}", 3600

    monkeypatch.setattr(lti_tokens, "request_token", request_token)
    cache = lti_tokens.TokenCache()
    with httpx.Client() as client:
        first = _platform("https://a.example/token")
        assert cache.token(None, client, first, ["score"]) == "token-1"  # type: ignore[arg-type]
        assert cache.token(None, client, first, ["score"]) == "token-1"  # type: ignore[arg-type]
        moved = _platform("https://b.example/token")  # same id, another endpoint
        assert cache.token(None, client, moved, ["score"]) == "token-2"  # type: ignore[arg-type]
        other_client = _platform("https://a.example/token", client_id="tool-2")
        assert cache.token(None, client, other_client, ["score"]) == "token-3"  # type: ignore[arg-type]
        assert cache.token(None, client, first, ["roster"]) == "token-4"  # type: ignore[arg-type]
        cache.forget(1)
        assert cache.token(None, client, first, ["score"]) == "token-5"  # type: ignore[arg-type]
    assert len(asked) == 5
