"""Errors as the client sees them: every GraphQL error carries `extensions.code`.

A RegistryError raised by a query becomes its code and message; a document that does
not parse or validate says so; anything unexpected is masked — the client gets only a
request id, and the log gets the id with the traceback.
"""
import logging
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from resolvers.errors import RegistryError, StoreUnavailable

log = logging.getLogger("registry.errors")


def client_error(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if isinstance(original, RegistryError):
        extensions = {"code": original.code}
        if original.field:
            extensions["field"] = list(original.field)
        return GraphQLError(original.message, error.nodes, error.source, error.positions, error.path,
                            extensions=extensions)
    if isinstance(original, StoreUnavailable):
        log.warning("request %s: %s at %s", request_id, original, error.path)
        return GraphQLError(
            f"The registry's database is unavailable just now. Retry the request; with an idempotencyKey "
            f"a retried registration is never made twice (request id {request_id}).",
            error.nodes, error.source, error.positions, error.path,
            extensions={"code": "UNAVAILABLE", "retryable": True, "requestId": request_id})
    if error.extensions and "code" in error.extensions:
        return error  # refused with its own code (a limit, the response budget)
    if error.path is None and (original is None or isinstance(original, GraphQLError)):
        # The document or its variables (a value the type refuses), found before anything
        # ran: the client's to fix.
        label_document_error(error)
        return error
    # Anything else went wrong while executing: a value that does not serialize (a stored
    # integer past Int's range), a null where the schema promises a value, a bug.
    log.error("request %s: unexpected error at %s: %s", request_id, error.path, error.message,
              exc_info=original)
    return GraphQLError(
        f"Internal error (request id {request_id}).", error.nodes, error.source, error.positions, error.path,
        extensions={"code": "INTERNAL", "requestId": request_id})


def label_document_error(error: GraphQLError) -> None:
    """An error without a code is about the document: it did not parse, or not validate."""
    if error.extensions and "code" in error.extensions:
        return
    if isinstance(error, GraphQLSyntaxError):
        # graphql-core's parser enforces the token limit with a syntax error of its own.
        code = "TOO_MANY_TOKENS" if "Document contains more than" in error.message else "GRAPHQL_PARSE_FAILED"
    else:
        code = "GRAPHQL_VALIDATION_FAILED"
    error.extensions = {**(error.extensions or {}), "code": code}


class ErrorReporting(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        self._report(self.execution_context.result)

    def on_stream_result(self, result) -> Iterator[None]:
        """Each result of a subscription (or of an operation sent over a WebSocket)."""
        self._report(result)
        yield

    def _report(self, result) -> None:
        if result is not None and getattr(result, "errors", None):
            request_id = getattr(self.execution_context.context, "request_id", "-")
            result.errors = [client_error(error, request_id) for error in result.errors]
