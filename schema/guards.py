"""Checks on a whole operation before any resolver runs."""
from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from resolvers.errors import RegistryError
from resolvers.validation import refuse_nul


class _NulLiterals(Visitor):
    def __init__(self):
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_):
        self.found = self.found or "\x00" in node.value


def _nul_error(message: str, field) -> ExecutionResult:
    extensions = {"code": "INVALID_ARGUMENT", **({"field": list(field)} if field else {})}
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])


class RefuseNul(SchemaExtension):
    """No text the registry stores or searches may hold a NUL character (PostgreSQL cannot
    store or compare one): refuse the operation, whichever argument carries it."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        try:
            refuse_nul(context.variables or {}, ())
        except RegistryError as error:
            context.result = _nul_error(error.message, error.field)
        else:
            literals = _NulLiterals()
            if context.graphql_document is not None:
                visit(context.graphql_document, literals)
            if literals.found:
                context.result = _nul_error("Text may not contain a NUL (\\u0000) character.", None)
        yield
