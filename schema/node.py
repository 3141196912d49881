"""Relay global object identification: the Node interface (IDs: resolvers/global_ids.py),
and the fields every node type backed by a store row shares."""
from datetime import datetime
from typing import Optional

import strawberry

from resolvers.global_ids import to_global_id
from schema.scalars import from_ms


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


class RowNode:
    """For node types whose objects are store rows of `row`: the global ID, and telling
    their rows apart when a Node is resolved. Subclasses set `row` and `id = global_id(...)`."""

    row: type

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, cls.row)


def global_id(type_name: str):
    def resolve(root) -> strawberry.ID:
        return strawberry.ID(to_global_id(type_name, root.id))

    return strawberry.field(resolver=resolve)


def timestamp(column: str, description: str | None = None):
    """A DateTime field from a millisecond column that is always set."""
    def resolve(root) -> datetime:
        return from_ms(getattr(root, column))

    return strawberry.field(resolver=resolve, description=description)


def optional_timestamp(column: str, description: str | None = None):
    def resolve(root) -> Optional[datetime]:
        return from_ms(getattr(root, column))

    return strawberry.field(resolver=resolve, description=description)
