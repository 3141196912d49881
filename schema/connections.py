"""Relay cursor connections; the root of a Connection is a resolvers.search.Connection."""
from typing import Generic, Optional, TypeVar

import strawberry

from resolvers.paging import encode_cursor
from resolvers.search import Connection as PageOfRows

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: Optional[str]
    end_cursor: Optional[str]


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """A page of a list; the root is a resolvers.search.Connection."""

    @strawberry.field
    def edges(self: PageOfRows) -> list[Edge[T]]:
        return [Edge(cursor=encode_cursor(row, self.keys), node=row) for row in self.page.rows]

    @strawberry.field
    def nodes(self: PageOfRows) -> list[T]:
        return self.page.rows

    @strawberry.field
    def page_info(self: PageOfRows) -> PageInfo:
        rows = self.page.rows
        return PageInfo(
            has_next_page=self.page.has_next,
            has_previous_page=self.page.has_previous,
            start_cursor=encode_cursor(rows[0], self.keys) if rows else None,
            end_cursor=encode_cursor(rows[-1], self.keys) if rows else None,
        )

    @strawberry.field
    async def total_count(self: PageOfRows) -> int:
        return await self.count()
