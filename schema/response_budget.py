"""A byte budget on responses, checked before one is encoded.

The cost model bounds the objects a query may return, not their bytes: a hundred ids of
one version with nine 100,000-character tags, aliased a few times, would still encode to
hundreds of megabytes. The result tree shares the loaded strings, so it stays small
until it is encoded; counting its size first keeps the encoded copy from ever being made."""
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

# A field name, quoted, with its colon and comma: what a dict entry costs beyond its value.
NAME_BYTES = 14


def overflowing_field(data: dict, budget: int) -> str | None:
    """The root field (response key) at which the response's JSON passes `budget` bytes,
    roughly counted (text as characters, names at their average length, no escapes);
    None within it. One pass over the tree, checked after each root field: the tree shares
    its strings, so even an oversized one is small until encoded."""
    used = 0
    for root_key, root_value in data.items():
        pending = [root_value]
        pop, extend = pending.pop, pending.extend
        while pending:
            item = pop()
            kind = type(item)
            if kind is dict:
                used += 2 + NAME_BYTES * len(item)
                extend(item.values())
            elif kind is list:
                used += 2 + len(item)
                extend(item)
            elif kind is str:
                used += 3 + len(item)
            else:
                used += 8
            if used > budget:
                return root_key
    return None


def response_budget(max_bytes: int):
    class ResponseBudget(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            yield
            context = self.execution_context
            result = context.result
            data = getattr(result, "data", None)
            field = overflowing_field(data, max_bytes) if data else None
            if field is not None:
                # In place: strawberry answers with the result object execution made.
                ran = "The mutation ran, but its" if context.operation_type.value == "mutation" else "The"
                result.data = None
                result.errors = [GraphQLError(
                    f"{ran} response would exceed {max_bytes} bytes (at `{field}`). Ask for fewer or smaller "
                    "fields: smaller pages, fewer ids or aliases, tags by key.", path=[field],
                    extensions={"code": "RESPONSE_TOO_LARGE", "maxBytes": max_bytes})]

    return ResponseBudget
