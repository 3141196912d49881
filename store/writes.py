"""Writes on the mutations' hot path, with SQL rendered once per shape and results taken
from RETURNING.

peewee renders a query's SQL each time it runs (100-250 µs of Python for an INSERT of a
dozen columns), more than SQLite takes to run it; a registration is four statements. So
these build their SQL text once per table, columns and backend, and hand back what the
statement made (a new id, the next version number) instead of reading it again.
"""
import sqlite3
from functools import lru_cache

from peewee import Model

from store.activity_tail import CHANNEL
from store.statements import is_sqlite
from store.tables import Activity, ModelVersion, RegisteredModel
from store.tables import database as bound_database

# Any constant will do: PostgreSQL holds this advisory lock from the first activity insert
# to commit, so activity ids are handed out in commit order and a reader resuming after
# id N never misses a row committed later with a smaller id.
ACTIVITY_ORDER_LOCK = 0x5245474953545259


@lru_cache(maxsize=256)
def _insert_sql(table: type[Model], columns: tuple[str, ...], rows: int, sqlite: bool, returning_id: bool,
                ignore_conflicts: bool = False) -> str:
    mark = "?" if sqlite else "%s"
    fields = [table._meta.fields[c] for c in columns]
    names = ", ".join(f'"{f.column_name}"' for f in fields)
    values = ", ".join(["(" + ", ".join([mark] * len(fields)) + ")"] * rows)
    sql = f'INSERT INTO "{table._meta.table_name}" ({names}) VALUES {values}'
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    return sql + ' RETURNING "id"' if returning_id else sql


def _parameters(table: type[Model], columns: tuple[str, ...], rows: list[dict]) -> list:
    fields = [table._meta.fields[c] for c in columns]
    return [field.db_value(row[field.name]) for row in rows for field in fields]


def insert(table: type[Model], row: dict) -> int:
    """INSERT one row (`row` maps field names to values); its new id."""
    columns = tuple(row)
    sql = _insert_sql(table, columns, 1, is_sqlite(), True)
    return bound_database.obj.execute_sql(sql, _parameters(table, columns, [row])).fetchone()[0]


def _chunks(rows: list[dict], columns: int, other_parameters: int = 0) -> list[list[dict]]:
    """`rows` in runs that each fit one statement's parameters: SQLite's build sets a limit
    (32,766 by default since 3.32, 999 before; this connection's is asked), PostgreSQL's
    protocol 65,535."""
    if is_sqlite():
        limit = bound_database.obj.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    else:
        limit = 65_535
    size = max(1, (limit - other_parameters) // columns)
    return [rows[start:start + size] for start in range(0, len(rows), size)]


def insert_many(table: type[Model], rows: list[dict], ignore_conflicts: bool = False) -> None:
    """INSERT rows that all name the same fields, in as few statements as the database's
    parameter limit allows (one, but for thousands of values); with `ignore_conflicts`,
    rows that would break a unique index are left out."""
    if not rows:
        return
    columns = tuple(rows[0])
    for chunk in _chunks(rows, len(columns)):
        sql = _insert_sql(table, columns, len(chunk), is_sqlite(), False, ignore_conflicts)
        bound_database.obj.execute_sql(sql, _parameters(table, columns, chunk))


def append_activities(rows: list[dict]) -> None:
    """Append to the activity log, in commit order (see ACTIVITY_ORDER_LOCK). On
    PostgreSQL, in one round trip (psycopg2 sends the statements as one query): the lock,
    the insert, and a notification of the newest id to the processes following the log
    (store/activity_tail.py), delivered at commit. SQLite's writers hold the whole
    database, so its ids are in commit order already."""
    if is_sqlite():
        insert_many(Activity, rows)
        return
    columns = tuple(rows[0])
    for chunk in _chunks(rows, len(columns), other_parameters=2):
        insert = _insert_sql(Activity, columns, len(chunk), False, True)
        sql = (f"SELECT pg_advisory_xact_lock(%s); WITH made AS ({insert}) "
               "SELECT pg_notify(%s, MAX(id)::text) FROM made")
        bound_database.obj.execute_sql(sql, [ACTIVITY_ORDER_LOCK, *_parameters(Activity, columns, chunk), CHANNEL])


@lru_cache(maxsize=2)
def _next_version_sql(sqlite: bool) -> str:
    mark = "?" if sqlite else "%s"
    return (f'UPDATE "registered_models" SET "last_version" = "last_version" + 1, '
            f'"version_count" = "version_count" + 1, "updated_at" = {mark} WHERE "id" = {mark} '
            'RETURNING "last_version", "version_count"')


def take_version_number(model: RegisteredModel, at: int) -> int:
    """The model's next version number, taken: the counter's row lock (or SQLite's write
    lock) gives concurrent registrations distinct, consecutive numbers. `model` is brought
    up to date (its counters and updatedAt)."""
    number, count = bound_database.obj.execute_sql(_next_version_sql(is_sqlite()), [at, model.id]).fetchone()
    model.last_version, model.version_count, model.updated_at = number, count, at
    return number


def insert_version(model: RegisteredModel, values: dict) -> ModelVersion:
    """A new version row of `model` from `values` (every column but the id), returned as
    the row it now is, its model attached, without reading it back."""
    version_id = insert(ModelVersion, values)
    version = ModelVersion(id=version_id, **values)
    version.model = model
    return version
