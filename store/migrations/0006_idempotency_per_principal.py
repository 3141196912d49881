"""Idempotency keys belong to the principal who used them: (principal, operation, key) is
unique, so one user's key never answers, blocks or reveals another's. Keys used before
this migration belong to nobody and expire as any key does, 24 hours after use."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("idempotency_keys", "principal", CharField(max_length=255, default="")))
    db.execute_sql("DROP INDEX idempotency_keys_operation_key")
    db.execute_sql("CREATE UNIQUE INDEX idempotency_keys_principal_operation_key "
                   "ON idempotency_keys (principal, operation, key)")
    db.execute_sql("CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)")


def down(migrator, db):
    db.execute_sql("DROP INDEX idempotency_keys_created_at")
    db.execute_sql("DROP INDEX idempotency_keys_principal_operation_key")
    db.execute_sql("CREATE UNIQUE INDEX idempotency_keys_operation_key ON idempotency_keys (operation, key)")
    migrator.migrate(migrator.drop_column("idempotency_keys", "principal"))
