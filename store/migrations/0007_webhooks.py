"""Webhooks and their outbox. A trigger on the activity log queues a delivery for every
active webhook an activity concerns, in the transaction that commits the activity: an
activity is never committed without its deliveries, and a rolled-back one leaves none.
On PostgreSQL activities are appended under an advisory lock held to commit
(store/writes.py), so delivery ids, like activity ids, follow commit order."""
from peewee import BigIntegerField, CharField, ForeignKeyField, IntegerField, Model, SqliteDatabase, TextField

from store.fields import NeverReusedId

# Which webhooks an activity (NEW) concerns: those of its model, and registry-wide ones,
# that receive every type or its type. `events` is a JSON list of type names.
_QUEUE = """
INSERT INTO webhook_deliveries (webhook_id, activity_id, status, attempts, round_attempts, next_attempt_at,
                                created_at)
SELECT w.id, NEW.id, 'PENDING', 0, 0, NEW.occurred_at, NEW.occurred_at FROM webhooks w
WHERE w.status = 'ACTIVE' AND (w.model_id IS NULL OR w.model_id = NEW.model_id)
  AND (w.events = '[]' OR {contains}(w.events, '"' || NEW.type || '"') > 0)
ORDER BY w.id;
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

    class Webhook(Base):
        id = NeverReusedId()
        model = ForeignKeyField(RegisteredModel, null=True, on_delete="CASCADE")
        url = TextField()
        description = TextField(null=True)
        events = TextField(default="[]")
        status = CharField(max_length=16, default="ACTIVE")
        secret = TextField()
        previous_secret = TextField(null=True)
        previous_secret_until = BigIntegerField(null=True)
        created_at = BigIntegerField()
        created_by = CharField(null=True)
        updated_at = BigIntegerField()

        class Meta:
            table_name = "webhooks"
            indexes = ((("model", "id"), False),)

    class WebhookDelivery(Base):
        id = NeverReusedId()
        webhook = ForeignKeyField(Webhook, on_delete="CASCADE")
        activity_id = BigIntegerField()
        status = CharField(max_length=16, default="PENDING")
        attempts = IntegerField(default=0)
        round_attempts = IntegerField(default=0)
        response_status = IntegerField(null=True)
        last_error = TextField(null=True)
        next_attempt_at = BigIntegerField(null=True)
        leased_until = BigIntegerField(null=True)
        lease = CharField(max_length=32, null=True)
        created_at = BigIntegerField()
        delivered_at = BigIntegerField(null=True)

        class Meta:
            table_name = "webhook_deliveries"
            indexes = (
                (("webhook", "id"), False),
                (("webhook", "status", "id"), False),
                (("status", "webhook", "id"), False),
                (("status", "next_attempt_at"), False),
            )

    db.create_tables([Webhook, WebhookDelivery])
    if isinstance(getattr(db, "obj", db), SqliteDatabase):
        db.execute_sql("CREATE TRIGGER activities_queue_webhook_deliveries AFTER INSERT ON activities "
                       "WHEN NEW.model_id IS NOT NULL BEGIN" + _QUEUE.format(contains="instr") + "END")
        return
    db.execute_sql("CREATE FUNCTION queue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                   + _QUEUE.format(contains="strpos") + "RETURN NULL; END $$")
    db.execute_sql("CREATE TRIGGER activities_queue_webhook_deliveries AFTER INSERT ON activities FOR EACH ROW "
                   "WHEN (NEW.model_id IS NOT NULL) EXECUTE FUNCTION queue_webhook_deliveries()")
