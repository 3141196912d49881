"""Users, groups, access tokens and per-model permissions (frozen as first written)."""
from peewee import AutoField, BigIntegerField, BooleanField, CharField, ForeignKeyField, IntegerField, Model, TextField

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

    class User(Base):
        id = NeverReusedId()
        name = CharField(max_length=256, unique=True)
        is_admin = BooleanField(default=False)
        created_at = BigIntegerField()

        class Meta:
            table_name = "users"

    class GroupMember(Base):
        id = AutoField()
        user = ForeignKeyField(User, on_delete="CASCADE")
        group = CharField(max_length=256)

        class Meta:
            table_name = "group_members"
            indexes = ((("user", "group"), True),)

    class AccessToken(Base):
        id = NeverReusedId()
        user = ForeignKeyField(User, on_delete="CASCADE")
        secret_hash = CharField(max_length=64, unique=True)
        description = TextField(null=True)
        created_at = BigIntegerField()
        expires_at = BigIntegerField(null=True)
        last_used_at = BigIntegerField(null=True)
        revoked_at = BigIntegerField(null=True)

        class Meta:
            table_name = "access_tokens"
            indexes = ((("user", "id"), False),)

    class ModelPermission(Base):
        id = AutoField()
        model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
        principal = CharField(max_length=256)
        level = IntegerField()

        class Meta:
            table_name = "model_permissions"
            indexes = ((("model", "principal"), True), (("principal", "level"), False))

    db.create_tables([User, GroupMember, AccessToken, ModelPermission])
    # Creators manage what they created, including models made before permissions existed.
    db.execute_sql("INSERT INTO model_permissions (model_id, principal, level) "
                   "SELECT id, created_by, 5 FROM registered_models WHERE created_by IS NOT NULL")
