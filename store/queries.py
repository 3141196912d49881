"""Batched reads: each function is one SQL statement for a whole batch of keys.

Version rows always come with their registered model joined in (`version.model`), so a
version's `name` and `registeredModel` cost nothing more.
"""
import hashlib
from collections import defaultdict
from typing import Iterable

from peewee import Expression, fn

from store.rows import instances
from store.statements import Statement, any_of, is_sqlite, statement
from store.tables import (
    AccessToken,
    Activity,
    Comment,
    GroupMember,
    ModelAlias,
    ModelFollower,
    ModelPermission,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
    TransitionRequest,
    User,
    Webhook,
    WebhookDelivery,
)


def tag_value_is(table, values: list[str]) -> Expression:
    """A tag table's value is one of `values`, in the form its (key, value) index serves:
    on PostgreSQL that index is on md5(value) (migration 0004), so the condition names
    the hash as well as the value."""
    condition = any_of(table.value, values)
    if is_sqlite():
        return condition
    return any_of(fn.md5(table.value), [hashlib.md5(v.encode()).hexdigest() for v in values]) & condition


def version_rows():
    return ModelVersion.select(ModelVersion, RegisteredModel).join(RegisteredModel)


def read_versions(query) -> list[ModelVersion]:
    """The versions a `version_rows()` query finds, each with its model attached."""
    return instances(query, ModelVersion, ModelVersion.model)


def read_models(query) -> list[RegisteredModel]:
    return instances(query, RegisteredModel)


@statement(True)
def _models_by_ids(ids):
    return RegisteredModel.select().where(any_of(RegisteredModel.id, ids))


def models_by_ids(ids: Iterable[int]) -> dict[int, RegisteredModel]:
    return {m.id: m for m in instances(_models_by_ids.execute(ids), RegisteredModel)}


@statement(True)
def _models_by_names(names):
    return RegisteredModel.select().where(any_of(RegisteredModel.name, names))


def models_by_names(names: Iterable[str]) -> dict[str, RegisteredModel]:
    return {m.name: m for m in instances(_models_by_names.execute(names), RegisteredModel)}


@statement(True)
def _models_by_names_locked(names):
    # SQLite has no FOR UPDATE, and needs none: its writers hold the whole database.
    query = _models_by_names.build(names)
    return query if is_sqlite() else query.for_update()


def model_by_name(name: str, lock: bool = False) -> RegisteredModel | None:
    """The model called `name`; with `lock`, its row is locked until the transaction ends
    (so writers of one model on PostgreSQL take turns)."""
    rows = instances((_models_by_names_locked if lock else _models_by_names).execute([name]), RegisteredModel)
    return rows[0] if rows else None


@statement(True)
def _versions_by_ids(ids):
    return version_rows().where(any_of(ModelVersion.id, ids))


def versions_by_ids(ids: Iterable[int]) -> dict[int, ModelVersion]:
    return {v.id: v for v in read_versions(_versions_by_ids.execute(ids))}


@statement(True, True)
def _versions_by_numbers(model_ids, numbers):
    return version_rows().where(any_of(ModelVersion.model, model_ids) & any_of(ModelVersion.version, numbers))


def _by_pairs(query: Statement, read, key_of, value_of=lambda row: row):
    """A lookup by pairs of keys, (a, b) -> row, in one statement: `query` takes every a and
    every b, and what it finds beyond the pairs asked for (their cross product) is left out."""
    def lookup(pairs: Iterable[tuple]) -> dict:
        pairs = list(pairs)
        rows = read(query.execute({a for a, _ in pairs}, {b for _, b in pairs}))
        found = {key_of(row): value_of(row) for row in rows}
        return {pair: found[pair] for pair in pairs if pair in found}
    return lookup


# Versions by (model id, version number).
versions_by_numbers = _by_pairs(_versions_by_numbers, read_versions, lambda v: (v.model_id, v.version))


def _tags_by_owner(table, owner):
    @statement(True)
    def tags(owner_ids):
        return table.select().where(any_of(owner, owner_ids)).order_by(table.key)

    def by_owner(owner_ids: Iterable[int]) -> dict[int, list]:
        grouped = defaultdict(list)
        for tag in instances(tags.execute(owner_ids), table):
            grouped[getattr(tag, owner.column_name)].append(tag)
        return grouped
    return by_owner


model_tags = _tags_by_owner(RegisteredModelTag, RegisteredModelTag.model)
version_tags = _tags_by_owner(ModelVersionTag, ModelVersionTag.version)


def _alias_rows():
    """Aliases with the version each points at, and that version's model."""
    return (ModelAlias.select(ModelAlias, ModelVersion, RegisteredModel)
            .join(ModelVersion, on=(ModelAlias.version == ModelVersion.id))
            .join(RegisteredModel, on=(ModelVersion.model == RegisteredModel.id)))


def _read_aliases(rows) -> list[ModelAlias]:
    return instances(rows, ModelAlias, ModelAlias.version, ModelVersion.model)


@statement(True)
def _aliases_by_model(model_ids):
    return _alias_rows().where(any_of(ModelAlias.model, model_ids)).order_by(ModelAlias.alias)


def aliases_by_model(model_ids: Iterable[int]) -> dict[int, list[ModelAlias]]:
    grouped = defaultdict(list)
    for alias in _read_aliases(_aliases_by_model.execute(model_ids)):
        grouped[alias.model_id].append(alias)
    return grouped


@statement(True)
def _aliases_by_version(version_ids):
    return (ModelAlias.select(ModelAlias.version, ModelAlias.alias)
            .where(any_of(ModelAlias.version, version_ids))
            .order_by(ModelAlias.alias))


def aliases_by_version(version_ids: Iterable[int]) -> dict[int, list[str]]:
    grouped = defaultdict(list)
    for version_id, alias in _aliases_by_version.execute(version_ids).fetchall():
        grouped[version_id].append(alias)
    return grouped


@statement(True, True)
def _versions_by_alias(model_ids, aliases):
    return _alias_rows().where(any_of(ModelAlias.model, model_ids) & any_of(ModelAlias.alias, aliases))


# Versions by (model id, alias).
versions_by_alias = _by_pairs(_versions_by_alias, _read_aliases, lambda a: (a.model_id, a.alias),
                              lambda a: a.version)


@statement(True, True)
def _versions_by_name_and_alias(names, aliases):
    return _alias_rows().where(any_of(RegisteredModel.name, names) & any_of(ModelAlias.alias, aliases))


# Versions by (model name, alias), found from the name in the same statement.
versions_by_name_and_alias = _by_pairs(_versions_by_name_and_alias, _read_aliases,
                                       lambda a: (a.version.model.name, a.alias), lambda a: a.version)


@statement(True, True)
def _versions_by_name_and_number(names, numbers):
    return version_rows().where(any_of(RegisteredModel.name, names) & any_of(ModelVersion.version, numbers))


# Versions by (model name, version number), found from the name in the same statement.
versions_by_name_and_number = _by_pairs(_versions_by_name_and_number, read_versions,
                                        lambda v: (v.model.name, v.version))


@statement(True, True)
def _latest_versions(model_ids, stages):
    newest = (ModelVersion.select(ModelVersion.model, fn.MAX(ModelVersion.version).alias("top"))
              .where(any_of(ModelVersion.model, model_ids) & any_of(ModelVersion.stage, stages))
              .group_by(ModelVersion.model, ModelVersion.stage)
              .alias("newest"))
    return (version_rows().switch(ModelVersion)
            .join(newest, on=((ModelVersion.model == newest.c.model_id) & (ModelVersion.version == newest.c.top)))
            .order_by(ModelVersion.model, ModelVersion.version))


def latest_versions(model_ids: Iterable[int], stages: Iterable[str]) -> dict[int, list[ModelVersion]]:
    """The highest-numbered version in each of `stages`, per model, by version number."""
    grouped = defaultdict(list)
    for version in read_versions(_latest_versions.execute(model_ids, stages)):
        grouped[version.model_id].append(version)
    return grouped


@statement(True)
def _highest_versions(model_ids):
    newest = (ModelVersion.select(ModelVersion.model, fn.MAX(ModelVersion.version).alias("top"))
              .where(any_of(ModelVersion.model, model_ids))
              .group_by(ModelVersion.model)
              .alias("newest"))
    return (version_rows().switch(ModelVersion)
            .join(newest, on=((ModelVersion.model == newest.c.model_id) & (ModelVersion.version == newest.c.top))))


def highest_versions(model_ids: Iterable[int]) -> dict[int, ModelVersion]:
    """The highest-numbered live version of each model (the reserved alias `latest`)."""
    return {v.model_id: v for v in read_versions(_highest_versions.execute(model_ids))}


def _by_ids(table):
    @statement(True)
    def rows(ids):
        return table.select().where(any_of(table.id, ids))

    return lambda ids: {row.id: row for row in instances(rows.execute(ids), table)}


requests_by_ids = _by_ids(TransitionRequest)
comments_by_ids = _by_ids(Comment)
activities_by_ids = _by_ids(Activity)
users_by_ids = _by_ids(User)
tokens_by_ids = _by_ids(AccessToken)
webhooks_by_ids = _by_ids(Webhook)
deliveries_by_ids = _by_ids(WebhookDelivery)


@statement(True)
def _webhooks_by_models(model_ids):
    return Webhook.select().where(any_of(Webhook.model, model_ids)).order_by(Webhook.id)


def webhooks_by_models(model_ids: Iterable[int]) -> dict[int, list[Webhook]]:
    grouped = defaultdict(list)
    for webhook in instances(_webhooks_by_models.execute(model_ids), Webhook):
        grouped[webhook.model_id].append(webhook)
    return grouped


def add_follower(model_id: int, user_id: int) -> None:
    ModelFollower.insert(model=model_id, user=user_id).on_conflict_ignore().execute()


def remove_follower(model_id: int, user_id: int) -> None:
    ModelFollower.delete().where((ModelFollower.model == model_id) & (ModelFollower.user == user_id)).execute()


@statement(True, False)
def _followed(model_ids, user_id):
    return ModelFollower.select(ModelFollower.model).where(any_of(ModelFollower.model, model_ids)
                                                           & (ModelFollower.user == user_id))


def followed(model_ids: Iterable[int], user_id: int) -> dict[int, bool]:
    """Which of the models the user follows."""
    model_ids = list(model_ids)
    found = {model_id for (model_id,) in _followed.execute(model_ids, user_id).fetchall()}
    return {model_id: model_id in found for model_id in model_ids}


def set_email(user_id: int, email: str | None) -> None:
    User.update(email=email).where(User.id == user_id).execute()


@statement(True)
def _users_by_names(names):
    return User.select().where(any_of(User.name, names))


def users_by_names(names: Iterable[str]) -> dict[str, User]:
    return {user.name: user for user in instances(_users_by_names.execute(names), User)}


@statement(True)
def _groups_by_user(user_ids):
    return (GroupMember.select(GroupMember.user, GroupMember.group).where(any_of(GroupMember.user, user_ids))
            .order_by(GroupMember.group))


def groups_by_user(user_ids: Iterable[int]) -> dict[int, list[str]]:
    grouped = defaultdict(list)
    for user_id, group in _groups_by_user.execute(user_ids).fetchall():
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
