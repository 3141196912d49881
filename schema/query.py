"""Read access to the registry: lookups by name, by global ID, and searches with paging."""
import asyncio
from typing import Optional

import strawberry
from strawberry.types import Info

from resolvers import records, reviews
from resolvers.access import CAN_MANAGE
from resolvers.errors import invalid, not_found
from resolvers.global_ids import from_global_id, pk_of
from resolvers.history import activities_page, activity_search, count_activities
from resolvers.search import (
    Connection as PageOfRows,
)
from resolvers.search import (
    count_models,
    count_versions,
    model_search,
    models_page,
    version_search,
    versions_page,
)
from resolvers.validation import DEFAULT_PAGE, alias_target, nfc, page_size, version_number
from resolvers.webhooks import count_webhooks, webhook_search, webhooks_page
from schema.access_types import Viewer
from schema.connections import Connection
from schema.enums import ActivityType, Stage, TransitionRequestStatus
from schema.history_types import Activity, TransitionRequest
from schema.inputs import (
    ModelVersionFilter,
    ModelVersionOrder,
    RegisteredModelFilter,
    RegisteredModelOrder,
    order_pairs,
    plain,
)
from schema.node import Node
from schema.types import ModelVersion, RegisteredModel, _stages, resolve_alias
from schema.webhook_types import Webhook

SEARCH_HELP = (
    "`query` takes MLflow's filter-string syntax (e.g. \"name LIKE 'fraud%' AND tags.team = 'risk'\"); "
    "`filter` the typed form; when both are given they are ANDed."
)


async def load_node(info: Info, global_id: str):
    decoded = from_global_id(global_id)
    if decoded is None:
        return None
    type_name, pk = decoded
    loaders = info.context.loaders
    loader = {
        "RegisteredModel": loaders.model_by_id,
        "ModelVersion": loaders.version_by_id,
        "TransitionRequest": loaders.request_by_id,
        "Comment": loaders.comment_by_id,
        "Activity": loaders.activity_by_id,
        "User": loaders.user_by_id,
        "AccessToken": loaders.token_by_id,
        "Webhook": loaders.webhook_by_id,
        "WebhookDelivery": loaders.delivery_by_id,
    }.get(type_name)
    row = await loader.load(pk) if loader else None
    return row if row is not None and await _visible(info, type_name, row) else None


async def _visible(info: Info, type_name: str, row) -> bool:
    """Whether the viewer may see `row`: what belongs to an unreadable model is missing."""
    context = info.context
    viewer = context.viewer
    if type_name in ("User", "AccessToken"):
        return viewer.is_admin or viewer.user_id == (row.id if type_name == "User" else row.user_id)
    if type_name == "Activity":
        return await context.loaders.activity_visible_by_id.load(row.id)
    if type_name in ("Webhook", "WebhookDelivery"):
        webhook = row if type_name == "Webhook" else await context.loaders.webhook_by_id.load(row.webhook_id)
        return await _manages(info, webhook)
    if type_name == "Comment":
        version = await context.loaders.version_by_id.load(row.version_id)
        return version is not None and await context.can_read(version.model_id)
    return await context.can_read(row.id if type_name == "RegisteredModel" else row.model_id)


async def _manages(info: Info, webhook) -> bool:
    """Whether the viewer manages the webhook: admins all, CAN_MANAGE holders their model's."""
    viewer = info.context.viewer
    if viewer.is_admin:
        return True
    if webhook is None or webhook.model_id is None:
        return False
    return await info.context.loaders.level_by_model_id.load(webhook.model_id) >= CAN_MANAGE


async def _readable(info: Info, row):
    """`row` (a model or a version, or None) if the viewer may read its model, else None."""
    if row is None:
        return None
    model_id = row.id if isinstance(row, records.RegisteredModel) else row.model_id
    return row if await info.context.can_read(model_id) else None


async def _model(info: Info, name: str):
    """The model called `name`, if there is one the viewer may read."""
    return await _readable(info, await info.context.loaders.model_by_name.load(nfc(name)))


async def _connection(info: Info, search, fetch_page, count) -> PageOfRows:
    """A page now; the total only if the client asks for totalCount."""
    store, viewer = info.context.store, info.context.viewer
    page = await store.run(fetch_page, search, viewer)
    return PageOfRows(page, list(search.keys), lambda: store.run(count, search, viewer))


@strawberry.type
class Query:
    @strawberry.field
    def viewer(self) -> Viewer:
        return Viewer()

    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Optional[Node]:
        return await load_node(info, id)

    @strawberry.field(description="At most 100 ids (REGISTRY_MAX_NODE_IDS); one statement per type of node.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Optional[Node]]:
        # Loaded together, so each type's loader fetches all its ids at once.
        return list(await asyncio.gather(*(load_node(info, global_id) for global_id in ids)))

    @strawberry.field
    async def registered_model(self, info: Info, name: str) -> Optional[RegisteredModel]:
        return await _model(info, name)

    @strawberry.field(description=SEARCH_HELP)
    async def registered_models(
        self,
        info: Info,
        first: Optional[int] = None,
        after: Optional[str] = None,
        last: Optional[int] = None,
        before: Optional[str] = None,
        filter: Optional[RegisteredModelFilter] = None,
        query: Optional[str] = None,
        order_by: Optional[list[RegisteredModelOrder]] = None,
    ) -> Connection[RegisteredModel]:
        search = model_search(plain(filter), query, order_pairs(order_by), first, after, last, before)
        return await _connection(info, search, models_page, count_models)

    @strawberry.field
    async def model_version(self, info: Info, name: str, version: int) -> Optional[ModelVersion]:
        version_number(version, "version")
        return await _readable(info, await info.context.loaders.version_by_name_and_number.load((nfc(name), version)))

    @strawberry.field
    async def model_version_by_alias(self, info: Info, name: str, alias: str) -> Optional[ModelVersion]:
        if alias_target(alias)[0] == "alias":  # found from the name in one statement
            return await _readable(info, await info.context.loaders.version_by_name_and_alias.load((nfc(name), alias)))
        model = await _model(info, name)
        return model and await resolve_alias(info, model.id, alias)

    @strawberry.field(description=SEARCH_HELP)
    async def model_versions(
        self,
        info: Info,
        first: Optional[int] = None,
        after: Optional[str] = None,
        last: Optional[int] = None,
        before: Optional[str] = None,
        filter: Optional[ModelVersionFilter] = None,
        query: Optional[str] = None,
        order_by: Optional[list[ModelVersionOrder]] = None,
    ) -> Connection[ModelVersion]:
        search = version_search(plain(filter), query, order_pairs(order_by), first, after, last, before)
        return await _connection(info, search, versions_page, count_versions)

    @strawberry.field
    async def latest_versions(self, info: Info, name: str, stages: Optional[list[Stage]] = None) -> list[ModelVersion]:
        model = await _model(info, name)
        if model is None:
            raise not_found(f"Registered model {name!r} not found.", "name")
        return await info.context.loaders.latest_versions_by_model_id.load((model.id, _stages(stages)))

    @strawberry.field(description="Requests across every model the viewer can read, newest first. "
                                  "`after` is the id of the last request of the previous page.")
    async def transition_requests(self, info: Info,
                                  status: Optional[TransitionRequestStatus] = TransitionRequestStatus.PENDING,
                                  first: Optional[int] = None, after: Optional[str] = None) -> list[TransitionRequest]:
        limit = DEFAULT_PAGE if first is None else page_size(first, "first")
        before_id = None
        if after is not None:
            before_id = pk_of("TransitionRequest", after)
            if before_id is None:
                raise invalid("`after` is not the id of a transition request.", "after")
        context = info.context
        return await context.store.run(reviews.inbox, context.viewer, status and status.value, before_id, limit)

    @strawberry.field(description="Webhooks the viewer may manage: a model's for its CAN_MANAGE holders, all for "
                                  "admins.")
    async def webhooks(self, info: Info, first: Optional[int] = None, after: Optional[str] = None,
                       model_name: Optional[str] = None) -> Connection[Webhook]:
        search = webhook_search(first, after)
        store, viewer = info.context.store, info.context.viewer
        page = await store.run(webhooks_page, viewer, search, model_name)
        return PageOfRows(page, list(search.keys), lambda: store.run(count_webhooks, viewer, model_name))

    @strawberry.field(description="The whole registry's history, newest first.")
    async def activities(self, info: Info, first: Optional[int] = None, after: Optional[str] = None,
                         model_name: Optional[str] = None,
                         types: Optional[list[ActivityType]] = None) -> Connection[Activity]:
        search = activity_search([t.value for t in types or ()], first, after, model_name)
        return await _connection(info, search, activities_page, count_activities)
