"""Review and history types: transition requests, comments and activities."""
import json
from datetime import datetime
from typing import Annotated, Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import access, records
from resolvers.history import activity_search
from resolvers.search import Connection as PageOfRows
from schema.enums import ActivityType, ModelVersionAction, Stage, TransitionRequestStatus
from schema.node import Node, RowNode, global_id, optional_timestamp, timestamp

ModelVersion = Annotated["ModelVersion", strawberry.lazy("schema.types")]


@strawberry.type
class TransitionRequest(RowNode, Node):
    archive_existing_versions: bool
    comment: Optional[str]
    created_by: Optional[str]
    resolved_by: Optional[str]
    resolution_comment: Optional[str]

    row = records.TransitionRequest
    id: strawberry.ID = global_id("TransitionRequest")

    @strawberry.field
    async def model_version(self: records.TransitionRequest, info: Info) -> ModelVersion:
        return await info.context.loaders.version_by_id.load(self.version_id)

    @strawberry.field
    def from_stage(self: records.TransitionRequest) -> Stage:
        return Stage(self.from_stage)

    @strawberry.field
    def to_stage(self: records.TransitionRequest) -> Stage:
        return Stage(self.to_stage)

    @strawberry.field
    def status(self: records.TransitionRequest) -> TransitionRequestStatus:
        return TransitionRequestStatus(self.status)

    @strawberry.field(description="What the viewer may do to this request now: APPROVE_ and "
                                  "REJECT_TRANSITION_REQUEST for who may make the move, CANCEL_TRANSITION_REQUEST "
                                  "for its requester and admins; nothing once it is resolved.")
    async def available_actions(self: records.TransitionRequest, info: Info) -> list[ModelVersionAction]:
        loaders = info.context.loaders
        version = await loaders.version_by_id.load(self.version_id)
        level = await loaders.level_by_model_id.load(version.model_id)
        return [ModelVersionAction(a) for a in access.request_actions(info.context.viewer, level, version.stage, self)]

    created_at: datetime = timestamp("created_at")

    resolved_at: Optional[datetime] = optional_timestamp("resolved_at")


@strawberry.type
class Comment(RowNode, Node):
    body: str
    created_by: Optional[str]

    row = records.Comment
    id: strawberry.ID = global_id("Comment")

    @strawberry.field
    async def model_version(self: records.Comment, info: Info) -> ModelVersion:
        return await info.context.loaders.version_by_id.load(self.version_id)

    created_at: datetime = timestamp("created_at")

    updated_at: datetime = timestamp("updated_at")


def _stage(value: str | None) -> Optional[Stage]:
    return Stage(value) if value else None


@strawberry.type(description="One immutable entry of the registry's history: who did what, and when.")
class Activity(RowNode, Node):
    actor: Optional[str]
    model_name: str = strawberry.field(description="The model's name when it happened.")
    version: Optional[int]
    alias: Optional[str]
    comment: Optional[str]

    row = records.Activity
    id: strawberry.ID = global_id("Activity")

    @strawberry.field
    def type(self: records.Activity) -> ActivityType:
        return ActivityType(self.type)

    occurred_at: datetime = timestamp("occurred_at")

    @strawberry.field
    def from_stage(self: records.Activity) -> Optional[Stage]:
        return _stage(self.from_stage)

    @strawberry.field
    def to_stage(self: records.Activity) -> Optional[Stage]:
        return _stage(self.to_stage)

    @strawberry.field
    async def transition_request(self: records.Activity, info: Info) -> Optional[TransitionRequest]:
        if self.transition_request_id is None:
            return None
        return await info.context.loaders.request_by_id.load(self.transition_request_id)

    @strawberry.field(description="Everything a consumer of the event needs, with before and after values.")
    def payload(self: records.Activity) -> JSON:
        return json.loads(self.payload)


async def activities_of(info: Info, parent_id: int, pages, counts, first, after, types) -> PageOfRows:
    """A parent's activities (per model or per version), batched over the parents of a level."""
    search = activity_search([t.value for t in types or ()], first, after)
    page = await pages.load((parent_id, search))
    return PageOfRows(page, list(search.keys), lambda: counts.load((parent_id, search)))
