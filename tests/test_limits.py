"""Limits on what one request may ask for — depth, aliases, tokens, page size, the node
estimate, body size — each refused with its own code before anything runs, each
configurable; and the browser-facing allow-lists (CORS, WebSocket origins) and the
introspection switch."""
import dataclasses
import json
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from gateway.settings import Settings
from schema.limits import Limits

GENERIC_CODES = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "INTERNAL", "INVALID_ARGUMENT", None}
DASH = "https://dash.example"
EVIL = "https://evil.example"


def _wrap(selection: str, times: int) -> str:
    """`selection` nested `times` deep in versions(first: 1) { nodes { registeredModel { ... } } }:
    three more fields of depth each time, one more node each time."""
    for _ in range(times):
        selection = f"versions(first: 1) {{ nodes {{ registeredModel {{ {selection} }} }} }}"
    return selection


def _create(name: str, selection: str = "name", extra: str = "") -> str:
    """A mutation document that creates model `name` (if it runs) and selects `selection` on it."""
    return (f'mutation {{ createRegisteredModel(input: {{name: "{name}"}}) '
            f'{{ registeredModel {{ {selection} }} userErrors {{ code }} }} {extra} }}')


def _tokens(count: int) -> str:
    """A selection on a RegisteredModel of more than `count` tokens: `latestVersions(stages:
    [NONE NONE ...]) { version }`."""
    return f"latestVersions(stages: [{' NONE' * count}]) {{ version }}"


def _aliases(count: int) -> str:
    return " ".join(f"a{n}: __typename" for n in range(count))


TOO_MANY_NODES_SELECTION = ("versions(first: 1000) { nodes { registeredModel { "
                            "versions(first: 1000) { nodes { version } } } } }")

# (limit, query document, mutation document that would create model "refused", expected code)
# Every document is within every other limit, so the one limit named is what refuses it.
CASES = {
    "depth": (f"{{ registeredModels(first: 1) {{ nodes {{ {_wrap('name', 4)} }} }} }}",  # 15 deep
              _create("refused", _wrap("name", 4)),
              "QUERY_TOO_DEEP"),
    "aliases": (f"{{ {_aliases(201)} }}",
                _create("refused", extra=_aliases(200)).replace("createRegisteredModel", "m: createRegisteredModel"),
                "TOO_MANY_ALIASES"),
    "tokens": (f'{{ registeredModel(name: "absent") {{ {_tokens(5000)} }} }}',
               _create("refused", _tokens(5000)),
               "TOKENS"),  # a code that names tokens (see _assert_refused)
    "nodes": ("{ registeredModels(first: 1000) { nodes { versions(first: 1000) { nodes { version } } } } }",
              _create("refused", TOO_MANY_NODES_SELECTION),
              "TOO_MANY_NODES"),
    "page size": ("{ registeredModels(first: 1001) { nodes { name } } }",
                  _create("refused", "versions(first: 1001) { nodes { version } }"),
                  "INVALID_ARGUMENT"),
}


def _assert_refused(body: dict, code: str) -> dict:
    """The request's one error has `code` (for tokens: a code of its own that names them) and
    a message; there is no data."""
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["message"], error
    got = error.get("extensions", {}).get("code")
    if code == "TOKENS":
        assert got not in GENERIC_CODES and "TOKEN" in got, error
    else:
        assert got == code, error
    return error


def _post(url: str, document: str, **variables) -> dict:
    response = httpx.post(f"{url}/graphql", json={"query": document, "variables": variables}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _model_exists(gql, name: str) -> bool:
    return gql.data("query($n: String!) { registeredModel(name: $n) { name } }", n=name)["registeredModel"] is not None


@pytest.mark.parametrize("limit", list(CASES))
def test_a_query_over_a_limit_is_refused_before_any_sql_runs(server_url, count_statements, limit):
    query, _, code = CASES[limit]
    with count_statements() as statements:
        body = _post(server_url, query)
    _assert_refused(body, code)
    assert statements == []


@pytest.mark.parametrize("limit", list(CASES))
def test_a_mutation_over_a_limit_changes_nothing(server_url, gql, count_statements, limit):
    _, mutation, code = CASES[limit]
    with count_statements() as statements:
        body = _post(server_url, mutation)
    assert not _model_exists(gql, "refused"), body
    assert statements == []
    _assert_refused(body, code)


def test_the_limit_messages_say_what_was_asked_and_what_is_allowed(server_url):
    depth = _assert_refused(_post(server_url, CASES["depth"][0]), "QUERY_TOO_DEEP")
    assert "15" in depth["message"] and "12" in depth["message"]
    aliases = _assert_refused(_post(server_url, CASES["aliases"][0]), "TOO_MANY_ALIASES")
    assert "201" in aliases["message"] and "200" in aliases["message"]
    nodes = _assert_refused(_post(server_url, CASES["nodes"][0]), "TOO_MANY_NODES")
    assert "1001000" in nodes["message"] and "100000" in nodes["message"]
    tokens = _assert_refused(_post(server_url, CASES["tokens"][0]), "TOKENS")
    assert "5000" in tokens["message"]
    page = _assert_refused(_post(server_url, CASES["page size"][0]), "INVALID_ARGUMENT")
    assert "1000" in page["message"] and "1001" in page["message"]


def test_a_nested_page_over_the_limit_is_refused_before_any_sql_runs(gql, server_url, count_statements):
    gql.play("create_model", name="m")
    with count_statements() as statements:
        body = _post(server_url, '{ registeredModel(name: "m") { versions(first: 1001) { nodes { version } } } }')
    assert statements == [], body
    _assert_refused(body, "INVALID_ARGUMENT")


@pytest.mark.parametrize("document, variables", [
    # page sizes given as variables
    ("query($a: Int, $b: Int) { registeredModels(first: $a) { nodes { versions(first: $b) { nodes { version } } } } }",
     {"a": 1000, "b": 1000}),
    # `last` pages count like `first`
    ("{ modelVersions(last: 1000) { nodes { registeredModel { versions(last: 1000) { nodes { version } } } } } }", {}),
    # pages without a size count as the default page (50): 50 + 50^2 + 50^3
    ("{ registeredModels { nodes { versions { nodes { registeredModel { versions { nodes { version } } } } } } } }",
     {}),
    # hidden in fragments
    ("query { ...Q } fragment Q on Query { registeredModels(first: 1000) { nodes { ...V } } } "
     "fragment V on RegisteredModel { versions(first: 1000) { nodes { version } } }", {}),
])
def test_the_node_estimate_multiplies_every_page_down_each_path(server_url, count_statements, document, variables):
    with count_statements() as statements:
        body = _post(server_url, document, **variables)
    _assert_refused(body, "TOO_MANY_NODES")
    assert statements == []


def test_the_default_limits_allow_an_ordinary_query(gql):
    """Just under each limit: 12 deep, 200 aliases, 1000 a page, 100000 nodes."""
    gql.play("create_model", name="m")
    document = (f"{{ {_aliases(199)} registeredModels(first: 1) {{ nodes {{ name {_wrap('name', 3)} }} }} "
                "modelVersions(first: 98) { nodes { registeredModel { versions(first: 1000) { nodes { version } } } } } "
                "big: registeredModels(first: 1000) { nodes { name } } }")
    data = gql.data(document)
    assert data["registeredModels"]["nodes"][0]["name"] == "m"
    assert data["big"]["nodes"] == [{"name": "m"}]


# --- body size -------------------------------------------------------------------------------

def _padded(document: str, size: int) -> bytes:
    """A JSON body of about `size` bytes: `document` and a long comment."""
    return json.dumps({"query": document + "\n#" + "x" * size}).encode()


def _assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    _assert_refused(response.json(), "PAYLOAD_TOO_LARGE")
    assert str(limit) in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_and_nothing_runs(server_url, gql, count_statements, chunked):
    body = _padded(_create("too-big"), 1_000_000)
    content = iter([body[i:i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    with count_statements() as statements:
        response = httpx.post(f"{server_url}/graphql", content=content,
                              headers={"content-type": "application/json"}, timeout=30)
    _assert_too_large(response, 1_000_000)
    assert statements == []
    assert not _model_exists(gql, "too-big")


def test_a_body_just_under_the_limit_runs(server_url, gql):
    body = _padded(_create("fits"), 1_000_000 - 200)
    assert len(body) <= 1_000_000
    response = httpx.post(f"{server_url}/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert _model_exists(gql, "fits")


# --- configurable ----------------------------------------------------------------------------

TIGHT = {
    "depth": (Limits(max_depth=3), "{ registeredModels(first: 1) { nodes { versions(first: 1) { nodes { version } } } } }",
              "QUERY_TOO_DEEP"),
    "aliases": (Limits(max_aliases=2), "{ a: __typename b: __typename c: __typename }", "TOO_MANY_ALIASES"),
    "tokens": (Limits(max_tokens=20), f'{{ registeredModel(name: "absent") {{ {_tokens(10)} }} }}', "TOKENS"),
    "nodes": (Limits(max_nodes=10), "{ registeredModels(first: 11) { nodes { name } } }", "TOO_MANY_NODES"),
}


@pytest.mark.parametrize("limit", list(TIGHT))
def test_a_tighter_limit_refuses_what_the_default_allows(server_url, serve_with, count_statements, limit):
    limits, document, code = TIGHT[limit]
    assert "errors" not in _post(server_url, document)
    url = serve_with(limits=limits)
    with count_statements() as statements:
        body = _post(url, document)
    _assert_refused(body, code)
    assert statements == []


def test_a_looser_limit_allows_what_the_default_refuses(serve_with):
    url = serve_with(limits=Limits(max_depth=20, max_aliases=300, max_tokens=6000, max_nodes=2_000_000))
    for limit in ("depth", "aliases", "tokens", "nodes"):
        body = _post(url, CASES[limit][0])
        assert "errors" not in body, (limit, body)


def test_a_tighter_body_limit_refuses_what_the_default_allows(server_url, serve_with, gql, count_statements):
    body = _padded(_create("mid-size"), 2000)
    url = serve_with(limits=Limits(max_body_bytes=1000))
    with count_statements() as statements:
        response = httpx.post(f"{url}/graphql", content=body, headers={"content-type": "application/json"})
    _assert_too_large(response, 1000)
    assert statements == [] and not _model_exists(gql, "mid-size")
    assert httpx.post(f"{server_url}/graphql", content=body,
                      headers={"content-type": "application/json"}).status_code == 200
    assert _model_exists(gql, "mid-size")


def test_a_body_that_trickles_in_is_refused_with_408(serve_with, gql, count_statements):
    """A client that sends part of its body and stalls holds the connection only until the
    body deadline: then 408 with a code, the connection closed, nothing run."""
    url = serve_with(limits=Limits(body_timeout_seconds=0.5))
    body = json.dumps({"query": _create("trickled")}).encode()
    head = (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with count_statements() as statements, socket.create_connection(urlsplit(url)[1].split(":")) as sock:
        sock.settimeout(20)
        sock.sendall(head + body[:10])
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection after answering
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 408 " in status_line, answer
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert statements == [] and not _model_exists(gql, "trickled")


def test_a_body_sent_in_pieces_within_the_deadline_is_served(serve_with, gql):
    url = serve_with(limits=Limits(body_timeout_seconds=5))

    def pieces():
        body = json.dumps({"query": _create("in-pieces")}).encode()
        yield body[:10]
        time.sleep(0.2)
        yield body[10:]

    response = httpx.post(f"{url}/graphql", content=pieces(), headers={"content-type": "application/json"})
    assert response.status_code == 200 and _model_exists(gql, "in-pieces")


def test_the_page_size_limit_is_configurable(gql, serve_with):
    """Like every other limit, the largest page is a setting (a Limits field)."""
    fields = [f.name for f in dataclasses.fields(Limits) if "page" in f.name]
    assert fields, f"Limits has no page size setting: {[f.name for f in dataclasses.fields(Limits)]}"
    url = serve_with(limits=Limits(**{fields[0]: 10}))
    _assert_refused(_post(url, "{ registeredModels(first: 11) { nodes { name } } }"), "INVALID_ARGUMENT")
    assert "errors" not in _post(url, "{ registeredModels(first: 10) { nodes { name } } }")


def test_limits_and_allow_lists_come_from_the_environment(monkeypatch):
    for name, value in {"REGISTRY_MAX_DEPTH": "3", "REGISTRY_MAX_ALIASES": "4", "REGISTRY_MAX_TOKENS": "50",
                        "REGISTRY_MAX_NODES": "60", "REGISTRY_MAX_BODY_BYTES": "7000",
                        "REGISTRY_CORS_ORIGINS": f"{DASH}, https://other.example",
                        "REGISTRY_WEBSOCKET_ORIGINS": DASH, "REGISTRY_INTROSPECTION": "off"}.items():
        monkeypatch.setenv(name, value)
    new_limits = {"REGISTRY_BODY_TIMEOUT_SECONDS": ("body_timeout_seconds", 2.5),
                  "REGISTRY_MAX_RESPONSE_BYTES": ("max_response_bytes", 123),
                  "REGISTRY_MAX_NODE_IDS": ("max_node_ids", 7), "REGISTRY_MAX_MUTATION_FIELDS": ("max_mutation_fields", 2),
                  "REGISTRY_MAX_WRITE_BYTES": ("max_write_bytes", 456), "REGISTRY_WRITE_RATE": ("write_rate", 0.5),
                  "REGISTRY_WRITE_BURST": ("write_burst", 9)}
    for name, (_, value) in new_limits.items():
        monkeypatch.setenv(name, str(value))
    settings = Settings.from_env()
    assert (settings.limits.max_depth, settings.limits.max_aliases, settings.limits.max_tokens,
            settings.limits.max_nodes, settings.limits.max_body_bytes) == (3, 4, 50, 60, 7000)
    assert {name: getattr(settings.limits, field) for name, (field, _) in new_limits.items()} == {
        name: value for name, (_, value) in new_limits.items()}
    assert settings.cors_origins == (DASH, "https://other.example")
    assert settings.websocket_origins == (DASH,)
    assert settings.introspection is False


# --- CORS ------------------------------------------------------------------------------------

def _preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(f"{url}/graphql", headers={
        "origin": origin, "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"})


@pytest.mark.parametrize("auth", ["local", "required"])
def test_cors_preflight_is_answered_for_an_allowed_origin_only(serve_with, auth):
    """Browsers send preflights without a token: they pass in required mode too."""
    url = serve_with(cors_origins=(DASH,), auth=auth)
    allowed = _preflight(url, DASH)
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["access-control-allow-origin"] == DASH
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    refused = _preflight(url, EVIL)
    assert "access-control-allow-origin" not in refused.headers


def test_cors_response_headers_only_for_an_allowed_origin(serve_with):
    url = serve_with(cors_origins=(DASH,))
    query = {"query": "{ viewer { isAuthenticated } }"}
    allowed = httpx.post(f"{url}/graphql", json=query, headers={"origin": DASH})
    assert allowed.headers["access-control-allow-origin"] == DASH
    other = httpx.post(f"{url}/graphql", json=query, headers={"origin": EVIL})
    assert "access-control-allow-origin" not in other.headers


def test_without_an_allow_list_no_origin_gets_cors_headers(server_url):
    assert "access-control-allow-origin" not in _preflight(server_url, DASH).headers


# --- WebSocket origins -----------------------------------------------------------------------

def _websocket(url: str, origin: str | None, headers: dict | None = None):
    extra = {"Origin": origin} if origin else {}
    return connect(url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
                   additional_headers={**extra, **(headers or {})}, proxy=None, open_timeout=10)


def _acknowledged(url: str, origin: str | None, headers: dict | None = None) -> dict:
    with _websocket(url, origin, headers) as socket:
        assert socket.subprotocol == "graphql-transport-ws"
        socket.send(json.dumps({"type": "connection_init"}))
        return json.loads(socket.recv(timeout=10))


def test_a_websocket_from_an_allowed_origin_is_accepted(serve_with):
    url = serve_with(websocket_origins=(DASH,))
    assert _acknowledged(url, DASH) == {"type": "connection_ack"}


@pytest.mark.parametrize("origin", [EVIL, "https://dash.example.evil.example", "null"])
def test_a_websocket_from_another_origin_is_refused(serve_with, origin):
    url = serve_with(websocket_origins=(DASH,))
    with pytest.raises(InvalidStatus) as refused:
        _websocket(url, origin)
    assert refused.value.response.status_code == 403


def test_without_an_allow_list_a_cross_origin_websocket_is_refused(server_url):
    with pytest.raises(InvalidStatus):
        _websocket(server_url, DASH)


# --- introspection ---------------------------------------------------------------------------

INTROSPECTION = "{ __schema { types { name } } }"


def test_introspection_can_be_switched_off(gql, serve_with, count_statements):
    assert gql.data(INTROSPECTION)["__schema"]["types"]
    url = serve_with(introspection=False)
    with count_statements() as statements:
        body = _post(url, INTROSPECTION)
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"], body
    assert "introspection" in body["errors"][0]["message"].lower()
    assert statements == []
    assert _post(url, '{ __type(name: "RegisteredModel") { name } }').get("data") is None
    assert "errors" not in _post(url, "{ viewer { isAuthenticated } }")


def test_the_readme_names_every_setting():
    """Every REGISTRY_* setting the server reads is documented in the README."""
    root = Path(__file__).resolve().parent.parent
    read = set(re.findall(r'"(REGISTRY_[A-Z_]+)"', (root / "gateway" / "settings.py").read_text()))
    readme = (root / "README.md").read_text()
    assert read and not {name for name in read if name not in readme}
