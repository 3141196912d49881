"""Input types, and their conversion to the plain dicts the resolvers take."""
from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry

from schema.enums import (
    ModelVersionOrderField,
    ModelVersionStatus,
    OrderDirection,
    RegisteredModelOrderField,
    Stage,
)


@strawberry.input
class TagInput:
    key: str
    value: str


@strawberry.input
class StringFilter:
    eq: Optional[str] = None
    ne: Optional[str] = None
    in_: Optional[list[str]] = strawberry.field(default=None, name="in")
    not_in: Optional[list[str]] = None
    like: Optional[str] = strawberry.field(default=None, description="SQL LIKE pattern, case-sensitive (% and _ wildcards).")
    ilike: Optional[str] = strawberry.field(default=None, description="LIKE, case-insensitive.")


@strawberry.input
class IntFilter:
    eq: Optional[int] = None
    ne: Optional[int] = None
    in_: Optional[list[int]] = strawberry.field(default=None, name="in")
    lt: Optional[int] = None
    lte: Optional[int] = None
    gt: Optional[int] = None
    gte: Optional[int] = None


@strawberry.input
class DateTimeFilter:
    lt: Optional[datetime] = None
    lte: Optional[datetime] = None
    gt: Optional[datetime] = None
    gte: Optional[datetime] = None


@strawberry.input
class TagFilter:
    key: str
    value: Optional[StringFilter] = strawberry.field(default=None, description="Omitted: the tag merely has to exist.")


@strawberry.input
class RegisteredModelFilter:
    name: Optional[StringFilter] = None
    tags: Optional[list[TagFilter]] = None
    alias: Optional[str] = strawberry.field(default=None, description="Has this alias set (on any version).")
    created_at: Optional[DateTimeFilter] = None
    updated_at: Optional[DateTimeFilter] = None
    and_: Optional[list["RegisteredModelFilter"]] = strawberry.field(default=None, name="and")
    or_: Optional[list["RegisteredModelFilter"]] = strawberry.field(default=None, name="or")
    not_: Optional["RegisteredModelFilter"] = strawberry.field(default=None, name="not")


@strawberry.input
class ModelVersionFilter:
    name: Optional[StringFilter] = None
    version: Optional[IntFilter] = None
    run_id: Optional[StringFilter] = None
    source: Optional[StringFilter] = None
    stage: Optional[list[Stage]] = None
    status: Optional[list[ModelVersionStatus]] = None
    tags: Optional[list[TagFilter]] = None
    alias: Optional[str] = None
    created_at: Optional[DateTimeFilter] = None
    updated_at: Optional[DateTimeFilter] = None
    and_: Optional[list["ModelVersionFilter"]] = strawberry.field(default=None, name="and")
    or_: Optional[list["ModelVersionFilter"]] = strawberry.field(default=None, name="or")
    not_: Optional["ModelVersionFilter"] = strawberry.field(default=None, name="not")


@strawberry.input
class RegisteredModelOrder:
    field: RegisteredModelOrderField
    direction: Optional[OrderDirection] = OrderDirection.ASC


@strawberry.input
class ModelVersionOrder:
    field: ModelVersionOrderField
    direction: Optional[OrderDirection] = OrderDirection.ASC


def plain(value):
    """An input object as the dict the resolvers take: GraphQL field names, enums as
    their names, unset and null fields left out."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(item) for item in value]
    definition = getattr(value, "__strawberry_definition__", None)
    if definition is None:
        return value
    result = {}
    for field in definition.fields:
        item = getattr(value, field.python_name)
        if item is None or item is strawberry.UNSET:
            continue
        result[field.graphql_name or _camel(field.python_name)] = plain(item)
    return result


def _camel(python_name: str) -> str:
    head, *rest = python_name.rstrip("_").split("_")
    return head + "".join(part.title() for part in rest)


def order_pairs(order_by) -> list[tuple[str, str]] | None:
    if not order_by:
        return None
    return [(o.field.value, (o.direction or OrderDirection.ASC).value) for o in order_by]
