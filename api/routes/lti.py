"""The LTI 1.3 tool endpoints an LMS calls: JWKS, OIDC login initiation and the launch.

Thin: the checks are in `api.services.lti_launch`, the linking in
`api.services.lti_accounts`. A refused login or launch is an HTML error page saying
what was wrong (the page route class renders `LaunchRefused`), with nothing created.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import RuntimeDep, SessionDep
from api.pages.errors import PageRoute
from api.pages.lti_cookies import (
    STATE_COOKIE,
    clear_state_cookie,
    set_launch_session,
    set_state_cookie,
)
from api.security import create_access_token
from api.services import lti_accounts, lti_deep_link, lti_keys, lti_launch
from api.services.lti_tool import JWKS_PATH, LAUNCH_PATH, LOGIN_PATH
from models.lti_messages import DEEP_LINKING_REQUEST, LoginInitiation
from models.users import Role

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get(JWKS_PATH)
def jwks(session: SessionDep) -> JSONResponse:
    """The tool's public keys (current and those still in their grace period)."""
    return JSONResponse(lti_keys.jwks(session), headers={"Cache-Control": "public, max-age=300"})


async def _login_params(request: Request) -> dict[str, Any]:
    if request.method == "POST":
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    return dict(request.query_params)


def _login(request: Request, session: Any, params: dict[str, Any]) -> Response:
    try:
        login = LoginInitiation.model_validate(params)
    except ValidationError as exc:
        names = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        raise lti_launch.LaunchRefused(
            f"The LMS's login request is missing or has invalid parameters: {names}."
        ) from None
    if not login.target_link_uri.startswith(_base(request) + "/"):
        raise lti_launch.LaunchRefused(
            f"target_link_uri {login.target_link_uri!r} is not a Pathways address."
        )
    found = lti_launch.start_login(session, login, _base(request) + LAUNCH_PATH)
    response = RedirectResponse(found.url, status_code=302)
    set_state_cookie(response, found.state)
    return response


@router.get(LOGIN_PATH)
def login_get(request: Request, session: SessionDep) -> Response:
    return _login(request, session, dict(request.query_params))


@router.post(LOGIN_PATH)
async def login_post(request: Request, session: SessionDep) -> Response:
    params = await _login_params(request)
    result: Response = await run_in_threadpool(_login, request, session, params)
    return result


@router.post(LAUNCH_PATH)
def launch(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    id_token: Annotated[str, Form(max_length=20_000)] = "",
    state: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Verify the id_token, link the account and class, sign in, land on the right page."""
    verified = lti_launch.verify_launch(session, id_token, state, request.cookies.get(STATE_COOKIE))
    linked = lti_accounts.link_launch(session, verified)
    user = linked.user
    assert user.id is not None
    if linked.message_type == DEEP_LINKING_REQUEST:
        target = lti_deep_link.picker_url(runtime, verified, user.id)
    elif user.role == Role.student:
        goal = f"?goal={quote(linked.goal.practice_skill, safe='')}" if linked.goal else ""
        target = f"/student{goal}"
    elif user.role == Role.teacher and linked.class_id is not None:
        target = f"/teacher/classes/{linked.class_id}"
    else:
        target = "/designer"
    token = create_access_token(
        runtime.signing_key,
        runtime.token_ttl,
        user.id,
        user.password_hash,
        generation=user.token_generation,
    )
    response = RedirectResponse(target, status_code=303)
    set_launch_session(response, token, int(runtime.token_ttl.total_seconds()))
    clear_state_cookie(response)
    return response
