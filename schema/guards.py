"""Checks on a whole operation before any resolver runs."""
from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from resolvers.errors import RegistryError
from resolvers.validation import refuse_unstorable, unstorable


class _UnstorableLiterals(Visitor):
    def __init__(self):
        super().__init__()
        self.problem = None

    def enter_string_value(self, node: StringValueNode, *_):
        self.problem = self.problem or unstorable(node.value)


def _refusal(message: str, field) -> ExecutionResult:
    extensions = {"code": "INVALID_ARGUMENT", **({"field": list(field)} if field else {})}
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])


class RefuseUnstorableText(SchemaExtension):
    """No text the registry stores or searches may hold a NUL or a lone surrogate: refuse
    the operation, whichever argument or variable carries it, before anything runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        try:
            refuse_unstorable(context.variables or {}, ())
        except RegistryError as error:
            context.result = _refusal(error.message, error.field)
        else:
            literals = _UnstorableLiterals()
            if context.graphql_document is not None:
                visit(context.graphql_document, literals)
            if literals.problem:
                context.result = _refusal(literals.problem, None)
        yield
