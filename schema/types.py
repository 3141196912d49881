"""The registry's object types. Resolvers hand over store rows; plain attributes stay
plain synchronous fields, nested lists go through the request's DataLoaders."""
from datetime import datetime
from typing import Optional

import strawberry
from strawberry.types import Info

from resolvers import access, records
from resolvers.errors import RegistryError
from resolvers.search import Connection as PageOfRows
from resolvers.search import version_search
from resolvers.validation import STAGES, alias_target, version_number
from schema.access_types import ModelPermission, permission_level
from schema.batching import loaded
from schema.connections import Connection
from schema.enums import (
    ActivityType,
    ModelVersionAction,
    ModelVersionStatus,
    PermissionLevel,
    Stage,
    TransitionRequestStatus,
)
from schema.history_types import Activity, Comment, TransitionRequest, activities_of
from schema.inputs import ModelVersionFilter, ModelVersionOrder, order_pairs, plain
from schema.node import Node, RowNode, global_id, timestamp
from schema.webhook_types import Webhook


@strawberry.type
class Tag:
    key: str
    value: str


def _tag_value(tags, key: str) -> str | None:
    return next((t.value for t in tags if t.key == key), None)


def _stages(stages: Optional[list[Stage]]) -> tuple[str, ...]:
    return tuple(sorted({s.value for s in stages})) if stages else STAGES


def _page_of_versions(page, key, info: Info) -> PageOfRows:
    """A model's page of versions, counting them all only if the client asks."""
    _model_id, search = key
    return PageOfRows(page, list(search.keys), lambda: info.context.loaders.version_count_by_model_id.load(key))


@strawberry.type
class ModelAlias:
    alias: str

    @strawberry.field
    def version_number(self: records.ModelAlias) -> int:
        return self.version.version

    @strawberry.field
    def model_version(self: records.ModelAlias) -> "ModelVersion":
        return self.version


@strawberry.type
class RegisteredModel(RowNode, Node):
    name: str
    description: Optional[str]
    created_by: Optional[str]

    row = records.RegisteredModel
    id: strawberry.ID = global_id("RegisteredModel")

    created_at: datetime = timestamp("created_at")

    updated_at: datetime = timestamp("updated_at")

    @strawberry.field
    @loaded("tags_by_model_id")
    def tags(self: records.RegisteredModel, info: Info) -> list[Tag]:
        return self.id

    @strawberry.field
    async def tag(self: records.RegisteredModel, info: Info, key: str) -> Optional[str]:
        return _tag_value(await info.context.loaders.tags_by_model_id.load(self.id), key)

    @strawberry.field
    @loaded("aliases_by_model_id")
    def aliases(self: records.RegisteredModel, info: Info) -> list[ModelAlias]:
        return self.id

    @strawberry.field(description="Latest version in each of the given stages; all four stages when omitted.")
    @loaded("latest_versions_by_model_id")
    def latest_versions(self: records.RegisteredModel, info: Info,
                        stages: Optional[list[Stage]] = None) -> list["ModelVersion"]:
        return self.id, _stages(stages)

    @strawberry.field
    @loaded("version_by_number")
    def version(self: records.RegisteredModel, info: Info, version: int) -> Optional["ModelVersion"]:
        version_number(version, "version")
        return self.id, version

    @strawberry.field(description="Resolves an alias; the reserved alias `latest` is the highest live version, "
                                  "and `vN` is version N.")
    async def version_by_alias(self: records.RegisteredModel, info: Info, alias: str) -> Optional["ModelVersion"]:
        return await resolve_alias(info, self.id, alias)

    @strawberry.field
    @loaded("versions_by_model_id", then=_page_of_versions)
    def versions(
        self: records.RegisteredModel,
        info: Info,
        first: Optional[int] = None,
        after: Optional[str] = None,
        last: Optional[int] = None,
        before: Optional[str] = None,
        filter: Optional[ModelVersionFilter] = None,
        order_by: Optional[list[ModelVersionOrder]] = None,
    ) -> "Connection[ModelVersion]":
        return self.id, version_search(plain(filter), None, order_pairs(order_by), first, after, last, before)

    @strawberry.field
    @loaded("requests_by_model_id")
    def transition_requests(self: records.RegisteredModel, info: Info,
                            status: Optional[TransitionRequestStatus] = None) -> list[TransitionRequest]:
        return self.id, status and status.value

    @strawberry.field(description="The viewer's permission on this model.")
    @loaded("level_by_model_id", then=lambda level, _key, _info: permission_level(level))
    def permission_level(self: records.RegisteredModel, info: Info) -> PermissionLevel:
        return self.id

    @strawberry.field(description="Who holds which level; readable by CAN_MANAGE holders and admins.")
    async def permissions(self: records.RegisteredModel, info: Info) -> list[ModelPermission]:
        loaders = info.context.loaders
        if await loaders.level_by_model_id.load(self.id) < access.CAN_MANAGE:
            raise RegistryError("PERMISSION_DENIED", f"Only CAN_MANAGE holders see who may use {self.name!r}.",
                                ("permissions",))
        return await loaders.permissions_by_model_id.load(self.id)

    @strawberry.field(description="Whether the viewer follows it (gets e-mail about it).")
    async def followed_by_viewer(self: records.RegisteredModel, info: Info) -> bool:
        if info.context.viewer.user_id is None:
            return False
        return await info.context.loaders.followed_by_model_id.load(self.id)

    @strawberry.field(description="Its webhooks; for CAN_MANAGE holders and admins.")
    async def webhooks(self: records.RegisteredModel, info: Info) -> list[Webhook]:
        loaders = info.context.loaders
        if await loaders.level_by_model_id.load(self.id) < access.CAN_MANAGE:
            raise RegistryError("PERMISSION_DENIED", f"Only CAN_MANAGE holders see the webhooks of {self.name!r}.",
                                ("webhooks",))
        return await loaders.webhooks_by_model_id.load(self.id)

    @strawberry.field
    async def activities(self: records.RegisteredModel, info: Info, first: Optional[int] = None,
                         after: Optional[str] = None,
                         types: Optional[list[ActivityType]] = None) -> Connection[Activity]:
        loaders = info.context.loaders
        return await activities_of(info, self.id, loaders.activities_by_model_id,
                                   loaders.activity_count_by_model_id, first, after, types)


async def resolve_alias(info: Info, model_id: int, alias: str):
    loaders = info.context.loaders
    kind, target = alias_target(alias)
    if kind == "latest":
        return await loaders.highest_version_by_model_id.load(model_id)
    if kind == "version":
        return await loaders.version_by_number.load((model_id, target))
    return await loaders.version_by_alias.load((model_id, target))


@strawberry.type
class ModelVersion(RowNode, Node):
    version: int
    source: str
    download_uri: str = strawberry.field(
        description="Where the artifacts are fetched from; for a copy, the original's location.")
    run_id: Optional[str]
    run_link: Optional[str]
    description: Optional[str]
    status_message: Optional[str]
    created_by: Optional[str]

    row = records.ModelVersion
    id: strawberry.ID = global_id("ModelVersion")

    @strawberry.field
    def registered_model(self: records.ModelVersion) -> RegisteredModel:
        return self.model

    @strawberry.field(description="The registered model's name.")
    def name(self: records.ModelVersion) -> str:
        return self.model.name

    @strawberry.field
    def status(self: records.ModelVersion) -> ModelVersionStatus:
        return ModelVersionStatus(self.status)

    @strawberry.field
    def stage(self: records.ModelVersion) -> Stage:
        return Stage(self.stage)

    created_at: datetime = timestamp("created_at")

    updated_at: datetime = timestamp("updated_at")

    @strawberry.field
    @loaded("tags_by_version_id")
    def tags(self: records.ModelVersion, info: Info) -> list[Tag]:
        return self.id

    @strawberry.field
    async def tag(self: records.ModelVersion, info: Info, key: str) -> Optional[str]:
        return _tag_value(await info.context.loaders.tags_by_version_id.load(self.id), key)

    @strawberry.field
    @loaded("aliases_by_version_id")
    def aliases(self: records.ModelVersion, info: Info) -> list[str]:
        return self.id

    @strawberry.field(description="The version this one was copied from, when copyModelVersion made it.")
    async def copied_from(self: records.ModelVersion, info: Info) -> Optional["ModelVersion"]:
        if self.copied_from_id is None:
            return None
        original = await info.context.loaders.version_by_id.load(self.copied_from_id)
        return original if original and await info.context.can_read(original.model_id) else None

    @strawberry.field(description="What the viewer may do to this version now.")
    async def available_actions(self: records.ModelVersion, info: Info) -> list[ModelVersionAction]:
        loaders = info.context.loaders
        level = await loaders.level_by_model_id.load(self.model_id)
        pending = await loaders.requests_by_version_id.load((self.id, "PENDING"))
        return [ModelVersionAction(a) for a in access.available_actions(info.context.viewer, level, self.stage,
                                                                          pending)]

    @strawberry.field
    @loaded("requests_by_version_id")
    def transition_requests(self: records.ModelVersion, info: Info,
                            status: Optional[TransitionRequestStatus] = None) -> list[TransitionRequest]:
        return self.id, status and status.value

    @strawberry.field
    @loaded("comments_by_version_id")
    def comments(self: records.ModelVersion, info: Info) -> list[Comment]:
        return self.id

    @strawberry.field
    async def activities(self: records.ModelVersion, info: Info, first: Optional[int] = None,
                         after: Optional[str] = None,
                         types: Optional[list[ActivityType]] = None) -> Connection[Activity]:
        loaders = info.context.loaders
        return await activities_of(info, self.id, loaders.activities_by_version_id,
                                   loaders.activity_count_by_version_id, first, after, types)


RegisteredModelConnection = Connection[RegisteredModel]
ModelVersionConnection = Connection[ModelVersion]
