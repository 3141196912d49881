"""Backup and restore (`registry-gateway export` / `import`): a registry built through the API
survives a trip through the other backend and back, answering every playground query as it
did, with its ids and its id counters; history queues no deliveries; an export is one
snapshot; damaged files and non-empty targets are refused whole; secrets stay out."""
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg2
import pytest
from cryptography.fernet import Fernet

from gateway import cli
from resolvers import changes, models, versions
from resolvers.access import Viewer
from resolvers.global_ids import from_global_id
from resolvers.webhook_signing import SecretBox
from store import backup
from store.database import migrate, open_database
from store.tables import ALL_TABLES, Webhook
from tests.conftest import LOCAL_ADMIN, PLAYGROUND, ROOT, GraphQLClient, _free_port, comes_up, ok

ADMIN = Viewer(LOCAL_ADMIN, is_admin=True)
SECRETS_KEY = Fernet.generate_key().decode()
GATEWAY_ENV = {**os.environ, "REGISTRY_SECRETS_KEY": SECRETS_KEY}


# ---- databases, commands and servers --------------------------------------------------------

def _postgres_server(store) -> str:
    """The server new PostgreSQL databases are made on: the suite's, or
    REGISTRY_TEST_POSTGRES_URL's when the suite runs on SQLite."""
    if not store.is_sqlite:
        return store.url
    return os.environ.get("REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def new_database(store, tmp_path):
    """`new_database("sqlite" | "postgresql")`: the URL of a new, migrated database; a
    PostgreSQL one is created on the server for the test and dropped after it."""
    created: list[tuple] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.db'}"
        else:
            server = urlparse(_postgres_server(store))._replace(query="")
            try:
                admin = psycopg2.connect(urlunparse(server), connect_timeout=5)
            except psycopg2.OperationalError as error:
                message = f"no PostgreSQL at {server.hostname}:{server.port} for the other backend: {error}"
                if os.environ.get("REGISTRY_TEST_REQUIRE_POSTGRES") == "1":
                    pytest.fail(message)
                pytest.skip(message)
            admin.autocommit = True
            name = f"backup_test_{uuid.uuid4().hex[:12]}"
            admin.cursor().execute(f'CREATE DATABASE "{name}"')
            created.append((admin, name))
            url = urlunparse(server._replace(path=f"/{name}"))
        database = open_database(url, 1)  # not a Store, which would bind the tables to it
        migrate(database)
        database.close_all()
        return url

    yield make
    for admin, name in created:
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def gateway(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=ROOT, env=GATEWAY_ENV,
                          capture_output=True, text=True, timeout=300)


def export(database: str, path: Path, *options: str) -> Path:
    done = gateway("export", "--output", str(path), "--database", database, *options)
    assert done.returncode == 0, done.stderr
    return path


def restore(path: Path, database: str) -> subprocess.CompletedProcess:
    done = gateway("import", str(path), "--database", database)
    assert done.returncode == 0, done.stderr
    return done


def refusal(path: Path, database: str) -> str:
    """The one-line message of an import that must be refused."""
    done = gateway("import", str(path), "--database", database)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("registry-gateway:")]
    assert line.startswith("registry-gateway: import refused, nothing was written: "), line
    return line


def row_counts(url: str) -> dict[str, int]:
    database = open_database(url, 1)
    try:
        with database.connection_context():
            return {t._meta.table_name: database.execute_sql(f'SELECT COUNT(*) FROM "{t._meta.table_name}"')
                    .fetchone()[0] for t in ALL_TABLES}
    finally:
        database.close_all()


@pytest.fixture
def serve_database():
    """`serve_database(url)`: a GraphQL client of `registry-gateway serve` in a process of its
    own over that database (local mode, admin "tester"); `.base` is its URL."""
    processes, clients = [], []

    def start(url: str) -> GraphQLClient:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--database", url], cwd=ROOT,
            env={**GATEWAY_ENV, "REGISTRY_LOCAL_USER": LOCAL_ADMIN, "REGISTRY_WEBHOOK_DISPATCH": "off"},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        assert comes_up(f"{base}/healthz", process), process.stderr.read().decode()[-2000:]
        http = httpx.Client(base_url=base, timeout=30)
        clients.append(http)
        client = GraphQLClient(http)
        client.base = base
        return client

    yield start
    for http in clients:
        http.close()
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def as_user(client: GraphQLClient, token: str, clients: list) -> GraphQLClient:
    http = httpx.Client(base_url=str(client.http.base_url), timeout=30, headers={"authorization": token})
    clients.append(http)
    return GraphQLClient(http)


@pytest.fixture
def user_clients():
    clients: list[httpx.Client] = []
    yield clients
    for http in clients:
        http.close()


# ---- the file --------------------------------------------------------------------------------

class Backup:
    def __init__(self, path: Path):
        entries = [json.loads(line) for line in path.read_text().splitlines()]
        self.header = entries[0]["header"]
        self.rows = entries[1:-2]
        self.counters = entries[-2]["counters"]
        self.trailer = entries[-1]["trailer"]["rows"]

    def of(self, table: str) -> list[dict]:
        return [entry["r"] for entry in self.rows if entry["t"] == table]


def assert_consistent(file: Backup) -> None:
    """What one snapshot shows: every reference's row is in the file, each model's counters
    agree with its versions, and the trailer counts the rows."""
    assert {t: sum(1 for e in file.rows if e["t"] == t) for t in file.trailer} == file.trailer
    ids = {table: {row["id"] for row in file.of(table)} for table in file.trailer}
    references = [
        ("model_versions", "model_id", "registered_models"), ("model_versions", "copied_from_id", "model_versions"),
        ("registered_model_tags", "model_id", "registered_models"),
        ("model_version_tags", "version_id", "model_versions"),
        ("model_aliases", "version_id", "model_versions"), ("transition_requests", "version_id", "model_versions"),
        ("comments", "version_id", "model_versions"), ("group_members", "user_id", "users"),
        ("model_permissions", "model_id", "registered_models"), ("model_followers", "user_id", "users"),
    ]
    for table, column, target in references:
        dangling = [row for row in file.of(table) if row[column] is not None and row[column] not in ids[target]]
        assert dangling == [], (table, column)
    for model in file.of("registered_models"):
        numbers = [v["version"] for v in file.of("model_versions") if v["model_id"] == model["id"]]
        assert model["version_count"] == len(numbers) and model["last_version"] >= max(numbers, default=0)
    for table, highest in file.counters.items():
        assert all(row["id"] <= highest for row in file.of(table)), table


# ---- a registry with everything, made through the API ----------------------------------------

def build_registry(gql, sign_in) -> dict:
    alice, bob = sign_in("alice", groups=["risk"]), sign_in("bob")
    ok(gql.play("create_model", name="fraud", description="Flags fraud.", tags=[{"key": "team", "value": "risk"}]))
    for run in ("r1", "r2", "r3", "r4"):
        ok(gql.play("create_version", name="fraud", source=f"s3://models/fraud/{run}", runId=run))
    ok(gql.mutate("deleteModelVersion", "", name="fraud", version=2))
    ok(gql.play("set_version_tag", name="fraud", version=3, key="validated", value="yes\twith a tab\nand a line"))
    ok(gql.play("transition", name="fraud", version=3, stage="PRODUCTION"))
    ok(gql.play("set_alias", name="fraud", alias="champion", version=3))
    ok(gql.play("copy_version", source={"name": "fraud", "alias": "champion"}, destination="fraud-prod",
                aliases=["live"]))
    ok(gql.mutate("setModelPermission", "", name="fraud", principal="alice", level="CAN_MANAGE"))
    ok(gql.mutate("setModelPermission", "", name="fraud-prod", principal="risk", level="CAN_EDIT"))

    approved = ok(alice.play("request_transition", name="fraud", version=4, stage="STAGING", comment="ready"))
    ok(gql.play("approve_transition", id=approved["transitionRequest"]["id"], comment="go"))
    rejected = ok(alice.play("request_transition", name="fraud", version=1, stage="PRODUCTION"))
    ok(gql.play("reject_transition", id=rejected["transitionRequest"]["id"], comment="not this one"))
    ok(alice.play("request_transition", name="fraud", version=4, stage="PRODUCTION", archive=True, comment="ü ✓"))
    kept = ok(alice.play("comment", name="fraud", version=3, body="Looks good."))["comment"]
    ok(gql.mutate("updateComment", "", id=kept["id"], body="Looks good, \"really\"."))
    dropped = ok(gql.play("comment", name="fraud", version=4, body="typo"))["comment"]
    ok(gql.mutate("deleteComment", "", id=dropped["id"]))

    ok(alice.play("set_viewer_email", email="alice@example.com"))
    ok(alice.play("follow_model", name="fraud"))
    ok(bob.play("follow_model", name="fraud-prod"))
    hook = ok(gql.play("create_webhook", url="http://127.0.0.1:9/fraud", modelName="fraud",
                       events=["MODEL_VERSION_CREATED"], description="CI"))
    ok(gql.play("create_webhook", url="http://127.0.0.1:9/everything"))
    ok(gql.play("create_version", name="fraud", source="s3://models/fraud/r5"))  # a delivery and an e-mail queued

    ok(gql.play("create_model", name="churn-old"))
    ok(gql.play("create_version", name="churn-old", source="s3://models/churn/1"))
    ok(gql.mutate("renameRegisteredModel", "", name="churn-old", newName="churn"))
    ok(gql.play("create_model", name="scratch"))
    ok(gql.play("create_version", name="scratch", source="s3://scratch/1"))
    ok(gql.mutate("deleteRegisteredModel", "", name="scratch"))
    return {"alice": alice.http.headers["authorization"], "webhook_secret": hook["secret"]}


# Each playground query, with the variables to run it with on every database.
QUERIES = {
    "models_page": [{}],
    "models_review_page": [{}],
    "page_models": [{"first": 2}, {"first": 50}],
    "search_models": [{"query": "tags.team = 'risk'"}, {"first": 50}],
    "search_versions": [{"first": 50}, {"filter": {"stage": ["PRODUCTION", "STAGING"]}}],
    "version_by_alias": [{"name": "fraud", "alias": "champion"}, {"name": "fraud-prod", "alias": "live"}],
    "model_history": [{"name": "fraud", "first": 100}, {"name": "churn", "first": 100}],
    "review_inbox": [{}, {"status": "APPROVED"}, {"status": "REJECTED"}],
    "webhook_deliveries": [{}],
}
# And what the playground does not ask: accounts, grants, followers, comments, the whole log.
MORE = """{
  viewer { user { id name isAdmin email groups } }
  fraud: registeredModel(name: "fraud") {
    id permissionLevel followedByViewer permissions { principal level }
    versions(first: 50) { nodes { id version description createdBy
      comments { id body createdBy createdAt updatedAt } transitionRequests { id status resolvedBy } } }
    webhooks { id url description events status createdAt createdBy updatedAt }
  }
  activities(first: 100) { totalCount nodes { id type actor occurredAt modelName version payload } }
}"""


def _playground_queries() -> set[str]:
    return {path.stem for path in PLAYGROUND.glob("*.graphql")
            if any(line.startswith("query ") for line in path.read_text().splitlines())}


def test_every_playground_query_is_compared_after_a_restore():
    assert set(QUERIES) == _playground_queries()


def answers(client: GraphQLClient, alice: GraphQLClient) -> dict:
    found = {f"{name} {variables}": client.play(name, **variables)
             for name, variable_sets in QUERIES.items() for variables in variable_sets}
    found["more, as the admin"] = client.data(MORE)
    found["more, as alice"] = alice.data(MORE)
    return found


def as_restored(source: dict) -> dict:
    """The source's answers as a restore gives them back: webhooks DISABLED, with nothing sent."""
    restored = json.loads(json.dumps(source))
    for hook in restored["webhook_deliveries {}"]["nodes"]:
        hook.update(status="DISABLED", deliveries={"totalCount": 0, "nodes": []})
    for who in ("more, as the admin", "more, as alice"):
        for hook in (restored[who]["fraud"] or {}).get("webhooks", []):
            hook["status"] = "DISABLED"
    return restored


def test_a_registry_goes_to_the_other_backend_and_back_unchanged(gql, sign_in, store, new_database, serve_database,
                                                                 user_clients, tmp_path):
    made = build_registry(gql, sign_in)
    source = answers(gql, as_user(gql, made["alice"], user_clients))
    assert source["webhook_deliveries {}"]["nodes"][0]["deliveries"]["totalCount"] > 0

    here, there = ("sqlite", "postgresql") if store.is_sqlite else ("postgresql", "sqlite")
    first = export(store.url, tmp_path / "first.jsonl", "--include-token-hashes")
    other = new_database(there)
    restore(first, other)
    second = export(other, tmp_path / "second.jsonl", "--include-token-hashes")
    third_database = new_database(here)
    restore(second, third_database)
    third = export(third_database, tmp_path / "third.jsonl", "--include-token-hashes")

    files = [Backup(path) for path in (first, second, third)]
    assert [f.header["backend"] for f in files] == [here, there, here]
    for file in files:
        assert_consistent(file)
    # Compared as JSON text, where 1 is not true: the file reads the same whatever the backend.
    assert json.dumps(files[1].rows) == json.dumps(files[2].rows)
    assert files[0].counters == files[1].counters == files[2].counters
    disabled = [{**e, "r": {**e["r"], "status": "DISABLED"}} if e["t"] == "webhooks" else e for e in files[0].rows]
    assert json.dumps(disabled) == json.dumps(files[1].rows)
    assert {table for table, count in files[0].trailer.items() if count == 0} == set(), files[0].trailer

    expected = as_restored(source)
    for url in (other, third_database):
        restored = serve_database(url)
        assert answers(restored, as_user(restored, made["alice"], user_clients)) == expected


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ids_are_kept_and_new_ones_pass_every_id_ever_issued(gql, store, new_database, serve_database, tmp_path,
                                                             backend):
    for name in ("a", "b", "c"):
        ok(gql.play("create_model", name=name))
    for _ in range(3):
        ok(gql.play("create_version", name="a", source="s3://a"))
    ok(gql.mutate("deleteModelVersion", "", name="a", version=3))
    ok(gql.mutate("deleteRegisteredModel", "", name="c"))
    comment = ok(gql.play("comment", name="a", version=1, body="gone"))["comment"]["id"]
    ok(gql.mutate("deleteComment", "", id=comment))
    kept = gql.data('{ registeredModel(name: "a") { id versions(first: 5) { nodes { id } } } }')["registeredModel"]

    file = Backup(export(store.url, tmp_path / "ids.jsonl"))
    issued = file.counters
    assert issued["registered_models"] > max(row["id"] for row in file.of("registered_models"))  # c's, deleted
    assert issued["model_versions"] > max(row["id"] for row in file.of("model_versions"))
    assert issued["comments"] == from_global_id(comment)[1] and file.of("comments") == []

    target = new_database(backend)
    restore(tmp_path / "ids.jsonl", target)
    restored = serve_database(target)
    again = restored.data('{ registeredModel(name: "a") { id versions(first: 5) { nodes { id } } } }')
    assert again["registeredModel"] == kept
    assert restored.payload("query($id: ID!) { node(id: $id) { ... on RegisteredModel { name } } }",
                            id=kept["id"]) == {"name": "a"}

    def pk(global_id: str) -> int:
        return from_global_id(global_id)[1]

    model = ok(restored.play("create_model", name="d"))["registeredModel"]["id"]
    version = ok(restored.play("create_version", name="a", source="s3://a"))["modelVersion"]
    new_comment = ok(restored.play("comment", name="a", version=1, body="new"))["comment"]["id"]
    newest = restored.data("{ activities(first: 1) { nodes { id } } }")["activities"]["nodes"][0]["id"]
    assert version["version"] == 4  # numbers are never reused either
    assert pk(model) > issued["registered_models"] and pk(new_comment) > issued["comments"]
    assert pk(newest) > issued["activities"]
    versions = restored.data('{ registeredModel(name: "a") { versions(first: 1) { nodes { id } } } }')
    assert pk(versions["registeredModel"]["versions"]["nodes"][0]["id"]) > issued["model_versions"]


def test_a_restore_queues_no_webhook_delivery_and_no_email(gql, sign_in, store, new_database, tmp_path):
    made = build_registry(gql, sign_in)
    queued = row_counts(store.url)
    assert queued["webhook_deliveries"] > 0 and queued["email_deliveries"] > 0  # the source's, not exported

    target = new_database("sqlite" if store.is_sqlite else "postgresql")
    done = restore(export(store.url, tmp_path / "all.jsonl"), target)
    counts = row_counts(target)
    assert counts["webhook_deliveries"] == counts["email_deliveries"] == 0
    assert counts["activities"] == queued["activities"] and counts["model_followers"] == queued["model_followers"]

    database = open_database(target, 1)
    try:
        with database.connection_context():
            hooks = database.execute_sql("SELECT status, secret, previous_secret FROM webhooks").fetchall()
    finally:
        database.close_all()
    sealed = {row.secret for row in store.call(lambda: list(Webhook.select()))}
    box = SecretBox(SECRETS_KEY)
    assert len(hooks) == 2 and all(status == "DISABLED" and previous is None for status, _, previous in hooks)
    assert all(secret not in sealed and box.open(secret) != made["webhook_secret"] for _, secret, _ in hooks)
    assert "2 webhooks were restored DISABLED" in done.stderr and "rotate" in done.stderr


def test_an_export_is_one_snapshot(gql, store):
    ok(gql.play("create_version", name="early", source="s3://early/1", createModelIfMissing=True))
    with backup.snapshot(token_hashes=False) as snapshot:
        lines = snapshot.lines()
        started = [next(lines) for _ in range(2)]  # the header and the first row: the export is under way
        ok(gql.play("create_version", name="early", source="s3://early/2"))
        ok(gql.play("create_version", name="late", source="s3://late/1", createModelIfMissing=True))
        rest = list(lines)
    text = "".join(started + rest)
    assert "late" not in text and "s3://early/2" not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert sum(1 for entry in entries if entry.get("t") == "model_versions") == snapshot.counts["model_versions"] == 1
    assert entries[-1]["trailer"]["rows"] == snapshot.counts


def test_an_export_while_writes_go_on_is_consistent(gql, store, tmp_path):
    ok(gql.play("create_version", name="busy", source="s3://busy/0", createModelIfMissing=True))
    with backup.snapshot(token_hashes=False) as snapshot:
        lines = snapshot.lines()
        written = [next(lines) for _ in range(3)]
        for number in range(1, 6):  # each its own transaction, between reads of the export
            ok(gql.play("create_version", name="busy", source=f"s3://busy/{number}"))
            ok(gql.play("set_alias", name="busy", alias=f"a{number}", version=number + 1))
            written.append(next(lines, ""))
        written += list(lines)
    path = tmp_path / "busy.jsonl"
    path.write_text("".join(written))
    assert_consistent(Backup(path))


@pytest.fixture
def small_backup(store, tmp_path) -> Path:
    """A model with a tag and three versions, made in the store directly: the file is what
    these tests are about."""
    store.write(changes.apply, models.create, ADMIN, "fraud", None, [("team", "risk")])
    for run in range(3):
        store.write(changes.apply, versions.create, ADMIN, "fraud", f"s3://fraud/{run}", None, None, None, [], False,
                    None)
    return export(store.url, tmp_path / "small.jsonl")


def _rewritten(path: Path, change) -> Path:
    lines = path.read_text().splitlines(keepends=True)
    changed = path.with_name(f"changed-{uuid.uuid4().hex[:6]}.jsonl")
    changed.write_text("".join(change(lines)))
    return changed


def _header_with(lines: list[str], **fields) -> list[str]:
    header = json.loads(lines[0])
    header["header"].update(fields)
    return [json.dumps(header) + "\n", *lines[1:]]


@pytest.mark.parametrize("damage, message", [
    (lambda lines: lines[:-1], "the file's last line is not a trailer: it is cut short"),
    (lambda lines: lines[:len(lines) // 2], "the file's last line is not a trailer"),
    (lambda lines: [*lines[:-2], lines[-1]], "the file has no counters line"),
    (lambda lines: [*lines[:3], *lines[4:]], "the file holds other rows than its trailer counts"),
    (lambda lines: [*lines[:5], '{"t": "model_versions", "r": {"id": 1,\n', *lines[6:]], "line 6 is not JSON"),
    (lambda lines: ["garbage\n", *lines[1:]], "line 1 is not JSON"),
    (lambda lines: _header_with(lines, version=backup.FORMAT_VERSION + 1), "newer than this registry-gateway reads"),
    (lambda lines: _header_with(lines, format="something-else"), "not a registry-gateway-backup header"),
    (lambda lines: _header_with(lines, migrations=[*json.loads(lines[0])["header"]["migrations"], "0099_future"]),
     "from a database with migrations this one lacks (0099_future)"),
    (lambda lines: [*lines[:-1], lines[-1].replace('"model_versions":3', '"model_versions":4')],
     "other rows than its trailer counts"),
    (lambda lines: [*lines[:3], lines[3].replace('"r":{', '"r":{"extra":1,'), *lines[4:]],
     "columns this registry does not have (extra)"),
])
def test_a_damaged_file_is_refused_whole(small_backup, store, new_database, damage, message):
    target = new_database("sqlite" if store.is_sqlite else "postgresql")
    line = refusal(_rewritten(small_backup, damage), target)
    assert message in line, line
    assert set(row_counts(target).values()) == {0}


def test_only_an_empty_migrated_database_is_filled(small_backup, store, new_database, tmp_path):
    target = new_database("sqlite" if store.is_sqlite else "postgresql")
    restore(small_backup, target)
    before = row_counts(target)
    assert "the target database is not empty (registered_models has rows)" in refusal(small_backup, target)
    assert row_counts(target) == before
    unmigrated = f"sqlite:///{tmp_path / 'unmigrated.db'}"
    assert "is not migrated: run `registry-gateway migrate`" in refusal(small_backup, unmigrated)
    assert "No such file or directory" in refusal(tmp_path / "missing.jsonl", target)


def test_secrets_stay_out_and_token_hashes_only_when_asked(gql, sign_in, store, new_database, serve_database,
                                                          tmp_path):
    made = build_registry(gql, sign_in)
    sealed = [row.secret for row in store.call(lambda: list(Webhook.select()))]
    plain = export(store.url, tmp_path / "plain.jsonl")
    text = plain.read_text()
    assert made["webhook_secret"] not in text and not any(secret in text for secret in sealed)
    assert '"secret' not in text and Backup(plain).of("access_tokens") == []
    assert Backup(plain).header["access_token_hashes"] is False

    with_hashes = export(store.url, tmp_path / "hashes.jsonl", "--include-token-hashes")
    assert len(Backup(with_hashes).of("access_tokens")) == 2 and made["webhook_secret"] not in with_hashes.read_text()
    for path, alice_is in ((plain, None), (with_hashes, "alice")):
        target = new_database("sqlite" if store.is_sqlite else "postgresql")
        restore(path, target)
        restored = serve_database(target)
        with httpx.Client(base_url=restored.base, timeout=30, headers={"authorization": made["alice"]}) as http:
            response = http.post("/graphql", json={"query": "{ viewer { user { name } } }"})
        if alice_is is None:
            assert response.status_code == 401
        else:
            assert response.json()["data"]["viewer"]["user"]["name"] == alice_is


def test_every_table_is_in_the_file_or_left_out_on_purpose():
    assert {part.table for part in backup.PARTS} | set(backup.LEFT_OUT_TABLES) == set(ALL_TABLES)
    assert not {part.table for part in backup.PARTS} & set(backup.LEFT_OUT_TABLES)


def test_import_takes_a_file_or_an_mlflow_server_but_not_both():
    """(--from-mlflow itself: tests/test_mlflow_import.py.)"""
    for argv in (["import"], ["import", "x.jsonl", "--from-mlflow", "http://mlflow:5000"]):
        with pytest.raises(SystemExit) as exit_:
            cli.parser().parse_args(argv)
        assert exit_.value.code == 2
