"""Who may call: bearer tokens, `--auth required` versus the local mode, the
DNS-rebinding guard, the CLI that makes users and tokens, and how tokens are stored."""
import base64
import contextlib
import hashlib
import json
import os
import re
import socket
import subprocess
import sys

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from gateway.app import create_app
from gateway.settings import Settings
from resolvers import accounts
from store.database import now_ms
from store.tables import AccessToken
from tests.conftest import comes_up, serving

VIEWER = "{ viewer { isAuthenticated user { name isAdmin groups } } }"
CLI = [sys.executable, "-m", "gateway.cli"]
TOKEN = re.compile(r"^rg_[A-Za-z0-9_-]+$")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bearer(secret: str) -> dict:
    return {"authorization": f"Bearer {secret}"}


def _unauthenticated(response: httpx.Response) -> None:
    """HTTP 401 with a Bearer challenge and code UNAUTHENTICATED; nothing else in the body."""
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers
    body = response.json()
    assert body.get("data") is None, body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
    assert body["errors"][0]["message"]


def _new_token(store, name="alice", lifetime_seconds=None, at=None, admin=False) -> tuple[int, str]:
    """A user called `name` (made when missing) and a new token: (token id, secret)."""
    def make():
        user = accounts.ensure_user(name, admin)
        token, secret = accounts.issue_token(user, "test", lifetime_seconds, at)
        return token.id, secret
    return store.write(make)


def _revoke(store, token_id: int) -> None:
    store.write(lambda: AccessToken.update(revoked_at=now_ms()).where(AccessToken.id == token_id).execute())


def _bad_tokens(store) -> dict[str, str]:
    """Authorization headers that must not get anyone in: missing, garbage, expired, revoked."""
    _, expired = _new_token(store, "expired-user", lifetime_seconds=1, at=now_ms() - 60_000)
    revoked_id, revoked = _new_token(store, "revoked-user")
    _revoke(store, revoked_id)
    return {
        "missing": None,
        "garbage": "Bearer not-a-token",
        "unknown rg_ token": "Bearer rg_" + "A" * 43,
        "empty bearer": "Bearer",
        "other scheme": "Basic YWxpY2U6c2VjcmV0",
        "expired": f"Bearer {expired}",
        "revoked": f"Bearer {revoked}",
    }


BAD = ["missing", "garbage", "unknown rg_ token", "empty bearer", "other scheme", "expired", "revoked"]


# --- --auth required -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_required_mode_refuses_requests_without_a_valid_token(secured_url, store, kind, method):
    """401 + WWW-Authenticate: Bearer + UNAUTHENTICATED, for POST and for GET /graphql."""
    authorization = _bad_tokens(store)[kind]
    headers = {"authorization": authorization} if authorization else {}
    if method == "POST":
        response = httpx.post(f"{secured_url}/graphql", json={"query": VIEWER}, headers=headers)
    else:
        response = httpx.get(f"{secured_url}/graphql", params={"query": VIEWER}, headers=headers)
    _unauthenticated(response)


def test_required_mode_refuses_a_token_less_mutation_and_nothing_changes(secured_url, gql):
    document = 'mutation { createRegisteredModel(input: {name: "anonymous"}) { registeredModel { name } } }'
    _unauthenticated(httpx.post(f"{secured_url}/graphql", json={"query": document}))
    assert gql.data('{ registeredModel(name: "anonymous") { name } }') == {"registeredModel": None}


def test_a_get_that_runs_a_query_is_not_the_open_graphiql_page(gql, store):
    """Only the GraphiQL page itself is open: a GET that carries a query with Accept:
    text/html (its parameter name spelled `%71uery`, which decodes to `query`) still needs
    a token, and reads nothing, even where signed-in users read every model by default."""
    gql.play("create_model", name="confidential")
    with serving(create_app(Settings(auth="required"), store=store)) as url:
        response = httpx.get(f"{url}/graphql?%71uery=%7BregisteredModels%7Bnodes%7Bname%7D%7D%7D",
                             headers={"accept": "text/html"})
    assert "confidential" not in response.text, response.text
    _unauthenticated(response)


def test_required_mode_leaves_graphiql_and_healthz_open(secured_url):
    page = httpx.get(f"{secured_url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    health = httpx.get(f"{secured_url}/healthz").json()
    assert health["status"] == "ok" and set(health) == {"status", "webhooks", "emails", "dispatching"}


def test_a_valid_token_is_the_signed_in_user_and_marks_last_used(secured_url, store):
    token_id, secret = _new_token(store, "alice")
    for method in ("POST", "GET"):
        request = {"json": {"query": VIEWER}} if method == "POST" else {"params": {"query": VIEWER}}
        response = httpx.request(method, f"{secured_url}/graphql", headers=_bearer(secret), **request)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["viewer"] == {
            "isAuthenticated": True, "user": {"name": "alice", "isAdmin": False, "groups": []}}
    last_used = store.write(lambda: AccessToken.get_by_id(token_id).last_used_at)
    assert last_used is not None and last_used >= now_ms() - 60_000


def test_a_token_stops_working_once_revoked(secured_url, store):
    token_id, secret = _new_token(store, "alice")
    assert httpx.post(f"{secured_url}/graphql", json={"query": VIEWER}, headers=_bearer(secret)).status_code == 200
    _revoke(store, token_id)
    _unauthenticated(httpx.post(f"{secured_url}/graphql", json={"query": VIEWER}, headers=_bearer(secret)))


def _websocket_handshake(url: str, headers: dict) -> dict:
    """Open /graphql over graphql-transport-ws, send connection_init: the server's answer."""
    with connect(url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
                 additional_headers=headers, proxy=None, open_timeout=10) as socket:
        socket.send('{"type": "connection_init"}')
        return json.loads(socket.recv(timeout=10))


def test_required_mode_refuses_a_websocket_without_a_valid_token(secured_url, store):
    for kind in ("garbage", "revoked"):
        with pytest.raises(InvalidStatus):
            _websocket_handshake(secured_url, {"Authorization": _bad_tokens(store)[kind]})
    # Without a header the token may still come in connection_init; with neither, no connection.
    with pytest.raises(ConnectionClosed) as closed:
        _websocket_handshake(secured_url, {})
    assert closed.value.rcvd.code == 4403
    _, secret = _new_token(store, "ws-user")
    assert _websocket_handshake(secured_url, _bearer(secret)) == {"type": "connection_ack"}


# --- the local mode --------------------------------------------------------------------------

@pytest.fixture
def local_url(store):
    """A local-mode server started inside the test, so its local admin's user row exists
    (the session's `server_url` made "tester" before the tables were emptied)."""
    with serving(create_app(Settings(local_user="tester"), store=store)) as url:
        yield url


def test_local_mode_token_less_requests_are_the_local_admin(local_url):
    response = httpx.post(f"{local_url}/graphql", json={"query": VIEWER})
    assert response.json()["data"]["viewer"] == {
        "isAuthenticated": True, "user": {"name": "tester", "isAdmin": True, "groups": []}}


def test_local_mode_token_less_requests_may_do_admin_things(gql):
    """The session's local server: the token-less "tester" creates and reads any model."""
    created = gql.data('mutation { createRegisteredModel(input: {name: "by-local-admin"}) '
                       '{ registeredModel { name createdBy permissionLevel } userErrors { code } } }')
    assert created["createRegisteredModel"]["registeredModel"] == {
        "name": "by-local-admin", "createdBy": "tester", "permissionLevel": "CAN_MANAGE"}


@pytest.mark.parametrize("kind", [k for k in BAD if k != "missing"])
def test_local_mode_a_bad_token_is_401_not_the_admin(server_url, store, kind):
    authorization = _bad_tokens(store)[kind]
    _unauthenticated(httpx.post(f"{server_url}/graphql", json={"query": VIEWER},
                                headers={"authorization": authorization}))


def test_local_mode_a_valid_token_is_that_user_not_the_admin(server_url, store):
    _, secret = _new_token(store, "bob")
    response = httpx.post(f"{server_url}/graphql", json={"query": VIEWER}, headers=_bearer(secret))
    assert response.json()["data"]["viewer"]["user"] == {"name": "bob", "isAdmin": False, "groups": []}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}",
                                  "127.evil.example", "localhost.evil.example:{port}", "10.0.0.5:{port}"])
def test_local_mode_refuses_a_non_loopback_host_header(server_url, gql, host):
    """The DNS-rebinding guard: 403 PERMISSION_DENIED, and the request does not run."""
    port = server_url.rsplit(":", 1)[1]
    document = 'mutation { createRegisteredModel(input: {name: "rebound"}) { registeredModel { name } } }'
    response = httpx.post(f"{server_url}/graphql", json={"query": document},
                          headers={"host": host.format(port=port)})
    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert gql.data('{ registeredModel(name: "rebound") { name } }') == {"registeredModel": None}


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "localhost"])
def test_local_mode_accepts_loopback_host_headers(server_url, host):
    port = server_url.rsplit(":", 1)[1]
    response = httpx.post(f"{server_url}/graphql", json={"query": "{ viewer { isAuthenticated } }"},
                          headers={"host": host.format(port=port)})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"viewer": {"isAuthenticated": True}}


def test_required_mode_serves_any_host_name(secured_url, store):
    """The Host guard is the local mode's: with tokens required, a public name is fine."""
    _, secret = _new_token(store, "alice")
    response = httpx.post(f"{secured_url}/graphql", json={"query": "{ viewer { isAuthenticated } }"},
                          headers={"host": "registry.example.com", **_bearer(secret)})
    assert response.status_code == 200 and response.json()["data"] == {"viewer": {"isAuthenticated": True}}


# --- `registry-gateway serve` ----------------------------------------------------------------

@contextlib.contextmanager
def _serve(tmp_path, database: str, *args: str, env: dict | None = None):
    """`registry-gateway serve` as a subprocess on a free port: yields (base URL, process, stderr
    file); the process's stderr is complete once the block ends."""
    port = _free_port()
    log = tmp_path / f"serve-{port}.log"
    with open(log, "w") as stderr:
        server = subprocess.Popen([*CLI, "serve", "--port", str(port), *args],
                                  env={**os.environ, "REGISTRY_DATABASE_URL": database, **(env or {})},
                                  stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        assert comes_up(f"http://127.0.0.1:{port}/healthz", server, 30), log.read_text()
        yield f"http://127.0.0.1:{port}", server, log
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.fixture
def database(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_local_mode_says_so_at_start_up(tmp_path, database):
    with _serve(tmp_path, database) as (url, _, log):
        assert httpx.post(f"{url}/graphql", json={"query": "{ viewer { isAuthenticated } }"}).status_code == 200
    stderr = log.read_text()
    warnings = [line for line in stderr.splitlines() if "WARNING" in line and "local mode" in line]
    assert warnings, stderr
    assert "admin" in warnings[0] and "--auth required" in warnings[0]


def test_required_mode_does_not_announce_the_local_mode(tmp_path, database):
    with _serve(tmp_path, database, "--auth", "required") as (url, _, log):
        _unauthenticated(httpx.post(f"{url}/graphql", json={"query": VIEWER}))
    assert "local mode" not in log.read_text()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::"])
def test_serving_a_public_address_without_auth_required_refuses_to_start(database, host):
    port = str(_free_port())
    done = subprocess.run([*CLI, "serve", "--host", host, "--port", port], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "REGISTRY_DATABASE_URL": database})
    assert done.returncode != 0
    assert "--auth required" in done.stderr and host in done.stderr, done.stderr


@pytest.mark.parametrize("how", [("--auth", "required"), ()])
def test_serving_a_public_address_with_auth_required_starts(tmp_path, database, how):
    """`--auth required`, or REGISTRY_AUTH=required, lets it bind 0.0.0.0; tokens are then required."""
    env = {} if how else {"REGISTRY_AUTH": "required"}
    with _serve(tmp_path, database, "--host", "0.0.0.0", *how, env=env) as (url, _, log):
        assert httpx.get(f"{url}/healthz").json()["status"] == "ok"
        _unauthenticated(httpx.post(f"{url}/graphql", json={"query": VIEWER}))


# --- the CLI: users and tokens ---------------------------------------------------------------

def _cli(database: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REGISTRY_DATABASE_URL": database})


def _printed_token(done: subprocess.CompletedProcess) -> str:
    """The token, alone on the last line of stdout."""
    assert done.returncode == 0, done.stderr
    last = done.stdout.rstrip("\n").splitlines()[-1]
    assert TOKEN.match(last), done.stdout
    return last


def test_cli_users_create_prints_a_token_that_works_on_a_required_mode_server(tmp_path, database):
    token = _printed_token(_cli(database, "users", "create", "carol", "--admin", "--group", "g1", "--group", "g2"))
    with _serve(tmp_path, database, "--auth", "required") as (url, _, _log):
        response = httpx.post(f"{url}/graphql", json={"query": VIEWER}, headers=_bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"] == {
        "isAuthenticated": True, "user": {"name": "carol", "isAdmin": True, "groups": ["g1", "g2"]}}


def test_cli_tokens_create_prints_another_working_token(tmp_path, database):
    first = _printed_token(_cli(database, "users", "create", "dave"))
    second = _printed_token(_cli(database, "tokens", "create", "--user", "dave", "--description", "ci"))
    assert first != second
    with _serve(tmp_path, database, "--auth", "required") as (url, _, _log):
        for token in (first, second):
            response = httpx.post(f"{url}/graphql", json={"query": VIEWER}, headers=_bearer(token))
            assert response.json()["data"]["viewer"]["user"] == {"name": "dave", "isAdmin": False, "groups": []}


@pytest.mark.parametrize("args", [("users", "create", "erin"), ("tokens", "create", "--user", "nobody")])
def test_cli_refuses_an_existing_user_or_an_unknown_one(database, args):
    _printed_token(_cli(database, "users", "create", "erin"))
    done = _cli(database, *args)
    assert done.returncode != 0
    assert not TOKEN.search(done.stdout.strip() or "-"), done.stdout
    assert done.stderr.strip()


# --- how tokens are made and kept ------------------------------------------------------------

def test_tokens_are_32_random_bytes_after_the_prefix(store):
    secrets = [_new_token(store, "alice")[1] for _ in range(5)]
    assert len(set(secrets)) == len(secrets)
    for secret in secrets:
        assert TOKEN.match(secret), secret
        body = secret[len("rg_"):]
        assert len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) >= 32, secret


def test_tokens_are_stored_only_as_a_sha256_hash(store):
    token_id, secret = _new_token(store, "alice")
    with store.db.connection_context():
        cursor = store.db.execute_sql("SELECT * FROM access_tokens")
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    (row,) = rows
    body = secret[len("rg_"):]
    for column, value in row.items():
        assert body not in str(value), column
    assert hashlib.sha256(secret.encode()).hexdigest() in row.values()
