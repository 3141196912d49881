"""E-mail to a model's followers: users' addresses, who follows which model, and an outbox
of e-mails filled, as the webhooks' is, by a trigger on the activity log in the
transaction that commits the activity. A follower is told of new versions, stage
transitions, transition requests and their outcome, and comments; not of their own
actions, and only if they have an address."""
from peewee import BigIntegerField, CharField, ForeignKeyField, IntegerField, Model, SqliteDatabase, TextField

from store.fields import NeverReusedId

MAILED_TYPES = ("MODEL_VERSION_CREATED", "STAGE_TRANSITIONED", "TRANSITION_REQUESTED", "TRANSITION_REQUEST_APPROVED",
                "TRANSITION_REQUEST_REJECTED", "TRANSITION_REQUEST_CANCELLED", "COMMENT_CREATED")
_QUEUE = """
INSERT INTO email_deliveries (user_id, activity_id, status, attempts, round_attempts, next_attempt_at, created_at)
SELECT u.id, NEW.id, 'PENDING', 0, 0, NEW.occurred_at, NEW.occurred_at
FROM model_followers f JOIN users u ON u.id = f.user_id
WHERE f.model_id = NEW.model_id AND u.email IS NOT NULL AND (NEW.actor IS NULL OR u.name <> NEW.actor)
ORDER BY u.id;
"""


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

        class Meta:
            table_name = "users"

    class ModelFollower(Base):
        id = NeverReusedId()
        model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")

        class Meta:
            table_name = "model_followers"
            indexes = ((("model", "user"), True), (("user", "model"), False))

    class EmailDelivery(Base):
        id = NeverReusedId()
        user = ForeignKeyField(User, on_delete="CASCADE")
        activity_id = BigIntegerField()
        status = CharField(max_length=16, default="PENDING")
        attempts = IntegerField(default=0)
        round_attempts = IntegerField(default=0)
        last_error = TextField(null=True)
        next_attempt_at = BigIntegerField(null=True)
        leased_until = BigIntegerField(null=True)
        lease = CharField(max_length=32, null=True)
        created_at = BigIntegerField()
        delivered_at = BigIntegerField(null=True)

        class Meta:
            table_name = "email_deliveries"
            indexes = ((("status", "next_attempt_at"), False), (("user", "id"), False))

    migrator.migrate(migrator.add_column("users", "email", CharField(max_length=320, null=True)))
    db.create_tables([ModelFollower, EmailDelivery])
    types = ", ".join(f"'{t}'" for t in MAILED_TYPES)
    if isinstance(getattr(db, "obj", db), SqliteDatabase):
        db.execute_sql("CREATE TRIGGER activities_queue_emails AFTER INSERT ON activities "
                       f"WHEN NEW.model_id IS NOT NULL AND NEW.type IN ({types}) BEGIN" + _QUEUE + "END")
        return
    db.execute_sql("CREATE FUNCTION queue_emails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                   + _QUEUE + "RETURN NULL; END $$")
    db.execute_sql("CREATE TRIGGER activities_queue_emails AFTER INSERT ON activities FOR EACH ROW "
                   f"WHEN (NEW.model_id IS NOT NULL AND NEW.type IN ({types})) EXECUTE FUNCTION queue_emails()")
