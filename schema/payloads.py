"""Mutation payloads: the result, or `userErrors` saying why there is none."""
from typing import Any, Callable, Optional

import strawberry
from strawberry.types import Info

from resolvers.errors import RegistryError
from schema.access_types import AccessToken
from schema.enums import ErrorCode
from schema.history_types import Comment, TransitionRequest
from schema.types import ModelAlias, ModelVersion, RegisteredModel


@strawberry.type
class UserError:
    field: Optional[list[str]] = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "tags", "0", "key"].')
    message: str
    code: ErrorCode

    @classmethod
    def of(cls, error: RegistryError) -> "UserError":
        return cls(field=list(error.field) if error.field else None, message=error.message,
                   code=ErrorCode(error.code))


async def perform(info: Info, change: Callable, *args) -> tuple[Any, list[UserError]]:
    """Run `change(Change, *args)` as one transaction: (result, []) or (None, [the error])."""
    try:
        return await info.context.apply(change, *args), []
    except RegistryError as error:
        return None, [UserError.of(error)]


@strawberry.type
class Payload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateRegisteredModelPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class UpdateRegisteredModelPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class RenameRegisteredModelPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class DeleteRegisteredModelPayload(Payload):
    deleted_registered_model_id: Optional[strawberry.ID] = None


@strawberry.type
class SetRegisteredModelTagPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class DeleteRegisteredModelTagPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class CreateModelVersionPayload(Payload):
    model_version: Optional[ModelVersion] = None


@strawberry.type
class UpdateModelVersionPayload(Payload):
    model_version: Optional[ModelVersion] = None


@strawberry.type
class DeleteModelVersionPayload(Payload):
    deleted_model_version_id: Optional[strawberry.ID] = None


@strawberry.type
class SetModelVersionTagPayload(Payload):
    model_version: Optional[ModelVersion] = None


@strawberry.type
class DeleteModelVersionTagPayload(Payload):
    model_version: Optional[ModelVersion] = None


@strawberry.type
class SetModelAliasPayload(Payload):
    alias: Optional[ModelAlias] = None
    previous_version: Optional[ModelVersion] = strawberry.field(
        default=None, description="The version the alias pointed to before, when it moved.")


@strawberry.type
class DeleteModelAliasPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class TransitionModelVersionStagePayload(Payload):
    model_version: Optional[ModelVersion] = None
    archived_versions: list[ModelVersion] = strawberry.field(default_factory=list)


@strawberry.type
class CopyModelVersionPayload(Payload):
    model_version: Optional[ModelVersion] = None


@strawberry.type
class CreateTransitionRequestPayload(Payload):
    transition_request: Optional[TransitionRequest] = None


@strawberry.type
class ResolveTransitionRequestPayload(Payload):
    transition_request: Optional[TransitionRequest] = None
    model_version: Optional[ModelVersion] = strawberry.field(
        default=None, description="For an approval: the version after the transition was applied.")


@strawberry.type
class CommentPayload(Payload):
    comment: Optional[Comment] = None


@strawberry.type
class DeleteCommentPayload(Payload):
    deleted_comment_id: Optional[strawberry.ID] = None


@strawberry.type
class SetModelPermissionPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class CreateAccessTokenPayload(Payload):
    token: Optional[str] = strawberry.field(default=None, description="The secret itself, shown only in this response.")
    access_token: Optional[AccessToken] = None


@strawberry.type
class RevokeAccessTokenPayload(Payload):
    revoked_access_token_id: Optional[strawberry.ID] = None
