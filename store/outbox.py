"""The outboxes: webhook deliveries and e-mails, queued with the activities they carry (by
triggers made in migrations 0007 and 0008), leased by dispatchers, finished with what
the receiver answered.

Each webhook's deliveries go out in id order: a dispatcher leases a webhook's oldest
PENDING delivery (its head) with those queued behind it, and sends them one after another;
the head stays the head until it succeeds or fails for good. A lease is a time limit and a
token written in one transaction; on PostgreSQL the leasing SELECT skips heads another
dispatcher has locked (`FOR UPDATE SKIP LOCKED`) and re-checks the lease on rows committed
meanwhile, so two dispatchers never hold one delivery. A dispatcher that dies holding a lease loses it when it expires, and
another sends the delivery again: at least once.
"""
from dataclasses import dataclass

from peewee import SQL, Case, fn

from store.pages import Page, PageRequest, _page, _pages_by_parent
from store.permissions import Reach, within
from store.statements import any_of, is_sqlite
from store.tables import Activity, EmailDelivery, OutboxEntry, User, Webhook, WebhookDelivery
from store.tables import database as bound_database
from store.writes import ACTIVITY_ORDER_LOCK

PENDING, SUCCEEDED, FAILED = "PENDING", "SUCCEEDED", "FAILED"
DELIVERY_COLUMNS = {"ID": WebhookDelivery.id}
WEBHOOK_COLUMNS = {"ID": Webhook.id}
NEWEST_FIRST = (("ID", True),)


@dataclass
class Leased:
    delivery: WebhookDelivery | EmailDelivery  # with .webhook, or .user, loaded
    activity: Activity | None  # None only if the log lost it, which it never should


Outbox = type[OutboxEntry]


def _due(table: Outbox, now: int):
    return ((table.status == PENDING) & (table.next_attempt_at <= now)
            & (table.leased_until.is_null() | (table.leased_until < now)))


def any_due(table: Outbox, now: int) -> bool:
    """Whether an entry may be due now: a read, so that a dispatcher woken by an activity
    that queued nothing does not begin a write (three round trips on PostgreSQL)."""
    return table.select(table.id).where(_due(table, now)).limit(1).exists()


def any_webhook_head_due(now: int) -> bool:
    """Whether a webhook's oldest PENDING delivery is due and free: those queued behind a
    leased head wait for it, and leasing would find nothing (a write for nothing on each
    activity while a batch is in flight)."""
    earlier = WebhookDelivery.alias("earlier")
    ahead = earlier.select(earlier.id).where((earlier.webhook == WebhookDelivery.webhook)
                                             & (earlier.status == PENDING) & (earlier.id < WebhookDelivery.id))
    return (WebhookDelivery.select(WebhookDelivery.id)
            .where(_due(WebhookDelivery, now) & ~fn.EXISTS(ahead)).limit(1).exists())


def _take(table: Outbox, deliveries: list, lease_until: int, lease: str) -> list[Leased]:
    if not deliveries:
        return []
    table.update(leased_until=lease_until, lease=lease).where(any_of(table.id, [d.id for d in deliveries])).execute()
    activities = {a.id: a for a in Activity.select().where(any_of(Activity.id, [d.activity_id for d in deliveries]))}
    return [Leased(d, activities.get(d.activity_id)) for d in deliveries]


def _locked(table: Outbox, query):
    """`query`'s rows, locked, skipping those another transaction holds (PostgreSQL; SQLite's
    writers hold the whole database already)."""
    return list(query if is_sqlite() else query.for_update(of=table, skip_locked=True))


def lease_due_webhook_deliveries(now: int, limit: int, per_webhook: int, lease_until: int,
                                 lease: str) -> list[Leased]:
    """Lease the next deliveries of up to `limit` webhooks whose oldest PENDING delivery (the
    head) is due and free: each webhook's first `per_webhook` PENDING deliveries, in id
    order, up to the first that is not due. Holding a webhook's head keeps every other
    dispatcher off the webhook, so the ones behind it need no lock. Call inside a
    transaction."""
    heads = (WebhookDelivery.select(fn.MIN(WebhookDelivery.id))
             .where(WebhookDelivery.status == PENDING).group_by(WebhookDelivery.webhook))
    locked = _locked(WebhookDelivery, WebhookDelivery.select(WebhookDelivery.id, WebhookDelivery.webhook).join(Webhook)
                     .where(WebhookDelivery.id.in_(heads) & (Webhook.status == "ACTIVE") & _due(WebhookDelivery, now))
                     .order_by(WebhookDelivery.id).limit(limit))
    if not locked:
        return []
    position = fn.ROW_NUMBER().over(partition_by=[WebhookDelivery.webhook], order_by=[WebhookDelivery.id])
    ranked = (WebhookDelivery.select(WebhookDelivery.id, position.alias("position"))
              .where(any_of(WebhookDelivery.webhook, [d.webhook_id for d in locked])
                     & (WebhookDelivery.status == PENDING)).alias("ranked"))
    queued = (WebhookDelivery.select(WebhookDelivery, Webhook).join(Webhook)
              .join(ranked, on=(WebhookDelivery.id == ranked.c.id), src=WebhookDelivery)
              .where(ranked.c.position <= per_webhook).order_by(WebhookDelivery.webhook, WebhookDelivery.id))
    taken, blocked = [], set()
    for delivery in queued:
        due = delivery.next_attempt_at <= now and (delivery.leased_until is None or delivery.leased_until < now)
        if delivery.webhook_id in blocked or not due:
            blocked.add(delivery.webhook_id)  # what comes after a delivery not due waits for it
            continue
        taken.append(delivery)
    return _take(WebhookDelivery, sorted(taken, key=lambda d: d.id), lease_until, lease)


def lease_due_emails(now: int, limit: int, lease_until: int, lease: str) -> list[Leased]:
    """Lease up to `limit` due e-mails, oldest first. Call inside a transaction."""
    query = (EmailDelivery.select(EmailDelivery, User).join(User)
             .where(_due(EmailDelivery, now)).order_by(EmailDelivery.id).limit(limit))
    return _take(EmailDelivery, _locked(EmailDelivery, query), lease_until, lease)


def finish(table: Outbox, delivery_ids: list[int], lease: str, **values) -> int:
    """Write the same outcome of an attempt to each of `delivery_ids` and release their
    leases: how many were written. One whose lease was lost (it expired and another
    dispatcher took the delivery) is left as it is."""
    return (table.update(leased_until=None, lease=None, attempts=table.attempts + 1,
                         round_attempts=table.round_attempts + 1, **values)
            .where(any_of(table.id, delivery_ids) & (table.lease == lease)).execute())


def lock_in_order(table: Outbox, delivery_ids: list[int]) -> None:
    """On PostgreSQL, lock the entries in id order, the order `delete_webhook` locks a
    webhook's in: an UPDATE locks in the order it finds rows, which need not be that, and
    two writers locking the same rows in different orders deadlock."""
    if delivery_ids and not is_sqlite():
        list(table.select(table.id).where(any_of(table.id, delivery_ids)).order_by(table.id).for_update())


def release(table: Outbox, delivery_ids: list[int], lease: str) -> None:
    """Give back leased entries that were not attempted: due again at once."""
    if delivery_ids:
        (table.update(leased_until=None, lease=None)
         .where(any_of(table.id, delivery_ids) & (table.lease == lease)).execute())


def delete_webhook(webhook_id: int) -> None:
    """Delete a webhook and its deliveries without meeting the writers that touch them:
    on PostgreSQL it first waits for the activity appends under way (whose trigger may be
    queueing a delivery for it, which would fail its foreign key once the webhook is gone),
    then locks its deliveries in id order, the order dispatchers write them in (a cascade
    locks them in any order, and deadlocked with a dispatcher recording a batch)."""
    if not is_sqlite():
        bound_database.obj.execute_sql("SELECT pg_advisory_xact_lock(%s)", (ACTIVITY_ORDER_LOCK,))
        list(WebhookDelivery.select(WebhookDelivery.id).where(WebhookDelivery.webhook == webhook_id)
             .order_by(WebhookDelivery.id).for_update())
    Webhook.delete().where(Webhook.id == webhook_id).execute()


def disable(webhook_id: int, now: int) -> None:
    Webhook.update(status="DISABLED", updated_at=now).where(Webhook.id == webhook_id).execute()


def requeue(delivery_id: int, now: int) -> int:
    """A webhook delivery made PENDING again, due now, at the start of its retry schedule."""
    return (WebhookDelivery.update(status=PENDING, next_attempt_at=now, round_attempts=0, leased_until=None,
                                   lease=None)
            .where(WebhookDelivery.id == delivery_id).execute())


def forget_finished(table: Outbox, before: int) -> int:
    """Delete entries that succeeded or failed and were queued before `before` (ms)."""
    return table.delete().where((table.status != PENDING) & (table.created_at < before)).execute()


def backlog(table: Outbox, now: int) -> dict:
    """Deliveries waiting: how many, how many are due now, and how long the oldest due one
    has been waiting (ms)."""
    pending, due, oldest = (table.select(
        fn.COUNT(table.id),
        fn.SUM(Case(None, [(table.next_attempt_at <= now, 1)], 0)),
        fn.MIN(table.next_attempt_at))
        .where(table.status == PENDING).tuples().get())
    return {"pending": pending or 0, "due": int(due or 0),
            "oldestDueMs": max(0, now - oldest) if oldest is not None and oldest <= now else 0}


# ---- reading ---------------------------------------------------------------------------

def managed(reach: Reach, every_webhook: bool, model_ids: list[int] | None = None):
    """The webhooks someone manages: all of them (`every_webhook`, admins), or those of the
    models in `reach` (CAN_MANAGE); only those of `model_ids` when given."""
    condition = Webhook.id.is_null(False) if every_webhook else (
        Webhook.model.is_null(False) & within(reach, Webhook.model))
    return condition if model_ids is None else condition & any_of(Webhook.model, model_ids)


def count_webhooks_of(model_id: int | None) -> int:
    """A model's webhooks (None: the registry-wide ones)."""
    return Webhook.select().where(Webhook.model.is_null() if model_id is None else Webhook.model == model_id).count()


def webhooks_page(condition, request: PageRequest) -> Page:
    return _page(Webhook.select(), condition, WEBHOOK_COLUMNS, NEWEST_FIRST, request)


def count_webhooks(condition) -> int:
    return Webhook.select().where(condition).count()


def deliveries_pages(webhook_ids: list[int], status: str | None, request: PageRequest) -> dict[int, Page]:
    """Each webhook's deliveries, newest first."""
    condition = WebhookDelivery.status == status if status else SQL("1 = 1")
    return _pages_by_parent(WebhookDelivery.select(), WebhookDelivery.id, WebhookDelivery.webhook,
                            lambda d: d.webhook_id, webhook_ids, condition, DELIVERY_COLUMNS, NEWEST_FIRST, request)


def count_deliveries(webhook_ids: list[int], status: str | None) -> dict[int, int]:
    query = WebhookDelivery.select(WebhookDelivery.webhook, fn.COUNT(WebhookDelivery.id)).where(
        any_of(WebhookDelivery.webhook, webhook_ids))
    if status:
        query = query.where(WebhookDelivery.status == status)
    return dict(query.group_by(WebhookDelivery.webhook).tuples())
