"""Error replies of the JSON API: one body shape (models.errors.ErrorBody) for every status.

`ERROR_RESPONSES` documents the error statuses every API route can answer with, so
the OpenAPI schema describes every reply, not only the successful ones; `create_app`
hands it to each router. `error_content` turns what a service raised (a sentence, a
list of problems, a content validation report) into that body.
"""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder

from models.errors import ErrorBody

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before sending the same request again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}

_DESCRIPTIONS = {
    400: "The request is malformed (e.g. a NUL character in the URL).",
    401: "Not logged in, or the token is invalid, expired or revoked.",
    403: "Your role may not do this.",
    404: "No such record, or not one you may see.",
    409: "Clashes with the current state (e.g. an idempotency key reused for another answer).",
    413: "The request body is too large.",
    422: "The request, or the content it carries, was rejected; `errors` says where.",
    429: "Too many attempts: wait `Retry-After` seconds.",
    503: "Busy, or the storage cannot take writes: retry after `Retry-After` seconds.",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ErrorBody,
        "description": text,
        **({"headers": RETRY_AFTER_HEADER} if status in (429, 503) else {}),
    }
    for status, text in _DESCRIPTIONS.items()
}

MAX_SUMMARY_PROBLEMS = 3


def _problem_items(problems: list[Any]) -> list[dict[str, Any]]:
    items = []
    for p in problems:
        if isinstance(p, dict) and "message" in p:
            loc = [str(p["location"])] if p.get("location") else []
            items.append({"loc": loc, "msg": str(p["message"]), "type": "content"})
        elif isinstance(p, dict) and "msg" in p:
            items.append(p)
        else:
            items.append({"loc": [], "msg": str(p), "type": "error"})
    return items


def _summary(items: list[dict[str, Any]], what: str) -> str:
    shown = [": ".join([*(str(x) for x in i.get("loc", [])[:1]), str(i["msg"])]) for i in items]
    more = len(shown) - MAX_SUMMARY_PROBLEMS
    text = "; ".join(shown[:MAX_SUMMARY_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
    count = f"{len(items)} problem{'s' if len(items) != 1 else ''}"
    return f"{what} ({count}): {text}" if items else what


def error_content(detail: Any) -> dict[str, Any]:
    """A service error's detail as an ErrorBody (JSON-ready)."""
    if isinstance(detail, str):
        return {"detail": detail}
    if isinstance(detail, dict) and isinstance(detail.get("errors"), list):
        report = jsonable_encoder(detail)
        items = _problem_items(report["errors"])
        return {
            "detail": _summary(items, "rejected, nothing stored"),
            "errors": items,
            "report": report,
        }
    if isinstance(detail, list):
        items = _problem_items(jsonable_encoder(detail))
        return {"detail": _summary(items, "rejected"), "errors": items}
    return {"detail": str(detail)}


def validation_content(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """FastAPI's field errors (loc, msg, type, ...) with one readable line for them all."""
    lines = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors
    ]
    return {"detail": "; ".join(lines) or "invalid request", "errors": errors}
