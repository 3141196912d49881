"""Fields whose value is one entry of a request loader, declared by the key alone, so that
both executors can fetch them: the generic one loads one key per object (the DataLoader
batches them), a query plan (schema/plans.py) fetches a whole level's keys in one call of
the loader's batch function, with no future per key."""
import functools
from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass(frozen=True)
class Batch:
    key_of: Callable[..., Any]  # the decorated function: (row, info, **arguments) -> key
    loader: str  # the name of a resolvers.loaders.Loaders attribute
    then: Optional[Callable[[Any, Any, Any], Any]]  # (value, key, info) -> the field's value


def loaded(loader: str, then: Callable[[Any, Any, Any], Any] | None = None):
    """The decorated resolver returns the key into `loader`; the field's value is what the
    loader holds there, shaped by `then(value, key, info)` when given. The resolver takes
    its Info as `info`."""
    def decorate(key_of):
        @functools.wraps(key_of)
        async def resolve(*args, **kwargs):
            info = kwargs["info"]
            key = key_of(*args, **kwargs)
            value = await getattr(info.context.loaders, loader).load(key)
            return then(value, key, info) if then else value

        resolve.batch = Batch(key_of, loader, then)
        return resolve

    return decorate
