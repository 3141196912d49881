"""One input type per mutation, named `<Verb><Entity>Input` as in the contract."""
from typing import Optional

import strawberry

from schema.enums import PermissionLevel, Stage
from schema.inputs import TagInput


@strawberry.input
class ModelVersionRef:
    name: str
    version: Optional[int] = strawberry.field(default=None, description="Exactly one of version and alias.")
    alias: Optional[str] = None


@strawberry.input
class CreateRegisteredModelInput:
    name: str
    description: Optional[str] = None
    tags: Optional[list[TagInput]] = None


@strawberry.input
class UpdateRegisteredModelInput:
    name: str
    description: Optional[str] = strawberry.field(default=strawberry.UNSET,
                                                  description="null clears; omitted leaves it unchanged.")


@strawberry.input
class RenameRegisteredModelInput:
    name: str
    new_name: str


@strawberry.input
class DeleteRegisteredModelInput:
    name: str


@strawberry.input
class CreateModelVersionInput:
    name: str
    source: str
    run_id: Optional[str] = None
    run_link: Optional[str] = None
    description: Optional[str] = None
    tags: Optional[list[TagInput]] = None
    create_model_if_missing: Optional[bool] = strawberry.field(
        default=False,
        description="Create the registered model first when it does not exist (like mlflow.register_model).")
    idempotency_key: Optional[str] = strawberry.field(
        default=None,
        description="A retry carrying the same key returns the version the first call made instead of a new one.")


@strawberry.input
class UpdateModelVersionInput:
    name: str
    version: int
    description: Optional[str] = strawberry.field(default=strawberry.UNSET,
                                                  description="null clears; omitted leaves it unchanged.")


@strawberry.input
class DeleteModelVersionInput:
    name: str
    version: int


@strawberry.input
class SetRegisteredModelTagInput:
    name: str
    key: str
    value: str


@strawberry.input
class DeleteRegisteredModelTagInput:
    name: str
    key: str


@strawberry.input
class SetModelVersionTagInput:
    name: str
    version: int
    key: str
    value: str


@strawberry.input
class DeleteModelVersionTagInput:
    name: str
    version: int
    key: str


@strawberry.input
class SetModelAliasInput:
    name: str
    alias: str
    version: int


@strawberry.input
class DeleteModelAliasInput:
    name: str
    alias: str


@strawberry.input
class TransitionModelVersionStageInput:
    name: str
    version: int
    stage: Stage
    archive_existing_versions: Optional[bool] = strawberry.field(
        default=False,
        description="Move every other version now in the target stage to ARCHIVED (STAGING and PRODUCTION only).")
    comment: Optional[str] = None


@strawberry.input
class CopyModelVersionInput:
    source: ModelVersionRef
    destination_name: str
    aliases: Optional[list[str]] = strawberry.field(
        default=None, description="Aliases to point at the copy in the same transaction (promotion in one step).")
    idempotency_key: Optional[str] = None


@strawberry.input
class CreateTransitionRequestInput:
    name: str
    version: int
    stage: Stage
    archive_existing_versions: Optional[bool] = False
    comment: Optional[str] = None


@strawberry.input
class ResolveTransitionRequestInput:
    id: strawberry.ID
    comment: Optional[str] = None


@strawberry.input
class CreateCommentInput:
    name: str
    version: int
    body: str


@strawberry.input
class UpdateCommentInput:
    id: strawberry.ID
    body: str


@strawberry.input
class DeleteCommentInput:
    id: strawberry.ID


@strawberry.input
class SetModelPermissionInput:
    name: str
    principal: str
    level: PermissionLevel


@strawberry.input
class CreateAccessTokenInput:
    description: Optional[str] = None
    lifetime_seconds: Optional[int] = strawberry.field(default=None, description="Lifetime in seconds; omitted: no expiry.")


@strawberry.input
class RevokeAccessTokenInput:
    id: strawberry.ID
