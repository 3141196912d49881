"""Batched reads: each function is one SQL statement for a whole batch of keys.

Version rows always come with their registered model joined in (`version.model`), so a
version's `name` and `registeredModel` cost nothing more.
"""
import json
from collections import defaultdict
from typing import Any, Iterable

from peewee import SQL, Expression, SqliteDatabase, Value, fn

from store.rows import instances
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


def any_of(column, values: Iterable) -> Expression:
    """`column IN values`, with all the values in one bound parameter (a JSON array on
    SQLite, an array on PostgreSQL): the SQL text stays the same whatever the count, so
    peewee builds it in a fraction of the time and the driver reuses the prepared
    statement."""
    values = list(values)
    if not values:
        return SQL("1 = 0")
    database = column.model._meta.database
    if isinstance(getattr(database, "obj", database), SqliteDatabase):
        return column.in_(SQL("(SELECT value FROM json_each(?))", [json.dumps(values)]))
    # As is: the column's converter would turn the whole list into one string.
    return column == fn.ANY(Value(values, converter=_as_is, unpack=False))


def _as_is(value):
    return value


def version_rows():
    return ModelVersion.select(ModelVersion, RegisteredModel).join(RegisteredModel)


def read_versions(query) -> list[ModelVersion]:
    """The versions a `version_rows()` query finds, each with its model attached."""
    return instances(query, ModelVersion, ModelVersion.model)


def read_models(query) -> list[RegisteredModel]:
    return instances(query, RegisteredModel)


def models_by_ids(ids: Iterable[int]) -> dict[int, RegisteredModel]:
    return {m.id: m for m in read_models(RegisteredModel.select().where(any_of(RegisteredModel.id, ids)))}


def models_by_names(names: Iterable[str]) -> dict[str, RegisteredModel]:
    return {m.name: m for m in read_models(RegisteredModel.select().where(any_of(RegisteredModel.name, names)))}


def versions_by_ids(ids: Iterable[int]) -> dict[int, ModelVersion]:
    return {v.id: v for v in read_versions(version_rows().where(any_of(ModelVersion.id, ids)))}


def versions_by_numbers(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], ModelVersion]:
    """Versions by (model id, version number)."""
    pairs = list(pairs)
    wanted = any_of(ModelVersion.model, {m for m, _ in pairs}) & any_of(ModelVersion.version, {v for _, v in pairs})
    found = {(v.model_id, v.version): v for v in read_versions(version_rows().where(wanted))}
    return {pair: found[pair] for pair in pairs if pair in found}


def _tags_by_owner(table, owner, owner_ids: Iterable[int]) -> dict[int, list]:
    grouped = defaultdict(list)
    for tag in instances(table.select().where(any_of(owner, owner_ids)).order_by(table.key), table):
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


def _read_aliases(query) -> list[ModelAlias]:
    return instances(query, ModelAlias, ModelAlias.version, ModelVersion.model)


def aliases_by_model(model_ids: Iterable[int]) -> dict[int, list[ModelAlias]]:
    grouped = defaultdict(list)
    for alias in _read_aliases(_alias_rows().where(any_of(ModelAlias.model, model_ids)).order_by(ModelAlias.alias)):
        grouped[alias.model_id].append(alias)
    return grouped


def aliases_by_version(version_ids: Iterable[int]) -> dict[int, list[str]]:
    grouped = defaultdict(list)
    query = (ModelAlias.select(ModelAlias.version, ModelAlias.alias)
             .where(any_of(ModelAlias.version, version_ids))
             .order_by(ModelAlias.alias).tuples())
    for version_id, alias in query:
        grouped[version_id].append(alias)
    return grouped


def versions_by_alias(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], ModelVersion]:
    """Versions by (model id, alias)."""
    pairs = list(pairs)
    query = _alias_rows().where(
        any_of(ModelAlias.model, {m for m, _ in pairs}) & any_of(ModelAlias.alias, {a for _, a in pairs}))
    found = {(a.model_id, a.alias): a.version for a in _read_aliases(query)}
    return {pair: found[pair] for pair in pairs if pair in found}


def latest_versions(model_ids: Iterable[int], stages: Iterable[str]) -> dict[int, list[ModelVersion]]:
    """The highest-numbered version in each of `stages`, per model, by version number."""
    newest = (ModelVersion.select(ModelVersion.model, fn.MAX(ModelVersion.version).alias("top"))
              .where(any_of(ModelVersion.model, model_ids) & any_of(ModelVersion.stage, stages))
              .group_by(ModelVersion.model, ModelVersion.stage)
              .alias("newest"))
    query = (version_rows().switch(ModelVersion)
             .join(newest, on=((ModelVersion.model == newest.c.model_id) & (ModelVersion.version == newest.c.top)))
             .order_by(ModelVersion.model, ModelVersion.version))
    grouped = defaultdict(list)
    for version in read_versions(query):
        grouped[version.model_id].append(version)
    return grouped


def highest_versions(model_ids: Iterable[int]) -> dict[int, ModelVersion]:
    """The highest-numbered live version of each model (the reserved alias `latest`)."""
    newest = (ModelVersion.select(ModelVersion.model, fn.MAX(ModelVersion.version).alias("top"))
              .where(any_of(ModelVersion.model, model_ids))
              .group_by(ModelVersion.model)
              .alias("newest"))
    query = (version_rows().switch(ModelVersion)
             .join(newest, on=((ModelVersion.model == newest.c.model_id) & (ModelVersion.version == newest.c.top))))
    return {v.model_id: v for v in read_versions(query)}


def _by_ids(table, ids: Iterable[int]) -> dict[int, Any]:
    return {row.id: row for row in table.select().where(any_of(table.id, ids))}


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
    query = (GroupMember.select(GroupMember.user, GroupMember.group).where(any_of(GroupMember.user, user_ids))
             .order_by(GroupMember.group).tuples())
    for user_id, group in query:
        grouped[user_id].append(group)
    return grouped


def _requests_by(owner, owner_ids: list[int], status: str | None) -> dict[int, list[TransitionRequest]]:
    """Newest first, optionally of one status."""
    condition = any_of(owner, owner_ids)
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
    for comment in Comment.select().where(any_of(Comment.version, version_ids)).order_by(Comment.id):
        grouped[comment.version_id].append(comment)
    return grouped


def permissions_by_model(model_ids: Iterable[int]) -> dict[int, list[ModelPermission]]:
    grouped = defaultdict(list)
    query = (ModelPermission.select().where(any_of(ModelPermission.model, model_ids))
             .order_by(ModelPermission.principal))
    for grant in query:
        grouped[grant.model_id].append(grant)
    return grouped
