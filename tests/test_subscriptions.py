"""The `activities` subscription over a real WebSocket (graphql-transport-ws): live order,
resuming with `after`, filters, the viewer's grants as they are at each event, tokens in
connection_init, and changes made through another process."""
import contextlib
import json
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import ok, operation

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
        self.ack = json.loads(self.socket.recv(timeout=WAIT))
        if self.ack["type"] == "connection_ack":
            self.socket.send(json.dumps({"id": "1", "type": "subscribe",
                                         "payload": {"query": FOLLOW, "variables": variables}}))

    def message(self, timeout: float = WAIT) -> dict:
        return json.loads(self.socket.recv(timeout=timeout))

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


def test_metrics_count_the_streams_being_served(server_url, gql):
    def streams() -> float:
        samples = text_string_to_metric_families(httpx.get(f"{server_url}/metrics").text)
        return next(s.value for f in samples for s in f.samples if s.name == "registry_activity_streams")

    before = streams()
    with Subscriber(server_url, after=_newest(gql)) as subscriber:
        _created(gql, "counted")
        subscriber.next()
        assert streams() == before + 1
    deadline = time.monotonic() + WAIT
    while streams() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert streams() == before


def test_a_subscription_sent_over_http_is_refused_with_a_code(gql):
    (error,) = gql.execute(FOLLOW)["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "WebSocket" in error["message"]
