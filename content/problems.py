"""Where a curriculum is wrong and why: the common currency of every check.

Every check returns `Problem`s instead of raising, so one run can report
everything that is wrong with a file; loaders then raise `CurriculumError`
carrying all of them at once (imports are all-or-nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Location:
    """A place in a curriculum source: file, path inside it, and the id found there.

    `path` is YAML-style (`items[12].answer.tolerance`) for curriculum files and
    spreadsheet-style (`row 5, column answer`) for CSV item banks.
    """

    file: str | None = None
    path: str = ""
    id: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.path) if p]
        text = ": ".join(parts) if parts else "<curriculum>"
        return f"{text} (id {self.id!r})" if self.id else text

    def child(self, suffix: str) -> Location:
        """The location of a field below this one (`.name` or `[3]`)."""
        if not suffix:
            return self
        sep = "" if not self.path or suffix.startswith("[") else "."
        return Location(self.file, f"{self.path}{sep}{suffix}", self.id)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a curriculum, with where it is."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"location": str(self.location), "message": self.message}


class CurriculumError(ValueError):
    """A curriculum or item bank was rejected; `problems` lists everything wrong."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("CurriculumError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.problems)} problem(s) in curriculum:\n{shown}{tail}")


@dataclass(frozen=True)
class ValidationReport:
    """Counts of what could be read plus every problem found (empty when valid)."""

    skills: int
    items: int
    prerequisites: int
    errors: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """The `pathways content validate --json` shape."""
        return {
            "skills": self.skills,
            "items": self.items,
            "prerequisites": self.prerequisites,
            "errors": [p.to_dict() for p in self.errors],
        }
