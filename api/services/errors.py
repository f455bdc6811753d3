"""Errors raised by the services; api.main turns each into one HTTP status.

Services never import FastAPI, so the CLI and the front end's page routes can call
them directly and handle these exceptions their own way.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status_code = 400

    def __init__(self, detail: Any) -> None:
        super().__init__(detail if isinstance(detail, str) else repr(detail))
        self.detail = detail


class NotFound(ServiceError):
    """Missing, or not the caller's to see (we do not reveal which)."""

    status_code = 404


class Forbidden(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    status_code = 409


class GateRefused(Conflict):
    """The activation gate refuses a parameter set; `gate` holds the verdict behind it."""

    def __init__(self, param_set_id: int, gate: Any) -> None:
        reasons = "; ".join(gate.reasons)
        super().__init__(
            f"the activation gate refuses parameter set {param_set_id}: {reasons} "
            "(activate with an override_reason to override; it is recorded)"
        )
        self.gate = gate


class Invalid(ServiceError):
    """Well-formed request whose content is rejected; `detail` may be a structured report."""

    status_code = 422


class RateLimited(ServiceError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Busy(RateLimited):
    """Too much at once (e.g. password checks): come back after `retry_after` seconds."""

    status_code = 503
