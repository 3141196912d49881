"""Idempotency keys: a retried mutation returns what the first call made.

The key is claimed first (INSERT ... ON CONFLICT DO NOTHING), inside the mutation's
transaction: a concurrent retry with the same key waits on the unique index until the
first commits, then finds its result instead of making a second version.
"""
import hashlib
import json
from typing import Callable

from resolvers import validation
from resolvers.changes import Change
from resolvers.errors import RegistryError
from store.queries import versions_by_ids
from store.tables import IdempotencyKey, ModelVersion


def remembered(change: Change, operation: str, key: str | None, request: dict, make: Callable[[], ModelVersion],
               field: tuple = ("input", "idempotencyKey")) -> ModelVersion:
    if key is None:
        return make()
    validation.short_text(key, "idempotency key", validation.MAX_IDEMPOTENCY_KEY, *field)
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()
    claimed = (IdempotencyKey
               .insert(operation=operation, key=key, request_hash=digest, created_at=change.at)
               .on_conflict_ignore().as_rowcount().execute())
    if not claimed:
        earlier = IdempotencyKey.get((IdempotencyKey.operation == operation) & (IdempotencyKey.key == key))
        if earlier.request_hash != digest:
            raise RegistryError("CONFLICT", f"Idempotency key {key!r} was used with a different input.", field)
        version = versions_by_ids([earlier.version_id]).get(earlier.version_id)
        if version is None:
            raise RegistryError(
                "FAILED_PRECONDITION",
                f"The version first made with idempotency key {key!r} has been deleted since.", field)
        return version
    version = make()
    (IdempotencyKey.update(version=version.id)
     .where((IdempotencyKey.operation == operation) & (IdempotencyKey.key == key)).execute())
    return version
