"""Loading a large registry in a few set-based statements, for benchmarks at scale.

`load` makes `models_count` models, each with `versions_per_model` versions (the newest in
Production, the one before in Staging), a `team` tag per model, three tags per version
(k0 shared by 1 in 10 versions, k1 by the models of one team, k2 unique) and a `champion`
alias. It bypasses the registry's rules, so these rows have no history and no creator
grants. Call it inside a transaction (Store.write), on an empty database."""
from store.statements import is_sqlite
from store.tables import database

NUMBERS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "


def load(models_count: int, versions_per_model: int, prefix: str, at: int) -> None:
    name = f"'{prefix}' || substr('000000' || i, -6, 6)" if is_sqlite() else f"'{prefix}' || lpad(i::text, 6, '0')"
    top = versions_per_model
    # The new rows are those past the highest ids so far. (x - x / 50 * 50 is x mod 50 on
    # both databases: SQLite has no MOD(), and psycopg2 would take % for a parameter.)
    before = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM registered_models").fetchone()[0]
    new_versions = f"FROM model_versions v WHERE v.model_id > {before}"
    for statement in (
        NUMBERS.format(count=models_count)
        + "INSERT INTO registered_models (name, description, created_at, updated_at, created_by, last_version, "
        f"version_count) SELECT {name}, 'Bulk model ' || i, {at} + i, {at} + i, 'seed', {top}, {top} FROM n",
        NUMBERS.format(count=versions_per_model)
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
        database.execute_sql(statement)


def analyze() -> None:
    """Fresh planner statistics after a large load."""
    database.execute_sql("ANALYZE")
