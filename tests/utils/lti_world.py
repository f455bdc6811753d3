"""The LTI tests' world: the real tool under uvicorn and the test platform, both on
loopback, the platform registered with the tool, and helpers to launch over HTTP.

The tool runs on 127.0.0.1 and the platform on localhost, so to a browser they are
two sites, as a school's LMS and Pathways are. Over plain HTTP (httpx) the
`SameSite=None; Secure` cookies of a launch are not sent back automatically (Python's
cookie jar keeps Secure cookies for https), so `launch` carries them by hand.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx
from sqlmodel import Session, func, select

from api.main import create_app
from api.runtime import Runtime
from api.services import content_import, lti_platforms
from api.settings import load_settings
from models.classes import Classroom
from models.lti import LtiPlatformCreate
from models.users import User
from tests.utils.curriculum import SMALL_CURRICULUM
from tests.utils.live import serve_in_thread
from tests.utils.lti_platform import LtiPlatform, point_at_tool, running_platform

_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class LtiWorld:
    tool: str  # base URL
    runtime: Runtime
    platform: LtiPlatform
    platform_id: int

    def counts(self) -> tuple[int, int]:
        """(users, classes): what a refused launch must leave as it was."""
        with self.runtime.session() as s:
            users = s.exec(select(func.count()).select_from(User)).one()
            classes = s.exec(select(func.count()).select_from(Classroom)).one()
        return int(users), int(classes)

    def session(self) -> Session:
        return self.runtime.session()


@contextmanager
def lti_world(
    curriculum: str = SMALL_CURRICULUM, *, background: bool = False, **settings: object
) -> Iterator[LtiWorld]:
    """`background`: run the app's lifespan too (the score sender), as `pathways serve` does."""
    data_dir = Path(tempfile.mkdtemp(prefix="pathways-lti-"))
    with running_platform() as platform:
        config = load_settings(
            data_dir=data_dir,
            database_url=None,
            secret_key="lti-test-secret-" + "k" * 32,
            argon2_time_cost=1,
            argon2_memory_kib=64,
            frame_ancestors=f"'self' {platform.base_url}",
            **settings,
        )
        app = create_app(config)
        runtime: Runtime = app.state.runtime
        with runtime.session() as s:
            content_import.import_text(s, curriculum, "lti.yaml")
            registered = lti_platforms.create_platform(
                s, LtiPlatformCreate.model_validate(platform.registration())
            )
        assert registered.id is not None
        try:
            with serve_in_thread(app, lifespan="on" if background else "off") as served:
                point_at_tool(platform, served.base_url)
                yield LtiWorld(served.base_url, runtime, platform, registered.id)
        finally:
            runtime.jobs.shutdown()
            runtime.engine.dispose()
            shutil.rmtree(data_dir, ignore_errors=True)


def form_fields(page: str) -> dict[str, str]:
    return {k: unescape(v) for k, v in _FIELD.findall(page)}


@dataclass
class Launched:
    response: httpx.Response  # the tool's answer to the launch POST
    form: dict[str, str]  # what the platform posted (id_token, state)
    state_cookie: str

    @property
    def session_cookie(self) -> str | None:
        return self.response.cookies.get("pathways_session")


def start_login(world: LtiWorld, client: httpx.Client, login_url: str) -> tuple[str, str]:
    """The tool's login step: (the platform auth URL it redirects to, the state cookie)."""
    reply = client.get(login_url)
    assert reply.status_code == 302, reply.text
    return reply.headers["location"], reply.cookies["pathways_lti_state"]


def launch(
    world: LtiWorld,
    context: str,
    sub: str,
    link: str | None = None,
    deep_link: bool = False,
    cookie: str | None = "match",
) -> Launched:
    """A whole launch over HTTP: tool login, platform auth, the form post to the tool."""
    with httpx.Client(timeout=30) as client:
        auth_url, state_cookie = start_login(
            world, client, world.platform.login_url(context, sub, link, deep_link)
        )
        auth = client.get(auth_url)
        assert auth.status_code == 200, auth.text
        form = form_fields(auth.text)
        return post_launch(world, form, state_cookie if cookie == "match" else cookie)


def post_launch(world: LtiWorld, form: dict[str, str], state_cookie: str | None) -> Launched:
    cookies = {"pathways_lti_state": state_cookie} if state_cookie else {}
    with httpx.Client(timeout=30, cookies=cookies) as client:
        reply = client.post(world.tool + "/lti/launch", data=form)
    return Launched(reply, form, state_cookie or "")
