"""A byte budget on responses, checked before one is encoded.

The cost model bounds the objects a query may return, not their bytes: a hundred ids of
one version with nine 100,000-character tags, aliased a few times, would still encode to
hundreds of megabytes. The result tree shares the loaded strings, so it stays small
until it is encoded; counting its size first keeps the encoded copy from ever being made."""
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension


def _text_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def overflowing_field(data: dict, budget: int) -> str | None:
    """The root field (response key) at which the response's JSON passes `budget` bytes,
    roughly counted (quotes and separators included, escapes not); None within it."""
    used = 0
    for root_key, root_value in data.items():
        used += len(root_key) + 4
        pending = [root_value]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                used += _text_bytes(item) + 3
            elif isinstance(item, dict):
                used += 2 + sum(len(key) + 4 for key in item)
                pending.extend(item.values())
            elif isinstance(item, list):
                used += 2 + len(item)
                pending.extend(item)
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
