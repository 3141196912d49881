"""Rows in MLflow's JSON shapes (its protos, as its server writes them): versions as
strings, timestamps in milliseconds, stages as "None"/"Staging"/"Production"/"Archived",
tags as [{key, value}]; a model's aliases as [{alias, version}], a version's as names.
Everything nested is read through the request's loaders a whole level at a time (no
future per key), so a page of models costs a few statements, not a few per model."""
import asyncio

from resolvers.loaders import Loaders, load_level
from resolvers.validation import STAGES

MLFLOW_STAGES = {"NONE": "None", "STAGING": "Staging", "PRODUCTION": "Production", "ARCHIVED": "Archived"}
REGISTRY_STAGES = {name.lower(): stage for stage, name in MLFLOW_STAGES.items()}


def _tags(rows) -> list[dict]:
    return [{"key": tag.key, "value": tag.value} for tag in rows]


def _present(fields: dict) -> dict:
    """Unset fields are left out, as MLflow's server leaves them."""
    return {key: value for key, value in fields.items() if value is not None}


def _version(version, model, tags, aliases) -> dict:
    return _present({
        "name": model.name,
        "version": str(version.version),
        "creation_timestamp": version.created_at,
        "last_updated_timestamp": version.updated_at,
        "user_id": version.created_by,
        "current_stage": MLFLOW_STAGES[version.stage],
        # MLflow's server answers "" for a version's text fields never set (its own
        # client reads them so), where a model's unset description is left out.
        "description": version.description or "",
        "source": version.source,
        "run_id": version.run_id or "",
        "run_link": version.run_link or "",
        "status": version.status,
        "status_message": version.status_message,
        "tags": _tags(tags),
        "aliases": sorted(aliases),
    })


async def model_versions(loaders: Loaders, versions: list) -> list[dict]:
    """Each nested list in one batch for all the versions (not a coroutine per version:
    a page of 100 models has 200 latest versions)."""
    for version in versions:  # read with its model joined, or just made: its model is known
        model = version.__rel__.get("model")
        if model is not None:
            loaders.model_by_id.prime(model.id, model)
    ids = [v.id for v in versions]
    models, tags, aliases = await asyncio.gather(load_level(loaders.model_by_id, [v.model_id for v in versions]),
                                                 load_level(loaders.tags_by_version_id, ids),
                                                 load_level(loaders.aliases_by_version_id, ids))
    return [_version(*parts) for parts in zip(versions, models, tags, aliases)]


async def model_version(loaders: Loaders, version) -> dict:
    return (await model_versions(loaders, [version]))[0]


async def registered_models(loaders: Loaders, models: list) -> list[dict]:
    ids = [m.id for m in models]
    tags, aliases, latest = await asyncio.gather(
        load_level(loaders.tags_by_model_id, ids), load_level(loaders.aliases_by_model_id, ids),
        load_level(loaders.latest_versions_by_model_id, [(i, STAGES) for i in ids]))
    shaped = iter(await model_versions(loaders, [v for versions in latest for v in versions]))
    return [_present({
        "name": model.name,
        "creation_timestamp": model.created_at,
        "last_updated_timestamp": model.updated_at,
        "user_id": model.created_by,
        "description": model.description,
        "latest_versions": [next(shaped) for _ in versions],
        "tags": _tags(model_tags),
        "aliases": [{"alias": a.alias, "version": str(a.version.version)} for a in model_aliases],
    }) for model, model_tags, model_aliases, versions in zip(models, tags, aliases, latest)]


async def registered_model(loaders: Loaders, model) -> dict:
    return (await registered_models(loaders, [model]))[0]
