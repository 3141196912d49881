"""Who may do what: users, tokens, grants, and the viewer."""
from datetime import datetime
from typing import Optional

import strawberry
from strawberry.types import Info

from resolvers import records
from resolvers.access import LEVELS
from schema.enums import PermissionLevel
from schema.node import Node, RowNode, global_id, optional_timestamp, timestamp


def permission_level(level: int) -> PermissionLevel:
    return PermissionLevel(LEVELS[level])


@strawberry.type
class ModelPermission:
    principal: str = strawberry.field(description="A user name or a group name.")

    @strawberry.field
    def level(self: records.ModelPermission) -> PermissionLevel:
        return permission_level(self.level)


@strawberry.type
class User(RowNode, Node):
    name: str
    is_admin: bool
    email: Optional[str] = strawberry.field(description="Where e-mail about followed models goes; seen by the user "
                                                        "and admins.")

    row = records.User
    id: strawberry.ID = global_id("User")

    @strawberry.field
    async def groups(self: records.User, info: Info) -> list[str]:
        return await info.context.loaders.groups_by_user_id.load(self.id)


@strawberry.type
class AccessToken(RowNode, Node):
    description: Optional[str]

    row = records.AccessToken
    id: strawberry.ID = global_id("AccessToken")

    created_at: datetime = timestamp("created_at")

    expires_at: Optional[datetime] = optional_timestamp("expires_at")

    last_used_at: Optional[datetime] = optional_timestamp("last_used_at")

    revoked_at: Optional[datetime] = optional_timestamp(
        "revoked_at", "When it was revoked; a revoked token no longer signs anyone in.")


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
