"""Reading a curriculum file: every problem located, then all-or-nothing.

Each unit, skill, item and template is validated on its own, templates are
expanded, and the cross-part checks run over everything that parsed - so one
run reports every problem in the file, and a file with any problem yields no
curriculum at all. The curriculum's `defaults` are written into each skill
here, so a loaded (or stored) skill carries its resolved starting values and
no later reader needs the `defaults` section.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from content.checks import Declared, Located, Ref, curriculum_problems, prerequisite_edges
from content.curriculum import FORMAT_VERSION, Curriculum
from content.models import Defaults, Id, Item, ItemBkt, Skill, Text, Unit
from content.problems import CurriculumError, Location, Problem, ValidationReport
from content.pydantic_errors import problems_from_validation
from content.templates import Expanded, ItemTemplate, expand_template
from content.yaml_io import parse_yaml, read_yaml_file

SECTIONS = (
    "format_version",
    "id",
    "name",
    "description",
    "defaults",
    "units",
    "skills",
    "items",
    "templates",
)
M = TypeVar("M", Unit, Skill, Item, ItemTemplate)


class _Header(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format_version: Literal[1] = FORMAT_VERSION
    id: Id
    name: Text
    description: str = ""


@dataclass
class Parsed:
    """What could be read from a curriculum source, and everything wrong with it."""

    file: str | None
    header: _Header | None = None
    units: list[Located[Unit]] = field(default_factory=list)
    skills: list[Located[Skill]] = field(default_factory=list)
    items: list[Located[Item]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ids: dict[str, list[Location]] = field(default_factory=dict)
    refs: dict[str, list[Ref]] = field(default_factory=dict)

    def report(self) -> ValidationReport:
        edges = prerequisite_edges([s.value for s in self.skills])
        return ValidationReport(
            skills=len(self.skills),
            items=len(self.items),
            prerequisites=len(edges),
            errors=tuple(self.problems),
        )

    def curriculum(self) -> Curriculum:
        """The curriculum, or CurriculumError with every problem."""
        if self.problems or self.header is None:
            raise CurriculumError(self.problems or [Problem(Location(self.file), "empty")])
        return Curriculum(
            format_version=self.header.format_version,
            id=self.header.id,
            name=self.header.name,
            description=self.header.description,
            units=tuple(u.value for u in self.units),
            skills=tuple(s.value for s in self.skills),
            items=tuple(i.value for i in self.items),
        )


def _declare(parsed: Parsed, section: str, loc: Location, entry: Mapping[str, Any]) -> None:
    """Record the entry's id and skill references as written, before validating it."""
    if section != "templates":
        parsed.ids.setdefault(section, []).append(loc)
    field_name = "requires" if section == "skills" else "skills"
    kind = "items" if section == "templates" else section
    refs = entry.get(field_name)
    if isinstance(refs, list):
        parsed.refs.setdefault(kind, []).extend(
            (loc.child(f"{field_name}[{j}]"), r) for j, r in enumerate(refs) if isinstance(r, str)
        )


def _entries(
    data: Mapping[str, Any], section: str, model: type[M], parsed: Parsed, required: bool
) -> list[Located[M]]:
    top = Location(parsed.file, section)
    raw = data.get(section)
    if raw is None:
        if required:
            parsed.problems.append(Problem(top, f"missing section {section!r}"))
        return []
    if not isinstance(raw, list):
        parsed.problems.append(Problem(top, f"{section!r} should be a list"))
        return []
    found: list[Located[M]] = []
    for i, entry in enumerate(raw):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        entry_id = entry_id if isinstance(entry_id, str) else None
        loc = Location(parsed.file, f"{section}[{i}]", entry_id)
        if not isinstance(entry, dict):
            parsed.problems.append(Problem(loc, "should be a mapping of fields"))
            continue
        _declare(parsed, section, loc, entry)
        try:
            found.append(Located(loc, model.model_validate(entry)))
        except ValidationError as e:
            parsed.problems += problems_from_validation(e, loc)
    return found


def _defaults(data: Mapping[str, Any], parsed: Parsed) -> dict[str, float]:
    """The declared default starting values; none if `defaults` has a problem (reported once)."""
    raw, where = data.get("defaults"), Location(parsed.file, "defaults")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        parsed.problems.append(Problem(where, "'defaults' should be a mapping, e.g. {bkt: {...}}"))
        return {}
    try:
        defaults = Defaults.model_validate(raw)
    except ValidationError as e:
        parsed.problems += problems_from_validation(e, where)
        return {}
    return defaults.bkt.declared() if defaults.bkt is not None else {}


def _with_defaults(entry: Any, bkt: Mapping[str, float]) -> Any:
    """A skill entry with the default starting values for the fields it leaves out (or null)."""
    if not bkt or not isinstance(entry, dict):
        return entry
    own = {} if entry.get("bkt") is None else entry["bkt"]
    if not isinstance(own, dict):
        return entry  # reported as malformed by the model
    return {**entry, "bkt": {**bkt, **{k: v for k, v in own.items() if v is not None}}}


def _template_bkts(raw: Any, file: str | None) -> tuple[Any, dict[str, ItemBkt], list[Problem]]:
    """Templates without their `bkt`, each valid `bkt` by template path, and the problems.

    A template's `bkt` is given to every item it expands to; it is checked
    once here (at `templates[i].bkt`) and per item after expansion.
    """
    if not isinstance(raw, list):
        return raw, {}, []
    stripped: list[Any] = []
    found: dict[str, ItemBkt] = {}
    problems: list[Problem] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or "bkt" not in entry:
            stripped.append(entry)
            continue
        entry_id = entry.get("id") if isinstance(entry.get("id"), str) else None
        where = Location(file, f"templates[{i}]", entry_id)
        stripped.append({k: v for k, v in entry.items() if k != "bkt"})
        try:
            if entry["bkt"] is not None:
                found[where.path] = ItemBkt.model_validate(entry["bkt"])
        except ValidationError as e:
            problems += problems_from_validation(e, where.child("bkt"))
    return stripped, found, problems


def _with_item_bkt(expanded: list[Expanded], bkt: ItemBkt) -> tuple[list[Expanded], list[Problem]]:
    """Expanded items re-validated with the template's `bkt` (e.g. against their choices)."""
    kept: list[Expanded] = []
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for x in expanded:
        try:
            data = {**x.item.model_dump(mode="json"), "bkt": bkt.model_dump()}
            kept.append(Expanded(x.location, Item.model_validate(data)))
        except ValidationError as e:
            for p in problems_from_validation(e, x.location):
                key = (p.location.path.removeprefix(x.location.path), p.message)
                if key not in seen:
                    seen.add(key)
                    problems.append(p)
    return kept, problems


def parse_data(data: Any, file: str | None = None) -> Parsed:
    """Validate already-loaded data (e.g. from YAML or JSON); never raises for content."""
    parsed = Parsed(file)
    if not isinstance(data, Mapping):
        message = "a curriculum should be a mapping with id, name, units, skills and items"
        parsed.problems.append(Problem(Location(file), message))
        return parsed
    for key in data:
        if key not in SECTIONS:
            message = f"unknown section (use {', '.join(SECTIONS)})"
            parsed.problems.append(Problem(Location(file, str(key)), message))
    try:
        parsed.header = _Header.model_validate(data)
    except ValidationError as e:
        parsed.problems += problems_from_validation(e, Location(file))
    bkt = _defaults(data, parsed)
    raw_skills = data.get("skills")
    if isinstance(raw_skills, list):
        data = {**data, "skills": [_with_defaults(e, bkt) for e in raw_skills]}
    raw_templates, template_bkts, bkt_problems = _template_bkts(data.get("templates"), file)
    if "templates" in data:
        data = {**data, "templates": raw_templates}
    parsed.units = _entries(data, "units", Unit, parsed, required=True)
    parsed.skills = _entries(data, "skills", Skill, parsed, required=True)
    parsed.items = _entries(data, "items", Item, parsed, required=False)
    for t in _entries(data, "templates", ItemTemplate, parsed, required=False):
        expanded, problems = expand_template(t.value, t.location)
        if (item_bkt := template_bkts.get(t.location.path)) is not None:
            expanded, more = _with_item_bkt(expanded, item_bkt)
            problems += more
        parsed.items += [Located(x.location, x.item) for x in expanded]
        parsed.ids.setdefault("items", []).extend(x.location for x in expanded)
        parsed.problems += problems
    parsed.problems += bkt_problems
    if "items" not in data and "templates" not in data:
        parsed.problems.append(Problem(Location(file, "items"), "the curriculum has no items"))
    declared = Declared(
        units=tuple(parsed.ids.get("units", ())),
        skills=tuple(parsed.ids.get("skills", ())),
        items=tuple(parsed.ids.get("items", ())),
        unit_refs=tuple(parsed.refs.get("units", ())),
        requires_refs=tuple(parsed.refs.get("skills", ())),
        item_refs=tuple(parsed.refs.get("items", ())),
    )
    parsed.problems += curriculum_problems(parsed.units, parsed.skills, parsed.items, declared)
    return parsed


def parse_text(text: str, file: str | None = None) -> Parsed:
    data, problems = parse_yaml(text, file)
    if data is None:
        parsed = Parsed(file)
        parsed.problems = problems or [Problem(Location(file), "the document is empty")]
        return parsed
    parsed = parse_data(data, file)
    parsed.problems[:0] = problems
    return parsed


def parse_file(path: str | os.PathLike[str]) -> Parsed:
    data, problems = read_yaml_file(Path(path))
    if data is None:
        parsed = Parsed(str(path))
        parsed.problems = problems or [Problem(Location(str(path)), "the file is empty")]
        return parsed
    parsed = parse_data(data, str(path))
    parsed.problems[:0] = problems
    return parsed


def load_curriculum(path: str | os.PathLike[str]) -> Curriculum:
    """Read and validate a curriculum YAML file; CurriculumError lists every problem."""
    return parse_file(path).curriculum()


def curriculum_from_text(text: str, source: str | None = None) -> Curriculum:
    """Like `load_curriculum` for YAML text (e.g. an upload); `source` names it in errors."""
    return parse_text(text, source).curriculum()


def curriculum_from_data(data: Mapping[str, Any], source: str | None = None) -> Curriculum:
    """Like `load_curriculum` for loaded data, e.g. `Curriculum.to_data()` stored as JSON."""
    return parse_data(data, source).curriculum()


def validate_curriculum(
    path_or_data: str | os.PathLike[str] | Mapping[str, Any],
) -> ValidationReport:
    """Counts and every problem; never raises for content problems (even a missing file)."""
    if isinstance(path_or_data, Mapping):
        return parse_data(path_or_data).report()
    return parse_file(path_or_data).report()
