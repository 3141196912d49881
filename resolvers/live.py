"""Following the activity log live: the `activities` subscription.

A stream reads the log itself, in id order, each time the process learns of newer
activities (store/activity_tail.py): the log is the truth, so a reconnecting client that
gives the last id it saw misses nothing and sees nothing twice. Every batch is read under
the viewer's grants as they are then, so a revoked grant stops that model's events.
"""
from typing import AsyncIterator

from resolvers.errors import RegistryError, invalid
from resolvers.global_ids import pk_of
from resolvers.history import activity_spec, scope
from store import pages
from store.tables import Activity

BATCH = 100  # activities read at a time; the next batch is read when the client took these
OPEN_STREAMS = [0]  # streams being served by this process now (for /metrics)


def _after_id(after: str) -> int:
    after_id = pk_of("Activity", after)
    if after_id is None:
        raise invalid("`after` is not an Activity id this API gave out.", "after")
    return after_id


async def follow(context, after: str | None, model_name: str | None, types: list[str] | None
                 ) -> AsyncIterator[Activity]:
    tail = context.tail
    if tail is None:
        raise RegistryError("UNAVAILABLE", "Live activities are served over the gateway's WebSocket only.")
    spec = activity_spec(types, model_name)
    # Without `after`, from now: the log's own newest id (the tail's may be a moment old).
    cursor = _after_id(after) if after is not None else await context.store.run(pages.newest_activity_id)
    OPEN_STREAMS[0] += 1
    try:
        while True:
            head = tail.newest
            if head <= cursor:
                await tail.wait_beyond(cursor)
                continue
            batch = await context.store.run(pages.activities_after, cursor, head, spec, scope(context.viewer), BATCH)
            for activity in batch:
                context.forget_loaded()  # each event's fields are read afresh, and no cache grows
                yield activity
            cursor = batch[-1].id if len(batch) == BATCH else head
    finally:
        OPEN_STREAMS[0] -= 1
