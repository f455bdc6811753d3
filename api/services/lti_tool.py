"""The tool's own URLs, as an LMS admin copies them: all under the service's base URL."""

from __future__ import annotations

from sqlmodel import Session

from api.services import lti_keys
from models.lti import LtiToolConfig

LOGIN_PATH = "/lti/login"
LAUNCH_PATH = "/lti/launch"
DEEP_LINK_PATH = "/lti/launch"  # deep-linking requests arrive at the launch URL too
JWKS_PATH = "/lti/jwks.json"


def tool_config(session: Session, base_url: str) -> LtiToolConfig:
    base = base_url.rstrip("/")
    return LtiToolConfig(
        login_url=base + LOGIN_PATH,
        launch_url=base + LAUNCH_PATH,
        deep_link_url=base + DEEP_LINK_PATH,
        jwks_url=base + JWKS_PATH,
        current_kid=lti_keys.current_key(session).kid,
    )
