"""The GraphQL schema, assembled; `export_sdl()` is what schema/schema.graphql holds."""
from datetime import datetime

import strawberry
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig

from schema.access_types import AccessToken, User
from schema.document_cache import CachedDocuments
from schema.errors import ErrorReporting, label_document_error
from schema.guards import RefuseUnstorableText, SubscriptionsOverWebSocketOnly
from schema.history_types import Activity, Comment, TransitionRequest
from schema.limits import Limits, query_limits
from schema.mutation import Mutation
from schema.plans import planned_executor
from schema.query import Query
from schema.response_budget import response_budget
from schema.scalars import DATETIME
from schema.shared_events import SharedEventExecutionContext
from schema.subscription import Subscription
from schema.types import ModelVersion, RegisteredModel
from schema.webhook_types import Webhook, WebhookDelivery
from schema.write_limits import write_limits


class RegistrySchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Called with the errors of a document that failed to parse or validate, which
        never reach ErrorReporting's operation hook: label them with their code. Nothing is
        logged here: ErrorReporting logs what is unexpected, with its request id, and bad
        documents are the client's business, not the log's."""
        for error in errors:
            if error.original_error is None:
                label_document_error(error)


def build_schema(limits: Limits | None = None, introspection: bool = True,
                 query_plans: bool = True, outermost: tuple = ()) -> strawberry.Schema:
    """`outermost`: extensions that wrap all others (they see errors with their codes)."""
    limits = limits or Limits()
    extensions = [
        *outermost,
        ErrorReporting,
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        CachedDocuments,
        query_limits(limits),
        write_limits(limits),
        RefuseUnstorableText,
        SubscriptionsOverWebSocketOnly,
        response_budget(limits.max_response_bytes),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = RegistrySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[RegisteredModel, ModelVersion, TransitionRequest, Comment, Activity, User, AccessToken, Webhook,
               WebhookDelivery],
        extensions=extensions,
        config=StrawberryConfig(scalar_map={datetime: DATETIME}),
    )
    schema.execution_context_class = planned_executor(schema) if query_plans else SharedEventExecutionContext
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
