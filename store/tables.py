"""The registry's tables. Timestamps are UTC epoch milliseconds (BIGINT): exact,
backend-neutral and cheap to compare in keyset cursors."""
from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from store.fields import NeverReusedId

database = DatabaseProxy()


class Table(Model):
    class Meta:
        database = database
        legacy_table_names = False


class RegisteredModel(Table):
    id = NeverReusedId()
    name = CharField(max_length=256, unique=True)
    description = TextField(null=True)
    created_at = BigIntegerField()
    updated_at = BigIntegerField()
    created_by = CharField(null=True)
    # Highest version number ever issued: numbers are never reused, even after deletes.
    last_version = IntegerField(default=0)
    # Live versions, kept by the mutations that make and delete them: an unfiltered
    # total of versions is a sum over models instead of a count over every version.
    version_count = IntegerField(default=0)

    class Meta:
        table_name = "registered_models"
        # Keyset pages in created/updated order break ties by the (unique) name.
        indexes = ((("created_at", "name"), False), (("updated_at", "name"), False))


class ModelVersion(Table):
    id = NeverReusedId()
    model = ForeignKeyField(RegisteredModel, on_delete="CASCADE", backref="versions")
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


class RegisteredModelTag(Table):
    id = AutoField()
    model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
    key = CharField(max_length=250)
    value = TextField()

    class Meta:
        table_name = "registered_model_tags"
        # and (key, value), by migration 0004: see store.queries.tag_value_is
        indexes = ((("model", "key"), True),)


class ModelVersionTag(Table):
    id = AutoField()
    version = ForeignKeyField(ModelVersion, on_delete="CASCADE")
    key = CharField(max_length=250)
    value = TextField()

    class Meta:
        table_name = "model_version_tags"
        # and (key, value), by migration 0004: see store.queries.tag_value_is
        indexes = ((("version", "key"), True),)


class ModelAlias(Table):
    id = AutoField()
    model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
    alias = CharField(max_length=255)
    version = ForeignKeyField(ModelVersion, on_delete="CASCADE", index=True)

    class Meta:
        table_name = "model_aliases"
        indexes = ((("model", "alias"), True),)


class IdempotencyKey(Table):
    """A retried mutation carrying the same key returns the version the first call made;
    keys are the principal's own, for 24 hours."""

    id = AutoField()
    principal = CharField(max_length=255, default="")
    operation = CharField(max_length=64)
    key = CharField(max_length=255)
    request_hash = CharField(max_length=64)
    version = ForeignKeyField(ModelVersion, null=True, on_delete="SET NULL")
    created_at = BigIntegerField()

    class Meta:
        table_name = "idempotency_keys"
        indexes = ((("principal", "operation", "key"), True), (("created_at",), False))




class TransitionRequest(Table):
    """A request to move a version to a stage, awaiting approval (Databricks semantics)."""

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


class Comment(Table):
    id = NeverReusedId()
    version = ForeignKeyField(ModelVersion, on_delete="CASCADE")
    body = TextField()
    created_by = CharField(null=True)
    created_at = BigIntegerField()
    updated_at = BigIntegerField()

    class Meta:
        table_name = "comments"
        indexes = ((("version", "id"), False),)


class Activity(Table):
    """The registry's history and event stream: append-only, never updated or deleted.

    No foreign keys: a row outlives the model, version or request it speaks of, and keeps
    the model's name as it was. Ids increase in commit order (see store/writes.py),
    so a reader can resume after the last id it saw.
    """

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
    payload = TextField()  # JSON: everything a consumer needs, before and after values

    class Meta:
        table_name = "activities"
        indexes = (
            (("model_id", "id"), False),
            (("version_id", "id"), False),
            (("model_name", "id"), False),
        )


class User(Table):
    id = NeverReusedId()
    name = CharField(max_length=256, unique=True)
    is_admin = BooleanField(default=False)
    created_at = BigIntegerField()
    # Where notifications to followers go (migration 0008); set by the user.
    email = CharField(max_length=320, null=True)

    class Meta:
        table_name = "users"


class GroupMember(Table):
    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    group = CharField(max_length=256)

    class Meta:
        table_name = "group_members"
        indexes = ((("user", "group"), True),)


class AccessToken(Table):
    """Only a SHA-256 of the secret is kept: the secret is shown once, when made."""

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


class ModelPermission(Table):
    """A level granted on a model to a principal: a user's name or a group's."""

    id = AutoField()
    model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
    principal = CharField(max_length=256)
    level = IntegerField()  # resolvers/access.py LEVELS: higher includes lower

    class Meta:
        table_name = "model_permissions"
        indexes = ((("model", "principal"), True), (("principal", "level"), False))


class Webhook(Table):
    """An HTTP endpoint that receives activities: a model's (`model`), or every model's.

    Secrets are kept encrypted (resolvers/webhook_secrets.py): signing needs the secret
    itself, so it cannot be hashed, and a copy of the database alone must not let anyone
    sign as the registry."""

    id = NeverReusedId()
    model = ForeignKeyField(RegisteredModel, null=True, on_delete="CASCADE")
    url = TextField()
    description = TextField(null=True)
    # The activity types it receives, a sorted JSON list of names; "[]" is every type.
    events = TextField(default="[]")
    status = CharField(max_length=16, default="ACTIVE")
    secret = TextField()
    # After a rotation the previous secret signs too, until `previous_secret_until`.
    previous_secret = TextField(null=True)
    previous_secret_until = BigIntegerField(null=True)
    created_at = BigIntegerField()
    created_by = CharField(null=True)
    updated_at = BigIntegerField()

    class Meta:
        table_name = "webhooks"
        indexes = ((("model", "id"), False),)


class OutboxEntry(Table):
    """What the outboxes' rows share (store/outbox.py): one activity to send somewhere, its
    attempts, and the lease a dispatcher holds on it while it sends. Not a table itself."""

    id = NeverReusedId()
    activity_id = BigIntegerField()
    status = CharField(max_length=16, default="PENDING")
    attempts = IntegerField(default=0)
    # Attempts since it was queued (or queued again by a redelivery): where in the retry
    # schedule it is.
    round_attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    next_attempt_at = BigIntegerField(null=True)
    # A dispatcher holds an entry while it sends it: until `leased_until`, under `lease`.
    leased_until = BigIntegerField(null=True)
    lease = CharField(max_length=32, null=True)
    created_at = BigIntegerField()
    delivered_at = BigIntegerField(null=True)


class WebhookDelivery(OutboxEntry):
    """One activity to send to one webhook. Rows are made by a trigger on the activity log
    (migration 0007), in the transaction that commits the activity."""

    webhook = ForeignKeyField(Webhook, on_delete="CASCADE")
    response_status = IntegerField(null=True)

    class Meta:
        table_name = "webhook_deliveries"
        indexes = (
            (("webhook", "id"), False),
            (("webhook", "status", "id"), False),
            (("status", "webhook", "id"), False),
            (("status", "next_attempt_at"), False),
        )


class ModelFollower(Table):
    """A user told by e-mail of a model's changes (migration 0008 queues the e-mails)."""

    id = NeverReusedId()
    model = ForeignKeyField(RegisteredModel, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        table_name = "model_followers"
        indexes = ((("model", "user"), True), (("user", "model"), False))


class EmailDelivery(OutboxEntry):
    """One activity to tell one follower by e-mail (queued by migration 0008's trigger)."""

    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        table_name = "email_deliveries"
        indexes = ((("status", "next_attempt_at"), False), (("user", "id"), False))


ALL_TABLES = [RegisteredModel, ModelVersion, RegisteredModelTag, ModelVersionTag, ModelAlias, IdempotencyKey,
              TransitionRequest, Comment, Activity, User, GroupMember, AccessToken, ModelPermission, Webhook,
              WebhookDelivery, ModelFollower, EmailDelivery]
