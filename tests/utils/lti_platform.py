"""A minimal LTI 1.3 platform (an LMS's side) for the tests, on PyJWT like the tool.

It is a real platform over HTTP on loopback, not a mock of the tool's calls: it
publishes its JWKS, answers OIDC auth requests with a signed id_token posted back
to the tool (a page with an auto-submitting form, as an LMS does), verifies the
tool's client assertions at its token endpoint against the tool's published JWKS,
keeps line items and the scores posted to them, serves memberships, and verifies
deep-linking responses. `course_page` is an LMS course page that opens a launch in
an iframe.

Tests may spoil the next id_token (`spoil`: "signature", "expired", "audience") to
check the tool refuses it, and make the score endpoint (`fail_scores`) or the membership
service (`fail_memberships`) fail.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jwt.algorithms import RSAAlgorithm

from tests.utils.live import serve_in_thread

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@dataclass
class Member:
    sub: str
    name: str
    role: str  # "Learner" or "Instructor"


@dataclass
class Link:
    id: str
    context: str
    custom: dict[str, str] = field(default_factory=dict)
    lineitem: str | None = None  # line item id


@dataclass
class LtiPlatform:
    """The platform's state; `base_url` and the tool's URLs are set once both run."""

    client_id: str = "pathways-client"
    deployment_id: str = "deployment-1"
    base_url: str = ""
    tool_login_url: str = ""
    tool_launch_url: str = ""
    tool_jwks_url: str = ""
    members: dict[str, dict[str, Member]] = field(default_factory=dict)  # context -> sub
    titles: dict[str, str] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    lineitems: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deep_link_items: list[dict[str, Any]] = field(default_factory=list)
    deep_link_errors: list[str] = field(default_factory=list)
    tokens: dict[str, list[str]] = field(default_factory=dict)  # access token -> scopes
    token_requests: int = 0
    spoil: str | None = None
    fail_scores: int = 0  # answer the next N score posts with 503
    score_failures: int = 0
    fail_memberships: int = 0  # answer the next N membership requests with 503
    last_launch_form: dict[str, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.kid = "platform-key-1"
        self._tool_keys: jwt.PyJWKClient | None = None

    @property
    def issuer(self) -> str:
        return self.base_url

    def registration(self) -> dict[str, Any]:
        """What the tool's admin enters for this platform."""
        return {
            "name": "Test LMS",
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_login_url": self.base_url + "/auth",
            "auth_token_url": self.base_url + "/token",
            "jwks_url": self.base_url + "/jwks",
        }

    def add_member(self, context: str, title: str, sub: str, name: str, role: str) -> None:
        self.titles[context] = title
        self.members.setdefault(context, {})[sub] = Member(sub, name, role)

    def add_link(
        self, link_id: str, context: str, custom: dict[str, str] | None = None, graded: bool = True
    ) -> Link:
        link = Link(link_id, context, dict(custom or {}))
        if graded:
            link.lineitem = self._new_lineitem(context, {"label": link_id, "scoreMaximum": 1})
        self.links[link_id] = link
        return link

    def _new_lineitem(self, context: str, spec: dict[str, Any]) -> str:
        item_id = f"li{len(self.lineitems) + 1}"
        self.lineitems[item_id] = {**spec, "context": context}
        self.scores[item_id] = []
        return item_id

    def lineitem_url(self, item_id: str) -> str:
        return f"{self.base_url}/lineitems/{item_id}"

    # -- launches -------------------------------------------------------------------

    def login_url(self, context: str, sub: str, link_id: str | None, deep_link: bool) -> str:
        """The tool's OIDC login URL as the LMS opens it for this user and link."""
        hint = json.dumps({"context": context, "link": link_id, "deep_link": deep_link})
        query = {
            "iss": self.issuer,
            "login_hint": sub,
            "target_link_uri": self.tool_launch_url,
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        return self.tool_login_url + "?" + urlencode(query)

    def id_token(self, sub: str, hint: dict[str, Any], nonce: str) -> str:
        context = hint["context"]
        member = self.members[context][sub]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": sub,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": member.name,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "roles": [ROLE + member.role],
            LTI + "context": {"id": context, "title": self.titles[context]},
            LTI + "target_link_uri": self.tool_launch_url,
        }
        claims[NRPS] = {
            "context_memberships_url": f"{self.base_url}/memberships/{context}",
            "service_versions": ["2.0"],
        }
        if hint.get("deep_link"):
            claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.base_url}/deeplink/return/{context}",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": f"dl-{context}",
            }
        else:
            link = self.links[hint["link"]]
            claims[LTI + "message_type"] = "LtiResourceLinkRequest"
            claims[LTI + "resource_link"] = {"id": link.id, "title": link.id}
            if link.custom:
                claims[LTI + "custom"] = link.custom
            if link.lineitem:
                claims[AGS] = {
                    "scope": [LINEITEM_SCOPE, SCORE_SCOPE],
                    "lineitems": f"{self.base_url}/lineitems",
                    "lineitem": self.lineitem_url(link.lineitem),
                }
        spoil, self.spoil = self.spoil, None
        if spoil == "expired":
            claims["exp"], claims["iat"] = now - 600, now - 900
        if spoil == "audience":
            claims["aud"] = claims["azp"] = "some-other-tool"
        token = jwt.encode(claims, self._pem, algorithm="RS256", headers={"kid": self.kid})
        if spoil == "signature":  # change the payload after signing: the signature no longer fits
            head, _, sig = token.split(".")
            claims["name"] = "Mallory"
            body = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
            token = f"{head}.{body}.{sig}"
        return token

    def jwks(self) -> dict[str, Any]:
        jwk = dict(RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    # -- services -------------------------------------------------------------------

    def tool_key(self, token: str) -> Any:
        if self._tool_keys is None:
            self._tool_keys = jwt.PyJWKClient(self.tool_jwks_url, cache_keys=False)
        return self._tool_keys.get_signing_key_from_jwt(token).key

    def check_assertion(self, assertion: str) -> None:
        claims = jwt.decode(
            assertion,
            self.tool_key(assertion),
            algorithms=["RS256"],
            audience=self.base_url + "/token",
            options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
        )
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id:
            raise jwt.InvalidTokenError("iss/sub is not the client id")

    def scopes_of(self, request: Request) -> list[str]:
        auth = request.headers.get("authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer "), [])


def _form_page(action: str, fields: dict[str, str]) -> HTMLResponse:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return HTMLResponse(
        "<!doctype html><html lang=en><head><title>Launching</title></head><body>"
        f'<form id="f" method="post" action="{html.escape(action)}">{inputs}'
        '<button type="submit">Continue</button></form>'
        "<script>document.getElementById('f').submit()</script></body></html>"
    )


def platform_app(p: LtiPlatform) -> FastAPI:
    app = FastAPI()

    @app.get("/jwks")
    def jwks() -> JSONResponse:
        return JSONResponse(p.jwks())

    @app.get("/course/{context}", response_class=HTMLResponse)
    def course_page(context: str, user: str, link: str = "", deep_link: bool = False) -> str:
        """The LMS's page for a course: the tool opens in an iframe, as LMSs show it."""
        src = p.login_url(context, user, link or None, deep_link)
        return (
            "<!doctype html><html lang=en><head><title>Test LMS course</title></head><body>"
            f"<h1>{html.escape(p.titles[context])}</h1>"
            f'<iframe id="tool" title="Pathways" src="{html.escape(src)}" '
            'width="1200" height="700"></iframe></body></html>'
        )

    @app.get("/auth")
    def auth(
        client_id: str,
        redirect_uri: str,
        login_hint: str,
        state: str,
        nonce: str,
        lti_message_hint: str,
        scope: str = "",
        response_type: str = "",
        response_mode: str = "",
        prompt: str = "",
    ) -> Response:
        problems = []
        if client_id != p.client_id:
            problems.append("unknown client_id")
        if redirect_uri != p.tool_launch_url:
            problems.append("redirect_uri is not the registered launch URL")
        if scope != "openid" or response_type != "id_token" or response_mode != "form_post":
            problems.append("not an OIDC implicit form_post request")
        if prompt != "none":
            problems.append("prompt must be none")
        if problems:
            return JSONResponse({"error": "; ".join(problems)}, status_code=400)
        token = p.id_token(login_hint, json.loads(lti_message_hint), nonce)
        p.last_launch_form = {"id_token": token, "state": state}
        return _form_page(redirect_uri, p.last_launch_form)

    @app.post("/token")
    def token(
        grant_type: str = Form(""),
        client_assertion_type: str = Form(""),
        client_assertion: str = Form(""),
        scope: str = Form(""),
    ) -> JSONResponse:
        p.token_requests += 1
        if grant_type != "client_credentials" or not client_assertion_type.endswith("jwt-bearer"):
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            p.check_assertion(client_assertion)
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            return JSONResponse(
                {"error": "invalid_client", "error_description": str(exc)}, status_code=401
            )
        access = secrets.token_urlsafe(24)
        p.tokens[access] = scope.split()
        return JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": scope}
        )

    @app.get("/lineitems/{item_id}")
    def lineitem(item_id: str, request: Request) -> JSONResponse:
        if LINEITEM_SCOPE not in p.scopes_of(request):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        return JSONResponse({"id": p.lineitem_url(item_id), **p.lineitems[item_id]})

    @app.post("/lineitems/{item_id}/scores")
    async def score(item_id: str, request: Request) -> Response:
        if SCORE_SCOPE not in p.scopes_of(request):
            return JSONResponse({"error": "no score scope"}, status_code=403)
        if request.headers.get("content-type") != "application/vnd.ims.lis.v1.score+json":
            return JSONResponse({"error": "wrong content type"}, status_code=415)
        with p.lock:
            if p.fail_scores > 0:
                p.fail_scores -= 1
                p.score_failures += 1
                return JSONResponse({"error": "temporarily down"}, status_code=503)
        body = await request.json()
        missing = [
            k
            for k in (
                "userId",
                "scoreGiven",
                "scoreMaximum",
                "activityProgress",
                "gradingProgress",
                "timestamp",
            )
            if k not in body
        ]
        if missing or item_id not in p.scores:
            return JSONResponse({"error": f"missing {missing}"}, status_code=400)
        p.scores[item_id].append(body)
        return Response(status_code=204)

    @app.get("/memberships/{context}")
    def memberships(context: str, request: Request) -> JSONResponse:
        if NRPS_SCOPE not in p.scopes_of(request):
            return JSONResponse({"error": "no membership scope"}, status_code=403)
        if p.fail_memberships > 0:
            p.fail_memberships -= 1
            return JSONResponse({"error": "busy"}, status_code=503)
        members = [
            {
                "status": "Active",
                "name": m.name,
                "user_id": m.sub,
                "roles": [ROLE + m.role],
            }
            for m in p.members.get(context, {}).values()
        ]
        return JSONResponse(
            {
                "id": f"{p.base_url}/memberships/{context}",
                "context": {"id": context, "title": p.titles.get(context, context)},
                "members": members,
            },
            media_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
        )

    @app.post("/deeplink/return/{context}", response_class=HTMLResponse)
    def deep_link_return(context: str, JWT: str = Form("")) -> Response:
        """Verify the tool's signed response; a valid link becomes a graded assignment."""
        try:
            claims = jwt.decode(
                JWT,
                p.tool_key(JWT),
                algorithms=["RS256"],
                audience=p.issuer,
                issuer=p.client_id,
                options={"require": ["exp", "iat", "nonce"]},
            )
            if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
                raise jwt.InvalidTokenError("not an LtiDeepLinkingResponse")
            if claims.get(LTI + "deployment_id") != p.deployment_id:
                raise jwt.InvalidTokenError("wrong deployment id")
            if claims.get(DL + "data") != f"dl-{context}":
                raise jwt.InvalidTokenError("data does not round-trip")
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            p.deep_link_errors.append(str(exc))
            return HTMLResponse(f"<p>Refused: {html.escape(str(exc))}</p>", status_code=400)
        items = claims.get(DL + "content_items", [])
        titles = []
        for item in items:
            p.deep_link_items.append(item)
            link = p.add_link(f"dl{len(p.links) + 1}", context, item.get("custom"), graded=False)
            if "lineItem" in item:
                link.lineitem = p._new_lineitem(context, dict(item["lineItem"]))
            titles.append(item.get("title", ""))
        return HTMLResponse(
            "<!doctype html><html lang=en><head><title>Added</title></head><body>"
            f"<p id=added>Added: {html.escape(', '.join(titles))}</p></body></html>"
        )

    return app


@contextmanager
def running_platform(host: str = "localhost") -> Iterator[LtiPlatform]:
    """The platform on a free loopback port. Its URLs use `host` ("localhost" by default),
    so that to a browser it is another site than a tool on 127.0.0.1."""
    platform = LtiPlatform()
    with serve_in_thread(platform_app(platform)) as served:
        platform.base_url = served.base_url.replace("127.0.0.1", host)
        yield platform


def point_at_tool(platform: LtiPlatform, tool_base: str) -> None:
    platform.tool_login_url = tool_base + "/lti/login"
    platform.tool_launch_url = tool_base + "/lti/launch"
    platform.tool_jwks_url = tool_base + "/lti/jwks.json"
