"""Transition requests and comments: the review flow of the Databricks registry."""
import asyncio

import httpx
import pytest

from resolvers import versions
from tests.conftest import operation


def _model_with_versions(gql, name="fraud", count=2):
    for i in range(count):
        gql.play("create_version", name=name, source=f"s3://m/{name}/{i}", createModelIfMissing=True)


def _request(gql, name="fraud", version=2, stage="PRODUCTION", archive=False, comment=None) -> str:
    made = gql.play("request_transition", name=name, version=version, stage=stage, archive=archive, comment=comment)
    assert made["userErrors"] == [], made
    return made["transitionRequest"]["id"]


def _stages(gql, name="fraud") -> dict[int, str]:
    nodes = gql.data('query($n: String!) { registeredModel(name: $n) { versions { nodes { version stage } } } }',
                     n=name)["registeredModel"]["versions"]["nodes"]
    return {v["version"]: v["stage"] for v in nodes}


def _history(gql, name="fraud", **variables) -> list[dict]:
    return gql.play("model_history", name=name, **variables)["activities"]["nodes"]


def test_request_review_approve_and_read_the_history(gql):
    _model_with_versions(gql)
    gql.play("transition", name="fraud", version=1, stage="PRODUCTION")
    request_id = _request(gql, archive=True, comment="beats v1 by 2 points")
    inbox = gql.play("review_inbox")
    assert [(r["id"], r["modelVersion"]["version"]) for r in inbox] == [(request_id, 2)]
    gql.play("comment", name="fraud", version=2, body="metrics look right")

    approved = gql.play("approve_transition", id=request_id, comment="ship it")
    assert approved["userErrors"] == []
    assert approved["transitionRequest"]["status"] == "APPROVED"
    assert approved["transitionRequest"]["resolvedBy"] == "tester"
    assert approved["transitionRequest"]["resolutionComment"] == "ship it"
    assert approved["modelVersion"] == {"version": 2, "stage": "PRODUCTION"}
    assert _stages(gql) == {2: "PRODUCTION", 1: "ARCHIVED"}
    assert gql.play("review_inbox") == []

    history = _history(gql, types=["TRANSITION_REQUESTED", "TRANSITION_REQUEST_APPROVED", "STAGE_TRANSITIONED",
                                   "SYSTEM_TRANSITION"], first=4)
    assert [(a["type"], a["version"], a["toStage"]) for a in history] == [
        ("SYSTEM_TRANSITION", 1, "ARCHIVED"),
        ("STAGE_TRANSITIONED", 2, "PRODUCTION"),
        ("TRANSITION_REQUEST_APPROVED", 2, "PRODUCTION"),
        ("TRANSITION_REQUESTED", 2, "PRODUCTION"),
    ]
    assert all(a["transitionRequest"] == {"id": request_id, "status": "APPROVED"} for a in history)


def test_rejecting_closes_the_request_and_moves_nothing(gql):
    _model_with_versions(gql)
    rejected = gql.play("reject_transition", id=_request(gql), comment="not yet")
    assert rejected["transitionRequest"]["status"] == "REJECTED"
    assert _stages(gql) == {2: "NONE", 1: "NONE"}


@pytest.mark.parametrize("first, then", [
    ("approve_transition", "approve_transition"),
    ("approve_transition", "reject_transition"),
    ("reject_transition", "approve_transition"),
    ("reject_transition", "reject_transition"),
])
def test_only_pending_requests_can_be_resolved(gql, first, then):
    _model_with_versions(gql)
    request_id = _request(gql)
    assert gql.play(first, id=request_id)["userErrors"] == []
    (error,) = gql.play(then, id=request_id)["userErrors"]
    assert error["code"] == "FAILED_PRECONDITION"


def test_cancelling_is_for_the_requester_and_only_while_pending(gql, sign_in):
    _model_with_versions(gql)
    cancel = 'mutation($id: ID!) { cancelTransitionRequest(input: {id: $id}) { ' \
             'transitionRequest { status } userErrors { code } } }'
    requester, other = sign_in("requester"), sign_in("other")
    theirs = requester.play("request_transition", name="fraud", version=1, stage="STAGING")
    their_id = theirs["transitionRequest"]["id"]
    assert other.data(cancel, id=their_id)["cancelTransitionRequest"]["userErrors"] == [{"code": "PERMISSION_DENIED"}]

    assert requester.data(cancel, id=their_id)["cancelTransitionRequest"]["transitionRequest"] == {
        "status": "CANCELLED"}
    assert requester.data(cancel, id=their_id)["cancelTransitionRequest"]["userErrors"] == [
        {"code": "FAILED_PRECONDITION"}]


def test_an_unknown_request_id_is_not_found(gql):
    for garbage in ("nope", "UmVnaXN0ZXJlZE1vZGVsOjE"):  # not an id; a model's id
        (error,) = gql.play("approve_transition", id=garbage)["userErrors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "id"])


def test_a_request_stays_pending_when_its_version_moves_and_approval_still_applies_the_target(gql):
    _model_with_versions(gql)
    request_id = _request(gql, stage="PRODUCTION")
    gql.play("transition", name="fraud", version=2, stage="STAGING")
    assert gql.play("review_inbox")[0]["id"] == request_id
    assert gql.play("approve_transition", id=request_id)["modelVersion"] == {"version": 2, "stage": "PRODUCTION"}


def test_a_request_needs_a_different_stage_and_archives_only_into_staging_or_production(gql):
    _model_with_versions(gql)
    same = gql.play("request_transition", name="fraud", version=1, stage="NONE")
    assert [e["code"] for e in same["userErrors"]] == ["FAILED_PRECONDITION"]
    archiving = gql.play("request_transition", name="fraud", version=1, stage="ARCHIVED", archive=True)
    assert [e["field"] for e in archiving["userErrors"]] == [["input", "archiveExistingVersions"]]
    assert gql.play("review_inbox") == []


def test_an_approval_that_fails_midway_leaves_neither_the_approval_nor_the_transition(gql, monkeypatch):
    _model_with_versions(gql)
    gql.play("transition", name="fraud", version=1, stage="PRODUCTION")
    request_id = _request(gql, archive=True)
    before = _history(gql, first=50)

    def fail_after_archiving(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("the disk filled up")

    original = versions.move
    monkeypatch.setattr(versions, "move", fail_after_archiving)
    error = gql.error(operation("approve_transition"), id=request_id)
    assert error["extensions"]["code"] == "INTERNAL"
    monkeypatch.undo()

    assert [r["id"] for r in gql.play("review_inbox")] == [request_id]
    assert _stages(gql) == {2: "NONE", 1: "PRODUCTION"}
    assert _history(gql, first=50) == before


def test_two_concurrent_approvals_apply_the_request_once(server_url, gql):
    _model_with_versions(gql)
    request_id = _request(gql)

    async def approve_twice():
        async with httpx.AsyncClient(base_url=server_url, timeout=30) as client:
            calls = [client.post("/graphql", json={"query": operation("approve_transition"),
                                                   "variables": {"id": request_id}}) for _ in range(2)]
            return [r.json()["data"]["approveTransitionRequest"] for r in await asyncio.gather(*calls)]

    results = asyncio.run(approve_twice())
    assert sorted(bool(r["userErrors"]) for r in results) == [False, True]
    assert [e["code"] for r in results for e in r["userErrors"]] == ["FAILED_PRECONDITION"]
    transitions = _history(gql, types=["STAGE_TRANSITIONED", "TRANSITION_REQUEST_APPROVED"])
    assert [a["type"] for a in transitions] == ["STAGE_TRANSITIONED", "TRANSITION_REQUEST_APPROVED"]


def test_requests_are_listed_per_version_per_model_and_registry_wide_by_status(gql):
    _model_with_versions(gql)
    _model_with_versions(gql, name="churn", count=1)
    first = _request(gql, version=1, stage="STAGING")
    second = _request(gql, version=2, stage="STAGING")
    third = _request(gql, name="churn", version=1, stage="STAGING")
    gql.play("reject_transition", id=first)
    lists = gql.data("""{ registeredModel(name: "fraud") {
        pending: transitionRequests(status: PENDING) { id }
        all: transitionRequests { id status }
        version(version: 1) { transitionRequests { id status } } } }""")["registeredModel"]
    assert lists["pending"] == [{"id": second}]
    assert lists["all"] == [{"id": second, "status": "PENDING"}, {"id": first, "status": "REJECTED"}]
    assert lists["version"]["transitionRequests"] == [{"id": first, "status": "REJECTED"}]

    assert [r["id"] for r in gql.play("review_inbox")] == [third, second]
    assert [r["id"] for r in gql.play("review_inbox", status="REJECTED")] == [first]
    page_two = gql.data('query($after: String) { transitionRequests(first: 1, after: $after) { id } }', after=third)
    assert page_two["transitionRequests"] == [{"id": second}]


def test_deleting_a_model_removes_its_requests_and_keeps_its_history(gql):
    _model_with_versions(gql)
    _request(gql, version=1, stage="ARCHIVED")
    assert gql.data('mutation { deleteRegisteredModel(input: {name: "fraud"}) { userErrors { code } } }')[
        "deleteRegisteredModel"]["userErrors"] == []
    assert gql.play("review_inbox") == []
    history = gql.data('{ activities(modelName: "fraud", first: 1) { nodes { type modelName } } }')
    assert history["activities"]["nodes"] == [{"type": "REGISTERED_MODEL_DELETED", "modelName": "fraud"}]


COMMENTS = 'query { registeredModel(name: "fraud") { version(version: 1) { comments { id body createdBy } } } }'


def test_comments_are_created_edited_and_deleted_newest_last(gql):
    _model_with_versions(gql)
    first = gql.play("comment", name="fraud", version=1, body="first")["comment"]["id"]
    second = gql.play("comment", name="fraud", version=1, body="second")["comment"]["id"]
    edited = gql.data('mutation($id: ID!) { updateComment(input: {id: $id, body: "first, edited"}) { '
                      'comment { body updatedAt createdAt } userErrors { code } } }', id=first)["updateComment"]
    assert edited["comment"]["body"] == "first, edited"
    assert edited["comment"]["updatedAt"] >= edited["comment"]["createdAt"]
    comments = gql.data(COMMENTS)["registeredModel"]["version"]["comments"]
    assert comments == [{"id": first, "body": "first, edited", "createdBy": "tester"},
                        {"id": second, "body": "second", "createdBy": "tester"}]
    deleted = gql.data('mutation($id: ID!) { deleteComment(input: {id: $id}) { deletedCommentId userErrors { code } } }',
                       id=second)["deleteComment"]
    assert deleted == {"deletedCommentId": second, "userErrors": []}
    assert [c["id"] for c in gql.data(COMMENTS)["registeredModel"]["version"]["comments"]] == [first]


@pytest.mark.parametrize("body, code", [("", "INVALID_ARGUMENT"), ("   ", "INVALID_ARGUMENT"),
                                        ("x" * 65_536, "INVALID_ARGUMENT")])
def test_a_comment_needs_a_body_of_at_most_65535_characters(gql, body, code):
    _model_with_versions(gql)
    (error,) = gql.play("comment", name="fraud", version=1, body=body)["userErrors"]
    assert (error["code"], error["field"]) == (code, ["input", "body"])


def test_editing_or_deleting_a_missing_comment_is_not_found(gql):
    missing = "Q29tbWVudDo5OTk"  # Comment:999
    assert gql.data('mutation($id: ID!) { updateComment(input: {id: $id, body: "x"}) { userErrors { code } } }',
                    id=missing)["updateComment"]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert gql.data('mutation($id: ID!) { deleteComment(input: {id: $id}) { userErrors { code } } }',
                    id=missing)["deleteComment"]["userErrors"] == [{"code": "NOT_FOUND"}]
