"""The registry's first schema: models, versions, tags, aliases, idempotency keys.

A frozen copy of the tables as they were when this migration was written, so that
later changes to store/tables.py never change what this step creates.
"""
from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from store.fields import NeverReusedId


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class RegisteredModel(Base):
        id = NeverReusedId()
        name = CharField(max_length=256, unique=True)
        description = TextField(null=True)
        created_at = BigIntegerField()
        updated_at = BigIntegerField()
        created_by = CharField(null=True)
        last_version = IntegerField(default=0)

        class Meta:
            table_name = "registered_models"
            # Keyset pages in created/updated order break ties by the (unique) name.
            indexes = ((("created_at", "name"), False), (("updated_at", "name"), False))

    class ModelVersion(Base):
        id = NeverReusedId()
        model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
        version = IntegerField()
        source = TextField()
        download_uri = TextField()
        run_id = CharField(null=True)
        run_link = TextField(null=True)
        description = TextField(null=True)
        status = CharField(max_length=32, default="READY")
        status_message = TextField(null=True)
        stage = CharField(max_length=16, default="NONE")
        created_at = BigIntegerField()
        updated_at = BigIntegerField()
        created_by = CharField(null=True)
        copied_from = ForeignKeyField("self", null=True, on_delete="SET NULL", index=True)

        class Meta:
            table_name = "model_versions"
            indexes = (
                (("model", "version"), True),
                (("model", "stage", "version"), False),
                (("created_at", "id"), False),
                (("updated_at", "id"), False),
                (("run_id",), False),
            )

    class RegisteredModelTag(Base):
        id = AutoField()
        model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
        key = CharField(max_length=250)
        value = TextField()

        class Meta:
            table_name = "registered_model_tags"
            indexes = ((("model", "key"), True), (("key",), False))

    class ModelVersionTag(Base):
        id = AutoField()
        version = ForeignKeyField(ModelVersion, on_delete="CASCADE")
        key = CharField(max_length=250)
        value = TextField()

        class Meta:
            table_name = "model_version_tags"
            indexes = ((("version", "key"), True), (("key",), False))

    class ModelAlias(Base):
        id = AutoField()
        model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
        alias = CharField(max_length=255)
        version = ForeignKeyField(ModelVersion, on_delete="CASCADE", index=True)

        class Meta:
            table_name = "model_aliases"
            indexes = ((("model", "alias"), True),)

    class IdempotencyKey(Base):
        id = AutoField()
        operation = CharField(max_length=64)
        key = CharField(max_length=255)
        request_hash = CharField(max_length=64)
        version = ForeignKeyField(ModelVersion, null=True, on_delete="SET NULL")
        created_at = BigIntegerField()

        class Meta:
            table_name = "idempotency_keys"
            indexes = ((("operation", "key"), True),)

    db.create_tables(
        [RegisteredModel, ModelVersion, RegisteredModelTag, ModelVersionTag, ModelAlias, IdempotencyKey]
    )
