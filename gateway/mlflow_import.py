"""`registry-gateway import --from-mlflow URL`: a live MLflow server's model registry, read
over its REST API 2.0, written into this registry as it was there (resolvers/imports.py).

Models go first, then versions in MLflow's (name, number) order, a page of them per
transaction, then aliases. Every transaction adds only what is missing, so a run that
was stopped (Ctrl-C, a lost connection, a killed process) is finished by running the
same command again. The summary compares what MLflow holds with what the registry holds
for the same models.
"""
import base64
import json
import os
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from tqdm import tqdm

from gateway.settings import Settings
from resolvers import imports
from resolvers.access import Viewer
from resolvers.changes import apply
from resolvers.imports import Added, ImportedModel, ImportedVersion
from rest.shapes import REGISTRY_STAGES
from store.database import DATABASE_ERRORS, Store, StoreUnavailable

MODELS_PAGE = 1000  # the most MLflow's registered-models/search answers at once
MAX_VERSIONS_PAGE = 200_000  # the most its model-versions/search does
# Sources whose download location only MLflow's server knows (it resolves them when a
# version is registered): asked of get-download-uri, one call per such version.
RESOLVED_BY_MLFLOW = ("models:/", "runs:/")
IMPORTER = Viewer("mlflow-import", is_admin=True)


class SourceError(Exception):
    """MLflow's server could not be read: nothing more is imported."""


class MlflowSource:
    """The registry of an MLflow server, read as MLflow's own client reads it (its
    MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD, if set)."""

    def __init__(self, url: str, timeout: float = 120):
        self.url = url.rstrip("/")
        self.timeout = timeout
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
        self.headers = {"Accept": "application/json"}
        if user and password:  # as MLflow's client: basic auth before a token
            self.headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        elif token:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params) -> dict:
        """The JSON answer of GET /api/2.0/mlflow/PATH (the standard library's client: a
        handful of pages needs no connection pool, nor a dependency)."""
        request = Request(f"{self.url}/api/2.0/mlflow/{path}?{urlencode(params, doseq=True)}", headers=self.headers)
        try:
            with urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except HTTPError as error:
            status, raw = error.code, error.read()
        except (URLError, OSError) as error:
            raise SourceError(f"cannot read {self.url} ({path}): {getattr(error, 'reason', error)}") from None
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if status != 200 or not isinstance(body, dict):
            detail = f"{body.get('error_code')}: {body.get('message')}" if isinstance(body, dict) else \
                raw[:200].decode(errors="replace")
            raise SourceError(f"{self.url} answered {path} with HTTP {status}: {detail}")
        return body

    def _pages(self, path: str, key: str, **params):
        token = None
        while True:
            body = self.get(path, **params, **({"page_token": token} if token else {}))
            yield body.get(key, [])
            token = body.get("next_page_token")
            if not token:
                return

    def models(self):
        for page in self._pages("registered-models/search", "registered_models", max_results=MODELS_PAGE):
            yield self._read(_model, page, "registered model")

    def versions(self, page_size: int):
        for page in self._pages("model-versions/search", "model_versions", max_results=page_size,
                                order_by=["name ASC", "version_number ASC"]):
            yield self._read(self._version, page, "model version")

    def _read(self, shape, page, what: str) -> list:
        try:
            return [shape(fields) for fields in page]
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            raise SourceError(f"{self.url} answered a {what} this importer cannot read ({error!r})") from None

    def _version(self, fields: dict) -> ImportedVersion:
        source = fields.get("source", "")
        download_uri = source
        if source.startswith(RESOLVED_BY_MLFLOW):
            download_uri = self.get("model-versions/get-download-uri", name=fields["name"],
                                    version=fields["version"]).get("artifact_uri") or source
        return ImportedVersion(
            model_name=fields["name"], version=int(fields["version"]), source=source, download_uri=download_uri,
            created_at=int(fields.get("creation_timestamp", 0)),
            updated_at=int(fields.get("last_updated_timestamp") or fields.get("creation_timestamp", 0)),
            stage=REGISTRY_STAGES.get(str(fields.get("current_stage", "None")).lower(), fields.get("current_stage")),
            status=fields.get("status", "READY"), status_message=fields.get("status_message") or None,
            # MLflow answers "" for what was never set; here that is null.
            run_id=fields.get("run_id") or None, run_link=fields.get("run_link") or None,
            description=fields.get("description") or None, created_by=fields.get("user_id") or None,
            tags=_tags(fields))


def _tags(fields: dict) -> dict[str, str]:
    return {tag["key"]: tag.get("value", "") for tag in fields.get("tags", [])}


def _model(fields: dict) -> ImportedModel:
    return ImportedModel(
        name=fields["name"], created_at=int(fields.get("creation_timestamp", 0)),
        updated_at=int(fields.get("last_updated_timestamp") or fields.get("creation_timestamp", 0)),
        description=fields.get("description") or None, created_by=fields.get("user_id") or None,
        tags=_tags(fields), aliases={a["alias"]: int(a["version"]) for a in fields.get("aliases", [])})


def read_ahead(pages):
    """The pages, each next one read from MLflow while the caller writes the one before
    (reading and writing take about as long)."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        iterator = iter(pages)
        coming = reader.submit(next, iterator, None)
        while (page := coming.result()) is not None:
            coming = reader.submit(next, iterator, None)
            yield page


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class Import:
    def __init__(self, store: Store, source: MlflowSource, batch_size: int, progress: bool):
        self.store, self.source, self.batch_size, self.progress = store, source, batch_size, progress
        self.origin = {"from": "mlflow", "url": _without_credentials(source.url)}
        self.added = Added()
        self.in_source: Counter = Counter()

    def _write(self, step, rows) -> None:
        added = self.store.write(apply, step, IMPORTER, rows, self.origin)
        self.added.models += added.models
        self.added.versions += added.versions
        self.added.aliases += added.aliases
        self.added.skipped += added.skipped

    def run(self) -> list[ImportedModel]:
        models = []
        with tqdm(desc="models", unit="", disable=not self.progress) as bar:
            for page in self.source.models():
                self._write(imports.add_models, page)
                models += page
                bar.update(len(page))
        self.in_source.update(models=len(models), model_tags=sum(len(m.tags) for m in models),
                              aliases=sum(len(m.aliases) for m in models))
        with tqdm(desc="versions", unit="", disable=not self.progress) as bar:
            for page in read_ahead(self.source.versions(self.batch_size)):
                self._write(imports.add_versions, page)
                self.in_source.update(versions=len(page), version_tags=sum(len(v.tags) for v in page))
                bar.update(len(page))
        for start in range(0, len(models), MODELS_PAGE):
            self._write(imports.add_aliases, models[start:start + MODELS_PAGE])
        return models


def _summary(run: Import, models: list[ImportedModel]) -> tuple[str, bool]:
    here = run.store.call(imports.counts, [m.name for m in models])
    added = {"models": run.added.models, "versions": run.added.versions, "aliases": run.added.aliases}
    lines = [f"{'':14}{'MLflow':>10}{'registry':>10}{'added now':>11}"]
    for kind in ("models", "versions", "model_tags", "version_tags", "aliases"):
        lines.append(f"{kind.replace('_', ' '):14}{run.in_source[kind]:>10}{here[kind]:>10}"
                     f"{added.get(kind, ''):>11}")
    for skipped in run.added.skipped:
        lines.append(f"skipped {skipped.what}: {skipped.reason}")
    complete = all(here[kind] >= run.in_source[kind] for kind in here)
    return "\n".join(lines), complete and not run.added.skipped


def run(args) -> int:
    """The `import --from-mlflow` command: 0 when the registry holds all MLflow holds."""
    parts = urlsplit(args.from_mlflow)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        print(f"registry-gateway: --from-mlflow takes the MLflow server's http(s) URL, such as "
              f"http://127.0.0.1:5000; got {args.from_mlflow!r}", file=sys.stderr)
        return 2
    if not 1 <= args.batch_size <= MAX_VERSIONS_PAGE:
        print(f"registry-gateway: --batch-size is from 1 to {MAX_VERSIONS_PAGE:,}", file=sys.stderr)
        return 2
    settings = Settings.from_env(args.database)
    store = Store(settings.database_url, settings.pool_size)
    source = MlflowSource(args.from_mlflow)
    importing = Import(store, source, args.batch_size, progress=not args.quiet)
    try:
        store.migrate()
        models = importing.run()
        summary, complete = _summary(importing, models)
    except SourceError as error:
        print(f"registry-gateway: {error}; what was imported is kept: run the same command again to go on.",
              file=sys.stderr)
        return 1
    except (StoreUnavailable, *DATABASE_ERRORS) as error:
        print(f"registry-gateway: the registry's database failed ({error}); what was imported is kept: run the "
              "same command again to go on.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("registry-gateway: stopped; what was imported is kept: run the same command again to go on.",
              file=sys.stderr)
        return 130
    finally:
        store.close()
    print(summary)
    if not complete:
        print("registry-gateway: the registry holds less than MLflow does (see above).", file=sys.stderr)
    return 0 if complete else 1
