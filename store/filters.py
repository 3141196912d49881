"""Compiling filters into SQL conditions.

A filter is a plain dict in the shape of the GraphQL filter inputs
(RegisteredModelFilter, ModelVersionFilter); the `query` filter-string parser emits the
same shape, so both travel one path to SQL. A filter SQL cannot or should not run is
refused with InvalidFilter, naming the part of the filter at fault.
"""
from datetime import datetime, timezone

from peewee import SQL, ColumnBase, Expression, NodeList, fn

from store.queries import tag_value_is
from store.statements import any_of
from store.tables import (
    ModelAlias,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)

# Patterns: `\\` escapes `%`, `_` and itself on every backend. PostgreSQL escapes with a
# backslash by default and SQLite with nothing, so the escape is always spelled out.
LIKE_ESCAPE = SQL("ESCAPE '\\'")
# SQLite refuses LIKE patterns over 50,000 bytes ("pattern too complex"); a character
# takes up to four.
MAX_PATTERN = 10_000
# A filter's comparisons, and how deeply `and`, `or` and `not` nest: beyond these a filter
# is an attack on the SQL parser or the stack, not a search.
MAX_TERMS = 100
MAX_NESTING = 10
MAX_LISTED = 1000  # values of one `in`/`notIn` list


class InvalidFilter(ValueError):
    """`message` about the filter's part at `field` (a path such as ("filter", "name", "like"))."""

    def __init__(self, message: str, field: tuple):
        super().__init__(message)
        self.message = message
        self.field = field


def _like(column, pattern: str) -> Expression:
    # Spelled out: peewee renders LIKE as GLOB on SQLite; the connection's
    # case_sensitive_like pragma makes LIKE case-sensitive there as on PostgreSQL.
    return NodeList((column, SQL("LIKE"), pattern, LIKE_ESCAPE))


def _ilike(column, pattern: str) -> Expression:
    return NodeList((fn.LOWER(column), SQL("LIKE"), fn.LOWER(pattern), LIKE_ESCAPE))


def check_pattern(pattern: str, field: tuple) -> None:
    if len(pattern) > MAX_PATTERN:
        raise InvalidFilter(f"A LIKE pattern has at most {MAX_PATTERN} characters; got {len(pattern)}.", field)
    if (len(pattern) - len(pattern.rstrip("\\"))) % 2:
        raise InvalidFilter("A LIKE pattern may not end with a lone escape character '\\' "
                            "(write '\\\\' for a backslash).", field)


def check_size(spec: dict | None, field: tuple) -> None:
    """Refuse a filter with more than MAX_TERMS comparisons, `and`/`or`/`not` nested more
    than MAX_NESTING deep, or a list of more than MAX_LISTED values; counted without
    recursion, so no filter can exhaust the stack here."""
    terms, pending = 0, [(spec or {}, 0)]
    while pending:
        part, depth = pending.pop()
        if depth > MAX_NESTING:
            raise InvalidFilter(f"A filter nests and/or/not at most {MAX_NESTING} deep.", field)
        for key, value in part.items():
            if value is None:
                continue
            if key in ("and", "or"):
                pending.extend((item, depth + 1) for item in value)
            elif key == "not":
                pending.append((value, depth + 1))
            else:
                terms += len(value) if key == "tags" else 1
                listed = [v for v in (value.values() if isinstance(value, dict) else [value]) if isinstance(v, list)]
                if any(len(v) > MAX_LISTED for v in listed):
                    raise InvalidFilter(f"A filter's list has at most {MAX_LISTED} values.", field)
        if terms > MAX_TERMS:
            raise InvalidFilter(f"A filter has at most {MAX_TERMS} comparisons.", field)


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
            conditions.append(any_of(column, value))
        elif op == "notIn":
            if value:
                conditions.append(~any_of(column, value))
        elif op == "like":
            check_pattern(value, (*field, op))
            conditions.append(_like(column, value))
        elif op == "ilike":
            check_pattern(value, (*field, op))
            conditions.append(_ilike(column, value))
        else:
            raise InvalidFilter(f"Unknown string operator {op!r}.", field)
    return conditions


INT_OPS = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "lte": "__le__", "gt": "__gt__", "gte": "__ge__"}


def int_condition(column: ColumnBase, spec: dict, field: tuple) -> list:
    conditions = []
    for op, value in spec.items():
        if value is None:
            continue
        if op == "in":
            conditions.append(any_of(column, value))
        elif op in INT_OPS:
            conditions.append(getattr(column, INT_OPS[op])(value))
        else:
            raise InvalidFilter(f"Unknown integer operator {op!r}.", field)
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
    # One flat list: peewee nests `a & b & c` one level a term, and SQLite's parser stack
    # overflows at about a hundred levels.
    if not conditions:
        return SQL("1 = 1")
    return conditions[0] if len(conditions) == 1 else NodeList(conditions, " AND ", parens=True)


def _any(conditions: list):
    if not conditions:
        return SQL("1 = 0")
    return conditions[0] if len(conditions) == 1 else NodeList(conditions, " OR ", parens=True)


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
        if len(field) == 1:
            check_size(spec, field)
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
        raise InvalidFilter(f"Unknown registered-model filter field {key!r}.", field)


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
        raise InvalidFilter(f"Unknown model-version filter field {key!r}.", field)


model_filter = _ModelFilter()
version_filter = _VersionFilter()
