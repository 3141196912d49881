"""Rows in MLflow's JSON shapes (its protos, as its server writes them): versions as
strings, timestamps in milliseconds, stages as "None"/"Staging"/"Production"/"Archived",
tags as [{key, value}]; a model's aliases as [{alias, version}], a version's as names.
Everything nested is read through the request's loaders, so a page of models costs a
few statements, not a few per model."""
import asyncio

from resolvers.loaders import Loaders
from resolvers.validation import STAGES

MLFLOW_STAGES = {"NONE": "None", "STAGING": "Staging", "PRODUCTION": "Production", "ARCHIVED": "Archived"}
REGISTRY_STAGES = {name.lower(): stage for stage, name in MLFLOW_STAGES.items()}


def _tags(rows) -> list[dict]:
    return [{"key": tag.key, "value": tag.value} for tag in rows]


def _present(fields: dict) -> dict:
    """Unset fields are left out, as MLflow's server leaves them."""
    return {key: value for key, value in fields.items() if value is not None}


async def model_version(loaders: Loaders, version) -> dict:
    model, tags, aliases = await asyncio.gather(loaders.model_by_id.load(version.model_id),
                                                loaders.tags_by_version_id.load(version.id),
                                                loaders.aliases_by_version_id.load(version.id))
    return _present({
        "name": model.name,
        "version": str(version.version),
        "creation_timestamp": version.created_at,
        "last_updated_timestamp": version.updated_at,
        "user_id": version.created_by,
        "current_stage": MLFLOW_STAGES[version.stage],
        "description": version.description,
        "source": version.source,
        "run_id": version.run_id,
        "run_link": version.run_link,
        "status": version.status,
        "status_message": version.status_message,
        "tags": _tags(tags),
        "aliases": sorted(aliases),
    })


async def model_versions(loaders: Loaders, versions) -> list[dict]:
    return list(await asyncio.gather(*(model_version(loaders, v) for v in versions)))


async def registered_model(loaders: Loaders, model) -> dict:
    tags, aliases, latest = await asyncio.gather(
        loaders.tags_by_model_id.load(model.id), loaders.aliases_by_model_id.load(model.id),
        loaders.latest_versions_by_model_id.load((model.id, STAGES)))
    return _present({
        "name": model.name,
        "creation_timestamp": model.created_at,
        "last_updated_timestamp": model.updated_at,
        "user_id": model.created_by,
        "description": model.description,
        "latest_versions": await model_versions(loaders, latest),
        "tags": _tags(tags),
        "aliases": [{"alias": a.alias, "version": str(a.version.version)} for a in aliases],
    })


async def registered_models(loaders: Loaders, models) -> list[dict]:
    return list(await asyncio.gather(*(registered_model(loaders, m) for m in models)))
