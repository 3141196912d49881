"""The `activities` subscription over a real WebSocket (graphql-transport-ws): live order,
resuming with `after`, filters, the viewer's grants as they are at each event, tokens in
connection_init, and changes made through another process."""
import base64
import contextlib
import json
import os
import socket
import struct
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from gateway import slow_consumers
from resolvers import live
from schema.shared_events import SHARED_EXECUTIONS
from tests.conftest import GraphQLClient, ok, operation

FOLLOW = operation("follow_activities")
WAIT = 10  # seconds an expected event may take


class Subscriber:
    """One WebSocket, one `activities` subscription."""

    def __init__(self, url: str, headers: dict | None = None, init: dict | None = None, **variables):
        self._stack = contextlib.ExitStack()
        self.socket = self._stack.enter_context(connect(
            url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
            additional_headers=headers or {}, proxy=None, open_timeout=10))
        self.socket.send(json.dumps({"type": "connection_init", **({"payload": init} if init else {})}))
        self.ack = self.message()
        if self.ack["type"] == "connection_ack":
            self.socket.send(json.dumps({"id": "1", "type": "subscribe",
                                         "payload": {"query": FOLLOW, "variables": variables}}))

    def message(self, timeout: float = WAIT) -> dict:
        frame = self.socket.recv(timeout=timeout)
        # The protocol's messages are text frames; a browser's graphql-ws refuses binary ones.
        assert isinstance(frame, str), f"a binary frame: {frame!r}"
        return json.loads(frame)

    def next(self, timeout: float = WAIT) -> dict:
        message = self.message(timeout)
        assert message["type"] == "next" and "errors" not in message["payload"], message
        return message["payload"]["data"]["activities"]

    def nothing_within(self, seconds: float) -> bool:
        try:
            message = self.socket.recv(timeout=seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message {message}")

    def close(self):
        self._stack.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


def _newest(client) -> str | None:
    """The id of the newest activity the client can see: where a subscription starts, so
    that no change the test makes next can come before the server has set it up."""
    nodes = client.data("{ activities(first: 1) { nodes { id } } }")["activities"]["nodes"]
    return nodes[0]["id"] if nodes else None


def _created(gql, name: str, versions: int = 0) -> None:
    ok(gql.play("create_model", name=name))
    for number in range(versions):
        ok(gql.play("create_version", name=name, source=f"s3://models/{name}/{number + 1}"))


def test_activities_arrive_live_in_commit_order(server_url, gql):
    ok(gql.play("create_model", name="before"))
    with Subscriber(server_url, after=_newest(gql)) as subscriber:
        _created(gql, "fraud", versions=2)
        ok(gql.play("transition", name="fraud", version=2, stage="PRODUCTION"))
        seen = [subscriber.next() for _ in range(4)]
    assert [(a["type"], a["modelName"], a["version"]) for a in seen] == [
        ("REGISTERED_MODEL_CREATED", "fraud", None), ("MODEL_VERSION_CREATED", "fraud", 1),
        ("MODEL_VERSION_CREATED", "fraud", 2), ("STAGE_TRANSITIONED", "fraud", 2)]
    assert seen[3]["fromStage"] == "NONE" and seen[3]["toStage"] == "PRODUCTION" and seen[3]["actor"] == "tester"


def test_a_subscriber_that_reconnects_after_the_last_id_it_saw_misses_nothing_and_sees_nothing_twice(server_url,
                                                                                                       gql):
    ok(gql.play("create_model", name="before"))
    with Subscriber(server_url, after=_newest(gql)) as first:
        _created(gql, "fraud", versions=1)
        seen = [first.next(), first.next()]
    ok(gql.play("create_version", name="fraud", source="s3://models/fraud/2"))  # while away
    ok(gql.play("create_version", name="fraud", source="s3://models/fraud/3"))
    with Subscriber(server_url, after=seen[0]["id"]) as again:
        replayed = [again.next() for _ in range(3)]
        ok(gql.play("create_version", name="fraud", source="s3://models/fraud/4"))  # live again
        live = again.next()
        assert again.nothing_within(0.3)
    assert [a["id"] for a in replayed][0] == seen[1]["id"]
    assert [a["version"] for a in replayed + [live]] == [1, 2, 3, 4]


def test_filters_by_model_name_and_type(server_url, gql):
    ok(gql.play("create_model", name="before"))
    with Subscriber(server_url, after=_newest(gql), modelName="fraud", types=["MODEL_VERSION_CREATED"]) as subscriber:
        _created(gql, "churn", versions=1)
        _created(gql, "fraud", versions=2)
        assert [subscriber.next()["version"] for _ in range(2)] == [1, 2]
        assert subscriber.nothing_within(0.3)


def test_a_stream_following_one_model_does_no_read_while_another_model_changes(server_url, gql):
    for name in ("fraud", "churn"):
        ok(gql.play("create_model", name=name))
    after, streams = _newest(gql), live.OPEN_STREAMS[0]
    fraud, churn = _waiting([Subscriber(server_url, after=after, modelName=name) for name in ("fraud", "churn")],
                            streams)
    with fraud, churn:
        reads = live.READS[0]
        ok(gql.play("create_version", name="churn", source="s3://models/churn/1"))
        assert churn.next()["version"] == 1
        assert fraud.nothing_within(0.3)
        assert live.READS[0] - reads == 1  # the churn stream's; the fraud stream slept
        ok(gql.play("create_version", name="fraud", source="s3://models/fraud/1"))
        assert fraud.next()["version"] == 1


def _renamed(gql, name: str, new_name: str) -> None:
    ok(gql.mutate("renameRegisteredModel", "", name=name, newName=new_name))


def test_a_stream_following_a_name_follows_what_the_name_stands_for_through_renames_deletes_and_new_models(
        server_url, gql):
    """The name stands for the model now called so, or, while none is, every model once
    called so; the stream wakes for each in turn. Each change is awaited before the next,
    as what a name stands for is read when the stream reads."""
    _created(gql, "other", versions=1)
    with Subscriber(server_url, after=_newest(gql), modelName="fraud") as subscriber:
        def seen(type: str, name: str, version: int | None = None) -> None:
            activity = subscriber.next()
            assert (activity["type"], activity["modelName"], activity["version"]) == (type, name, version)

        def version_of(name: str) -> None:
            ok(gql.play("create_version", name=name, source=f"s3://models/{name}/x"))

        _created(gql, "fraud")  # the name stands for a new model, X
        seen("REGISTERED_MODEL_CREATED", "fraud")
        version_of("fraud")
        seen("MODEL_VERSION_CREATED", "fraud", 1)
        _renamed(gql, "fraud", "fraud-old")  # X still: the model once called so
        seen("REGISTERED_MODEL_RENAMED", "fraud-old")
        version_of("fraud-old")
        seen("MODEL_VERSION_CREATED", "fraud-old", 2)
        _renamed(gql, "other", "fraud")  # the model now called so, Y
        seen("REGISTERED_MODEL_RENAMED", "fraud")
        version_of("fraud-old")  # not X any more
        version_of("fraud")
        seen("MODEL_VERSION_CREATED", "fraud", 2)
        ok(gql.mutate("deleteRegisteredModel", "", name="fraud"))  # X and Y, each once called so
        seen("REGISTERED_MODEL_DELETED", "fraud")
        version_of("fraud-old")
        seen("MODEL_VERSION_CREATED", "fraud-old", 4)
        _created(gql, "fraud")  # a new model, Z
        seen("REGISTERED_MODEL_CREATED", "fraud")
        version_of("fraud-old")
        version_of("fraud")
        seen("MODEL_VERSION_CREATED", "fraud", 1)
        assert subscriber.nothing_within(0.3)


def test_streams_filtered_by_model_and_type_miss_nothing_of_interleaved_changes(server_url, gql):
    """Against the log itself: what each filtered stream received is what the history
    query answers for its filter, across changes to several models made back to back."""
    names = ("a", "b", "c")
    for name in names:
        ok(gql.play("create_model", name=name))
    filters = [{"modelName": name} for name in names] + [
        {"types": ["MODEL_VERSION_TAG_SET"]}, {"modelName": "b", "types": ["MODEL_VERSION_CREATED"]}, {}]

    def history(spec: dict) -> list[str]:
        nodes = gql.data("query($modelName: String, $types: [ActivityType!]) { activities(first: 500, "
                         "modelName: $modelName, types: $types) { nodes { id } } }", **spec)["activities"]["nodes"]
        return [node["id"] for node in reversed(nodes)]

    before = [set(history(spec)) for spec in filters]
    after, streams = _newest(gql), live.OPEN_STREAMS[0]
    subscribers = _waiting([Subscriber(server_url, after=after, **spec) for spec in filters], streams)
    try:
        for step in range(30):
            name = names[(step * 7) % 3]
            version = ok(gql.play("create_version", name=name, source=f"s3://models/{name}/{step}"))
            number = version["modelVersion"]["version"]
            ok(gql.play("set_version_tag", name=name, version=number, key="step", value=str(step)))
        for spec, seen_before, subscriber in zip(filters, before, subscribers):
            expected = [i for i in history(spec) if i not in seen_before]
            received = [subscriber.next()["id"] for _ in range(len(expected))]
            assert received == expected, spec
            assert subscriber.nothing_within(0.2)
    finally:
        for subscriber in subscribers:
            subscriber.close()


def test_a_subscriber_sees_only_models_it_may_read_and_stops_seeing_one_when_its_grant_goes(secured_url, store,
                                                                                            sign_in_secured):
    admin = sign_in_secured("boss", admin=True)
    reader = sign_in_secured("reader")
    for name in ("shared", "secret", "other"):
        ok(admin.play("create_model", name=name))
    for name in ("shared", "other"):
        ok(admin.mutate("setModelPermission", "", name=name, principal="reader", level="CAN_READ"))
    token = reader.http.headers["authorization"]
    with Subscriber(secured_url, init={"Authorization": token}, after=_newest(admin)) as subscriber:
        for name in ("secret", "shared"):
            ok(admin.play("create_version", name=name, source=f"s3://models/{name}/1"))
        assert subscriber.next()["modelName"] == "shared"
        ok(admin.mutate("setModelPermission", "", name="shared", principal="reader", level="NO_PERMISSIONS"))
        ok(admin.play("create_version", name="shared", source="s3://models/shared/2"))
        ok(admin.play("create_version", name="other", source="s3://models/other/1"))
        assert (subscriber.next()["modelName"], subscriber.nothing_within(0.3)) == ("other", True)


def test_required_mode_takes_the_token_in_connection_init_and_refuses_a_connection_without_one(secured_url,
                                                                                               sign_in_secured):
    token = sign_in_secured("alice").http.headers["authorization"]
    with Subscriber(secured_url, init={"Authorization": token}) as signed_in:
        assert signed_in.ack["type"] == "connection_ack"
    for init in (None, {"Authorization": "Bearer rg_not-a-token"}, {"Authorization": 42}):
        with pytest.raises(ConnectionClosed) as closed:
            Subscriber(secured_url, init=init)
        assert closed.value.rcvd.code == 4403, init


def test_a_stream_ends_once_its_token_is_revoked(secured_url, sign_in_secured, monkeypatch):
    monkeypatch.setattr(live, "TOKEN_RECHECK_SECONDS", 0.0)
    admin = sign_in_secured("boss", admin=True)
    made = ok(admin.mutate("createAccessToken", "token accessToken { id }", description="stream"))
    ok(admin.play("create_model", name="watched"))
    with Subscriber(secured_url, init={"Authorization": f"Bearer {made['token']}"}, after=_newest(admin)) as subscriber:
        ok(admin.play("create_version", name="watched", source="s3://models/watched/1"))
        assert subscriber.next()["modelName"] == "watched"
        ok(admin.mutate("revokeAccessToken", "revokedAccessTokenId", id=made["accessToken"]["id"]))
        ok(admin.play("create_version", name="watched", source="s3://models/watched/2"))
        ended = subscriber.message()
        assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == ["UNAUTHENTICATED"], ended
        assert subscriber.message()["type"] == "complete"


def _waiting(subscribers: list, streams_before: int) -> list:
    """The subscribers, once each has read the (empty) log after `after` and waits."""
    deadline = time.monotonic() + WAIT
    while live.OPEN_STREAMS[0] < streams_before + len(subscribers):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.2)
    return subscribers


def test_subscribers_woken_by_one_change_share_one_read_and_one_execution(server_url, gql):
    after = _newest(gql)
    streams = live.OPEN_STREAMS[0]
    subscribers = _waiting([Subscriber(server_url, after=after) for _ in range(20)], streams)
    try:
        reads, executions = live.SHARED_READS[0], SHARED_EXECUTIONS[0]
        _created(gql, "popular")
        assert {s.next()["modelName"] for s in subscribers} == {"popular"}
        assert live.SHARED_READS[0] - reads == 19
        assert SHARED_EXECUTIONS[0] - executions == 19
    finally:
        for subscriber in subscribers:
            subscriber.close()


def test_an_event_is_shared_only_by_streams_of_one_viewer_holding_the_same_read():
    """Streams of different viewers never share a read (each reads under its own scope),
    and should one activity object reach them, still not a result: a field may answer
    each viewer differently. An activity read again is a new object: executed anew."""
    import asyncio
    import inspect
    from types import SimpleNamespace

    from graphql import parse

    from resolvers.access import Viewer
    from schema.build import build_schema
    from schema.shared_events import SharedEventExecutionContext
    from store.tables import Activity

    schema = build_schema(query_plans=False)._schema
    document = parse("subscription { activities { modelName version } }")
    read = Activity(id=1, type="MODEL_VERSION_CREATED", model_name="shared", version=3, occurred_at=0, payload="{}")

    async def event(viewer: Viewer, activity: Activity) -> int:
        """Executes the event for a stream of `viewer`: how many executions were shared."""
        before = SHARED_EXECUTIONS[0]
        stream = SharedEventExecutionContext.build(schema, document, context_value=SimpleNamespace(viewer=viewer))
        result = stream.build_per_event_executor(activity).execute_operation()
        if inspect.isawaitable(result):
            result = await result
        assert result.data == {"activities": {"modelName": "shared", "version": 3}}
        return SHARED_EXECUTIONS[0] - before

    async def events() -> list[int]:
        reread = Activity(**read.__data__)
        return [await event(Viewer("ann"), read), await event(Viewer("ann"), read), await event(Viewer("bob"), read),
                await event(Viewer("ann"), reread)]

    assert asyncio.run(events()) == [0, 1, 0, 0]


def test_without_after_a_subscription_starts_from_now(server_url, gql):
    """Nothing committed before the subscription was asked for is sent. When the server has
    set it up is unknown to the client, so changes are made until one arrives."""
    _created(gql, "earlier", versions=2)
    with Subscriber(server_url) as subscriber:
        for attempt in range(20):
            ok(gql.play("create_version", name="earlier", source=f"s3://models/earlier/{attempt + 3}"))
            with contextlib.suppress(TimeoutError):
                first = subscriber.next(timeout=0.5)
                break
    assert first["type"] == "MODEL_VERSION_CREATED" and first["version"] >= 3


def test_an_after_that_is_not_an_activity_id_is_refused_with_a_code(server_url):
    with Subscriber(server_url, after="not-an-id") as subscriber:
        message = subscriber.message()
    assert message["type"] in ("next", "error"), message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "INVALID_ARGUMENT", errors


def test_a_change_made_through_another_process_reaches_this_one(server_url, server_process, gql):
    other_url, _ = server_process()
    ok(httpx.post(f"{other_url}/graphql", json={"query": operation("create_model"), "variables": {"name": "first"}},
                  timeout=30).json()["data"]["createRegisteredModel"])
    with Subscriber(server_url, after=_newest(gql)) as subscriber:
        created = httpx.post(f"{other_url}/graphql", json={"query": operation("create_model"),
                                                           "variables": {"name": "elsewhere"}}, timeout=30)
        ok(created.json()["data"]["createRegisteredModel"])
        assert subscriber.next()["modelName"] == "elsewhere"


def test_the_served_websocket_sends_uncompressed_messages(server_process):
    """The client offers permessage-deflate (websockets does by default); the server
    declines: compressing small JSON messages cost CPU and zlib state per connection."""
    url, _ = server_process()
    with connect(url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        assert ws.response.headers.get("sec-websocket-extensions") is None
        assert ws.request.headers.get("sec-websocket-extensions", "").startswith("permessage-deflate")


def test_metrics_count_the_streams_being_served(server_url, gql):
    def streams() -> tuple[float, float]:
        samples = [s for f in text_string_to_metric_families(httpx.get(f"{server_url}/metrics").text) for s in f.samples]
        return tuple(next(s.value for s in samples if s.name == name)
                     for name in ("registry_activity_streams", "registry_websocket_connections"))

    before = streams()
    with Subscriber(server_url, after=_newest(gql)) as subscriber:
        _created(gql, "counted")
        subscriber.next()
        assert streams() == (before[0] + 1, before[1] + 1)
    deadline = time.monotonic() + WAIT
    while streams() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert streams() == before


def test_a_subscription_sent_over_http_is_refused_with_a_code(gql):
    (error,) = gql.execute(FOLLOW)["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "WebSocket" in error["message"]


class StalledClient:
    """A WebSocket client that subscribes and then reads nothing: the handshake and frames
    by hand, on a socket with a 4 KB receive buffer."""

    def __init__(self, url: str, query: str):
        host, port = url.removeprefix("http://").split(":")
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: it sets the window
        self.socket.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.socket.sendall((f"GET /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode())
        assert self.socket.recv(4096).startswith(b"HTTP/1.1 101")
        self.send({"type": "connection_init"})
        assert b"connection_ack" in self.socket.recv(4096)
        self.send({"id": "1", "type": "subscribe", "payload": {"query": query}})

    def send(self, message: dict) -> None:
        data, mask = json.dumps(message).encode(), os.urandom(4)
        length = bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(data))
        self.socket.sendall(b"\x81" + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def read_to_the_end(self) -> bytes:
        """Everything the server sent, until it closed the connection (or reset it)."""
        received = b""
        self.socket.settimeout(WAIT)
        try:
            while chunk := self.socket.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        return received


def _close_frame(code: int, reason: str) -> bytes:
    payload = struct.pack("!H", code) + reason.encode()
    return bytes([0x88, len(payload)]) + payload


def _stalled_behind_big_events(serve_with) -> tuple[StalledClient, int]:
    """A client stalled behind ~7 MB of events (more than the sockets' buffers hold) on a
    server that waits 1 s for it; the number of streams open before it came."""
    url = serve_with(local_user="tester", websocket_send_timeout_seconds=1.0)
    with httpx.Client(base_url=url, timeout=30) as http:
        gql = GraphQLClient(http)
        ok(gql.play("create_model", name="big"))
        streams = live.OPEN_STREAMS[0]
        client = StalledClient(url, "subscription { activities { id payload } }")
        deadline = time.monotonic() + WAIT
        while live.OPEN_STREAMS[0] == streams:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for n in range(60):
            ok(gql.mutate("updateRegisteredModel", "", name="big", description=chr(65 + n % 26) * 60_000))
    return client, streams


def _disconnected(before: int) -> None:
    deadline = time.monotonic() + WAIT
    while slow_consumers.DISCONNECTED[0] == before:
        assert time.monotonic() < deadline, "the stalled client was not disconnected"
        time.sleep(0.05)


def test_a_client_that_stops_reading_is_closed_with_4408_behind_what_it_had_not_read(serve_with):
    before = slow_consumers.DISCONNECTED[0]
    client, streams = _stalled_behind_big_events(serve_with)
    _disconnected(before)
    received = client.read_to_the_end()  # read at once: a slow client, not a dead one
    assert received.endswith(_close_frame(4408, "slow consumer"))
    assert received.count(b'"type":"next"') >= 10, "what was sent before is still delivered"
    assert live.OPEN_STREAMS[0] == streams, "its stream ended"


def test_a_client_that_never_reads_again_has_its_connection_aborted(serve_with):
    before = slow_consumers.DISCONNECTED[0]
    client, streams = _stalled_behind_big_events(serve_with)
    _disconnected(before)
    time.sleep(2.5)  # past the second wait: the connection is aborted, its buffers dropped
    received = client.read_to_the_end()
    assert not received.endswith(_close_frame(4408, "slow consumer"))
    assert live.OPEN_STREAMS[0] == streams
