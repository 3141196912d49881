"""The registry's endpoints of MLflow's REST API 2.0, each over the resolvers the graph's
mutations and queries use: the same checks, permissions and activity log. A handler
takes the call (its context and parameters) and answers a JSON-able dict."""
import re
from dataclasses import dataclass
from typing import Awaitable, Callable, NamedTuple

from resolvers import aliases, lookups, models, versions
from resolvers.context import RequestContext
from resolvers.errors import RegistryError, StoreUnavailable
from resolvers.models import UNCHANGED
from resolvers.paging import encode_cursor
from resolvers.search import model_search, models_page, version_search, versions_page
from resolvers.validation import MAX_PAGE, MAX_VERSION_NUMBER, STAGES, alias_target, nfc, refuse_unstorable
from rest import shapes
from rest.errors import RestError, invalid_parameter


class SentTag(NamedTuple):
    key: str
    value: str


@dataclass
class Call:
    context: RequestContext
    params: dict  # the JSON body, or the query string's (repeated keys as lists)
    # The Idempotency-Key header: a retried registration returns the version the first made.
    idempotency_key: str | None = None

    def text(self, name: str, required: bool = True) -> str | None:
        value = self.params.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None or value == "":
            if required:
                raise invalid_parameter(f"Missing value for required parameter '{name}'.")
            return None
        if not isinstance(value, str):
            raise invalid_parameter(f"Parameter '{name}' must be a string.")
        return value

    def value(self, name: str) -> str:
        """A required string that may be empty (a tag's value)."""
        value = self.params.get(name)
        if not isinstance(value, str):
            raise invalid_parameter(f"Parameter '{name}' must be a string.")
        return value

    def version(self, name: str = "version") -> int:
        """MLflow sends version numbers as strings."""
        value = self.text(name)
        if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_VERSION_NUMBER:
            raise invalid_parameter(f"Parameter '{name}' must be a positive version number; got {value!r}.")
        return int(value)

    def tags(self) -> list[tuple[str, str]]:
        tags = self.params.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, dict) and isinstance(t.get("key"), str)
                                                 and isinstance(t.get("value"), str) for t in tags):
            raise invalid_parameter("Parameter 'tags' must be a list of {key, value}, both strings.")
        return [(t.get("key"), t.get("value")) for t in tags]

    async def write(self, change: Callable, *args):
        return await self.context.apply(change, *args)

    async def read(self, lookup: Callable, *args):
        return await self.context.store.run(lookup, *args)

    @property
    def loaders(self):
        return self.context.loaders


def _description(call: Call):
    """MLflow reads a null description as one not sent: left as it is. "" clears it."""
    return UNCHANGED if call.params.get("description") is None else call.text("description", False) or ""


def _stage(call: Call) -> str:
    return _registry_stage(call.text("stage"))


def _registry_stage(stage) -> str:
    if not isinstance(stage, str) or stage.lower() not in shapes.REGISTRY_STAGES:
        raise invalid_parameter(f"Invalid Model Version stage: {stage!r}. Value must be one of None, Staging, "
                                "Production, Archived.")
    return shapes.REGISTRY_STAGES[stage.lower()]


async def _model_answer(call: Call, model) -> dict:
    return {"registered_model": await shapes.registered_model(call.loaders, model)}


async def _version_answer(call: Call, version) -> dict:
    return {"model_version": await shapes.model_version(call.loaders, version)}


# ---- registered models -------------------------------------------------------------------

async def create_registered_model(call: Call) -> dict:
    model = await call.write(models.create, call.text("name"), call.text("description", False), call.tags())
    return await _model_answer(call, model)


async def get_registered_model(call: Call) -> dict:
    model = await call.read(lookups.model, call.text("name"), ("name",), False, call.context.viewer)
    return await _model_answer(call, model)


async def rename_registered_model(call: Call) -> dict:
    model = await call.write(models.rename, call.text("name"), call.text("new_name"))
    return await _model_answer(call, model)


async def update_registered_model(call: Call) -> dict:
    model = await call.write(models.update, call.text("name"), _description(call))
    return await _model_answer(call, model)


async def delete_registered_model(call: Call) -> dict:
    await call.write(models.delete, call.text("name"))
    return {}


async def set_registered_model_tag(call: Call) -> dict:
    await call.write(models.set_tag, call.text("name"), call.text("key"), call.value("value"))
    return {}


async def delete_registered_model_tag(call: Call) -> dict:
    await call.write(models.delete_tag, call.text("name"), call.text("key"))
    return {}


async def set_alias(call: Call) -> dict:
    await call.write(aliases.set_alias, call.text("name"), call.text("alias"), call.version())
    return {}


async def delete_alias(call: Call) -> dict:
    await call.write(aliases.delete_alias, call.text("name"), call.text("alias"))
    return {}


async def _readable(call: Call, row):
    return row if row is not None and await call.context.can_read(row.model_id) else None


async def get_model_version_by_alias(call: Call) -> dict:
    name, alias = call.text("name"), call.text("alias")
    version = None
    if alias_target(alias)[0] == "alias":  # a plain alias: found from the name in one statement
        version = await _readable(call, await call.loaders.version_by_name_and_alias.load((nfc(name), alias)))
    if version is None:  # `latest`, `vN`, or not found: the lookup says which (and why)
        version = await call.read(lookups.version_by_alias, name, alias, ("name",), ("alias",), call.context.viewer)
    return await _version_answer(call, version)


async def get_latest_versions(call: Call) -> dict:
    model = await call.read(lookups.model, call.text("name"), ("name",), False, call.context.viewer)
    stages = call.params.get("stages") or []
    if isinstance(stages, str):
        stages = [stages]
    if not isinstance(stages, list):
        raise invalid_parameter("Parameter 'stages' must be a list of stage names.")
    wanted = [_registry_stage(stage) for stage in stages]
    key = tuple(sorted(set(wanted))) if wanted else STAGES
    latest = await call.loaders.latest_versions_by_model_id.load((model.id, key))
    return {"model_versions": await shapes.model_versions(call.loaders, latest)}


# ---- searches ------------------------------------------------------------------------------

# MLflow's order_by fields -> the registry's sort keys.
# MLflow's server sorts models' `timestamp` by the last update, as `last_updated_timestamp`.
MODEL_ORDER = {"name": "NAME", "timestamp": "UPDATED_AT", "creation_timestamp": "CREATED_AT",
               "last_updated_timestamp": "UPDATED_AT"}
VERSION_ORDER = {"name": "NAME", "version_number": "VERSION", "creation_timestamp": "CREATED_AT",
                 "timestamp": "CREATED_AT", "last_updated_timestamp": "UPDATED_AT"}
# MLflow's server: models by name; versions newest-updated first.
VERSION_DEFAULT_ORDER = [("UPDATED_AT", "DESC"), ("NAME", "ASC"), ("VERSION", "DESC")]
MAX_MODELS = 1000  # MLflow's own limits for max_results
MAX_VERSIONS = 200_000
VERSIONS_PER_ANSWER = 10_000  # what MLflow's client asks for by default; past it, a page token


def _order(call: Call, fields: dict) -> list[tuple[str, str]] | None:
    given = call.params.get("order_by") or []
    order = []
    for clause in [given] if isinstance(given, str) else given:
        field, _, direction = str(clause).strip().partition(" ")
        direction = direction.strip().upper() or "ASC"
        if field.strip("`") not in fields or direction not in ("ASC", "DESC"):
            raise invalid_parameter(f"Invalid order_by clause {clause!r}: use one of {', '.join(fields)}, "
                                    "optionally followed by ASC or DESC.")
        order.append((fields[field.strip('`')], direction))
    return order or None


# MLflow's client ANDs this to every model search, for its prompt registry (prompts are
# models tagged so); its server lets models without the tag pass. This registry keeps
# no prompts: the clause is dropped, as MLflow's server would let every model through it.
PROMPT = r"tags?\.`mlflow\.prompt\.is_prompt`\s*!=\s*'true'"
PROMPT_CLAUSE = re.compile(rf"\s+AND\s+{PROMPT}|^\s*{PROMPT}(?:\s+AND\s+)?", re.IGNORECASE)


def _model_filter(call: Call) -> str | None:
    text = call.text("filter", False)
    return PROMPT_CLAUSE.sub("", text).strip() or None if text else None


def _max_results(call: Call, default: int, limit: int) -> int:
    value = call.params.get("max_results", default)
    if isinstance(value, list):
        value = value[-1]
    try:
        wanted = int(value)
    except (TypeError, ValueError):
        raise invalid_parameter(f"max_results must be a number; got {value!r}.") from None
    if not 0 < wanted <= limit:
        raise invalid_parameter(f"Invalid value for max_results: it must be between 1 and {limit}; got {wanted}.")
    return wanted


async def _pages(call: Call, search_for, read, wanted: int) -> tuple[list, str | None]:
    """Up to `wanted` rows, read in keyset pages of at most MAX_PAGE; the token of the row
    after them, if any."""
    rows, token = [], call.text("page_token", False)
    while len(rows) < wanted:
        search = search_for(min(MAX_PAGE, wanted - len(rows)), token)
        page = await call.read(read, search, call.context.viewer)
        rows += page.rows
        token = encode_cursor(page.rows[-1], search.keys) if page.has_next and page.rows else None
        if token is None:
            break
    return rows, token


def _paged(field: str, rows: list[dict], token: str | None) -> dict:
    """The last page carries no token, as MLflow's server answers."""
    return {field: rows, "next_page_token": token} if token else {field: rows}


async def search_registered_models(call: Call) -> dict:
    wanted = _max_results(call, 100, MAX_MODELS)
    query, order = _model_filter(call), _order(call, MODEL_ORDER)
    found, token = await _pages(call, lambda first, after: model_search(None, query, order, first, after, None, None),
                                models_page, wanted)
    return _paged("registered_models", await shapes.registered_models(call.loaders, found), token)


async def search_model_versions(call: Call) -> dict:
    wanted = min(_max_results(call, MAX_VERSIONS, MAX_VERSIONS), VERSIONS_PER_ANSWER)
    query, order = call.text("filter", False), _order(call, VERSION_ORDER) or VERSION_DEFAULT_ORDER
    found, token = await _pages(call, lambda first, after: version_search(None, query, order, first, after, None,
                                                                          None), versions_page, wanted)
    return _paged("model_versions", await shapes.model_versions(call.loaders, found), token)


# ---- model versions ------------------------------------------------------------------------

async def create_model_version(call: Call) -> dict:
    tags = call.tags()
    version = await call.write(versions.create, call.text("name"), call.text("source"), call.text("run_id", False),
                               call.text("run_link", False), call.text("description", False), tags, False,
                               call.idempotency_key)
    if call.idempotency_key is None:  # a new version (not a replay's older one): no reads for its answer
        call.loaders.tags_by_version_id.prime(version.id, [SentTag(k, v) for k, v in sorted(dict(tags).items())])
        call.loaders.aliases_by_version_id.prime(version.id, [])
    return await _version_answer(call, version)


async def _version(call: Call):
    """The version named by the call: one statement when it is there and readable; else
    the lookup, for the right NOT_FOUND."""
    name, number = call.text("name"), call.version()
    found = await _readable(call, await call.loaders.version_by_name_and_number.load((nfc(name), number)))
    return found or await call.read(lookups.version, name, number, ("name",), ("version",), call.context.viewer)


async def get_model_version(call: Call) -> dict:
    return await _version_answer(call, await _version(call))


async def update_model_version(call: Call) -> dict:
    version = await call.write(versions.update, call.text("name"), call.version(), _description(call))
    return await _version_answer(call, version)


async def delete_model_version(call: Call) -> dict:
    await call.write(versions.delete, call.text("name"), call.version())
    return {}


async def transition_stage(call: Call) -> dict:
    archive = call.params.get("archive_existing_versions", False)
    if isinstance(archive, str) and archive.lower() in ("true", "false"):  # from a query string
        archive = archive.lower() == "true"
    if not isinstance(archive, bool):
        raise invalid_parameter("Parameter 'archive_existing_versions' must be true or false.")
    version, _ = await call.write(versions.transition, call.text("name"), call.version(), _stage(call), archive,
                                  None)
    return await _version_answer(call, version)


async def get_download_uri(call: Call) -> dict:
    return {"artifact_uri": (await _version(call)).download_uri}


async def set_model_version_tag(call: Call) -> dict:
    await call.write(versions.set_tag, call.text("name"), call.version(), call.text("key"), call.value("value"))
    return {}


async def delete_model_version_tag(call: Call) -> dict:
    await call.write(versions.delete_tag, call.text("name"), call.version(), call.text("key"))
    return {}


Handler = Callable[[Call], Awaitable[dict]]

ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("POST", "registered-models/create"): create_registered_model,
    ("GET", "registered-models/get"): get_registered_model,
    ("POST", "registered-models/rename"): rename_registered_model,
    ("PATCH", "registered-models/update"): update_registered_model,
    ("DELETE", "registered-models/delete"): delete_registered_model,
    ("POST", "registered-models/set-tag"): set_registered_model_tag,
    ("DELETE", "registered-models/delete-tag"): delete_registered_model_tag,
    ("POST", "registered-models/alias"): set_alias,
    ("DELETE", "registered-models/alias"): delete_alias,
    ("GET", "registered-models/alias"): get_model_version_by_alias,
    ("POST", "registered-models/get-latest-versions"): get_latest_versions,
    ("GET", "registered-models/get-latest-versions"): get_latest_versions,
    ("GET", "registered-models/search"): search_registered_models,
    ("POST", "model-versions/create"): create_model_version,
    ("GET", "model-versions/get"): get_model_version,
    ("PATCH", "model-versions/update"): update_model_version,
    ("DELETE", "model-versions/delete"): delete_model_version,
    ("GET", "model-versions/search"): search_model_versions,
    ("POST", "model-versions/transition-stage"): transition_stage,
    ("GET", "model-versions/get-download-uri"): get_download_uri,
    ("POST", "model-versions/set-tag"): set_model_version_tag,
    ("DELETE", "model-versions/delete-tag"): delete_model_version_tag,
}


async def answer(context: RequestContext, method: str, path: str, params: dict,
                 idempotency_key: str | None = None) -> tuple[int, dict]:
    """(status, body) for one call of the API."""
    handler = ENDPOINTS.get((method, path))
    try:
        refuse_unstorable(params, ())  # NUL, lone surrogates: no database stores them
        if handler is None:
            known = any(p == path for _, p in ENDPOINTS)
            raise RestError.of("ENDPOINT_NOT_FOUND", f"{method} is not served at {path}" if known else
                               f"No endpoint {path} here: this gateway serves MLflow's model registry API only.")
        return 200, await handler(Call(context, params, idempotency_key))
    except StoreUnavailable:
        # Retryable, and MLflow's client does retry a 503.
        failure = RestError.of("UNAVAILABLE", "The registry's database is unavailable just now; retry.")
    except RegistryError as error:
        failure = RestError.from_registry(error)
    except RestError as error:
        failure = error
    return failure.status, failure.body()
