"""Registered models: create, describe, rename, delete, tag."""
from peewee import IntegrityError

from resolvers import access, following, lookups, validation
from resolvers.changes import Change
from resolvers.errors import RegistryError
from store import writes
from store.queries import model_by_name
from store.tables import ModelVersion, RegisteredModel, RegisteredModelTag

UNCHANGED = object()  # an omitted optional input field: leave the stored value as it is
DELETABLE_STAGES = ("NONE", "ARCHIVED")


def insert_model(change: Change, name: str, description: str | None = None,
                 tag_values: dict[str, str] | None = None) -> tuple[RegisteredModel, bool]:
    """The model named `name`, created when missing; True when this call created it.

    ON CONFLICT DO NOTHING lets concurrent `createModelIfMissing` registrations race
    without failing: the loser simply finds the winner's row.
    """
    inserted = (RegisteredModel
                .insert(name=name, description=description, created_at=change.at, updated_at=change.at,
                        created_by=change.actor)
                .on_conflict_ignore().as_rowcount().execute())
    model = lookups.model(name)
    if inserted:
        if change.actor:  # creators manage what they create, and follow it
            access.grant(model, change.actor, access.CAN_MANAGE)
            following.follow(change.viewer.user_id, model)
        if tag_values:
            writes.insert_many(RegisteredModelTag,
                               [{"model": model.id, "key": k, "value": v} for k, v in tag_values.items()])
        change.record("REGISTERED_MODEL_CREATED", model, description=description, tags=tag_values or {})
    return model, bool(inserted)


def existing_or_new_model(change: Change, name: str) -> tuple[RegisteredModel, bool]:
    """insert_model for a name that mostly exists already (`createModelIfMissing`): looked
    up first, so that a registration does not try an insert on every call."""
    found = model_by_name(name)
    return (found, False) if found is not None else insert_model(change, name)


def already_exists(name: str, *field: str) -> RegistryError:
    return RegistryError("ALREADY_EXISTS", f"Registered model {name!r} already exists.", field)


def create(change: Change, name: str, description: str | None, tags) -> RegisteredModel:
    change.require_signed_in()
    name = validation.model_name(name)
    validation.text(description, "description", "input", "description")
    tag_values = validation.tags(tags, "input", "tags")
    model, created = insert_model(change, name, description, tag_values)
    if not created:
        # Indistinguishable from missing for those who cannot read it, but the name is taken.
        raise already_exists(name, "input", "name")
    return model


def update(change: Change, name: str, description) -> RegisteredModel:
    model = lookups.model(name, lock=True, viewer=change.viewer)
    change.require(model, access.CAN_EDIT, "Editing the description")
    if description is not UNCHANGED:
        validation.text(description, "description", "input", "description")
        before = model.description
        model.description = description
        model.updated_at = change.at
        model.save()
        change.record("REGISTERED_MODEL_UPDATED", model, description={"before": before, "after": description})
    return model


def rename(change: Change, name: str, new_name: str) -> RegisteredModel:
    model = lookups.model(name, lock=True, viewer=change.viewer)
    change.require(model, access.CAN_MANAGE, "Renaming")
    new_name = validation.model_name(new_name, "input", "newName")
    name = model.name
    if new_name == name:
        return model
    if RegisteredModel.select().where(RegisteredModel.name == new_name).exists():
        raise already_exists(new_name, "input", "newName")
    model.name = new_name
    model.updated_at = change.at
    try:
        model.save()
    except IntegrityError:  # a concurrent rename took the name since the check above
        raise already_exists(new_name, "input", "newName") from None
    change.record("REGISTERED_MODEL_RENAMED", model, name={"before": name, "after": new_name})
    return model


def delete(change: Change, name: str) -> int:
    model = lookups.model(name, lock=True, viewer=change.viewer)
    change.require(model, access.CAN_MANAGE, "Deleting")
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
    # Versions, tags, aliases, requests and comments go with it (ON DELETE CASCADE);
    # its activities stay, under the name it had.
    model.delete_instance()
    change.record("REGISTERED_MODEL_DELETED", model)
    return model.id


def set_tag(change: Change, name: str, key: str, value: str) -> RegisteredModel:
    validation.tag_key(key, "input", "key")
    validation.tag_value(value, "input", "value")
    model = lookups.model(name, lock=True, viewer=change.viewer)
    change.require(model, access.CAN_EDIT, "Tagging")
    before = (RegisteredModelTag.select(RegisteredModelTag.value)
              .where((RegisteredModelTag.model == model.id) & (RegisteredModelTag.key == key)).scalar())
    (RegisteredModelTag.insert(model=model.id, key=key, value=value)
     .on_conflict(conflict_target=[RegisteredModelTag.model, RegisteredModelTag.key],
                  update={RegisteredModelTag.value: value})
     .execute())
    lookups.touch(model, change.at)
    change.record("REGISTERED_MODEL_TAG_SET", model, key=key, value={"before": before, "after": value})
    return model


def delete_tag(change: Change, name: str, key: str) -> RegisteredModel:
    model = lookups.model(name, lock=True, viewer=change.viewer)
    change.require(model, access.CAN_EDIT, "Tagging")
    before = (RegisteredModelTag.select(RegisteredModelTag.value)
              .where((RegisteredModelTag.model == model.id) & (RegisteredModelTag.key == key)).scalar())
    if before is not None:
        RegisteredModelTag.delete().where(
            (RegisteredModelTag.model == model.id) & (RegisteredModelTag.key == key)).execute()
        lookups.touch(model, change.at)
        change.record("REGISTERED_MODEL_TAG_DELETED", model, key=key, value={"before": before})
    return model
