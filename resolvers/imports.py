"""Writing another registry's models into this one as they were there: version numbers
(with their gaps), timestamps, stages, creators, tags and aliases.

Each step adds only what is missing (a model by its name, a version by its number, a tag
or alias by its key), so an import stopped halfway is finished by running it again, and
a second run over an unchanged source adds nothing. What is added is recorded in the
activity log with the usual types, its payload marked `imported` with where it came from,
so followers and webhooks hear of it and the history says where a version came from.
Rules this registry enforces on names, tags, aliases and sources are enforced here too:
what breaks them is skipped and reported, never stored.
"""
from dataclasses import dataclass, field

from resolvers import validation
from resolvers.changes import Change
from resolvers.errors import RegistryError
from store import imports as store_imports
from store import writes
from store.tables import ModelAlias, ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelTag

# A version's registration status, as MLflow has it.
STATUSES = ("READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION")


@dataclass
class ImportedModel:
    name: str
    created_at: int
    updated_at: int
    description: str | None = None
    created_by: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)  # alias → version number


@dataclass
class ImportedVersion:
    model_name: str
    version: int
    source: str
    download_uri: str
    created_at: int
    updated_at: int
    stage: str = "NONE"
    status: str = "READY"
    status_message: str | None = None
    run_id: str | None = None
    run_link: str | None = None
    description: str | None = None
    created_by: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Skipped:
    """Something the source holds that this registry refuses, and why."""

    what: str
    reason: str


@dataclass
class Added:
    models: int = 0
    versions: int = 0
    aliases: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def _checked_model(model: ImportedModel) -> ImportedModel:
    model.name = validation.model_name(model.name)
    validation.text(model.description, "description")
    for key, value in model.tags.items():
        validation.tag_key(key)
        validation.tag_value(value)
    validation.refuse_unstorable([model.name, model.description, model.created_by, model.tags], ())
    return model


def _checked_version(version: ImportedVersion) -> ImportedVersion:
    version.model_name = validation.model_name(version.model_name)
    if version.stage not in validation.STAGES:
        raise RegistryError("INVALID_ARGUMENT", f"Unknown stage {version.stage!r}.")
    if version.status not in STATUSES:
        raise RegistryError("INVALID_ARGUMENT", f"Unknown status {version.status!r}.")
    if not 0 < version.version <= validation.MAX_VERSION_NUMBER:
        raise RegistryError("INVALID_ARGUMENT", f"Version {version.version} is not a version number.")
    validation.source(version.source)
    validation.short_text(version.run_id, "run id", validation.MAX_RUN_ID)
    for text in (version.run_link, version.description, version.status_message):
        validation.text(text, "text")
    for key, value in version.tags.items():
        validation.tag_key(key)
        validation.tag_value(value)
    validation.refuse_unstorable([version.source, version.download_uri, version.run_id, version.run_link,
                                  version.description, version.status_message, version.created_by, version.tags], ())
    return version


def _valid(added: Added, items: list, check, named) -> list:
    """The items `check` accepts; the others go to `added.skipped`, with why."""
    valid = []
    for item in items:
        try:
            valid.append(check(item))
        except RegistryError as error:
            added.skipped.append(Skipped(named(item), error.message))
    return valid


def _version_named(version: ImportedVersion) -> str:
    return f"version {version.version} of {version.model_name!r}"


def add_models(change: Change, models: list[ImportedModel], origin: dict) -> Added:
    """The models not here yet, with their tags; tags missing from models already here."""
    added = Added()
    valid = _valid(added, models, _checked_model, lambda model: f"model {model.name!r}")
    present = store_imports.models_by_name(m.name for m in valid)
    new = [m for m in valid if m.name not in present]
    writes.insert_many(RegisteredModel, [
        {"name": m.name, "description": m.description, "created_at": m.created_at, "updated_at": m.updated_at,
         "created_by": m.created_by, "last_version": 0, "version_count": 0} for m in new])
    stored = {**present, **store_imports.models_by_name(m.name for m in new)}
    tags = [{"model": stored[m.name].id, "key": k, "value": v} for m in valid for k, v in m.tags.items()]
    writes.insert_many(RegisteredModelTag, tags, ignore_conflicts=True)
    for model in new:
        change.record("REGISTERED_MODEL_CREATED", stored[model.name], description=model.description,
                      tags=model.tags, imported=origin)
    added.models = len(new)
    return added


def add_versions(change: Change, versions: list[ImportedVersion], origin: dict) -> Added:
    """The versions whose models are here and whose numbers are not, with their tags; the
    models' counters follow, so the next version registered here is numbered after them."""
    added = Added()
    valid = _valid(added, versions, _checked_version, _version_named)
    models = store_imports.models_by_name(v.model_name for v in valid)
    for version in valid:
        if version.model_name not in models:
            added.skipped.append(Skipped(_version_named(version), "its model was not imported"))
    valid = [v for v in valid if v.model_name in models]
    present = store_imports.version_ids_by_key({(models[v.model_name].id, v.version) for v in valid})
    new = [v for v in valid if (models[v.model_name].id, v.version) not in present]
    if not new:
        return added
    writes.insert_many(ModelVersion, [
        {"model": models[v.model_name].id, "version": v.version, "source": v.source, "download_uri": v.download_uri,
         "run_id": v.run_id, "run_link": v.run_link, "description": v.description, "status": v.status,
         "status_message": v.status_message, "stage": v.stage, "created_at": v.created_at,
         "updated_at": v.updated_at, "created_by": v.created_by, "copied_from": None} for v in new])
    new_keys = {(models[v.model_name].id, v.version) for v in new}
    ids = store_imports.version_ids_by_key(new_keys)
    tags = [{"version": ids[models[v.model_name].id, v.version], "key": k, "value": value}
            for v in new for k, value in v.tags.items()]
    writes.insert_many(ModelVersionTag, tags, ignore_conflicts=True)
    store_imports.recount_versions(list({k[0] for k in new_keys}))
    for v in new:
        model = models[v.model_name]
        row = ModelVersion(id=ids[model.id, v.version], version=v.version)
        change.record("MODEL_VERSION_CREATED", model, row, source=v.source, runId=v.run_id, runLink=v.run_link,
                      description=v.description, tags=v.tags, stage=v.stage, imported=origin)
    added.versions = len(new)
    return added


def add_aliases(change: Change, models: list[ImportedModel], origin: dict) -> Added:
    """Aliases missing here whose versions are here; an alias set here already is left
    where it points."""
    added = Added()
    wanted = {}
    for model in models:
        for alias, number in model.aliases.items():
            try:
                wanted[validation.model_name(model.name), validation.alias(alias)] = number
            except RegistryError as error:
                added.skipped.append(Skipped(f"alias {alias!r} of {model.name!r}", error.message))
    stored = store_imports.models_by_name(name for name, _ in wanted)
    model_ids = [m.id for m in stored.values()]
    present = store_imports.alias_keys(model_ids)
    ids = store_imports.version_ids_by_key({(stored[name].id, number) for (name, _), number in wanted.items()
                                            if name in stored})
    rows = []
    for (name, alias), number in wanted.items():
        model = stored.get(name)
        if model is None or (model.id, alias) in present:
            continue
        version_id = ids.get((model.id, number))
        if version_id is None:
            added.skipped.append(Skipped(f"alias {alias!r} of {name!r}", f"version {number} was not imported"))
            continue
        rows.append({"model": model.id, "alias": alias, "version": version_id})
        change.record("ALIAS_SET", model, ModelVersion(id=version_id, version=number), alias=alias, imported=origin)
    writes.insert_many(ModelAlias, rows)
    added.aliases = len(rows)
    return added


def counts(names: list[str]) -> dict[str, int]:
    """What this registry holds of the models called so: to compare with the source."""
    return store_imports.counts([validation.nfc(name) for name in names])
