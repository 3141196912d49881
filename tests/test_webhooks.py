"""Webhooks end to end: made through the API, delivered by the serving process's dispatcher
to a real HTTP receiver on this machine (tests/receivers.py), signed so that the
`standardwebhooks` package verifies them, retried, disabled, timed out, and never sent
for a change that rolled back."""
import json
import time

import httpx
import pytest
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from resolvers import changes
from resolvers.access import Viewer
from store.queries import model_by_name
from store.tables import Activity, WebhookDelivery
from tests.conftest import (
    LOCAL_ADMIN,
    WEBHOOKS_TO_THIS_MACHINE,
    GraphQLClient,
    _signing_in,
    ok,
    operation,
    refused,
)
from tests.receivers import Receiver, Reply

MODEL = "fraud"


@pytest.fixture
def gql(serve_with):
    """A local-mode server of its own, which sends the deliveries."""
    url = serve_with(local_user=LOCAL_ADMIN, **{**WEBHOOKS_TO_THIS_MACHINE, "webhook_dispatch": True})
    with httpx.Client(base_url=url, timeout=30) as http:
        yield GraphQLClient(http)


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def _register(gql, count: int, name: str = MODEL) -> None:
    for _ in range(count):
        ok(gql.play("create_version", name=name, source="s3://bucket/model", createModelIfMissing=True))


def _webhook(gql, url: str, **fields) -> tuple[str, str]:
    """A new webhook's id and secret."""
    made = ok(gql.play("create_webhook", url=url, **fields))
    assert made["secret"].startswith("whsec_")
    return made["webhook"]["id"], made["secret"]


def _deliveries(gql, **variables) -> list[dict]:
    """The deliveries of the one webhook there is, newest first."""
    (webhook,) = gql.play("webhook_deliveries", **variables)["nodes"]
    return webhook["deliveries"]["nodes"]


def _settled(gql, count: int, timeout: float = 15.0) -> list[dict]:
    """The webhook's `count` deliveries, oldest first, once none is PENDING."""
    deadline = time.monotonic() + timeout
    while True:
        found = _deliveries(gql, first=100)
        if len(found) == count and all(d["status"] != "PENDING" for d in found):
            return found[::-1]
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def _verified(secret: str, request) -> dict:
    """The body of a request, verified with the standardwebhooks package."""
    return Verifier(secret).verify(request.body, request.headers)


def test_deliveries_arrive_signed_in_order_with_the_documented_body(gql, receiver):
    _register(gql, 1)
    _, secret = _webhook(gql, receiver.url, modelName=MODEL)
    _register(gql, 3)
    ok(gql.play("transition", name=MODEL, version=2, stage="STAGING"))
    requests = receiver.wait_for(4)
    bodies = [_verified(secret, request) for request in requests]
    assert [b["type"] for b in bodies] == ["MODEL_VERSION_CREATED"] * 3 + ["STAGE_TRANSITIONED"]
    assert [b["data"]["version"] for b in bodies] == [2, 3, 4, 2]
    activity_ids = [b["data"]["id"] for b in bodies]
    log = gql.payload("{ activities(first: 4) { nodes { id } } }")["nodes"][::-1]
    assert activity_ids == [a["id"] for a in log], "deliveries in activity order"
    first = bodies[0]
    assert set(first) == {"id", "type", "timestamp", "data"}
    assert first["id"] == requests[0].headers["webhook-id"]
    assert first["data"]["modelName"] == MODEL and first["data"]["actor"] == LOCAL_ADMIN
    assert first["data"]["payload"]["versionId"]
    history = _settled(gql, 4)
    assert [d["status"] for d in history] == ["SUCCEEDED"] * 4
    assert all(d["attempts"] == 1 and d["responseStatus"] == 200 and d["deliveredAt"] for d in history)
    assert [d["id"] for d in history] == [r.headers["webhook-id"] for r in requests]
    with pytest.raises(WebhookVerificationError):
        Verifier("whsec_" + "A" * 44).verify(requests[0].body, requests[0].headers)


def test_a_receiver_that_fails_then_answers_gets_the_delivery_once_more_with_the_same_id(gql, receiver):
    receiver.replies += [Reply(500, "boom"), Reply(503)]
    _, secret = _webhook(gql, receiver.url)
    _register(gql, 1)
    requests = receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert _verified(secret, requests[2])["type"] == "REGISTERED_MODEL_CREATED"
    (created, version) = _settled(gql, 2)
    assert created["status"] == "SUCCEEDED" and created["attempts"] == 3
    assert version["status"] == "SUCCEEDED" and version["attempts"] == 1
    time.sleep(0.5)
    assert len(receiver.received) == 4, "each delivered once after it succeeded"


def test_retry_after_is_honoured(gql, receiver):
    receiver.replies.append(Reply(429, headers={"Retry-After": "2"}))
    _webhook(gql, receiver.url)
    _register(gql, 1)
    first, second = receiver.wait_for(2)
    assert second.at - first.at >= 1.9  # the schedule alone would retry after 0.3 s


def test_gone_disables_the_webhook_and_queues_nothing_more(gql, receiver):
    receiver.replies.append(Reply(410))
    _register(gql, 1)
    webhook_id, _ = _webhook(gql, receiver.url, modelName=MODEL)
    _register(gql, 1)
    (gone,) = _settled(gql, 1)
    assert gone["status"] == "FAILED" and gone["responseStatus"] == 410 and "DISABLED" in gone["lastError"]
    webhook = gql.payload("query($id: ID!) { node(id: $id) { ... on Webhook { status } } }", id=webhook_id)
    assert webhook["status"] == "DISABLED"
    _register(gql, 2)
    assert len(_deliveries(gql)) == 1


def test_a_receiver_that_hangs_times_out_and_is_tried_again(gql, receiver):
    receiver.replies.append(Reply(delay=4))  # the session's servers wait 2 s
    _webhook(gql, receiver.url)
    _register(gql, 1)
    receiver.wait_for(2, timeout=20)
    (delivery, _) = _settled(gql, 2, timeout=20)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 2


def test_a_delivery_that_keeps_failing_ends_failed_and_can_be_redelivered(gql, receiver):
    receiver.replies += [Reply(500, "x" * 3000)] * 4  # the session's servers try 4 times
    _webhook(gql, receiver.url)
    _register(gql, 1)
    failed, delivered = _settled(gql, 2, timeout=20)
    assert failed["status"] == "FAILED" and failed["attempts"] == 4
    assert failed["lastError"].startswith("HTTP 500: xxx") and "gave up after 4 attempts" in failed["lastError"]
    assert len(failed["lastError"]) < 1100, "a receiver's answer is kept to 1,000 characters"
    assert delivered["status"] == "SUCCEEDED", "a failed delivery does not hold back the next one for good"
    again = ok(gql.play("redeliver_webhook_delivery", id=failed["id"]))["delivery"]
    assert again["status"] == "PENDING"
    redone = _settled(gql, 2)[0]
    assert redone["status"] == "SUCCEEDED" and redone["attempts"] == 5
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 2


def test_nothing_is_queued_for_a_change_that_rolled_back(gql, store, receiver):
    _webhook(gql, receiver.url)
    _register(gql, 1)
    _settled(gql, 2)

    def change_then_fail(change):
        change.record("REGISTERED_MODEL_UPDATED", model_by_name(MODEL))
        change.flush()
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        store.write(changes.apply, change_then_fail, Viewer(LOCAL_ADMIN, is_admin=True))
    with store.db.connection_context():
        assert WebhookDelivery.select().count() == 2
        assert Activity.select().count() == 2


def test_after_a_rotation_both_secrets_sign_for_a_day(gql, receiver):
    webhook_id, old = _webhook(gql, receiver.url)
    new = ok(gql.play("rotate_webhook_secret", id=webhook_id))["secret"]
    assert new != old
    _register(gql, 1)
    (request, _) = receiver.wait_for(2)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert _verified(old, request) == _verified(new, request)


def test_test_webhook_sends_a_signed_made_up_event_and_reports_the_answer(gql, receiver):
    webhook_id, secret = _webhook(gql, receiver.url, events=["STAGE_TRANSITIONED"])
    answer = ok(gql.play("test_webhook", id=webhook_id))
    assert answer["success"] is True and answer["responseStatus"] == 200 and answer["responseBody"] == "ok"
    (request,) = receiver.wait_for(1)
    body = _verified(secret, request)
    assert body["type"] == "STAGE_TRANSITIONED" and body["data"]["test"] is True
    receiver.replies.append(Reply(502, "y" * 5000))
    failing = ok(gql.play("test_webhook", id=webhook_id, event="MODEL_VERSION_CREATED"))
    assert failing["success"] is False and failing["responseStatus"] == 502 and len(failing["responseBody"]) == 1000
    with_nothing_listening = ok(gql.play("update_webhook", id=webhook_id, url="http://127.0.0.1:9/closed"))
    assert with_nothing_listening["webhook"]["url"].endswith(":9/closed")
    unreachable = ok(gql.play("test_webhook", id=webhook_id))
    assert unreachable["success"] is False and unreachable["responseStatus"] is None and unreachable["error"]
    assert len(receiver.received) == 2


def test_webhooks_take_only_the_events_they_ask_for(gql, receiver):
    _register(gql, 1)
    _webhook(gql, receiver.url, modelName=MODEL, events=["ALIAS_SET"])
    _register(gql, 1)
    ok(gql.play("set_alias", name=MODEL, alias="champion", version=2))
    (request,) = receiver.wait_for(1)
    assert json.loads(request.body)["type"] == "ALIAS_SET"
    time.sleep(0.5)
    assert len(receiver.received) == 1


def test_account_events_are_refused_as_webhook_events(gql, receiver):
    refused(gql.play("create_webhook", url=receiver.url, events=["ACCESS_TOKEN_CREATED"]), "INVALID_ARGUMENT",
            ["input", "events"])


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://localhost/hook", "http://[::1]/",
                                 "http://10.0.0.8/", "http://169.254.169.254/latest/meta-data/",
                                 "ftp://example.com/", "not a url", "http://[::ffff:127.0.0.1]/"])
def test_a_url_to_this_machine_or_an_internal_address_is_refused_unless_allowed(serve_with, url):
    with httpx.Client(base_url=serve_with(local_user=LOCAL_ADMIN), timeout=10) as http:
        body = http.post("/graphql", json={"query": operation("create_webhook"), "variables": {"url": url}}).json()
    refused(body["data"]["createWebhook"], "INVALID_ARGUMENT", ["input", "url"])


def test_health_reports_the_backlog_and_metrics_count_deliveries(gql, receiver):
    server_url = str(gql.http.base_url).rstrip("/")
    receiver.replies.append(Reply(503, headers={"Retry-After": "60"}))
    _webhook(gql, receiver.url)
    _register(gql, 1)
    receiver.wait_for(1)
    deadline = time.monotonic() + 10
    while True:
        health = httpx.get(f"{server_url}/healthz").json()
        if health["webhooks"]["pending"] == 2 and health["webhooks"]["due"] == 1:
            break
        assert time.monotonic() < deadline, health
        time.sleep(0.1)
    assert health["status"] == "ok"
    metrics = httpx.get(f"{server_url}/metrics").text
    assert 'registry_webhook_deliveries_total{status="PENDING"}' in metrics


# ---- who manages webhooks ---------------------------------------------------------------

@pytest.fixture
def team(serve_with, store):
    """On an `--auth required` server where signed-in users hold NO_PERMISSIONS by default,
    which sends the deliveries: an admin, a model's manager and its editor."""
    url = serve_with(auth="required", default_permission="NO_PERMISSIONS",
                     **{**WEBHOOKS_TO_THIS_MACHINE, "webhook_dispatch": True})
    with _signing_in(url, store) as sign_in:
        yield _team(sign_in)


def _team(sign_in_secured):
    admin = sign_in_secured("root", admin=True)
    ok(admin.play("create_version", name=MODEL, source="s3://b/m", createModelIfMissing=True))
    for principal, level in (("manager", "CAN_MANAGE"), ("editor", "CAN_EDIT")):
        ok(admin.mutate("setModelPermission", "", name=MODEL, principal=principal, level=level))
    return admin, sign_in_secured("manager"), sign_in_secured("editor")


def test_a_models_managers_manage_its_webhooks_and_only_admins_registry_wide_ones(team, receiver):
    admin, manager, editor = team
    refused(editor.play("create_webhook", url=receiver.url, modelName=MODEL), "PERMISSION_DENIED",
            ["input", "modelName"])
    refused(manager.play("create_webhook", url=receiver.url), "PERMISSION_DENIED", ["input", "modelName"])
    refused(manager.play("create_webhook", url=receiver.url, modelName="missing"), "NOT_FOUND", ["input", "modelName"])
    model_hook, _ = _webhook(manager, receiver.url, modelName=MODEL)
    wide_hook, _ = _webhook(admin, receiver.url)
    assert [w["id"] for w in manager.play("webhook_deliveries")["nodes"]] == [model_hook]
    assert [w["id"] for w in admin.play("webhook_deliveries")["nodes"]] == [wide_hook, model_hook]
    assert editor.play("webhook_deliveries")["nodes"] == []
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert editor.payload(node, id=model_hook) is None and manager.payload(node, id=wide_hook) is None
    assert manager.payload(node, id=model_hook) == {"id": model_hook}
    error = editor.error("query($n: String!) { registeredModel(name: $n) { webhooks { id } } }", n=MODEL)
    assert error["extensions"]["code"] == "PERMISSION_DENIED"
    for mutation in ("update_webhook", "rotate_webhook_secret", "test_webhook"):
        refused(editor.play(mutation, id=model_hook), "NOT_FOUND", ["input", "id"])
        refused(manager.play(mutation, id=wide_hook), "NOT_FOUND", ["input", "id"])
    refused(editor.mutate("deleteWebhook", "deletedWebhookId", id=model_hook), "NOT_FOUND", ["input", "id"])
    assert ok(manager.mutate("deleteWebhook", "deletedWebhookId", id=model_hook))["deletedWebhookId"] == model_hook
    assert len(receiver.received) == 0


def test_a_webhook_never_tells_of_a_model_its_creator_can_no_longer_read(team, receiver):
    admin, manager, _ = team
    _webhook(manager, receiver.url, modelName=MODEL)
    ok(admin.mutate("setModelPermission", "", name=MODEL, principal="manager", level="NO_PERMISSIONS"))
    ok(admin.play("create_version", name=MODEL, source="s3://b/m"))
    (permission_change, version) = _settled(admin, 2)
    assert permission_change["status"] == "FAILED" and "can no longer read" in permission_change["lastError"]
    assert version["status"] == "FAILED"
    assert receiver.received == []


def test_queued_deliveries_go_out_as_one_batch_recorded_in_one_statement(server_url, store, receiver,
                                                                          count_statements):
    """Under load a webhook's queued deliveries are leased together and their successes
    written by one UPDATE; while they are out, one queued behind them is not offered for
    leasing (which would be a write for nothing on every activity)."""
    from gateway.settings import Settings
    from resolvers import deliveries
    from resolvers.deliveries import Answer, Outbound
    from resolvers.webhook_signing import SecretBox
    from resolvers.webhook_targets import AddressPolicy
    from resolvers.webhooks import WebhookRules

    with httpx.Client(base_url=server_url, timeout=30) as http:
        quiet = GraphQLClient(http)  # the session's server: it sends nothing
        _webhook(quiet, receiver.url, events=["MODEL_VERSION_CREATED"])
        _register(quiet, 3)
        key = Settings(database_url=store.url).load_secrets_key()
        outbound = Outbound(WebhookRules(AddressPolicy(), SecretBox(key)), sender=None)
        (batch,) = store.write(deliveries.take_due_webhooks, outbound, 10, 60.0)
        assert len(batch.messages) == 3
        _register(quiet, 1)
    assert not store.call(deliveries.webhooks_due)  # the new one waits for the batch ahead of it
    with count_statements() as statements:
        tally = store.write(deliveries.record, outbound, [(message, Answer(status=200)) for message in batch.messages])
    assert tally.by_status == {"SUCCEEDED": 3} and tally.lost_leases == 0
    assert sum(statement.lstrip().upper().startswith("UPDATE") for statement in statements) == 1
    assert store.call(deliveries.webhooks_due)  # now it heads the queue
    assert [d.status for d in WebhookDelivery.select().order_by(WebhookDelivery.id)] == ["SUCCEEDED"] * 3 + ["PENDING"]


# ---- where webhooks may connect ----------------------------------------------------------

def test_the_address_policy_refuses_internal_addresses_unless_allowed():
    import ipaddress

    from resolvers.webhook_targets import AddressPolicy, parse_networks

    policy = AddressPolicy()
    refused_addresses = ["127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
                         "169.254.169.254", "fe80::1", "fd00:ec2::254", "100.64.0.1", "0.0.0.0", "::",
                         "224.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "240.0.0.1"]
    for address in refused_addresses:
        assert policy.refusal(ipaddress.ip_address(address)), address
    assert "metadata" in policy.refusal(ipaddress.ip_address("169.254.169.254"))
    for address in ["8.8.8.8", "2606:4700:4700::1111", "93.184.216.34"]:
        assert policy.refusal(ipaddress.ip_address(address)) is None, address
    intranet = AddressPolicy(parse_networks(["10.0.0.0/8", "::1"]))
    assert intranet.refusal(ipaddress.ip_address("10.9.9.9")) is None
    assert intranet.refusal(ipaddress.ip_address("::1")) is None
    assert intranet.refusal(ipaddress.ip_address("192.168.1.1"))
    with pytest.raises(ValueError, match="REGISTRY_WEBHOOK_ALLOWED_NETWORKS"):
        parse_networks(["intranet"])


def test_a_name_that_resolves_to_this_machine_is_refused_where_the_connection_is_made(receiver):
    """DNS rebinding: the name is checked on the address it resolves to at connect time.
    The resolver is a stub (no DNS query leaves the machine); the connection is real."""
    import asyncio

    from gateway.outbound import HttpSender
    from resolvers.webhook_targets import AddressPolicy, parse_networks

    port = receiver.server.server_address[1]

    async def rebound(host, port):
        assert host == "rebound.example"
        return [("127.0.0.1", port)]

    async def post(policy, host="rebound.example"):
        sender = HttpSender(policy, 2.0, resolve=rebound)
        try:
            return await sender.post(f"http://{host}:{port}/hook", {"content-type": "application/json"}, b"{}")
        finally:
            await sender.close()

    answer = asyncio.run(post(AddressPolicy()))
    assert answer.final and answer.status is None and "127.0.0.1 is a loopback address" in answer.error
    # An address in the URL is not resolved, and is checked where its socket is opened.
    literal = asyncio.run(post(AddressPolicy(), host="127.0.0.1"))
    assert literal.final and literal.status is None and "127.0.0.1 is a loopback address" in literal.error
    assert receiver.received == []
    allowed = asyncio.run(post(AddressPolicy(parse_networks(["127.0.0.0/8"]))))
    assert allowed.status == 200
    (request,) = receiver.received
    assert request.headers["host"] == f"rebound.example:{port}"


# ---- processes ----------------------------------------------------------------------------

def _start(database_url: str, port: int, **env):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--database", database_url],
        cwd=ROOT, env={**os.environ, "REGISTRY_LOCAL_USER": LOCAL_ADMIN, "REGISTRY_WEBHOOK_DISPATCH": "on",
                       "REGISTRY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", "REGISTRY_WEBHOOK_TIMEOUT_SECONDS": "1",
                       "REGISTRY_WEBHOOK_RETRY_SECONDS": "0.2,0.2,0.2", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _client(port: int, process) -> GraphQLClient:
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return GraphQLClient(httpx.Client(base_url=url, timeout=30))
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        process.kill()
        process.wait(timeout=30)


def test_a_server_killed_between_commit_and_delivery_delivers_everything_after_a_restart(
        fresh_database_url, receiver, processes):
    from tests.conftest import _free_port

    port = _free_port()
    processes.append(_start(fresh_database_url, port))
    gql = _client(port, processes[-1])
    receiver.replies.append(Reply(delay=30))  # the first delivery is in flight when the server dies
    _, secret = _webhook(gql, receiver.url)
    _register(gql, 5)
    receiver.wait_for(1)
    processes[-1].kill()  # SIGKILL: no shutdown, the lease is left behind
    processes[-1].wait(timeout=30)
    processes.append(_start(fresh_database_url, port))
    gql = _client(port, processes[-1])
    requests = receiver.wait_for(7, timeout=30)  # the first again once its lease expired, then the rest
    ids = [r.headers["webhook-id"] for r in requests]
    assert ids[0] == ids[1] and len(set(ids)) == 6, "every committed event, the one in flight at least once"
    assert [_verified(secret, r)["type"] for r in requests[1:]] == (
        ["REGISTERED_MODEL_CREATED"] + ["MODEL_VERSION_CREATED"] * 5)
    assert all(d["status"] == "SUCCEEDED" for d in _settled(gql, 6))


def test_two_processes_deliver_each_event_once_in_order(fresh_database_url, receiver, processes):
    from tests.conftest import _free_port

    ports = [_free_port(), _free_port()]
    for port in ports:
        processes.append(_start(fresh_database_url, port))
    clients = [_client(port, process) for port, process in zip(ports, processes)]
    _webhook(clients[0], receiver.url)
    for n in range(40):
        ok(clients[n % 2].play("create_version", name=f"model-{n % 3}", source="s3://b/m",
                               createModelIfMissing=True))
    requests = receiver.wait_for(43, timeout=30)
    time.sleep(1.5)
    assert len(receiver.received) == 43, "no delivery sent twice"
    ids = [r.headers["webhook-id"] for r in requests]
    assert len(set(ids)) == 43
    activity_ids = [json.loads(r.body)["data"]["id"] for r in requests]
    log = clients[1].payload("{ activities(first: 100) { nodes { id } } }")["nodes"][::-1]
    assert activity_ids == [a["id"] for a in log], "in activity order"


def test_finished_deliveries_are_forgotten_after_30_days_and_waiting_ones_never(gql, receiver, store):
    from resolvers import deliveries

    _webhook(gql, receiver.url)
    _register(gql, 1)
    _settled(gql, 2)
    old = time.time_ns() // 1_000_000 - 31 * 86_400_000
    with store.db.connection_context():
        first, second = WebhookDelivery.select().order_by(WebhookDelivery.id)
        WebhookDelivery.update(created_at=old).where(WebhookDelivery.id == first.id).execute()
        WebhookDelivery.insert(webhook=first.webhook_id, activity_id=first.activity_id, status="PENDING",
                               created_at=old, next_attempt_at=old + 86_400_000 * 365).execute()
    assert store.write(deliveries.forget_old) == 1
    with store.db.connection_context():
        assert [d.status for d in WebhookDelivery.select().order_by(WebhookDelivery.id)] == ["SUCCEEDED", "PENDING"]


def test_a_process_with_another_secrets_key_says_so_and_sends_nothing(gql, receiver, serve_with):
    from cryptography.fernet import Fernet

    webhook_id, _ = _webhook(gql, receiver.url)
    other = serve_with(local_user=LOCAL_ADMIN, secrets_key=Fernet.generate_key().decode(), **WEBHOOKS_TO_THIS_MACHINE)
    with httpx.Client(base_url=other, timeout=30) as http:
        answer = GraphQLClient(http).play("test_webhook", id=webhook_id)
    refused(answer, "FAILED_PRECONDITION")
    assert "REGISTRY_SECRETS_KEY" in answer["userErrors"][0]["message"] and receiver.received == []


def test_a_model_has_at_most_100_webhooks(gql, receiver):
    from resolvers.webhooks import MAX_WEBHOOKS_PER_MODEL

    _register(gql, 1)
    gql.batch("createWebhook", "CreateWebhookInput",
              [{"url": f"https://hooks.example.com/{n}", "modelName": MODEL} for n in range(MAX_WEBHOOKS_PER_MODEL)])
    refused(gql.play("create_webhook", url="https://hooks.example.com/one-more", modelName=MODEL),
            "FAILED_PRECONDITION", ["input", "modelName"])
    assert ok(gql.play("create_webhook", url="https://hooks.example.com/wide"))["webhook"]["modelName"] is None


def test_webhooks_come_and_go_while_registrations_and_deliveries_go_on(gql, receiver, serve_with):
    """Deleting a webhook meets the registrations whose trigger queues its deliveries and
    the dispatcher recording them: neither may fail (a foreign key, a deadlock)."""
    import threading

    failures = []

    def register_many():
        with httpx.Client(base_url=gql.http.base_url, timeout=30) as http:
            client = GraphQLClient(http)
            for n in range(150):
                payload = client.execute(operation("create_version"), name=f"busy-{n % 3}", source="s3://b/m",
                                         createModelIfMissing=True)
                if payload.get("errors") or payload["data"]["createModelVersion"]["userErrors"]:
                    failures.append(payload)

    registering = threading.Thread(target=register_many)
    registering.start()
    while registering.is_alive():
        webhook_id, _ = _webhook(gql, receiver.url)
        time.sleep(0.05)
        ok(gql.mutate("deleteWebhook", "deletedWebhookId", id=webhook_id))
    registering.join()
    assert failures == []
