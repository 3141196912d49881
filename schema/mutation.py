"""Mutations: each is one call into resolvers/, run as one transaction, wrapped in a payload."""
from typing import Callable

import strawberry
from strawberry.types import Info

from resolvers import accounts, aliases, comments, copies, models, reviews, versions
from resolvers.access import LEVELS
from resolvers.global_ids import pk_of, to_global_id
from resolvers.models import UNCHANGED
from schema.following_mutations import FollowingMutations
from schema.mutation_inputs import (
    CopyModelVersionInput,
    CreateAccessTokenInput,
    CreateCommentInput,
    CreateModelVersionInput,
    CreateRegisteredModelInput,
    CreateTransitionRequestInput,
    DeleteCommentInput,
    DeleteModelAliasInput,
    DeleteModelVersionInput,
    DeleteModelVersionTagInput,
    DeleteRegisteredModelInput,
    DeleteRegisteredModelTagInput,
    RenameRegisteredModelInput,
    ResolveTransitionRequestInput,
    RevokeAccessTokenInput,
    SetModelAliasInput,
    SetModelPermissionInput,
    SetModelVersionTagInput,
    SetRegisteredModelTagInput,
    TransitionModelVersionStageInput,
    UpdateCommentInput,
    UpdateModelVersionInput,
    UpdateRegisteredModelInput,
)
from schema.payloads import (
    CommentPayload,
    CopyModelVersionPayload,
    CreateAccessTokenPayload,
    CreateModelVersionPayload,
    CreateRegisteredModelPayload,
    CreateTransitionRequestPayload,
    DeleteCommentPayload,
    DeleteModelAliasPayload,
    DeleteModelVersionPayload,
    DeleteModelVersionTagPayload,
    DeleteRegisteredModelPayload,
    DeleteRegisteredModelTagPayload,
    RenameRegisteredModelPayload,
    ResolveTransitionRequestPayload,
    RevokeAccessTokenPayload,
    SetModelAliasPayload,
    SetModelPermissionPayload,
    SetModelVersionTagPayload,
    SetRegisteredModelTagPayload,
    TransitionModelVersionStagePayload,
    UpdateModelVersionPayload,
    UpdateRegisteredModelPayload,
    perform,
)
from schema.webhook_mutations import WebhookMutations


def _tags(tags) -> list[tuple[str, str]]:
    return [(t.key, t.value) for t in tags or ()]


def _maybe(value):
    return UNCHANGED if value is strawberry.UNSET else value


@strawberry.type
class Mutation(WebhookMutations, FollowingMutations):
    @strawberry.mutation
    async def create_registered_model(self, info: Info, input: CreateRegisteredModelInput) -> CreateRegisteredModelPayload:
        model, errors = await perform(info, models.create, input.name, input.description, _tags(input.tags))
        return CreateRegisteredModelPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation
    async def update_registered_model(self, info: Info, input: UpdateRegisteredModelInput) -> UpdateRegisteredModelPayload:
        model, errors = await perform(info, models.update, input.name, _maybe(input.description))
        return UpdateRegisteredModelPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation
    async def rename_registered_model(self, info: Info, input: RenameRegisteredModelInput) -> RenameRegisteredModelPayload:
        model, errors = await perform(info, models.rename, input.name, input.new_name)
        return RenameRegisteredModelPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation
    async def delete_registered_model(self, info: Info, input: DeleteRegisteredModelInput) -> DeleteRegisteredModelPayload:
        deleted, errors = await perform(info, models.delete, input.name)
        return DeleteRegisteredModelPayload(
            deleted_registered_model_id=deleted and to_global_id("RegisteredModel", deleted), user_errors=errors)

    @strawberry.mutation
    async def set_registered_model_tag(self, info: Info, input: SetRegisteredModelTagInput) -> SetRegisteredModelTagPayload:
        model, errors = await perform(info, models.set_tag, input.name, input.key, input.value)
        return SetRegisteredModelTagPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation
    async def delete_registered_model_tag(self, info: Info,
                                          input: DeleteRegisteredModelTagInput) -> DeleteRegisteredModelTagPayload:
        model, errors = await perform(info, models.delete_tag, input.name, input.key)
        return DeleteRegisteredModelTagPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation
    async def create_model_version(self, info: Info, input: CreateModelVersionInput) -> CreateModelVersionPayload:
        version, errors = await perform(
            info, versions.create, input.name, input.source, input.run_id, input.run_link, input.description,
            _tags(input.tags), bool(input.create_model_if_missing), input.idempotency_key)
        return CreateModelVersionPayload(model_version=version, user_errors=errors)

    @strawberry.mutation
    async def update_model_version(self, info: Info, input: UpdateModelVersionInput) -> UpdateModelVersionPayload:
        version, errors = await perform(info, versions.update, input.name, input.version,
                                        _maybe(input.description))
        return UpdateModelVersionPayload(model_version=version, user_errors=errors)

    @strawberry.mutation
    async def delete_model_version(self, info: Info, input: DeleteModelVersionInput) -> DeleteModelVersionPayload:
        deleted, errors = await perform(info, versions.delete, input.name, input.version)
        return DeleteModelVersionPayload(
            deleted_model_version_id=deleted and to_global_id("ModelVersion", deleted), user_errors=errors)

    @strawberry.mutation
    async def set_model_version_tag(self, info: Info, input: SetModelVersionTagInput) -> SetModelVersionTagPayload:
        version, errors = await perform(info, versions.set_tag, input.name, input.version, input.key,
                                        input.value)
        return SetModelVersionTagPayload(model_version=version, user_errors=errors)

    @strawberry.mutation
    async def delete_model_version_tag(self, info: Info,
                                       input: DeleteModelVersionTagInput) -> DeleteModelVersionTagPayload:
        version, errors = await perform(info, versions.delete_tag, input.name, input.version, input.key)
        return DeleteModelVersionTagPayload(model_version=version, user_errors=errors)

    @strawberry.mutation
    async def set_model_alias(self, info: Info, input: SetModelAliasInput) -> SetModelAliasPayload:
        result, errors = await perform(info, aliases.set_alias, input.name, input.alias, input.version)
        alias, previous = result or (None, None)
        return SetModelAliasPayload(alias=alias, previous_version=previous, user_errors=errors)

    @strawberry.mutation
    async def delete_model_alias(self, info: Info, input: DeleteModelAliasInput) -> DeleteModelAliasPayload:
        model, errors = await perform(info, aliases.delete_alias, input.name, input.alias)
        return DeleteModelAliasPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation
    async def transition_model_version_stage(
        self, info: Info, input: TransitionModelVersionStageInput
    ) -> TransitionModelVersionStagePayload:
        result, errors = await perform(
            info, versions.transition, input.name, input.version, input.stage.value,
            bool(input.archive_existing_versions), input.comment)
        version, archived = result or (None, [])
        return TransitionModelVersionStagePayload(model_version=version, archived_versions=archived,
                                                  user_errors=errors)

    @strawberry.mutation
    async def copy_model_version(self, info: Info, input: CopyModelVersionInput) -> CopyModelVersionPayload:
        source = input.source
        version, errors = await perform(info, copies.copy, source.name, source.version, source.alias,
                                        input.destination_name, input.aliases, input.idempotency_key)
        return CopyModelVersionPayload(model_version=version, user_errors=errors)

    @strawberry.mutation
    async def create_transition_request(self, info: Info,
                                        input: CreateTransitionRequestInput) -> CreateTransitionRequestPayload:
        request, errors = await perform(info, reviews.create, input.name, input.version, input.stage.value,
                                        bool(input.archive_existing_versions), input.comment)
        return CreateTransitionRequestPayload(transition_request=request, user_errors=errors)

    @strawberry.mutation
    async def approve_transition_request(self, info: Info,
                                         input: ResolveTransitionRequestInput) -> ResolveTransitionRequestPayload:
        return await _resolve(info, reviews.approve, input)

    @strawberry.mutation
    async def reject_transition_request(self, info: Info,
                                        input: ResolveTransitionRequestInput) -> ResolveTransitionRequestPayload:
        return await _resolve(info, reviews.reject, input)

    @strawberry.mutation
    async def cancel_transition_request(self, info: Info,
                                        input: ResolveTransitionRequestInput) -> ResolveTransitionRequestPayload:
        return await _resolve(info, reviews.cancel, input)

    @strawberry.mutation
    async def create_comment(self, info: Info, input: CreateCommentInput) -> CommentPayload:
        comment, errors = await perform(info, comments.create, input.name, input.version, input.body)
        return CommentPayload(comment=comment, user_errors=errors)

    @strawberry.mutation
    async def update_comment(self, info: Info, input: UpdateCommentInput) -> CommentPayload:
        comment, errors = await perform(info, comments.update, pk_of("Comment", input.id), input.body)
        return CommentPayload(comment=comment, user_errors=errors)

    @strawberry.mutation
    async def delete_comment(self, info: Info, input: DeleteCommentInput) -> DeleteCommentPayload:
        deleted, errors = await perform(info, comments.delete, pk_of("Comment", input.id))
        return DeleteCommentPayload(deleted_comment_id=deleted and to_global_id("Comment", deleted),
                                    user_errors=errors)

    @strawberry.mutation
    async def set_model_permission(self, info: Info, input: SetModelPermissionInput) -> SetModelPermissionPayload:
        model, errors = await perform(info, accounts.set_permission, input.name, input.principal,
                                      LEVELS.index(input.level.value))
        return SetModelPermissionPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation
    async def create_access_token(self, info: Info, input: CreateAccessTokenInput) -> CreateAccessTokenPayload:
        result, errors = await perform(info, accounts.create_access_token, input.description, input.lifetime_seconds)
        token, secret = result or (None, None)
        return CreateAccessTokenPayload(token=secret, access_token=token, user_errors=errors)

    @strawberry.mutation
    async def revoke_access_token(self, info: Info, input: RevokeAccessTokenInput) -> RevokeAccessTokenPayload:
        revoked, errors = await perform(info, accounts.revoke_access_token, pk_of("AccessToken", input.id))
        return RevokeAccessTokenPayload(revoked_access_token_id=revoked and to_global_id("AccessToken", revoked),
                                        user_errors=errors)


async def _resolve(info: Info, resolution: Callable, input: ResolveTransitionRequestInput):
    result, errors = await perform(info, resolution, pk_of("TransitionRequest", input.id), input.comment)
    request, version = result or (None, None)
    return ResolveTransitionRequestPayload(transition_request=request, model_version=version, user_errors=errors)
