"""Copying a version into another model (or the same): promotion across environments."""
from resolvers import access, lookups, validation
from resolvers.aliases import point
from resolvers.changes import Change
from resolvers.errors import invalid
from resolvers.idempotency import remembered
from resolvers.models import existing_or_new_model
from resolvers.versions import insert_version
from store.queries import version_tags
from store.tables import ModelVersion, RegisteredModel

SOURCE = ("input", "source")


def copy(change: Change, source_name: str, source_version: int | None, source_alias: str | None,
         destination_name: str, aliases, idempotency_key) -> ModelVersion:
    change.require_signed_in()
    destination_name = validation.model_name(destination_name, "input", "destinationName")
    if (source_version is None) == (source_alias is None):
        raise invalid("Give exactly one of source.version and source.alias.", *SOURCE)
    alias_names = list(aliases or [])
    for index, alias in enumerate(alias_names):
        validation.alias(alias, "input", "aliases", str(index))
    request = {"source": [source_name, source_version, source_alias], "destination": destination_name,
               "aliases": alias_names}

    def check() -> tuple[ModelVersion, RegisteredModel]:
        # An alias is resolved now: the copy is of the version it points at today.
        if source_alias is not None:
            original = lookups.version_by_alias(source_name, source_alias, (*SOURCE, "name"), (*SOURCE, "alias"),
                                                viewer=change.viewer)
        else:
            original = lookups.version(source_name, source_version, (*SOURCE, "name"), (*SOURCE, "version"),
                                       viewer=change.viewer)
        destination, created = existing_or_new_model(change, destination_name)
        if not created:
            needed = access.CAN_MANAGE_PRODUCTION if alias_names else access.CAN_EDIT
            change.require(destination, needed, "Copying into it" + (" with aliases" if alias_names else ""),
                           ("input", "destinationName"))
        return original, destination

    def make_copy(checked) -> ModelVersion:
        original, destination = checked
        tags = {t.key: t.value for t in version_tags([original.id]).get(original.id, [])}
        source = f"models:/{original.model.name}/{original.version}"
        made = insert_version(
            change, destination, source=source, download_uri=original.download_uri, run_id=original.run_id,
            run_link=original.run_link, description=original.description, tag_values=tags,
            copied_from=original.id)
        change.record("MODEL_VERSION_COPIED", made.model, made, source=source,
                      copiedFrom={"model": original.model.name, "version": original.version})
        for alias in alias_names:
            point(change, made.model, alias, made)
        return made

    return remembered(change, "copyModelVersion", idempotency_key, request, check, make_copy)
