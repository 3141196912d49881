"""The records resolvers hand to the schema: rows of the store, read-only to it. The schema
names their types from here (for annotations, and to tell a Node's type by its row's
class) and reads a column of them at once, never reaching into store/ itself."""
from store.rows import attribute_column
from store.tables import (
    AccessToken,
    Activity,
    Comment,
    ModelAlias,
    ModelPermission,
    ModelVersion,
    RegisteredModel,
    TransitionRequest,
    User,
    Webhook,
    WebhookDelivery,
)

__all__ = ["AccessToken", "Activity", "Comment", "ModelAlias", "ModelPermission", "ModelVersion", "RegisteredModel",
           "TransitionRequest", "User", "Webhook", "WebhookDelivery", "attribute_column"]
