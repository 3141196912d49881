"""Subscription events executed once for all the streams that would execute them alike.

Streams woken by one activity share its read (resolvers/live.py), so the very same
Activity object reaches each of them. Those that also run the same document (one parsed
copy, from the document cache) with the same variables for the same viewer would build the
same result: the first builds it and the others take it. 100 dashboards of one service
account following the registry cost one execution per event, not 100.

The Activity's identity bounds the sharing: a stream that reads the activity on its own (a
resume, another filter, another viewer's reach) has an object of its own and executes on
its own; and an entry keeps its objects alive, so their ids are not reused while it lasts.
"""
import asyncio
from collections import OrderedDict
from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

KEPT = 256  # recent events' results kept for the streams still to take them
SHARED_EXECUTIONS = [0]  # events a stream took from another's execution (for the tests)


class SharedEventExecutionContext(StrawberryGraphQLCoreExecutionContext):
    _recent: "OrderedDict[tuple, tuple[Any, Any, ExecutionResult | asyncio.Future]]" = OrderedDict()
    _shared_key: tuple | None = None  # a per-event executor's, whose result others may take

    def build_per_event_executor(self, payload: Any):
        viewer = getattr(self.context_value, "viewer", None)
        if viewer is None:
            return super().build_per_event_executor(payload)
        key = (id(payload), id(self.operation), repr(sorted(self.variable_values.coerced.items())), viewer)
        found = self._recent.get(key)
        if found is not None:
            SHARED_EXECUTIONS[0] += 1
            return _SharedEvent(found[2])
        executor = super().build_per_event_executor(payload)
        executor._shared_key = key
        return executor

    def execute_operation(self, serially: bool | None = None):
        if self._shared_key is None:
            return super().execute_operation(serially)
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            result = asyncio.ensure_future(result)
        # The entry holds the root value and the document: their ids stay theirs meanwhile.
        self._recent[self._shared_key] = (self.root_value, self.operation, result)
        if len(self._recent) > KEPT:
            self._recent.popitem(last=False)
        return _taken(result) if isinstance(result, asyncio.Future) else result


class _SharedEvent:
    """What graphql-core executes an event with when another stream's execution builds
    the result (it asks only for `execute_operation`)."""

    def __init__(self, result: ExecutionResult | asyncio.Future):
        self.result = result

    def execute_operation(self, serially: bool | None = None):
        return _taken(self.result) if isinstance(self.result, asyncio.Future) else self.result


async def _taken(execution: asyncio.Future) -> ExecutionResult:
    # Shielded: a stream that ends must not cancel the execution others wait on.
    return await asyncio.shield(execution)
