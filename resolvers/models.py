"""Registered models: create, describe, rename, delete, tag."""
from peewee import IntegrityError

from resolvers import lookups, validation
from resolvers.errors import RegistryError
from store.database import now_ms
from store.tables import ModelVersion, RegisteredModel, RegisteredModelTag

UNCHANGED = object()  # an omitted optional input field: leave the stored value as it is
DELETABLE_STAGES = ("NONE", "ARCHIVED")


def insert_model(viewer: str | None, name: str, description: str | None = None) -> tuple[RegisteredModel, bool]:
    """The model named `name`, created when missing; True when this call created it.

    ON CONFLICT DO NOTHING lets concurrent `createModelIfMissing` registrations race
    without failing: the loser simply finds the winner's row.
    """
    at = now_ms()
    inserted = (RegisteredModel
                .insert(name=name, description=description, created_at=at, updated_at=at, created_by=viewer)
                .on_conflict_ignore().as_rowcount().execute())
    return lookups.model(name), bool(inserted)


def create(viewer: str | None, name: str, description: str | None, tags) -> RegisteredModel:
    validation.model_name(name)
    validation.text(description, "description", "input", "description")
    tag_values = validation.tags(tags, "input", "tags")
    model, created = insert_model(viewer, name, description)
    if not created:
        raise RegistryError("ALREADY_EXISTS", f"Registered model {name!r} already exists.", ("input", "name"))
    _set_tags(model.id, tag_values)
    return model


def _set_tags(model_id: int, tag_values: dict[str, str]) -> None:
    if tag_values:
        RegisteredModelTag.insert_many(
            [{"model": model_id, "key": k, "value": v} for k, v in tag_values.items()]).execute()


def update(viewer: str | None, name: str, description) -> RegisteredModel:
    model = lookups.model(name, lock=True)
    if description is not UNCHANGED:
        validation.text(description, "description", "input", "description")
        model.description = description
        model.updated_at = now_ms()
        model.save()
    return model


def rename(viewer: str | None, name: str, new_name: str) -> RegisteredModel:
    model = lookups.model(name, lock=True)
    validation.model_name(new_name, "input", "newName")
    if new_name == name:
        return model
    if RegisteredModel.select().where(RegisteredModel.name == new_name).exists():
        raise RegistryError("ALREADY_EXISTS", f"Registered model {new_name!r} already exists.", ("input", "newName"))
    model.name = new_name
    model.updated_at = now_ms()
    try:
        model.save()
    except IntegrityError:
        raise RegistryError("ALREADY_EXISTS", f"Registered model {new_name!r} already exists.",
                            ("input", "newName")) from None
    return model


def delete(viewer: str | None, name: str) -> int:
    model = lookups.model(name, lock=True)
    live = (ModelVersion.select(ModelVersion.version, ModelVersion.stage)
            .where((ModelVersion.model == model.id) & ModelVersion.stage.not_in(DELETABLE_STAGES))
            .order_by(ModelVersion.version).limit(5).tuples())
    blocking = [f"version {v} is in {stage}" for v, stage in live]
    if blocking:
        raise RegistryError(
            "FAILED_PRECONDITION",
            f"Model {name!r} has versions in STAGING or PRODUCTION ({', '.join(blocking)}); "
            "archive them before deleting the model.",
            ("input", "name"))
    model.delete_instance()  # versions, tags, aliases and keys go with it (ON DELETE CASCADE)
    return model.id


def set_tag(viewer: str | None, name: str, key: str, value: str) -> RegisteredModel:
    validation.tag_key(key, "input", "key")
    validation.tag_value(value, "input", "value")
    model = lookups.model(name, lock=True)
    (RegisteredModelTag.insert(model=model.id, key=key, value=value)
     .on_conflict(conflict_target=[RegisteredModelTag.model, RegisteredModelTag.key],
                  update={RegisteredModelTag.value: value})
     .execute())
    lookups.touch(model, now_ms())
    return model


def delete_tag(viewer: str | None, name: str, key: str) -> RegisteredModel:
    model = lookups.model(name, lock=True)
    deleted = (RegisteredModelTag.delete()
               .where((RegisteredModelTag.model == model.id) & (RegisteredModelTag.key == key)).execute())
    if deleted:
        lookups.touch(model, now_ms())
    return model
