"""The gate's scoring streamed skill by skill gives what `engine.gate.evaluate` gives on
the whole log in memory (`log_responses`): a fit job's stored verdict, and activation's
second look, number for number."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from api.runtime import Runtime
from api.services.cache import build_snapshot, read_revision
from api.services.log_data import log_responses
from api.services.params import gate_for
from engine import gate
from engine.params import ModelParams
from models.fit_jobs import FitJob, FitOptions
from models.params import ParamSet
from tests.utils.log_seed import run_fit_job, seed_log


def _whole_log_verdict(
    session: Session, done: FitJob, skills: list[str] | None
) -> tuple[gate.GateResult, ModelParams, ModelParams | None]:
    stored = session.get(ParamSet, done.param_set_id)
    assert stored is not None and done.gate is not None
    candidate = ModelParams.from_json_dict(stored.params)
    scored = done.gate["scored_params"]
    refit = None if scored is None else ModelParams.from_json_dict(scored)
    snap = build_snapshot(session, read_revision(session))
    data = log_responses(session, skills)
    assert data is not None
    verdict = gate.evaluate(
        candidate,
        snap.running_model(),
        data,
        gate.newest_mask(data),
        scored_candidate=refit,
        guess_floors=dict(snap.guess_floors),
    )
    return verdict, candidate, refit


def _stored(done: FitJob) -> dict[str, Any]:
    assert done.gate is not None
    return {
        k: v for k, v in done.gate.items() if k not in ("baseline_param_set_id", "scored_params")
    }


@pytest.mark.parametrize("skills", [None, ["add", "mul"]])
def test_a_fit_jobs_gate_equals_the_whole_log_evaluate(
    session: Session, runtime: Runtime, seed: int, skills: list[str] | None
) -> None:
    seed_log(session, runtime, seed, n_students=20)
    done = run_fit_job(session, FitOptions(random_state=seed, restarts=1, skills=skills))
    want, _, refit = _whole_log_verdict(session, done, skills)
    assert refit is not None, "the job refits on the older answers"
    assert want.overall is not None and want.test_rows >= gate.MIN_TEST_ROWS
    got = _stored(done)
    assert got["test_rows"] == want.test_rows
    assert got["overall"] == want.to_json_dict()["overall"]  # log-loss, AUC, rmse, n, se
    assert got["per_skill"] == want.to_json_dict()["per_skill"]
    assert set(got["per_skill"]) == set(skills or ["add", "equiv", "mul"])
    assert got == want.to_json_dict()


def test_activations_second_look_streamed_equals_the_whole_log_evaluate(
    session: Session, runtime: Runtime, seed: int
) -> None:
    seed_log(session, runtime, seed, n_students=20)
    done = run_fit_job(session, FitOptions(random_state=seed, restarts=1))
    assert done.param_set_id is not None
    want, _, _ = _whole_log_verdict(session, done, None)
    got = gate_for(session, runtime, done.param_set_id)
    assert got.overall is not None
    assert got.to_json_dict() == want.to_json_dict()
