"""E-mail to followers, received by a real SMTP server in the test process (aiosmtpd)."""
import email
import email.policy
import time

import httpx
import pytest
from aiosmtpd.controller import Controller

from store.tables import EmailDelivery
from tests.conftest import LOCAL_ADMIN, WEBHOOKS_TO_THIS_MACHINE, _free_port, _signing_in, ok, refused

MODEL = "fraud"


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        if any(to.startswith("bounce") for to in envelope.rcpt_tos):
            return "550 no such mailbox"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 15.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} e-mails arrived"
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def inbox():
    received = Inbox()
    port = _free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    received.url = f"smtp://127.0.0.1:{port}?from=registry@example.com"
    yield received
    controller.stop()


@pytest.fixture
def people(serve_with, store, inbox):
    """On a `--auth required` server that sends e-mail: an admin who owns the model, a
    follower with an address, and someone who follows nothing."""
    url = serve_with(auth="required", smtp_url=inbox.url, **{**WEBHOOKS_TO_THIS_MACHINE, "webhook_dispatch": True})
    with _signing_in(url, store) as sign_in:
        owner, follower, bystander = sign_in("owner", admin=True), sign_in("ada"), sign_in("bob")
        for client, address in ((owner, "owner@example.com"), (follower, "ada@example.com"),
                                (bystander, "bob@example.com")):
            ok(client.play("set_viewer_email", email=address))
        ok(owner.play("create_version", name=MODEL, source="s3://b/m", createModelIfMissing=True))
        yield owner, follower, bystander


def _settled_emails(store, count: int, timeout: float = 10.0) -> list[EmailDelivery]:
    """The outbox's `count` e-mails, once none is PENDING."""
    deadline = time.monotonic() + timeout
    while True:
        with store.db.connection_context():
            rows = list(EmailDelivery.select().order_by(EmailDelivery.id))
        if len(rows) == count and all(row.status != "PENDING" for row in rows):
            return rows
        assert time.monotonic() < deadline, [(row.status, row.last_error) for row in rows]
        time.sleep(0.1)


def _to(message) -> str:
    return message["To"]


def test_followers_are_told_of_versions_transitions_requests_and_comments_but_not_of_their_own(people, inbox):
    owner, follower, _ = people
    assert ok(follower.play("follow_model", name=MODEL))["registeredModel"]["followedByViewer"] is True
    ok(owner.play("create_version", name=MODEL, source="s3://b/m2"))
    ok(owner.play("transition", name=MODEL, version=1, stage="STAGING"))
    ok(owner.mutate("setModelAlias", "", name=MODEL, alias="champion", version=1))  # not e-mailed
    request = ok(follower.play("request_transition", name=MODEL, version=1, stage="PRODUCTION"))
    ok(owner.play("approve_transition", id=request["transitionRequest"]["id"], comment="ship it"))
    ok(follower.mutate("createComment", "", name=MODEL, version=2, body="looks good"))
    messages = inbox.wait_for(6)
    time.sleep(1)
    subjects = sorted((_to(m), m["Subject"]) for m in inbox.messages)
    assert subjects == sorted([
        ("ada@example.com", "[fraud] version 2 registered by owner"),
        ("ada@example.com", "[fraud] version 1 moved to Staging by owner"),
        ("owner@example.com", "[fraud] ada asks to move version 1 to Production"),
        ("ada@example.com", "[fraud] the request to move version 1 to Production was approved by owner"),
        ("ada@example.com", "[fraud] version 1 moved to Production by owner"),
        ("owner@example.com", "[fraud] ada commented on version 2"),
    ]), "owners follow what they create; nobody is told of their own actions"
    approved = next(m for m in messages if "approved" in m["Subject"])
    assert approved["From"] == "registry@example.com" and approved["Auto-Submitted"] == "auto-generated"
    assert "ship it" in approved.get_content() and "unfollowModel" in approved.get_content()


def test_requesters_follow_and_unfollowing_stops_the_mail(people, inbox):
    owner, follower, bystander = people
    ok(bystander.play("request_transition", name=MODEL, version=1, stage="STAGING"))
    inbox.wait_for(1)
    assert bystander.payload('{ registeredModel(name: "fraud") { followedByViewer } }')["followedByViewer"]
    ok(bystander.mutate("unfollowModel", "", name=MODEL))
    ok(owner.play("create_version", name=MODEL, source="s3://b/m2"))
    time.sleep(1.5)
    assert [_to(m) for m in inbox.messages] == ["owner@example.com"]


def test_a_follower_who_loses_read_access_is_not_told(serve_with, store, inbox):
    url = serve_with(auth="required", default_permission="NO_PERMISSIONS", smtp_url=inbox.url,
                     **{**WEBHOOKS_TO_THIS_MACHINE, "webhook_dispatch": True})
    with _signing_in(url, store) as sign_in:
        owner, reader = sign_in("owner", admin=True), sign_in("ada")
        ok(owner.play("create_version", name=MODEL, source="s3://b/m", createModelIfMissing=True))
        ok(owner.mutate("setModelPermission", "", name=MODEL, principal="ada", level="CAN_READ"))
        ok(reader.mutate("setViewerEmail", "", email="ada@example.com"))
        ok(reader.mutate("followModel", "", name=MODEL))
        ok(owner.mutate("setModelPermission", "", name=MODEL, principal="ada", level="NO_PERMISSIONS"))
        ok(owner.play("create_version", name=MODEL, source="s3://b/m2"))
        rows = _settled_emails(store, 1)
        assert rows[0].status == "FAILED" and "can no longer read" in rows[0].last_error
        assert inbox.messages == []


def test_a_refused_mailbox_fails_at_once_and_health_counts_the_outbox(people, inbox, store):
    owner, follower, _ = people
    ok(follower.play("set_viewer_email", email="bounce@example.com"))
    ok(follower.mutate("followModel", "", name=MODEL))
    ok(owner.play("create_version", name=MODEL, source="s3://b/m2"))
    (bounced,) = _settled_emails(store, 1)
    assert bounced.status == "FAILED" and bounced.attempts == 1 and bounced.last_error.startswith("SMTP 550")
    health = httpx.get(f"{str(owner.http.base_url).rstrip('/')}/healthz").json()
    assert health["emails"] == {"pending": 0, "due": 0, "oldestDueSeconds": 0}


@pytest.mark.parametrize("address", ["not an address", "a@b", "<a@example.com>", "x" * 400 + "@example.com"])
def test_an_address_that_is_not_one_is_refused(gql, address):
    refused(gql.mutate("setViewerEmail", "user { email }", email=address), "INVALID_ARGUMENT", ["input", "email"])


def test_the_local_admin_sets_and_clears_an_address(gql):
    assert ok(gql.play("set_viewer_email", email="me@example.com"))["user"] == {
        "name": LOCAL_ADMIN, "email": "me@example.com"}
    assert ok(gql.play("set_viewer_email", email=None))["user"] == {"name": LOCAL_ADMIN, "email": None}
