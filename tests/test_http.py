"""The HTTP surface: GraphiQL, GET for queries only, health, and masked internal errors."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

import schema.query
from tests.conftest import operation


def test_graphiql_loads_at_graphql_in_a_browser(server_url):
    page = httpx.get(f"{server_url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_queries_work_over_get(server_url, gql):
    gql.play("create_model", name="by-get")
    response = httpx.get(f"{server_url}/graphql", params={"query": "{ registeredModel(name: \"by-get\") { name } }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"registeredModel": {"name": "by-get"}}


def test_mutations_are_refused_over_get(server_url, gql):
    response = httpx.get(f"{server_url}/graphql", params={
        "query": 'mutation { createRegisteredModel(input: {name: "sneaky"}) { registeredModel { name } } }'})
    assert response.status_code in (400, 405)
    assert gql.data('{ registeredModel(name: "sneaky") { name } }') == {"registeredModel": None}


def test_healthz_answers_once_the_database_does(server_url):
    assert httpx.get(f"{server_url}/healthz").json()["status"] == "ok"


@pytest.mark.breaks_resolvers
def test_an_unexpected_error_is_masked_with_a_request_id(gql, monkeypatch, caplog):
    def broken(search, viewer):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(schema.query, "models_page", broken)
    error = gql.error("{ registeredModels { totalCount } }")
    assert "hunter2" not in str(error)
    assert error["extensions"]["code"] == "INTERNAL"
    request_id = error["extensions"]["requestId"]
    assert request_id in error["message"]
    # The secret did reach the error path: the server logged it, with the request id.
    (logged,) = [record for record in caplog.records if request_id in record.getMessage()]
    assert "hunter2" in str(logged.exc_info[1])


def test_invalid_documents_get_a_code(gql):
    assert gql.error("{ registeredModels { nope } }")["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert gql.error("{ registeredModels ")["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_cli_migrates_exports_and_serves(tmp_path, store):
    """The README's commands: `registry-gateway serve` on a fresh database answers /healthz."""
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    cli = [sys.executable, "-m", "gateway.cli"]
    migrated = subprocess.run([*cli, "migrate", "--database", database], capture_output=True, text=True, check=True)
    assert "0001_initial" in migrated.stdout
    exported = subprocess.run([*cli, "export-schema"], capture_output=True, text=True, check=True)
    assert "type RegisteredModel implements Node" in exported.stdout

    port = _free_port()
    env = {**os.environ, "REGISTRY_DATABASE_URL": database}
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not come up"
            time.sleep(0.1)
        body = httpx.post(f"http://127.0.0.1:{port}/graphql", json={
            "query": operation("create_model"), "variables": {"name": "from-cli"}}).json()
        assert body["data"]["createRegisteredModel"]["registeredModel"]["name"] == "from-cli"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.breaks_resolvers
def test_a_value_that_does_not_serialize_is_internal_and_logged(gql, monkeypatch, caplog):
    """A stored integer past Int's range is the server's fault, not a validation failure."""
    def too_big(search, viewer):  # run in the database thread, as the real count is
        return 2**40

    monkeypatch.setattr(schema.query, "count_models", too_big)
    error = gql.error("{ registeredModels { totalCount } }")
    assert error["extensions"]["code"] == "INTERNAL" and error["path"] == ["registeredModels", "totalCount"]
    request_id = error["extensions"]["requestId"]
    assert any(request_id in record.getMessage() and "32-bit" in record.getMessage() for record in caplog.records)
