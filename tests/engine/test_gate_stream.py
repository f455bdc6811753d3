"""The gate's scoring streamed a skill at a time (`NewestScores`) equals `compare` on the
whole log: same rows, same numbers, bit for bit, with per-item guess/slip and forgets."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.gate import NewestScores, Scores, compare, evaluate, newest_mask
from engine.params import ModelParams, SkillParams
from engine.responses import Responses
from tests.factories import model

ITEMS = {
    "eq1": ("equiv",),
    "eq2": ("equiv",),
    "ad1": ("add",),
    "ad2": ("add", "equiv"),  # one answer, a row on each skill
    "mu1": ("mul",),
    "mu2": ("mul", "add"),
}


def random_log(
    rng: np.random.Generator, n: int, n_students: int
) -> list[tuple[int, str, str, int, tuple[str, ...]]]:
    """(log id, student, item, correct, tagged skills), in log order; student names of
    one and two digits, so name order is not number order."""
    items = sorted(ITEMS)
    log = []
    for rid in range(1, n + 1):
        student = f"{int(rng.integers(n_students))}"
        item = items[int(rng.integers(len(items)))]
        log.append((rid, student, item, int(rng.random() < 0.55), ITEMS[item]))
    return log


def expanded(
    log: list[tuple[int, str, str, int, tuple[str, ...]]], only: str | None = None
) -> Responses:
    """The log as `Responses`, one row per tagged skill (as the service expands it)."""
    cols: dict[str, list[object]] = {"correct": [], "skill": [], "student": [], "item": []}
    rows: list[int] = []
    for rid, student, item, ok, tagged in log:
        for s in tagged:
            if only is not None and s != only:
                continue
            cols["correct"].append(ok)
            cols["skill"].append(s)
            cols["student"].append(student)
            cols["item"].append(item)
            rows.append(rid)
    return Responses.from_columns(
        cols["correct"],  # type: ignore[arg-type]
        cols["skill"],
        cols["student"],
        item=cols["item"],
        row=rows,
    )


def sets(rng: np.random.Generator, variant: str) -> tuple[ModelParams, ModelParams]:
    """A candidate and a current set; per-item guess/slip or forgets by `variant`."""

    def one(skill: str) -> SkillParams:
        u = rng.uniform
        mine = [i for i, tags in ITEMS.items() if skill in tags]
        multigs = variant == "multigs"
        return SkillParams(
            prior=u(0.1, 0.6),
            learn=u(0.05, 0.3),
            guess=u(0.1, 0.3),
            slip=u(0.05, 0.2),
            forget=u(0.0, 0.2) if variant == "forgets" else 0.0,
            item_guess={i: u(0.05, 0.35) for i in mine} if multigs else {},
            item_slip={i: u(0.05, 0.25) for i in mine} if multigs else {},
        )

    kinds = {"forgets": variant == "forgets", "multigs": variant == "multigs"}
    skills = sorted({s for tags in ITEMS.values() for s in tags})
    candidate = model({s: one(s) for s in skills}, **kinds)
    current = model({s: one(s) for s in skills}, **kinds)
    return candidate, current


def streamed(
    log: list[tuple[int, str, str, int, tuple[str, ...]]],
    candidate: ModelParams,
    current: ModelParams,
    cutoff: int,
    order: list[str] | None = None,
) -> NewestScores:
    """The log added a skill at a time, each block with code tables of its own."""
    acc = NewestScores()
    skills = sorted({s for *_, tags in log for s in tags})
    for s in order or skills:
        acc.add(expanded(log, only=s), candidate, current, cutoff)
    return acc


def assert_same(
    got: tuple[Scores | None, dict[str, Scores]], want: tuple[Scores | None, dict[str, Scores]]
) -> None:
    """Every number equal, bit for bit (NaN, an undefined AUC, equal to NaN)."""
    assert got[0] is not None and want[0] is not None
    np.testing.assert_equal(asdict(got[0]), asdict(want[0]))
    assert sorted(got[1]) == sorted(want[1])
    np.testing.assert_equal(
        {k: asdict(v) for k, v in got[1].items()}, {k: asdict(v) for k, v in want[1].items()}
    )


@pytest.mark.parametrize("variant", ["plain", "multigs", "forgets"])
@pytest.mark.parametrize("offset", range(4))
def test_streamed_scores_equal_compare_on_the_whole_log(
    seed: int, variant: str, offset: int
) -> None:
    rng = np.random.default_rng(seed + offset)
    log = random_log(rng, int(rng.integers(150, 400)), int(rng.integers(3, 25)))
    candidate, current = sets(rng, variant)
    whole = expanded(log)
    newest = newest_mask(whole)
    cutoff = int(whole.row[newest].min())
    acc = streamed(log, candidate, current, cutoff)
    assert acc.rows == len(whole) and acc.test_rows == int(newest.sum())
    assert_same(acc.result(), compare(candidate, current, whole, newest))
    # and the verdict built from them is the whole log's
    got = evaluate(candidate, current, None, scores=acc.scores())
    assert got.to_json_dict() == evaluate(candidate, current, whole).to_json_dict()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    log_seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 120),
    n_students=st.integers(1, 15),
    variant=st.sampled_from(["plain", "multigs", "forgets"]),
    share=st.sampled_from([0.1, 0.2, 0.5]),
)
def test_streamed_scores_equal_compare_for_any_log(
    log_seed: int, n: int, n_students: int, variant: str, share: float
) -> None:
    rng = np.random.default_rng(log_seed)
    log = random_log(rng, n, n_students)
    candidate, current = sets(rng, variant)
    whole = expanded(log)
    newest = newest_mask(whole, share)
    cutoff = int(whole.row[newest].min())
    acc = streamed(log, candidate, current, cutoff)
    assert acc.test_rows == int(newest.sum())
    assert_same(acc.result(), compare(candidate, current, whole, newest))


def test_rows_a_set_cannot_predict_are_counted_but_not_scored(seed: int) -> None:
    rng = np.random.default_rng(seed)
    log = random_log(rng, 300, 12)
    candidate, current = sets(rng, "plain")
    partial = model({s: p for s, p in candidate.skills.items() if s != "mul"})  # no "mul"
    whole = expanded(log)
    newest = newest_mask(whole)
    cutoff = int(whole.row[newest].min())
    acc = streamed(log, partial, current, cutoff)
    overall, per_skill = acc.result()
    assert acc.test_rows == int(newest.sum())
    assert overall is not None and overall.n < acc.test_rows and "mul" not in per_skill
    assert_same((overall, per_skill), compare(partial, current, whole, newest))


def test_skill_blocks_in_another_order_give_the_same_scores(seed: int) -> None:
    rng = np.random.default_rng(seed)
    log = random_log(rng, 300, 12)
    candidate, current = sets(rng, "multigs")
    whole = expanded(log)
    newest = newest_mask(whole)
    cutoff = int(whole.row[newest].min())
    got = streamed(log, candidate, current, cutoff, ["mul", "add", "equiv"]).result()
    assert_same(got, compare(candidate, current, whole, newest))


def test_nothing_newest_and_nothing_added() -> None:
    assert NewestScores().result() == (None, {})
    assert NewestScores().scores() == (None, {}, 0)
    log = random_log(np.random.default_rng(1), 40, 4)
    candidate, current = sets(np.random.default_rng(2), "plain")
    acc = streamed(log, candidate, current, cutoff=10_000)  # past the last id
    assert acc.rows > 0 and acc.test_rows == 0 and acc.result() == (None, {})


def test_evaluate_takes_precomputed_scores_and_still_skips_a_small_test(seed: int) -> None:
    rng = np.random.default_rng(seed)
    log = random_log(rng, 60, 5)
    candidate, current = sets(rng, "plain")
    whole = expanded(log)
    newest = newest_mask(whole)
    acc = streamed(log, candidate, current, int(whole.row[newest].min()))
    few = evaluate(candidate, current, None, scores=acc.scores(), min_test_rows=10**6)
    assert few.overall is None and few.per_skill == {} and few.test_rows == acc.test_rows
    with pytest.raises(ValueError, match="either"):
        evaluate(candidate, current, whole, scores=acc.scores())
