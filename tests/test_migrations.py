"""Migrations build exactly the tables the code declares, and run once."""
from store.tables import ALL_TABLES


def test_migrated_tables_match_the_declared_ones(store):
    with store.db.connection_context():
        for table in ALL_TABLES:
            name = table._meta.table_name
            columns = {c.name for c in store.db.get_columns(name)}
            assert columns == {f.column_name for f in table._meta.sorted_fields}, name
            indexes = {tuple(i.columns) for i in store.db.get_indexes(name)}
            declared = {tuple(table._meta.fields[f].column_name if f in table._meta.fields else f for f in fields)
                        for fields, _ in table._meta.indexes}
            assert declared <= indexes, (name, declared - indexes)


def test_migrating_again_applies_nothing(store):
    assert store.migrate() == []
