"""LTI 1.3 messages as typed objects: the OIDC login initiation and a verified launch.

Claim names are the IMS URIs (LTI Core 1.3, Deep Linking 2.0, AGS 2.0, NRPS 2.0).
A `Launch` is built only from an id_token whose signature and registered claims
were already verified; its validators check the LTI-specific parts and name the
claim that is wrong.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
RESOURCE_LINK = LTI + "resource_link"
CUSTOM = LTI + "custom"
TARGET_LINK_URI = LTI + "target_link_uri"
DEEP_LINKING_SETTINGS = DL + "deep_linking_settings"
DL_CONTENT_ITEMS = DL + "content_items"
DL_DATA = DL + "data"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
LTI_VERSION = "1.3.0"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

GOAL_PARAMETER = "pathways_goal"  # the custom parameter a deep link carries


class LoginInitiation(BaseModel):
    """Third-party initiated login (OIDC), as the platform sends it (GET or POST)."""

    model_config = ConfigDict(extra="ignore")

    iss: str = Field(min_length=1, max_length=1000)
    login_hint: str = Field(min_length=1, max_length=2000)
    target_link_uri: str = Field(min_length=1, max_length=2000)
    lti_message_hint: str | None = Field(default=None, max_length=2000)
    client_id: str | None = Field(default=None, max_length=255)
    lti_deployment_id: str | None = Field(default=None, max_length=255)


class Context(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=255)
    title: str | None = Field(default=None, max_length=1000)
    label: str | None = Field(default=None, max_length=1000)


class ResourceLink(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=255)
    title: str | None = Field(default=None, max_length=1000)


class AgsEndpoint(BaseModel):
    model_config = ConfigDict(extra="ignore")
    scope: list[str] = []
    lineitems: str | None = Field(default=None, max_length=1000)
    lineitem: str | None = Field(default=None, max_length=1000)


class NrpsEndpoint(BaseModel):
    model_config = ConfigDict(extra="ignore")
    context_memberships_url: str = Field(min_length=1, max_length=1000)


class DeepLinkingSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")
    deep_link_return_url: str = Field(min_length=1, max_length=2000)
    accept_types: list[str] = Field(min_length=1)
    data: str | None = Field(default=None, max_length=4000)

    @field_validator("accept_types")
    @classmethod
    def _links(cls, value: list[str]) -> list[str]:
        if "ltiResourceLink" not in value:
            raise ValueError("the platform does not accept ltiResourceLink content items")
        return value


class Launch(BaseModel):
    """The LTI claims of a verified id_token, by their short names."""

    model_config = ConfigDict(extra="ignore")

    iss: str
    sub: str = Field(min_length=1, max_length=255)
    message_type: str
    version: str
    deployment_id: str = Field(min_length=1, max_length=255)
    roles: list[str]
    name: str | None = Field(default=None, max_length=1000)
    given_name: str | None = Field(default=None, max_length=1000)
    family_name: str | None = Field(default=None, max_length=1000)
    context: Context | None = None
    resource_link: ResourceLink | None = None
    custom: dict[str, Any] = {}
    ags: AgsEndpoint | None = None
    nrps: NrpsEndpoint | None = None
    deep_linking: DeepLinkingSettings | None = None

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value != LTI_VERSION:
            raise ValueError(f"LTI version {value!r} is not supported (only {LTI_VERSION})")
        return value

    @field_validator("message_type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST):
            raise ValueError(f"message type {value!r} is not one Pathways handles")
        return value

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Launch:
        """Map the claim URIs to fields (pydantic names what is missing or wrong)."""
        data = {k: claims.get(k) for k in ("iss", "sub", "name", "given_name", "family_name")}
        data |= {short: claims[uri] for short, uri in CLAIM_NAMES.items() if uri in claims}
        return cls.model_validate({k: v for k, v in data.items() if v is not None})

    @property
    def full_name(self) -> str:
        if self.name:
            return self.name
        return " ".join(p for p in (self.given_name, self.family_name) if p)


CLAIM_NAMES = {
    "message_type": MESSAGE_TYPE,
    "version": VERSION,
    "deployment_id": DEPLOYMENT_ID,
    "roles": ROLES,
    "context": CONTEXT,
    "resource_link": RESOURCE_LINK,
    "custom": CUSTOM,
    "ags": AGS_ENDPOINT,
    "nrps": NRPS,
    "deep_linking": DEEP_LINKING_SETTINGS,
}
