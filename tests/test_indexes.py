"""The indexes the registry's hot searches rely on are the ones the database uses."""
import re

from peewee import SQL

from store.filters import version_filter
from store.queries import tag_value_is
from store.tables import ModelVersion, ModelVersionTag, RegisteredModelTag


def plan_of(store, query) -> str:
    """The database's plan for `query`, with sequential scans priced out on PostgreSQL,
    so the plan shows whether an index *can* serve it even on a near-empty table."""
    sql, params = query.sql()
    with store.db.connection_context(), store.db.atomic():
        if store.is_sqlite:
            rows = store.db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            return "\n".join(str(row[-1]) for row in rows)
        store.db.execute_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in store.db.execute_sql(f"EXPLAIN {sql}", params).fetchall())


def test_tag_equality_is_served_by_the_key_value_index(store):
    for table in (ModelVersionTag, RegisteredModelTag):
        query = table.select(SQL("1")).where((table.key == "team") & tag_value_is(table, ["risk"]))
        assert f"{table._meta.table_name}_key_value" in plan_of(store, query)


def test_a_long_tag_value_is_indexable(store, gql):
    """A value far past a B-tree entry's ~2,700 bytes: PostgreSQL indexes its md5."""
    long_value = "x" * 100_000
    gql.play("create_version", name="m", source="s3://m/1", createModelIfMissing=True,
             tags=[{"key": "blob", "value": long_value}])
    found = gql.play("search_versions", filter={"tags": [{"key": "blob", "value": {"eq": long_value}}]})
    assert [v["version"] for v in found["nodes"]] == [1]
    assert gql.play("search_versions", filter={"tags": [{"key": "blob", "value": {"in": ["y", long_value]}}]})[
        "nodes"][0]["tags"] == [{"key": "blob", "value": long_value}]


def test_the_version_filter_puts_tag_equality_through_the_index():
    condition = version_filter.compile({"tags": [{"key": "team", "value": {"eq": "risk"}}]})
    filter_sql, _params = ModelVersion.select().where(condition).sql()
    tag_sql, _params = ModelVersionTag.select().where(tag_value_is(ModelVersionTag, ["risk"])).sql()
    without_aliases = lambda sql: re.sub(r'"t\d+"', '"t"', sql)  # noqa: E731
    assert without_aliases(tag_sql.split(" WHERE ", 1)[1].strip("()")) in without_aliases(filter_sql)
