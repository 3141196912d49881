"""Aliases: named, movable pointers to versions (`champion` -> version 7)."""
from resolvers import lookups, validation
from store.database import now_ms
from store.queries import versions_by_ids
from store.tables import ModelAlias, ModelVersion, RegisteredModel


def point(model: RegisteredModel, alias: str, version: ModelVersion) -> ModelVersion | None:
    """Upsert `alias` onto `version`; returns the version it pointed at before, if it moved."""
    existing = ModelAlias.get_or_none((ModelAlias.model == model.id) & (ModelAlias.alias == alias))
    if existing is None:
        ModelAlias.insert(model=model.id, alias=alias, version=version.id).execute()
        return None
    if existing.version_id == version.id:
        return None
    ModelAlias.update(version=version.id).where(ModelAlias.id == existing.id).execute()
    return versions_by_ids([existing.version_id])[existing.version_id]


def set_alias(viewer, name: str, alias: str, number: int) -> tuple[ModelAlias, ModelVersion | None]:
    validation.alias(alias, "input", "alias")
    version = lookups.version(name, number)
    previous = point(version.model, alias, version)
    lookups.touch(version.model, now_ms())
    row = ModelAlias(model=version.model_id, alias=alias, version=version)
    return row, previous


def delete_alias(viewer, name: str, alias: str) -> RegisteredModel:
    """Deleting an alias that does not exist succeeds, as long as the model does."""
    model = lookups.model(name, lock=True)
    deleted = ModelAlias.delete().where((ModelAlias.model == model.id) & (ModelAlias.alias == alias)).execute()
    if deleted:
        lookups.touch(model, now_ms())
    return model
