"""registered_models.version_count: live versions per model, kept by the mutations, so an
unfiltered total of versions sums 100,000 counters instead of counting 1,000,000 rows."""
from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("registered_models", "version_count", IntegerField(default=0)))
    db.execute_sql("UPDATE registered_models SET version_count = "
                   "(SELECT COUNT(*) FROM model_versions v WHERE v.model_id = registered_models.id)")


def down(migrator, db):
    migrator.migrate(migrator.drop_column("registered_models", "version_count"))
