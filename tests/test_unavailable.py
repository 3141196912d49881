"""When the database cannot answer now — a lock not granted in time, a lost connection —
the client is told so with a code it can act on (`UNAVAILABLE`, `retryable: true`), not a
masked INTERNAL; nothing is half-applied; a read whose connection was lost runs once more
on a fresh connection (logged and counted)."""
import logging
import os
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import httpx
import pytest

from store.database import open_database

CREATE = 'mutation { createRegisteredModel(input: {name: "waits"}) { registeredModel { name } } }'
FIND = '{ registeredModel(name: "waits") { name } }'
POSTGRES = urlparse(os.environ.get("REGISTRY_TEST_DATABASE_URL", "sqlite:")).scheme != "sqlite"


def _unavailable(body: dict) -> dict:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE" and error["extensions"]["retryable"] is True, error
    assert error["extensions"]["requestId"] in error["message"]
    return error


class _WriteLock:
    """Another connection holding what a registration needs: SQLite's write lock, or on
    PostgreSQL the advisory lock activities are appended under."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        if self.store.is_sqlite:
            self.holder = sqlite3.connect(urlparse(self.store.url).path[1:], isolation_level=None)
            self.holder.execute("BEGIN IMMEDIATE")
        else:
            from store.writes import ACTIVITY_ORDER_LOCK
            self.holder = open_database(self.store.url, 1)
            self.holder.execute_sql("SELECT pg_advisory_lock(%s)", (ACTIVITY_ORDER_LOCK,))
        return self

    def __exit__(self, *_):
        if self.store.is_sqlite:
            self.holder.execute("ROLLBACK")
            self.holder.close()
        else:
            self.holder.close_all()


def _short_lock_wait(url: str) -> str:
    option = "busy_timeout=200" if url.startswith("sqlite") else "options=-c%20lock_timeout%3D200"
    return f"{url}{'&' if '?' in url else '?'}{option}"


def test_a_write_that_waits_too_long_for_a_lock_is_unavailable_and_retryable(store, server_process, gql):
    url, _ = server_process(database=_short_lock_wait(store.url))
    with _WriteLock(store):
        body = httpx.post(f"{url}/graphql", json={"query": CREATE}, timeout=30).json()
        _unavailable(body)
        assert httpx.post(f"{url}/graphql", json={"query": FIND}).json() == {"data": {"registeredModel": None}}
    assert gql.data(FIND) == {"registeredModel": None}  # nothing half-applied
    again = httpx.post(f"{url}/graphql", json={"query": CREATE}).json()
    assert again == {"data": {"createRegisteredModel": {"registeredModel": {"name": "waits"}}}}


if POSTGRES:  # a lost connection is a network's failure; SQLite has none

    class _LockedTable:
        """registered_models locked by another connection, so that the server's statements
        on it wait with their connection checked out: `lose_waiting()` then terminates the
        waiting connections, as a failed-over or restarted server would."""

        def __init__(self, store):
            self.holder = open_database(store.url, 1)

        def __enter__(self):
            self.holder.connect()
            self.holder.execute_sql("BEGIN")
            self.holder.execute_sql("LOCK TABLE registered_models IN ACCESS EXCLUSIVE MODE")
            return self

        def waiting(self) -> list[int]:
            self.holder.execute_sql("SELECT pg_stat_clear_snapshot()")  # else fixed for the transaction
            return [pid for (pid,) in self.holder.execute_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")]

        def wait_for_waiters(self, besides=()) -> list[int]:
            deadline = time.monotonic() + 20
            while not (found := [pid for pid in self.waiting() if pid not in besides]):
                assert time.monotonic() < deadline, "the server never waited on the lock"
                time.sleep(0.05)
            return found

        def lose_waiting(self) -> list[int]:
            lost = self.wait_for_waiters()
            for pid in lost:
                self.holder.execute_sql("SELECT pg_terminate_backend(%s)", (pid,))
            return lost

        def __exit__(self, *_):
            self.holder.execute_sql("COMMIT")
            self.holder.close()

    @pytest.mark.read_retries(1)
    def test_a_read_whose_connection_was_lost_runs_again_on_a_fresh_one(store, gql, caplog):
        gql.mutate("createRegisteredModel", "", name="waits")
        with ThreadPoolExecutor(1) as pool, caplog.at_level(logging.WARNING, logger="registry.store"):
            with _LockedTable(store) as table:
                answer = pool.submit(gql.data, FIND)
                lost = table.lose_waiting()
                table.wait_for_waiters(besides=lost)  # the read again, on a fresh connection
            assert answer.result(timeout=30) == {"registeredModel": {"name": "waits"}}
        assert "running the read again on a fresh connection" in caplog.text

    def test_a_write_whose_connection_was_lost_is_unavailable_and_applies_nothing(store, gql):
        with ThreadPoolExecutor(1) as pool, _LockedTable(store) as table:
            answer = pool.submit(gql.execute, CREATE)
            table.lose_waiting()
            _unavailable(answer.result(timeout=30))
        assert gql.data(FIND) == {"registeredModel": None}
        assert gql.execute(CREATE) == {"data": {"createRegisteredModel": {"registeredModel": {"name": "waits"}}}}
