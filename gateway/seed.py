"""Realistic demo data, registered through the same rules as the API's mutations."""
import random

from tqdm import tqdm

from resolvers import aliases, models, versions
from resolvers.access import Viewer
from resolvers.changes import apply
from resolvers.errors import RegistryError
from store.database import Store, now_ms

TEAMS = ["risk", "growth", "search", "vision", "forecasting", "ads"]
TASKS = ["fraud-detector", "churn", "ranker", "embedder", "demand", "ctr", "classifier", "anomaly"]
FLAVORS = ["sklearn", "xgboost", "pytorch", "lightgbm", "onnx"]


def seed(store: Store, models_count: int, versions_per_model: int, user: str = "seed",
         rng: random.Random | None = None) -> int:
    """Creates `models_count` models with `versions_per_model` versions each, with tags,
    aliases and stages; skips names that exist. Returns how many models it created."""
    rng = rng or random.Random(7)
    viewer = Viewer(name=user, is_admin=True)
    created = 0
    for index in tqdm(range(models_count), desc="seeding models", unit="model"):
        team, task = TEAMS[index % len(TEAMS)], TASKS[index % len(TASKS)]
        name = f"{team}.{task}-{index:05d}"
        try:
            store.write(apply, models.create, viewer, name, f"{task.replace('-', ' ').title()} model of the {team} team.",
                        [("team", team), ("task", task)])
        except RegistryError as error:
            if error.code == "ALREADY_EXISTS":
                continue
            raise
        for number in range(1, versions_per_model + 1):
            run_id = f"{rng.getrandbits(64):016x}"
            store.write(apply, versions.create, viewer, name, f"s3://models/{team}/{task}/{run_id}/artifacts", run_id,
                        None, f"Trained on snapshot {number}.",
                        [("flavor", rng.choice(FLAVORS)), ("accuracy", f"{rng.uniform(0.7, 0.99):.3f}")],
                        False, None)
        if versions_per_model:
            newest = versions_per_model
            store.write(apply, versions.transition, viewer, name, newest, "PRODUCTION", True, "seeded")
            store.write(apply, aliases.set_alias, viewer, name, "champion", newest)
            if newest > 1:
                store.write(apply, versions.transition, viewer, name, newest - 1, "STAGING", False, None)
                store.write(apply, aliases.set_alias, viewer, name, "challenger", newest - 1)
        created += 1
    return created


def bulk_seed(store: Store, models_count: int, versions_per_model: int, prefix: str = "bulk-model-") -> None:
    """Loads a large registry in a few set-based statements, for benchmarks at scale:
    `models_count` models, each with `versions_per_model` versions (the newest in
    Production, the one before in Staging), a `team` tag per model, three tags per version
    (k0 shared by 1 in 10 versions, k1 by the models of one team, k2 unique) and a
    `champion` alias. It bypasses the mutations, so these rows have no history and no
    creator grants; run it on an empty database."""
    numbers = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) ")
    name = f"'{prefix}' || substr('000000' || i, -6, 6)" if store.is_sqlite else f"'{prefix}' || lpad(i::text, 6, '0')"
    at = now_ms()
    top = versions_per_model

    def load() -> None:
        # The new rows are those past the highest ids so far. (x - x / 50 * 50 is x mod 50
        # on both databases: SQLite has no MOD(), and psycopg2 would take % for a parameter.)
        before = store.db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM registered_models").fetchone()[0]
        new_versions = f"FROM model_versions v WHERE v.model_id > {before}"
        for statement in (
            numbers.format(count=models_count)
            + "INSERT INTO registered_models (name, description, created_at, updated_at, created_by, last_version, "
            f"version_count) SELECT {name}, 'Bulk model ' || i, {at} + i, {at} + i, 'seed', {top}, {top} FROM n",
            numbers.format(count=versions_per_model)
            + "INSERT INTO model_versions (model_id, version, source, download_uri, run_id, status, stage, "
            "created_at, updated_at, created_by) "
            "SELECT m.id, n.i, 's3://bulk/' || m.id || '/' || n.i, 's3://bulk/' || m.id || '/' || n.i, "
            "'run-' || m.id || '-' || n.i, 'READY', "
            f"CASE n.i WHEN {top} THEN 'PRODUCTION' WHEN {top - 1} THEN 'STAGING' ELSE 'NONE' END, "
            f"m.created_at + n.i, m.created_at + n.i, 'seed' FROM registered_models m CROSS JOIN n "
            f"WHERE m.id > {before} ORDER BY m.id, n.i",
            "INSERT INTO registered_model_tags (model_id, key, value) "
            f"SELECT id, 'team', 'team-' || (id - id / 50 * 50) FROM registered_models WHERE id > {before}",
            f"INSERT INTO model_version_tags (version_id, key, value) SELECT v.id, 'k0', 'v0-' || v.version {new_versions}",
            "INSERT INTO model_version_tags (version_id, key, value) "
            f"SELECT v.id, 'k1', 'team-' || (v.model_id - v.model_id / 50 * 50) {new_versions}",
            f"INSERT INTO model_version_tags (version_id, key, value) SELECT v.id, 'k2', 'run-' || v.id {new_versions}",
            "INSERT INTO model_aliases (model_id, alias, version_id) "
            f"SELECT v.model_id, 'champion', v.id {new_versions} AND v.version = {top}",
        ):
            store.db.execute_sql(statement)

    store.write(load)
    with store.db.connection_context():
        store.db.execute_sql("ANALYZE")
