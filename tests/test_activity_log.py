"""The activity log: every mutation appends exactly the activities it should, in its own
transaction (a failed one appends none); history survives renames and deletes; ids only
go up; and it can be read per model, per version and registry-wide, filtered and paged."""
import base64

import pytest

from tests.conftest import USER_ERRORS, ok, refused

ACTOR = "tester"  # the test server's viewer
TEAM = {"key": "team", "value": "risk"}
ACTIVITY = "id type actor modelName version fromStage toStage alias comment transitionRequest { id } payload"
COLUMNS = ("type", "actor", "modelName", "version", "fromStage", "toStage", "alias", "comment", "transitionRequest")
MIRRORED = {"fromStage": "fromStage", "toStage": "toStage", "alias": "alias", "comment": "comment"}
CONNECTION = f"totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {ACTIVITY} }}"
PAGE_ARGS = "first: $first, after: $after, types: $types"
PAGE_VARS = "$first: Int, $after: String, $types: [ActivityType!]"
SELECTIONS = {"createTransitionRequest": "transitionRequest { id }", "createComment": "comment { id }"}
CORE = {"createRegisteredModel", "updateRegisteredModel", "renameRegisteredModel", "deleteRegisteredModel",
        "setRegisteredModelTag", "deleteRegisteredModelTag", "createModelVersion", "updateModelVersion",
        "deleteModelVersion", "setModelVersionTag", "deleteModelVersionTag", "setModelAlias", "deleteModelAlias",
        "transitionModelVersionStage", "copyModelVersion"}
LIFECYCLE = {"createTransitionRequest", "approveTransitionRequest", "rejectTransitionRequest",
             "cancelTransitionRequest", "createComment", "updateComment", "deleteComment"}


# ---- reading the log ----------------------------------------------------------------

def activity_pk(global_id: str) -> int:
    kind, _, pk = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().partition(":")
    assert kind == "Activity", global_id
    return int(pk)


def registry_activities(gql, modelName=None, **page) -> dict:
    document = (f"query({PAGE_VARS}, $modelName: String) "
                f"{{ activities({PAGE_ARGS}, modelName: $modelName) {{ {CONNECTION} }} }}")
    return gql.data(document, modelName=modelName, **page)["activities"]


def model_activities(gql, name: str, **page) -> dict:
    document = (f"query($name: String!, {PAGE_VARS}) "
                f"{{ registeredModel(name: $name) {{ activities({PAGE_ARGS}) {{ {CONNECTION} }} }} }}")
    return gql.data(document, name=name, **page)["registeredModel"]["activities"]


def version_activities(gql, name: str, version: int, **page) -> dict:
    document = (f"query($name: String!, $version: Int!, {PAGE_VARS}) {{ modelVersion(name: $name, version: $version)"
                f" {{ activities({PAGE_ARGS}) {{ {CONNECTION} }} }} }}")
    return gql.data(document, name=name, version=version, **page)["modelVersion"]["activities"]


def ids(nodes: list[dict]) -> list[int]:
    return [activity_pk(node["id"]) for node in nodes]


def high_water_mark(gql) -> int:
    nodes = registry_activities(gql, first=1)["nodes"]
    return ids(nodes)[0] if nodes else 0


def activities_since(gql, mark: int) -> list[dict]:
    """The activities newer than `mark`, in the order they were recorded."""
    nodes = registry_activities(gql, first=50)["nodes"]
    assert ids(nodes) == sorted(ids(nodes), reverse=True), "not newest first"
    return [node for node in reversed(nodes) if activity_pk(node["id"]) > mark]


def row(type: str, version: int | None = None, model: str = "m", *, stages=(None, None), alias=None, comment=None,
        request: str | None = None, **payload) -> dict:
    """An expected activity; `payload` holds the payload keys that must carry these values."""
    return {"type": type, "actor": ACTOR, "modelName": model, "version": version, "fromStage": stages[0],
            "toStage": stages[1], "alias": alias, "comment": comment,
            "transitionRequest": request and {"id": request}, "payload": payload}


def assert_rows(actual: list[dict], expected: list[dict]) -> None:
    assert [a["type"] for a in actual] == [e["type"] for e in expected], actual
    for got, want in zip(actual, expected):
        assert {k: got[k] for k in COLUMNS} == {k: want[k] for k in COLUMNS}, got
        wanted = {"model": want["modelName"], **want["payload"]}
        if want["version"] is not None:
            wanted["version"] = want["version"]
        wanted |= {key: want[column] for column, key in MIRRORED.items() if want[column] is not None}
        assert {k: got["payload"].get(k, "<missing>") for k in wanted} == wanted, got


# ---- making changes -----------------------------------------------------------------

def run(gql, mutation: str, **fields) -> dict:
    """`mutation(input: fields)`: its payload (the three resolutions share one input type)."""
    input_type = ("ResolveTransitionRequestInput" if mutation.endswith("TransitionRequest") and "create" not in mutation
                  else mutation[0].upper() + mutation[1:] + "Input")
    document = (f"mutation($input: {input_type}!) "
                f"{{ {mutation}(input: $input) {{ {SELECTIONS.get(mutation, '')} {USER_ERRORS} }} }}")
    return gql.data(document, input=fields)[mutation]


def do(gql, mutation: str, **fields) -> dict:
    return ok(run(gql, mutation, **fields))


def seed(gql, name: str = "m", versions: int = 1, stages: dict[int, str] | None = None, **model) -> None:
    do(gql, "createRegisteredModel", name=name, **model)
    for number in range(1, versions + 1):
        do(gql, "createModelVersion", name=name, source=f"s3://bucket/{name}/{number}")
    for number, stage in (stages or {}).items():
        do(gql, "transitionModelVersionStage", name=name, version=number, stage=stage)


def request(gql, version: int = 1, stage: str = "STAGING", **fields) -> str:
    made = do(gql, "createTransitionRequest", name="m", version=version, stage=stage, **fields)
    return made["transitionRequest"]["id"]


def comment(gql, body: str = "looks good") -> str:
    return do(gql, "createComment", name="m", version=1, body=body)["comment"]["id"]


# ---- every mutation, and what it must leave ------------------------------------------

CASES: dict[str, tuple[str, object]] = {}


def case(mutation: str):
    """Register `fn(gql) -> (input, expected rows | fn(result) -> rows)`: set up, then say what to run."""
    def register(fn):
        CASES[fn.__name__] = (mutation, fn)
        return fn
    return register


@case("createRegisteredModel")
def create_model(gql):
    return {"name": "m", "description": "d", "tags": [TEAM]}, [
        row("REGISTERED_MODEL_CREATED", description="d", tags={"team": "risk"})]


@case("updateRegisteredModel")
def update_model(gql):
    seed(gql, versions=0, description="old")
    return {"name": "m", "description": "new"}, [
        row("REGISTERED_MODEL_UPDATED", description={"before": "old", "after": "new"})]


@case("updateRegisteredModel")
def update_model_without_description_changes_nothing(gql):
    seed(gql, versions=0, description="old")
    return {"name": "m"}, []


@case("renameRegisteredModel")
def rename_model(gql):
    seed(gql)
    return {"name": "m", "newName": "n"}, [
        row("REGISTERED_MODEL_RENAMED", model="n", name={"before": "m", "after": "n"})]


@case("renameRegisteredModel")
def rename_to_the_same_name_changes_nothing(gql):
    seed(gql)
    return {"name": "m", "newName": "m"}, []


@case("deleteRegisteredModel")
def delete_model(gql):
    seed(gql, versions=2, stages={2: "ARCHIVED"})
    return {"name": "m"}, [row("REGISTERED_MODEL_DELETED")]


@case("setRegisteredModelTag")
def set_model_tag(gql):
    seed(gql)
    return {"name": "m", "key": "team", "value": "risk"}, [
        row("REGISTERED_MODEL_TAG_SET", key="team", value={"before": None, "after": "risk"})]


@case("setRegisteredModelTag")
def overwrite_model_tag(gql):
    seed(gql, tags=[TEAM])
    return {"name": "m", "key": "team", "value": "ml"}, [
        row("REGISTERED_MODEL_TAG_SET", key="team", value={"before": "risk", "after": "ml"})]


@case("deleteRegisteredModelTag")
def delete_model_tag(gql):
    seed(gql, tags=[TEAM])
    return {"name": "m", "key": "team"}, [row("REGISTERED_MODEL_TAG_DELETED", key="team", value={"before": "risk"})]


@case("deleteRegisteredModelTag")
def delete_missing_model_tag_changes_nothing(gql):
    seed(gql)
    return {"name": "m", "key": "team"}, []


@case("createModelVersion")
def create_version(gql):
    seed(gql, versions=0)
    return {"name": "m", "source": "s3://b/1", "runId": "r1", "description": "first", "tags": [TEAM]}, [
        row("MODEL_VERSION_CREATED", 1, source="s3://b/1", runId="r1", tags={"team": "risk"}, description="first")]


@case("createModelVersion")
def create_version_creating_its_model(gql):
    return {"name": "m", "source": "s3://b/1", "createModelIfMissing": True}, [
        row("REGISTERED_MODEL_CREATED"), row("MODEL_VERSION_CREATED", 1, source="s3://b/1")]


@case("createModelVersion")
def create_version_of_an_existing_model_if_missing(gql):
    seed(gql)
    return {"name": "m", "source": "s3://b/2", "createModelIfMissing": True}, [
        row("MODEL_VERSION_CREATED", 2, source="s3://b/2")]


@case("createModelVersion")
def idempotent_retry_of_create_version(gql):
    first = {"name": "m", "source": "s3://b/1", "createModelIfMissing": True, "idempotencyKey": "k1"}
    do(gql, "createModelVersion", **first)
    return first, []


@case("updateModelVersion")
def update_version(gql):
    seed(gql)
    do(gql, "updateModelVersion", name="m", version=1, description="old")
    return {"name": "m", "version": 1, "description": "new"}, [
        row("MODEL_VERSION_UPDATED", 1, description={"before": "old", "after": "new"})]


@case("deleteModelVersion")
def delete_version(gql):
    seed(gql, versions=2, stages={2: "ARCHIVED"})
    return {"name": "m", "version": 2}, [row("MODEL_VERSION_DELETED", 2, stage="ARCHIVED")]


@case("setModelVersionTag")
def set_version_tag(gql):
    seed(gql)
    return {"name": "m", "version": 1, "key": "ok", "value": "yes"}, [
        row("MODEL_VERSION_TAG_SET", 1, key="ok", value={"before": None, "after": "yes"})]


@case("deleteModelVersionTag")
def delete_version_tag(gql):
    seed(gql)
    do(gql, "setModelVersionTag", name="m", version=1, key="ok", value="yes")
    return {"name": "m", "version": 1, "key": "ok"}, [
        row("MODEL_VERSION_TAG_DELETED", 1, key="ok", value={"before": "yes"})]


@case("deleteModelVersionTag")
def delete_missing_version_tag_changes_nothing(gql):
    seed(gql)
    return {"name": "m", "version": 1, "key": "ok"}, []


@case("setModelAlias")
def set_alias(gql):
    seed(gql)
    return {"name": "m", "alias": "champion", "version": 1}, [row("ALIAS_SET", 1, alias="champion")]


@case("setModelAlias")
def move_alias(gql):
    seed(gql, versions=2)
    do(gql, "setModelAlias", name="m", alias="champion", version=1)
    return {"name": "m", "alias": "champion", "version": 2}, [
        row("ALIAS_SET", 2, alias="champion", previousVersion=1)]


@case("deleteModelAlias")
def delete_alias(gql):
    seed(gql)
    do(gql, "setModelAlias", name="m", alias="champion", version=1)
    return {"name": "m", "alias": "champion"}, [row("ALIAS_DELETED", 1, alias="champion")]


@case("deleteModelAlias")
def delete_missing_alias_changes_nothing(gql):
    seed(gql)
    return {"name": "m", "alias": "champion"}, []


@case("transitionModelVersionStage")
def transition(gql):
    seed(gql)
    return {"name": "m", "version": 1, "stage": "STAGING", "comment": "go"}, [
        row("STAGE_TRANSITIONED", 1, stages=("NONE", "STAGING"), comment="go", archiveExistingVersions=False)]


@case("transitionModelVersionStage")
def transition_archiving_existing_versions(gql):
    seed(gql, versions=4, stages={1: "PRODUCTION", 2: "PRODUCTION", 3: "STAGING"})
    return {"name": "m", "version": 4, "stage": "PRODUCTION", "archiveExistingVersions": True}, [
        row("STAGE_TRANSITIONED", 4, stages=("NONE", "PRODUCTION"), archiveExistingVersions=True),
        row("SYSTEM_TRANSITION", 1, stages=("PRODUCTION", "ARCHIVED")),
        row("SYSTEM_TRANSITION", 2, stages=("PRODUCTION", "ARCHIVED"))]


@case("copyModelVersion")
def copy_into_a_new_model_with_aliases(gql):
    seed(gql)
    return {"source": {"name": "m", "version": 1}, "destinationName": "prod", "aliases": ["live", "gold"]}, [
        row("REGISTERED_MODEL_CREATED", model="prod"),
        row("MODEL_VERSION_COPIED", 1, "prod", source="models:/m/1", copiedFrom={"model": "m", "version": 1}),
        row("ALIAS_SET", 1, "prod", alias="live"),
        row("ALIAS_SET", 1, "prod", alias="gold")]


@case("copyModelVersion")
def copy_by_alias_into_an_existing_model(gql):
    seed(gql, versions=2)
    seed(gql, "prod")
    do(gql, "setModelAlias", name="m", alias="champion", version=2)
    return {"source": {"name": "m", "alias": "champion"}, "destinationName": "prod"}, [
        row("MODEL_VERSION_COPIED", 2, "prod", source="models:/m/2", copiedFrom={"model": "m", "version": 2})]


@case("copyModelVersion")
def idempotent_retry_of_copy(gql):
    seed(gql)
    first = {"source": {"name": "m", "version": 1}, "destinationName": "prod", "aliases": ["live"],
             "idempotencyKey": "k1"}
    do(gql, "copyModelVersion", **first)
    return first, []


@case("createTransitionRequest")
def create_transition_request(gql):
    seed(gql)
    return {"name": "m", "version": 1, "stage": "PRODUCTION", "archiveExistingVersions": True,
            "comment": "please"}, lambda made: [
        row("TRANSITION_REQUESTED", 1, stages=("NONE", "PRODUCTION"), comment="please",
            request=made["transitionRequest"]["id"], archiveExistingVersions=True)]


@case("approveTransitionRequest")
def approve_transition_request(gql):
    seed(gql, versions=3, stages={1: "PRODUCTION"})
    asked = request(gql, 3, "PRODUCTION", archiveExistingVersions=True, comment="please")
    return {"id": asked, "comment": "ok"}, [
        row("TRANSITION_REQUEST_APPROVED", 3, stages=("NONE", "PRODUCTION"), comment="ok", request=asked),
        row("STAGE_TRANSITIONED", 3, stages=("NONE", "PRODUCTION"), comment="ok", request=asked,
            archiveExistingVersions=True),
        row("SYSTEM_TRANSITION", 1, stages=("PRODUCTION", "ARCHIVED"), request=asked)]


@case("rejectTransitionRequest")
def reject_transition_request(gql):
    seed(gql)
    asked = request(gql, comment="please")
    return {"id": asked, "comment": "not yet"}, [
        row("TRANSITION_REQUEST_REJECTED", 1, stages=("NONE", "STAGING"), comment="not yet", request=asked)]


@case("cancelTransitionRequest")
def cancel_transition_request(gql):
    seed(gql)
    asked = request(gql)
    return {"id": asked}, [row("TRANSITION_REQUEST_CANCELLED", 1, stages=("NONE", "STAGING"), request=asked)]


@case("createComment")
def create_comment(gql):
    seed(gql)
    return {"name": "m", "version": 1, "body": "looks good"}, [row("COMMENT_CREATED", 1, comment="looks good")]


@case("updateComment")
def update_comment(gql):
    seed(gql)
    said = comment(gql, "looks good")
    return {"id": said, "body": "looks great"}, [
        row("COMMENT_UPDATED", 1, comment="looks great", body={"before": "looks good", "after": "looks great"})]


@case("deleteComment")
def delete_comment(gql):
    seed(gql)
    said = comment(gql, "looks good")
    return {"id": said}, [row("COMMENT_DELETED", 1, body={"before": "looks good"})]


def test_the_table_covers_every_mutation(gql):
    schema = gql.data("{ __schema { mutationType { fields { name } } } }")["__schema"]["mutationType"]["fields"]
    assert CORE | LIFECYCLE <= {field["name"] for field in schema}
    assert {mutation for mutation, _ in CASES.values()} == CORE | LIFECYCLE


@pytest.mark.parametrize("name", CASES)
def test_each_mutation_leaves_exactly_its_activities(gql, name):
    mutation, arrange = CASES[name]
    fields, expected = arrange(gql)
    mark = high_water_mark(gql)
    result = do(gql, mutation, **fields)
    assert_rows(activities_since(gql, mark), expected(result) if callable(expected) else expected)


# ---- failures -------------------------------------------------------------------------

FAILURES: dict[str, tuple[str, object]] = {}


def failure(mutation: str):
    """Register `fn(gql) -> (input, error code)`: set up, then say what must be refused."""
    def register(fn):
        FAILURES[fn.__name__] = (mutation, fn)
        return fn
    return register


@failure("createRegisteredModel")
def duplicate_model(gql):
    seed(gql)
    return {"name": "m"}, "ALREADY_EXISTS"


@failure("renameRegisteredModel")
def rename_onto_a_taken_name(gql):
    seed(gql)
    seed(gql, "n")
    return {"name": "m", "newName": "n"}, "ALREADY_EXISTS"


@failure("deleteRegisteredModel")
def delete_model_with_a_production_version(gql):
    seed(gql, versions=2, stages={2: "PRODUCTION"})
    return {"name": "m"}, "FAILED_PRECONDITION"


@failure("createModelVersion")
def create_version_and_model_from_a_bad_source(gql):
    return {"name": "m", "source": "s3://b/../x", "createModelIfMissing": True}, "INVALID_ARGUMENT"


@failure("createModelVersion")
def reuse_an_idempotency_key_with_other_input(gql):
    do(gql, "createModelVersion", name="m", source="s3://b/1", createModelIfMissing=True, idempotencyKey="k")
    return {"name": "m", "source": "s3://b/2", "createModelIfMissing": True, "idempotencyKey": "k"}, "CONFLICT"


@failure("deleteModelVersion")
def delete_a_staging_version(gql):
    seed(gql, stages={1: "STAGING"})
    return {"name": "m", "version": 1}, "FAILED_PRECONDITION"


@failure("setModelAlias")
def alias_a_missing_version(gql):
    seed(gql)
    return {"name": "m", "alias": "champion", "version": 9}, "NOT_FOUND"


@failure("transitionModelVersionStage")
def archive_existing_when_archiving(gql):
    seed(gql)
    return {"name": "m", "version": 1, "stage": "ARCHIVED", "archiveExistingVersions": True}, "INVALID_ARGUMENT"


@failure("copyModelVersion")
def copy_into_a_new_model_with_a_reserved_alias(gql):
    seed(gql)
    return {"source": {"name": "m", "version": 1}, "destinationName": "prod", "aliases": ["v1"]}, "INVALID_ARGUMENT"


@failure("copyModelVersion")
def copy_a_missing_version_into_a_new_model(gql):
    seed(gql)
    return {"source": {"name": "m", "version": 7}, "destinationName": "prod"}, "NOT_FOUND"


@failure("createTransitionRequest")
def request_the_current_stage(gql):
    seed(gql)
    return {"name": "m", "version": 1, "stage": "NONE"}, "FAILED_PRECONDITION"


@failure("approveTransitionRequest")
def approve_a_rejected_request(gql):
    seed(gql)
    asked = request(gql)
    do(gql, "rejectTransitionRequest", id=asked)
    return {"id": asked}, "FAILED_PRECONDITION"


@failure("updateComment")
def update_a_comment_to_blank(gql):
    seed(gql)
    return {"id": comment(gql), "body": "  "}, "INVALID_ARGUMENT"


@failure("deleteComment")
def delete_a_deleted_comment(gql):
    seed(gql)
    said = comment(gql)
    do(gql, "deleteComment", id=said)
    return {"id": said}, "NOT_FOUND"


@pytest.mark.parametrize("name", FAILURES)
def test_a_failed_mutation_leaves_no_activity(gql, name):
    mutation, arrange = FAILURES[name]
    fields, code = arrange(gql)
    before = registry_activities(gql, first=1)
    refused(run(gql, mutation, **fields), code)
    assert registry_activities(gql, first=1) == before
    assert gql.data('{ registeredModel(name: "prod") { name } }')["registeredModel"] is None


# ---- history outlives renames and deletes --------------------------------------------

def build_history(gql, name: str) -> None:
    seed(gql, name, versions=2, tags=[TEAM])
    do(gql, "setModelVersionTag", name=name, version=1, key="ok", value="yes")
    do(gql, "setModelAlias", name=name, alias="champion", version=1)
    do(gql, "transitionModelVersionStage", name=name, version=2, stage="ARCHIVED")
    do(gql, "createComment", name=name, version=1, body="looks good")


def node_of(gql, global_id: str) -> dict:
    return gql.data(f"query($id: ID!) {{ node(id: $id) {{ ... on Activity {{ {ACTIVITY} }} }} }}", id=global_id)["node"]


def test_history_stays_on_the_model_under_its_old_name_after_a_rename(gql):
    build_history(gql, "old")
    earlier = model_activities(gql, "old")["nodes"]
    assert len(earlier) == 7 and {a["modelName"] for a in earlier} == {"old"}
    do(gql, "renameRegisteredModel", name="old", newName="new")

    on_model = model_activities(gql, "new")
    renamed, *rest = on_model["nodes"]
    assert (renamed["type"], renamed["modelName"]) == ("REGISTERED_MODEL_RENAMED", "new")
    assert rest == earlier and on_model["totalCount"] == 8
    assert registry_activities(gql, modelName="new")["nodes"] == on_model["nodes"]
    assert version_activities(gql, "new", 1)["nodes"] == [a for a in earlier if a["version"] == 1]


def test_history_of_a_deleted_model_stays_listed_under_its_name(gql):
    build_history(gql, "m")
    history = model_activities(gql, "m")["nodes"]
    do(gql, "deleteRegisteredModel", name="m")

    deleted, *rest = registry_activities(gql, modelName="m")["nodes"]
    assert_rows([deleted], [row("REGISTERED_MODEL_DELETED")])
    assert rest == history
    assert [node_of(gql, a["id"]) for a in (deleted, history[-1])] == [deleted, history[-1]]


def test_history_of_a_renamed_then_deleted_model_stays_whole_under_its_last_name(gql):
    """While the model lives, `activities(modelName:)` lists its whole history, earlier
    names included; deleting it must not drop the rows it made under those names."""
    build_history(gql, "old")
    do(gql, "renameRegisteredModel", name="old", newName="new")
    history = registry_activities(gql, modelName="new")["nodes"]
    do(gql, "deleteRegisteredModel", name="new")

    deleted, *rest = registry_activities(gql, modelName="new")["nodes"]
    assert (deleted["type"], deleted["modelName"]) == ("REGISTERED_MODEL_DELETED", "new")
    assert [(a["type"], a["modelName"]) for a in rest] == [(a["type"], a["modelName"]) for a in history]


# ---- ids, filters and paging ------------------------------------------------------------

def test_activity_ids_increase_in_the_order_the_mutations_ran(gql):
    steps = [("createRegisteredModel", {"name": "a"}, "REGISTERED_MODEL_CREATED"),
             ("createModelVersion", {"name": "b", "source": "s3://b", "createModelIfMissing": True},
              "MODEL_VERSION_CREATED"),
             ("setRegisteredModelTag", {"name": "a", **TEAM}, "REGISTERED_MODEL_TAG_SET"),
             ("renameRegisteredModel", {"name": "b", "newName": "c"}, "REGISTERED_MODEL_RENAMED"),
             ("createComment", {"name": "c", "version": 1, "body": "hi"}, "COMMENT_CREATED"),
             ("transitionModelVersionStage", {"name": "c", "version": 1, "stage": "STAGING"}, "STAGE_TRANSITIONED"),
             ("createRegisteredModel", {"name": "d"}, "REGISTERED_MODEL_CREATED")]
    marks = []
    for mutation, fields, _ in steps:
        do(gql, mutation, **fields)
        marks.append(high_water_mark(gql))
    assert marks == sorted(set(marks))

    everything = registry_activities(gql)["nodes"]
    in_order = list(reversed(everything))
    assert ids(in_order) == sorted(set(ids(in_order)))
    assert [a["type"] for a in in_order] == ["REGISTERED_MODEL_CREATED", "REGISTERED_MODEL_CREATED",
                                             *[expected for _, _, expected in steps[1:]]]
    assert [activity_pk(a["id"]) for a in in_order if activity_pk(a["id"]) in marks] == marks


ALIAS_TYPES = ["ALIAS_SET", "ALIAS_DELETED"]


def test_activities_per_version_and_filtered_by_type(gql):
    seed(gql, versions=2)
    seed(gql, "other")
    do(gql, "setModelAlias", name="other", alias="champion", version=1)
    do(gql, "setModelVersionTag", name="m", version=1, key="ok", value="yes")
    do(gql, "setModelAlias", name="m", alias="champion", version=1)
    do(gql, "transitionModelVersionStage", name="m", version=1, stage="PRODUCTION")
    do(gql, "transitionModelVersionStage", name="m", version=2, stage="PRODUCTION", archiveExistingVersions=True)
    do(gql, "createComment", name="m", version=2, body="better")
    do(gql, "setModelAlias", name="m", alias="champion", version=2)
    do(gql, "deleteModelAlias", name="m", alias="champion")

    def seen(connection):
        assert connection["totalCount"] == len(connection["nodes"])
        return [(a["type"], a["modelName"], a["version"]) for a in connection["nodes"]]

    assert seen(version_activities(gql, "m", 1)) == [
        ("SYSTEM_TRANSITION", "m", 1), ("STAGE_TRANSITIONED", "m", 1), ("ALIAS_SET", "m", 1),
        ("MODEL_VERSION_TAG_SET", "m", 1), ("MODEL_VERSION_CREATED", "m", 1)]
    assert seen(version_activities(gql, "m", 2)) == [
        ("ALIAS_DELETED", "m", 2), ("ALIAS_SET", "m", 2), ("COMMENT_CREATED", "m", 2),
        ("STAGE_TRANSITIONED", "m", 2), ("MODEL_VERSION_CREATED", "m", 2)]

    on_m = [("ALIAS_DELETED", "m", 2), ("ALIAS_SET", "m", 2), ("ALIAS_SET", "m", 1)]
    assert seen(model_activities(gql, "m", types=ALIAS_TYPES)) == on_m
    assert seen(registry_activities(gql, modelName="m", types=ALIAS_TYPES)) == on_m
    assert seen(registry_activities(gql, types=ALIAS_TYPES)) == [*on_m, ("ALIAS_SET", "other", 1)]
    assert seen(version_activities(gql, "m", 2, types=["ALIAS_SET"])) == [("ALIAS_SET", "m", 2)]
    assert seen(registry_activities(gql, types=["SYSTEM_TRANSITION"])) == [("SYSTEM_TRANSITION", "m", 1)]


@pytest.mark.parametrize("scope", ["registry", "model", "version"])
def test_paging_newest_first_visits_every_row_once_while_new_rows_arrive(gql, scope):
    seed(gql)
    for n in range(7):
        do(gql, "setModelVersionTag", name="m", version=1, key=f"k{n}", value="v")
    fetch = {"registry": lambda **page: registry_activities(gql, **page),
             "model": lambda **page: model_activities(gql, "m", **page),
             "version": lambda **page: version_activities(gql, "m", 1, **page)}[scope]
    everything = ids(fetch(first=100)["nodes"])
    assert everything == sorted(everything, reverse=True) and len(everything) >= 8

    seen, after, late = [], None, 0
    while True:
        page = fetch(first=3, after=after)
        seen += ids(page["nodes"])
        do(gql, "setModelVersionTag", name="m", version=1, key=f"late{late}", value="v")  # between pages
        late += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == everything

    fresh = fetch(first=100)["nodes"]
    assert ids(fresh[late:]) == everything
    assert [a["payload"]["key"] for a in fresh[:late]] == [f"late{n}" for n in reversed(range(late))]


# ---- consistency of the recorded values ------------------------------------------------

def test_payload_identifies_comments_and_requests_by_their_global_ids(gql):
    """The API hands out opaque global IDs only; a payload consumer must be able to pass
    the ids it finds there to `node(id:)`, as it does with `transitionRequest { id }`."""
    seed(gql)
    asked, said = request(gql), comment(gql)
    requested, commented = reversed(registry_activities(gql, first=2)["nodes"])
    assert requested["payload"]["transitionRequestId"] == asked == requested["transitionRequest"]["id"]
    assert commented["payload"]["commentId"] == said


def test_an_approval_records_the_stages_of_the_request_it_approves(gql):
    """Reject and cancel rows carry the request's fromStage; so must the approval row, even
    when the version has left that stage since (the STAGE_TRANSITIONED row tells where it
    really came from)."""
    seed(gql)
    asked = request(gql, stage="PRODUCTION")
    do(gql, "transitionModelVersionStage", name="m", version=1, stage="STAGING")
    mark = high_water_mark(gql)
    do(gql, "approveTransitionRequest", id=asked)
    assert_rows(activities_since(gql, mark), [
        row("TRANSITION_REQUEST_APPROVED", 1, stages=("NONE", "PRODUCTION"), request=asked),
        row("STAGE_TRANSITIONED", 1, stages=("STAGING", "PRODUCTION"), request=asked, archiveExistingVersions=False)])
