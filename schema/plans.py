"""Query plans: a query document compiled once, then executed a level at a time.

graphql-core resolves one field of one object at a time: an Info, a path, an awaitable
check and a completion step for each of the ~4,000 fields of a models page, about 7 µs
apiece. A plan walks the same selection a level at a time instead: each field is resolved
for every object of its level in one step (batched fields in one fetch, plain attributes
in one loop), and values go straight into the response dicts.

It calls the same strawberry resolvers, argument conversion and scalar serializers as the
generic executor, so the data is the same; tests/test_plans.py checks that over every
playground operation. Whatever a plan does not cover falls back to graphql-core, which
then decides what the client sees: documents with directives or abstract types are not
compiled, and a plan that meets any error (a resolver's RegistryError, a null in a
non-null position) is dropped for that request and the operation runs again generically.
Only queries are planned, so running one twice changes nothing. Every fallback is
logged with its cause and counted in COUNTS ("ran", "fallback <cause>", "unexpected
<exception type>"); an unexpected one is a bug in the planner, and the tests fail on it.
"""
import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, Callable

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    OperationType,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.language import DirectiveNode, Visitor, visit
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments

from resolvers.errors import RegistryError
from resolvers.loaders import MAX_BATCH, load_level
from resolvers.records import attribute_column
from schema.batching import Batch
from schema.document_cache import DOCUMENTS
from schema.shared_events import SharedEventExecutionContext

log = logging.getLogger("registry.plans")
# How planned operations went, by outcome (see the module's docstring).
COUNTS: Counter = Counter()


class NotPlanned(Exception):
    """The plan cannot produce this response; the generic executor will."""


@dataclass
class PlanInfo:
    """What the registry's resolvers read from Info: only the request context."""

    context: Any


@dataclass
class Step:
    """One field of a selection: how to get its value for a whole level of objects, and
    how to complete those values (serialize leaves, plan the next level)."""

    key: str
    field_name: str
    node: Any  # the FieldNode whose arguments apply
    graphql_field: Any
    strawberry_field: Any
    complete: Callable | None  # see _column_completer()
    child: "Selection | None" = None  # the selection on the objects the field returns


@dataclass
class Selection:
    type_name: str
    steps: list[Step]

    def __post_init__(self):
        self.keys = [step.key for step in self.steps]


class Planner:
    """Compiles query operations into Selections for one strawberry schema."""

    def __init__(self, strawberry_schema):
        self.strawberry_schema = strawberry_schema

    def plan_for(self, executor) -> Selection | None:
        """The operation's plan, or None: not planned. Kept with the cached document."""
        return DOCUMENTS.remember(executor.operation, ("plan", self),
                                  lambda: self._compile(executor) if _plannable(executor) else None)

    def _compile(self, executor) -> Selection | None:
        schema = executor.schema
        root = schema.query_type
        collected = collect_fields(schema, executor.fragments, executor.variable_values, root, executor.operation)
        try:
            return self._selection(executor, root, collected.grouped_field_set)
        except NotPlanned:
            return None

    def _selection(self, executor, parent_type: GraphQLObjectType, grouped: dict) -> Selection:
        steps = []
        for key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                steps.append(Step(key, name, node, None, None, None))
                continue
            if name.startswith("__"):
                raise NotPlanned(name)  # introspection stays with graphql-core
            graphql_field = parent_type.fields[name]
            backref = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if backref is None:
                raise NotPlanned(name)
            if backref.extensions:
                raise NotPlanned(name)  # field extensions wrap the resolver; the plan would skip them
            named = _named_type(graphql_field.type)
            if not (is_object_type(named) or is_leaf_type(named)):
                raise NotPlanned(name)  # interfaces and unions need type resolution per object
            step = Step(key, name, node, graphql_field, backref, _column_completer(graphql_field.type))
            if is_object_type(named):
                sub = collect_subfields(executor.schema, executor.fragments, executor.variable_values,
                                        executor.operation, named, details)
                step.child = self._selection(executor, named, sub.grouped_field_set)
            steps.append(step)
        return Selection(parent_type.name, steps)

    async def run(self, selection: Selection, executor) -> dict:
        info = PlanInfo(executor.context_value)
        run = _Run(self.strawberry_schema, info, executor.variable_values)
        return (await run.selection(selection, [executor.root_value]))[0]


def _plannable(executor) -> bool:
    """Queries without directives (their selections could depend on variables) and
    without fragment variables."""
    if executor.operation.operation != OperationType.QUERY:
        return False
    if any(details.variable_signatures for details in executor.fragments.values()):
        return False
    finder = _DirectiveFinder()
    visit(executor.operation, finder)
    for details in executor.fragments.values():
        visit(details.definition, finder)
    return not finder.found


class _DirectiveFinder(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_):
        self.found = True
        return self.BREAK


def _named_type(graphql_type):
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return graphql_type


class _Run:
    """One execution of a plan."""

    def __init__(self, strawberry_schema, info: PlanInfo, variable_values):
        self.schema = strawberry_schema
        self.info = info
        self.variables = variable_values

    async def selection(self, selection: Selection, objects: list) -> list[dict]:
        columns: list = []
        pending = []
        for step in selection.steps:
            values = self._values(step, objects, selection.type_name)
            if step.child is None and not isawaitable(values):  # leaves at hand: no task needed
                columns.append(step.complete(values) if step.complete else values)
            else:
                pending.append((len(columns), self._complete(step, values)))
                columns.append(None)
        if pending:
            for (index, _), column in zip(pending, await asyncio.gather(*(job for _, job in pending))):
                columns[index] = column
        if not columns:  # every field skipped (a fragment for another type): an empty object
            return [{} for _ in objects]
        keys = selection.keys
        # strict: a column short of a value would otherwise drop objects from the response.
        return [dict(zip(keys, row)) for row in zip(*columns, strict=True)]

    def _values(self, step: Step, objects: list, type_name: str):
        """The field's value for each object: a list, or an awaitable of one."""
        if step.field_name == "__typename":
            return [type_name] * len(objects)
        definition = step.strawberry_field
        resolver = definition.base_resolver
        if resolver is None:
            return attribute_column(objects, definition.python_name)
        kwargs = self._arguments(step)
        if resolver.info_parameter:
            kwargs[resolver.info_parameter.name] = self.info
        call = resolver.wrapped_func
        batch = getattr(call, "batch", None)
        if batch is not None:
            return self._batched(batch, objects, kwargs)
        source = resolver.root_parameter or resolver.parent_parameter
        if resolver.self_parameter:
            values = [call(o, **kwargs) for o in objects]
        elif source is not None:
            values = [call(**kwargs, **{source.name: o}) for o in objects]
        else:
            values = [call(**kwargs) for _ in objects]
        return asyncio.gather(*values) if resolver.is_async else values

    async def _batched(self, batch: Batch, objects: list, kwargs: dict) -> list:
        keys = [batch.key_of(o, **kwargs) for o in objects]
        values = await load_level(getattr(self.info.context.loaders, batch.loader), keys, MAX_BATCH)
        if batch.then is None:
            return values
        then, info = batch.then, self.info
        return [then(value, key, info) for value, key in zip(values, keys)]

    def _arguments(self, step: Step) -> dict:
        if not step.graphql_field.args:
            return {}
        raw = get_argument_values(step.graphql_field, step.node, self.variables)
        return convert_arguments(raw, step.strawberry_field.arguments,
                                 scalar_registry=self.schema.schema_converter.scalar_registry,
                                 config=self.schema.config)

    async def _complete(self, step: Step, values) -> list:
        if isawaitable(values):
            values = await values
        if step.child is None:  # leaves (or __typename, with nothing to complete)
            return step.complete(values) if step.complete else values
        return await step.complete(self, step.child, values)


# Completing a column: every value one field has on one level, at once. Built per field
# when a document is compiled, for the shapes the schema has: T, [T] (with or without !)
# for a leaf or an object type T.

_NoneType = type(None)
INT_RANGE = (-(2**31), 2**31 - 1)  # GraphQL's Int, which graphql-core enforces


def _column_completer(graphql_type):
    """For leaves (and lists of them), a function values -> the column as in the
    response; for objects, an async function (run, child selection, values) -> that."""
    nullable = not isinstance(graphql_type, GraphQLNonNull)
    inner = graphql_type if nullable else graphql_type.of_type
    if isinstance(inner, GraphQLList):
        item_type = inner.of_type
        if isinstance(_strip_non_null(item_type), GraphQLList):
            raise NotPlanned("a list of lists")
        items = _column_completer(item_type)

        def regroup(values, completed):
            completed = iter(completed)
            return [None if value is None else [next(completed) for _ in value] for value in values]

        def flatten(values):
            _check_nulls(values, nullable)
            return [item for value in values if value is not None for item in value]

        if is_leaf_type(_named_type(item_type)):
            return lambda values: regroup(values, items(flatten(values)))

        async def lists(run, child, values):
            return regroup(values, await items(run, child, flatten(values)))
        return lists
    if is_leaf_type(inner):
        leaves = _leaf_column(inner)

        def leaf_column(values):
            _check_nulls(values, nullable)
            return leaves(values)
        return leaf_column
    is_type_of = inner.is_type_of

    async def objects(run, child, values):
        _check_nulls(values, nullable)
        present = [value for value in values if value is not None]
        if is_type_of is not None and not all(is_type_of(value, None) for value in present):
            raise NotPlanned(f"not a {inner.name}")
        dicts = await run.selection(child, present)
        if len(present) == len(values):
            return dicts
        completed = iter(dicts)
        return [None if value is None else next(completed) for value in values]
    return objects


def _strip_non_null(graphql_type):
    return graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type


def _check_nulls(values: list, nullable: bool) -> None:
    if not nullable and any(value is None for value in values):
        raise NotPlanned("null in a non-null position")


def _leaf_column(leaf_type) -> Callable[[list], list]:
    """Serializes a column of a scalar or enum, skipping the serializer when every value
    is already what it would return (a str for String and ID, an int in range for Int, a
    bool for Boolean)."""
    serialize = leaf_type.serialize
    ready = {"String": {str}, "ID": {str}, "Int": {int}, "Boolean": {bool}}.get(leaf_type.name)

    def serialize_all(values: list) -> list:
        if ready is not None:
            kinds = set(map(type, values)) - {_NoneType}
            if kinds <= ready and (kinds != {int} or _ints_in_range(values)):
                return values
        return [None if value is None else serialize(value) for value in values]
    return serialize_all


def _ints_in_range(values: list) -> bool:
    ints = [value for value in values if value is not None]
    return not ints or (INT_RANGE[0] <= min(ints) and max(ints) <= INT_RANGE[1])


class PlannedExecutionContext(SharedEventExecutionContext):
    """graphql-core's executor, which hands a planned query to its plan. Set up by
    `planned_executor()` with the planner of one schema."""

    planner: Planner

    def execute_operation(self, serially: bool | None = None):
        plan = self.planner.plan_for(self)
        if plan is not None and self.middleware_manager is not None and self.middleware_manager.middlewares:
            # An extension's resolve hook (middleware) wraps every resolver; a plan would skip it.
            COUNTS["fallback middleware"] += 1
            plan = None
        if plan is None:
            return super().execute_operation(serially)
        return self._run_planned(plan, serially)

    async def _run_planned(self, plan: Selection, serially):
        try:
            data = await self.planner.run(plan, self)
        except (NotPlanned, RegistryError) as error:  # a null where the plan needs a value; a client's error
            COUNTS[f"fallback {type(error).__name__}"] += 1
            log.info("plan gave way to graphql-core: %s: %s", type(error).__name__, error)
            return await self._run_generically(serially)
        except Exception as error:  # noqa: BLE001 - the generic executor reports it as it always would
            COUNTS[f"unexpected {type(error).__name__}"] += 1
            log.warning("query plan failed; running the operation on graphql-core", exc_info=error)
            return await self._run_generically(serially)
        COUNTS["ran"] += 1
        return self.finish(self.build_response(data))

    async def _run_generically(self, serially):
        generic = super().execute_operation(serially)
        return await generic if self.is_awaitable(generic) else generic


def planned_executor(strawberry_schema) -> type:
    return type("RegistryExecutionContext", (PlannedExecutionContext,), {"planner": Planner(strawberry_schema)})

