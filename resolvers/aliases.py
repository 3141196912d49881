"""Aliases: named, movable pointers to versions (`champion` -> version 7)."""
from resolvers import access, lookups, validation
from resolvers.changes import Change
from store.queries import versions_by_ids
from store.tables import ModelAlias, ModelVersion, RegisteredModel


def point(change: Change, model: RegisteredModel, alias: str, version: ModelVersion) -> ModelVersion | None:
    """Upsert `alias` onto `version`; returns the version it pointed at before, if it moved."""
    existing = ModelAlias.get_or_none((ModelAlias.model == model.id) & (ModelAlias.alias == alias))
    previous = None
    if existing is None:
        ModelAlias.insert(model=model.id, alias=alias, version=version.id).execute()
    elif existing.version_id != version.id:
        ModelAlias.update(version=version.id).where(ModelAlias.id == existing.id).execute()
        previous = versions_by_ids([existing.version_id])[existing.version_id]
    change.record("ALIAS_SET", model, version, alias=alias,
                  previousVersion=previous.version if previous else None)
    return previous


def set_alias(change: Change, name: str, alias: str, number: int) -> tuple[ModelAlias, ModelVersion | None]:
    validation.alias(alias, "input", "alias")
    version = lookups.version(name, number, viewer=change.viewer)
    change.require(version.model, access.CAN_MANAGE_PRODUCTION, "Setting an alias")
    previous = point(change, version.model, alias, version)
    lookups.touch(version.model, change.at)
    return ModelAlias(model=version.model_id, alias=alias, version=version), previous


def delete_alias(change: Change, name: str, alias: str) -> RegisteredModel:
    """Deleting an alias that does not exist succeeds, as long as the model does."""
    model = lookups.model(name, lock=True, viewer=change.viewer)
    change.require(model, access.CAN_MANAGE_PRODUCTION, "Deleting an alias")
    existing = ModelAlias.get_or_none((ModelAlias.model == model.id) & (ModelAlias.alias == alias))
    if existing is not None:
        ModelAlias.delete().where(ModelAlias.id == existing.id).execute()
        lookups.touch(model, change.at)
        version = versions_by_ids([existing.version_id])[existing.version_id]
        change.record("ALIAS_DELETED", model, version, alias=alias)
    return model
