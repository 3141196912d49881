"""Idempotency keys: a retried mutation returns what the first call made.

A key is the principal's own (another user's same key is another key), is looked at only
after the mutation's own checks have passed (a replay is authorized like a first call),
and is forgotten 24 hours after its first use, as Stripe's are. The key is claimed
inside the mutation's transaction (INSERT ... ON CONFLICT DO NOTHING): a concurrent retry
with the same key waits on the unique index until the first commits, then finds its
result instead of making a second version.
"""
import hashlib
import json
from typing import Callable, TypeVar

from resolvers import access, validation
from resolvers.changes import Change
from resolvers.errors import RegistryError, not_found
from store.queries import versions_by_ids
from store.tables import IdempotencyKey, ModelVersion

LIFETIME_MS = 24 * 60 * 60 * 1000
FIELD = ("input", "idempotencyKey")
Checked = TypeVar("Checked")


def remembered(change: Change, operation: str, key: str | None, request: dict, check: Callable[[], Checked],
               make: Callable[[Checked], ModelVersion]) -> ModelVersion:
    """`make(check())`, or with `key`, what the first call with that key made.
    `check()` validates and authorizes the request (it may find or create what the
    version goes into); only then is the key consulted."""
    if key is not None:
        validation.short_text(key, "idempotency key", validation.MAX_IDEMPOTENCY_KEY, *FIELD)
    checked = check()
    if key is None:
        return make(checked)
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()
    mine = ((IdempotencyKey.principal == change.actor) & (IdempotencyKey.operation == operation)
            & (IdempotencyKey.key == key))
    IdempotencyKey.delete().where(mine & (IdempotencyKey.created_at < change.at - LIFETIME_MS)).execute()
    claimed = (IdempotencyKey
               .insert(principal=change.actor, operation=operation, key=key, request_hash=digest,
                       created_at=change.at)
               .on_conflict_ignore().as_rowcount().execute())
    if claimed:
        version = make(checked)
        IdempotencyKey.update(version=version.id).where(mine).execute()
        return version
    earlier = IdempotencyKey.get(mine)
    if earlier.request_hash != digest:
        raise RegistryError("CONFLICT", f"Idempotency key {key!r} was used with a different input.", FIELD)
    version = versions_by_ids([earlier.version_id]).get(earlier.version_id)
    if version is None:
        raise RegistryError("FAILED_PRECONDITION",
                            f"The version first made with idempotency key {key!r} has been deleted since.", FIELD)
    if access.level_on(change.viewer, version.model_id) < access.CAN_READ:
        raise not_found(f"The version first made with idempotency key {key!r} is no longer visible.", *FIELD)
    return version


def forget_expired(now_ms: int) -> int:
    """Delete the keys older than their lifetime; how many went."""
    return IdempotencyKey.delete().where(IdempotencyKey.created_at < now_ms - LIFETIME_MS).execute()
