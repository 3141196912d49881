"""Fields whose value is one entry of a request loader, declared by the key alone, so that
both executors can fetch them: the generic one loads one key per object (the DataLoader
batches them), a query plan (schema/plans.py) fetches a whole level's keys in one call of
the loader's batch function, with no future per key."""
import asyncio
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


async def load_level(loader, keys: list, max_batch: int) -> list:
    """What `loader` holds for each key, for a whole level of objects at once: each distinct
    key once, from the request's cache when an earlier or concurrent field loads it, else
    in batches of the loader's batch function. What is fetched goes into the loader's
    cache (a resolvers.loaders.LevelCache) as plain values, and a fetch under way is
    there too, so that concurrent branches of a plan (aliases of one field) wait for one
    fetch instead of making their own."""
    cache = loader.cache_map
    values, fetching, futures = cache.values, cache.fetching, cache.cache_map
    identities = keys if cache.keys_are_identities else [cache.cache_key_fn(key) for key in keys]
    missing = dict(zip(identities, keys))  # distinct, in order (and cheap: a level has thousands)
    waiting = {}
    if values or fetching or futures:
        for identity in list(missing):
            if identity in values:
                del missing[identity]
            elif (pending := fetching.get(identity) or futures.get(identity)) is not None:
                waiting[identity] = pending
                del missing[identity]
    if missing:
        fetched = asyncio.get_running_loop().create_future()
        fetching.update(dict.fromkeys(missing, fetched))
        try:
            pending_keys = list(missing.items())
            for start in range(0, len(pending_keys), max_batch):
                chunk = pending_keys[start:start + max_batch]
                values.update(zip([i for i, _ in chunk], await loader.load_fn([k for _, k in chunk])))
        except BaseException as error:
            _fail(fetched, error)
            raise
        else:
            fetched.set_result(None)
        finally:
            for identity in missing:
                fetching.pop(identity, None)
    for identity, pending in waiting.items():
        result = await pending
        if identity not in values:  # a DataLoader's own future holds the value itself
            values[identity] = result
    return [values[identity] for identity in identities]


def _fail(future, error: BaseException) -> None:
    if isinstance(error, asyncio.CancelledError):
        future.cancel()
    else:
        future.set_exception(error)
        future.exception()  # whoever waits sees it; nobody waiting is nothing to report
