"""Review and history types: transition requests, comments and activities."""
import json
from datetime import datetime
from typing import Annotated, Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers.global_ids import to_global_id
from resolvers.history import activity_search
from resolvers.search import Connection as PageOfRows
from schema.enums import ActivityType, Stage, TransitionRequestStatus
from schema.node import Node
from schema.scalars import from_ms
from store import tables

ModelVersion = Annotated["ModelVersion", strawberry.lazy("schema.types")]


@strawberry.type
class TransitionRequest(Node):
    archive_existing_versions: bool
    comment: Optional[str]
    created_by: Optional[str]
    resolved_by: Optional[str]
    resolution_comment: Optional[str]

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, tables.TransitionRequest)

    @strawberry.field
    def id(self: tables.TransitionRequest) -> strawberry.ID:
        return to_global_id("TransitionRequest", self.id)

    @strawberry.field
    async def model_version(self: tables.TransitionRequest, info: Info) -> ModelVersion:
        return await info.context.loaders.version_by_id.load(self.version_id)

    @strawberry.field
    def from_stage(self: tables.TransitionRequest) -> Stage:
        return Stage(self.from_stage)

    @strawberry.field
    def to_stage(self: tables.TransitionRequest) -> Stage:
        return Stage(self.to_stage)

    @strawberry.field
    def status(self: tables.TransitionRequest) -> TransitionRequestStatus:
        return TransitionRequestStatus(self.status)

    @strawberry.field
    def created_at(self: tables.TransitionRequest) -> datetime:
        return from_ms(self.created_at)

    @strawberry.field
    def resolved_at(self: tables.TransitionRequest) -> Optional[datetime]:
        return from_ms(self.resolved_at)


@strawberry.type
class Comment(Node):
    body: str
    created_by: Optional[str]

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, tables.Comment)

    @strawberry.field
    def id(self: tables.Comment) -> strawberry.ID:
        return to_global_id("Comment", self.id)

    @strawberry.field
    async def model_version(self: tables.Comment, info: Info) -> ModelVersion:
        return await info.context.loaders.version_by_id.load(self.version_id)

    @strawberry.field
    def created_at(self: tables.Comment) -> datetime:
        return from_ms(self.created_at)

    @strawberry.field
    def updated_at(self: tables.Comment) -> datetime:
        return from_ms(self.updated_at)


def _stage(value: str | None) -> Optional[Stage]:
    return Stage(value) if value else None


@strawberry.type(description="One immutable entry of the registry's history: who did what, and when.")
class Activity(Node):
    actor: Optional[str]
    model_name: str = strawberry.field(description="The model's name when it happened.")
    version: Optional[int]
    alias: Optional[str]
    comment: Optional[str]

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, tables.Activity)

    @strawberry.field
    def id(self: tables.Activity) -> strawberry.ID:
        return to_global_id("Activity", self.id)

    @strawberry.field
    def type(self: tables.Activity) -> ActivityType:
        return ActivityType(self.type)

    @strawberry.field
    def occurred_at(self: tables.Activity) -> datetime:
        return from_ms(self.occurred_at)

    @strawberry.field
    def from_stage(self: tables.Activity) -> Optional[Stage]:
        return _stage(self.from_stage)

    @strawberry.field
    def to_stage(self: tables.Activity) -> Optional[Stage]:
        return _stage(self.to_stage)

    @strawberry.field
    async def transition_request(self: tables.Activity, info: Info) -> Optional[TransitionRequest]:
        if self.transition_request_id is None:
            return None
        return await info.context.loaders.request_by_id.load(self.transition_request_id)

    @strawberry.field(description="Everything a consumer of the event needs, with before and after values.")
    def payload(self: tables.Activity) -> JSON:
        return json.loads(self.payload)


async def activities_of(info: Info, parent_id: int, pages, counts, first, after, types) -> PageOfRows:
    """A parent's activities (per model or per version), batched over the parents of a level."""
    search = activity_search([t.value for t in types or ()], first, after)
    page = await pages.load((parent_id, search))
    return PageOfRows(page, list(search.keys), lambda: counts.load((parent_id, search)))
