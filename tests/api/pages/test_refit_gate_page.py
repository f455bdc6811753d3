"""The refit page: the gate's comparison, the refusal and a recorded override."""

from __future__ import annotations

import random

from fastapi.testclient import TestClient

from api.services import fits, params
from models.fit_jobs import FitOptions
from models.users import Role
from tests.api.pages.conftest import World, csrf_of, sign_in
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG


def _refused_job(browser: TestClient, world: World, seed: int) -> int:
    """A refit the gate refuses for real: bounds that force guess and slip to ~0 make
    it certain of every answer, and the newest answers show it."""
    rng = random.Random(seed)
    for _ in range(16):  # 64 answers per skill: fitted, and 38 newest answers to score
        student = f.make_user(world.session, world.runtime, Role.student)
        headers = f.login(browser, student.username)
        p = rng.uniform(0.3, 0.9)
        for item in ["eq1", "eq2", "ad1", "ad2", "mu1", "mu2"] * 2:
            f.answer(browser, headers, item, RIGHT[item] if rng.random() < p else WRONG[item])
    options = FitOptions(restarts=1, random_state=seed, bound_guess=0.01, bound_slip=0.01)
    job = fits.create_fit_job(world.session, world.designer, options)
    assert job.id is not None
    fits.run_fit(world.session, job.id)
    return job.id


def test_a_refused_refit_shows_why_and_activates_only_with_a_reason(
    browser: TestClient, world: World, seed: int
) -> None:
    job_id = _refused_job(browser, world, seed)
    sign_in(browser, "design")
    page = browser.get(f"/designer/fits/{job_id}")
    assert page.status_code == 200
    assert "Activation gate:" in page.text and "refuses" in page.text
    assert "log-loss" in page.text and "All skills" in page.text
    assert 'name="override_reason"' in page.text
    token = csrf_of(page.text)
    url = f"/designer/fits/{job_id}/activate"
    plain = browser.post(url, data={"csrf_token": token})
    assert plain.status_code == 409 and "Give a reason to override" in plain.text
    short = browser.post(url, data={"csrf_token": token, "override_reason": "because"})
    assert short.status_code == 409 and "at least 10 characters" in short.text
    assert params.list_activations(world.session) == []
    world.session.rollback()  # in-memory SQLite: one shared connection, end the read
    done = browser.post(
        url, data={"csrf_token": token, "override_reason": "a teacher asked to try these"}
    )
    assert done.status_code == 303
    [record] = params.list_activations(world.session)
    assert record.override_reason == "a teacher asked to try these" and not record.passed
    assert record.user_id == world.designer.id
