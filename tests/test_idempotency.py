"""Idempotency keys are the principal's own, are looked at only after the mutation's own
checks pass, and expire after 24 hours: nobody replays another's registration (and reads
what it made), squats another's key, or learns that a key was used."""
import pytest

from resolvers.idempotency import LIFETIME_MS
from store.database import now_ms
from store.tables import IdempotencyKey
from tests.conftest import ok, refused

VERSION = "modelVersion { name version description tags { key value } }"
REGISTER = {"name": "secret", "source": "s3://b/secret", "description": "the secret plan",
            "tags": [{"key": "k", "value": "v"}], "idempotencyKey": "ci-0"}
COPY = {"source": {"name": "secret", "version": 1}, "destinationName": "secret-copy", "idempotencyKey": "ci-0"}


@pytest.fixture
def people(sign_in_secured):
    """alice (admin) made model `secret`, which nobody else may read, with key ci-0; mallory
    and bob hold nothing by default."""
    alice = sign_in_secured("alice", admin=True)
    ok(alice.mutate("createModelVersion", VERSION, createModelIfMissing=True, **REGISTER))
    return alice, sign_in_secured("mallory"), sign_in_secured("bob")


@pytest.mark.parametrize("mutation, fields", [("createModelVersion", REGISTER), ("copyModelVersion", COPY)])
def test_another_user_replaying_a_key_gets_nothing_of_the_first_call(people, mutation, fields):
    alice, mallory, _ = people
    if mutation == "copyModelVersion":
        ok(alice.mutate(mutation, VERSION, **fields))
    payload = mallory.mutate(mutation, VERSION, **fields)
    refused(payload, "NOT_FOUND")
    assert payload["modelVersion"] is None and "secret plan" not in str(payload)


def test_a_key_used_by_another_user_is_not_squatted(people):
    alice, mallory, _ = people
    ok(mallory.mutate("createModelVersion", VERSION, name="mine", source="s3://b/m", createModelIfMissing=True,
                      idempotencyKey="ci-1"))
    made = ok(alice.mutate("createModelVersion", VERSION, **{**REGISTER, "idempotencyKey": "ci-1"}))
    assert made["modelVersion"]["version"] == 2  # alice's own first use: a new version, no CONFLICT


def test_the_same_key_with_another_input_is_a_conflict_for_its_owner_only(people):
    alice, mallory, _ = people
    refused(alice.mutate("createModelVersion", VERSION, **{**REGISTER, "source": "s3://b/other"}), "CONFLICT",
            ["input", "idempotencyKey"])
    ok(mallory.mutate("createModelVersion", VERSION, name="mine", source="s3://b/other", createModelIfMissing=True,
                      idempotencyKey="ci-0"))


def test_a_replay_is_authorized_like_a_first_call(people):
    alice, _, bob = people
    ok(alice.mutate("setModelPermission", "", name="secret", principal="bob", level="CAN_EDIT"))
    first = ok(bob.mutate("createModelVersion", VERSION, **{**REGISTER, "idempotencyKey": "bob-1"}))
    assert ok(bob.mutate("createModelVersion", VERSION, **{**REGISTER, "idempotencyKey": "bob-1"})) == first
    ok(alice.mutate("setModelPermission", "", name="secret", principal="bob", level="CAN_READ"))
    refused(bob.mutate("createModelVersion", VERSION, **{**REGISTER, "idempotencyKey": "bob-1"}),
            "PERMISSION_DENIED")


def test_a_key_expires_after_24_hours(people, store):
    alice, _, _ = people
    with store.db.connection_context():
        IdempotencyKey.update(created_at=IdempotencyKey.created_at - LIFETIME_MS - 1).execute()
    again = ok(alice.mutate("createModelVersion", VERSION, **REGISTER))
    assert again["modelVersion"]["version"] == 2  # a new registration, not the day-old one
    assert ok(alice.mutate("createModelVersion", VERSION, **REGISTER)) == again


def test_expired_keys_are_forgotten_when_the_server_starts(people, store, serve_with):
    with store.db.connection_context():
        IdempotencyKey.update(created_at=now_ms() - LIFETIME_MS - 1).execute()
        assert IdempotencyKey.select().count() == 1
    serve_with()
    with store.db.connection_context():
        assert IdempotencyKey.select().count() == 0
