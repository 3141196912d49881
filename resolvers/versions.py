"""Model versions: register, describe, delete, tag and move between stages."""
import re

from resolvers import access, lookups, validation
from resolvers.changes import Change
from resolvers.errors import RegistryError, invalid
from resolvers.idempotency import remembered
from resolvers.models import UNCHANGED, existing_or_new_model
from store import writes
from store.queries import versions_by_ids
from store.tables import ModelVersion, ModelVersionTag, RegisteredModel

DELETABLE_STAGES = ("NONE", "ARCHIVED")
ARCHIVING_STAGES = ("STAGING", "PRODUCTION")
MODELS_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:/(?P<version>[0-9]+)|@(?P<alias>[\w\-]+))/?")


def resolve_source(change: Change, source: str, field: tuple = ("input", "source")) -> tuple[str, str]:
    """(source as stored, downloadUri). `models:/NAME@ALIAS` is pinned to `models:/NAME/N`,
    and a `models:/` source downloads from the referenced version's location."""
    validation.source(source, *field)
    if not source.startswith("models:/"):
        return source, source
    match = MODELS_URI.fullmatch(source)
    if match is None:
        raise invalid(f"A models:/ source is models:/NAME/VERSION or models:/NAME@ALIAS; got {source!r}.", *field)
    name = match["name"]
    try:
        if match["alias"]:
            target = lookups.version_by_alias(name, match["alias"], field, field, viewer=change.viewer)
        else:
            target = lookups.version(name, int(match["version"]), field, field, viewer=change.viewer)
    except RegistryError as error:
        raise RegistryError("NOT_FOUND", f"Source {source!r} does not name a registered version: {error.message}",
                            field) from None
    return f"models:/{name}/{target.version}", target.download_uri


def insert_version(change: Change, model: RegisteredModel, *, source, download_uri, run_id=None, run_link=None,
                   description=None, tag_values=None, copied_from=None) -> ModelVersion:
    """The next version of `model` (numbered by writes.take_version_number)."""
    number = writes.take_version_number(model, change.at)
    version = writes.insert_version(model, {
        "model": model.id, "version": number, "source": source, "download_uri": download_uri, "run_id": run_id,
        "run_link": run_link, "description": description, "status": "READY", "status_message": None,
        "stage": "NONE", "created_at": change.at, "updated_at": change.at, "created_by": change.actor,
        "copied_from": copied_from})
    if tag_values:
        writes.insert_many(ModelVersionTag, [{"version": version.id, "key": k, "value": v}
                                             for k, v in tag_values.items()])
    return version


def create(change: Change, name, source, run_id, run_link, description, tags, create_model_if_missing,
           idempotency_key) -> ModelVersion:
    change.require_signed_in()
    name = validation.model_name(name)
    validation.short_text(run_id, "run id", validation.MAX_RUN_ID, "input", "runId")
    validation.text(run_link, "run link", "input", "runLink")
    validation.text(description, "description", "input", "description")
    tag_values = validation.tags(tags, "input", "tags")
    request = {"name": name, "source": source, "runId": run_id, "runLink": run_link,
               "description": description, "tags": tag_values}

    def check() -> tuple[RegisteredModel, str, str]:
        stored_source, download_uri = resolve_source(change, source)
        if create_model_if_missing:
            model, created = existing_or_new_model(change, name)
        else:
            model, created = lookups.model(name, viewer=change.viewer), False
        if not created:
            change.require(model, access.CAN_EDIT, "Registering a version")
        return model, stored_source, download_uri

    def register(checked) -> ModelVersion:
        model, stored_source, download_uri = checked
        version = insert_version(change, model, source=stored_source, download_uri=download_uri, run_id=run_id,
                                 run_link=run_link, description=description, tag_values=tag_values)
        change.record("MODEL_VERSION_CREATED", version.model, version, source=stored_source, runId=run_id,
                      runLink=run_link, description=description, tags=tag_values)
        return version

    return remembered(change, "createModelVersion", idempotency_key, request, check, register)


def update(change: Change, name: str, number: int, description) -> ModelVersion:
    version = lookups.version(name, number, viewer=change.viewer)
    change.require(version.model, access.CAN_EDIT, "Editing the description")
    if description is not UNCHANGED:
        validation.text(description, "description", "input", "description")
        before = version.description
        (ModelVersion.update(description=description, updated_at=change.at)
         .where(ModelVersion.id == version.id).execute())
        version.description, version.updated_at = description, change.at
        lookups.touch(version.model, change.at)
        change.record("MODEL_VERSION_UPDATED", version.model, version,
                      description={"before": before, "after": description})
    return version


def delete(change: Change, name: str, number: int) -> int:
    version = lookups.version(name, number, viewer=change.viewer)
    change.require(version.model, access.CAN_MANAGE, "Deleting a version")
    if version.stage not in DELETABLE_STAGES:
        raise RegistryError(
            "FAILED_PRECONDITION",
            f"Version {number} of {name!r} is in {version.stage}; move it to ARCHIVED or NONE before deleting it.",
            ("input", "version"))
    ModelVersion.delete().where(ModelVersion.id == version.id).execute()
    (RegisteredModel.update(version_count=RegisteredModel.version_count - 1)
     .where(RegisteredModel.id == version.model_id).execute())
    lookups.touch(version.model, change.at)
    change.record("MODEL_VERSION_DELETED", version.model, version, stage=version.stage)
    return version.id


def _tag_value(version: ModelVersion, key: str) -> str | None:
    return (ModelVersionTag.select(ModelVersionTag.value)
            .where((ModelVersionTag.version == version.id) & (ModelVersionTag.key == key)).scalar())


def set_tag(change: Change, name: str, number: int, key: str, value: str) -> ModelVersion:
    validation.tag_key(key, "input", "key")
    validation.tag_value(value, "input", "value")
    version = lookups.version(name, number, viewer=change.viewer)
    change.require(version.model, access.CAN_EDIT, "Tagging")
    before = _tag_value(version, key)
    (ModelVersionTag.insert(version=version.id, key=key, value=value)
     .on_conflict(conflict_target=[ModelVersionTag.version, ModelVersionTag.key],
                  update={ModelVersionTag.value: value})
     .execute())
    _touch_version(change, version)
    change.record("MODEL_VERSION_TAG_SET", version.model, version, key=key, value={"before": before, "after": value})
    return version


def delete_tag(change: Change, name: str, number: int, key: str) -> ModelVersion:
    version = lookups.version(name, number, viewer=change.viewer)
    change.require(version.model, access.CAN_EDIT, "Tagging")
    before = _tag_value(version, key)
    if before is not None:
        ModelVersionTag.delete().where(
            (ModelVersionTag.version == version.id) & (ModelVersionTag.key == key)).execute()
        _touch_version(change, version)
        change.record("MODEL_VERSION_TAG_DELETED", version.model, version, key=key, value={"before": before})
    return version


def _touch_version(change: Change, version: ModelVersion) -> None:
    ModelVersion.update(updated_at=change.at).where(ModelVersion.id == version.id).execute()
    version.updated_at = change.at
    lookups.touch(version.model, change.at)


def check_transition(stage: str, archive_existing: bool, comment: str | None) -> None:
    if stage not in validation.STAGES:
        raise invalid(f"Unknown stage {stage!r}.", "input", "stage")
    if archive_existing and stage not in ARCHIVING_STAGES:
        raise invalid("archiveExistingVersions is only allowed when the target stage is STAGING or PRODUCTION.",
                      "input", "archiveExistingVersions")
    validation.text(comment, "comment", "input", "comment")


def move(change: Change, version: ModelVersion, stage: str, archive_existing: bool, comment: str | None,
         request_id: int | None = None) -> tuple[ModelVersion, list[ModelVersion]]:
    """Move `version` to `stage`; with `archive_existing`, every other version in that
    stage goes to ARCHIVED in the same transaction, at the same instant."""
    archived_ids = []
    if archive_existing:
        archived_ids = [v for (v,) in ModelVersion.select(ModelVersion.id).where(
            (ModelVersion.model == version.model_id) & (ModelVersion.stage == stage)
            & (ModelVersion.id != version.id)).order_by(ModelVersion.version).tuples()]
        if archived_ids:
            (ModelVersion.update(stage="ARCHIVED", updated_at=change.at)
             .where(ModelVersion.id.in_(archived_ids)).execute())
    ModelVersion.update(stage=stage, updated_at=change.at).where(ModelVersion.id == version.id).execute()
    lookups.touch(version.model, change.at)
    change.record("STAGE_TRANSITIONED", version.model, version, from_stage=version.stage, to_stage=stage,
                  comment=comment, request_id=request_id, archiveExistingVersions=archive_existing)
    changed = versions_by_ids([version.id, *archived_ids])
    archived = [changed[i] for i in archived_ids]
    for other in archived:
        change.record("SYSTEM_TRANSITION", other.model, other, from_stage=stage, to_stage="ARCHIVED",
                      request_id=request_id, reason=f"version {version.version} moved to {stage}")
    return changed[version.id], archived


def transition(change: Change, name: str, number: int, stage: str, archive_existing: bool,
               comment: str | None) -> tuple[ModelVersion, list[ModelVersion]]:
    check_transition(stage, archive_existing, comment)
    version = lookups.version(name, number, viewer=change.viewer)
    change.require(version.model, access.transition_level(version.stage, stage),
                   f"Moving a version from {version.stage} to {stage}")
    return move(change, version, stage, archive_existing, comment)
