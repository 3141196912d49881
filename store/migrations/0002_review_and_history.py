"""Transition requests, comments and the activity log (frozen as first written)."""
from peewee import (
    BigIntegerField,
    BooleanField,
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

        class Meta:
            table_name = "registered_models"

    class ModelVersion(Base):
        id = NeverReusedId()

        class Meta:
            table_name = "model_versions"

    class TransitionRequest(Base):
        id = NeverReusedId()
        model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
        version = ForeignKeyField(ModelVersion, on_delete="CASCADE")
        from_stage = CharField(max_length=16)
        to_stage = CharField(max_length=16)
        archive_existing_versions = BooleanField(default=False)
        status = CharField(max_length=16, default="PENDING")
        comment = TextField(null=True)
        created_by = CharField(null=True)
        created_at = BigIntegerField()
        resolved_by = CharField(null=True)
        resolved_at = BigIntegerField(null=True)
        resolution_comment = TextField(null=True)

        class Meta:
            table_name = "transition_requests"
            indexes = (
                (("version", "status", "id"), False),
                (("model", "status", "id"), False),
                (("status", "id"), False),
            )

    class Comment(Base):
        id = NeverReusedId()
        version = ForeignKeyField(ModelVersion, on_delete="CASCADE")
        body = TextField()
        created_by = CharField(null=True)
        created_at = BigIntegerField()
        updated_at = BigIntegerField()

        class Meta:
            table_name = "comments"
            indexes = ((("version", "id"), False),)

    class Activity(Base):
        id = NeverReusedId()
        type = CharField(max_length=48)
        actor = CharField(null=True)
        occurred_at = BigIntegerField()
        model_id = IntegerField(null=True)
        model_name = CharField(max_length=256)
        version_id = IntegerField(null=True)
        version = IntegerField(null=True)
        from_stage = CharField(max_length=16, null=True)
        to_stage = CharField(max_length=16, null=True)
        alias = CharField(max_length=255, null=True)
        comment = TextField(null=True)
        transition_request_id = IntegerField(null=True)
        payload = TextField()

        class Meta:
            table_name = "activities"
            indexes = (
                (("model_id", "id"), False),
                (("version_id", "id"), False),
                (("model_name", "id"), False),
            )

    db.create_tables([TransitionRequest, Comment, Activity])
