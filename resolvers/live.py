"""Following the activity log live: the `activities` subscription.

A stream reads the log itself, in id order, each time the process learns of newer
activities (store/activity_tail.py): the log is the truth, so a reconnecting client that
gives the last id it saw misses nothing and sees nothing twice. Every batch is read under
the viewer's grants as they are then, so a revoked grant stops that model's events. A
stream filtered by model or type is woken only by activities that may pass its filter, so
streams following one model cost nothing while others change.
"""
import asyncio
import json
import time
from typing import AsyncIterator

from resolvers.errors import RegistryError, invalid
from resolvers.global_ids import pk_of
from resolvers.history import activity_spec, scope
from store import pages
from store.tables import Activity

BATCH = 100  # activities read at a time; the next batch is read when the client took these
TOKEN_RECHECK_SECONDS = 5.0  # how old a stream's check of its token may be when it reads a batch
OPEN_STREAMS = [0]  # streams being served by this process now (for /metrics)


def _after_id(after: str) -> int:
    after_id = pk_of("Activity", after)
    if after_id is None:
        raise invalid("`after` is not an Activity id this API gave out.", "after")
    return after_id


# Reads being made now, by what they read: streams woken by one new activity, at the same
# place in the log and with the same filter and reach, share one read. 500 subscribers
# cost one statement per distinct (filter, reach), not 500.
_READING: dict[tuple, asyncio.Future] = {}
READS = [0]  # reads made, for the tests
SHARED_READS = [0]  # reads a stream took from another's, for the tests


async def _read_once(store, key: tuple, read, *arguments):
    reading = _READING.get(key)
    if reading is None:
        READS[0] += 1
        reading = asyncio.ensure_future(store.run(read, *arguments))
        _READING[key] = reading
        reading.add_done_callback(lambda _: _READING.pop(key, None))
    else:
        SHARED_READS[0] += 1
    # Shielded: one stream ending must not cancel the read the others wait on.
    return await asyncio.shield(reading)


async def _batch(store, after_id: int, through_id: int, spec: dict, spec_key: str, reach) -> list[Activity]:
    return await _read_once(store, ("batch", after_id, through_id, spec_key, reach),
                            pages.activities_after, after_id, through_id, spec, reach, BATCH)


async def _still_signed_in(context) -> None:
    """Ends the stream (UNAUTHENTICATED) once the token it was opened with is revoked or
    expired; takes up a changed viewer (groups, admin) as it is now."""
    if context.authorization is None or context.reauthenticate is None:
        return
    if time.monotonic() - context.authenticated_at < TOKEN_RECHECK_SECONDS:
        return
    viewer = await context.reauthenticate(context.authorization)
    if viewer is None:
        raise RegistryError("UNAUTHENTICATED", "This connection's token was revoked or has expired; connect again "
                                               "with a valid one.")
    context.authenticated_at = time.monotonic()
    if viewer != context.viewer:
        context.sign_in(viewer)


async def follow(context, after: str | None, model_name: str | None, types: list[str] | None
                 ) -> AsyncIterator[Activity]:
    tail = context.tail
    if tail is None:
        raise RegistryError("UNAVAILABLE", "Live activities are served over the gateway's WebSocket only.")
    spec = activity_spec(types, model_name)
    spec_key = json.dumps(spec, sort_keys=True)
    # Without `after`, from now: the log's own newest id (the tail's may be a moment old).
    cursor = _after_id(after) if after is not None else await context.store.run(pages.newest_activity_id)
    OPEN_STREAMS[0] += 1
    viewer, reach = None, None
    types = frozenset(types) if types else None
    naming, models = None, None  # what the followed name stood for, as of tail.naming_changes
    try:
        while True:
            if model_name is not None and naming != tail.naming_changes:
                naming = tail.naming_changes
                models = await _read_once(context.store, ("called", model_name, naming),
                                          pages.model_ids_called, model_name)
                continue  # the name may have changed again meanwhile
            head = tail.newest
            if head <= cursor:
                # Only activities it may want wake it; up to `cursor`, none were.
                cursor = await tail.wait_beyond(cursor, models, types)
                continue
            await _still_signed_in(context)
            if reach is None or viewer is not context.viewer:  # the viewer's reach, made again when it changes
                viewer, reach = context.viewer, scope(context.viewer)
            batch = await _batch(context.store, cursor, head, spec, spec_key, reach)
            for activity in batch:
                context.forget_loaded()  # each event's fields are read afresh, and no cache grows
                yield activity
            cursor = batch[-1].id if len(batch) == BATCH else head
    finally:
        OPEN_STREAMS[0] -= 1
