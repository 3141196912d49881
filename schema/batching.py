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
    in batches of the loader's batch function. Keys being fetched are in the cache as
    futures from the start, as a DataLoader's are, so concurrent branches of a plan
    (aliases of one field) wait for one fetch instead of making their own."""
    cache_key = loader.cache_map.cache_key_fn
    distinct = {}
    for key in keys:
        distinct.setdefault(cache_key(key), key)
    pending, missing = {}, []
    loop = asyncio.get_running_loop()
    for identity, key in distinct.items():
        cached = loader.cache_map.get(key)
        if cached is None:
            cached = loop.create_future()
            loader.cache_map.set(key, cached)
            missing.append((key, cached))
        pending[identity] = cached
    for start in range(0, len(missing), max_batch):
        chunk = missing[start:start + max_batch]
        try:
            fetched = await loader.load_fn([key for key, _ in chunk])
        except BaseException as error:
            for _, future in missing[start:]:
                if isinstance(error, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(error)
                    future.exception()  # whoever waits sees it; nobody waiting is nothing to report
            raise
        for (_, future), value in zip(chunk, fetched):
            future.set_result(value)
    found = {identity: await future for identity, future in pending.items()}
    return [found[cache_key(key)] for key in keys]
