"""Batched reads: each function is one SQL statement for a whole batch of keys.

Version rows always come with their registered model joined in (`version.model`), so a
version's `name` and `registeredModel` cost nothing more.
"""
from collections import defaultdict
from typing import Any, Iterable

from peewee import fn

from store.tables import (
    AccessToken,
    Activity,
    Comment,
    GroupMember,
    ModelAlias,
    ModelPermission,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
    TransitionRequest,
    User,
)


def version_rows():
    return ModelVersion.select(ModelVersion, RegisteredModel).join(RegisteredModel)


def models_by_ids(ids: Iterable[int]) -> dict[int, RegisteredModel]:
    return {m.id: m for m in RegisteredModel.select().where(RegisteredModel.id.in_(list(ids)))}


def models_by_names(names: Iterable[str]) -> dict[str, RegisteredModel]:
    return {m.name: m for m in RegisteredModel.select().where(RegisteredModel.name.in_(list(names)))}


def versions_by_ids(ids: Iterable[int]) -> dict[int, ModelVersion]:
    return {v.id: v for v in version_rows().where(ModelVersion.id.in_(list(ids)))}


def versions_by_numbers(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], ModelVersion]:
    """Versions by (model id, version number)."""
    pairs = list(pairs)
    wanted = ModelVersion.model.in_({m for m, _ in pairs}) & ModelVersion.version.in_({v for _, v in pairs})
    found = {(v.model_id, v.version): v for v in version_rows().where(wanted)}
    return {pair: found[pair] for pair in pairs if pair in found}


def _tags_by_owner(table, owner, owner_ids: Iterable[int]) -> dict[int, list]:
    grouped = defaultdict(list)
    for tag in table.select().where(owner.in_(list(owner_ids))).order_by(table.key):
        grouped[getattr(tag, owner.column_name)].append(tag)
    return grouped


def model_tags(model_ids: Iterable[int]) -> dict[int, list[RegisteredModelTag]]:
    return _tags_by_owner(RegisteredModelTag, RegisteredModelTag.model, model_ids)


def version_tags(version_ids: Iterable[int]) -> dict[int, list[ModelVersionTag]]:
    return _tags_by_owner(ModelVersionTag, ModelVersionTag.version, version_ids)


def _alias_rows():
    """Aliases with the version each points at, and that version's model."""
    return (ModelAlias.select(ModelAlias, ModelVersion, RegisteredModel)
            .join(ModelVersion, on=(ModelAlias.version == ModelVersion.id))
            .join(RegisteredModel, on=(ModelVersion.model == RegisteredModel.id)))


def aliases_by_model(model_ids: Iterable[int]) -> dict[int, list[ModelAlias]]:
    grouped = defaultdict(list)
    for alias in _alias_rows().where(ModelAlias.model.in_(list(model_ids))).order_by(ModelAlias.alias):
        grouped[alias.model_id].append(alias)
    return grouped


def aliases_by_version(version_ids: Iterable[int]) -> dict[int, list[str]]:
    grouped = defaultdict(list)
    query = (ModelAlias.select(ModelAlias.version, ModelAlias.alias)
             .where(ModelAlias.version.in_(list(version_ids)))
             .order_by(ModelAlias.alias).tuples())
    for version_id, alias in query:
        grouped[version_id].append(alias)
    return grouped


def versions_by_alias(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], ModelVersion]:
    """Versions by (model id, alias)."""
    pairs = list(pairs)
    query = _alias_rows().where(
        ModelAlias.model.in_({m for m, _ in pairs}) & ModelAlias.alias.in_({a for _, a in pairs}))
    found = {(a.model_id, a.alias): a.version for a in query}
    return {pair: found[pair] for pair in pairs if pair in found}


def latest_versions(model_ids: Iterable[int], stages: Iterable[str]) -> dict[int, list[ModelVersion]]:
    """The highest-numbered version in each of `stages`, per model, by version number."""
    newest = (ModelVersion.select(ModelVersion.model, fn.MAX(ModelVersion.version).alias("top"))
              .where(ModelVersion.model.in_(list(model_ids)) & ModelVersion.stage.in_(list(stages)))
              .group_by(ModelVersion.model, ModelVersion.stage)
              .alias("newest"))
    query = (version_rows().switch(ModelVersion)
             .join(newest, on=((ModelVersion.model == newest.c.model_id) & (ModelVersion.version == newest.c.top)))
             .order_by(ModelVersion.model, ModelVersion.version))
    grouped = defaultdict(list)
    for version in query:
        grouped[version.model_id].append(version)
    return grouped


def highest_versions(model_ids: Iterable[int]) -> dict[int, ModelVersion]:
    """The highest-numbered live version of each model (the reserved alias `latest`)."""
    newest = (ModelVersion.select(ModelVersion.model, fn.MAX(ModelVersion.version).alias("top"))
              .where(ModelVersion.model.in_(list(model_ids)))
              .group_by(ModelVersion.model)
              .alias("newest"))
    query = (version_rows().switch(ModelVersion)
             .join(newest, on=((ModelVersion.model == newest.c.model_id) & (ModelVersion.version == newest.c.top))))
    return {v.model_id: v for v in query}


def _by_ids(table, ids: Iterable[int]) -> dict[int, Any]:
    return {row.id: row for row in table.select().where(table.id.in_(list(ids)))}


def requests_by_ids(ids: Iterable[int]) -> dict[int, TransitionRequest]:
    return _by_ids(TransitionRequest, ids)


def comments_by_ids(ids: Iterable[int]) -> dict[int, Comment]:
    return _by_ids(Comment, ids)


def activities_by_ids(ids: Iterable[int]) -> dict[int, Activity]:
    return _by_ids(Activity, ids)


def users_by_ids(ids: Iterable[int]) -> dict[int, User]:
    return _by_ids(User, ids)


def tokens_by_ids(ids: Iterable[int]) -> dict[int, AccessToken]:
    return _by_ids(AccessToken, ids)


def groups_by_user(user_ids: Iterable[int]) -> dict[int, list[str]]:
    grouped = defaultdict(list)
    query = (GroupMember.select(GroupMember.user, GroupMember.group).where(GroupMember.user.in_(list(user_ids)))
             .order_by(GroupMember.group).tuples())
    for user_id, group in query:
        grouped[user_id].append(group)
    return grouped


def _requests_by(owner, owner_ids: list[int], status: str | None) -> dict[int, list[TransitionRequest]]:
    """Newest first, optionally of one status."""
    condition = owner.in_(owner_ids)
    if status is not None:
        condition &= TransitionRequest.status == status
    grouped = defaultdict(list)
    for request in TransitionRequest.select().where(condition).order_by(TransitionRequest.id.desc()):
        grouped[getattr(request, owner.column_name)].append(request)
    return grouped


def requests_by_version(version_ids: list[int], status: str | None) -> dict[int, list[TransitionRequest]]:
    return _requests_by(TransitionRequest.version, version_ids, status)


def requests_by_model(model_ids: list[int], status: str | None) -> dict[int, list[TransitionRequest]]:
    return _requests_by(TransitionRequest.model, model_ids, status)


def comments_by_version(version_ids: Iterable[int]) -> dict[int, list[Comment]]:
    """Oldest first: a discussion reads downwards."""
    grouped = defaultdict(list)
    for comment in Comment.select().where(Comment.version.in_(list(version_ids))).order_by(Comment.id):
        grouped[comment.version_id].append(comment)
    return grouped


def permissions_by_model(model_ids: Iterable[int]) -> dict[int, list[ModelPermission]]:
    grouped = defaultdict(list)
    query = (ModelPermission.select().where(ModelPermission.model.in_(list(model_ids)))
             .order_by(ModelPermission.principal))
    for grant in query:
        grouped[grant.model_id].append(grant)
    return grouped
