"""Keyset cursors: what a page request is, checked, and the cursors handed out.

A cursor holds the row's values of every sort key, and the name and direction of each
key, so a cursor from another ordering is refused rather than misread. The pages' SQL is
in store/pages.py.
"""
import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from resolvers.errors import invalid
from resolvers.validation import DEFAULT_PAGE, page_size
from store.pages import PageRequest


@dataclass(frozen=True)
class SortKey:
    name: str  # e.g. "NAME"; part of the cursor so a cursor from another order is refused
    value: Callable[[Any], Any]  # the row's value of this key
    value_type: type  # str or int: what a cursor may carry for this key
    descending: bool = False

    def accepts(self, value) -> bool:
        if self.value_type is int:
            return type(value) is int and -(2**63) <= value < 2**63
        return type(value) is self.value_type


def order_of(keys: Sequence[SortKey]) -> tuple[tuple[str, bool], ...]:
    """The keys as store/pages.py takes them."""
    return tuple((k.name, k.descending) for k in keys)


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
