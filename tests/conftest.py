"""One suite, two backends: REGISTRY_TEST_DATABASE_URL picks the database
(default: a fresh SQLite file; CI also runs it on PostgreSQL).

The gateway is served by a real uvicorn server on a loopback port, and tests talk to it
over HTTP with the operations in playground/.
"""
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import uvicorn

from gateway import dispatcher
from gateway.app import create_app
from gateway.settings import Settings
from resolvers import accounts
from schema import plans
from schema.limits import Limits
from store import activity_tail
from store.database import Store
from store.tables import ALL_TABLES, Activity, User
from tests.browser import browser  # noqa: F401 - a fixture: Chromium, for a module of browser tests

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND = ROOT / "playground"
USER_ERRORS = "userErrors { field message code }"


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


LOCAL_ADMIN = "tester"


@pytest.fixture(autouse=True)
def no_unexpected_read_retries(store, request):
    """A read retried on a fresh connection is a fallback that hides a failure: it is logged
    and counted, and a test during which it happens fails unless it expects it
    (`@pytest.mark.read_retries(N)`)."""
    before = store.read_retries
    yield
    marker = request.node.get_closest_marker("read_retries")
    assert store.read_retries - before == (marker.args[0] if marker else 0), "unexpected read retries"


@pytest.fixture(autouse=True)
def no_unexpected_tail_reconnects():
    """The connection that listens for new activities reconnects (logged and counted) when
    it is lost: no test loses it, so a reconnect is a failure."""
    before = activity_tail.RECONNECTS[0]
    yield
    assert activity_tail.RECONNECTS[0] == before, "the activity tail reconnected (see the registry.store log)"


@pytest.fixture(autouse=True)
def no_unexpected_dispatcher_failures():
    """The webhook dispatcher logs and counts a failure of its own work and carries on: no
    test causes one, so one is a failure."""
    before = dispatcher.FAILURES[0]
    yield
    assert dispatcher.FAILURES[0] == before, "the webhook dispatcher failed (see the registry.webhooks log)"


@pytest.fixture(autouse=True)
def no_unexpected_plan_failures(request):
    """A query plan that fails for any reason but a client's error or a case it does not
    cover falls back to graphql-core silently for the client: every test fails on one,
    unless it breaks a resolver on purpose (`@pytest.mark.breaks_resolvers`)."""
    def unexpected() -> dict:
        return {cause: count for cause, count in plans.COUNTS.items() if cause.startswith("unexpected")}

    before = unexpected()
    yield
    if request.node.get_closest_marker("breaks_resolvers") is None:
        assert unexpected() == before, "a query plan failed unexpectedly (see the registry.plans log)"


@pytest.fixture(autouse=True)
def empty_registry(store):
    """Every test starts from an empty registry, but for the local-mode server's admin,
    whose user row the running server knows by id."""
    with store.db.connection_context(), store.db.atomic():
        emptied = [t for t in ALL_TABLES if t is not User]
        if store.is_sqlite:
            for table in reversed(emptied):
                table.delete().execute()
        else:
            # Activity ids keep counting, as they do in a registry (a live stream follows the
            # highest id it has seen); other ids start again at 1.
            restarted = [t._meta.table_name for t in emptied if t is not Activity]
            store.db.execute_sql(f"TRUNCATE {', '.join(restarted)} RESTART IDENTITY")
            store.db.execute_sql("TRUNCATE activities")
        User.delete().where(User.name != LOCAL_ADMIN).execute()
    yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(app):
    """A real uvicorn server for `app` on a free loopback port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# Servers of the tests may send webhooks to receivers on this machine (tests/receivers.py),
# give up on an attempt after 2 s, and retry three times, quickly. Only the servers a test
# starts with `webhook_dispatch=True` send deliveries, so that one dispatcher, with the
# test's settings, serves a test.
WEBHOOKS_TO_THIS_MACHINE = {"webhook_allowed_networks": ("127.0.0.0/8", "::1"), "webhook_timeout_seconds": 2.0,
                            "webhook_retry_seconds": (0.3, 0.3, 0.3), "webhook_dispatch": False}


@pytest.fixture(scope="session", params=["plans", "graphql-core"])
def executor(request) -> str:
    """Every test served over HTTP runs twice: with query plans, and with graphql-core's
    executor alone (REGISTRY_QUERY_PLANS=off), which must answer the same."""
    return request.param


@pytest.fixture(scope="session")
def server_url(store, executor):
    """The local-mode server: token-less requests act as the admin "tester"."""
    settings = Settings(database_url=store.url, local_user=LOCAL_ADMIN, query_plans=executor == "plans",
                        **WEBHOOKS_TO_THIS_MACHINE)
    with serving(create_app(settings, store=store)) as url:
        yield url


@pytest.fixture(scope="session")
def secured_url(store, executor):
    """A server in `--auth required` mode where signed-in users hold NO_PERMISSIONS by
    default, over the same database: every permission is a grant."""
    settings = Settings(database_url=store.url, auth="required", default_permission="NO_PERMISSIONS",
                        query_plans=executor == "plans", **WEBHOOKS_TO_THIS_MACHINE)
    with serving(create_app(settings, store=store)) as url:
        yield url


def operation(name: str) -> str:
    """The text of playground/NAME.graphql."""
    return (PLAYGROUND / f"{name}.graphql").read_text()


def mutation_document(mutation: str, selection: str = "") -> str:
    """`mutation($input: <Mutation>Input!) { mutation(input: $input) { selection userErrors } }`."""
    input_type = mutation[0].upper() + mutation[1:] + "Input"
    return f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {selection} {USER_ERRORS} }} }}"


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

    def payload(self, document: str, /, **variables) -> dict:
        """The one root field's value of a document that must run without errors."""
        (value,) = self.data(document, **variables).values()
        return value

    def play(self, name: str, /, **variables) -> dict:
        """Run playground/NAME.graphql; its one root field's value."""
        return self.payload(operation(name), **variables)

    def error(self, document: str, /, **variables) -> dict:
        """The first GraphQL error of a response that must have one."""
        body = self.execute(document, **variables)
        assert body.get("errors"), body
        return body["errors"][0]

    def invalid(self, document: str, field: str | None = None, /, **variables) -> dict:
        """The first error of a query refused as INVALID_ARGUMENT (at `[field]`, when given)."""
        error = self.error(document, **variables)
        assert error["extensions"]["code"] == "INVALID_ARGUMENT", error
        if field is not None:
            assert error["extensions"]["field"] == [field], error
        return error

    def mutate(self, mutation: str, selection: str = "", /, **fields) -> dict:
        """`mutation(input: fields) { selection userErrors }`: the payload."""
        return self.data(mutation_document(mutation, selection), input=fields)[mutation]

    def batch(self, field: str, input_type: str, inputs: list[dict], selection: str = "__typename") -> list[dict]:
        """Mutation documents calling `field` once per input (run in order), as many to a
        request as the server allows; no userErrors."""
        results = []
        for start in range(0, len(inputs), Limits.max_mutation_fields):
            chunk = inputs[start:start + Limits.max_mutation_fields]
            params = ", ".join(f"$i{n}: {input_type}!" for n in range(len(chunk)))
            calls = " ".join(f"r{n}: {field}(input: $i{n}) {{ {selection} userErrors {{ message code }} }}"
                             for n in range(len(chunk)))
            data = self.data(f"mutation({params}) {{ {calls} }}", **{f"i{n}": item for n, item in enumerate(chunk)})
            results += [data[f"r{n}"] for n in range(len(chunk))]
        assert all(r["userErrors"] == [] for r in results), results
        return results


def ok(payload: dict) -> dict:
    """The payload of a mutation that must succeed: no userErrors."""
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def refused(payload: dict, code: str, field: list[str] | None = None) -> dict:
    """A mutation's payload with one user error, `code`; given `field`, also at it, with a message and no result."""
    assert [error["code"] for error in payload["userErrors"]] == [code], payload
    if field is not None:
        (error,) = payload["userErrors"]
        assert error["field"] == field, error
        assert error["message"]
        assert all(value is None for key, value in payload.items() if key != "userErrors"), payload
    return payload


@pytest.fixture
def gql(server_url):
    """A client without a token: the local admin ("tester") in the test server's local mode."""
    with httpx.Client(base_url=server_url, timeout=30) as http:
        yield GraphQLClient(http)


@pytest.fixture
def sign_in(server_url, store):
    """`sign_in(name, groups=(), admin=False)`: a client of a new user with its own token,
    on the local-mode server (signed-in users hold CAN_READ by default)."""
    with _signing_in(server_url, store) as client_for:
        yield client_for


@pytest.fixture
def sign_in_secured(secured_url, store):
    """`sign_in_secured(name, groups=(), admin=False)`, on the `--auth required` server
    where signed-in users hold NO_PERMISSIONS by default; `sign_in_secured(None)` is a
    client without a token."""
    with _signing_in(secured_url, store) as client_for:
        yield client_for


@contextlib.contextmanager
def _signing_in(url, store):
    clients = []

    def client_for(name: str | None, groups=(), admin: bool = False) -> GraphQLClient:
        headers = {}
        if name is not None:
            _, secret = store.write(accounts.create_user, name, admin, list(groups))
            headers["authorization"] = f"Bearer {secret}"
        http = httpx.Client(base_url=url, timeout=30, headers=headers)
        clients.append(http)
        return GraphQLClient(http)

    try:
        yield client_for
    finally:
        for http in clients:
            http.close()


@pytest.fixture
def serve_with(store, executor):
    """`serve_with(**settings)`: the base URL of a local-mode server with those Settings,
    over the test store (and the test's executor, unless they name one)."""
    stack = []

    def start(**settings) -> str:
        settings.setdefault("query_plans", executor == "plans")
        settings.setdefault("webhook_dispatch", False)
        settings.setdefault("database_url", store.url)
        manager = serving(create_app(Settings(**settings), store=store))
        stack.append(manager)
        return manager.__enter__()

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


def comes_up(url: str, process: subprocess.Popen, seconds: float = 60) -> bool:
    """Whether a server `process` starts to answer `url` with a 200 within `seconds`
    (False as soon as it exits)."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def server_process(store, executor):
    """`server_process(**env)`: `registry-gateway serve` in a process of its own over the test
    database (local mode, admin "tester"), for what only a process shows, such as its
    memory; yields its base URL and pid. Stopped at the end of the module."""
    started = []

    def start(database: str | None = None, **env) -> tuple[str, int]:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--database", database or store.url],
            cwd=ROOT, env={**os.environ, "REGISTRY_LOCAL_USER": LOCAL_ADMIN,
                           "REGISTRY_QUERY_PLANS": "on" if executor == "plans" else "off",
                           "REGISTRY_WEBHOOK_DISPATCH": "off", **env},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        if not comes_up(f"{url}/healthz", process):
            raise RuntimeError(f"serve did not start: {process.stderr.read().decode()[-2000:]}")
        return url, process.pid

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def fresh_database_url(store, tmp_path):
    """An empty database on the suite's backend: a new SQLite file, or a new PostgreSQL schema."""
    if store.is_sqlite:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"fresh_{uuid.uuid4().hex[:8]}"
    with store.db.connection_context():
        store.db.execute_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{store.url}{'&' if '?' in store.url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with store.db.connection_context():
            store.db.execute_sql(f"DROP SCHEMA {schema} CASCADE")


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) since it started or since reset_peak_memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


def reset_peak_memory(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: resets VmHWM to the current RSS


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
