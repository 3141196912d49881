"""The GraphQL schema, assembled; `export_sdl()` is what schema/schema.graphql holds."""
import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from schema.errors import ErrorReporting
from schema.mutation import Mutation
from schema.query import Query
from schema.types import ModelVersion, RegisteredModel


class RegistrySchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """ErrorReporting logs what is unexpected, with its request id; expected errors
        (bad input, not found) are the client's business, not the log's."""


def build_schema() -> strawberry.Schema:
    return RegistrySchema(
        query=Query,
        mutation=Mutation,
        types=[RegisteredModel, ModelVersion],
        extensions=[ErrorReporting, ParserCache, ValidationCache],
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
