"""REFERENCE.md "Versions", "Stages and transitions" and "Timestamps", and `node(id:)` /
`nodes(ids:)` lookups, over the GraphQL HTTP endpoint."""
import base64
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.conftest import ok, refused

STAGES = ("NONE", "STAGING", "PRODUCTION", "ARCHIVED")

CREATE_MODEL = """
mutation($name: String!, $description: String) {
  createRegisteredModel(input: {name: $name, description: $description}) {
    registeredModel { id name } userErrors { field message code }
  }
}"""
CREATE_VERSION = """
mutation($name: String!, $source: String!, $runId: String, $runLink: String, $description: String,
         $tags: [TagInput!], $createModelIfMissing: Boolean = false, $idempotencyKey: String) {
  createModelVersion(input: {name: $name, source: $source, runId: $runId, runLink: $runLink,
                             description: $description, tags: $tags,
                             createModelIfMissing: $createModelIfMissing, idempotencyKey: $idempotencyKey}) {
    modelVersion { id name version source downloadUri status stage tags { key value } createdAt updatedAt }
    userErrors { field message code }
  }
}"""
TRANSITION = """
mutation($name: String!, $version: Int!, $stage: Stage!, $archive: Boolean = false) {
  transitionModelVersionStage(input: {name: $name, version: $version, stage: $stage,
                                      archiveExistingVersions: $archive}) {
    modelVersion { version stage updatedAt }
    archivedVersions { version stage updatedAt }
    userErrors { field message code }
  }
}"""
SET_ALIAS = """
mutation($name: String!, $alias: String!, $version: Int!) {
  setModelAlias(input: {name: $name, alias: $alias, version: $version}) { userErrors { field message code } }
}"""
DELETE_ALIAS = """
mutation($name: String!, $alias: String!) {
  deleteModelAlias(input: {name: $name, alias: $alias}) { userErrors { field message code } }
}"""
DELETE_VERSION = """
mutation($name: String!, $version: Int!) {
  deleteModelVersion(input: {name: $name, version: $version}) {
    deletedModelVersionId userErrors { field message code }
  }
}"""
DELETE_MODEL = """
mutation($name: String!) {
  deleteRegisteredModel(input: {name: $name}) { deletedRegisteredModelId userErrors { field message code } }
}"""
UPDATE_MODEL = """
mutation($name: String!, $description: String) {
  updateRegisteredModel(input: {name: $name, description: $description}) { userErrors { field message code } }
}"""
UPDATE_VERSION = """
mutation($name: String!, $version: Int!, $description: String) {
  updateModelVersion(input: {name: $name, version: $version, description: $description}) {
    userErrors { field message code }
  }
}"""
SET_MODEL_TAG = """
mutation($name: String!, $key: String!, $value: String!) {
  setRegisteredModelTag(input: {name: $name, key: $key, value: $value}) { userErrors { field message code } }
}"""
DELETE_MODEL_TAG = """
mutation($name: String!, $key: String!) {
  deleteRegisteredModelTag(input: {name: $name, key: $key}) { userErrors { field message code } }
}"""
SET_VERSION_TAG = """
mutation($name: String!, $version: Int!, $key: String!, $value: String!) {
  setModelVersionTag(input: {name: $name, version: $version, key: $key, value: $value}) {
    userErrors { field message code }
  }
}"""
DELETE_VERSION_TAG = """
mutation($name: String!, $version: Int!, $key: String!) {
  deleteModelVersionTag(input: {name: $name, version: $version, key: $key}) { userErrors { field message code } }
}"""
RENAME = """
mutation($name: String!, $newName: String!) {
  renameRegisteredModel(input: {name: $name, newName: $newName}) { userErrors { field message code } }
}"""
COPY = """
mutation($source: ModelVersionRef!, $destination: String!) {
  copyModelVersion(input: {source: $source, destinationName: $destination}) { userErrors { field message code } }
}"""
MODEL = """
query($name: String!) {
  registeredModel(name: $name) {
    id name createdAt updatedAt
    versions(first: 100) { nodes { version stage updatedAt } }
  }
}"""
VERSION = """
query($name: String!, $version: Int!) {
  modelVersion(name: $name, version: $version) { id version stage createdAt updatedAt }
}"""
LATEST_ON_MODEL = """
query($name: String!, $stages: [Stage!]) {
  registeredModel(name: $name) { latestVersions(stages: $stages) { version stage } }
}"""
LATEST_ON_QUERY = """
query($name: String!, $stages: [Stage!]) { latestVersions(name: $name, stages: $stages) { version stage } }
"""
NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on RegisteredModel { name }
    ... on ModelVersion { name version }
  }
}"""
NODES = """
query($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename id
    ... on RegisteredModel { name }
    ... on ModelVersion { name version }
  }
}"""


# ---- helpers ------------------------------------------------------------------------------

def register(gql, name, source=None, /, **variables) -> dict:
    source = source or f"s3://bucket/{name}/{time.monotonic_ns()}"
    return ok(gql.payload(CREATE_VERSION, name=name, source=source, **variables))["modelVersion"]


def model(gql, name) -> dict | None:
    return gql.data(MODEL, name=name)["registeredModel"]


def version(gql, name, number) -> dict | None:
    return gql.data(VERSION, name=name, version=number)["modelVersion"]


def stages(gql, name) -> dict[int, str]:
    return {v["version"]: v["stage"] for v in model(gql, name)["versions"]["nodes"]}


def move(gql, name, number, stage, archive=False) -> dict:
    return ok(gql.payload(TRANSITION, name=name, version=number, stage=stage, archive=archive))


def parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def global_id(type_name: str, pk) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


# ---- Versions -----------------------------------------------------------------------------

def test_version_numbers_are_per_model_and_start_at_1(gql):
    for name in ("a", "b"):
        gql.play("create_model", name=name)
    numbers = [(name, register(gql, name)["version"]) for name in ("a", "b", "a", "a", "b")]
    assert numbers == [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 2)]


def test_deleting_the_highest_version_does_not_free_its_number(gql):
    gql.play("create_model", name="m")
    for _ in range(3):
        register(gql, "m")
    ok(gql.payload(DELETE_VERSION, name="m", version=3))
    assert register(gql, "m")["version"] == 4
    for number in (1, 2, 4):
        ok(gql.payload(DELETE_VERSION, name="m", version=number))
    assert register(gql, "m")["version"] == 5


def test_a_model_deleted_and_created_again_numbers_from_1(gql):
    gql.play("create_model", name="m")
    register(gql, "m")
    register(gql, "m")
    ok(gql.payload(DELETE_MODEL, name="m"))
    gql.play("create_model", name="m")
    assert register(gql, "m")["version"] == 1


def test_a_new_version_is_ready_in_stage_none_with_the_given_tags(gql):
    gql.play("create_model", name="m")
    made = register(gql, "m", "s3://b/m/1", tags=[{"key": "k1", "value": "v1"}, {"key": "k2", "value": ""}])
    assert (made["status"], made["stage"]) == ("READY", "NONE")
    assert sorted((t["key"], t["value"]) for t in made["tags"]) == [("k1", "v1"), ("k2", "")]
    assert register(gql, "m")["tags"] == []


def test_every_registration_status_exists_in_the_schema(gql):
    found = gql.data('{ __type(name: "ModelVersionStatus") { enumValues { name } } }')["__type"]
    assert {v["name"] for v in found["enumValues"]} == {"PENDING_REGISTRATION", "READY", "FAILED_REGISTRATION"}


def test_create_model_if_missing_creates_the_model(gql):
    made = register(gql, "fresh", createModelIfMissing=True)
    assert (made["name"], made["version"]) == ("fresh", 1)
    assert model(gql, "fresh")["name"] == "fresh"
    assert register(gql, "fresh", createModelIfMissing=True)["version"] == 2  # an existing model is reused


def test_registering_into_a_missing_model_without_create_is_not_found(gql):
    error = refused(gql.payload(CREATE_VERSION, name="ghost", source="s3://b/x"), "NOT_FOUND")["userErrors"][0]
    assert error["field"] == ["input", "name"]
    assert model(gql, "ghost") is None


def test_idempotency_key_retry_returns_the_first_version(gql):
    gql.play("create_model", name="m")
    first = register(gql, "m", "s3://b/1", idempotencyKey="k-1", tags=[{"key": "t", "value": "v"}])
    again = register(gql, "m", "s3://b/1", idempotencyKey="k-1", tags=[{"key": "t", "value": "v"}])
    assert again == first
    assert sorted(stages(gql, "m")) == [1]
    assert register(gql, "m", "s3://b/1", idempotencyKey="k-2")["version"] == 2  # another key, another version


@pytest.mark.parametrize("changed", [{"source": "s3://b/2"}, {"runId": "r-2"}, {"description": "other"},
                                     {"tags": [{"key": "t", "value": "w"}]}])
def test_idempotency_key_reused_with_a_different_input_is_conflict(gql, changed):
    gql.play("create_model", name="m")
    request = {"source": "s3://b/1", "runId": "r-1", "description": "d", "tags": [{"key": "t", "value": "v"}]}
    ok(gql.payload(CREATE_VERSION, name="m", idempotencyKey="k", **request))
    retried = gql.payload(CREATE_VERSION, name="m", idempotencyKey="k", **{**request, **changed})
    error = refused(retried, "CONFLICT")["userErrors"][0]
    assert error["field"] == ["input", "idempotencyKey"]
    assert sorted(stages(gql, "m")) == [1]


def test_concurrent_retries_with_one_idempotency_key_make_one_version(gql, server_url):
    gql.play("create_model", name="m")

    def attempt(_):
        with httpx.Client(base_url=server_url, timeout=60) as http:
            body = http.post("/graphql", json={"query": CREATE_VERSION, "variables": {
                "name": "m", "source": "s3://b/1", "idempotencyKey": "same"}}).json()
        return body["data"]["createModelVersion"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(6)))
    assert all(r["userErrors"] == [] for r in results), results
    assert {r["modelVersion"]["id"] for r in results} == {results[0]["modelVersion"]["id"]}
    assert sorted(stages(gql, "m")) == [1]


@pytest.mark.parametrize("create_if_missing", [False, True])
def test_concurrent_registrations_get_distinct_consecutive_numbers(gql, server_url, create_if_missing):
    if not create_if_missing:
        gql.play("create_model", name="m")
    start = threading.Barrier(8)

    def attempt(index):
        with httpx.Client(base_url=server_url, timeout=60) as http:
            start.wait()
            body = http.post("/graphql", json={"query": CREATE_VERSION, "variables": {
                "name": "m", "source": f"s3://b/{index}", "createModelIfMissing": create_if_missing}}).json()
        return body["data"]["createModelVersion"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert all(r["userErrors"] == [] for r in results), results
    assert sorted(r["modelVersion"]["version"] for r in results) == list(range(1, 9))
    assert sorted(stages(gql, "m")) == list(range(1, 9))


def test_download_uri_is_the_source(gql):
    gql.play("create_model", name="m")
    made = register(gql, "m", "s3://bucket/path/model")
    assert made["source"] == made["downloadUri"] == "s3://bucket/path/model"


def test_a_models_uri_source_carries_the_referenced_versions_download_uri(gql):
    gql.play("create_model", name="src")
    register(gql, "src", "s3://bucket/original")
    gql.play("create_model", name="m")
    made = register(gql, "m", "models:/src/1")
    assert (made["source"], made["downloadUri"]) == ("models:/src/1", "s3://bucket/original")
    chained = register(gql, "m", "models:/m/1")  # a models:/ of a models:/ version: the resolved location
    assert (chained["source"], chained["downloadUri"]) == ("models:/m/1", "s3://bucket/original")


def test_a_models_alias_source_is_pinned_to_the_version_it_names_at_registration(gql):
    gql.play("create_model", name="src")
    register(gql, "src", "s3://bucket/one")
    register(gql, "src", "s3://bucket/two")
    ok(gql.payload(SET_ALIAS, name="src", alias="champion", version=1))
    made = register(gql, "src", "models:/src@champion")
    assert (made["version"], made["source"], made["downloadUri"]) == (3, "models:/src/1", "s3://bucket/one")
    ok(gql.payload(SET_ALIAS, name="src", alias="champion", version=2))
    assert gql.data("{ modelVersion(name: \"src\", version: 3) { source downloadUri } }")["modelVersion"] == {
        "source": "models:/src/1", "downloadUri": "s3://bucket/one"}


@pytest.mark.parametrize("source", ["models:/src/7", "models:/src@nobody", "models:/nothing/1",
                                    "models:/nothing@champion"])
def test_a_models_uri_source_naming_a_missing_version_is_not_found(gql, source):
    gql.play("create_model", name="src")
    register(gql, "src", "s3://bucket/one")
    gql.play("create_model", name="m")
    refused(gql.payload(CREATE_VERSION, name="m", source=source), "NOT_FOUND")
    assert sorted(stages(gql, "m")) == []


# ---- Stages and transitions ---------------------------------------------------------------

def test_several_versions_may_share_a_stage(gql):
    gql.play("create_model", name="m")
    for _ in range(3):
        register(gql, "m")
    for number in (1, 2, 3):
        assert move(gql, "m", number, "STAGING")["archivedVersions"] == []
    assert stages(gql, "m") == {1: "STAGING", 2: "STAGING", 3: "STAGING"}


@pytest.mark.parametrize("target", ["STAGING", "PRODUCTION"])
def test_archive_existing_versions_archives_the_others_in_the_target_stage_at_once(gql, target):
    other = "PRODUCTION" if target == "STAGING" else "STAGING"
    gql.play("create_model", name="m")
    for _ in range(5):
        register(gql, "m")
    move(gql, "m", 1, target)
    move(gql, "m", 2, target)
    move(gql, "m", 3, other)
    time.sleep(0.005)
    moved = move(gql, "m", 4, target, archive=True)
    assert moved["modelVersion"]["stage"] == target
    assert [(v["version"], v["stage"]) for v in moved["archivedVersions"]] == [(1, "ARCHIVED"), (2, "ARCHIVED")]
    assert {v["updatedAt"] for v in moved["archivedVersions"]} == {moved["modelVersion"]["updatedAt"]}
    assert stages(gql, "m") == {1: "ARCHIVED", 2: "ARCHIVED", 3: other, 4: target, 5: "NONE"}
    stored = {v["version"]: v["updatedAt"] for v in model(gql, "m")["versions"]["nodes"]}
    assert stored[1] == stored[2] == stored[4] == moved["modelVersion"]["updatedAt"]
    assert parse(stored[3]) < parse(stored[4])


def test_archive_existing_versions_spares_the_version_already_in_the_target_stage(gql):
    gql.play("create_model", name="m")
    for _ in range(2):
        register(gql, "m")
    move(gql, "m", 1, "PRODUCTION")
    move(gql, "m", 2, "PRODUCTION")
    moved = move(gql, "m", 1, "PRODUCTION", archive=True)
    assert [v["version"] for v in moved["archivedVersions"]] == [2]
    assert stages(gql, "m") == {1: "PRODUCTION", 2: "ARCHIVED"}


@pytest.mark.parametrize("target", ["NONE", "ARCHIVED"])
def test_archive_existing_versions_is_refused_for_none_and_archived(gql, target):
    gql.play("create_model", name="m")
    for _ in range(3):
        register(gql, "m")
    move(gql, "m", 1, target)
    move(gql, "m", 2, target)
    before = model(gql, "m")
    attempt = gql.payload(TRANSITION, name="m", version=3, stage=target, archive=True)
    error = refused(attempt, "INVALID_ARGUMENT")["userErrors"][0]
    assert error["field"] == ["input", "archiveExistingVersions"]
    assert model(gql, "m") == before  # no stage and no timestamp moved


@pytest.mark.parametrize("document", [LATEST_ON_MODEL, LATEST_ON_QUERY], ids=["RegisteredModel", "Query"])
@pytest.mark.parametrize("asked, expected", [
    (None, {("NONE", 6), ("STAGING", 4), ("PRODUCTION", 3)}),
    ([], {("NONE", 6), ("STAGING", 4), ("PRODUCTION", 3)}),
    (list(STAGES), {("NONE", 6), ("STAGING", 4), ("PRODUCTION", 3)}),
    (["STAGING"], {("STAGING", 4)}),
    (["PRODUCTION", "NONE"], {("NONE", 6), ("PRODUCTION", 3)}),
    (["ARCHIVED"], set()),
])
def test_latest_versions_is_the_highest_version_per_stage(gql, document, asked, expected):
    gql.play("create_model", name="m")
    gql.play("create_model", name="other")
    for _ in range(7):
        register(gql, "m")
    register(gql, "other")
    for number, stage in {1: "PRODUCTION", 2: "STAGING", 3: "PRODUCTION", 4: "STAGING", 5: "ARCHIVED"}.items():
        move(gql, "m", number, stage)
    ok(gql.payload(DELETE_VERSION, name="m", version=5))  # only live versions count
    ok(gql.payload(DELETE_VERSION, name="m", version=7))
    move(gql, "other", 1, "ARCHIVED")  # another model's versions do not count
    found = gql.data(document, name="m", stages=asked)
    latest = found["registeredModel"]["latestVersions"] if "registeredModel" in found else found["latestVersions"]
    assert {(v["stage"], v["version"]) for v in latest} == expected
    assert len(latest) == len(expected)


def test_latest_versions_of_a_missing_model_is_not_found(gql):
    error = gql.error(LATEST_ON_QUERY, name="ghost")
    assert error["extensions"]["code"] == "NOT_FOUND"


# ---- Timestamps ---------------------------------------------------------------------------

def _setup_for_timestamps(gql):
    gql.play("create_model", name="m", description="d", tags=[{"key": "old", "value": "1"}])
    register(gql, "m", tags=[{"key": "vt", "value": "1"}])
    register(gql, "m")
    ok(gql.payload(SET_ALIAS, name="m", alias="champion", version=1))
    gql.play("create_model", name="elsewhere")
    register(gql, "elsewhere")


MODEL_CHANGES = {
    "description": (UPDATE_MODEL, {"name": "m", "description": "new"}),
    "description cleared": (UPDATE_MODEL, {"name": "m", "description": None}),
    "set tag": (SET_MODEL_TAG, {"name": "m", "key": "new", "value": "v"}),
    "overwrite tag": (SET_MODEL_TAG, {"name": "m", "key": "old", "value": "2"}),
    "delete tag": (DELETE_MODEL_TAG, {"name": "m", "key": "old"}),
    "new version": (CREATE_VERSION, {"name": "m", "source": "s3://b/new"}),
    "version description": (UPDATE_VERSION, {"name": "m", "version": 1, "description": "vd"}),
    "version tag": (SET_VERSION_TAG, {"name": "m", "version": 1, "key": "k", "value": "v"}),
    "delete version tag": (DELETE_VERSION_TAG, {"name": "m", "version": 1, "key": "vt"}),
    "transition": (TRANSITION, {"name": "m", "version": 2, "stage": "STAGING"}),
    "set alias": (SET_ALIAS, {"name": "m", "alias": "challenger", "version": 2}),
    "move alias": (SET_ALIAS, {"name": "m", "alias": "champion", "version": 2}),
    "delete alias": (DELETE_ALIAS, {"name": "m", "alias": "champion"}),
    "delete version": (DELETE_VERSION, {"name": "m", "version": 2}),
    "copy into it": (COPY, {"source": {"name": "elsewhere", "version": 1}, "destination": "m"}),
}


@pytest.mark.parametrize("change", MODEL_CHANGES)
def test_a_models_updated_at_moves_with_any_change_to_it_or_its_versions(gql, change):
    _setup_for_timestamps(gql)
    before = model(gql, "m")
    time.sleep(0.005)
    document, variables = MODEL_CHANGES[change]
    ok(gql.payload(document, **variables))
    after = model(gql, "m")
    assert parse(after["updatedAt"]) > parse(before["updatedAt"])
    assert after["createdAt"] == before["createdAt"]


def test_a_renamed_models_updated_at_moves(gql):
    _setup_for_timestamps(gql)
    before = model(gql, "m")
    time.sleep(0.005)
    ok(gql.payload(RENAME, name="m", newName="renamed"))
    after = model(gql, "renamed")
    assert parse(after["updatedAt"]) > parse(before["updatedAt"])
    assert after["createdAt"] == before["createdAt"]


def test_a_change_to_another_model_leaves_updated_at_alone(gql):
    _setup_for_timestamps(gql)
    before = model(gql, "m")
    time.sleep(0.005)
    ok(gql.payload(SET_MODEL_TAG, name="elsewhere", key="k", value="v"))
    register(gql, "elsewhere")
    ok(gql.payload(COPY, source={"name": "m", "version": 1}, destination="elsewhere"))
    assert model(gql, "m") == before


VERSION_CHANGES = {
    "description": (UPDATE_VERSION, {"name": "m", "version": 1, "description": "vd"}),
    "set tag": (SET_VERSION_TAG, {"name": "m", "version": 1, "key": "k", "value": "v"}),
    "overwrite tag": (SET_VERSION_TAG, {"name": "m", "version": 1, "key": "vt", "value": "2"}),
    "delete tag": (DELETE_VERSION_TAG, {"name": "m", "version": 1, "key": "vt"}),
    "transition": (TRANSITION, {"name": "m", "version": 1, "stage": "PRODUCTION"}),
}


@pytest.mark.parametrize("change", VERSION_CHANGES)
def test_a_versions_updated_at_moves_with_its_own_changes_only(gql, change):
    _setup_for_timestamps(gql)
    before = {n: version(gql, "m", n) for n in (1, 2)}
    time.sleep(0.005)
    document, variables = VERSION_CHANGES[change]
    ok(gql.payload(document, **variables))
    after = {n: version(gql, "m", n) for n in (1, 2)}
    assert parse(after[1]["updatedAt"]) > parse(before[1]["updatedAt"])
    assert after[1]["createdAt"] == before[1]["createdAt"]
    assert after[2] == before[2]  # a sibling is untouched
    assert parse(model(gql, "m")["updatedAt"]) >= parse(after[1]["updatedAt"])


def test_created_at_never_changes(gql):
    _setup_for_timestamps(gql)
    model_created, version_created = model(gql, "m")["createdAt"], version(gql, "m", 1)["createdAt"]
    for document, variables in [*MODEL_CHANGES.values(), *VERSION_CHANGES.values()]:
        if document not in (DELETE_VERSION, DELETE_ALIAS, DELETE_MODEL_TAG, DELETE_VERSION_TAG):
            ok(gql.payload(document, **variables))
    move(gql, "m", 1, "ARCHIVED")
    ok(gql.payload(RENAME, name="m", newName="m2"))
    assert model(gql, "m2")["createdAt"] == model_created
    assert version(gql, "m2", 1)["createdAt"] == version_created


def test_a_new_versions_timestamps_are_its_registration_time(gql):
    gql.play("create_model", name="m")
    before = datetime.now(timezone.utc)
    made = register(gql, "m")
    after = datetime.now(timezone.utc)
    assert made["createdAt"] == made["updatedAt"]
    assert before - timedelta(seconds=1) <= parse(made["createdAt"]) <= after + timedelta(seconds=1)
    assert parse(model(gql, "m")["updatedAt"]) >= parse(made["createdAt"])


ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}(\d{3})?)?(Z|[+-]\d{2}:\d{2})$")


def test_timestamps_are_iso_8601_utc_with_millisecond_precision(gql):
    gql.play("create_model", name="m")
    register(gql, "m")
    found = gql.data("""{ registeredModel(name: "m") { createdAt updatedAt
                          version(version: 1) { createdAt updatedAt } } }""")["registeredModel"]
    values = [found["createdAt"], found["updatedAt"], found["version"]["createdAt"], found["version"]["updatedAt"]]
    for value in values:
        assert ISO_8601.match(value), value
        parsed = parse(value)
        assert parsed.utcoffset() == timedelta(0), value
        assert parsed.microsecond % 1000 == 0, value


def test_a_stored_millisecond_timestamp_is_shown_exactly(gql, store):
    from store.tables import RegisteredModel

    gql.play("create_model", name="m")
    with store.db.connection_context():
        RegisteredModel.update(created_at=1_700_000_000_123, updated_at=1_700_000_000_000).execute()
    found = model(gql, "m")
    assert parse(found["createdAt"]) == datetime(2023, 11, 14, 22, 13, 20, 123_000, tzinfo=timezone.utc)
    assert parse(found["updatedAt"]) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert ISO_8601.match(found["createdAt"]) and ISO_8601.match(found["updatedAt"])


# ---- node(id:) and nodes(ids:) ------------------------------------------------------------

def test_node_resolves_models_and_versions(gql):
    created = gql.play("create_model", name="m")["registeredModel"]
    made = register(gql, "m")
    assert gql.data(NODE, id=created["id"])["node"] == {"__typename": "RegisteredModel", "id": created["id"],
                                                         "name": "m"}
    assert gql.data(NODE, id=made["id"])["node"] == {"__typename": "ModelVersion", "id": made["id"],
                                                      "name": "m", "version": 1}


def test_nodes_resolves_each_id_in_order_with_null_for_unknown_ones(gql):
    created = gql.play("create_model", name="m")["registeredModel"]
    made = register(gql, "m")
    found = gql.data(NODES, ids=[made["id"], "garbage", created["id"], global_id("ModelVersion", 999_999),
                                 made["id"]])["nodes"]
    assert [n and (n["__typename"], n["id"]) for n in found] == [
        ("ModelVersion", made["id"]), None, ("RegisteredModel", created["id"]), None, ("ModelVersion", made["id"])]
    assert gql.data(NODES, ids=[])["nodes"] == []


@pytest.mark.parametrize("bad_id", [
    "", "garbage", "!!!", "====", "\u00e9t\u00e9",
    global_id("RegisteredModel", 999_999), global_id("ModelVersion", 999_999),
    global_id("RegisteredModel", -1), global_id("RegisteredModel", 0), global_id("RegisteredModel", "abc"),
    global_id("RegisteredModel", ""), global_id("Query", 1), global_id("Tag", 1), global_id("", 1),
    global_id("RegisteredModel", 2**31), global_id("RegisteredModel", 2**63), global_id("ModelVersion", 10**30),
    base64.b64encode(b"\xff\xfe:1").decode(),
])
def test_an_unknown_or_garbage_id_gives_null(gql, bad_id):
    gql.play("create_model", name="m")
    register(gql, "m")
    body = gql.execute(NODE, id=bad_id)
    assert body == {"data": {"node": None}}
    assert gql.data(NODES, ids=[bad_id])["nodes"] == [None]

