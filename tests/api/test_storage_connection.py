"""A broken database connection is a 503 to send again, and a read proves it over.

When PostgreSQL or PgBouncer restarts under a request, the request fails with a
connection that broke (or "terminating connection due to administrator command"):
not a bug in the request, so not a bare 500. /api/health reports the problem until
a read works again; a full or read-only store stays reported until a write commits.
"""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import OperationalError

from api.storage import FULL, LOST, UNAVAILABLE, StorageMonitor, StorageProblem, classify


def test_a_connection_that_broke_is_lost_and_may_be_sent_again() -> None:
    broken = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    broken.connection_invalidated = True
    problem = classify(broken)
    assert problem == StorageProblem(LOST)
    assert problem.retry_after == 1 and "send the same request again" in problem.message


def test_a_server_shutting_down_under_the_request_is_lost() -> None:
    for error in (psycopg.errors.AdminShutdown, psycopg.errors.CrashShutdown):
        wrapped = OperationalError("SELECT 1", {}, error("terminating connection"))
        assert classify(wrapped) == StorageProblem(LOST), error.__name__


def test_a_database_that_cannot_be_reached_is_unavailable_and_nothing_was_saved() -> None:
    try:
        psycopg.connect("host=/nonexistent-socket-dir dbname=pathways", connect_timeout=1)
    except psycopg.OperationalError as exc:
        refused = OperationalError("connect", {}, exc)
    problem = classify(refused)
    assert problem == StorageProblem(UNAVAILABLE) and "nothing was saved" in problem.message


def test_an_error_in_the_request_itself_is_not_a_storage_problem() -> None:
    wrapped = OperationalError("SELECT 1", {}, psycopg.errors.DivisionByZero("division by zero"))
    assert classify(wrapped) is None


def test_a_working_read_ends_a_connection_problem_but_not_a_full_store() -> None:
    monitor = StorageMonitor()
    monitor.failed(StorageProblem(LOST))
    monitor.reachable()
    assert monitor.problem is None
    monitor.failed(StorageProblem(FULL))
    monitor.reachable()
    assert monitor.problem == StorageProblem(FULL)
    monitor.wrote()
    assert monitor.problem is None
