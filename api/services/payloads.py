"""What a student may see of an item: a whitelist, so no answer key or solution leaks.

Multiple-choice items show their choices (the key's `choices`, never `correct`);
numeric items show the unit word and whether a percentage is expected.
"""

from __future__ import annotations

from typing import Any

from content.models import Item as ContentItem


def student_view(item: ContentItem) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": item.id,
        "type": item.type,
        "prompt": item.prompt,
        "skills": list(item.skills),
        "hints": list(item.hints),
        "difficulty": item.difficulty,
    }
    key = item.answer
    if key.type == "multiple_choice":
        view["choices"] = list(key.choices)
    elif key.type == "numeric":
        view["unit"] = key.unit
        view["percent"] = key.percent
    return view
