"""Timestamps are stored as UTC epoch milliseconds and shown as ISO-8601 DateTime, always
with three decimals and the UTC offset, so clients can parse them with one format."""
from datetime import datetime, timezone

import strawberry
from graphql import GraphQLError


def from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def _serialize(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _parse(value: str) -> datetime:
    # A GraphQLError (not a ValueError) so that graphql-core reports a bad literal as it
    # reports a bad variable: a validation error, not an unexpected one.
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise GraphQLError(f"A DateTime is an ISO-8601 string such as 2026-01-31T12:00:00.000Z; got {value!r}.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


DATETIME = strawberry.scalar(
    name="DateTime",
    description="An ISO-8601 date and time in UTC with milliseconds, e.g. 2026-01-31T12:00:00.000+00:00.",
    serialize=_serialize,
    parse_value=_parse,
)
