"""LTI platform registrations and the tool's keys (admin only), and the URLs to copy."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request, Response, status

from api.deps import AdminUser, DbId, SessionDep, TeacherUser
from api.lti_sender import lti_lifespan
from api.services import classes, lti_keys, lti_platforms, lti_roster, lti_tool
from models.lti import (
    LtiKeyPublic,
    LtiPlatformCreate,
    LtiPlatformPublic,
    LtiPlatformUpdate,
    LtiRosterSync,
    LtiToolConfig,
)

# The score sender runs while the app serves (FastAPI merges a router's lifespan).
router = APIRouter(prefix="/api/lti", tags=["lti"], lifespan=lti_lifespan)


@router.get("/config", response_model=LtiToolConfig)
def tool_config(request: Request, session: SessionDep, _admin: AdminUser) -> LtiToolConfig:
    """The login, launch and JWKS URLs an LMS admin enters when registering Pathways."""
    return lti_tool.tool_config(session, str(request.base_url))


@router.get("/platforms", response_model=list[LtiPlatformPublic])
def list_platforms(session: SessionDep, _admin: AdminUser) -> list[LtiPlatformPublic]:
    return [lti_platforms.to_public(p) for p in lti_platforms.list_platforms(session)]


@router.post("/platforms", response_model=LtiPlatformPublic, status_code=status.HTTP_201_CREATED)
def create_platform(
    data: LtiPlatformCreate, session: SessionDep, _admin: AdminUser
) -> LtiPlatformPublic:
    return lti_platforms.to_public(lti_platforms.create_platform(session, data))


@router.get("/platforms/{platform_id}", response_model=LtiPlatformPublic)
def get_platform(platform_id: DbId, session: SessionDep, _admin: AdminUser) -> LtiPlatformPublic:
    return lti_platforms.to_public(lti_platforms.get_platform(session, platform_id))


@router.patch("/platforms/{platform_id}", response_model=LtiPlatformPublic)
def update_platform(
    platform_id: DbId, data: LtiPlatformUpdate, session: SessionDep, _admin: AdminUser
) -> LtiPlatformPublic:
    return lti_platforms.to_public(lti_platforms.update_platform(session, platform_id, data))


@router.delete("/platforms/{platform_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_platform(platform_id: DbId, session: SessionDep, _admin: AdminUser) -> Response:
    lti_platforms.delete_platform(session, platform_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/keys", response_model=list[LtiKeyPublic])
def list_keys(session: SessionDep, _admin: AdminUser) -> list[LtiKeyPublic]:
    """The tool's published keys: the current one and retired ones still in their grace."""
    return lti_keys.key_list(session)


@router.post("/keys/rotate", response_model=list[LtiKeyPublic])
def rotate_key(session: SessionDep, _admin: AdminUser) -> list[LtiKeyPublic]:
    """Sign with a new key from now on; the old one stays published for the grace period."""
    lti_keys.rotate(session)
    return lti_keys.key_list(session)


@router.post("/classes/{class_id}/roster-sync", response_model=LtiRosterSync)
def sync_roster(class_id: DbId, session: SessionDep, user: TeacherUser) -> LtiRosterSync:
    """Bring the class in line with the LMS's membership list (Names and Role Provisioning)."""
    classes.get_class(session, user, class_id)  # 404 unless the caller teaches it (or admin)
    with httpx.Client(timeout=15) as client:
        return lti_roster.sync_roster(session, class_id, client)
