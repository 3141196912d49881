"""The webhook mutations, their inputs and payloads."""
from typing import Optional

import strawberry
from strawberry.types import Info

from resolvers import deliveries, webhooks
from resolvers.errors import RegistryError
from resolvers.global_ids import pk_of, to_global_id
from resolvers.models import UNCHANGED
from schema.enums import ActivityType
from schema.payloads import Payload, UserError, perform
from schema.webhook_types import Webhook, WebhookDelivery, WebhookStatus


@strawberry.input
class CreateWebhookInput:
    url: str
    events: Optional[list[ActivityType]] = None
    model_name: Optional[str] = strawberry.field(default=None,
                                                 description="Omit for a registry-wide webhook (admins only).")
    description: Optional[str] = None
    status: Optional[WebhookStatus] = WebhookStatus.ACTIVE


@strawberry.input
class UpdateWebhookInput:
    id: strawberry.ID
    url: Optional[str] = strawberry.UNSET
    events: Optional[list[ActivityType]] = strawberry.UNSET
    description: Optional[str] = strawberry.UNSET
    status: Optional[WebhookStatus] = strawberry.UNSET


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID


@strawberry.input
class RotateWebhookSecretInput:
    id: strawberry.ID


@strawberry.input
class TestWebhookInput:
    id: strawberry.ID
    event: Optional[ActivityType] = strawberry.field(
        default=None, description="Which event to simulate; the webhook's first event when omitted.")


@strawberry.input
class RedeliverWebhookDeliveryInput:
    id: strawberry.ID


@strawberry.type
class CreateWebhookPayload(Payload):
    webhook: Optional[Webhook] = None
    secret: Optional[str] = strawberry.field(default=None, description="The signing secret, shown here once and "
                                                                       "never again.")


@strawberry.type
class UpdateWebhookPayload(Payload):
    webhook: Optional[Webhook] = None


@strawberry.type
class DeleteWebhookPayload(Payload):
    deleted_webhook_id: Optional[strawberry.ID] = None


@strawberry.type
class RotateWebhookSecretPayload(Payload):
    webhook: Optional[Webhook] = None
    secret: Optional[str] = strawberry.field(
        default=None, description="The new secret, shown once. The old one keeps signing beside it for a day.")


@strawberry.type
class TestWebhookPayload(Payload):
    success: Optional[bool] = strawberry.field(default=None, description="Whether the receiver answered 2xx.")
    response_status: Optional[int] = None
    response_body: Optional[str] = strawberry.field(default=None,
                                                    description="The first 1,000 characters of the receiver's answer.")
    error: Optional[str] = None


@strawberry.type
class RedeliverWebhookDeliveryPayload(Payload):
    delivery: Optional[WebhookDelivery] = None


def _given(value, convert=lambda v: v):
    """An omitted input field: UNCHANGED; null stays null."""
    if value is strawberry.UNSET:
        return UNCHANGED
    return None if value is None else convert(value)


def _names(events) -> list[str] | None:
    return None if events is None else [e.value for e in events]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> CreateWebhookPayload:
        status = (input.status or WebhookStatus.ACTIVE).value
        result, errors = await perform(info, webhooks.create, info.context.outbound.rules, input.url,
                                       _names(input.events), input.model_name, input.description, status)
        webhook, secret = result or (None, None)
        return CreateWebhookPayload(webhook=webhook, secret=secret, user_errors=errors)

    @strawberry.mutation
    async def update_webhook(self, info: Info, input: UpdateWebhookInput) -> UpdateWebhookPayload:
        webhook, errors = await perform(info, webhooks.update, info.context.outbound.rules, pk_of("Webhook", input.id),
                                        _given(input.url), _given(input.events, _names), _given(input.description),
                                        _given(input.status, lambda status: status.value))
        return UpdateWebhookPayload(webhook=webhook, user_errors=errors)

    @strawberry.mutation
    async def delete_webhook(self, info: Info, input: DeleteWebhookInput) -> DeleteWebhookPayload:
        deleted, errors = await perform(info, webhooks.delete, pk_of("Webhook", input.id))
        return DeleteWebhookPayload(deleted_webhook_id=deleted and to_global_id("Webhook", deleted),
                                    user_errors=errors)

    @strawberry.mutation
    async def rotate_webhook_secret(self, info: Info, input: RotateWebhookSecretInput) -> RotateWebhookSecretPayload:
        result, errors = await perform(info, webhooks.rotate_secret, info.context.outbound.rules,
                                       pk_of("Webhook", input.id))
        webhook, secret = result or (None, None)
        return RotateWebhookSecretPayload(webhook=webhook, secret=secret, user_errors=errors)

    @strawberry.mutation(description="Sends a made-up event to the webhook now, signed with its secret, and says "
                                     "what the receiver answered. Nothing is recorded.")
    async def test_webhook(self, info: Info, input: TestWebhookInput) -> TestWebhookPayload:
        context = info.context
        try:
            answer = await deliveries.test(context.store, context.outbound, context.viewer,
                                           pk_of("Webhook", input.id), input.event and input.event.value)
        except RegistryError as error:
            return TestWebhookPayload(user_errors=[UserError.of(error)])
        return TestWebhookPayload(success=answer.succeeded, response_status=answer.status,
                                  response_body=answer.body if answer.status is not None else None,
                                  error=answer.error)

    @strawberry.mutation
    async def redeliver_webhook_delivery(self, info: Info,
                                         input: RedeliverWebhookDeliveryInput) -> RedeliverWebhookDeliveryPayload:
        delivery, errors = await perform(info, webhooks.redeliver, pk_of("WebhookDelivery", input.id))
        return RedeliverWebhookDeliveryPayload(delivery=delivery, user_errors=errors)
