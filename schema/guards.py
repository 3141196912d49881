"""Checks on a whole operation before any resolver runs."""
from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers.errors import RegistryError
from resolvers.validation import refuse_unstorable, unstorable
from schema.document_cache import DOCUMENTS


class _UnstorableLiterals(Visitor):
    def __init__(self):
        super().__init__()
        self.problem = None

    def enter_string_value(self, node: StringValueNode, *_):
        self.problem = self.problem or unstorable(node.value)


def _refusal(message: str, field) -> ExecutionResult:
    extensions = {"code": "INVALID_ARGUMENT", **({"field": list(field)} if field else {})}
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])


def _literal_problem(document) -> str | None:
    literals = _UnstorableLiterals()
    visit(document, literals)
    return literals.problem


class RefuseUnstorableText(SchemaExtension):
    """No text the registry stores or searches may hold a NUL or a lone surrogate: refuse
    the operation, whichever argument or variable carries it, before anything runs.

    A document's literals are checked once: the document cache hands the same document
    object to every request with the same text (walking it took a fifth of a small
    request)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        try:
            refuse_unstorable(context.variables or {}, ())
        except RegistryError as error:
            context.result = _refusal(error.message, error.field)
        else:
            document = context.graphql_document
            problem = document and DOCUMENTS.remember(document, "literals", lambda: _literal_problem(document))
            if problem:
                context.result = _refusal(problem, None)
        yield


class SubscriptionsOverWebSocketOnly(SchemaExtension):
    """A subscription sent over HTTP would run as a one-off field and answer nothing useful:
    refuse it, saying where subscriptions are served."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type == OperationType.SUBSCRIPTION and not getattr(context.context, "over_websocket",
                                                                                 False):
            context.result = ExecutionResult(data=None, errors=[GraphQLError(
                "Subscriptions are served over the WebSocket at /graphql (graphql-transport-ws), not over HTTP.",
                extensions={"code": "BAD_REQUEST"})])
        yield
