"""Subscriptions: the activity log, live (over graphql-transport-ws at /graphql)."""
from typing import AsyncGenerator, Optional

import strawberry
from strawberry.types import Info

from resolvers import live
from schema.enums import ActivityType
from schema.history_types import Activity


@strawberry.type
class Subscription:
    @strawberry.subscription(description=(
        "Activities as they are committed, in id order, only those on models the viewer can read. With "
        "`after` (an Activity id), first replays what was committed after it, then goes live with no gap and "
        "no duplicate: a client that reconnects with the last id it saw misses nothing."))
    async def activities(self, info: Info, after: Optional[strawberry.ID] = None,
                         model_name: Optional[str] = None,
                         types: Optional[list[ActivityType]] = None) -> AsyncGenerator[Activity, None]:
        async for activity in live.follow(info.context, after, model_name, [t.value for t in types or ()]):
            yield activity
