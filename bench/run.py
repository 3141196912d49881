"""The gateway beside MLflow's server and the raw-SQL floor, measured in one run.

Usage: python bench/run.py [--backends sqlite,postgresql] [--requests N] [--no-scale] [--output FILE]
See bench/README.md.
"""
import argparse
import asyncio
import http.client
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import venv
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

MLFLOW_VERSION = "3.17.2"
MLFLOW_VENV = HERE / ".mlflow-venv"
MODELS, VERSIONS, TAGS = 200, 10, 3
CLIENTS = 4
API = "/api/2.0/mlflow"

MODELS_PAGE = """
query ModelsPage($after: String) {
  registeredModels(first: 100, after: $after) {
    nodes {
      name description createdAt updatedAt
      tags { key value }
      aliases { alias versionNumber }
      latestVersions { version stage source runId status createdAt tags { key value } aliases }
    }
  }
}"""
MODEL_VERSIONS = """
query Versions($name: String!) {
  registeredModel(name: $name) {
    versions(first: 10) { nodes { version stage source runId status createdAt tags { key value } aliases } }
  }
}"""
BY_ALIAS = """
query ByAlias($name: String!, $alias: String!) {
  modelVersionByAlias(name: $name, alias: $alias) { version stage source runId tags { key value } aliases }
}"""
REGISTER = """
mutation Register($name: String!, $source: String!, $runId: String) {
  createModelVersion(input: {name: $name, source: $source, runId: $runId}) {
    modelVersion { version } userErrors { code message }
  }
}"""
SET_TAG = """
mutation SetTag($name: String!, $version: Int!, $key: String!, $value: String!) {
  setModelVersionTag(input: {name: $name, version: $version, key: $key, value: $value}) {
    modelVersion { version } userErrors { code message }
  }
}"""


def model_name(i: int) -> str:
    return f"bench-model-{i:04d}"


# ---- processes -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mlflow_executable() -> Path:
    """MLflow in its own virtual environment, installed on first use."""
    binary = MLFLOW_VENV / "bin" / "mlflow"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout if binary.exists() else ""
    has_driver = binary.exists() and subprocess.run([MLFLOW_VENV / "bin" / "python", "-c", "import psycopg2"],
                                                    capture_output=True).returncode == 0
    if MLFLOW_VERSION not in version or not has_driver:
        print(f"installing mlflow=={MLFLOW_VERSION} into {MLFLOW_VENV} ...", flush=True)
        venv.create(MLFLOW_VENV, with_pip=True)
        subprocess.run([MLFLOW_VENV / "bin" / "pip", "install", "-q", f"mlflow=={MLFLOW_VERSION}", "psycopg2-binary"],
                       check=True)
    return binary


def start(command: list, health_url: str, env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "w") if log else subprocess.DEVNULL
    # A session of its own, so stop() ends the server's workers and job consumers with it.
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited; see {log}")
        try:
            if httpx.get(health_url, timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{command} did not become healthy")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def peak_rss_mb(pid: int) -> float:
    """The largest peak resident memory (VmHWM) of the process and its children, in MB:
    with several workers, that of the hungriest worker."""
    peak = 0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except FileNotFoundError:
            pass
    return peak / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


# ---- the two APIs --------------------------------------------------------------------

class KeepAlive:
    """One keep-alive HTTP/1.1 connection (the standard library's: a client that costs
    little next to the servers it measures, the same for both)."""

    def __init__(self, url: str):
        parsed = urlsplit(url)
        self.prefix = parsed.path
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None, params: dict | None = None):
        target = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        payload = orjson.dumps(body) if body is not None else None
        self.connection.request(method, target, body=payload,
                                headers={"content-type": "application/json"} if payload else {})
        response = self.connection.getresponse()
        content = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {target}: {response.status} {content[:300]!r}")
        return orjson.loads(content)


class MLflow:
    def __init__(self, url: str):
        self.http = KeepAlive(url + API)

    def post(self, path: str, body: dict) -> dict:
        return self.http.request("POST", path, body)

    def get(self, path: str, **params) -> dict:
        return self.http.request("GET", path, params=params)

    def load_model(self, i: int) -> None:
        name = model_name(i)
        self.post("/registered-models/create", {"name": name, "description": f"Model {i}",
                                                "tags": [{"key": "team", "value": f"team-{i % 7}"}]})
        for v in range(1, VERSIONS + 1):
            self.post("/model-versions/create", {
                "name": name, "source": f"s3://bench/{name}/{v}", "run_id": f"run{i:04d}{v:02d}",
                "tags": [{"key": f"k{t}", "value": f"v{t}-{v}"} for t in range(TAGS)]})
        self.post("/model-versions/transition-stage", {"name": name, "version": str(VERSIONS - 1),
                                                       "stage": "Production", "archive_existing_versions": True})
        for alias, v in (("champion", VERSIONS - 1), ("challenger", VERSIONS)):
            self.post("/registered-models/alias", {"name": name, "alias": alias, "version": str(v)})

    def models_page(self, i: int):
        return self.get("/registered-models/search", max_results=100)

    def model_versions(self, i: int):
        return self.get("/model-versions/search", filter=f"name='{model_name(i % MODELS)}'", max_results=10)

    def by_alias(self, i: int):
        return self.get("/registered-models/alias", name=model_name(i % MODELS), alias="champion")

    def register(self, i: int):
        return self.post("/model-versions/create", {"name": model_name(i % MODELS), "source": f"s3://bench/new/{i}",
                                                    "run_id": f"new{i}"})

    def set_tag(self, i: int):
        return self.post("/model-versions/set-tag", {"name": model_name(i % MODELS), "version": "1",
                                                     "key": "bench", "value": str(i)})


class Gateway:
    def __init__(self, url: str):
        self.http = KeepAlive(url)

    def graphql(self, document: str, **variables) -> dict:
        body = self.http.request("POST", "/graphql", {"query": document, "variables": variables})
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        return body["data"]

    def load_model(self, i: int) -> None:
        name = model_name(i)
        self.graphql("""mutation($name: String!, $i: String!) { createRegisteredModel(input: {name: $name,
            description: $i, tags: [{key: "team", value: $i}]}) { userErrors { message } } }""", name=name, i=str(i))
        for v in range(1, VERSIONS + 1):
            self.graphql("""mutation($name: String!, $source: String!, $run: String!, $tags: [TagInput!]) {
                createModelVersion(input: {name: $name, source: $source, runId: $run, tags: $tags}) {
                  userErrors { message } } }""", name=name, source=f"s3://bench/{name}/{v}", run=f"run{i:04d}{v:02d}",
                         tags=[{"key": f"k{t}", "value": f"v{t}-{v}"} for t in range(TAGS)])
        self.graphql("""mutation($name: String!, $v: Int!) { transitionModelVersionStage(input: {name: $name,
            version: $v, stage: PRODUCTION, archiveExistingVersions: true}) { userErrors { message } } }""",
                     name=name, v=VERSIONS - 1)
        for alias, v in (("champion", VERSIONS - 1), ("challenger", VERSIONS)):
            self.graphql("""mutation($name: String!, $alias: String!, $v: Int!) { setModelAlias(input: {name: $name,
                alias: $alias, version: $v}) { userErrors { message } } }""", name=name, alias=alias, v=v)

    def models_page(self, i: int):
        return self.graphql(MODELS_PAGE)

    def model_versions(self, i: int):
        return self.graphql(MODEL_VERSIONS, name=model_name(i % MODELS))

    def by_alias(self, i: int):
        return self.graphql(BY_ALIAS, name=model_name(i % MODELS), alias="champion")

    def register(self, i: int):
        return self.graphql(REGISTER, name=model_name(i % MODELS), source=f"s3://bench/new/{i}", runId=f"new{i}")

    def set_tag(self, i: int):
        return self.graphql(SET_TAG, name=model_name(i % MODELS), version=1, key="bench", value=str(i))


# ---- measuring -----------------------------------------------------------------------

def load(make_client, label: str) -> float:
    started = time.perf_counter()
    clients = threading.local()

    def one(i):
        if not hasattr(clients, "c"):
            clients.c = make_client()
        clients.c.load_model(i)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, range(MODELS)))
    elapsed = time.perf_counter() - started
    print(f"loaded {label}: {MODELS} models x {VERSIONS} versions in {elapsed:.1f} s", flush=True)
    return elapsed


# A measurement stops taking requests after this long once it has MIN_REQUESTS: MLflow's
# models page on PostgreSQL takes seconds (a round trip per row), and 200 of them, twice,
# would take twenty minutes to say what twenty say.
TIME_BUDGET_SECONDS = 60
MIN_REQUESTS = 20


def measure(make_client, operation: str, requests: int, clients: int) -> dict:
    """Latencies (ms) of `requests` calls (fewer, but at least MIN_REQUESTS, when they take
    over TIME_BUDGET_SECONDS) made by `clients` threads, each on its own connection, and the
    throughput. The threads draw from one budget of requests, so all of them stay busy
    until the end (no tail where a fast client has finished and the others run with less
    concurrency)."""
    latencies: list[float] = []
    lock = threading.Lock()
    budget = [requests]
    deadline = [float("inf")]

    def take() -> int | None:
        with lock:
            if time.perf_counter() > deadline[0] and requests - budget[0] >= MIN_REQUESTS:
                return None
            budget[0] -= 1
            return budget[0] if budget[0] >= 0 else None

    def run(c: int):
        client = make_client()
        call = getattr(client, operation)
        call(c)  # warm the connection
        ready.wait()  # every client connected and warm
        mine = []
        while (n := take()) is not None:
            started = time.perf_counter()
            call(n)
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    ready = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    started = time.perf_counter()
    deadline[0] = started + TIME_BUDGET_SECONDS
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"median": statistics.median(latencies), "p95": latencies[int(len(latencies) * 0.95) - 1],
            "per_second": len(latencies) / wall, "requests": len(latencies)}


# ---- in-process: the gateway's executor against hand-written SQL ------------------------

def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")


def floor_models_page(db: sqlite3.Connection) -> bytes:
    """The models page by hand: five statements and one encoding (orjson, as the gateway's
    responses), producing the very bytes the gateway answers (in_process checks)."""
    models = db.execute("SELECT id, name, description, created_at, updated_at FROM registered_models "
                        "ORDER BY name LIMIT 100").fetchall()
    ids = [m[0] for m in models]
    marks = ",".join("?" * len(ids))
    tags: dict = {}
    for model_id, key, value in db.execute(
            f"SELECT model_id, key, value FROM registered_model_tags WHERE model_id IN ({marks}) ORDER BY key", ids):
        tags.setdefault(model_id, []).append({"key": key, "value": value})
    aliases: dict = {}
    for model_id, alias, number in db.execute(
            f"SELECT a.model_id, a.alias, v.version FROM model_aliases a JOIN model_versions v ON v.id = a.version_id "
            f"WHERE a.model_id IN ({marks}) ORDER BY a.alias", ids):
        aliases.setdefault(model_id, []).append({"alias": alias, "versionNumber": number})
    latest: dict = {}
    rows = db.execute(
        f"SELECT v.id, v.model_id, v.version, v.stage, v.source, v.run_id, v.status, v.created_at, t.key, t.value "
        f"FROM model_versions v JOIN (SELECT model_id, stage, MAX(version) AS top FROM model_versions "
        f"WHERE model_id IN ({marks}) GROUP BY model_id, stage) m ON v.model_id = m.model_id AND v.version = m.top "
        f"LEFT JOIN model_version_tags t ON t.version_id = v.id ORDER BY v.model_id, v.version, t.key", ids)
    versions: dict = {}
    for vid, model_id, number, stage, source, run_id, status, created, key, value in rows:
        version = versions.get(vid)
        if version is None:
            version = versions[vid] = {"version": number, "stage": stage, "source": source, "runId": run_id,
                                       "status": status, "createdAt": _iso(created), "tags": [], "aliases": []}
            latest.setdefault(model_id, []).append(version)
        if key is not None:
            version["tags"].append({"key": key, "value": value})
    version_ids = list(versions)
    for version_id, alias in db.execute(
            f"SELECT version_id, alias FROM model_aliases WHERE version_id IN ({','.join('?' * len(version_ids))}) "
            "ORDER BY alias", version_ids):
        versions[version_id]["aliases"].append(alias)
    page = [{"name": name, "description": description, "createdAt": _iso(created), "updatedAt": _iso(updated),
             "tags": tags.get(mid, []), "aliases": aliases.get(mid, []), "latestVersions": latest.get(mid, [])}
            for mid, name, description, created, updated in models]
    return orjson.dumps({"data": {"registeredModels": {"nodes": page}}})


def in_process(database_url: str, sqlite_path: str | None, repeats: int) -> dict:
    from resolvers.access import Viewer
    from resolvers.context import RequestContext
    from schema.build import build_schema
    from store.database import Store

    store = Store(database_url)
    schema = build_schema()
    viewer = Viewer(name="bench", is_admin=True)

    async def gateway_once():
        result = await schema.execute(MODELS_PAGE, context_value=RequestContext(store, viewer, "bench"))
        assert not result.errors, result.errors
        return orjson.dumps({"data": result.data})

    async def timed(n):
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            await gateway_once()
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    asyncio.run(timed(5))
    gateway = asyncio.run(timed(repeats))
    result = {"gateway": statistics.median(gateway)}
    if sqlite_path:
        db = sqlite3.connect(sqlite_path)
        answer = asyncio.run(gateway_once())
        if floor_models_page(db) != answer:
            raise AssertionError("the floor and the gateway answered differently")
        floor = []
        for _ in range(repeats):
            started = time.perf_counter()
            floor_models_page(db)
            floor.append((time.perf_counter() - started) * 1000)
        db.close()
        result["floor"] = statistics.median(floor)
    store.close()
    return result


# ---- scale on PostgreSQL -----------------------------------------------------------------

SCALE_MODELS, SCALE_VERSIONS = 100_000, 10
VERSIONS_AFTER = """
query VersionsAfter($after: String) {
  modelVersions(first: 100, after: $after) {
    nodes { name version stage source runId tags { key value } aliases }
    pageInfo { endCursor }
  }
}"""
TAG_SEARCH = """
query TagSearch($value: String!) {
  modelVersions(first: 10, filter: {tags: [{key: "k2", value: {eq: $value}}]}) { nodes { name version } }
}"""
MODEL_COUNT = "{ registeredModels(first: 1) { totalCount } }"
VERSION_COUNT = "{ modelVersions(first: 1) { totalCount } }"


def timed_calls(call, requests: int) -> dict:
    call()  # warm
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {"median": statistics.median(latencies), "p95": latencies[int(len(latencies) * 0.95) - 1]}


def scale(database_url: str, work: Path, requests: int) -> dict:
    """Bulk-loads 100,000 models x 10 versions into an emptied PostgreSQL database and
    measures first and deep pages, a tag-equality search (with its plan) and the totals."""
    from gateway.seed import bulk_seed
    from resolvers.access import Viewer
    from resolvers.paging import encode_cursor
    from resolvers.search import model_keys, version_keys, version_search, versions_page
    from store.database import Store
    from store.queries import version_rows
    from store.tables import ModelVersion, RegisteredModel

    store = Store(database_url)
    with store.db.connection_context():
        store.db.execute_sql("DROP SCHEMA public CASCADE")
        store.db.execute_sql("CREATE SCHEMA public")
    store.migrate()
    started = time.perf_counter()
    bulk_seed(store, SCALE_MODELS, SCALE_VERSIONS)
    seeding = time.perf_counter() - started
    print(f"bulk-seeded {SCALE_MODELS} models x {SCALE_VERSIONS} versions in {seeding:.0f} s", flush=True)
    deep_model, deep_version = SCALE_MODELS * 9 // 10, SCALE_MODELS * SCALE_VERSIONS * 9 // 10
    with store.db.connection_context():
        model = RegisteredModel.select().order_by(RegisteredModel.name).offset(deep_model - 1).first()
        model_cursor = encode_cursor(model, model_keys(None))
        version = (version_rows().order_by(RegisteredModel.name, ModelVersion.version.desc())
                   .offset(deep_version - 1).first())
        version_cursor = encode_cursor(version, version_keys(None))
        tag_value = f"run-{version.id}"
        statements: list = []
        store.db.query_hooks.append(lambda event: statements.append((event.sql, event.params)))
        versions_page(version_search({"tags": [{"key": "k2", "value": {"eq": tag_value}}]}, None, None, 10,
                                     None, None, None), Viewer(name="bench", is_admin=True))
        sql, params = statements[-1]
        plan = [row[0] for row in store.db.execute_sql(f"EXPLAIN ANALYZE {sql}", params).fetchall()]
    store.close()

    port = free_port()
    gateway = start([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--database", database_url],
                    f"http://127.0.0.1:{port}/healthz", log=work / "gateway-scale.log")
    try:
        client = Gateway(f"http://127.0.0.1:{port}")
        runs = {
            "models page, first 100 of 100,000": lambda: client.graphql(MODELS_PAGE),
            f"models page after model {deep_model:,}": lambda: client.graphql(MODELS_PAGE, after=model_cursor),
            "versions page, first 100 of 1,000,000": lambda: client.graphql(VERSIONS_AFTER),
            f"versions page after version {deep_version:,}": lambda: client.graphql(VERSIONS_AFTER,
                                                                                     after=version_cursor),
            "tag-equality search (1 match in 3,000,000 tags)": lambda: client.graphql(TAG_SEARCH, value=tag_value),
            "totalCount of 100,000 models": lambda: client.graphql(MODEL_COUNT),
            "totalCount of 1,000,000 versions": lambda: client.graphql(VERSION_COUNT),
        }
        measured = {}
        for label, call in runs.items():
            measured[label] = timed_calls(call, requests)
            print(f"{label:52} {measured[label]['median']:8.2f} ms", flush=True)
        memory = peak_rss_mb(gateway.pid)
    finally:
        stop(gateway)
    return {"seeding": seeding, "measured": measured, "plan": plan, "memory": memory}


# ---- the run -------------------------------------------------------------------------

OPERATIONS = [
    ("models_page", "models page (100 models, latest versions, tags, aliases)"),
    ("model_versions", "one model's 10 versions"),
    ("by_alias", "a version by alias"),
    ("register", "registering a version"),
    ("set_tag", "setting a version tag"),
]


BACKENDS = ("sqlite", "postgresql")


def mlflow_store_url(backend: str, work: Path, postgres_server: str) -> str:
    # psycopg2: MLflow's psycopg 3 dialect fails transition-stage with archiving
    # ("operator does not exist: integer <> character varying").
    if backend == "sqlite":
        return f"sqlite:///{work}/mlflow.db"
    return "postgresql+psycopg2" + postgres_server[len("postgresql"):] + "/bench_mlflow"


def gateway_store_url(backend: str, work: Path, postgres_server: str) -> str:
    return f"sqlite:///{work}/gateway.db" if backend == "sqlite" else f"{postgres_server}/bench_gateway"


def fresh_postgres_databases(postgres_server: str, names: tuple[str, ...]) -> None:
    import psycopg2

    connection = psycopg2.connect(f"{postgres_server}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {name}")
    connection.close()


def compare(backend: str, work: Path, postgres_server: str, requests: int) -> dict:
    """MLflow's server and the gateway, both on `backend`, loaded alike and measured alike."""
    if backend == "postgresql":
        fresh_postgres_databases(postgres_server, ("bench_mlflow", "bench_gateway"))
    mlflow_store = mlflow_store_url(backend, work, postgres_server)
    database_url = gateway_store_url(backend, work, postgres_server)
    mlflow_port, gateway_port = free_port(), free_port()
    mlflow = start([str(mlflow_executable()), "server", "--backend-store-uri", mlflow_store,
                    "--host", "127.0.0.1", "--port", str(mlflow_port), "--workers", "1"],
                   f"http://127.0.0.1:{mlflow_port}/health", log=work / f"mlflow-{backend}.log")
    gateway = start([sys.executable, "-m", "gateway.cli", "serve", "--port", str(gateway_port),
                     "--database", database_url], f"http://127.0.0.1:{gateway_port}/healthz",
                    log=work / f"gateway-{backend}.log")
    try:
        mlflow_client = lambda: MLflow(f"http://127.0.0.1:{mlflow_port}")  # noqa: E731
        gateway_client = lambda: Gateway(f"http://127.0.0.1:{gateway_port}")  # noqa: E731
        # The same MLflow REST calls, sent to the gateway's MLflow door.
        gateway_rest_client = lambda: MLflow(f"http://127.0.0.1:{gateway_port}")  # noqa: E731
        loading = {"mlflow": load(mlflow_client, "MLflow"), "gateway": load(gateway_client, "gateway")}
        rows = []
        for operation, label in OPERATIONS:
            for clients in (1, CLIENTS):
                m = measure(mlflow_client, operation, requests, clients)
                g = measure(gateway_client, operation, requests, clients)
                r = measure(gateway_rest_client, operation, requests, clients)
                rows.append((label, clients, m, g, r))
                print(f"[{backend}] {label:58} clients={clients}: MLflow {m['median']:7.2f} ms, "
                      f"gateway {g['median']:7.2f} ms (x{g['median'] / m['median']:.2f}), "
                      f"gateway REST {r['median']:7.2f} ms (x{r['median'] / g['median']:.2f} of GraphQL)", flush=True)
        memory = {"mlflow": peak_rss_mb(mlflow.pid), "gateway": peak_rss_mb(gateway.pid)}
        stop(mlflow)
        workers = compare_workers(work, backend, mlflow_store, database_url, gateway_client, requests)
        memory["gateway, 2 workers (each)"] = workers.pop("memory")
    finally:
        for process in (mlflow, gateway):
            if process.poll() is None:
                stop(process)
    floor = in_process(database_url, str(work / "gateway.db") if backend == "sqlite" else None, repeats=100)
    return {"rows": rows, "loading": loading, "memory": memory, "floor": floor, "workers": workers}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="where both servers keep the registry: sqlite, postgresql or both (the default)")
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--no-scale", action="store_true",
                        help="skip the PostgreSQL scale run (100,000 models, 1,000,000 versions)")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - set(BACKENDS):
        parser.error(f"--backends takes {' and/or '.join(BACKENDS)}")
    postgres_server = os.environ.get("REGISTRY_BENCH_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432")
    scale_url = os.environ.get("REGISTRY_BENCH_POSTGRES_URL")

    work = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    compared = {backend: compare(backend, work, postgres_server, args.requests) for backend in backends}
    write_results(Path(args.output), args, compared, None)  # kept should the scale run fail
    print(f"wrote {args.output}")
    if not args.no_scale:
        if scale_url is None:
            fresh_postgres_databases(postgres_server, ("bench",))
            scale_url = f"{postgres_server}/bench"
        write_results(Path(args.output), args, compared, scale(scale_url, work, requests=max(20, args.requests // 5)))
        print(f"wrote {args.output} with the scale run")
    return 0


def compare_workers(work: Path, backend: str, mlflow_store: str, database_url: str, one_worker_client,
                    requests: int) -> dict:
    """The models page on 1 and 2 gateway workers, then on MLflow with 2 workers, whose
    keep-alive connections stall on Nagle's algorithm (Kludex/uvicorn#3149). One server
    runs at a time, so the workers have the machine's cores to themselves."""
    result = {}

    def models_page_on(label: str, make_client) -> None:
        result[label] = {clients: measure(make_client, "models_page", requests, clients) for clients in (1, CLIENTS)}
        print(f"[{backend}] models page, {label}: " + ", ".join(
            f"{clients} clients {m['median']:.2f} ms ({m['per_second']:.0f}/s)"
            for clients, m in result[label].items()), flush=True)

    models_page_on("gateway, 1 worker", one_worker_client)
    port = free_port()
    gateway = start([sys.executable, "-m", "gateway.cli", "serve", "--workers", "2", "--port", str(port),
                     "--database", database_url], f"http://127.0.0.1:{port}/healthz",
                    log=work / f"gateway-2-workers-{backend}.log")
    try:
        models_page_on("gateway, 2 workers", lambda: Gateway(f"http://127.0.0.1:{port}"))
        result["memory"] = peak_rss_mb(gateway.pid)
    finally:
        stop(gateway)
    port = free_port()
    mlflow = start([str(mlflow_executable()), "server", "--backend-store-uri", mlflow_store,
                    "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                   f"http://127.0.0.1:{port}/health", log=work / f"mlflow-2-workers-{backend}.log")
    try:
        time.sleep(5)  # its job consumers start after /health answers
        models_page_on("MLflow, 2 workers", lambda: MLflow(f"http://127.0.0.1:{port}"))
    finally:
        stop(mlflow)
    return result


def machine_facts() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return f"{os.cpu_count()} cores ({cpu}), {memory} memory, Python {platform.python_version()}, {platform.platform()}"


def write_results(path: Path, args, compared: dict, at_scale) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python bench/run.py"
        f"{' --backends ' + args.backends if args.backends != ','.join(BACKENDS) else ''}` on {machine_facts()}.",
        f"MLflow {MLFLOW_VERSION} (`mlflow server`, 1 worker) and the gateway (1 worker), each on the same kind of "
        f"database in turn, both loaded through their APIs with {MODELS} models × {VERSIONS} versions × {TAGS} tags, "
        f"2 aliases per model, one version per model in Production (archiving). {args.requests} requests per row "
        f"(at least {MIN_REQUESTS} but fewer when they take over {TIME_BUDGET_SECONDS} s: the last column), "
        "keep-alive connections.",
    ]
    for backend, result in compared.items():
        lines += backend_lines(backend, result)
    if at_scale:
        lines += scale_lines(at_scale)
    path.write_text("\n".join(lines) + "\n")


def _rate(per_second: float) -> str:
    return f"{per_second:.0f}" if per_second >= 10 else f"{per_second:.1f}"


def backend_lines(backend: str, result: dict) -> list[str]:
    rows, loading, memory, floor, workers = (result[k] for k in ("rows", "loading", "memory", "floor", "workers"))
    title = {"sqlite": "SQLite", "postgresql": "PostgreSQL (MLflow through `postgresql+psycopg2://`)"}[backend]
    lines = [
        "", f"## Both on {title}", "",
        "| operation | clients | MLflow median ms | MLflow p95 ms | gateway median ms | gateway p95 ms "
        "| gateway/MLflow (median) | MLflow req/s | gateway req/s | requests (MLflow, gateway) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, clients, m, g, _ in rows:
        lines.append(f"| {label} | {clients} | {m['median']:.2f} | {m['p95']:.2f} | {g['median']:.2f} | "
                     f"{g['p95']:.2f} | {g['median'] / m['median']:.2g} | {_rate(m['per_second'])} | "
                     f"{_rate(g['per_second'])} | {m['requests']}, {g['requests']} |")
    lines += [
        "", "The same MLflow REST calls sent to the gateway's MLflow door (`/api/2.0/mlflow/`), beside the same work "
        "through GraphQL and beside MLflow's server (targets: REST within 1.2× of GraphQL, MLflow ≥ 3× the REST "
        "door's time):", "",
        "| operation | clients | gateway REST median ms | gateway REST p95 ms | REST/GraphQL (median) "
        "| MLflow/REST (median) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for label, clients, m, g, r in rows:
        lines.append(f"| {label} | {clients} | {r['median']:.2f} | {r['p95']:.2f} | {r['median'] / g['median']:.2f} | "
                     f"{m['median'] / r['median']:.1f} |")
    lines.append("")
    for clients in (1, CLIENTS):
        m, g = next((m, g) for label, c, m, g, _ in rows if label.startswith("registering") and c == clients)
        lines.append(f"Registration throughput with {clients} client{'s' if clients > 1 else ''}: "
                     f"MLflow {m['per_second']:.0f} versions/s, gateway {g['per_second']:.0f} versions/s "
                     f"(x{g['per_second'] / m['per_second']:.2f}).")
    lines += ["", f"Loading through the APIs with {CLIENTS} clients: MLflow {loading['mlflow']:.1f} s, "
                  f"gateway {loading['gateway']:.1f} s.",
              "", "Peak resident memory per process (VmHWM, the largest of a server's processes): "
                  + ", ".join(f"{label} {mb:.0f} MB" for label, mb in memory.items()) + ".", ""]
    one, two = workers["gateway, 1 worker"], workers["gateway, 2 workers"]
    lines += [
        f"Several processes, the models page (`serve --workers N`; {CLIENTS} clients for throughput, 1 for latency):",
        "",
        "| server | 1 client median ms | 1 client p95 ms | 4 clients median ms | 4 clients req/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, measured in workers.items():
        lines.append(f"| {label} | {measured[1]['median']:.2f} | {measured[1]['p95']:.2f} | "
                     f"{measured[CLIENTS]['median']:.2f} | {_rate(measured[CLIENTS]['per_second'])} |")
    lines += ["", f"Throughput with 2 workers / 1 worker: x{two[CLIENTS]['per_second'] / one[CLIENTS]['per_second']:.2f}; "
                  f"keep-alive latency with 2 workers / 1 worker: x{two[1]['median'] / one[1]['median']:.2f} "
                  "(no Nagle stall: the gateway sets TCP_NODELAY on each connection).", ""]
    lines.append(f"In-process models page (the same query, executed by the schema, encoded as JSON): "
                 f"gateway {floor['gateway']:.2f} ms median")
    if "floor" in floor:
        lines[-1] += ("; the raw-SQL floor (five hand-written statements and the same JSON encoder, producing the "
                      f"same bytes) {floor['floor']:.2f} ms; ratio gateway/floor x{floor['gateway'] / floor['floor']:.1f}.")
    else:
        lines[-1] += "."
    return lines


def scale_lines(at_scale: dict) -> list[str]:
    measured = at_scale["measured"]
    labels = list(measured)
    lines = [
        "", "## Scale on PostgreSQL", "",
        f"`registry-gateway seed --bulk` loaded {SCALE_MODELS:,} models × {SCALE_VERSIONS} versions × 3 tags "
        f"(and a tag and an alias per model) in {at_scale['seeding']:.0f} s. Then, sequentially over HTTP "
        "(1 worker):", "",
        "| request | median ms | p95 ms |", "| --- | --- | --- |",
    ]
    lines += [f"| {label} | {m['median']:.2f} | {m['p95']:.2f} |" for label, m in measured.items()]
    ratio = lambda deep, first: measured[labels[deep]]["median"] / measured[labels[first]]["median"]  # noqa: E731
    lines += ["", f"Deep page / first page: models x{ratio(1, 0):.2f}, versions x{ratio(3, 2):.2f} (keyset "
                  "cursors; the condition leads with a bound on the first sort key, so an index range scan "
                  "starts at the cursor).", "",
              f"Peak resident memory of the gateway at scale (VmHWM): {at_scale['memory']:.0f} MB.", "",
              "The tag-equality search's plan (`EXPLAIN ANALYZE`; the (key, md5(value)) index of migration 0004):",
              "", "```", *at_scale["plan"], "```"]
    return lines


if __name__ == "__main__":
    sys.exit(main())
