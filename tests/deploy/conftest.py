"""The fault tests' cluster: PostgreSQL, PgBouncer, two nodes and HAProxy (deploy/).

Without haproxy, pgbouncer or PostgreSQL these tests skip, saying what is missing,
except in CI (CI=true), where scripts/install-system-deps.sh installs them and their
absence is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy import haproxy, pgbouncer, postgres
from deploy.cluster import Cluster, ClusterConfig
from deploy.processes import DeployError
from tests.utils.live_service import seed, service_env, token
from tests.utils.postgres import in_ci

NODES = 2
STUDENTS = 12
CHEAP_ARGON2 = {"PATHWAYS_ARGON2_TIME_COST": "1", "PATHWAYS_ARGON2_MEMORY_KIB": "64"}


def require_tools() -> None:
    """Skip (fail in CI) unless haproxy, pgbouncer and PostgreSQL are installed."""
    try:
        haproxy.binary()
        pgbouncer.binary()
        postgres.bin_dir()
    except DeployError as exc:
        if in_ci():
            pytest.fail(f"{exc} (CI=true: fault tests must run, not skip)", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    require_tools()
    # a temporary run directory of its own: pytest's tmp_path is closed to the postgres
    # account that PostgreSQL and PgBouncer run as under root
    config = ClusterConfig(nodes=NODES, env=CHEAP_ARGON2, durable=False)
    with Cluster(config) as running:
        yield running


@pytest.fixture
def tokens(cluster: Cluster, tmp_path: Path) -> dict[str, str]:
    """STUDENTS students seeded straight into the database, logged in through HAProxy."""
    env = service_env(tmp_path / "seed", database_url=cluster.database_url)
    seeded = seed(env, students=STUDENTS)
    return {
        name: token(cluster.url, name)["Authorization"].removeprefix("Bearer ")
        for name in seeded.students
    }
