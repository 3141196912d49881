"""Limits on what one operation may ask for, checked after validation and before any
resolver runs, on the variables as the operation sees them (defaults filled in).

The cost model estimates the objects a query may return: every list of objects
multiplies what is below it by its size — a page (`first`/`last`, else the default
page), the ids of `nodes(ids:)`, the stages of `latestVersions`, the schema's own sizes
for introspection, and ESTIMATED_LIST for lists no argument bounds (tags, comments) —
summed over paths, as GitHub's node limit. Introspection is bounded by that estimate
rather than by the depth limit, so standard introspection queries (15 deep) pass and
nested or repeated ones do not. The response itself is then held to a byte budget
(`ResponseBudget`). Tokens are counted by the parser (strawberry's MaxTokensLimiter)."""
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_composite_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension

from resolvers.validation import DEFAULT_PAGE, MAX_PAGE

# Fields whose size is a page: `first`/`last`, or DEFAULT_PAGE when neither is given.
PAGED_FIELDS = {"registeredModels", "modelVersions", "versions", "activities", "transitionRequests"}
# The objects of a list that no argument bounds are estimated at this many.
ESTIMATED_LIST = 10
# Introspection's own depth: the deepest standard query (graphql-core's) is 15; type
# references nest ofType at most 8 deep.
MAX_INTROSPECTION_DEPTH = 20


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
    most_ids: int = 0
    depth: int = 0
    introspection_depth: int = 0
    aliases: int = 0
    nodes: int = 0


def introspection_sizes(schema: GraphQLSchema) -> dict[str, int]:
    """The longest list each introspection field can return in this schema."""
    types = list(schema.type_map.values())
    fields = [f for t in types for f in (getattr(t, "fields", None) or {}).values()]
    directives = list(schema.directives)
    return {
        "types": len(types),
        "directives": len(directives),
        "fields": max(len(getattr(t, "fields", None) or {}) for t in types),
        "inputFields": max(len(getattr(t, "fields", None) or {}) for t in types),
        "args": max([len(getattr(f, "args", None) or {}) for f in fields] + [len(d.args) for d in directives]),
        "enumValues": max(len(getattr(t, "values", None) or {}) for t in types),
        "interfaces": max(len(getattr(t, "interfaces", None) or ()) for t in types),
        "possibleTypes": max(len(schema.get_possible_types(t)) if hasattr(t, "resolve_type") else 0 for t in types),
    }


def _is_list(graphql_type) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments, variables: dict, introspection: dict[str, int]):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.introspection = introspection
        self.measure = _Measure()

    def field_definition(self, parent_type, name: str):
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        return (getattr(parent_type, "fields", None) or {}).get(name)

    def arguments(self, definition, node: FieldNode) -> dict:
        try:
            return get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return {}  # execution reports the bad argument

    def size(self, parent_type, node: FieldNode, definition, introspecting: bool) -> int | None:
        """How many objects the field returns for each parent, at most (estimated for lists
        no argument bounds); None for a single object, or for a list its parent counted."""
        name = node.name.value
        if introspecting:
            return self.introspection.get(name, ESTIMATED_LIST) if _is_list(definition.type) else None
        if name in PAGED_FIELDS and "first" in definition.args:
            arguments = self.arguments(definition, node)
            for argument in ("first", "last"):
                if isinstance(arguments.get(argument), int):
                    size = max(arguments[argument], 0)
                    if size > self.measure.largest_page:
                        self.measure.largest_page, self.measure.largest_page_argument = size, argument
                    return size
            return DEFAULT_PAGE
        if not _is_list(definition.type) or parent_type.name.endswith("Connection"):
            return None  # one object, or the `edges`/`nodes` of a page its connection counted
        if parent_type is self.schema.query_type and name == "nodes":
            ids = len(self.arguments(definition, node).get("ids") or ())
            self.measure.most_ids = max(self.measure.most_ids, ids)
            return ids
        if name == "latestVersions":
            stages = self.arguments(definition, node).get("stages")
            return len(set(stages)) if stages else 4
        return ESTIMATED_LIST

    def walk(self, selection_set, parent_type, depth: int, multiplier: int, introspecting: bool = False,
             seen: frozenset = frozenset()) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                self.measure.aliases += selection.alias is not None
                name = selection.name.value
                definition = self.field_definition(parent_type, name)
                if definition is None:  # __typename
                    continue
                inside = introspecting or name.startswith("__")
                if inside:
                    self.measure.introspection_depth = max(self.measure.introspection_depth, depth)
                else:
                    self.measure.depth = max(self.measure.depth, depth)
                field_type = get_named_type(definition.type)
                if not is_composite_type(field_type):
                    continue
                size = self.size(parent_type, selection, definition, inside)
                if size is not None:
                    self.measure.nodes += multiplier * size
                    multiplier_below = multiplier * max(size, 1)
                else:
                    multiplier_below = multiplier
                self.walk(selection.selection_set, field_type, depth + 1, multiplier_below, inside, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                fragment_type = self.schema.get_type(condition.name.value) if condition else parent_type
                self.walk(selection.selection_set, fragment_type, depth, multiplier, introspecting, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:  # validation refuses cycles anyway
                    fragment_type = self.schema.get_type(fragment.type_condition.name.value)
                    self.walk(fragment.selection_set, fragment_type, depth, multiplier, introspecting,
                              seen | {name})


def chosen_operation(document, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    return chosen[0] if chosen else None


def coerced_variables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables) -> dict | None:
    """The operation's variables as execution will see them, defaults filled in; None when
    they do not coerce (execution then reports why)."""
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    return None if isinstance(coerced, list) else coerced


def root_type(schema: GraphQLSchema, operation: OperationDefinitionNode):
    return {OperationType.QUERY: schema.query_type, OperationType.MUTATION: schema.mutation_type,
            OperationType.SUBSCRIPTION: schema.subscription_type}[operation.operation]


def measure(schema: GraphQLSchema, document, operation_name: str | None, variables,
            introspection: dict[str, int]) -> _Measure | None:
    operation = chosen_operation(document, operation_name)
    values = operation and coerced_variables(schema, operation, variables)
    if values is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if not isinstance(d, OperationDefinitionNode)}
    walker = _Walker(schema, fragments, values, introspection)
    walker.walk(operation.selection_set, root_type(schema, operation), 1, 1)
    return walker.measure


def refusal(code: str, message: str, field: str | None = None, **details) -> ExecutionResult:
    extensions = {"code": code, **({"field": [field]} if field else {}), **details}
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])


def _over_a_limit(found: _Measure, limits: Limits) -> ExecutionResult | None:
    if found.largest_page > limits.max_page_size:
        argument = found.largest_page_argument
        return refusal("INVALID_ARGUMENT", f"`{argument}` is at most {limits.max_page_size}; "
                                           f"got {found.largest_page}.", argument)
    if found.most_ids > limits.max_node_ids:
        return refusal("INVALID_ARGUMENT", f"`nodes(ids:)` takes at most {limits.max_node_ids} ids; "
                                           f"got {found.most_ids}.", "ids")
    if found.depth > limits.max_depth:
        return refusal("QUERY_TOO_DEEP", f"The query is {found.depth} fields deep; "
                                         f"at most {limits.max_depth} are allowed.")
    if found.introspection_depth > MAX_INTROSPECTION_DEPTH:
        return refusal("QUERY_TOO_DEEP", f"The introspection query is {found.introspection_depth} fields deep; "
                                         f"at most {MAX_INTROSPECTION_DEPTH} are allowed.")
    if found.aliases > limits.max_aliases:
        return refusal("TOO_MANY_ALIASES", f"The query uses {found.aliases} aliases; "
                                           f"at most {limits.max_aliases} are allowed.")
    if found.nodes > limits.max_nodes:
        return refusal("TOO_MANY_NODES", f"The query may return about {found.nodes} objects (list sizes multiplied "
                                         f"down each path); at most {limits.max_nodes} are allowed. Ask for "
                                         "smaller pages, fewer ids or fewer aliases.")
    return None


def query_limits(limits: Limits):
    sizes: dict[str, int] = {}

    class QueryLimits(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None and context.result is None:
                schema = context.schema._schema
                if not sizes:
                    sizes.update(introspection_sizes(schema))
                found = measure(schema, context.graphql_document, context.operation_name, context.variables, sizes)
                if found is not None:
                    context.result = _over_a_limit(found, limits)
            yield

    return QueryLimits
