"""Timestamps are stored as UTC epoch milliseconds and shown as ISO-8601 DateTime."""
from datetime import datetime, timezone


def from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
