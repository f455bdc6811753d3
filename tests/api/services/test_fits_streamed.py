"""A fit job streams the log skill by skill and stores what the whole-log fit gives:
the same parameters (and its gate's refit on the older part the same as well), with
progress counted to the end, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session

from api.runtime import Runtime
from api.services.cache import build_snapshot, read_revision
from api.services.fits import _fitter_settings
from api.services.gate import complete, fallback_params
from api.services.log_data import log_responses
from engine.fit import service_fitter
from engine.gate import newest_mask, older_part
from engine.params import ModelParams
from models.fit_jobs import FitOptions
from models.params import ParamSet
from tests.utils.log_seed import run_fit_job, seed_log


def test_a_fit_job_stores_the_whole_log_fit(session: Session, runtime: Runtime, seed: int) -> None:
    seed_log(session, runtime, seed)
    options = FitOptions(random_state=seed, restarts=2)
    done = run_fit_job(session, options)
    assert done.total and done.done == done.total
    stored = session.get(ParamSet, done.param_set_id)
    assert stored is not None

    snap = build_snapshot(session, read_revision(session))
    data = log_responses(session)
    assert data is not None and done.n_responses == len(data)
    keep = fallback_params(snap)
    settings = _fitter_settings(options, snap)
    centres = snap.cold_start.skills
    whole = service_fitter(**settings).fit(data, keep=keep, centres=centres)
    expected = complete(whole.params_, keep, snap).to_json_dict()
    got = ModelParams.from_json_dict(stored.params).to_json_dict()
    assert got["skills"] == expected["skills"]
    older = older_part(data, newest_mask(data))
    assert older is not None
    refit = service_fitter(**settings).fit(older, keep=keep, centres=centres)
    assert done.gate is not None
    scored = done.gate["scored_params"]["skills"]
    assert scored == complete(refit.params_, keep, snap).to_json_dict()["skills"]
