"""Who may do what: users, tokens, grants, and the viewer."""
from datetime import datetime
from typing import Optional

import strawberry
from strawberry.types import Info

from resolvers.access import LEVELS
from resolvers.global_ids import to_global_id
from schema.enums import PermissionLevel
from schema.node import Node
from schema.scalars import from_ms
from store import tables


def permission_level(level: int) -> PermissionLevel:
    return PermissionLevel(LEVELS[level])


@strawberry.type
class ModelPermission:
    principal: str = strawberry.field(description="A user name or a group name.")

    @strawberry.field
    def level(self: tables.ModelPermission) -> PermissionLevel:
        return permission_level(self.level)


@strawberry.type
class User(Node):
    name: str
    is_admin: bool

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, tables.User)

    @strawberry.field
    def id(self: tables.User) -> strawberry.ID:
        return to_global_id("User", self.id)

    @strawberry.field
    async def groups(self: tables.User, info: Info) -> list[str]:
        return await info.context.loaders.groups_by_user_id.load(self.id)


@strawberry.type
class AccessToken(Node):
    description: Optional[str]

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, tables.AccessToken)

    @strawberry.field
    def id(self: tables.AccessToken) -> strawberry.ID:
        return to_global_id("AccessToken", self.id)

    @strawberry.field
    def created_at(self: tables.AccessToken) -> datetime:
        return from_ms(self.created_at)

    @strawberry.field
    def expires_at(self: tables.AccessToken) -> Optional[datetime]:
        return from_ms(self.expires_at)

    @strawberry.field
    def last_used_at(self: tables.AccessToken) -> Optional[datetime]:
        return from_ms(self.last_used_at)

    @strawberry.field(description="When it was revoked; a revoked token no longer signs anyone in.")
    def revoked_at(self: tables.AccessToken) -> Optional[datetime]:
        return from_ms(self.revoked_at)


@strawberry.type
class Viewer:
    """The caller, as the request's token (or the local mode) says."""

    @strawberry.field
    async def user(self, info: Info) -> Optional[User]:
        viewer = info.context.viewer
        return await info.context.loaders.user_by_id.load(viewer.user_id) if viewer.user_id else None

    @strawberry.field
    def is_authenticated(self, info: Info) -> bool:
        return info.context.viewer.name is not None
