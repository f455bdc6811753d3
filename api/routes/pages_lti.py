"""LTI pages: the teacher's deep-linking picker and the admin's platform registrations."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import RuntimeDep, SessionDep
from api.middleware import content_security_policy
from api.pages.admin import AdminPage
from api.pages.errors import PageRoute
from api.pages.session import CsrfChecked, TeacherPage
from api.pages.templating import render
from api.services import lti_deep_link, lti_keys, lti_platforms, lti_tool
from api.services.errors import Conflict
from api.services.lti_goals import goal_choices, resolve_goal
from models.lti import LtiPlatformCreate
from models.users import User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ADMIN_PAGE = "/admin/lti"
FIELDS = (
    ("name", "Name (for you)", "For example: District Schoology"),
    (
        "issuer",
        "Issuer (platform id)",
        "The platform's issuer URL, e.g. https://schoology.schoology.com",
    ),
    ("client_id", "Client id", "The id the LMS gave Pathways when you registered it"),
    ("deployment_ids", "Deployment ids", "One or more, separated by commas"),
    ("auth_login_url", "Platform OIDC authorisation URL", None),
    ("auth_token_url", "Platform access token URL", None),
    ("jwks_url", "Platform public keyset (JWKS) URL", None),
)


def _uid(user: User) -> int:
    assert user.id is not None
    return user.id


@router.get(lti_deep_link.PICKER_PATH, response_class=HTMLResponse)
def pick_goal(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherPage,
    request_token: Annotated[str, Query(alias="request", max_length=8000)] = "",
) -> Response:
    lti_deep_link.read_request(runtime, request_token, _uid(user))
    return render(
        request,
        "lti/pick.html",
        {
            "title": "Choose the assignment's goal",
            "choices": goal_choices(session),
            "request_token": request_token,
        },
    )


@router.post(lti_deep_link.PICKER_PATH, response_class=HTMLResponse, dependencies=[CsrfChecked])
def send_goal(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherPage,
    request_token: Annotated[str, Form(alias="request", max_length=8000)] = "",
    goal: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Sign the deep-linking response and hand it to the browser to post to the LMS."""
    dl = lti_deep_link.read_request(runtime, request_token, _uid(user))
    chosen = resolve_goal(session, goal)
    launch_url = str(request.base_url).rstrip("/") + lti_tool.LAUNCH_PATH
    platform, token = lti_deep_link.response_token(session, dl, chosen, launch_url)
    back = urlsplit(dl.return_url)
    policy = content_security_policy(runtime.settings.frame_ancestors).replace(
        "form-action 'self'", f"form-action 'self' {back.scheme}://{back.netloc}"
    )
    return render(
        request,
        "lti/return.html",
        {
            "title": "Sending the assignment",
            "return_url": dl.return_url,
            "jwt": token,
            "platform_name": platform.name,
            "goal_name": chosen.name,
        },
        headers={"Content-Security-Policy": policy},
    )


def _admin_page(
    request: Request,
    session: SessionDep,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "lti/registrations.html",
        {
            "title": "Platform registrations",
            "active": "admin",
            "config": lti_tool.tool_config(session, str(request.base_url)),
            "keys": lti_keys.key_list(session),
            "platforms": lti_platforms.list_platforms(session),
            "fields": FIELDS,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get(ADMIN_PAGE, response_class=HTMLResponse)
def registrations(request: Request, session: SessionDep, _admin: AdminPage) -> Response:
    return _admin_page(request, session)


@router.post(ADMIN_PAGE + "/platforms", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def add_platform(request: Request, session: SessionDep, _admin: AdminPage) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name, _, _ in FIELDS}
    data = {**values, "deployment_ids": [d for d in values["deployment_ids"].split(",") if d]}
    try:
        created = LtiPlatformCreate.model_validate(data)
    except ValidationError as exc:
        errors = {
            str(e["loc"][0]): f"{dict((n, lbl) for n, lbl, _ in FIELDS)[str(e['loc'][0])]}: "
            f"{e['msg']}"
            for e in exc.errors()
            if e["loc"]
        }
        return _admin_page(request, session, errors, values, status_code=422)
    try:
        lti_platforms.create_platform(session, created)
    except Conflict as exc:
        return _admin_page(request, session, {"issuer": str(exc.detail)}, values, 409)
    return RedirectResponse(ADMIN_PAGE, status_code=303)


@router.post(
    ADMIN_PAGE + "/platforms/{platform_id}/delete",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def remove_platform(platform_id: int, session: SessionDep, _admin: AdminPage) -> Response:
    lti_platforms.delete_platform(session, platform_id)
    return RedirectResponse(ADMIN_PAGE, status_code=303)


@router.post(ADMIN_PAGE + "/keys/rotate", response_class=HTMLResponse, dependencies=[CsrfChecked])
def rotate_key(session: SessionDep, _admin: AdminPage) -> Response:
    lti_keys.rotate(session)
    return RedirectResponse(ADMIN_PAGE, status_code=303)
