"""REFERENCE.md "Deleting, renaming, copying", over the GraphQL HTTP endpoint."""
import pytest

from tests.conftest import ok, refused

CREATE_MODEL = """
mutation($name: String!, $description: String, $tags: [TagInput!]) {
  createRegisteredModel(input: {name: $name, description: $description, tags: $tags}) {
    registeredModel { id name } userErrors { field message code }
  }
}"""
CREATE_VERSION = """
mutation($name: String!, $source: String!, $runId: String, $runLink: String, $description: String,
         $tags: [TagInput!]) {
  createModelVersion(input: {name: $name, source: $source, runId: $runId, runLink: $runLink,
                             description: $description, tags: $tags}) {
    modelVersion { id version } userErrors { field message code }
  }
}"""
TRANSITION = """
mutation($name: String!, $version: Int!, $stage: Stage!) {
  transitionModelVersionStage(input: {name: $name, version: $version, stage: $stage}) {
    userErrors { field message code }
  }
}"""
SET_ALIAS = """
mutation($name: String!, $alias: String!, $version: Int!) {
  setModelAlias(input: {name: $name, alias: $alias, version: $version}) { userErrors { field message code } }
}"""
SET_VERSION_TAG = """
mutation($name: String!, $version: Int!, $key: String!, $value: String!) {
  setModelVersionTag(input: {name: $name, version: $version, key: $key, value: $value}) {
    userErrors { field message code }
  }
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
RENAME = """
mutation($name: String!, $newName: String!) {
  renameRegisteredModel(input: {name: $name, newName: $newName}) {
    registeredModel { id name versions { nodes { id name version } } }
    userErrors { field message code }
  }
}"""
COPY = """
mutation($source: ModelVersionRef!, $destination: String!, $aliases: [String!], $idempotencyKey: String) {
  copyModelVersion(input: {source: $source, destinationName: $destination, aliases: $aliases,
                           idempotencyKey: $idempotencyKey}) {
    modelVersion {
      id name version source downloadUri runId runLink description status stage aliases
      tags { key value } copiedFrom { id name version }
    }
    userErrors { field message code }
  }
}"""
MODEL = """
query($name: String!) {
  registeredModel(name: $name) {
    id name description
    tags { key value }
    aliases { alias versionNumber }
    versions(first: 100) { totalCount nodes { id version stage source downloadUri tags { key value } aliases } }
  }
}"""
VERSION = """
query($name: String!, $version: Int!) {
  modelVersion(name: $name, version: $version) {
    id name version source downloadUri stage aliases tags { key value } copiedFrom { id name version }
  }
}"""
BY_ALIAS = """
query($name: String!, $alias: String!) { modelVersionByAlias(name: $name, alias: $alias) { id version } }
"""
NODE = """
query($id: ID!) {
  node(id: $id) { __typename id ... on RegisteredModel { name } ... on ModelVersion { name version } }
}"""
VERSIONS_NAMED = """
query($name: String!) { modelVersions(filter: {name: {eq: $name}}) { totalCount } }
"""


# ---- helpers ------------------------------------------------------------------------------

def model(gql, name) -> dict | None:
    return gql.data(MODEL, name=name)["registeredModel"]


def version(gql, name, number) -> dict | None:
    return gql.data(VERSION, name=name, version=number)["modelVersion"]


def node(gql, global_id) -> dict | None:
    return gql.data(NODE, id=global_id)["node"]


def make_model(gql, name, versions=0, **fields) -> str:
    model_id = ok(gql.payload(CREATE_MODEL, name=name, **fields))["registeredModel"]["id"]
    for number in range(1, versions + 1):
        ok(gql.payload(CREATE_VERSION, name=name, source=f"s3://bucket/{name}/{number}"))
    return model_id


def move(gql, name, number, stage) -> None:
    ok(gql.payload(TRANSITION, name=name, version=number, stage=stage))


def populated(gql, name="m") -> dict:
    """A model with tags, three versions (tagged, aliased) in NONE, ARCHIVED and NONE."""
    model_id = make_model(gql, name, versions=3, description="about m", tags=[{"key": "team", "value": "risk"}])
    ok(gql.payload(SET_VERSION_TAG, name=name, version=1, key="validated", value="yes"))
    ok(gql.payload(SET_ALIAS, name=name, alias="champion", version=1))
    ok(gql.payload(SET_ALIAS, name=name, alias="challenger", version=2))
    move(gql, name, 2, "ARCHIVED")
    return {"id": model_id, "versions": {n: version(gql, name, n)["id"] for n in (1, 2, 3)}}


# ---- deleting versions --------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["NONE", "ARCHIVED"])
def test_a_version_in_none_or_archived_can_be_deleted(gql, stage):
    make_model(gql, "m", versions=2)
    move(gql, "m", 1, stage)
    doomed = version(gql, "m", 1)["id"]
    deleted = ok(gql.payload(DELETE_VERSION, name="m", version=1))
    assert deleted["deletedModelVersionId"] == doomed
    assert version(gql, "m", 1) is None
    assert node(gql, doomed) is None
    assert [v["version"] for v in model(gql, "m")["versions"]["nodes"]] == [2]


@pytest.mark.parametrize("stage", ["STAGING", "PRODUCTION"])
def test_a_version_in_staging_or_production_cannot_be_deleted(gql, stage):
    make_model(gql, "m", versions=1)
    move(gql, "m", 1, stage)
    ok(gql.payload(SET_ALIAS, name="m", alias="champion", version=1))
    before = model(gql, "m")
    refusal = refused(gql.payload(DELETE_VERSION, name="m", version=1), "FAILED_PRECONDITION")
    assert refusal["deletedModelVersionId"] is None
    assert model(gql, "m") == before


def test_deleting_a_version_deletes_its_aliases(gql):
    make_model(gql, "m", versions=2)
    ok(gql.payload(SET_ALIAS, name="m", alias="champion", version=1))
    ok(gql.payload(SET_ALIAS, name="m", alias="challenger", version=2))
    ok(gql.payload(DELETE_VERSION, name="m", version=1))
    assert model(gql, "m")["aliases"] == [{"alias": "challenger", "versionNumber": 2}]
    assert gql.data(BY_ALIAS, name="m", alias="champion")["modelVersionByAlias"] is None


@pytest.mark.parametrize("name, number", [("m", 9), ("ghost", 1)])
def test_deleting_a_missing_version_is_not_found(gql, name, number):
    make_model(gql, "m", versions=1)
    refusal = refused(gql.payload(DELETE_VERSION, name=name, version=number), "NOT_FOUND")
    assert refusal["deletedModelVersionId"] is None
    assert version(gql, "m", 1) is not None


# ---- deleting models ----------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["STAGING", "PRODUCTION"])
def test_a_model_with_a_version_in_staging_or_production_cannot_be_deleted(gql, stage):
    made = populated(gql)
    move(gql, "m", 3, stage)
    before = model(gql, "m")
    refusal = refused(gql.payload(DELETE_MODEL, name="m"), "FAILED_PRECONDITION")
    assert refusal["deletedRegisteredModelId"] is None
    assert model(gql, "m") == before
    assert node(gql, made["id"])["name"] == "m"


@pytest.mark.parametrize("versions", [0, 3])
def test_a_model_whose_versions_are_all_in_none_or_archived_can_be_deleted(gql, versions):
    model_id = make_model(gql, "m", versions=versions)
    if versions:
        move(gql, "m", 1, "ARCHIVED")
        move(gql, "m", 2, "PRODUCTION")
        move(gql, "m", 2, "ARCHIVED")
    deleted = ok(gql.payload(DELETE_MODEL, name="m"))
    assert deleted["deletedRegisteredModelId"] == model_id
    assert model(gql, "m") is None


def test_deleting_a_model_removes_its_versions_tags_and_aliases(gql):
    made = populated(gql)
    make_model(gql, "other", versions=1)
    ok(gql.payload(DELETE_MODEL, name="m"))
    assert node(gql, made["id"]) is None
    assert all(node(gql, version_id) is None for version_id in made["versions"].values())
    assert gql.data(VERSIONS_NAMED, name="m")["modelVersions"]["totalCount"] == 0
    assert version(gql, "other", 1) is not None  # other models are untouched

    recreated = make_model(gql, "m")
    ok(gql.payload(CREATE_VERSION, name="m", source="s3://new/1"))
    again = model(gql, "m")
    assert again["id"] == recreated != made["id"]
    assert (again["description"], again["tags"], again["aliases"]) == (None, [], [])
    assert [(v["version"], v["tags"], v["aliases"]) for v in again["versions"]["nodes"]] == [(1, [], [])]
    assert gql.data(BY_ALIAS, name="m", alias="champion")["modelVersionByAlias"] is None
    assert node(gql, made["id"]) is None  # an old id does not resolve to the new model
    assert all(node(gql, version_id) is None for version_id in made["versions"].values())


def test_a_deleted_objects_id_never_resolves_to_a_newer_object(gql):
    """Relay IDs are forever: the newest row's id must not be handed out again after its delete."""
    model_id = make_model(gql, "m", versions=2)
    newest_version = version(gql, "m", 2)["id"]
    ok(gql.payload(DELETE_VERSION, name="m", version=2))
    assert ok(gql.payload(CREATE_VERSION, name="m", source="s3://b/3"))["modelVersion"]["id"] != newest_version
    assert node(gql, newest_version) is None
    ok(gql.payload(DELETE_MODEL, name="m"))
    assert make_model(gql, "m2") != model_id
    assert node(gql, model_id) is None


def test_deleting_a_missing_model_is_not_found(gql):
    refusal = refused(gql.payload(DELETE_MODEL, name="ghost"), "NOT_FOUND")
    assert refusal["deletedRegisteredModelId"] is None


# ---- renaming -----------------------------------------------------------------------------

def test_rename_keeps_versions_tags_aliases_and_ids(gql):
    made = populated(gql, "old")
    before = model(gql, "old")
    renamed = ok(gql.payload(RENAME, name="old", newName="new"))["registeredModel"]
    assert (renamed["id"], renamed["name"]) == (made["id"], "new")
    assert {v["name"] for v in renamed["versions"]["nodes"]} == {"new"}
    after = model(gql, "new")
    assert after == {**before, "name": "new"}
    assert node(gql, made["id"]) == {"__typename": "RegisteredModel", "id": made["id"], "name": "new"}
    for number, version_id in made["versions"].items():
        assert node(gql, version_id) == {"__typename": "ModelVersion", "id": version_id, "name": "new",
                                          "version": number}
    assert gql.data(BY_ALIAS, name="new", alias="champion")["modelVersionByAlias"] == {
        "id": made["versions"][1], "version": 1}
    assert gql.data(VERSIONS_NAMED, name="new")["modelVersions"]["totalCount"] == 3


def test_rename_frees_the_old_name(gql):
    made = populated(gql, "old")
    ok(gql.payload(RENAME, name="old", newName="new"))
    assert model(gql, "old") is None
    assert version(gql, "old", 1) is None
    assert gql.data(BY_ALIAS, name="old", alias="champion")["modelVersionByAlias"] is None
    fresh = make_model(gql, "old", versions=1)
    assert fresh != made["id"]
    assert [v["version"] for v in model(gql, "old")["versions"]["nodes"]] == [1]
    assert model(gql, "new")["versions"]["totalCount"] == 3
    assert model(gql, "old")["aliases"] == [] and model(gql, "old")["tags"] == []


def test_renamed_model_keeps_numbering(gql):
    make_model(gql, "old", versions=2)
    ok(gql.payload(DELETE_VERSION, name="old", version=2))
    ok(gql.payload(RENAME, name="old", newName="new"))
    assert ok(gql.payload(CREATE_VERSION, name="new", source="s3://b/3"))["modelVersion"]["version"] == 3


def test_rename_to_a_taken_name_is_already_exists(gql):
    make_model(gql, "a", versions=1)
    make_model(gql, "b", versions=2)
    before = (model(gql, "a"), model(gql, "b"))
    refusal = refused(gql.payload(RENAME, name="a", newName="b"), "ALREADY_EXISTS")
    assert refusal["userErrors"][0]["field"] == ["input", "newName"]
    assert refusal["registeredModel"] is None
    assert (model(gql, "a"), model(gql, "b")) == before


def test_rename_is_case_sensitive(gql):
    make_model(gql, "Model")
    make_model(gql, "other")
    ok(gql.payload(RENAME, name="Model", newName="model"))
    assert model(gql, "Model") is None and model(gql, "model")["name"] == "model"
    ok(gql.payload(RENAME, name="other", newName="OTHER"))
    assert model(gql, "OTHER")["name"] == "OTHER"


@pytest.mark.parametrize("new_name", ["", "   ", "a/b", "a:b", "..", "../x", "./x", "x" * 257])
def test_rename_to_an_invalid_name_is_refused(gql, new_name):
    make_model(gql, "m", versions=1)
    before = model(gql, "m")
    refusal = refused(gql.payload(RENAME, name="m", newName=new_name), "INVALID_ARGUMENT")
    assert refusal["userErrors"][0]["field"] == ["input", "newName"]
    assert model(gql, "m") == before


def test_rename_accepts_a_plain_name_with_dots_and_spaces(gql):
    make_model(gql, "m")
    ok(gql.payload(RENAME, name="m", newName="prod.ml_team.iris v2"))
    assert model(gql, "prod.ml_team.iris v2")["name"] == "prod.ml_team.iris v2"


def test_renaming_a_missing_model_is_not_found(gql):
    refused(gql.payload(RENAME, name="ghost", newName="spirit"), "NOT_FOUND")
    assert model(gql, "spirit") is None


# ---- copying ------------------------------------------------------------------------------

def original(gql, name="src", stage="PRODUCTION") -> str:
    """Version 1 of `name`, fully described, aliased `champion`, in `stage`; its id."""
    make_model(gql, name)
    made = ok(gql.payload(CREATE_VERSION, name=name, source="s3://bucket/src/1", runId="run-1",
                          runLink="https://runs/1", description="the original",
                          tags=[{"key": "k", "value": "v"}, {"key": "validated", "value": "yes"}]))
    ok(gql.payload(SET_ALIAS, name=name, alias="champion", version=1))
    move(gql, name, 1, stage)
    return made["modelVersion"]["id"]


def copy(gql, source, destination, **variables) -> dict:
    return ok(gql.payload(COPY, source=source, destination=destination, **variables))["modelVersion"]


def test_copy_creates_the_destination_with_the_originals_content(gql):
    original_id = original(gql)
    made = copy(gql, {"name": "src", "version": 1}, "prod.src")
    assert made == {
        "id": made["id"], "name": "prod.src", "version": 1, "source": "models:/src/1",
        "downloadUri": "s3://bucket/src/1", "runId": "run-1", "runLink": "https://runs/1",
        "description": "the original", "status": "READY", "stage": "NONE", "aliases": [],
        "tags": [{"key": "k", "value": "v"}, {"key": "validated", "value": "yes"}],
        "copiedFrom": {"id": original_id, "name": "src", "version": 1},
    }
    assert made["id"] != original_id
    assert model(gql, "prod.src")["versions"]["totalCount"] == 1
    src = version(gql, "src", 1)  # the original is untouched
    assert (src["stage"], src["aliases"], src["copiedFrom"]) == ("PRODUCTION", ["champion"], None)


def test_copy_sets_only_the_aliases_the_input_names(gql):
    original(gql)
    made = copy(gql, {"name": "src", "version": 1}, "dest", aliases=["live", "blue"])
    assert sorted(made["aliases"]) == ["blue", "live"]
    assert model(gql, "dest")["aliases"] == [{"alias": "blue", "versionNumber": 1},
                                              {"alias": "live", "versionNumber": 1}]
    assert version(gql, "src", 1)["aliases"] == ["champion"]


def test_copy_moves_an_existing_alias_of_the_destination(gql):
    original(gql)
    make_model(gql, "dest", versions=2, tags=[{"key": "env", "value": "prod"}])
    ok(gql.payload(SET_ALIAS, name="dest", alias="live", version=2))
    made = copy(gql, {"name": "src", "version": 1}, "dest", aliases=["live"])
    assert made["version"] == 3
    assert model(gql, "dest")["aliases"] == [{"alias": "live", "versionNumber": 3}]
    assert model(gql, "dest")["tags"] == [{"key": "env", "value": "prod"}]


def test_copy_into_the_same_model_takes_the_next_number(gql):
    original_id = original(gql)
    ok(gql.payload(CREATE_VERSION, name="src", source="s3://bucket/src/2"))
    made = copy(gql, {"name": "src", "version": 1}, "src")
    assert (made["name"], made["version"], made["source"], made["downloadUri"]) == (
        "src", 3, "models:/src/1", "s3://bucket/src/1")
    assert made["copiedFrom"]["id"] == original_id
    assert made["aliases"] == [] and made["stage"] == "NONE"
    assert version(gql, "src", 1)["aliases"] == ["champion"]


def test_a_copy_of_a_copy_downloads_from_the_first_location(gql):
    original(gql)
    first = copy(gql, {"name": "src", "version": 1}, "staging.src")
    second = copy(gql, {"name": "staging.src", "version": 1}, "prod.src")
    assert (second["source"], second["downloadUri"]) == ("models:/staging.src/1", "s3://bucket/src/1")
    assert second["copiedFrom"]["id"] == first["id"]


def test_a_copy_source_given_by_alias_is_resolved_at_copy_time(gql):
    original_id = original(gql)
    ok(gql.payload(CREATE_VERSION, name="src", source="s3://bucket/src/2"))
    made = copy(gql, {"name": "src", "alias": "champion"}, "dest")
    assert (made["source"], made["copiedFrom"]["id"]) == ("models:/src/1", original_id)
    ok(gql.payload(SET_ALIAS, name="src", alias="champion", version=2))
    kept = version(gql, "dest", 1)
    assert (kept["source"], kept["downloadUri"], kept["copiedFrom"]["version"]) == (
        "models:/src/1", "s3://bucket/src/1", 1)
    moved = copy(gql, {"name": "src", "alias": "champion"}, "dest")
    assert (moved["version"], moved["source"], moved["downloadUri"]) == (2, "models:/src/2", "s3://bucket/src/2")


def test_a_copy_source_given_by_latest_is_the_highest_version(gql):
    original(gql)
    ok(gql.payload(CREATE_VERSION, name="src", source="s3://bucket/src/2"))
    assert copy(gql, {"name": "src", "alias": "latest"}, "dest")["source"] == "models:/src/2"


def test_a_copy_is_independent_of_later_changes_to_the_original(gql):
    original(gql, stage="ARCHIVED")
    copy(gql, {"name": "src", "version": 1}, "dest")
    ok(gql.payload(SET_VERSION_TAG, name="src", version=1, key="k", value="changed"))
    ok(gql.payload(DELETE_VERSION, name="src", version=1))
    kept = version(gql, "dest", 1)
    assert kept["tags"] == [{"key": "k", "value": "v"}, {"key": "validated", "value": "yes"}]
    assert (kept["source"], kept["downloadUri"]) == ("models:/src/1", "s3://bucket/src/1")
    assert kept["copiedFrom"] is None  # the original is gone


@pytest.mark.parametrize("source", [{"name": "src", "version": 1, "alias": "champion"}, {"name": "src"}])
def test_copy_needs_exactly_one_of_version_and_alias(gql, source):
    original(gql)
    refused(gql.payload(COPY, source=source, destination="dest"), "INVALID_ARGUMENT")
    assert model(gql, "dest") is None


@pytest.mark.parametrize("source", [{"name": "ghost", "version": 1}, {"name": "src", "version": 5},
                                    {"name": "src", "alias": "nobody"}, {"name": "ghost", "alias": "champion"}])
def test_copying_a_missing_source_is_not_found(gql, source):
    original(gql)
    refusal = refused(gql.payload(COPY, source=source, destination="dest"), "NOT_FOUND")
    assert refusal["modelVersion"] is None
    assert model(gql, "dest") is None


@pytest.mark.parametrize("destination, aliases", [("a/b", None), ("", None), ("dest", ["latest"]),
                                                  ("dest", ["v3"]), ("dest", ["no.dots"])])
def test_copy_with_an_invalid_destination_or_alias_is_refused(gql, destination, aliases):
    original(gql)
    refused(gql.payload(COPY, source={"name": "src", "version": 1}, destination=destination, aliases=aliases),
            "INVALID_ARGUMENT")
    assert model(gql, "dest") is None


def test_copy_idempotency_key_retry_returns_the_first_copy(gql):
    original(gql)
    first = copy(gql, {"name": "src", "alias": "champion"}, "dest", aliases=["live"], idempotencyKey="k")
    again = copy(gql, {"name": "src", "alias": "champion"}, "dest", aliases=["live"], idempotencyKey="k")
    assert again == first
    assert model(gql, "dest")["versions"]["totalCount"] == 1
    assert copy(gql, {"name": "src", "alias": "champion"}, "dest", idempotencyKey="k2")["version"] == 2


@pytest.mark.parametrize("changed", [
    {"source": {"name": "src", "version": 1}},
    {"source": {"name": "src", "alias": "other"}},
    {"destination": "elsewhere"},
    {"aliases": ["live", "blue"]},
    {"aliases": None},
])
def test_copy_idempotency_key_reused_with_a_different_input_is_conflict(gql, changed):
    original(gql)
    ok(gql.payload(SET_ALIAS, name="src", alias="other", version=1))
    request = {"source": {"name": "src", "alias": "champion"}, "destination": "dest", "aliases": ["live"]}
    copy(gql, idempotencyKey="k", **request)
    refusal = refused(gql.payload(COPY, idempotencyKey="k", **{**request, **changed}), "CONFLICT")
    assert refusal["userErrors"][0]["field"] == ["input", "idempotencyKey"]
    assert model(gql, "dest")["versions"]["totalCount"] == 1
    assert model(gql, "elsewhere") is None
