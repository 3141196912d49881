"""Webhooks and their deliveries, as managers see them (a webhook's secret never is)."""
import json
from datetime import datetime
from enum import Enum
from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from resolvers import records
from resolvers.search import Connection as PageOfRows
from resolvers.webhooks import delivery_search
from schema.connections import Connection
from schema.enums import ActivityType
from schema.history_types import Activity
from schema.node import Node, RowNode, global_id, optional_timestamp, timestamp


@strawberry.enum
class WebhookStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Deliveries are made.")
    DISABLED = strawberry.enum_value("DISABLED", description="No deliveries are made; events are not queued for it.")


@strawberry.enum
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Queued or waiting for its next attempt.")
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Every attempt failed; it will not be tried again unless redelivered.")


@strawberry.type(description="An HTTP endpoint that receives the registry's events, signed with its secret.")
class Webhook(RowNode, Node):
    url: str
    description: Optional[str]
    created_by: Optional[str]

    row = records.Webhook
    id: strawberry.ID = global_id("Webhook")

    @strawberry.field(description="The activity types it receives; empty means every type.")
    def events(self: records.Webhook) -> list[ActivityType]:
        return [ActivityType(name) for name in json.loads(self.events)]

    @strawberry.field(description="Only this model's events; null for a registry-wide webhook (admins only).")
    async def model_name(self: records.Webhook, info: Info) -> Optional[str]:
        if self.model_id is None:
            return None
        model = await info.context.loaders.model_by_id.load(self.model_id)
        return model and model.name

    @strawberry.field
    def status(self: records.Webhook) -> WebhookStatus:
        return WebhookStatus(self.status)

    created_at: datetime = timestamp("created_at")

    updated_at: datetime = timestamp("updated_at")

    @strawberry.field(description="Newest first.")
    async def deliveries(self: records.Webhook, info: Info, first: Optional[int] = None, after: Optional[str] = None,
                         status: Optional[WebhookDeliveryStatus] = None
                         ) -> Connection[Annotated["WebhookDelivery", strawberry.lazy("schema.webhook_types")]]:
        loaders = info.context.loaders
        search = delivery_search(status and status.value, first, after)
        page = await loaders.deliveries_by_webhook_id.load((self.id, search))
        return PageOfRows(page, list(search.keys), lambda: loaders.delivery_count_by_webhook_id.load((self.id, search)))


@strawberry.type(description="One event sent to one webhook, with every attempt.")
class WebhookDelivery(RowNode, Node):
    attempts: int
    response_status: Optional[int] = strawberry.field(
        description="HTTP status of the last attempt; null if it got no answer.")
    last_error: Optional[str] = strawberry.field(
        description="Why the last attempt failed: a timeout, a refused connection, a non-2xx answer.")

    row = records.WebhookDelivery
    id: strawberry.ID = global_id("WebhookDelivery")

    @strawberry.field
    async def webhook(self: records.WebhookDelivery, info: Info) -> Webhook:
        return await info.context.loaders.webhook_by_id.load(self.webhook_id)

    @strawberry.field
    async def activity(self: records.WebhookDelivery, info: Info) -> Activity:
        return await info.context.loaders.activity_by_id.load(self.activity_id)

    @strawberry.field
    def status(self: records.WebhookDelivery) -> WebhookDeliveryStatus:
        return WebhookDeliveryStatus(self.status)

    next_attempt_at: Optional[datetime] = optional_timestamp("next_attempt_at")

    created_at: datetime = timestamp("created_at")

    delivered_at: Optional[datetime] = optional_timestamp("delivered_at")
