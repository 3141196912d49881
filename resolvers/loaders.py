"""Per-request DataLoaders: every nested lookup of one request level is one SQL statement.

Each loader is named for what it maps; its batch function runs one batched query of
store/queries.py (or resolvers/search.py) through the database thread pool.
"""
import asyncio
from collections import defaultdict
from typing import Any, Callable

from strawberry.dataloader import DataLoader

from resolvers import access, history
from resolvers.access import Viewer
from resolvers.search import Search, count_versions_by_model, versions_pages
from store import queries
from store.database import Store

# Well under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters, even for pairs.
MAX_BATCH = 1000
STAGES = ("NONE", "STAGING", "PRODUCTION", "ARCHIVED")


class Loaders:
    def __init__(self, store: Store, viewer: Viewer):
        self.store = store
        self.level_by_model_id = self._keyed(lambda ids: access.levels_on(viewer, ids))
        self.permissions_by_model_id = self._listed(queries.permissions_by_model)
        self.model_by_id = self._keyed(queries.models_by_ids)
        self.model_by_name = self._keyed(queries.models_by_names)
        self.version_by_id = self._keyed(queries.versions_by_ids)
        self.version_by_number = self._keyed(queries.versions_by_numbers)
        self.version_by_alias = self._keyed(queries.versions_by_alias)
        self.highest_version_by_model_id = self._keyed(queries.highest_versions)
        self.tags_by_model_id = self._listed(queries.model_tags)
        self.tags_by_version_id = self._listed(queries.version_tags)
        self.aliases_by_model_id = self._listed(queries.aliases_by_model)
        self.aliases_by_version_id = self._listed(queries.aliases_by_version)
        self.latest_versions_by_model_id = self._grouped_by_argument(
            lambda ids, stages: queries.latest_versions(ids, stages), default=list)
        self.versions_by_model_id = self._grouped_by_argument(versions_pages, default=None)
        self.version_count_by_model_id = self._grouped_by_argument(count_versions_by_model, default=int)
        self.request_by_id = self._keyed(queries.requests_by_ids)
        self.comment_by_id = self._keyed(queries.comments_by_ids)
        self.activity_by_id = self._keyed(queries.activities_by_ids)
        self.user_by_id = self._keyed(queries.users_by_ids)
        self.token_by_id = self._keyed(queries.tokens_by_ids)
        self.groups_by_user_id = self._listed(queries.groups_by_user)
        self.requests_by_version_id = self._grouped_by_argument(queries.requests_by_version, default=list)
        self.requests_by_model_id = self._grouped_by_argument(queries.requests_by_model, default=list)
        self.comments_by_version_id = self._listed(queries.comments_by_version)
        self.activities_by_model_id = self._grouped_by_argument(
            lambda ids, search: history.activities_pages_by_model(ids, search, viewer), default=None)
        self.activities_by_version_id = self._grouped_by_argument(
            lambda ids, search: history.activities_pages_by_version(ids, search, viewer), default=None)
        self.activity_count_by_model_id = self._grouped_by_argument(
            lambda ids, search: history.count_activities_by_model(ids, search, viewer), default=int)
        self.activity_count_by_version_id = self._grouped_by_argument(
            lambda ids, search: history.count_activities_by_version(ids, search, viewer), default=int)

    def _loader(self, batch: Callable[[list], list]) -> DataLoader:
        async def load(keys: list) -> list:
            return await self.store.run(batch, keys)
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

        return SharedLoader(
            load_fn=lambda keys: self.store.run(batch, keys),
            max_batch_size=MAX_BATCH,
            cache_key_fn=lambda key: (key[0], batch_key(key[1])),
        )


class SharedLoader(DataLoader):
    """A loader whose results survive one waiter's cancellation. Branches asking for the
    same key share one future; when graphql-core cancels a failed field's siblings, it
    must not cancel the future a sibling branch still waits on."""

    def load(self, key):
        return asyncio.shield(super().load(key))


def batch_key(argument) -> Any:
    return argument.key if isinstance(argument, Search) else argument
