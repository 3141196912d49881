"""Keyset (cursor) pagination with a total, stable order.

A cursor holds the row's values of every sort key, so the next page starts with a
WHERE over those keys that an index serves: page 1000 costs what page 1 costs, and a
row inserted or deleted meanwhile never shifts a page.
"""
import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from peewee import SQL, ColumnBase

from resolvers.errors import invalid
from resolvers.validation import DEFAULT_PAGE, page_size


@dataclass(frozen=True)
class SortKey:
    name: str  # e.g. "NAME"; part of the cursor so a cursor from another order is refused
    column: ColumnBase
    value: Callable[[Any], Any]  # the row's value of this key
    value_type: type  # str or int: what a cursor may carry for this key
    descending: bool = False

    def flipped(self) -> "SortKey":
        return SortKey(self.name, self.column, self.value, self.value_type, not self.descending)

    def accepts(self, value) -> bool:
        if self.value_type is int:
            return type(value) is int and -(2**63) <= value < 2**63
        return type(value) is self.value_type

    @property
    def ordering(self):
        return self.column.desc() if self.descending else self.column.asc()


@dataclass(frozen=True)
class PageRequest:
    """`first`/`after` or `last`/`before`, checked; `limit` rows are wanted."""

    limit: int
    cursor: list | None
    backwards: bool
    has_cursor: bool

    @property
    def key(self) -> tuple:
        return (self.limit, json.dumps(self.cursor), self.backwards)


def page_request(first: int | None, after: str | None, last: int | None, before: str | None,
                 keys: Sequence[SortKey]) -> PageRequest:
    page_size(first, "first")
    page_size(last, "last")
    if first is not None and last is not None:
        raise invalid("Give `first` or `last`, not both.", "last")
    if after is not None and before is not None:
        raise invalid("Give `after` or `before`, not both.", "before")
    if last is not None or before is not None:
        if after is not None or first is not None:
            raise invalid("`last`/`before` page backwards; do not mix them with `first`/`after`.", "last")
        cursor = decode_cursor(before, keys, "before") if before is not None else None
        return PageRequest(DEFAULT_PAGE if last is None else last, cursor, True, before is not None)
    cursor = decode_cursor(after, keys, "after") if after is not None else None
    return PageRequest(DEFAULT_PAGE if first is None else first, cursor, False, after is not None)


def _signature(keys: Sequence[SortKey]) -> str:
    return ",".join(f"{k.name}:{'D' if k.descending else 'A'}" for k in keys)


def encode_cursor(row, keys: Sequence[SortKey]) -> str:
    payload = [_signature(keys), [k.value(row) for k in keys]]
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, keys: Sequence[SortKey], field: str) -> list:
    try:
        signature, values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        raise invalid(f"`{field}` is not a cursor this API gave out.", field) from None
    if signature != _signature(keys) or not isinstance(values, list) or len(values) != len(keys):
        raise invalid(f"`{field}` is a cursor from another ordering; start again without it.", field)
    if not all(key.accepts(value) for key, value in zip(keys, values)):
        raise invalid(f"`{field}` is not a cursor this API gave out.", field)
    return values


def after_condition(keys: Sequence[SortKey], values: list):
    """Rows strictly after `values` in the order of `keys` (each key ASC or DESC)."""
    alternatives = None
    for i, key in enumerate(keys):
        clause = key.column < values[i] if key.descending else key.column > values[i]
        for earlier, value in zip(keys[:i], values[:i]):
            clause = (earlier.column == value) & clause
        alternatives = clause if alternatives is None else alternatives | clause
    if alternatives is None:
        return SQL("1 = 1")
    # Implied by the alternatives, but in a form an index range scan can start from, so
    # a page deep into the order costs what the first one does.
    first = keys[0]
    return (first.column <= values[0] if first.descending else first.column >= values[0]) & alternatives


def scan_keys(keys: Sequence[SortKey], request: PageRequest) -> list[SortKey]:
    """The order rows are read in: reversed when paging backwards."""
    return [k.flipped() for k in keys] if request.backwards else list(keys)


def cursor_condition(keys: Sequence[SortKey], request: PageRequest):
    if request.cursor is None:
        return SQL("1 = 1")
    return after_condition(scan_keys(keys, request), request.cursor)


@dataclass
class Page:
    rows: list
    has_next: bool
    has_previous: bool


def cut_page(rows: list, request: PageRequest) -> Page:
    """`rows` were read in scan order, one more than wanted when there is more."""
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    if request.backwards:
        rows.reverse()
        return Page(rows, has_next=request.has_cursor, has_previous=more)
    return Page(rows, has_next=more, has_previous=request.has_cursor)
