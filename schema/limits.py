"""Limits on what one operation may ask for, checked after validation and before any
resolver runs: depth, aliases, and an estimate of the objects it may return (the product
of page sizes down each path, summed over paths, as GitHub's node limit). Tokens are
counted by the parser (strawberry's MaxTokensLimiter)."""
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from resolvers.validation import DEFAULT_PAGE, MAX_PAGE

# Fields whose size is a page: `first`/`last`, or DEFAULT_PAGE when neither is given.
PAGED_FIELDS = {"registeredModels", "modelVersions", "versions", "activities", "transitionRequests"}


@dataclass(frozen=True)
class Limits:
    max_page_size: int = MAX_PAGE  # `first`/`last`; REFERENCE caps it at 1000
    max_depth: int = 12
    max_aliases: int = 200
    max_tokens: int = 5_000
    max_nodes: int = 100_000
    max_body_bytes: int = 1_000_000
    body_timeout_seconds: float = 10.0
    max_response_bytes: int = 20_000_000
    max_node_ids: int = 100  # ids in one `nodes(ids:)`, as GitHub's
    max_mutation_fields: int = 10  # mutation root fields in one request, as MLflow's batch limit
    max_write_bytes: int = 2_000_000  # text the mutations of one request may write
    # Writes (mutation root fields) per second for each principal; 0 is no limit.
    write_rate: float = 0.0
    write_burst: int = 20


@dataclass
class _Measure:
    largest_page: int = 0
    largest_page_argument: str = "first"
    depth: int = 0
    aliases: int = 0
    nodes: int = 0


class _Walker:
    def __init__(self, fragments, variables):
        self.fragments = fragments
        self.variables = variables or {}
        self.measure = _Measure()

    def page_size(self, field: FieldNode) -> tuple[int, str]:
        """The field's page size, and the argument that set it."""
        for argument in field.arguments or ():
            if argument.name.value in ("first", "last"):
                value = argument.value
                if isinstance(value, IntValueNode):
                    return int(value.value), argument.name.value
                if isinstance(value, VariableNode):
                    given = self.variables.get(value.name.value)
                    return (given if isinstance(given, int) else DEFAULT_PAGE), argument.name.value
        return (DEFAULT_PAGE if field.name.value in PAGED_FIELDS else 1), "first"

    def walk(self, selection_set, depth: int, multiplier: int, seen: frozenset = frozenset()) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                self.measure.depth = max(self.measure.depth, depth)
                self.measure.aliases += selection.alias is not None
                size, argument = self.page_size(selection)
                size = max(size, 0)
                if size > self.measure.largest_page:
                    self.measure.largest_page, self.measure.largest_page_argument = size, argument
                if size > 1 or selection.name.value in PAGED_FIELDS:
                    self.measure.nodes += multiplier * size
                    self.walk(selection.selection_set, depth + 1, multiplier * max(size, 1), seen)
                else:
                    self.walk(selection.selection_set, depth + 1, multiplier, seen)
            elif isinstance(selection, InlineFragmentNode):
                self.walk(selection.selection_set, depth, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in seen:  # validation refuses cycles anyway
                    self.walk(self.fragments[name].selection_set, depth, multiplier, seen | {name})


def measure(document, operation_name: str | None, variables) -> _Measure:
    fragments = {d.name.value: d for d in document.definitions if not isinstance(d, OperationDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    walker = _Walker(fragments, variables)
    for operation in chosen[:1]:
        walker.walk(operation.selection_set, 1, 1)
    return walker.measure


def _refusal(code: str, message: str, field: str | None = None) -> ExecutionResult:
    extensions = {"code": code, **({"field": [field]} if field else {})}
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])


def query_limits(limits: Limits):
    class QueryLimits(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None and context.result is None:
                found = measure(context.graphql_document, context.operation_name, context.variables)
                if found.largest_page > limits.max_page_size:
                    argument = found.largest_page_argument
                    context.result = _refusal("INVALID_ARGUMENT", f"`{argument}` is at most {limits.max_page_size}; "
                                                                  f"got {found.largest_page}.", argument)
                elif found.depth > limits.max_depth:
                    context.result = _refusal("QUERY_TOO_DEEP", f"The query is {found.depth} fields deep; "
                                                                f"at most {limits.max_depth} are allowed.")
                elif found.aliases > limits.max_aliases:
                    context.result = _refusal("TOO_MANY_ALIASES", f"The query uses {found.aliases} aliases; "
                                                                  f"at most {limits.max_aliases} are allowed.")
                elif found.nodes > limits.max_nodes:
                    context.result = _refusal(
                        "TOO_MANY_NODES", f"The query may return about {found.nodes} objects (page sizes multiplied "
                                          f"down each path); at most {limits.max_nodes} are allowed. Ask for "
                                          "smaller pages.")
            yield

    return QueryLimits
