"""Curriculum content: the YAML format, its validation, the answer checker and a sample.

Public API (imported lazily, so `import content.graph` stays free of pydantic):
    load_curriculum, curriculum_from_text, curriculum_from_data, validate_curriculum,
    load_item_csv, merge_items, check_answer, sample_curriculum_path,
    Curriculum, Unit, Skill, Item, CheckResult, Problem, Location,
    CurriculumError, ValidationReport.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from content.answers import CheckResult as CheckResult
    from content.answers import check_answer as check_answer
    from content.csv_items import load_item_csv as load_item_csv
    from content.curriculum import Curriculum as Curriculum
    from content.loader import curriculum_from_data as curriculum_from_data
    from content.loader import curriculum_from_text as curriculum_from_text
    from content.loader import load_curriculum as load_curriculum
    from content.loader import validate_curriculum as validate_curriculum
    from content.merge import merge_items as merge_items
    from content.models import Item as Item
    from content.models import Skill as Skill
    from content.models import Unit as Unit
    from content.problems import CurriculumError as CurriculumError
    from content.problems import Location as Location
    from content.problems import Problem as Problem
    from content.problems import ValidationReport as ValidationReport

_EXPORTS = {
    "CheckResult": "content.answers",
    "check_answer": "content.answers",
    "load_item_csv": "content.csv_items",
    "Curriculum": "content.curriculum",
    "curriculum_from_data": "content.loader",
    "curriculum_from_text": "content.loader",
    "load_curriculum": "content.loader",
    "validate_curriculum": "content.loader",
    "merge_items": "content.merge",
    "Item": "content.models",
    "Skill": "content.models",
    "Unit": "content.models",
    "CurriculumError": "content.problems",
    "Location": "content.problems",
    "Problem": "content.problems",
    "ValidationReport": "content.problems",
}

__all__ = [*_EXPORTS, "sample_curriculum_path"]

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


def sample_curriculum_path() -> Path:
    """The shipped middle-school fractions, ratios and proportions curriculum."""
    return SAMPLE_DIR / "fractions.yaml"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'content' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
