"""Shared fixtures: the shared-data folder (skip when absent) and reproducible seeds."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
from hypothesis import settings

from cli.datasets import ENV_VAR, shared_data_dir

SEED_ENV = "PATHWAYS_TEST_SEED"

# Property tests check invariants, not speed (speed lives in benchmarks/): no per-example
# deadline, so a busy CI machine cannot fail them on timing.
settings.register_profile("pathways", deadline=None)
settings.load_profile("pathways")

# Real-PostgreSQL fixtures and the sqlite/postgres `database_url` parameter.
pytest_plugins = ["tests.utils.postgres"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder, or skip: tests that need real data say so instead of failing."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data folder not found at {path}; set {ENV_VAR}")
    return path


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """A per-test seed derived from the test's name (stable across runs and machines).

    It is printed, so a failing test's captured output shows it; set
    PATHWAYS_TEST_SEED to rerun every test with another seed.
    """
    override = os.environ.get(SEED_ENV)
    value = int(override) if override else zlib.crc32(request.node.nodeid.encode()) % 2**31
    print(f"seed={value} (test {request.node.nodeid}; rerun with {SEED_ENV}={value})")
    return value
