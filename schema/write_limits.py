"""Limits on what one mutation request may write, checked before any resolver runs: how
many mutation fields it holds, how many bytes of text their inputs carry (a variable
reused by aliased fields counts once per field: each field writes it), and, when the
operator sets a rate, how fast each principal may write (a token bucket per principal,
per process)."""
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, OperationType
from graphql.execution.values import get_argument_values
from strawberry.extensions import SchemaExtension

from schema.limits import Limits, chosen_operation, coerced_variables, refusal

# Principals whose buckets are remembered; the least recently seen are forgotten first
# (a forgotten principal starts with a full bucket).
MAX_PRINCIPALS = 10_000


class TokenBuckets:
    """`rate` tokens a second into a bucket of `burst` for each principal."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # principal -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, principal: str, count: int) -> float:
        """Take `count` tokens: 0 when they were there, else the seconds until they will be
        (and nothing is taken)."""
        count = min(count, self.burst)
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(principal, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= count else (count - tokens) / self.rate
            self._buckets[principal] = (tokens - count if not wait else tokens, now)
            if len(self._buckets) > MAX_PRINCIPALS:
                self._buckets.popitem(last=False)
            return wait


def mutation_fields(operation, fragments) -> list[FieldNode]:
    """The root fields of a mutation, through fragments."""
    found, pending, seen = [], [operation.selection_set], set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                if selection.name.value in fragments:
                    pending.append(fragments[selection.name.value].selection_set)
    return [field for field in found if field.name.value != "__typename"]


def text_bytes(value) -> int:
    """The bytes of text in an input value (UTF-8), wherever it is."""
    total, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return total


def write_limits(limits: Limits):
    buckets = TokenBuckets(limits.write_rate, limits.write_burst) if limits.write_rate > 0 else None

    class WriteLimits(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            if context.result is None and context.graphql_document is not None:
                context.result = self.refusal(context)
            yield

        def refusal(self, context):
            document = context.graphql_document
            operation = chosen_operation(document, context.operation_name)
            if operation is None or operation.operation != OperationType.MUTATION:
                return None
            fragments = {d.name.value: d for d in document.definitions if hasattr(d, "type_condition")}
            fields = mutation_fields(operation, fragments)
            if len(fields) > limits.max_mutation_fields:
                return refusal("TOO_MANY_MUTATIONS", f"A request holds at most {limits.max_mutation_fields} "
                                                     f"mutation fields; this one has {len(fields)}.")
            schema = context.schema._schema
            variables = coerced_variables(schema, operation, context.variables)
            if variables is None:
                return None  # execution says what is wrong with them
            written = 0
            for field in fields:
                definition = schema.mutation_type.fields.get(field.name.value)
                if definition is not None:
                    written += text_bytes(get_argument_values(definition, field, variables))
            if written > limits.max_write_bytes:
                return refusal("WRITE_TOO_LARGE", f"The mutations of one request may write at most "
                                                  f"{limits.max_write_bytes} bytes of text; these would write "
                                                  f"{written}.")
            if buckets is not None:
                viewer = getattr(context.context, "viewer", None)
                wait = buckets.take(getattr(viewer, "name", None) or "(anonymous)", len(fields))
                if wait:
                    retry_after = max(1, math.ceil(wait))
                    return refusal("RATE_LIMITED", f"Too many writes: at most {limits.write_rate:g} a second "
                                                   f"(bursts of {limits.write_burst}). Retry in {retry_after} s.",
                                   retryAfter=retry_after)
            return None

    return WriteLimits
