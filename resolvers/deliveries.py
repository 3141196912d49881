"""Delivering webhooks: what is sent, who may still be told, and what an answer leads to.

A delivery is PENDING until the receiver answers 2xx (SUCCEEDED) or it fails for good
(FAILED): an answer other than 2xx, 408, 429 and 5xx; 410 Gone, which also disables the
webhook; a target the address policy refuses; or the end of the retry schedule, about a
day after the first attempt. Timeouts, connection errors, 408, 429 and 5xx are retried
after RETRY_SECONDS (with jitter) or after the receiver's Retry-After. A webhook never
tells of a model its creator can no longer read: such a delivery fails unsent.

The dispatcher (gateway/dispatcher.py) leases due deliveries with `take_due`, sends them
with a Sender, and writes what came back with `record`; `test` sends a made-up event now.
"""
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

from resolvers import access
from resolvers.accounts import viewer_of
from resolvers.errors import not_found
from resolvers.global_ids import to_global_id
from resolvers.webhook_signing import headers, key_of
from resolvers.webhooks import WebhookRules, managed_webhook
from store import outbox, queries
from store.database import Store, now_ms
from store.tables import Activity, EmailDelivery, Webhook, WebhookDelivery

# Waits before each retry: 1 s, 10 s, 1 min, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h (23.6 h).
RETRY_SECONDS = (1, 10, 60, 300, 1800, 7200, 18000, 28800, 28800)
JITTER = 0.2  # each wait is drawn from ±20% of its nominal value, so retries do not herd
RESPONSE_KEPT = 1000  # characters of a receiver's answer kept with the delivery
RETRIED_STATUSES = {408, 429}
# Deliveries of one webhook leased at once and sent one after another on one connection:
# under load, a lease and a record per batch instead of per delivery.
PER_WEBHOOK = 50
KEPT_DAYS = 30  # how long a finished delivery stays in its webhook's history
SUCCEEDED, FAILED, PENDING = outbox.SUCCEEDED, outbox.FAILED, outbox.PENDING


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status and the start of the body, or an error and none."""

    status: int | None = None
    body: str = ""
    error: str | None = None
    retry_after: float | None = None  # seconds, from the receiver's Retry-After
    final: bool = False  # retrying would not help (a target the address policy refuses, a mailbox refused)

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender(Protocol):
    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer: ...


class MailSender(Protocol):
    async def send(self, message: "Message") -> Answer: ...


@dataclass(frozen=True)
class Outbound:
    """What a process needs to reach the outside: the rules for making webhooks, a Sender
    for them, a MailSender (None without SMTP settings) and the address mail comes from,
    the default level of signed-in users (whom a webhook's creator or a follower
    reaches) and the retry schedule."""

    rules: WebhookRules
    sender: Sender
    mailer: MailSender | None = None
    mail_from: str = "registry-gateway@localhost"
    default_level: int = access.CAN_READ
    retry_seconds: tuple[float, ...] = RETRY_SECONDS


@dataclass
class Message:
    """A delivery or an e-mail, leased, ready to send."""

    table = WebhookDelivery  # its outbox
    delivery_id: int
    lease: str
    message_id: str
    round_attempts: int


@dataclass
class WebhookMessage(Message):
    webhook_id: int = 0
    url: str = ""
    keys: list[bytes] = field(default_factory=list)
    body: bytes = b""

    def headers(self) -> dict[str, str]:
        return headers(self.keys, self.message_id, int(time.time()), self.body)


@dataclass
class Tally:
    """Deliveries finished by one `record`, by status, and those whose lease had expired."""

    by_status: dict[str, int] = field(default_factory=dict)
    lost_leases: int = 0


def iso_ms(ms: int) -> str:
    """As the API writes a DateTime."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")


def event_data(activity: Activity) -> dict:
    """The activity as the API shows it, with global ids."""
    return {
        "id": to_global_id("Activity", activity.id), "type": activity.type, "actor": activity.actor,
        "occurredAt": iso_ms(activity.occurred_at), "modelName": activity.model_name, "version": activity.version,
        "fromStage": activity.from_stage, "toStage": activity.to_stage, "alias": activity.alias,
        "comment": activity.comment,
        "transitionRequestId": activity.transition_request_id and to_global_id(
            "TransitionRequest", activity.transition_request_id),
        "payload": json.loads(activity.payload),
    }


def _body(message_id: str, type: str, at_ms: int, data: dict) -> bytes:
    return json.dumps({"id": message_id, "type": type, "timestamp": iso_ms(at_ms), "data": data},
                      separators=(",", ":")).encode()


def signing_keys(webhook: Webhook, rules: WebhookRules, now: int) -> list[bytes]:
    keys = [key_of(rules.box.open(webhook.secret))]
    if webhook.previous_secret and (webhook.previous_secret_until or 0) > now:
        keys.append(key_of(rules.box.open(webhook.previous_secret)))
    return keys


def _why_not_told(leased: list[outbox.Leased], default_level: int) -> dict[int, str]:
    """Deliveries whose webhook's creator may no longer know of the event: id -> why."""
    creators = {item.delivery.webhook.created_by for item in leased}
    users = queries.users_by_names([name for name in creators if name])
    viewers = {name: viewer_of(user, default_level) for name, user in users.items()}
    levels = {name: access.levels_on(viewer, sorted({item.delivery.webhook.model_id for item in leased
                                                     if item.delivery.webhook.created_by == name
                                                     and item.delivery.webhook.model_id is not None}))
              for name, viewer in viewers.items()}
    refused = {}
    for item in leased:
        webhook = item.delivery.webhook
        viewer = viewers.get(webhook.created_by)
        if item.activity is None:
            refused[item.delivery.id] = "its activity is missing from the log"
        elif viewer is None:
            refused[item.delivery.id] = f"the webhook's creator {webhook.created_by!r} is no longer a user"
        elif webhook.model_id is None and not viewer.is_admin:
            refused[item.delivery.id] = f"the webhook's creator {viewer.name!r} is no longer an admin"
        elif webhook.model_id is not None and levels[viewer.name][webhook.model_id] < access.CAN_READ:
            refused[item.delivery.id] = f"the webhook's creator {viewer.name!r} can no longer read the model"
    return refused


@dataclass
class WebhookBatch:
    """A webhook's next deliveries, leased together, to send one after another."""

    messages: list[WebhookMessage]


def webhooks_due() -> bool:
    return outbox.any_webhook_head_due(now_ms())


def take_due_webhooks(outbound: Outbound, limit: int, lease_seconds: float) -> list[WebhookBatch]:
    """Lease the next deliveries of up to `limit` webhooks and make their messages; those
    that may not be sent fail here, unsent. Run as one write."""
    now = now_ms()
    lease = secrets.token_hex(16)
    leased = outbox.lease_due_webhook_deliveries(now, limit, PER_WEBHOOK, now + int(lease_seconds * 1000), lease)
    refused = _why_not_told(leased, outbound.default_level)
    batches: dict[int, WebhookBatch] = {}
    keys: dict[int, list[bytes]] = {}
    for item in leased:
        delivery = item.delivery
        if delivery.id in refused:
            outbox.finish(WebhookDelivery, [delivery.id], lease, status=FAILED, next_attempt_at=None, response_status=None,
                          last_error=f"Not sent: {refused[delivery.id]}.")
            continue
        if delivery.webhook_id not in keys:
            keys[delivery.webhook_id] = signing_keys(delivery.webhook, outbound.rules, now)
        message_id = to_global_id("WebhookDelivery", delivery.id)
        batches.setdefault(delivery.webhook_id, WebhookBatch([])).messages.append(WebhookMessage(
            delivery_id=delivery.id, lease=lease, message_id=message_id, round_attempts=delivery.round_attempts,
            webhook_id=delivery.webhook_id, url=delivery.webhook.url, keys=keys[delivery.webhook_id],
            body=_body(message_id, item.activity.type, item.activity.occurred_at, event_data(item.activity))))
    return list(batches.values())


Sent = list[tuple[Message, Answer]]


async def send_in_order(sender: Sender, batch: WebhookBatch, budget_seconds: float) -> tuple[Sent, list[Message]]:
    """Send a webhook's deliveries one after another until one fails (those after it wait
    for it) or `budget_seconds` have passed: what was sent with its answers, and what was not."""
    started = time.monotonic()
    sent: Sent = []
    for position, message in enumerate(batch.messages):
        if position and time.monotonic() - started > budget_seconds:
            return sent, batch.messages[position:]
        answer = await sender.post(message.url, message.headers(), message.body)
        sent.append((message, answer))
        if not answer.succeeded:
            return sent, batch.messages[position + 1:]
    return sent, []


def _error(answer: Answer) -> str:
    if answer.error:
        return answer.error
    return f"HTTP {answer.status}: {answer.body[:RESPONSE_KEPT]}" if answer.body else f"HTTP {answer.status}"


def after(answer: Answer, round_attempts: int, now: int, retry_seconds: tuple[float, ...],
          rng=random) -> tuple[dict, bool]:
    """What an attempt leads to: the delivery's new values, and whether the webhook is to
    be disabled. `round_attempts` is how many attempts came before this one."""
    if answer.succeeded:
        return {"status": SUCCEEDED, "response_status": answer.status, "last_error": None,
                "next_attempt_at": None, "delivered_at": now}, False
    failed = {"status": FAILED, "response_status": answer.status, "next_attempt_at": None}
    if answer.status == 410:
        return {**failed, "last_error": "HTTP 410: the receiver is gone; the webhook is now DISABLED."}, True
    retried = not answer.final and (answer.status is None or answer.status in RETRIED_STATUSES
                                      or answer.status >= 500)
    if not retried:
        return {**failed, "last_error": _error(answer)}, False
    if round_attempts >= len(retry_seconds):
        return {**failed, "last_error": f"{_error(answer)} (gave up after {round_attempts + 1} attempts)"}, False
    if answer.retry_after is not None:
        wait = min(max(answer.retry_after, 0.0), max(RETRY_SECONDS))
    else:
        wait = retry_seconds[round_attempts] * rng.uniform(1 - JITTER, 1 + JITTER)
    return {"status": PENDING, "response_status": answer.status, "last_error": _error(answer),
            "next_attempt_at": now + int(wait * 1000)}, False


def record(outbound: Outbound, sent: Sent, unsent: list[Message] = ()) -> Tally:
    """Write what each attempt got, and give back what was leased but not sent. Run as one
    write: attempts with the same outcome (a batch's successes) in one statement."""
    now = now_ms()
    tally = Tally()
    leased = [message for message, _ in sent] + list(unsent)
    for table in {message.table for message in leased}:
        outbox.lock_in_order(table, sorted(m.delivery_id for m in leased if m.table is table))
    for message in unsent:
        outbox.release(message.table, [message.delivery_id], message.lease)
    alike: dict[tuple, list[Message]] = {}
    for message, answer in sent:
        values, disable = after(answer, message.round_attempts, now, outbound.retry_seconds)
        if message.table is EmailDelivery:
            del values["response_status"]  # an HTTP status; mail servers answer otherwise
        webhook_to_disable = message.webhook_id if disable else None
        key = (message.table, message.lease, webhook_to_disable, tuple(sorted(values.items())))
        alike.setdefault(key, []).append(message)
    for (table, lease, webhook_to_disable, items), messages in alike.items():
        values = dict(items)
        written = outbox.finish(table, [m.delivery_id for m in messages], lease, **values)
        tally.lost_leases += len(messages) - written
        if written:
            if webhook_to_disable is not None:
                outbox.disable(webhook_to_disable, now)
            tally.by_status[values["status"]] = tally.by_status.get(values["status"], 0) + written
    return tally


def forget_old() -> int:
    """Deliveries and e-mails finished more than KEPT_DAYS ago: gone, as their history ages."""
    before = now_ms() - KEPT_DAYS * 86_400_000
    return outbox.forget_finished(WebhookDelivery, before) + outbox.forget_finished(EmailDelivery, before)


def backlog() -> dict:
    """For /healthz: webhook deliveries and e-mails waiting, due now, and the oldest due
    one's wait in seconds."""
    now = now_ms()
    waiting = {"webhooks": outbox.backlog(WebhookDelivery, now), "emails": outbox.backlog(EmailDelivery, now)}
    return {name: {"pending": w["pending"], "due": w["due"], "oldestDueSeconds": w["oldestDueMs"] / 1000}
            for name, w in waiting.items()}


# ---- testWebhook -----------------------------------------------------------------------

def _test_target(viewer, webhook_id: int | None, rules: WebhookRules) -> tuple[Webhook, list[bytes], str | None]:
    webhook = managed_webhook(viewer, webhook_id, "input", "id")
    model = queries.models_by_ids([webhook.model_id]).get(webhook.model_id) if webhook.model_id else None
    return webhook, signing_keys(webhook, rules, now_ms()), model and model.name


async def test(store: Store, outbound: Outbound, viewer, webhook_id: int | None, event: str | None) -> Answer:
    """Send a made-up event to the webhook now, signed as any other; what the receiver said."""
    if outbound is None:
        raise not_found("Webhook not found.", "input", "id")
    webhook, keys, model_name = await store.run(_test_target, viewer, webhook_id, outbound.rules)
    type = event or (json.loads(webhook.events) or ["MODEL_VERSION_CREATED"])[0]
    message_id = "test_" + secrets.token_hex(12)
    now = now_ms()
    body = _body(message_id, type, now, {"test": True, "type": type, "modelName": model_name,
                                         "occurredAt": iso_ms(now), "actor": viewer.name})
    return await outbound.sender.post(webhook.url, headers(keys, message_id, int(time.time()), body), body)
