"""The admin's platform registrations page: the URLs to copy, the form, its errors."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.services import lti_platforms
from models.users import Role
from tests.api.pages.conftest import World, csrf_of, sign_in
from tests.utils.factories import make_user

FORM = {
    "name": "District Schoology",
    "issuer": "https://schoology.schoology.com",
    "client_id": "7700001",
    "deployment_ids": "77-1, 77-2",
    "auth_login_url": "https://lti-service.svc.schoology.com/lti-service/authorize-redirect",
    "auth_token_url": "https://lti-service.svc.schoology.com/lti-service/access-token",
    "jwks_url": "https://lti-service.svc.schoology.com/lti-service/.well-known/jwks",
}


def test_admin_sees_the_urls_and_registers_an_lms(browser: TestClient, world: World) -> None:
    make_user(world.session, world.runtime, Role.admin, "boss")
    sign_in(browser, "boss")
    page = browser.get("/admin/lti")
    assert page.status_code == 200
    assert "http://testserver/lti/login" in page.text
    assert "http://testserver/lti/jwks.json" in page.text
    token = csrf_of(page.text)
    bad = browser.post(
        "/admin/lti/platforms", data=FORM | {"jwks_url": "ftp://x", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert "Platform public keyset (JWKS) URL: Value error, must be an https:// URL" in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert lti_platforms.list_platforms(world.session) == []
    made = browser.post("/admin/lti/platforms", data=FORM | {"csrf_token": token})
    assert made.status_code == 303 and made.headers["location"] == "/admin/lti"
    (platform,) = lti_platforms.list_platforms(world.session)
    assert platform.deployment_ids == ["77-1", "77-2"]
    again = browser.post("/admin/lti/platforms", data=FORM | {"csrf_token": token})
    assert again.status_code == 409 and "already registered" in again.text
    rotated = browser.post("/admin/lti/keys/rotate", data={"csrf_token": token})
    assert rotated.status_code == 303
    assert "retired, published until" in browser.get("/admin/lti").text
    gone = browser.post(f"/admin/lti/platforms/{platform.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303 and lti_platforms.list_platforms(world.session) == []


def test_the_page_is_for_admins_only(browser: TestClient, world: World) -> None:
    sign_in(browser, "teach")
    assert browser.get("/admin/lti").status_code == 403
    token = csrf_of(browser.get("/teacher").text)
    refused = browser.post("/admin/lti/platforms", data=FORM | {"csrf_token": token})
    assert refused.status_code == 403 and lti_platforms.list_platforms(world.session) == []
