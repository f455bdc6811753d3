"""Mastery per standard code from per-skill mastery: hand-built cases and invariants."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.services.standards_mastery import standards_progress
from models.family import StandardStatus
from models.practice import SkillMasteryPublic


def _skill(sid: str, attempts: int = 0, mastered: bool = False) -> SkillMasteryPublic:
    return SkillMasteryPublic(
        skill_id=sid, skill_name=sid.upper(), mastery=0.9 if mastered else 0.3,
        effective=0.9 if mastered else 0.3, threshold=0.85, attempts=attempts,
        corrects=attempts, mastered=mastered, stuck=False,
    )  # fmt: skip


def test_a_standard_is_mastered_only_when_all_its_skills_are() -> None:
    skills = [
        _skill("a", 5, True), _skill("b", 3, False), _skill("c", 4, True),
        _skill("d"), _skill("e", 2, True),
    ]  # fmt: skip
    codes = {"a": "3.NF.1", "b": "3.NF.1", "c": "4.NF.2", "d": "5.NF.3"}  # e has no code
    rows = standards_progress(skills, codes)
    assert [(r.code, r.skills, r.mastered, r.total, r.status) for r in rows] == [
        ("3.NF.1", ["A", "B"], 1, 2, StandardStatus.in_progress),
        ("4.NF.2", ["C"], 1, 1, StandardStatus.mastered),
        ("5.NF.3", ["D"], 0, 1, StandardStatus.not_started),
        (None, ["E"], 1, 1, StandardStatus.mastered),
    ]


def test_mastered_without_answers_still_counts_as_in_progress_or_mastered() -> None:
    """Mastery inferred from related skills (no own answers) is progress too."""
    rows = standards_progress([_skill("a", 0, True), _skill("b")], {"a": "X", "b": "X"})
    assert rows[0].status == StandardStatus.in_progress


skill_lists = st.lists(
    st.tuples(st.integers(0, 5), st.booleans(), st.sampled_from(["S1", "S2", "S3", None])),
    max_size=12,
)


@given(skill_lists)
def test_every_skill_is_in_exactly_one_row_and_the_status_follows_the_counts(
    drawn: list[tuple[int, bool, str | None]],
) -> None:
    skills = [_skill(f"k{i}", a, m) for i, (a, m, _c) in enumerate(drawn)]
    codes = {f"k{i}": c for i, (_a, _m, c) in enumerate(drawn) if c}
    rows = standards_progress(skills, codes)
    assert sorted(n for r in rows for n in r.skills) == sorted(s.skill_name for s in skills)
    assert len({r.code for r in rows if r.code}) == len([r for r in rows if r.code])
    for r in rows:
        assert 0 <= r.mastered <= r.total == len(r.skills)
        assert (r.status == StandardStatus.mastered) == (r.mastered == r.total)
        if r.code is None:
            assert r.total == 1
