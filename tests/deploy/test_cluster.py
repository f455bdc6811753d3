"""`deploy.cluster` on an existing PostgreSQL: what it writes, serves and leaves behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.pg_server import PostgresServer
from deploy.cluster import Cluster, ClusterConfig, main
from deploy.pgbouncer import Upstream
from deploy.processes import DeployError
from tests.deploy.conftest import CHEAP_ARGON2, require_tools
from tests.utils.answer_driver import ITEMS
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.live_service import seed, service_env, token


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.fault
@pytest.mark.slow
@pytest.mark.postgres
def test_a_cluster_on_an_existing_database_serves_and_stops_cleanly(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    require_tools()
    url = postgres_server.create_database("pathways_cluster")
    with Cluster(ClusterConfig(nodes=2, postgres_url=url, env=CHEAP_ARGON2)) as cluster:
        run = cluster.run_dir
        assert "pool_mode = transaction" in (run / "pgbouncer" / "pgbouncer.ini").read_text()
        haproxy_cfg = (run / "haproxy" / "haproxy.cfg").read_text()
        assert "option httpchk GET /api/health" in haproxy_cfg
        assert all(f"127.0.0.1:{n.port} check" in haproxy_cfg for n in cluster.nodes)
        assert cluster.node_env()["PATHWAYS_DB_PREPARED_STATEMENTS"] == "false"
        health = httpx.get(cluster.url + "/api/health", timeout=10).json()
        assert health["status"] == "ok" and health["database"] == "postgresql"
        seeded = seed(service_env(tmp_path / "seed", database_url=url), students=1)
        headers = token(cluster.url, next(iter(seeded.students)))
        # a token from one node works on every node: they share the signing key
        for node in cluster.nodes:
            me = httpx.get(node.url + "/api/me", headers=headers, timeout=10)
            assert me.status_code == 200, me.text
        pids = [n.process.pid for n in cluster.nodes if n.process is not None]
        assert cluster.haproxy is not None and cluster.haproxy.process is not None
        assert cluster.pgbouncer is not None and cluster.pgbouncer.process is not None
        pids += [cluster.haproxy.process.pid, cluster.pgbouncer.process.pid]
    assert not run.exists()  # a temporary run directory goes with the cluster
    assert not any(_alive(pid) for pid in pids)


def test_a_url_without_user_host_or_database_is_refused_naming_it() -> None:
    with pytest.raises(DeployError, match="needs a user, a host and a database"):
        Upstream.from_url("postgresql:///pathways")
    with pytest.raises(DeployError, match="expected postgresql://"):
        Upstream.from_url("mysql://u@h/db")
    parsed = Upstream.from_url("postgresql+psycopg://pw:s%40cret@db.example:6543/pathways")
    assert (parsed.host, parsed.port, parsed.user, parsed.password) == (
        "db.example",
        6543,
        "pw",
        "s@cret",
    )


def test_the_command_refuses_a_node_count_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", "--nodes", "0", "--throwaway-postgres"]) == 2
    assert "--nodes 0" in capsys.readouterr().err


@pytest.mark.fault
@pytest.mark.slow
@pytest.mark.postgres
def test_a_refit_and_its_activation_work_through_pgbouncer_transaction_pooling(
    cluster: Cluster, tmp_path: Path
) -> None:
    """The fit job reads the log on a server-side cursor and the activation replays it:
    both must hold one server connection per transaction, with no prepared statements."""
    env = service_env(tmp_path / "seed", database_url=cluster.database_url)
    seeded = seed(env, students=9)  # the service fit's minimum number of students
    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        for n, name in enumerate(seeded.students):
            headers = token(cluster.url, name)
            for i, item in enumerate(ITEMS * 3):
                text = WRONG[item] if (i + n) % 3 == 0 else RIGHT[item]
                body = {"item_id": item, "answer": text, "idempotency_key": f"{name}-{i}"}
                reply = http.post("/api/practice/answers", json=body, headers=headers)
                assert reply.status_code == 200, reply.text
        designer = token(cluster.url, seeded.designer)
        started = http.post("/api/fits", json={"restarts": 1}, headers=designer)
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        deadline = time.monotonic() + 120
        while (job := http.get(f"/api/fits/{job_id}", headers=designer).json())["status"] in (
            "queued",
            "running",
        ):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["status"] == "succeeded", job["error"]
        activated = http.post(
            f"/api/fits/{job_id}/activate",
            json={"override_reason": "fault test: activation through the pooler"},
            headers=designer,
        )
        assert activated.status_code == 200, activated.text
        assert activated.json()["responses"] == 9 * 27
        for node in cluster.nodes:  # every node runs the new set from its next request
            listed = httpx.get(node.url + "/api/params", headers=designer, timeout=10).json()
            assert [p["id"] for p in listed if p["active"]] == [job["param_set_id"]]
