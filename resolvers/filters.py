"""Compiling filters into SQL conditions.

A filter is a plain dict in the shape of the GraphQL filter inputs
(RegisteredModelFilter, ModelVersionFilter); the `query` filter-string parser emits the
same shape, so both travel one path to SQL.
"""
from datetime import datetime, timezone

from peewee import SQL, ColumnBase, Expression, NodeList, fn

from resolvers.errors import invalid
from store.queries import tag_value_is
from store.tables import (
    ModelAlias,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)


def _like(column, pattern: str) -> Expression:
    # Spelled out: peewee renders LIKE as GLOB on SQLite; the connection's
    # case_sensitive_like pragma makes LIKE case-sensitive there as on PostgreSQL.
    return NodeList((column, SQL("LIKE"), pattern))


def _ilike(column, pattern: str) -> Expression:
    return NodeList((fn.LOWER(column), SQL("LIKE"), fn.LOWER(pattern)))


def string_condition(column: ColumnBase, spec: dict, field: tuple) -> list:
    conditions = []
    for op, value in spec.items():
        if value is None:
            continue
        if op == "eq":
            conditions.append(column == value)
        elif op == "ne":
            conditions.append(column != value)
        elif op == "in":
            conditions.append(column.in_(list(value)) if value else SQL("1 = 0"))
        elif op == "notIn":
            if value:
                conditions.append(column.not_in(list(value)))
        elif op == "like":
            conditions.append(_like(column, value))
        elif op == "ilike":
            conditions.append(_ilike(column, value))
        else:
            raise invalid(f"Unknown string operator {op!r}.", *field)
    return conditions


INT_OPS = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "lte": "__le__", "gt": "__gt__", "gte": "__ge__"}


def int_condition(column: ColumnBase, spec: dict, field: tuple) -> list:
    conditions = []
    for op, value in spec.items():
        if value is None:
            continue
        if op == "in":
            conditions.append(column.in_(list(value)) if value else SQL("1 = 0"))
        elif op in INT_OPS:
            conditions.append(getattr(column, INT_OPS[op])(value))
        else:
            raise invalid(f"Unknown integer operator {op!r}.", *field)
    return conditions


def to_ms(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)


def time_condition(column: ColumnBase, spec: dict) -> list:
    return [
        getattr(column, INT_OPS[op])(to_ms(value))
        for op, value in spec.items()
        if value is not None
    ]


def _all(conditions: list):
    if not conditions:
        return SQL("1 = 1")
    result = conditions[0]
    for condition in conditions[1:]:
        result = result & condition
    return result


def _any(conditions: list):
    if not conditions:
        return SQL("1 = 0")
    result = conditions[0]
    for condition in conditions[1:]:
        result = result | condition
    return result


class _Entity:
    """What a filter's keys mean for one kind of row."""

    tag_table = None
    tag_owner = None
    owner_id = None

    def tag_exists(self, tag: dict, field: tuple):
        table = self.tag_table
        conditions = [getattr(table, self.tag_owner) == self.owner_id, table.key == tag["key"]]
        value = dict(tag.get("value") or {})
        # Equality goes through the tag table's (key, value) index.
        if value.get("eq") is not None:
            conditions.append(tag_value_is(table, [value.pop("eq")]))
        if value.get("in"):
            conditions.append(tag_value_is(table, list(value.pop("in"))))
        conditions += string_condition(table.value, value, (*field, "value"))
        return fn.EXISTS(table.select(SQL("1")).where(_all(conditions)))

    def compile(self, spec: dict | None, field: tuple = ("filter",)):
        if not spec:
            return SQL("1 = 1")
        conditions = []
        for key, value in spec.items():
            if value is None:
                continue
            at = (*field, key)
            if key == "and":
                conditions.append(_all([self.compile(part, (*at, str(i))) for i, part in enumerate(value)]))
            elif key == "or":
                conditions.append(_any([self.compile(part, (*at, str(i))) for i, part in enumerate(value)]))
            elif key == "not":
                conditions.append(~self.compile(value, at))
            elif key == "tags":
                conditions += [self.tag_exists(tag, (*at, str(i))) for i, tag in enumerate(value)]
            else:
                conditions += self.condition(key, value, at)
        return _all(conditions)

    def condition(self, key: str, value, field: tuple) -> list:
        raise NotImplementedError


class _ModelFilter(_Entity):
    tag_table = RegisteredModelTag
    tag_owner = "model"
    owner_id = RegisteredModel.id

    def condition(self, key, value, field):
        if key == "name":
            return string_condition(RegisteredModel.name, value, field)
        if key == "alias":
            return [fn.EXISTS(ModelAlias.select(SQL("1")).where(
                (ModelAlias.model == RegisteredModel.id) & (ModelAlias.alias == value)))]
        if key == "createdAt":
            return time_condition(RegisteredModel.created_at, value)
        if key == "updatedAt":
            return time_condition(RegisteredModel.updated_at, value)
        raise invalid(f"Unknown registered-model filter field {key!r}.", *field)


class _VersionFilter(_Entity):
    tag_table = ModelVersionTag
    tag_owner = "version"
    owner_id = ModelVersion.id

    def condition(self, key, value, field):
        if key == "name":
            return string_condition(RegisteredModel.name, value, field)
        if key == "version":
            return int_condition(ModelVersion.version, value, field)
        if key == "runId":
            return string_condition(ModelVersion.run_id, value, field)
        if key == "source":
            return string_condition(ModelVersion.source, value, field)
        if key == "stage":
            return [ModelVersion.stage.in_(list(value)) if value else SQL("1 = 0")]
        if key == "status":
            return [ModelVersion.status.in_(list(value)) if value else SQL("1 = 0")]
        if key == "alias":
            return [fn.EXISTS(ModelAlias.select(SQL("1")).where(
                (ModelAlias.version == ModelVersion.id) & (ModelAlias.alias == value)))]
        if key == "createdAt":
            return time_condition(ModelVersion.created_at, value)
        if key == "updatedAt":
            return time_condition(ModelVersion.updated_at, value)
        raise invalid(f"Unknown model-version filter field {key!r}.", *field)


model_filter = _ModelFilter()
version_filter = _VersionFilter()
