"""Webhooks: who manages which, making and changing them, their secrets, redelivery, and
the pages of webhooks and deliveries.

A model's CAN_MANAGE holders manage its webhooks; admins manage registry-wide ones (and
every model's). Anyone else is told a webhook does not exist. The secret is shown once,
when a webhook is made or its secret rotated; after a rotation the previous secret keeps
signing beside the new one for ROTATION_OVERLAP_MS, so receivers can switch without
dropping a message.
"""
import json
from dataclasses import dataclass

from resolvers import access, lookups, validation
from resolvers.access import Viewer
from resolvers.changes import Change
from resolvers.errors import RegistryError, invalid, not_found
from resolvers.models import UNCHANGED
from resolvers.paging import SortKey, page_request
from resolvers.search import Search
from resolvers.webhook_signing import SecretBox, new_secret
from resolvers.webhook_targets import AddressPolicy, checked_url
from store import outbox
from store.pages import Page
from store.tables import RegisteredModel, Webhook, WebhookDelivery

ROTATION_OVERLAP_MS = 24 * 3600 * 1000
MAX_WEBHOOKS_PER_MODEL = 100  # and as many registry-wide
STATUSES = ("ACTIVE", "DISABLED")
# Activities about accounts concern no model, and no webhook is told of them.
ACCOUNT_EVENTS = ("ACCESS_TOKEN_CREATED", "ACCESS_TOKEN_REVOKED")
NEWEST_FIRST = (SortKey("ID", lambda row: row.id, int, descending=True),)


@dataclass(frozen=True)
class WebhookRules:
    """What a process needs to make webhooks: where they may send, how secrets are sealed."""

    policy: AddressPolicy
    box: SecretBox


def _events(events, *field: str) -> str:
    chosen = sorted(set(events or ()))
    for event in chosen:
        if event in ACCOUNT_EVENTS:
            raise invalid(f"{event} is about accounts, not models; webhooks are told of model events only.", *field)
    return json.dumps(chosen)


def _may_manage(viewer: Viewer, webhook: Webhook) -> bool:
    if viewer.is_admin:
        return True
    return webhook.model_id is not None and access.level_on(viewer, webhook.model_id) >= access.CAN_MANAGE


def managed_webhook(viewer: Viewer, webhook_id: int | None, *field: str) -> Webhook:
    """The webhook, if the viewer manages it; NOT_FOUND otherwise, as for a missing one."""
    webhook = Webhook.get_or_none(Webhook.id == webhook_id) if webhook_id else None
    if webhook is None or not _may_manage(viewer, webhook):
        raise not_found("Webhook not found.", *field)
    return webhook


def create(change: Change, rules: WebhookRules, url: str, events, model_name: str | None,
           description: str | None, status: str) -> tuple[Webhook, str]:
    change.require_signed_in()
    model: RegisteredModel | None = None
    if model_name is None:
        if not change.viewer.is_admin:
            raise RegistryError("PERMISSION_DENIED", "Only admins make registry-wide webhooks; give modelName "
                                                     "for a model's.", ("input", "modelName"))
    else:
        model = lookups.model(model_name, ("input", "modelName"), lock=True, viewer=change.viewer)
        change.require(model, access.CAN_MANAGE, "Making a webhook", ("input", "modelName"))
    if outbox.count_webhooks_of(model and model.id) >= MAX_WEBHOOKS_PER_MODEL:
        raise RegistryError("FAILED_PRECONDITION", f"At most {MAX_WEBHOOKS_PER_MODEL} webhooks per model, and as "
                                                   "many registry-wide; delete one first.", ("input", "modelName"))
    secret = new_secret()
    webhook = Webhook.create(
        model=model and model.id, url=checked_url(url, rules.policy, "input", "url"),
        description=validation.text(description, "description", "input", "description"),
        events=_events(events, "input", "events"), status=status, secret=rules.box.seal(secret),
        created_at=change.at, created_by=change.actor, updated_at=change.at)
    return webhook, secret


def update(change: Change, rules: WebhookRules, webhook_id: int | None, url, events, description, status) -> Webhook:
    """Fields given as UNCHANGED are left as they are; null events are every type."""
    webhook = managed_webhook(change.viewer, webhook_id, "input", "id")
    for name, value in (("url", url), ("status", status)):
        if value is None:
            raise invalid(f"{name} may not be null.", "input", name)
    if url is not UNCHANGED:
        webhook.url = checked_url(url, rules.policy, "input", "url")
    if events is not UNCHANGED:
        webhook.events = _events(events, "input", "events")
    if description is not UNCHANGED:
        webhook.description = validation.text(description, "description", "input", "description")
    if status is not UNCHANGED:
        webhook.status = status
    webhook.updated_at = change.at
    webhook.save()
    return webhook


def delete(change: Change, webhook_id: int | None) -> int:
    webhook = managed_webhook(change.viewer, webhook_id, "input", "id")
    outbox.delete_webhook(webhook.id)
    return webhook.id


def rotate_secret(change: Change, rules: WebhookRules, webhook_id: int | None) -> tuple[Webhook, str]:
    webhook = managed_webhook(change.viewer, webhook_id, "input", "id")
    secret = new_secret()
    webhook.previous_secret, webhook.previous_secret_until = webhook.secret, change.at + ROTATION_OVERLAP_MS
    webhook.secret = rules.box.seal(secret)
    webhook.updated_at = change.at
    webhook.save()
    return webhook, secret


def redeliver(change: Change, delivery_id: int | None) -> WebhookDelivery:
    """Queue a delivery again, due now: it goes out before the webhook's later ones."""
    delivery = WebhookDelivery.get_or_none(WebhookDelivery.id == delivery_id) if delivery_id else None
    if delivery is None:
        raise not_found("Webhook delivery not found.", "input", "id")
    managed_webhook(change.viewer, delivery.webhook_id, "input", "id")
    outbox.requeue(delivery.id, change.at)
    return WebhookDelivery.get_by_id(delivery.id)


# ---- reading ---------------------------------------------------------------------------

def webhook_search(first: int | None, after: str | None) -> Search:
    return Search({}, NEWEST_FIRST, page_request(first, after, None, None, NEWEST_FIRST))


def _listing(viewer: Viewer, model_name: str | None):
    model_ids = None
    if model_name is not None:
        model = lookups.model_by_name(validation.nfc(model_name))
        model_ids = [model.id] if model else []
    return outbox.managed(access.reach(viewer, access.CAN_MANAGE), viewer.is_admin, model_ids)


def webhooks_page(viewer: Viewer, search: Search, model_name: str | None) -> Page:
    return outbox.webhooks_page(_listing(viewer, model_name), search.request)


def count_webhooks(viewer: Viewer, model_name: str | None) -> int:
    return outbox.count_webhooks(_listing(viewer, model_name))


def delivery_search(status: str | None, first: int | None, after: str | None) -> Search:
    return Search({"status": status} if status else {}, NEWEST_FIRST,
                  page_request(first, after, None, None, NEWEST_FIRST))


def deliveries_pages(webhook_ids: list[int], search: Search) -> dict[int, Page]:
    return outbox.deliveries_pages(webhook_ids, search.filter_spec.get("status"), search.request)


def count_deliveries(webhook_ids: list[int], search: Search) -> dict[int, int]:
    return outbox.count_deliveries(webhook_ids, search.filter_spec.get("status"))
