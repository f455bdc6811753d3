"""The designer's item form: form fields <-> item definition, and errors -> fields.

The page never validates an item itself: it builds the definition the item
service expects and shows the service's validation problems next to the field
each one names (`answer.tolerance` -> the tolerance box). Problems that name no
field of the form go to the summary at the top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

ITEM_TYPES: tuple[tuple[str, str], ...] = (
    ("multiple_choice", "Multiple choice"),
    ("numeric", "Number"),
    ("fraction", "Fraction"),
    ("short_text", "Short text"),
)
DIFFICULTIES = ("", "easy", "medium", "hard")
CHECKBOXES = (
    "answer_percent",
    "answer_allow_fraction",
    "answer_simplest_form",
    "answer_mixed_number",
    "answer_improper_fraction",
)
GENERAL = "_general"
FIELD_LABELS: dict[str, str] = {
    "id": "Item id",
    "skills": "Skills",
    "type": "Answer type",
    "prompt": "Question",
    "hints": "Hints",
    "solution": "Worked solution",
    "difficulty": "Difficulty",
    "answer_choices": "Choices",
    "answer_correct": "Correct choice",
    "answer_value": "Value",
    "answer_tolerance": "Tolerance",
    "answer_unit": "Unit word",
    "answer_fraction": "Fraction",
    "answer_accepted": "Accepted answers",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _skills(text: str) -> list[str]:
    return [s for s in re.split(r"[\s,]+", text.strip()) if s]


def _number_or_text(text: str) -> float | str:
    """A number when it reads as one; else the text, for validation to locate and explain."""
    try:
        return float(text.strip())
    except ValueError:
        return text.strip()


def definition_from_form(form: Mapping[str, str], item_id: str | None = None) -> dict[str, Any]:
    """The item definition the form describes (only the chosen type's answer fields)."""
    kind = (form.get("type") or "").strip()
    d: dict[str, Any] = {
        "id": (item_id if item_id is not None else form.get("id", "")).strip(),
        "skills": _skills(form.get("skills", "")),
        "type": kind,
        "prompt": form.get("prompt", "").strip(),
    }
    hints = _lines(form.get("hints", ""))
    if hints:
        d["hints"] = hints
    solution = form.get("solution", "").strip()
    if solution:
        d["solution"] = solution
    difficulty = form.get("difficulty", "").strip()
    if difficulty:
        d["difficulty"] = difficulty
    family = form.get("family", "").strip()
    if family:
        d["family"] = family
    bkt = {
        name: _number_or_text(form.get(f"bkt_{name}", ""))
        for name in ("guess", "slip")
        if form.get(f"bkt_{name}", "").strip()
    }
    if bkt:
        d["bkt"] = bkt
    answer: dict[str, Any] = {}
    if kind == "multiple_choice":
        answer = {
            "choices": _lines(form.get("answer_choices", "")),
            "correct": form.get("answer_correct", "").strip(),
        }
    elif kind == "numeric":
        answer = {"value": form.get("answer_value", "").strip()}
        tol = form.get("answer_tolerance", "").strip()
        if tol:
            answer["tolerance"] = tol
        unit = form.get("answer_unit", "").strip()
        if unit:
            answer["unit"] = unit
        answer["percent"] = "answer_percent" in form
        answer["allow_fraction"] = "answer_allow_fraction" in form
    elif kind == "fraction":
        answer = {
            "value": form.get("answer_fraction", "").strip(),
            "simplest_form": "answer_simplest_form" in form,
            "mixed_number": "answer_mixed_number" in form,
            "improper_fraction": "answer_improper_fraction" in form,
        }
    elif kind == "short_text":
        answer = {"accepted": _lines(form.get("answer_accepted", ""))}
    d["answer"] = answer
    return d


def form_from_definition(d: Mapping[str, Any]) -> dict[str, str]:
    """Form values for an existing item (checkbox fields present only when ticked)."""
    a: Mapping[str, Any] = d.get("answer") or {}
    kind = str(d.get("type", ""))
    out = {
        "id": str(d.get("id", "")),
        "skills": ", ".join(d.get("skills", [])),
        "type": kind,
        "prompt": str(d.get("prompt", "")),
        "hints": "\n".join(d.get("hints", []) or []),
        "solution": str(d.get("solution") or ""),
        "difficulty": str(d.get("difficulty") or ""),
        "family": str(d.get("family") or ""),
    }
    bkt: Mapping[str, Any] = d.get("bkt") or {}
    for name in ("guess", "slip"):
        if bkt.get(name) is not None:
            out[f"bkt_{name}"] = f"{float(bkt[name]):g}"
    if kind == "multiple_choice":
        out["answer_choices"] = "\n".join(str(c) for c in a.get("choices", []))
        out["answer_correct"] = str(a.get("correct", ""))
    elif kind == "numeric":
        out["answer_value"] = str(a.get("value", ""))
        out["answer_tolerance"] = str(a.get("tolerance", "") or "")
        out["answer_unit"] = str(a.get("unit") or "")
        if a.get("percent"):
            out["answer_percent"] = "on"
        if a.get("allow_fraction", True):
            out["answer_allow_fraction"] = "on"
    elif kind == "fraction":
        out["answer_fraction"] = str(a.get("value", ""))
        for flag in ("simplest_form", "mixed_number", "improper_fraction"):
            if a.get(flag):
                out[f"answer_{flag}"] = "on"
    elif kind == "short_text":
        out["answer_accepted"] = "\n".join(str(x) for x in a.get("accepted", []))
    return out


NEW_ITEM_DEFAULTS: dict[str, str] = {"type": "multiple_choice", "answer_allow_fraction": "on"}

_ANSWER_FIELDS = {
    "multiple_choice": {"choices": "answer_choices", "correct": "answer_correct"},
    "numeric": {
        "value": "answer_value",
        "tolerance": "answer_tolerance",
        "unit": "answer_unit",
        "percent": "answer_percent",
        "allow_fraction": "answer_allow_fraction",
    },
    "fraction": {
        "value": "answer_fraction",
        "simplest_form": "answer_simplest_form",
        "mixed_number": "answer_mixed_number",
        "improper_fraction": "answer_improper_fraction",
    },
    "short_text": {"accepted": "answer_accepted"},
}
_ANSWER_BOX = {
    "multiple_choice": "answer_choices",
    "numeric": "answer_value",
    "fraction": "answer_fraction",
    "short_text": "answer_accepted",
}
_TOP_FIELDS = ("id", "skills", "type", "prompt", "hints", "solution", "difficulty", "family")


def field_for(location: str, item_type: str) -> str:
    """The form field a problem location points at, else GENERAL.

    Locations look like "body: answer.tolerance (id 'x')" or
    "body: items[57].skills[0] (id 'x')"; only the path after the file matters.
    """
    path = location.split(": ", 1)[1] if ": " in location else location
    path = re.sub(r"\s*\(id .*\)$", "", path).strip()
    path = re.sub(r"^items\[\d+\]\.?", "", path)
    parts = [p for p in re.split(r"[.\[\]]+", path) if p and not p.isdigit()]
    if not parts:
        return GENERAL
    head = parts[0]
    if head == "answer":
        if len(parts) > 1:
            return _ANSWER_FIELDS.get(item_type, {}).get(
                parts[1], _ANSWER_BOX.get(item_type, GENERAL)
            )
        return _ANSWER_BOX.get(item_type, GENERAL)
    if head == "bkt" and len(parts) > 1 and parts[1] in ("guess", "slip"):
        return f"bkt_{parts[1]}"
    return head if head in _TOP_FIELDS else GENERAL


def errors_by_field(problems: Sequence[Mapping[str, str]], item_type: str) -> dict[str, str]:
    """One message per field (several problems on a field are joined)."""
    out: dict[str, list[str]] = {}
    for p in problems:
        name = field_for(str(p.get("location", "")), item_type)
        out.setdefault(name, []).append(str(p.get("message", "invalid")))
    return {k: "; ".join(dict.fromkeys(v)) for k, v in out.items()}


def problems_of(detail: Any) -> list[dict[str, str]]:
    """The problem list of a service `Invalid` detail (a report dict or a plain message)."""
    if isinstance(detail, Mapping) and isinstance(detail.get("errors"), list):
        return [
            {"location": str(e.get("location", "")), "message": str(e.get("message", ""))}
            for e in detail["errors"]
            if isinstance(e, Mapping)
        ]
    text = str(detail)
    loc, sep, msg = text.partition(": ")
    if sep and re.fullmatch(r"[A-Za-z_][\w.\[\]]*", loc):
        return [{"location": f"body: {loc}", "message": msg}]
    return [{"location": "", "message": text}]
