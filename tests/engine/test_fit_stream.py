"""StreamingFitter: skill by skill from one-skill blocks, the same fit as BKTFitter on the
whole log (parameters, reports, metadata, traces), with at most max_in_flight blocks held."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bounds import Bounds
from engine.fit import BKTFitter, service_fitter
from engine.fit_stream import ResponsesSource, StreamingFitter, plan_from_items
from engine.params import ModelParams, SkillParams
from engine.responses import DataError, Responses
from tests.factories import TRUE_BKT, model, simulated

SKILLS = {
    "a": TRUE_BKT,
    "b": SkillParams(prior=0.5, learn=0.1, guess=0.25, slip=0.15),
    "c": SkillParams(prior=0.2, learn=0.3, guess=0.15, slip=0.05),
    "d": SkillParams(prior=0.6, learn=0.05, guess=0.3, slip=0.2),
}


def _data(seed: int, n_students: int = 40, **kw: Any) -> Responses:
    return simulated(model(SKILLS), n_students, 12, seed, items=3, **kw)


def _thin(data: Responses) -> Responses:
    """Skill d keeps only a few students' answers (below the service minimum)."""
    keep = (data.skill != data.skills.index("d")) | (data.student < 3)
    return data.take(keep)


def _same(stream: StreamingFitter, whole: BKTFitter) -> None:
    assert stream.params_.to_json_dict() == whole.params_.to_json_dict()
    assert stream.report_.to_json_dict() == whole.report_.to_json_dict()
    assert stream.log_likelihood_ == whole.log_likelihood_
    assert stream.log_posterior_ == whole.log_posterior_
    assert stream.n_iter_ == whole.n_iter_
    assert stream.hyperpriors_ == whole.hyperpriors_
    assert set(stream.history_) == set(whole.history_)
    for name, h in whole.history_.items():
        np.testing.assert_array_equal(stream.history_[name], h)


CONFIGS: dict[str, dict[str, Any]] = {
    "flat": {},
    "restarts_forgets": {"restarts": 3, "forgets": True},
    "multigs_floors": {"multigs": True, "guess_floors": {"b/item0": 0.34, "c/item1": 0.25}},
    "multilearn": {"multilearn": True, "restarts": 2},
    "bounded_floor_groups": {
        "bounds": Bounds.capped(guess=0.3, slip=0.3),
        "guess_floors": {"a/item1": 0.34, "b/item0": 0.34, "b/item2": 0.5},
    },
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_streamed_fit_equals_the_whole_log_fit(name: str, seed: int) -> None:
    data = _data(seed)
    settings = {**CONFIGS[name], "random_state": seed}
    whole = BKTFitter(**settings).fit(data)
    source = ResponsesSource(data)
    fitter = BKTFitter(**settings, n_jobs=2)
    stream = StreamingFitter(fitter).fit(source.plan(fitter), source)
    _same(stream, whole)


def test_streamed_multiprior_equals_the_whole_log_fit(seed: int) -> None:
    data = _data(seed, classes=("x", "y", "z"))
    whole = BKTFitter(multiprior=True, restarts=2, random_state=seed).fit(data)
    source = ResponsesSource(data)
    fitter = BKTFitter(multiprior=True, restarts=2, random_state=seed)
    _same(StreamingFitter(fitter).fit(source.plan(fitter), source), whole)


def test_streamed_service_fit_equals_it_with_keep_centres_and_empirical_bayes(seed: int) -> None:
    """The service's settings: MAP + empirical Bayes (two passes), floors, a kept skill,
    an omitted one (thin data and nothing to keep), centres and an initial start."""
    data = _thin(_data(seed, n_students=30))
    floors = {"a/item0": 0.34, "c/item2": 0.25}
    keep = {"d": SKILLS["d"]}
    centres = {"a": SKILLS["a"], "b": SKILLS["b"]}
    initial = ModelParams(skills={"c": SKILLS["c"]})
    settings: dict[str, Any] = {"guess_floors": floors, "random_state": seed}
    whole = service_fitter(**settings).fit(data, keep=keep, centres=centres, initial=initial)
    assert whole.report_["d"].source == "kept"
    ticks: list[tuple[int, int]] = []
    fitter = service_fitter(**settings, progress=lambda d, t: ticks.append((d, t)))
    source = ResponsesSource(data)
    plan = source.plan(fitter)
    stream = StreamingFitter(fitter, max_in_flight=1).fit(
        plan, source, keep=keep, centres=centres, initial=initial
    )
    _same(stream, whole)
    assert ticks[-1] == (6, 6)  # three fitted skills, first round and refit
    omitted = StreamingFitter(service_fitter(**settings)).fit(plan, source)
    assert omitted.report_["d"].source == "omitted"
    assert omitted.params_.metadata["omitted"] == ["d"]
    assert (
        omitted.params_.to_json_dict()
        == service_fitter(**settings).fit(data).params_.to_json_dict()
    )


def test_a_skill_empty_in_an_older_part_keeps_the_others_starts(seed: int) -> None:
    """`Responses.take` keeps every skill's code: a skill with no rows still takes its
    place in the draws, as BKTFitter's do."""
    data = _data(seed)
    older = data.take(data.skill != data.skills.index("b"))
    whole = BKTFitter(random_state=seed, guess_floors={"c/item0": 0.3}).fit(older)
    source = ResponsesSource(older)
    fitter = BKTFitter(random_state=seed, guess_floors={"c/item0": 0.3})
    _same(StreamingFitter(fitter).fit(source.plan(fitter), source), whole)


def test_the_plan_from_item_counts_equals_the_plan_from_blocks(seed: int) -> None:
    data = _thin(_data(seed))
    fitter = BKTFitter(guess_floors={"a/item0": 0.34, "c/item2": 0.25})
    source = ResponsesSource(data)
    by_blocks = source.plan(fitter)
    items = [np.unique(source.block(k).item).tolist() for k in range(len(data.skills))]
    by_items = plan_from_items(
        fitter,
        data.skills,
        data.items,
        by_blocks.n_rows.tolist(),
        by_blocks.n_students.tolist(),
        items,
    )
    for name in ("n_rows", "n_students", "n_gs", "n_lr", "n_pr"):
        np.testing.assert_array_equal(getattr(by_items, name), getattr(by_blocks, name))
    with pytest.raises(ValueError, match="multiprior"):
        plan_from_items(BKTFitter(multiprior=True), data.skills, data.items, [], [], [])


class _Counting:
    """A source that records how many blocks are alive (not yet fitted and dropped)."""

    def __init__(self, data: Responses) -> None:
        self.inner = ResponsesSource(data)
        self.read: list[int] = []

    def block(self, k: int) -> Responses:
        self.read.append(k)
        return self.inner.block(k)


def test_blocks_are_read_one_skill_at_a_time_in_skill_order(seed: int) -> None:
    data = _data(seed)
    source = _Counting(data)
    fitter = BKTFitter(random_state=seed)
    plan = source.inner.plan(fitter)
    StreamingFitter(fitter, max_in_flight=1).fit(plan, source)
    assert source.read == [0, 1, 2, 3]
    fitter = service_fitter(random_state=seed)
    source.read.clear()
    StreamingFitter(fitter).fit(source.inner.plan(fitter), source)
    assert source.read == [0, 1, 2, 3, 0, 1, 2, 3]  # empirical Bayes: a second pass


def test_a_block_that_disagrees_with_the_plan_is_refused_naming_the_skill(seed: int) -> None:
    data = _data(seed)
    fitter = BKTFitter(random_state=seed)
    source = ResponsesSource(data)
    plan = source.plan(fitter)
    grown = ResponsesSource(_data(seed + 1, n_students=41))
    with pytest.raises(DataError, match=r"skill 'a': planned 480 rows .* has 492"):
        StreamingFitter(fitter).fit(plan, grown)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=st.sampled_from(sorted(CONFIGS)),
    data_seed=st.integers(0, 2**16),
    fit_seed=st.integers(0, 2**16),
    n_students=st.integers(1, 25),
    dropped=st.sets(st.sampled_from(sorted(SKILLS)), max_size=3),
    in_flight=st.integers(1, 3),
)
def test_streamed_equals_whole_for_any_log_and_settings(
    config: str,
    data_seed: int,
    fit_seed: int,
    n_students: int,
    dropped: set[str],
    in_flight: int,
) -> None:
    """Invariant: whatever the data (skills missing from it, one student) and settings,
    the streamed fit is the whole-log fit."""
    data = _data(data_seed, n_students=n_students)
    data = data.take(~np.isin(data.skill, [data.skills.index(d) for d in dropped]))
    opts = {**CONFIGS[config], "random_state": fit_seed}
    whole = BKTFitter(**opts).fit(data)
    source = ResponsesSource(data)
    fitter = BKTFitter(**opts)
    _same(StreamingFitter(fitter, max_in_flight=in_flight).fit(source.plan(fitter), source), whole)
