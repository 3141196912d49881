"""Who may do what (REFERENCE.md, Permissions), cell by cell.

The table: every mutation of the schema, and the reads that could reveal a model, run on
the `--auth required` server (signed-in users hold NO_PERMISSIONS by default) by callers
holding each level directly, through a group, as an admin, as the model's creator, and with
no, an expired or a revoked token. Each (operation, caller) cell is its own test over a
fresh registry, built in one transaction; a refused mutation must leave every table as it
was. Below CAN_READ a model is missing (NOT_FOUND, absent from every list); at or above
it, too low a level is PERMISSION_DENIED; without a valid token the answer is HTTP 401.
"""
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from resolvers import access, accounts, changes, models, reviews, versions
from resolvers.access import (
    CAN_EDIT,
    CAN_MANAGE,
    CAN_MANAGE_PRODUCTION,
    CAN_MANAGE_STAGING,
    CAN_READ,
    LEVELS,
    NO_PERMISSIONS,
    Viewer,
)
from resolvers.global_ids import to_global_id
from resolvers.webhook_signing import SecretBox
from store.database import now_ms
from store.tables import (
    ALL_TABLES,
    AccessToken,
    Activity,
    Comment,
    GroupMember,
    ModelAlias,
    ModelPermission,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
    TransitionRequest,
    User,
    Webhook,
    WebhookDelivery,
)
from tests.conftest import mutation_document, ok, serving

MODEL = "fraud"
CALLER = "alice"
TEAM = "ml-team"
FIRST_TOKEN = "session"  # the description of the token the caller signs in with

SIGNED_IN = "any signed-in user"
ADMIN_ONLY = "the requester or an admin"  # another's transition request
OWN_TOKENS = "own tokens; another's is missing"  # another user's access token
ADMINS = "admins only"  # registry-wide webhooks
MANAGERS_ONLY = "CAN_MANAGE; missing to others"  # a model's webhooks and their deliveries


# ---------------------------------------------------------------- callers (the columns)

@dataclass(frozen=True)
class Caller:
    id: str
    level: int = NO_PERMISSIONS  # the effective level on MODEL the caller should have
    grants: tuple = ()  # (principal, level) granted on MODEL
    groups: tuple = ()
    admin: bool = False
    creator: bool = False
    token: str = "valid"  # valid | none | expired | revoked


CALLERS = [
    *[Caller(LEVELS[level], level, ((CALLER, level),) if level else ()) for level in range(len(LEVELS))],
    Caller(f"group:{LEVELS[CAN_MANAGE_PRODUCTION]}", CAN_MANAGE_PRODUCTION, ((TEAM, CAN_MANAGE_PRODUCTION),),
           (TEAM,)),
    Caller(f"user:{LEVELS[CAN_MANAGE_STAGING]}+group:{LEVELS[CAN_EDIT]}", CAN_MANAGE_STAGING,
           ((CALLER, CAN_MANAGE_STAGING), (TEAM, CAN_EDIT)), (TEAM,)),
    Caller(f"user:{LEVELS[CAN_READ]}+group:{LEVELS[CAN_MANAGE]}", CAN_MANAGE,
           ((CALLER, CAN_READ), (TEAM, CAN_MANAGE)), (TEAM,)),
    Caller("admin", CAN_MANAGE, admin=True),
    Caller("creator", CAN_MANAGE, creator=True),
    # Without a valid token nothing is allowed, not even to an admin.
    Caller("anonymous", token="none"),
    Caller("expired-token", CAN_MANAGE, admin=True, token="expired"),
    Caller("revoked-token", CAN_MANAGE, admin=True, token="revoked"),
]
SIGNED_IN_CALLERS = [c for c in CALLERS if c.token == "valid"]


def build_registry(caller: Caller, secrets: SecretBox) -> dict:
    """In one transaction of ~20 statements (a cell must stay cheap): the caller and its
    token, and the model every cell acts on, with two versions in NONE, tags, an alias,
    comments by bob and the caller, pending requests by both, grants, spare tokens and the
    activities those would have left. Returns the caller's secret and the ids a cell needs."""
    at = now_ms()
    alice = User.create(name=CALLER, is_admin=caller.admin, created_at=at)
    bob = User.create(name="bob", created_at=at)
    for group in caller.groups:
        GroupMember.create(user=alice.id, group=group)
    session, secret = accounts.issue_token(alice, FIRST_TOKEN)
    my_spare, _ = accounts.issue_token(alice, "spare")
    bobs, _ = accounts.issue_token(bob, "bob's")

    creator = CALLER if caller.creator else "owner"
    stamp = {"created_at": at, "updated_at": at}
    model = RegisteredModel.create(name=MODEL, description="Flags fraud.", created_by=creator, last_version=2,
                                   version_count=2, **stamp)
    v1, v2 = (ModelVersion.create(model=model.id, version=n, source=f"s3://b/{n}", download_uri=f"s3://b/{n}",
                                  created_by=creator, **stamp) for n in (1, 2))
    RegisteredModelTag.create(model=model.id, key="team", value="risk")
    ModelVersionTag.create(version=v1.id, key="k", value="v")
    ModelAlias.create(model=model.id, alias="champion", version=v1.id)
    their_comment, my_comment = (Comment.create(version=v1.id, body=f"{who}'s comment", created_by=who, **stamp)
                                 for who in ("bob", CALLER))
    to_staging, to_production, my_request = (
        TransitionRequest.create(model=model.id, version=version.id, from_stage="NONE", to_stage=stage,
                                 created_by=who, created_at=at)
        for who, version, stage in (("bob", v1, "STAGING"), ("bob", v1, "PRODUCTION"), (CALLER, v2, "STAGING")))
    # The creator manages; grants that must not count for the caller: another user's, and
    # a group's the caller is not in.
    grants = {creator: CAN_MANAGE, "carol": CAN_MANAGE, "other-team": CAN_MANAGE}
    for principal, level in caller.grants:
        grants[principal] = max(level, grants.get(principal, NO_PERMISSIONS))
    ModelPermission.insert_many([{"model": model.id, "principal": p, "level": level}
                                 for p, level in grants.items()]).execute()

    history = [changes.Change(Viewer(name=who), at) for who in (creator, "bob", CALLER)]
    history[0].record("REGISTERED_MODEL_CREATED", model, description=model.description, tags={"team": "risk"})
    for version in (v1, v2):
        history[0].record("MODEL_VERSION_CREATED", model, version, source=version.source)
    history[0].record("ALIAS_SET", model, v1, alias="champion")
    for change, comment in ((history[1], their_comment), (history[2], my_comment)):
        change.record("COMMENT_CREATED", model, v1, comment=comment.body, commentId=to_global_id("Comment", comment.id))
    for change, request in ((history[1], to_staging), (history[1], to_production), (history[2], my_request)):
        change.record("TRANSITION_REQUESTED", model, v1 if request.version_id == v1.id else v2, from_stage="NONE",
                      to_stage=request.to_stage, request_id=request.id, archiveExistingVersions=False)
    activities = [row for change in history for row in change.activities]
    Activity.insert_many(activities).execute()
    first_activity = Activity.select(Activity.id).where(Activity.model_id == model.id).scalar()
    webhook = Webhook.create(model=model.id, url="http://127.0.0.1:9/closed", secret=secrets.seal(
        "whsec_" + "A" * 43 + "="), created_by=creator, **stamp)
    delivery = WebhookDelivery.create(webhook=webhook.id, activity_id=first_activity, status="FAILED", attempts=1,
                                      created_at=at)
    return {
        "secret": None if caller.token == "none" else secret,
        "model": to_global_id("RegisteredModel", model.id),
        "v1": to_global_id("ModelVersion", v1.id),
        "their_comment": to_global_id("Comment", their_comment.id),
        "my_comment": to_global_id("Comment", my_comment.id),
        "to_staging": to_global_id("TransitionRequest", to_staging.id),
        "to_production": to_global_id("TransitionRequest", to_production.id),
        "my_request": to_global_id("TransitionRequest", my_request.id),
        "pending": {to_global_id("TransitionRequest", r.id) for r in (to_staging, to_production, my_request)},
        "my_spare_token": to_global_id("AccessToken", my_spare.id),
        "bobs_token": to_global_id("AccessToken", bobs.id),
        "session_token": to_global_id("AccessToken", session.id),
        "session_token_pk": session.id,
        "activity": to_global_id("Activity", first_activity),
        "webhook": to_global_id("Webhook", webhook.id),
        "delivery": to_global_id("WebhookDelivery", delivery.id),
        "activities": len(activities),
        "creator": creator,
    }


def snapshot() -> dict:
    """Every row of every table (but a token's lastUsedAt, which any use moves)."""
    state = {}
    for table in ALL_TABLES:
        columns = [f for f in table._meta.sorted_fields if f is not AccessToken.last_used_at]
        state[table._meta.table_name] = list(table.select(*columns).order_by(table._meta.primary_key).tuples())
    return state


def expire(token_id: int) -> None:
    AccessToken.update(expires_at=now_ms() - 1000).where(AccessToken.id == token_id).execute()


REVOKE = mutation_document("revokeAccessToken", "revokedAccessTokenId")


class Client:
    """Requests to the `--auth required` server with one bearer token (or none), over a
    connection the module shares (a client of its own per cell costs more than the cell)."""

    def __init__(self, http: httpx.Client, secret: str | None):
        self.http = http
        self.headers = {"authorization": f"Bearer {secret}"} if secret else {}

    def post(self, document: str, variables: dict) -> httpx.Response:
        return self.http.post("/graphql", json={"query": document, "variables": variables}, headers=self.headers)

    def data(self, document: str, /, **variables) -> dict:
        response = self.post(document, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture(scope="module")
def secured_http(secured_url):
    with httpx.Client(base_url=secured_url, timeout=30) as http:
        yield http


def arrange(caller: Caller, secured_http, store):
    """The caller's client and the fixture's ids."""
    # The webhook's secret sealed as the session's servers seal them (their key file).
    ids = store.write(build_registry, caller, SecretBox(Settings(database_url=store.url).load_secrets_key()))
    client = Client(secured_http, ids["secret"])
    if caller.token == "expired":
        store.write(expire, ids["session_token_pk"])
    elif caller.token == "revoked":
        revoked = client.data(REVOKE, input={"id": ids["session_token"]})["revokeAccessToken"]
        assert revoked == {"revokedAccessTokenId": ids["session_token"], "userErrors": []}
    return client, ids


def unauthenticated(response: httpx.Response) -> bool:
    """HTTP 401 with a Bearer challenge and code UNAUTHENTICATED."""
    if response.status_code != 401:
        return False
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", response.text
    return True


# ---------------------------------------------------------------- operations (the rows)

@dataclass(frozen=True)
class Operation:
    id: str
    document: str
    needs: object  # a level (int), SIGNED_IN, ADMIN_ONLY or OWN_TOKENS
    variables: Callable[[dict], dict]
    judge: Callable[[dict, dict], str] | None = None  # reads: (body, ids) -> "ok" or the code it amounts to
    mutation: str | None = None  # the root field, for mutations
    changes: bool = True  # whether the mutation, allowed, changes a row (testWebhook sends; unfollowing is a no-op)


def document_for(mutation: str) -> str:
    """`mutation_document`, with the input type approving, rejecting and cancelling share."""
    document = mutation_document(mutation)
    if mutation in ("approveTransitionRequest", "rejectTransitionRequest", "cancelTransitionRequest"):
        document = document.replace(f"{mutation[0].upper()}{mutation[1:]}Input", "ResolveTransitionRequestInput")
    return document


def change(mutation: str, needs, make_input: Callable[[dict], dict], variant: str = "",
           changes: bool = True) -> Operation:
    document = document_for(mutation)
    return Operation(f"{mutation}[{variant}]" if variant else mutation, document, needs,
                     lambda ids: {"input": make_input(ids)}, mutation=mutation, changes=changes)


def read(id: str, document: str, needs: int, judge, variables=lambda ids: {}) -> Operation:
    return Operation(id, document, needs, variables, judge)


def _all_or_none(values: list, present, absent) -> str:
    if all(present(v) for v in values):
        return "ok"
    if all(absent(v) for v in values):
        return "NOT_FOUND"
    return f"partly visible: {values}"


def _errors_then(body: dict, then) -> str:
    if body.get("errors"):
        return "+".join(e["extensions"]["code"] for e in body["errors"])
    return then(body["data"])


def judge_lookups(body, ids):
    return _errors_then(body, lambda d: _all_or_none(list(d.values()), lambda v: v is not None, lambda v: v is None))


def judge_models(body, ids):
    def judge(d):
        seen = (d["all"]["totalCount"], tuple(n["name"] for n in d["all"]["nodes"]), d["searched"]["totalCount"],
                d["filtered"]["totalCount"])
        return {(1, (MODEL,), 1, 1): "ok", (0, (), 0, 0): "NOT_FOUND"}.get(seen, f"partly visible: {seen}")
    return _errors_then(body, judge)


def judge_versions(body, ids):
    def judge(d):
        seen = (d["all"]["totalCount"], len(d["all"]["nodes"]), d["searched"]["totalCount"])
        return {(2, 2, 2): "ok", (0, 0, 0): "NOT_FOUND"}.get(seen, f"partly visible: {seen}")
    return _errors_then(body, judge)


def judge_nodes(body, ids):
    return _errors_then(body, lambda d: _all_or_none([d["node"], *d["nodes"]], lambda v: v is not None,
                                                     lambda v: v is None))


def judge_activities(body, ids):
    def judge(d):
        names = frozenset(n["modelName"] for n in d["all"]["nodes"])
        seen = (d["scoped"]["totalCount"], d["all"]["totalCount"], names)
        return {(ids["activities"], ids["activities"], frozenset([MODEL])): "ok",
                (0, 0, frozenset()): "NOT_FOUND"}.get(seen, f"partly visible: {seen}")
    return _errors_then(body, judge)


def judge_inbox(body, ids):
    def judge(d):
        seen = {r["id"] for r in d["transitionRequests"]}
        return {frozenset(ids["pending"]): "ok", frozenset(): "NOT_FOUND"}.get(frozenset(seen), f"partly: {seen}")
    return _errors_then(body, judge)


def judge_permissions(body, ids):
    def judge(d):
        if d["registeredModel"] is None:
            return "NOT_FOUND"
        held = {(p["principal"], p["level"]) for p in d["registeredModel"]["permissions"]}
        assert (ids["creator"], "CAN_MANAGE") in held and ("carol", "CAN_MANAGE") in held, held
        return "ok"
    return _errors_then(body, judge)


def judge_latest(body, ids):
    return _errors_then(body, lambda d: "ok" if d["latestVersions"] else "empty")


STAGING_STAGE_MOVE = CAN_MANAGE_STAGING
PRODUCTION_STAGE_MOVE = CAN_MANAGE_PRODUCTION

OPERATIONS = [
    change("createRegisteredModel", SIGNED_IN, lambda i: {"name": "fresh"}),
    change("updateRegisteredModel", CAN_EDIT, lambda i: {"name": MODEL, "description": "Changed."}),
    change("renameRegisteredModel", CAN_MANAGE, lambda i: {"name": MODEL, "newName": "fraud-2"}),
    change("deleteRegisteredModel", CAN_MANAGE, lambda i: {"name": MODEL}),
    change("setRegisteredModelTag", CAN_EDIT, lambda i: {"name": MODEL, "key": "owner", "value": "risk"}),
    change("deleteRegisteredModelTag", CAN_EDIT, lambda i: {"name": MODEL, "key": "team"}),
    change("createModelVersion", CAN_EDIT, lambda i: {"name": MODEL, "source": "s3://b/3"}),
    change("createModelVersion", SIGNED_IN, lambda i: {"name": "fresh", "source": "s3://b/3",
                                                       "createModelIfMissing": True}, "creating its model"),
    change("createModelVersion", CAN_EDIT, lambda i: {"name": MODEL, "source": "s3://b/3",
                                                      "createModelIfMissing": True}, "model exists"),
    change("updateModelVersion", CAN_EDIT, lambda i: {"name": MODEL, "version": 1, "description": "Changed."}),
    change("deleteModelVersion", CAN_MANAGE, lambda i: {"name": MODEL, "version": 2}),
    change("setModelVersionTag", CAN_EDIT, lambda i: {"name": MODEL, "version": 1, "key": "new", "value": "x"}),
    change("deleteModelVersionTag", CAN_EDIT, lambda i: {"name": MODEL, "version": 1, "key": "k"}),
    change("setModelAlias", CAN_MANAGE_PRODUCTION, lambda i: {"name": MODEL, "alias": "challenger", "version": 2}),
    change("deleteModelAlias", CAN_MANAGE_PRODUCTION, lambda i: {"name": MODEL, "alias": "champion"}),
    *[change("transitionModelVersionStage", needs, lambda i, s=stage: {"name": MODEL, "version": 1, "stage": s},
             f"NONE->{stage}")
      for stage, needs in (("STAGING", STAGING_STAGE_MOVE), ("ARCHIVED", STAGING_STAGE_MOVE),
                           ("PRODUCTION", PRODUCTION_STAGE_MOVE))],
    change("copyModelVersion", CAN_READ, lambda i: {"source": {"name": MODEL, "version": 1},
                                                    "destinationName": "copy"}, "into a new model"),
    change("copyModelVersion", CAN_EDIT, lambda i: {"source": {"name": MODEL, "alias": "champion"},
                                                    "destinationName": MODEL}, "into the same model"),
    change("copyModelVersion", CAN_MANAGE_PRODUCTION, lambda i: {"source": {"name": MODEL, "version": 1},
                                                                 "destinationName": MODEL, "aliases": ["copied"]},
           "into the same model, with an alias"),
    change("createTransitionRequest", CAN_READ, lambda i: {"name": MODEL, "version": 2, "stage": "PRODUCTION"}),
    change("approveTransitionRequest", STAGING_STAGE_MOVE, lambda i: {"id": i["to_staging"]}, "to STAGING"),
    change("approveTransitionRequest", PRODUCTION_STAGE_MOVE, lambda i: {"id": i["to_production"]}, "to PRODUCTION"),
    change("rejectTransitionRequest", STAGING_STAGE_MOVE, lambda i: {"id": i["to_staging"]}, "to STAGING"),
    change("rejectTransitionRequest", PRODUCTION_STAGE_MOVE, lambda i: {"id": i["to_production"]}, "to PRODUCTION"),
    change("cancelTransitionRequest", ADMIN_ONLY, lambda i: {"id": i["to_staging"]}, "another's"),
    change("cancelTransitionRequest", CAN_READ, lambda i: {"id": i["my_request"]}, "own"),
    change("createComment", CAN_READ, lambda i: {"name": MODEL, "version": 1, "body": "Looks good."}),
    change("updateComment", CAN_MANAGE, lambda i: {"id": i["their_comment"], "body": "Edited."}, "another's"),
    change("updateComment", CAN_READ, lambda i: {"id": i["my_comment"], "body": "Edited."}, "own"),
    change("deleteComment", CAN_MANAGE, lambda i: {"id": i["their_comment"]}, "another's"),
    change("deleteComment", CAN_READ, lambda i: {"id": i["my_comment"]}, "own"),
    change("setModelPermission", CAN_MANAGE, lambda i: {"name": MODEL, "principal": "dave", "level": "CAN_READ"}),
    change("createAccessToken", SIGNED_IN, lambda i: {"description": "ci"}),
    change("revokeAccessToken", SIGNED_IN, lambda i: {"id": i["my_spare_token"]}, "own"),
    change("revokeAccessToken", OWN_TOKENS, lambda i: {"id": i["bobs_token"]}, "another's"),
    change("createWebhook", CAN_MANAGE, lambda i: {"url": "https://hooks.example.com/r", "modelName": MODEL},
           "a model's"),
    change("createWebhook", ADMINS, lambda i: {"url": "https://hooks.example.com/r"}, "registry-wide"),
    change("updateWebhook", MANAGERS_ONLY, lambda i: {"id": i["webhook"], "description": "Changed."}),
    change("deleteWebhook", MANAGERS_ONLY, lambda i: {"id": i["webhook"]}),
    change("rotateWebhookSecret", MANAGERS_ONLY, lambda i: {"id": i["webhook"]}),
    change("testWebhook", MANAGERS_ONLY, lambda i: {"id": i["webhook"]}, changes=False),
    change("redeliverWebhookDelivery", MANAGERS_ONLY, lambda i: {"id": i["delivery"]}),
    change("followModel", CAN_READ, lambda i: {"name": MODEL}),
    change("unfollowModel", CAN_READ, lambda i: {"name": MODEL}, changes=False),
    change("setViewerEmail", SIGNED_IN, lambda i: {"email": "alice@example.com"}),
    read("registeredModel/modelVersion/modelVersionByAlias",
         "query($name: String!) { registeredModel(name: $name) { name } modelVersion(name: $name, version: 1) "
         "{ version } modelVersionByAlias(name: $name, alias: \"champion\") { version } }",
         CAN_READ, judge_lookups, lambda i: {"name": MODEL}),
    read("latestVersions", "query { latestVersions(name: \"fraud\") { version } }", CAN_READ, judge_latest),
    read("registeredModels totalCount and search",
         "query { all: registeredModels { totalCount nodes { name } } "
         "searched: registeredModels(query: \"name LIKE 'fr%'\") { totalCount } "
         "filtered: registeredModels(filter: {name: {eq: \"fraud\"}}) { totalCount } }",
         CAN_READ, judge_models),
    read("modelVersions totalCount and search",
         "query { all: modelVersions { totalCount nodes { version } } "
         "searched: modelVersions(query: \"name = 'fraud'\") { totalCount } }",
         CAN_READ, judge_versions),
    read("node/nodes", "query($id: ID!, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } }",
         CAN_READ, judge_nodes,
         lambda i: {"id": i["model"], "ids": [i["model"], i["v1"], i["their_comment"], i["to_staging"],
                                              i["activity"]]}),
    read("activities", "query { scoped: activities(modelName: \"fraud\") { totalCount } "
                       "all: activities(first: 1000) { totalCount nodes { modelName } } }",
         CAN_READ, judge_activities),
    read("transitionRequests inbox", "query { transitionRequests { id } }", CAN_READ, judge_inbox),
    read("RegisteredModel.permissions",
         "query { registeredModel(name: \"fraud\") { permissions { principal level } } }", CAN_MANAGE,
         judge_permissions),
]


def expected(operation: Operation, caller: Caller) -> str:
    """The cell's expected outcome: "ok", or the code REFERENCE.md asks for."""
    if caller.token != "valid":
        return "UNAUTHENTICATED"
    if caller.admin:
        return "ok"
    needs = operation.needs
    if needs == SIGNED_IN:
        return "ok"
    if needs in (OWN_TOKENS, ADMINS):
        return "NOT_FOUND" if needs == OWN_TOKENS else "PERMISSION_DENIED"
    if needs == MANAGERS_ONLY:
        return "ok" if caller.level >= CAN_MANAGE else "NOT_FOUND"
    if caller.level < CAN_READ:
        return "NOT_FOUND"
    if needs == ADMIN_ONLY:
        return "PERMISSION_DENIED"
    return "ok" if caller.level >= needs else "PERMISSION_DENIED"


def outcome(operation: Operation, response: httpx.Response, ids: dict) -> str:
    if unauthenticated(response):
        return "UNAUTHENTICATED"
    assert response.status_code == 200, response.text
    body = response.json()
    if operation.mutation is None:
        return operation.judge(body, ids)
    assert "errors" not in body, body["errors"]
    payload = body["data"][operation.mutation]
    return "+".join(e["code"] for e in payload["userErrors"]) or "ok"


@pytest.mark.parametrize("caller", CALLERS, ids=[c.id for c in CALLERS])
@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.id for o in OPERATIONS])
def test_each_operation_is_allowed_or_refused_per_caller_and_a_refusal_changes_nothing(
        operation, caller, secured_http, store):
    client, ids = arrange(caller, secured_http, store)
    before = store.call(snapshot)
    got = outcome(operation, client.post(operation.document, operation.variables(ids)), ids)
    after = store.call(snapshot)
    assert got == expected(operation, caller)
    if operation.mutation and got == "ok":
        assert (after != before) == operation.changes, "an allowed mutation changed nothing, or changed something"
    else:
        assert after == before, "a refused call (or a read) changed the registry"


def test_the_table_has_a_row_for_every_mutation_of_the_schema():
    schema = (Path(__file__).resolve().parent.parent / "schema" / "schema.graphql").read_text()
    block = schema[schema.index("type Mutation {"):]
    declared = set(re.findall(r"^  (\w+)\(input:", block[:block.index("}")], re.M))
    assert len(declared) == 34 and {o.mutation for o in OPERATIONS if o.mutation} == declared


# ---------------------------------------------------------------- levels and actions

@pytest.mark.parametrize("caller", SIGNED_IN_CALLERS, ids=[c.id for c in SIGNED_IN_CALLERS])
def test_permission_level_is_the_highest_of_the_users_and_groups_grants(caller, secured_http, store):
    client, _ = arrange(caller, secured_http, store)
    model = client.data('query { registeredModel(name: "fraud") { permissionLevel } }')["registeredModel"]
    assert model == (None if caller.level < CAN_READ else {"permissionLevel": LEVELS[caller.level]})


def test_the_default_level_lets_a_signed_in_user_read_and_comment_but_not_edit(gql, sign_in):
    """The local-mode server's default: CAN_READ on every model for every signed-in user."""
    gql.play("create_model", name=MODEL)
    gql.play("create_version", name=MODEL, source="s3://b/1")
    reader = sign_in("reader")
    seen = reader.data('query { registeredModel(name: "fraud") { permissionLevel version(version: 1) '
                       '{ availableActions } } registeredModels { totalCount } }')
    assert seen["registeredModel"]["permissionLevel"] == "CAN_READ"
    assert set(seen["registeredModel"]["version"]["availableActions"]) == {"REQUEST_TRANSITION", "COMMENT"}
    assert seen["registeredModels"]["totalCount"] == 1
    refused = reader.mutate("updateRegisteredModel", "", name=MODEL, description="mine now")
    assert [e["code"] for e in refused["userErrors"]] == ["PERMISSION_DENIED"]
    refused = reader.mutate("createModelVersion", "", name=MODEL, source="s3://b/2")
    assert [e["code"] for e in refused["userErrors"]] == ["PERMISSION_DENIED"]
    assert reader.play("comment", name=MODEL, version=1, body="LGTM")["userErrors"] == []
    assert reader.play("request_transition", name=MODEL, version=1, stage="STAGING")["userErrors"] == []


LEVEL = 'query($name: String!) { registeredModel(name: $name) { permissionLevel } }'


def test_whoever_creates_a_model_any_way_manages_it(gql, sign_in_secured):
    """createRegisteredModel, createModelVersion(createModelIfMissing) and a copy into a new
    name all make the signed-in caller (holding nothing by default) the model's manager."""
    gql.play("create_model", name="source")
    gql.play("create_version", name="source", source="s3://b/1")
    maker = sign_in_secured("maker")
    gql.mutate("setModelPermission", "", name="source", principal="maker", level="CAN_READ")
    assert maker.mutate("createRegisteredModel", "", name="made")["userErrors"] == []
    assert maker.mutate("createModelVersion", "", name="registered", source="s3://b/2",
                        createModelIfMissing=True)["userErrors"] == []
    assert maker.mutate("copyModelVersion", "", source={"name": "source", "version": 1},
                        destinationName="copied")["userErrors"] == []
    for name in ("made", "registered", "copied"):
        assert maker.data(LEVEL, name=name)["registeredModel"] == {"permissionLevel": "CAN_MANAGE"}
    assert maker.data(LEVEL, name="source")["registeredModel"] == {"permissionLevel": "CAN_READ"}


def test_the_default_level_is_configurable_and_a_lower_grant_does_not_lower_it(gql, store):
    """A required-mode server whose signed-in users hold CAN_EDIT by default."""
    gql.play("create_model", name=MODEL)
    gql.play("create_version", name=MODEL, source="s3://b/1")
    _, editor_secret = store.write(accounts.create_user, "editor", False, ())
    _, manager_secret = store.write(accounts.create_user, "manager", False, ())
    gql.mutate("setModelPermission", "", name=MODEL, principal="editor", level="CAN_READ")
    gql.mutate("setModelPermission", "", name=MODEL, principal="manager", level="CAN_MANAGE")
    settings = Settings(database_url=store.url, auth="required", default_permission="CAN_EDIT", webhook_dispatch=False)
    with serving(create_app(settings, store=store)) as url, httpx.Client(base_url=url, timeout=30) as http:
        editor, manager = Client(http, editor_secret), Client(http, manager_secret)
        assert editor.data(LEVEL, name=MODEL)["registeredModel"] == {"permissionLevel": "CAN_EDIT"}
        assert manager.data(LEVEL, name=MODEL)["registeredModel"] == {"permissionLevel": "CAN_MANAGE"}
        edit = mutation_document("updateRegisteredModel")
        assert editor.data(edit, input={"name": MODEL, "description": "ok"})["updateRegisteredModel"] == {
            "userErrors": []}
        move = mutation_document("transitionModelVersionStage")
        (error,) = editor.data(move, input={"name": MODEL, "version": 1, "stage": "STAGING"})[
            "transitionModelVersionStage"]["userErrors"]
        assert error["code"] == "PERMISSION_DENIED"
        assert unauthenticated(Client(http, None).post("{ registeredModels { totalCount } }", {}))


ALL_MOVES = {"TRANSITION_TO_STAGING", "TRANSITION_TO_PRODUCTION", "TRANSITION_TO_ARCHIVED", "TRANSITION_TO_NONE"}
READER = {"REQUEST_TRANSITION", "COMMENT"}
RESOLVE = {"APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"}


def _one_version(store, level, stage: str, requests: list[tuple[str, str]]) -> None:
    """MODEL with version 1 in `stage`, a pending request (requester, target stage) for
    each of `requests`, and CALLER holding `level` on it ("admin": no grant needed)."""
    def build():
        owner = Viewer(name="owner", is_admin=True)
        model = changes.apply(models.create, owner, MODEL, None, [])
        changes.apply(versions.create, owner, MODEL, "s3://b/1", None, None, None, None, False, None)
        if stage != "NONE":
            changes.apply(versions.transition, owner, MODEL, 1, stage, False, None)
        for requester, to_stage in requests:
            changes.apply(reviews.create, Viewer(name=requester, is_admin=True), MODEL, 1, to_stage, False, None)
        if level != "admin":
            access.grant(model, CALLER, level)

    store.write(build)


@pytest.mark.parametrize("level, stage, request_to, requester, actions", [
    (CAN_READ, "NONE", None, None, READER),
    (CAN_READ, "NONE", "STAGING", CALLER, READER | {"CANCEL_TRANSITION_REQUEST"}),
    (CAN_READ, "NONE", "STAGING", "bob", READER),
    (CAN_EDIT, "PRODUCTION", None, None, READER | {"EDIT"}),
    (CAN_MANAGE_STAGING, "NONE", "STAGING", "bob",
     READER | RESOLVE | {"EDIT", "TRANSITION_TO_STAGING", "TRANSITION_TO_ARCHIVED"}),
    (CAN_MANAGE_STAGING, "NONE", "PRODUCTION", "bob", READER | {"EDIT", "TRANSITION_TO_STAGING",
                                                                "TRANSITION_TO_ARCHIVED"}),
    (CAN_MANAGE_STAGING, "PRODUCTION", "ARCHIVED", "bob", READER | {"EDIT"}),
    (CAN_MANAGE_PRODUCTION, "STAGING", "PRODUCTION", "bob",
     READER | RESOLVE | {"EDIT", "SET_ALIAS"} | ALL_MOVES - {"TRANSITION_TO_STAGING"}),
    (CAN_MANAGE, "ARCHIVED", None, None, READER | {"EDIT", "SET_ALIAS", "DELETE"} | ALL_MOVES - {
        "TRANSITION_TO_ARCHIVED"}),
    (CAN_MANAGE, "PRODUCTION", None, None, READER | {"EDIT", "SET_ALIAS"} | ALL_MOVES - {"TRANSITION_TO_PRODUCTION"}),
    ("admin", "STAGING", "PRODUCTION", "bob",
     READER | RESOLVE | {"EDIT", "SET_ALIAS", "CANCEL_TRANSITION_REQUEST"} | ALL_MOVES - {"TRANSITION_TO_STAGING"}),
])
def test_available_actions_follow_the_level_the_stage_and_pending_requests(
        level, stage, request_to, requester, actions, sign_in_secured, store):
    client = sign_in_secured(CALLER, admin=level == "admin")
    _one_version(store, level, stage, [(requester, request_to)] if request_to else [])
    got = client.data('query { modelVersion(name: "fraud", version: 1) { availableActions } }')
    assert set(got["modelVersion"]["availableActions"]) == actions


@pytest.mark.parametrize("level, to_production, to_staging", [
    (CAN_READ, {"CANCEL_TRANSITION_REQUEST"}, set()),  # the caller asked for production only
    (CAN_MANAGE_STAGING, {"CANCEL_TRANSITION_REQUEST"}, RESOLVE),
    (CAN_MANAGE_PRODUCTION, RESOLVE | {"CANCEL_TRANSITION_REQUEST"}, RESOLVE),
    ("admin", RESOLVE | {"CANCEL_TRANSITION_REQUEST"}, RESOLVE | {"CANCEL_TRANSITION_REQUEST"}),
])
def test_each_request_says_what_the_viewer_may_do_to_it(level, to_production, to_staging, sign_in_secured, store):
    """A version's availableActions say what the viewer may do to some pending request;
    each request's say which: a staging manager resolves the request to STAGING, not the
    one to PRODUCTION, and a requester cancels their own, not another's."""
    client = sign_in_secured(CALLER, admin=level == "admin")
    _one_version(store, level, "NONE", [(CALLER, "PRODUCTION"), ("bob", "STAGING")])
    query = 'query { modelVersion(name: "fraud", version: 1) { transitionRequests { toStage availableActions } } }'
    requests = client.data(query)["modelVersion"]["transitionRequests"]
    assert {r["toStage"]: set(r["availableActions"]) for r in requests} == {"PRODUCTION": to_production,
                                                                           "STAGING": to_staging}
    owner_client = sign_in_secured("owner", admin=True)
    ids = owner_client.data('query { modelVersion(name: "fraud", version: 1) { transitionRequests { id } } }')
    for request in ids["modelVersion"]["transitionRequests"]:
        ok(owner_client.play("reject_transition", id=request["id"]))
    resolved = client.data(query)["modelVersion"]["transitionRequests"]
    assert [r["availableActions"] for r in resolved] == [[], []]  # nothing to do to a resolved request


def test_a_model_hidden_from_the_caller_answers_exactly_as_a_missing_one(secured_http, store):
    client, ids = arrange(CALLERS[0], secured_http, store)
    for mutation, hidden, missing in [
        ("updateRegisteredModel", {"name": MODEL, "description": "x"}, {"name": "ghost", "description": "x"}),
        ("createComment", {"name": MODEL, "version": 1, "body": "x"}, {"name": "ghost", "version": 1, "body": "x"}),
        ("setModelAlias", {"name": MODEL, "alias": "a", "version": 1}, {"name": "ghost", "alias": "a", "version": 1}),
    ]:
        document = mutation_document(mutation)
        (hidden_error,) = client.data(document, input=hidden)[mutation]["userErrors"]
        (missing_error,) = client.data(document, input=missing)[mutation]["userErrors"]
        hidden_error["message"] = hidden_error["message"].replace(MODEL, "ghost")
        assert hidden_error == missing_error
    for mutation, missing_id in [("deleteComment", to_global_id("Comment", 10**9)),
                                 ("cancelTransitionRequest", to_global_id("TransitionRequest", 10**9))]:
        document = document_for(mutation)
        hidden_id = ids["their_comment"] if mutation == "deleteComment" else ids["to_staging"]
        (hidden_error,) = client.data(document, input={"id": hidden_id})[mutation]["userErrors"]
        (missing_error,) = client.data(document, input={"id": missing_id})[mutation]["userErrors"]
        assert hidden_error == missing_error


# ---------------------------------------------------------------- history of grants and tokens

ACTIVITIES = ("query($types: [ActivityType!]) { activities(types: $types) { totalCount "
              "nodes { id type actor modelName payload } } }")


def test_granting_leaves_permission_changed_activities_and_takes_effect_at_once(sign_in_secured):
    owner, alice = sign_in_secured("owner"), sign_in_secured(CALLER)
    assert owner.play("create_model", name=MODEL)["userErrors"] == []
    level_of_alice = 'query { registeredModel(name: "fraud") { permissionLevel } }'
    grant = mutation_document("setModelPermission", "registeredModel { permissions { principal level } }")
    for level in ("CAN_EDIT", "CAN_MANAGE", "NO_PERMISSIONS"):
        payload = owner.data(grant, input={"name": MODEL, "principal": CALLER, "level": level})["setModelPermission"]
        assert payload["userErrors"] == []
        held = {p["principal"]: p["level"] for p in payload["registeredModel"]["permissions"]}
        assert held == ({"owner": "CAN_MANAGE", CALLER: level} if level != "NO_PERMISSIONS" else {"owner": "CAN_MANAGE"})
        seen = alice.data(level_of_alice)["registeredModel"]
        assert seen == (None if level == "NO_PERMISSIONS" else {"permissionLevel": level})
    history = owner.data(ACTIVITIES, types=["PERMISSION_CHANGED"])["activities"]["nodes"]
    assert [(a["actor"], a["modelName"], a["payload"]["principal"], a["payload"]["level"]) for a in history] == [
        ("owner", MODEL, CALLER, {"before": "CAN_MANAGE", "after": "NO_PERMISSIONS"}),
        ("owner", MODEL, CALLER, {"before": "CAN_EDIT", "after": "CAN_MANAGE"}),
        ("owner", MODEL, CALLER, {"before": "NO_PERMISSIONS", "after": "CAN_EDIT"}),
    ]


def test_who_was_granted_what_is_history_for_managers_only(sign_in_secured):
    """As `permissions` itself: a reader of the model does not see its PERMISSION_CHANGED rows."""
    owner, reader = sign_in_secured("owner"), sign_in_secured(CALLER)
    owner.play("create_model", name=MODEL)
    grant = mutation_document("setModelPermission")
    assert owner.data(grant, input={"name": MODEL, "principal": CALLER, "level": "CAN_READ"})[
        "setModelPermission"]["userErrors"] == []
    assert owner.data(ACTIVITIES, types=["PERMISSION_CHANGED"])["activities"]["totalCount"] == 1
    assert reader.data(ACTIVITIES, types=["PERMISSION_CHANGED"])["activities"]["totalCount"] == 0
    assert reader.data(ACTIVITIES)["activities"]["totalCount"] == 1  # REGISTERED_MODEL_CREATED
    nested = 'query { registeredModel(name: "fraud") { activities { totalCount nodes { type } } } }'
    assert reader.data(nested)["registeredModel"]["activities"]["nodes"] == [{"type": "REGISTERED_MODEL_CREATED"}]


CREATE_TOKEN = mutation_document("createAccessToken", "token accessToken { id description expiresAt lastUsedAt }")
TOKEN_NODE = "query($id: ID!) { node(id: $id) { ... on AccessToken { id description lastUsedAt revokedAt } } }"


def test_token_activities_are_seen_by_their_actor_and_admins_only(sign_in_secured):
    alice, bob, admin = sign_in_secured(CALLER), sign_in_secured("bob"), sign_in_secured("root", admin=True)
    made = alice.data(CREATE_TOKEN, input={"description": "ci", "lifetimeSeconds": 3600})["createAccessToken"]
    token_id = made["accessToken"]["id"]
    assert alice.data(REVOKE, input={"id": token_id})["revokeAccessToken"]["userErrors"] == []
    types = ["ACCESS_TOKEN_CREATED", "ACCESS_TOKEN_REVOKED"]
    for viewer in (alice, admin):
        nodes = viewer.data(ACTIVITIES, types=types)["activities"]["nodes"]
        assert [(a["type"], a["actor"]) for a in nodes] == [("ACCESS_TOKEN_REVOKED", CALLER),
                                                             ("ACCESS_TOKEN_CREATED", CALLER)]
        assert {a["payload"]["accessTokenId"] for a in nodes} == {token_id}
        assert viewer.data("query($id: ID!) { node(id: $id) { id } }", id=nodes[0]["id"])["node"] is not None
    assert bob.data(ACTIVITIES, types=types)["activities"] == {"totalCount": 0, "nodes": []}
    activity_ids = [a["id"] for a in admin.data(ACTIVITIES, types=types)["activities"]["nodes"]]
    assert bob.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=activity_ids)["nodes"] == [None, None]
    assert bob.data(TOKEN_NODE, id=token_id)["node"] is None


def test_a_token_secret_is_shown_once_and_its_use_is_recorded(sign_in_secured, secured_url, store):
    alice = sign_in_secured(CALLER)
    made = alice.data(CREATE_TOKEN, input={"description": "ci"})["createAccessToken"]
    secret, token_id = made["token"], made["accessToken"]["id"]
    assert secret.startswith("rg_") and made["accessToken"]["lastUsedAt"] is None
    fields = alice.data('query { __type(name: "AccessToken") { fields { name } } }')["__type"]["fields"]
    assert {f["name"] for f in fields} == {"id", "description", "createdAt", "expiresAt", "lastUsedAt", "revokedAt"}
    assert secret not in json.dumps(store.call(snapshot), default=str)  # only its hash is kept
    assert alice.data(TOKEN_NODE, id=token_id)["node"]["lastUsedAt"] is None
    with httpx.Client(base_url=secured_url, headers={"authorization": f"Bearer {secret}"}) as http:
        response = http.post("/graphql", json={"query": "query { viewer { user { name } } }"})
        assert response.json()["data"]["viewer"]["user"] == {"name": CALLER}
    used = alice.data(TOKEN_NODE, id=token_id)["node"]
    assert used["lastUsedAt"] is not None and secret not in json.dumps(used)


def test_an_expired_token_issued_for_one_second_is_refused(sign_in_secured, secured_url, store):
    alice = sign_in_secured(CALLER)
    user = store.call(lambda: User.get(User.name == CALLER))
    token, secret = store.write(accounts.issue_token, user, None, 1)
    with httpx.Client(base_url=secured_url, headers={"authorization": f"Bearer {secret}"}) as http:
        assert http.post("/graphql", json={"query": "{ viewer { isAuthenticated } }"}).status_code == 200
        store.write(expire, token.id)
        assert unauthenticated(http.post("/graphql", json={"query": "{ viewer { isAuthenticated } }"}))
    assert alice.data("{ viewer { isAuthenticated } }")["viewer"] == {"isAuthenticated": True}
