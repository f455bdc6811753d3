"""The shipped sample curriculum: real size, sound prerequisites, every key checks."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from fractions import Fraction
from functools import cache

import pytest

from content import Curriculum, load_curriculum, sample_curriculum_path, validate_curriculum
from content.answers import canonical_answer, check_answer
from content.cold_start import skill_starting
from content.keys import ChoiceKey, FractionKey, NumericKey, TextKey
from content.models import Item
from content.numbers import format_fraction, format_rounded
from engine.graph import ancestors, find_cycles


@cache
def sample() -> Curriculum:
    return load_curriculum(sample_curriculum_path())


def test_sample_validates_with_real_size() -> None:
    report = validate_curriculum(sample_curriculum_path())
    assert report.ok, report.errors[:5]
    cur = sample()
    assert len(cur.skills) >= 25
    assert len(cur.items) >= 300
    assert 4 <= len(cur.units) <= 7
    assert (report.skills, report.items) == (len(cur.skills), len(cur.items))


def test_prerequisites_form_a_dag_a_teacher_would_recognise() -> None:
    cur = sample()
    nodes, edges = cur.graph()
    assert find_cycles(nodes, edges) == []
    chains = [
        ("equivalent-fractions", "compare-fractions", "add-unlike"),
        ("unit-fractions", "fractions-on-number-line"),
        ("multiply-fraction-whole", "multiply-fractions", "divide-fractions"),
        ("ratio-language", "unit-rates", "proportional-relationships", "percent-problems"),
    ]
    for chain in chains:
        for earlier, later in itertools.pairwise(chain):
            assert earlier in ancestors(edges, later), (earlier, later)
    for s in cur.skills:
        assert all(cur.skill_order().index(r) < cur.skill_order().index(s.id) for r in s.requires)


def test_standards_cover_the_grade_4_to_7_progression() -> None:
    codes = {s.standard for s in sample().skills if s.standard}
    for family in ("4.NF", "5.NF", "6.RP", "7.RP", "6.NS"):
        assert any(code.startswith(family) for code in codes), family


def test_every_skill_has_several_items_of_mixed_difficulty() -> None:
    cur = sample()
    for s in cur.skills:
        items = cur.items_for(s.id)
        assert len(items) >= 8, s.id
        assert len({i.difficulty for i in items}) >= 2, s.id
    types = Counter(i.type for i in cur.items)
    assert set(types) == {"multiple_choice", "numeric", "fraction", "short_text"}
    assert min(types.values()) >= 30, types


def test_every_item_has_hints_a_solution_and_no_leftover_placeholders() -> None:
    for it in sample().items:
        assert it.hints and it.solution, it.id
        assert it.difficulty is not None, it.id
        for text in (it.prompt, it.solution, *it.hints):
            assert not re.search(r"[{}]", text), (it.id, text)
            assert not re.search(r"(?<![\d/])1 (parts|hours|cups|jumps|feet)\b", text), it.id


def test_prompts_are_distinct() -> None:
    prompts = Counter((it.prompt, getattr(it.answer, "choices", None)) for it in sample().items)
    assert [p for p, n in prompts.items() if n > 1] == []


def test_multiple_choice_answers_are_not_always_in_the_same_place() -> None:
    positions = Counter(
        it.answer.choices.index(it.answer.correct)
        for it in sample().items
        if isinstance(it.answer, ChoiceKey)
    )
    assert len(positions) >= 3 and max(positions.values()) < 0.5 * sum(positions.values())


def obviously_wrong(item: Item) -> str:
    key = item.answer
    if isinstance(key, NumericKey):
        return format_rounded(key.value + key.tolerance + 1, 6)
    if isinstance(key, FractionKey):
        return format_fraction(key.exact + 1)
    if isinstance(key, ChoiceKey):
        return next(c for c in key.choices if c != key.correct)
    assert isinstance(key, TextKey)
    return "certainly not the answer"


@pytest.mark.parametrize("unit", [u.id for u in sample().units])
def test_every_key_is_accepted_and_a_wrong_answer_rejected(unit: str) -> None:
    cur = sample()
    for sid in cur.unit(unit).skills:
        for it in cur.items_for(sid):
            right = check_answer(it, canonical_answer(it.answer))
            assert right.correct, (it.id, right)
            wrong = check_answer(it, obviously_wrong(it))
            assert not wrong.correct and wrong.error is None, (it.id, wrong)


def test_numeric_answers_are_reasonable_numbers() -> None:
    for it in sample().items:
        if isinstance(it.answer, NumericKey):
            assert Fraction(0) <= it.answer.value <= 1000, it.id


def lowest_grade(band: str) -> int:
    low = band.split("-")[0]
    return 0 if low == "K" else int(low)


def test_earlier_grade_bands_start_more_often_known() -> None:
    priors: dict[int, list[float]] = {}
    for s in sample().skills:
        assert s.bkt is not None and s.bkt.prior is not None, s.id
        priors.setdefault(lowest_grade(s.grade_band), []).append(s.bkt.prior)
    means = [sum(v) / len(v) for _, v in sorted(priors.items())]
    assert len(means) >= 4
    assert all(a > b for a, b in itertools.pairwise(means)), means


MULTI_STEP = {
    "add-subtract-mixed-unlike",
    "fraction-word-problems",
    "multiply-mixed-numbers",
    "divide-fractions",
    "complex-unit-rates",
    "find-whole-from-percent",
    "percent-problems",
}


def test_long_multi_step_skills_are_learnt_slower_and_slipped_on_more() -> None:
    start = {s.id: skill_starting(s) for s in sample().skills}
    others = set(start) - MULTI_STEP
    assert max(start[s].learn for s in MULTI_STEP) < min(start[s].learn for s in others)
    assert min(start[s].slip for s in MULTI_STEP) > max(start[s].slip for s in others)
