"""Reading curriculum YAML safely, with line numbers for what goes wrong.

Uses a safe loader (no object construction) and rejects duplicate keys,
which plain YAML silently resolves by keeping the last one - an easy way to
lose half an item without noticing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from content.problems import Location, Problem

# libyaml's parser when present (about 10x faster on the 2,000-line sample); both are safe.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Base):  # type: ignore[valid-type,misc]
    """Safe loader that records duplicate mapping keys instead of overwriting."""

    duplicates: list[tuple[str, int]]


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in result:
            loader.duplicates.append((str(key), key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=deep)
    return result


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping,
)


MAX_NODES = 1_000_000
"""Values a document may expand to; YAML aliases can make a small upload explode."""


def _too_big(data: Any, budget: int = MAX_NODES) -> bool:
    """True when walking the data (aliases counted each time) exceeds the budget.

    The walk stops at the budget, so alias bombs and self-referencing lists
    cost at most `budget` steps instead of hanging validation.
    """
    todo = [data]
    while todo:
        budget -= 1
        if budget < 0:
            return True
        node = todo.pop()
        if isinstance(node, dict):
            todo.extend(node.keys())
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return False


def parse_yaml(text: str, source: str | None = None) -> tuple[Any, list[Problem]]:
    """The document's data (None on failure) and any syntax/duplicate-key problems."""
    loader = _StrictLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        detail = getattr(e, "problem", None) or str(e)
        return None, [Problem(Location(source, where), f"not valid YAML: {detail}")]
    finally:
        loader.dispose()
    if _too_big(data):
        message = f"document expands to more than {MAX_NODES:,} values (too many YAML aliases?)"
        return None, [Problem(Location(source), message)]
    return data, [
        Problem(Location(source, f"line {line}"), f"duplicate key {key!r} (the later would win)")
        for key, line in loader.duplicates
    ]


def read_yaml_file(path: str | Path) -> tuple[Any, list[Problem]]:
    """Like `parse_yaml` for a file; an unreadable file is a problem, not an exception."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return None, [Problem(Location(str(p)), f"cannot read file: {reason}")]
    return parse_yaml(text, str(p))
