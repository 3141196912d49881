"""On PostgreSQL every statement is a round trip: what a registration and a lookup send to
the server, counted at the driver (transaction control and pool pings included)."""
import time

import psycopg2.extensions
import pytest

from resolvers import changes, models, versions
from resolvers.access import Viewer
from store import queries
from store.database import PooledPostgres, Store
from store.tables import database as table_binding

ADMIN = Viewer("tester", is_admin=True)


@pytest.fixture
def counted(store):
    """A second store on the test database whose connections list every statement they
    send, with the tables bound to it for the test."""
    if store.is_sqlite:
        pytest.skip("round trips are PostgreSQL's cost; SQLite runs in the process")
    sent: list[str] = []

    class Listing(psycopg2.extensions.cursor):
        def execute(self, sql, params=None):
            sent.append(sql if isinstance(sql, str) else sql.decode())
            return super().execute(sql, params)

    second = Store(store.url, pool_size=1)
    second.db.connect_params["cursor_factory"] = Listing
    try:
        yield second, sent
    finally:
        second.close()
        table_binding.initialize(store.db)


def _register(store: Store):
    return store.write(changes.apply, versions.create, ADMIN, "fraud", "s3://models/fraud", None, None, None, [],
                       False, None)


def test_a_registration_is_six_round_trips(counted):
    store, sent = counted
    store.write(changes.apply, models.create, ADMIN, "fraud", None, [])
    for number in (1, 2, 3):
        sent.clear()
        assert _register(store).version == number
        assert [s.split()[0] for s in sent] == ["BEGIN", "SELECT", "UPDATE", "INSERT", "SELECT", "COMMIT"], sent
        assert sent[4].startswith("SELECT pg_advisory_xact_lock") and 'INSERT INTO "activities"' in sent[4]


def test_a_pooled_connection_is_pinged_only_after_sitting_idle(counted, monkeypatch):
    store, sent = counted
    store.write(changes.apply, models.create, ADMIN, "fraud", None, [])
    sent.clear()
    store.call(queries.model_by_name, "fraud")
    store.call(queries.model_by_name, "fraud")
    assert len(sent) == 2 and "SELECT 1" not in sent, sent
    monkeypatch.setattr(PooledPostgres, "ALIVE_BYPASS_SECONDS", 0.05)
    time.sleep(0.1)
    sent.clear()
    assert store.call(queries.model_by_name, "fraud").name == "fraud"
    assert sent[0] == "SELECT 1" and len(sent) == 2, sent
