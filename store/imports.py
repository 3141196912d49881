"""The reads and counter updates of an import from another registry (resolvers/imports.py)."""
from peewee import SQL, Case, fn

from store.statements import any_of
from store.tables import ModelAlias, ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelTag


def models_by_name(names) -> dict[str, RegisteredModel]:
    return {m.name: m for m in RegisteredModel.select().where(any_of(RegisteredModel.name, list(set(names))))}


def version_ids_by_key(keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The ids of the versions with these (model id, number) keys that exist."""
    rows = (ModelVersion.select(ModelVersion.model, ModelVersion.version, ModelVersion.id)
            .where(any_of(ModelVersion.model, list({m for m, _ in keys}))
                   & any_of(ModelVersion.version, list({n for _, n in keys}))).tuples())
    return {(model, number): id for model, number, id in rows if (model, number) in keys}


def alias_keys(model_ids: list[int]) -> set[tuple[int, str]]:
    return set(ModelAlias.select(ModelAlias.model, ModelAlias.alias).where(any_of(ModelAlias.model, model_ids))
               .tuples())


def recount_versions(model_ids: list[int]) -> None:
    """Each model's live versions, and its highest number issued raised to its highest
    version's (one statement): the next version registered is numbered after them."""
    highest = ModelVersion.select(fn.MAX(ModelVersion.version)).where(ModelVersion.model == RegisteredModel.id)
    count = ModelVersion.select(fn.COUNT(SQL("*"))).where(ModelVersion.model == RegisteredModel.id)
    (RegisteredModel
     .update(version_count=count,
             last_version=Case(None, [(RegisteredModel.last_version < highest, highest)],
                               RegisteredModel.last_version))
     .where(any_of(RegisteredModel.id, model_ids)).execute())


def counts(names: list[str]) -> dict[str, int]:
    """What the registry holds of the models called so."""
    model_ids = [m for (m,) in RegisteredModel.select(RegisteredModel.id)
                 .where(any_of(RegisteredModel.name, names)).tuples()]
    in_models = any_of(ModelVersion.model, model_ids)
    return {
        "models": len(model_ids),
        "versions": ModelVersion.select().where(in_models).count(),
        "model_tags": RegisteredModelTag.select().where(any_of(RegisteredModelTag.model, model_ids)).count(),
        "version_tags": ModelVersionTag.select().join(ModelVersion).where(in_models).count(),
        "aliases": ModelAlias.select().where(any_of(ModelAlias.model, model_ids)).count(),
    }
