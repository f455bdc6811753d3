"""OIDC login initiation and the LTI 1.3 launch: every check before anything is written.

Login: the platform names itself (`iss`, maybe `client_id`); we store a fresh state
and nonce (`lti_login`) and send the browser to the platform's auth endpoint. The
state also goes into a cookie, so the launch must come back to the same browser.

Launch: the id_token is verified with PyJWT against the platform's published JWKS
(RS256 only), with its issuer, audience (and `azp` when there are several
audiences), expiry and issue time; the nonce must be the one stored for this state,
and the state is marked used in the same transaction that links the account, so a
replayed token finds it used and nothing is created. Each refusal is a
`LaunchRefused` saying what was wrong.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, col

from api.db import write_transaction
from api.services.errors import ServiceError
from api.services.lti_platforms import find_platform, platforms_of
from models.lti import LtiLogin, LtiPlatform
from models.lti_messages import Launch, LoginInitiation
from models.types import utcnow

LOGIN_TTL = timedelta(minutes=10)  # from login initiation to launch
LEEWAY_SECONDS = 60  # clock skew allowed on exp / iat
ALGORITHMS = ["RS256"]


class LaunchRefused(ServiceError):
    """The login or launch is not accepted; `detail` says why, for the error page."""

    status_code = 400


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str


def start_login(session: Session, params: LoginInitiation, launch_url: str) -> LoginRedirect:
    """Store a state and nonce for this login and build the platform's auth request."""
    if params.client_id:
        platform = find_platform(session, params.iss, params.client_id)
        if platform is None:
            raise LaunchRefused(
                f"Pathways has no registration for issuer {params.iss!r} with client id "
                f"{params.client_id!r}; an administrator must register this LMS first."
            )
    else:
        found = platforms_of(session, params.iss)
        if not found:
            raise LaunchRefused(
                f"Pathways has no registration for issuer {params.iss!r}; an administrator "
                "must register this LMS first."
            )
        if len(found) > 1:
            raise LaunchRefused(
                f"issuer {params.iss!r} has several registrations; the login request must "
                "name its client_id."
            )
        platform = found[0]
    if params.lti_deployment_id and params.lti_deployment_id not in platform.deployment_ids:
        raise LaunchRefused(
            f"deployment {params.lti_deployment_id!r} is not registered for {platform.name!r}."
        )
    assert platform.id is not None
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with write_transaction(session):
        cutoff = utcnow() - 6 * LOGIN_TTL
        session.execute(
            LtiLogin.__table__.delete().where(  # type: ignore[attr-defined]
                col(LtiLogin.created_at) < cutoff
            )
        )
        session.add(LtiLogin(state=state, nonce=nonce, platform_id=platform.id))
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "login_hint": params.login_hint,
        "state": state,
        "nonce": nonce,
    }
    if params.lti_message_hint:
        query["lti_message_hint"] = params.lti_message_hint
    sep = "&" if "?" in platform.auth_login_url else "?"
    return LoginRedirect(platform.auth_login_url + sep + urlencode(query), state)


class _JwksClients:
    """One PyJWKClient per platform JWKS URL: keys are cached and refetched for an
    unknown kid (a platform rotated its key)."""

    def __init__(self) -> None:
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def key_for(self, url: str, token: str) -> Any:
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)
                self._clients[url] = client
        return client.get_signing_key_from_jwt(token).key


JWKS = _JwksClients()


@dataclass(frozen=True)
class VerifiedLaunch:
    platform: LtiPlatform
    launch: Launch
    state: str


def _unverified(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise LaunchRefused("The launch's id_token is not a readable JWT.") from None
    if header.get("alg") not in ALGORITHMS:
        raise LaunchRefused(f"id_token algorithm {header.get('alg')!r} is not accepted (RS256).")
    return claims


def _audience_ok(claims: dict[str, Any], client_id: str) -> None:
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if client_id not in auds:
        raise LaunchRefused(
            f"id_token audience {aud!r} is not this tool's client id {client_id!r} "
            "(the token was issued to another tool)."
        )
    azp = claims.get("azp")
    if (len(auds) > 1 or azp is not None) and azp != client_id:
        raise LaunchRefused(f"id_token azp {azp!r} is not this tool's client id {client_id!r}.")


def verify_launch(
    session: Session, id_token: str, state: str, cookie_state: str | None
) -> VerifiedLaunch:
    """Every check of a launch; reads only (the state is consumed by the caller's write)."""
    if not state or not id_token:
        raise LaunchRefused("The launch is missing its id_token or state.")
    if cookie_state is None or not hmac.compare_digest(cookie_state, state):
        raise LaunchRefused(
            "This launch did not start in this browser (its login state cookie is missing "
            "or different). If your browser blocks cookies in embedded pages, open the "
            "assignment in a new window."
        )
    login = session.get(LtiLogin, state)
    if login is None:
        raise LaunchRefused("This launch's login state is unknown; start again from the LMS.")
    if login.used_at is not None:
        raise LaunchRefused("This launch was already used; start again from the LMS.")
    if utcnow() - login.created_at > LOGIN_TTL:
        raise LaunchRefused("This launch's login has expired; start again from the LMS.")
    platform = session.get(LtiPlatform, login.platform_id)
    session.commit()  # end the read transaction before fetching keys
    if platform is None:
        raise LaunchRefused("The LMS registration for this launch was removed.")
    claims = _unverified(id_token)
    if claims.get("iss") != platform.issuer:
        raise LaunchRefused(
            f"id_token issuer {claims.get('iss')!r} is not the platform this login started "
            f"with ({platform.issuer!r})."
        )
    _audience_ok(claims, platform.client_id)
    try:
        key = JWKS.key_for(platform.jwks_url, id_token)
    except jwt.PyJWKClientError as exc:
        raise LaunchRefused(
            f"The platform's signing key could not be fetched from {platform.jwks_url}: {exc}"
        ) from None
    try:
        verified: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=ALGORITHMS,
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "nonce", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise LaunchRefused(
            "The launch's id_token has expired; start again from the LMS."
        ) from None
    except jwt.ImmatureSignatureError:
        raise LaunchRefused("The launch's id_token was issued in the future (iat).") from None
    except jwt.InvalidSignatureError:
        raise LaunchRefused(
            "The launch's id_token signature does not verify with the platform's keys "
            "(the token was altered or not signed by the platform)."
        ) from None
    except jwt.InvalidTokenError as exc:
        raise LaunchRefused(f"The launch's id_token is not valid: {exc}.") from None
    if not hmac.compare_digest(str(verified["nonce"]), login.nonce):
        raise LaunchRefused("The id_token's nonce is not the one this login issued.")
    try:
        launch = Launch.from_claims(verified)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise LaunchRefused(f"The launch's claims are not valid: {where}.") from None
    if launch.deployment_id not in platform.deployment_ids:
        raise LaunchRefused(
            f"deployment {launch.deployment_id!r} is not registered for {platform.name!r}."
        )
    return VerifiedLaunch(platform, launch, state)


def consume_state(session: Session, state: str) -> None:
    """Mark the login used, inside the caller's write transaction; a second use (a replay
    racing the first) finds it used and raises, so its transaction writes nothing."""
    done = session.execute(
        update(LtiLogin)
        .where(col(LtiLogin.state) == state, col(LtiLogin.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if getattr(done, "rowcount", 0) != 1:
        raise LaunchRefused("This launch was already used; start again from the LMS.")
