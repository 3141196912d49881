"""Model versions: register, describe, delete, tag and move between stages."""
import re

from resolvers import lookups, validation
from resolvers.errors import RegistryError, invalid
from resolvers.idempotency import remembered
from resolvers.models import UNCHANGED, insert_model
from store.database import now_ms
from store.queries import versions_by_ids
from store.tables import ModelVersion, ModelVersionTag, RegisteredModel

DELETABLE_STAGES = ("NONE", "ARCHIVED")
ARCHIVING_STAGES = ("STAGING", "PRODUCTION")
MODELS_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:/(?P<version>[0-9]+)|@(?P<alias>[\w\-]+))/?")


def resolve_source(source: str, field: tuple = ("input", "source")) -> tuple[str, str]:
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
            target = lookups.version_by_alias(name, match["alias"], field, field)
        else:
            target = lookups.version(name, int(match["version"]), field, field)
    except RegistryError as error:
        raise RegistryError("NOT_FOUND", f"Source {source!r} does not name a registered version: {error.message}",
                            field) from None
    return f"models:/{name}/{target.version}", target.download_uri


def insert_version(viewer, model: RegisteredModel, *, source, download_uri, run_id=None, run_link=None,
                   description=None, tag_values=None, copied_from=None) -> ModelVersion:
    """The next version of `model`. The counter's row lock (or SQLite's write lock) gives
    concurrent registrations distinct, consecutive numbers, with no retry needed."""
    at = now_ms()
    (RegisteredModel.update(last_version=RegisteredModel.last_version + 1, updated_at=at)
     .where(RegisteredModel.id == model.id).execute())
    number = RegisteredModel.select(RegisteredModel.last_version).where(RegisteredModel.id == model.id).scalar()
    version_id = ModelVersion.insert(
        model=model.id, version=number, source=source, download_uri=download_uri, run_id=run_id,
        run_link=run_link, description=description, status="READY", stage="NONE", created_at=at,
        updated_at=at, created_by=viewer, copied_from=copied_from).execute()
    if tag_values:
        ModelVersionTag.insert_many(
            [{"version": version_id, "key": k, "value": v} for k, v in tag_values.items()]).execute()
    return versions_by_ids([version_id])[version_id]


def create(viewer, name, source, run_id, run_link, description, tags, create_model_if_missing,
           idempotency_key) -> ModelVersion:
    validation.model_name(name)
    validation.short_text(run_id, "run id", validation.MAX_RUN_ID, "input", "runId")
    validation.text(run_link, "run link", "input", "runLink")
    validation.text(description, "description", "input", "description")
    tag_values = validation.tags(tags, "input", "tags")
    request = {"name": name, "source": source, "runId": run_id, "runLink": run_link,
               "description": description, "tags": tag_values}

    def register() -> ModelVersion:
        stored_source, download_uri = resolve_source(source)
        if create_model_if_missing:
            model, _ = insert_model(viewer, name)
        else:
            model = lookups.model(name)
        return insert_version(viewer, model, source=stored_source, download_uri=download_uri, run_id=run_id,
                              run_link=run_link, description=description, tag_values=tag_values)

    return remembered("createModelVersion", idempotency_key, request, register)


def update(viewer, name: str, number: int, description) -> ModelVersion:
    version = lookups.version(name, number)
    if description is not UNCHANGED:
        validation.text(description, "description", "input", "description")
        at = now_ms()
        (ModelVersion.update(description=description, updated_at=at)
         .where(ModelVersion.id == version.id).execute())
        version.description, version.updated_at = description, at
        lookups.touch(version.model, at)
    return version


def delete(viewer, name: str, number: int) -> int:
    version = lookups.version(name, number)
    if version.stage not in DELETABLE_STAGES:
        raise RegistryError(
            "FAILED_PRECONDITION",
            f"Version {number} of {name!r} is in {version.stage}; move it to ARCHIVED or NONE before deleting it.",
            ("input", "version"))
    ModelVersion.delete().where(ModelVersion.id == version.id).execute()
    lookups.touch(version.model, now_ms())
    return version.id


def set_tag(viewer, name: str, number: int, key: str, value: str) -> ModelVersion:
    validation.tag_key(key, "input", "key")
    validation.tag_value(value, "input", "value")
    version = lookups.version(name, number)
    (ModelVersionTag.insert(version=version.id, key=key, value=value)
     .on_conflict(conflict_target=[ModelVersionTag.version, ModelVersionTag.key],
                  update={ModelVersionTag.value: value})
     .execute())
    _touch_version(version)
    return version


def delete_tag(viewer, name: str, number: int, key: str) -> ModelVersion:
    version = lookups.version(name, number)
    deleted = (ModelVersionTag.delete()
               .where((ModelVersionTag.version == version.id) & (ModelVersionTag.key == key)).execute())
    if deleted:
        _touch_version(version)
    return version


def _touch_version(version: ModelVersion) -> None:
    at = now_ms()
    ModelVersion.update(updated_at=at).where(ModelVersion.id == version.id).execute()
    version.updated_at = at
    lookups.touch(version.model, at)


def transition(viewer, name: str, number: int, stage: str, archive_existing: bool,
               comment: str | None) -> tuple[ModelVersion, list[ModelVersion]]:
    """Move a version to `stage`; with `archive_existing`, every other version in that
    stage goes to ARCHIVED in the same transaction, with the same timestamp."""
    if stage not in validation.STAGES:
        raise invalid(f"Unknown stage {stage!r}.", "input", "stage")
    if archive_existing and stage not in ARCHIVING_STAGES:
        raise invalid("archiveExistingVersions is only allowed when the target stage is STAGING or PRODUCTION.",
                      "input", "archiveExistingVersions")
    validation.text(comment, "comment", "input", "comment")
    version = lookups.version(name, number)
    at = now_ms()
    archived_ids = []
    if archive_existing:
        archived_ids = [v for (v,) in ModelVersion.select(ModelVersion.id).where(
            (ModelVersion.model == version.model_id) & (ModelVersion.stage == stage)
            & (ModelVersion.id != version.id)).tuples()]
        if archived_ids:
            (ModelVersion.update(stage="ARCHIVED", updated_at=at)
             .where(ModelVersion.id.in_(archived_ids)).execute())
    ModelVersion.update(stage=stage, updated_at=at).where(ModelVersion.id == version.id).execute()
    lookups.touch(version.model, at)
    changed = versions_by_ids([version.id, *archived_ids])
    return changed[version.id], sorted((changed[i] for i in archived_ids), key=lambda v: v.version)
