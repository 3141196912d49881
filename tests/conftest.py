"""One suite, two backends: REGISTRY_TEST_DATABASE_URL picks the database
(default: a fresh SQLite file; CI also runs it on PostgreSQL).

The gateway is served by a real uvicorn server on a loopback port, and tests talk to it
over HTTP with the operations in playground/.
"""
import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from gateway.app import create_app
from gateway.settings import Settings
from store.database import Store
from store.tables import ALL_TABLES

PLAYGROUND = Path(__file__).resolve().parent.parent / "playground"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry.db'}"


def _reset_database(store: Store) -> None:
    """An empty database for the session: a test database may hold an earlier run's tables."""
    with store.db.connection_context():
        if store.is_sqlite:
            return
        store.db.execute_sql("DROP SCHEMA public CASCADE")
        store.db.execute_sql("CREATE SCHEMA public")


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    store = Store(_database_url(tmp_path_factory), pool_size=8)
    _reset_database(store)
    store.migrate()
    yield store
    store.close()


@pytest.fixture(autouse=True)
def empty_registry(store):
    """Every test starts from an empty registry."""
    with store.db.connection_context():
        if store.is_sqlite:
            with store.db.atomic():
                for table in reversed(ALL_TABLES):
                    table.delete().execute()
        else:
            names = ", ".join(t._meta.table_name for t in ALL_TABLES)
            store.db.execute_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server_url(store):
    app = create_app(Settings(database_url=store.url, local_user="tester"), store=store)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def operation(name: str) -> str:
    """The text of playground/NAME.graphql."""
    return (PLAYGROUND / f"{name}.graphql").read_text()


class GraphQLClient:
    def __init__(self, http: httpx.Client):
        self.http = http

    def execute(self, document: str, /, **variables) -> dict:
        """The whole response body; a non-200 answer fails the test."""
        response = self.http.post("/graphql", json={"query": document, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, document: str, /, **variables) -> dict:
        """The data of a response that must have no errors."""
        body = self.execute(document, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def play(self, name: str, /, **variables) -> dict:
        """Run playground/NAME.graphql; its one root field's value."""
        data = self.data(operation(name), **variables)
        (value,) = data.values()
        return value

    def error(self, document: str, /, **variables) -> dict:
        """The first GraphQL error of a response that must have one."""
        body = self.execute(document, **variables)
        assert body.get("errors"), body
        return body["errors"][0]


@pytest.fixture
def gql(server_url):
    with httpx.Client(base_url=server_url, timeout=30) as http:
        yield GraphQLClient(http)


@pytest.fixture
def count_statements(store):
    """`with count_statements() as statements:` ... `len(statements)` SQL statements ran."""

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []
        hook = lambda event: statements.append(event.sql)  # noqa: E731
        store.db.query_hooks.append(hook)
        try:
            yield statements
        finally:
            store.db.query_hooks.remove(hook)

    return counting
