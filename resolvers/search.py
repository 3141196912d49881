"""Searching and paging registered models and model versions.

The typed `filter` and the `query` filter string compile to one condition; `orderBy`
gets tie-breakers appended so the order is total (models by name, versions by name then
number), which is what keeps keyset cursors from skipping or repeating rows. The SQL of
each page and count is in store/pages.py.
"""
import json
from dataclasses import dataclass
from typing import Awaitable, Callable, Sequence

from resolvers.access import Viewer, readable
from resolvers.errors import invalid
from resolvers.filter_string import parse_model_filter, parse_version_filter
from resolvers.paging import SortKey, order_of, page_request
from store import pages
from store.filters import InvalidFilter, model_filter, version_filter
from store.pages import Page, PageRequest

# Each sort key: the row's value of it (for cursors) and its type.
MODEL_KEYS = {
    "NAME": (lambda m: m.name, str),
    "CREATED_AT": (lambda m: m.created_at, int),
    "UPDATED_AT": (lambda m: m.updated_at, int),
}
VERSION_KEYS = {
    "NAME": (lambda v: v.model.name, str),
    "VERSION": (lambda v: v.version, int),
    "CREATED_AT": (lambda v: v.created_at, int),
    "UPDATED_AT": (lambda v: v.updated_at, int),
}
MODEL_DEFAULT_ORDER = [("NAME", "ASC")]
VERSION_DEFAULT_ORDER = [("NAME", "ASC"), ("VERSION", "DESC")]


def sort_keys(order_by: Sequence[tuple[str, str]] | None, table: dict, default, tie_breakers) -> list[SortKey]:
    keys: list[SortKey] = []
    for field, direction in list(order_by or default) + [(t, "ASC") for t in tie_breakers]:
        if any(k.name == field for k in keys):
            continue
        value, value_type = table[field]
        keys.append(SortKey(field, value, value_type, direction == "DESC"))
    return keys


def model_keys(order_by) -> list[SortKey]:
    return sort_keys(order_by, MODEL_KEYS, MODEL_DEFAULT_ORDER, ["NAME"])


def version_keys(order_by) -> list[SortKey]:
    return sort_keys(order_by, VERSION_KEYS, VERSION_DEFAULT_ORDER, ["NAME", "VERSION"])


@dataclass
class Connection:
    """One page of rows, how to make their cursors, and how to count them all."""

    page: Page
    keys: list[SortKey]
    count: Callable[[], Awaitable[int]]


@dataclass(frozen=True)
class Search:
    """A checked search: the condition, the order and the page wanted."""

    filter_spec: dict
    keys: tuple[SortKey, ...]
    request: PageRequest

    @property
    def order(self) -> tuple[tuple[str, bool], ...]:
        return order_of(self.keys)

    @property
    def key(self) -> tuple:
        """Hashable identity, so loaders can batch the same search over many parents."""
        return (json.dumps(self.filter_spec, sort_keys=True, default=str), self.order, self.request.key)


def checked_spec(compiler, filter_spec: dict | None, query: str | None, parse) -> dict:
    """The typed filter and the parsed query string ANDed, each refused (at its own
    argument) if it cannot be compiled, before any page is fetched."""
    parsed = parse(query)
    for spec, field in ((filter_spec, ("filter",)), (parsed, ("query",))):
        try:
            compiler.compile(spec, field)
        except InvalidFilter as error:
            # Within the query string, the string itself is the argument at fault.
            raise invalid(error.message, *(error.field if field == ("filter",) else field)) from None
    parts = [p for p in (filter_spec or {}, parsed) if p]
    if len(parts) == 2:
        return {"and": parts}
    return parts[0] if parts else {}


def model_search(filter_spec, query, order_by, first, after, last, before) -> Search:
    keys = model_keys(order_by)
    spec = checked_spec(model_filter, filter_spec, query, parse_model_filter)
    return Search(spec, tuple(keys), page_request(first, after, last, before, keys))


def version_search(filter_spec, query, order_by, first, after, last, before) -> Search:
    keys = version_keys(order_by)
    spec = checked_spec(version_filter, filter_spec, query, parse_version_filter)
    return Search(spec, tuple(keys), page_request(first, after, last, before, keys))


def models_page(search: Search, viewer: Viewer) -> Page:
    return pages.models_page(search.filter_spec, search.order, search.request, readable(viewer))


def count_models(search: Search, viewer: Viewer) -> int:
    return pages.count_models(search.filter_spec, readable(viewer))


def versions_page(search: Search, viewer: Viewer) -> Page:
    return pages.versions_page(search.filter_spec, search.order, search.request, readable(viewer))


def count_versions(search: Search, viewer: Viewer) -> int:
    return pages.count_versions(search.filter_spec, readable(viewer))


def versions_pages(model_ids: list[int], search: Search) -> dict[int, Page]:
    return pages.versions_pages(model_ids, search.filter_spec, search.order, search.request)


def count_versions_by_model(model_ids: list[int], search: Search) -> dict[int, int]:
    return pages.count_versions_by_model(model_ids, search.filter_spec)
