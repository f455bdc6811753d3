"""Adding items (e.g. an imported CSV bank) to an existing curriculum."""

from __future__ import annotations

from collections.abc import Sequence

from content.checks import Located, curriculum_problems
from content.curriculum import Curriculum, located
from content.models import Item
from content.problems import CurriculumError, Location


def merge_items(
    curriculum: Curriculum, items: Sequence[Item], source: str | None = None
) -> Curriculum:
    """A new curriculum with `items` appended, re-validated as a whole.

    Raises CurriculumError (every problem, new items located as
    `items[n]` of the merged list under `source`) if, e.g., an id is taken or
    a skill is unknown. The original curriculum is never changed.
    """
    start = len(curriculum.items)
    merged = [
        *located(curriculum.items, "items"),
        *(
            Located(Location(source, f"items[{start + j}]", it.id), it)
            for j, it in enumerate(items)
        ),
    ]
    problems = curriculum_problems(
        located(curriculum.units, "units"), located(curriculum.skills, "skills"), merged
    )
    if problems:
        raise CurriculumError(problems)
    fields = {name: getattr(curriculum, name) for name in Curriculum.model_fields}
    return Curriculum.model_validate({**fields, "items": (*curriculum.items, *items)})
