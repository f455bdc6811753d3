"""Turning pydantic's validation errors into located, readable `Problem`s."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from content.keys import ITEM_TYPES
from content.problems import Location, Problem

_TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")


def _path(loc: tuple[int | str, ...]) -> tuple[str, list[int | str]]:
    """Dotted/indexed path text, dropping the union tags pydantic inserts."""
    kept: list[int | str] = []
    for i, part in enumerate(loc):
        if i > 0 and loc[i - 1] == "answer" and part in ITEM_TYPES:
            continue
        kept.append(part)
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in kept)
    return text.lstrip("."), kept


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: Any, kept: list[int | str]) -> str:
    kind = error["type"]
    field = str(kept[-1]) if kept else "value"
    value = error.get("input")
    if kind == "missing":
        if field == "answer":
            return "item has no answer key"
        return f"missing required field {field!r}"
    if kind == "extra_forbidden":
        return f"unknown field {field!r} (check the spelling)"
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("value_error", "assertion_error") or isinstance(value, dict | list):
        return message
    if isinstance(value, bool) and kind == "string_type":
        return f"{message}, got {value!r} (quote it: YAML reads yes/no/on/off as true/false)"
    return f"{message}, got {_shown(value)}"


def problems_from_validation(err: ValidationError, where: Location) -> list[Problem]:
    """One problem per pydantic error, located below `where`."""
    errors = err.errors(include_url=False)
    bad_type = any(tuple(e["loc"][:1]) == ("type",) for e in errors)
    paths = [_path(tuple(e["loc"]))[0] for e in errors]
    problems: list[Problem] = []
    for e in errors:
        path, kept = _path(tuple(e["loc"]))
        if bad_type and kept[:1] == ["answer"] and e["type"] in _TAG_ERRORS:
            continue  # the item's bad `type` was already reported
        if e["type"] == "too_short" and any(p.startswith(path + "[") for p in paths):
            continue  # emptied by its own bad elements, which are reported
        problems.append(Problem(where.child(path), _message(e, kept)))
    return problems
