"""Deep linking: the teacher picks a unit or skill, the LMS gets a signed resource link.

The deep-linking request's settings (where to return, the platform's opaque `data`)
travel to the picker page inside a short-lived token signed with the service key and
bound to the teacher, so no table is needed and nobody else can use them. The
response is an `LtiDeepLinkingResponse` JWT signed with the tool's RSA key: one
`ltiResourceLink` whose custom parameter carries the goal, and a line item so the
LMS has a gradebook column for the scores Pathways posts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt
from sqlmodel import Session

from api.services import lti_keys
from api.services.lti_goals import Goal
from api.services.lti_launch import LaunchRefused, VerifiedLaunch
from api.services.lti_platforms import get_platform
from models.lti import LtiPlatform
from models.lti_messages import (
    DEEP_LINKING_RESPONSE,
    DEPLOYMENT_ID,
    DL_CONTENT_ITEMS,
    DL_DATA,
    GOAL_PARAMETER,
    LTI_VERSION,
    MESSAGE_TYPE,
    VERSION,
)
from models.types import utcnow

if TYPE_CHECKING:
    from api.runtime import Runtime

PICKER_PATH = "/lti/deep-link"
PICK_TTL = timedelta(minutes=30)
RESPONSE_TTL = timedelta(minutes=5)
_AUDIENCE = "pathways-lti-deep-link"


@dataclass(frozen=True)
class DeepLinkRequest:
    platform_id: int
    deployment_id: str
    return_url: str
    data: str | None


def picker_url(runtime: Runtime, verified: VerifiedLaunch, user_id: int) -> str:
    settings = verified.launch.deep_linking
    assert settings is not None and verified.platform.id is not None
    now = utcnow()
    token = jwt.encode(
        {
            "aud": _AUDIENCE,
            "sub": str(user_id),
            "pid": verified.platform.id,
            "dep": verified.launch.deployment_id,
            "ret": settings.deep_link_return_url,
            "data": settings.data,
            "iat": now,
            "exp": now + PICK_TTL,
        },
        runtime.signing_key,
        algorithm="HS256",
    )
    return f"{PICKER_PATH}?request={token}"


def read_request(runtime: Runtime, token: str, user_id: int) -> DeepLinkRequest:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, runtime.signing_key, algorithms=["HS256"], audience=_AUDIENCE
        )
    except jwt.ExpiredSignatureError:
        raise LaunchRefused("This choice has expired; start again from the LMS.") from None
    except jwt.InvalidTokenError:
        raise LaunchRefused("This deep-linking request is not one Pathways issued.") from None
    if claims.get("sub") != str(user_id):
        raise LaunchRefused("This deep-linking request belongs to another user.")
    return DeepLinkRequest(
        int(claims["pid"]), str(claims["dep"]), str(claims["ret"]), claims["data"]
    )


def content_item(goal: Goal, launch_url: str) -> dict[str, Any]:
    title = f"Pathways: {goal.name}"
    return {
        "type": "ltiResourceLink",
        "title": title,
        "text": f"Practise towards mastering {goal.name}.",
        "url": launch_url,
        "custom": {GOAL_PARAMETER: goal.ref},
        "lineItem": {
            "scoreMaximum": len(goal.skills),
            "label": title,
            "resourceId": goal.ref,
            "tag": "pathways-mastery",
        },
    }


def response_token(
    session: Session, request: DeepLinkRequest, goal: Goal, launch_url: str
) -> tuple[LtiPlatform, str]:
    """The platform and the signed LtiDeepLinkingResponse carrying the goal's link."""
    platform = get_platform(session, request.platform_id)
    now = utcnow()
    claims: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "azp": platform.client_id,
        "iat": now,
        "exp": now + RESPONSE_TTL,
        "nonce": secrets.token_urlsafe(24),
        MESSAGE_TYPE: DEEP_LINKING_RESPONSE,
        VERSION: LTI_VERSION,
        DEPLOYMENT_ID: request.deployment_id,
        DL_CONTENT_ITEMS: [content_item(goal, launch_url)],
    }
    if request.data is not None:
        claims[DL_DATA] = request.data
    return platform, lti_keys.sign(session, claims)
