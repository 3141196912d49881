"""Tag-equality search by index: (key, value) on SQLite; on PostgreSQL (key, md5(value)),
since a value may be 100,000 characters and a B-tree entry holds about 2,700 bytes. The
(key) indexes they make redundant go."""
from peewee import SqliteDatabase

TAG_TABLES = ("registered_model_tags", "model_version_tags")


def up(migrator, db):
    sqlite = isinstance(getattr(db, "obj", db), SqliteDatabase)
    for table in TAG_TABLES:
        value = "value" if sqlite else "md5(value)"
        db.execute_sql(f"CREATE INDEX {table}_key_value ON {table} (key, {value})")
        db.execute_sql(f"DROP INDEX {table}_key")


def down(migrator, db):
    for table in TAG_TABLES:
        db.execute_sql(f"CREATE INDEX {table}_key ON {table} (key)")
        db.execute_sql(f"DROP INDEX {table}_key_value")
