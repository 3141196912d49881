"""Per-request DataLoaders: every nested lookup of one request level is one SQL statement.

Each loader is named for what it maps; its batch function runs one batched query of
store/queries.py or store/pages.py through the database thread pool.
"""
import asyncio
from collections import defaultdict
from functools import cached_property
from typing import Any, Callable

from strawberry.dataloader import DataLoader, DefaultCache

from resolvers import access, history, webhooks
from resolvers.access import Viewer
from resolvers.search import Search, count_versions_by_model, versions_pages
from store import queries
from store.database import Store

# Well under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters, even for pairs.
MAX_BATCH = 1000
STAGES = ("NONE", "STAGING", "PRODUCTION", "ARCHIVED")


class Loaders:
    """The request's loaders, each made on first use: a request needs a few of them.

    Their batch functions hold the store and the viewer, never this object: a loader that
    referred back to it would make a cycle, and everything a request loaded would wait for
    the garbage collector instead of going when the request does (2 MB a models page; the
    collector's passes then cost every request more, the more connections are open).
    """

    def __init__(self, store: Store, viewer: Viewer):
        self.store = store
        self.viewer = viewer

    @cached_property
    def level_by_model_id(self) -> DataLoader:
        viewer = self.viewer
        return self._keyed(lambda ids: access.levels_on(viewer, ids))

    @cached_property
    def activity_visible_by_id(self) -> DataLoader:
        viewer = self.viewer
        return self._keyed(lambda ids: history.visible_ids(ids, viewer))

    @cached_property
    def permissions_by_model_id(self) -> DataLoader:
        return self._listed(queries.permissions_by_model)

    @cached_property
    def model_by_id(self) -> DataLoader:
        return self._keyed(queries.models_by_ids)

    @cached_property
    def model_by_name(self) -> DataLoader:
        return self._keyed(queries.models_by_names)

    @cached_property
    def version_by_id(self) -> DataLoader:
        return self._keyed(queries.versions_by_ids)

    @cached_property
    def version_by_number(self) -> DataLoader:
        return self._keyed(queries.versions_by_numbers)

    @cached_property
    def version_by_alias(self) -> DataLoader:
        return self._keyed(queries.versions_by_alias)

    @cached_property
    def version_by_name_and_number(self) -> DataLoader:
        return self._keyed(queries.versions_by_name_and_number)

    @cached_property
    def version_by_name_and_alias(self) -> DataLoader:
        return self._keyed(queries.versions_by_name_and_alias)

    @cached_property
    def highest_version_by_model_id(self) -> DataLoader:
        return self._keyed(queries.highest_versions)

    @cached_property
    def tags_by_model_id(self) -> DataLoader:
        return self._listed(queries.model_tags)

    @cached_property
    def tags_by_version_id(self) -> DataLoader:
        return self._listed(queries.version_tags)

    @cached_property
    def aliases_by_model_id(self) -> DataLoader:
        return self._listed(queries.aliases_by_model)

    @cached_property
    def aliases_by_version_id(self) -> DataLoader:
        return self._listed(queries.aliases_by_version)

    @cached_property
    def latest_versions_by_model_id(self) -> DataLoader:
        return self._grouped_by_argument(queries.latest_versions, default=list)

    @cached_property
    def versions_by_model_id(self) -> DataLoader:
        return self._grouped_by_argument(versions_pages, default=None)

    @cached_property
    def version_count_by_model_id(self) -> DataLoader:
        return self._grouped_by_argument(count_versions_by_model, default=int)

    @cached_property
    def request_by_id(self) -> DataLoader:
        return self._keyed(queries.requests_by_ids)

    @cached_property
    def comment_by_id(self) -> DataLoader:
        return self._keyed(queries.comments_by_ids)

    @cached_property
    def activity_by_id(self) -> DataLoader:
        return self._keyed(queries.activities_by_ids)

    @cached_property
    def user_by_id(self) -> DataLoader:
        return self._keyed(queries.users_by_ids)

    @cached_property
    def token_by_id(self) -> DataLoader:
        return self._keyed(queries.tokens_by_ids)

    @cached_property
    def groups_by_user_id(self) -> DataLoader:
        return self._listed(queries.groups_by_user)

    @cached_property
    def requests_by_version_id(self) -> DataLoader:
        return self._grouped_by_argument(queries.requests_by_version, default=list)

    @cached_property
    def requests_by_model_id(self) -> DataLoader:
        return self._grouped_by_argument(queries.requests_by_model, default=list)

    @cached_property
    def comments_by_version_id(self) -> DataLoader:
        return self._listed(queries.comments_by_version)

    @cached_property
    def activities_by_model_id(self) -> DataLoader:
        viewer = self.viewer
        return self._grouped_by_argument(
            lambda ids, search: history.activities_pages_by_model(ids, search, viewer), default=None)

    @cached_property
    def activities_by_version_id(self) -> DataLoader:
        viewer = self.viewer
        return self._grouped_by_argument(
            lambda ids, search: history.activities_pages_by_version(ids, search, viewer), default=None)

    @cached_property
    def activity_count_by_model_id(self) -> DataLoader:
        viewer = self.viewer
        return self._grouped_by_argument(
            lambda ids, search: history.count_activities_by_model(ids, search, viewer), default=int)

    @cached_property
    def activity_count_by_version_id(self) -> DataLoader:
        viewer = self.viewer
        return self._grouped_by_argument(
            lambda ids, search: history.count_activities_by_version(ids, search, viewer), default=int)

    @cached_property
    def followed_by_model_id(self) -> DataLoader:
        user_id = self.viewer.user_id
        return self._keyed(lambda ids: queries.followed(ids, user_id))

    @cached_property
    def webhook_by_id(self) -> DataLoader:
        return self._keyed(queries.webhooks_by_ids)

    @cached_property
    def delivery_by_id(self) -> DataLoader:
        return self._keyed(queries.deliveries_by_ids)

    @cached_property
    def webhooks_by_model_id(self) -> DataLoader:
        return self._listed(queries.webhooks_by_models)

    @cached_property
    def deliveries_by_webhook_id(self) -> DataLoader:
        return self._grouped_by_argument(webhooks.deliveries_pages, default=None)

    @cached_property
    def delivery_count_by_webhook_id(self) -> DataLoader:
        return self._grouped_by_argument(webhooks.count_deliveries, default=int)

    def _loader(self, batch: Callable[[list], list]) -> DataLoader:
        store = self.store

        async def load(keys: list) -> list:
            return await store.run(batch, keys)
        return SharedLoader(load_fn=load, max_batch_size=MAX_BATCH)

    def _keyed(self, query: Callable[[list], dict]) -> DataLoader:
        """key -> row or None."""
        def batch(keys: list) -> list:
            found = query(keys)
            return [found.get(k) for k in keys]
        return self._loader(batch)

    def _listed(self, query: Callable[[list], dict]) -> DataLoader:
        """key -> list of rows (empty when none)."""
        def batch(keys: list) -> list:
            found = query(keys)
            return [found.get(k, []) for k in keys]
        return self._loader(batch)

    def _grouped_by_argument(self, query: Callable[[list, Any], dict], default) -> DataLoader:
        """(parent id, argument) -> result, one statement per distinct argument in the batch.

        The argument (a tuple of stages, a Search) must be hashable through `batch_key`.
        """
        def batch(keys: list) -> list:
            parents_by_argument: dict[Any, list] = defaultdict(list)
            arguments = {}
            for parent_id, argument in keys:
                identity = batch_key(argument)
                arguments[identity] = argument
                parents_by_argument[identity].append(parent_id)
            results = {
                identity: query(sorted(set(parents)), arguments[identity])
                for identity, parents in parents_by_argument.items()
            }
            return [results[batch_key(argument)].get(parent_id, default() if default else None)
                    for parent_id, argument in keys]

        store = self.store
        return SharedLoader(
            load_fn=lambda keys: store.run(batch, keys),
            max_batch_size=MAX_BATCH,
            cache_key_fn=lambda key: (key[0], batch_key(key[1])),
        )


class LevelCache(DefaultCache):
    """A loader's cache that also holds what a query plan fetched a whole level at a time
    (load_level below): plain values, made into a future only when the loader
    itself is asked for one (a future per key cost a plan a tenth of its time), and the
    fetches under way, so that concurrent branches of a plan wait for one fetch."""

    def __init__(self, cache_key_fn: Callable | None = None):
        super().__init__(cache_key_fn)
        self.keys_are_identities = cache_key_fn is None
        self.values: dict = {}  # identity -> value
        self.fetching: dict = {}  # identity -> future of the fetch that will bring it

    def get(self, key):
        identity = self.cache_key_fn(key)
        found = self.cache_map.get(identity)
        if found is None and identity in self.values:
            found = asyncio.get_running_loop().create_future()
            found.set_result(self.values[identity])
            self.cache_map[identity] = found
        return found

    def delete(self, key) -> None:
        self.values.pop(self.cache_key_fn(key), None)
        self.cache_map.pop(self.cache_key_fn(key), None)

    def clear(self) -> None:
        self.values.clear()
        self.cache_map.clear()


class SharedLoader(DataLoader):
    """A loader whose results survive one waiter's cancellation. Branches asking for the
    same key share one future; when graphql-core cancels a failed field's siblings, it
    must not cancel the future a sibling branch still waits on."""

    def __init__(self, load_fn, max_batch_size: int, cache_key_fn: Callable | None = None):
        super().__init__(load_fn=load_fn, max_batch_size=max_batch_size, cache_map=LevelCache(cache_key_fn))

    def load(self, key):
        return asyncio.shield(super().load(key))


def batch_key(argument) -> Any:
    return argument.key if isinstance(argument, Search) else argument


async def load_level(loader: DataLoader, keys: list, max_batch: int = MAX_BATCH) -> list:
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
