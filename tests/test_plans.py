"""Query plans (schema/plans.py) answer exactly as graphql-core's executor does.

Every playground query runs on two servers over the same database, one with plans and
one without (REGISTRY_QUERY_PLANS=off), and the two response bodies must be equal, byte
for byte; so must the variations below that exercise what the planner does
itself (aliases, fragments, __typename, argument conversion, errors that make it fall
back to the generic executor)."""
import httpx
import pytest
from strawberry.extensions import SchemaExtension

from gateway.app import create_app
from gateway.seed import seed
from gateway.settings import Settings
from schema import plans
from schema.document_cache import DOCUMENTS
from tests.conftest import LOCAL_ADMIN, operation, serving

MODEL = "risk.fraud-detector-00000"

PLAYGROUND_QUERIES = [
    ("models_page", {}),
    ("models_page", {"first": 3}),
    ("models_review_page", {}),
    ("page_models", {"first": 4}),
    ("search_models", {"query": "tags.team = 'risk'"}),
    ("search_models", {"query": "name LIKE '%churn%'", "first": 2}),
    ("search_versions", {"filter": {"stage": ["PRODUCTION", "STAGING"]}}),
    ("search_versions", {"filter": {"tags": [{"key": "flavor", "value": {"in": ["onnx", "sklearn"]}}]}, "first": 3}),
    ("version_by_alias", {"name": MODEL, "alias": "champion"}),
    ("version_by_alias", {"name": MODEL, "alias": "latest"}),
    ("version_by_alias", {"name": MODEL, "alias": "v2"}),
    ("version_by_alias", {"name": MODEL, "alias": "nobody"}),
    ("version_by_alias", {"name": "missing", "alias": "champion"}),
    ("model_history", {"name": MODEL}),
    ("model_history", {"name": MODEL, "first": 2, "types": ["STAGE_TRANSITIONED"]}),
    ("review_inbox", {}),
]

# Documents planned the same way as the playground's, shaped to reach the planner's own code.
VARIATIONS = {
    # aliases of one field with different arguments, and a field selected twice, merged
    "Aliased": """query Aliased { a: registeredModels(first: 2) { nodes { name } }
         b: registeredModels(first: 3) { nodes { name id } nodes { tags { key } } totalCount } }""",
    # named and inline fragments, __typename at every level
    "Fragments": """query Fragments { __typename registeredModels(first: 3) { __typename nodes { ...Model } } }
       fragment Model on RegisteredModel { __typename name ... on RegisteredModel { createdAt createdBy }
         latestVersions(stages: [PRODUCTION, STAGING]) { __typename version stage status } }""",
    # every scalar of a version, through a nested connection with edges and cursors
    "Everything": f"""query Everything {{ registeredModel(name: "{MODEL}") {{
         versions(first: 2, orderBy: [{{field: VERSION, direction: ASC}}]) {{
         edges {{ cursor node {{ id name version source downloadUri runId runLink description status
         statusMessage stage createdAt updatedAt createdBy tag(key: "flavor") aliases
         registeredModel {{ name }} copiedFrom {{ version }} availableActions }} }}
         pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} totalCount }}
         version(version: 1) {{ version }} versionByAlias(alias: "challenger") {{ version }}
         permissionLevel permissions {{ principal level }} tag(key: "team") }} }}""",
    # a resolver's error: the plan gives way and the generic executor reports it
    "BadArgument": f'query BadArgument {{ registeredModel(name: "{MODEL}") {{ name version(version: -1) {{ version }} }} }}',
    "BadCursor": 'query BadCursor { registeredModels(first: 2, after: "not-a-cursor") { nodes { name } } }',
}
# Left to graphql-core: directives (the selection would depend on variables), interfaces.
NOT_PLANNED = {
    "Directive": "query Directive { registeredModels(first: 2) { nodes { name @include(if: false) description } } }",
    "Interface": "query Interface($id: ID!) { node(id: $id) { id ... on RegisteredModel { name } } }",
}



@pytest.fixture
def servers(store):
    """Base URLs of a server with plans and one without, and the planned one's planner."""
    settings = Settings(database_url=store.url, local_user=LOCAL_ADMIN, webhook_dispatch=False)
    planned_app = create_app(settings, store=store)
    generic_app = create_app(Settings(database_url=store.url, local_user=LOCAL_ADMIN, query_plans=False,
                                      webhook_dispatch=False),
                             store=store)
    with serving(planned_app) as planned, serving(generic_app) as generic:
        yield planned, generic, planned_app.state.schema.execution_context_class.planner


@pytest.fixture
def registry(store, gql):
    seed(store, 6, 4)
    requested = gql.play("request_transition", name=MODEL, version=3, stage="PRODUCTION", comment="ready")
    assert requested["userErrors"] == []
    assert gql.play("comment", name=MODEL, version=3, body="looks good")["userErrors"] == []


def same_answer(servers, document: str, variables: dict) -> dict:
    """The response body, which must be the same text from both servers (keys in the same
    order too); parsed."""
    planned, generic, _ = servers
    bodies = []
    for url in (planned, generic):
        response = httpx.post(f"{url}/graphql", json={"query": document, "variables": variables}, timeout=30)
        assert response.status_code == 200, response.text
        bodies.append(response.text)
    assert bodies[0] == bodies[1]
    return httpx.Response(200, text=bodies[0]).json()


def planned_operations(planner) -> set[str]:
    return {operation.name.value if operation.name else ""
            for operation, plan in DOCUMENTS.remembered(("plan", planner)) if plan}


@pytest.mark.parametrize("name, variables", PLAYGROUND_QUERIES,
                         ids=[f"{name}-{n}" for n, (name, _) in enumerate(PLAYGROUND_QUERIES)])
def test_every_playground_query_answers_the_same_planned(registry, servers, name, variables):
    document = operation(name)
    ran = plans.COUNTS["ran"]
    body = same_answer(servers, document, variables)
    assert plans.COUNTS["ran"] == ran + 1, "the plan was compiled but did not run"
    assert "errors" not in body or name == "version_by_alias"
    (declared,) = [line.split()[1].split("(")[0] for line in document.splitlines() if line.startswith("query ")]
    assert declared in planned_operations(servers[2]), f"{name} ran without a plan"


@pytest.mark.parametrize("name", VARIATIONS)
def test_planner_edge_cases_answer_the_same(registry, servers, name):
    same_answer(servers, VARIATIONS[name], {})
    assert name in planned_operations(servers[2])


@pytest.mark.parametrize("name", NOT_PLANNED)
def test_what_plans_do_not_cover_is_left_to_graphql_core(registry, servers, gql, name):
    model_id = gql.data(f'{{ registeredModel(name: "{MODEL}") {{ id }} }}')["registeredModel"]["id"]
    ran = plans.COUNTS["ran"]
    answer = same_answer(servers, NOT_PLANNED[name], {"id": model_id})
    assert answer["data"] != {"node": None} and "errors" not in answer
    assert name not in planned_operations(servers[2]) and plans.COUNTS["ran"] == ran


def test_a_page_whose_model_is_paged_on_is_planned_with_statements_flat(registry, servers, count_statements, gql):
    """The plan fetches a level in one statement per field, as the DataLoaders do."""
    planned, _generic, planner = servers
    document = operation("models_page")
    with count_statements() as statements:
        response = httpx.post(f"{planned}/graphql", json={"query": document}, timeout=30).json()
    assert "errors" not in response and len(response["data"]["registeredModels"]["nodes"]) == 6
    assert "ModelsPage" in planned_operations(planner)
    assert len(statements) <= 10, statements


class Redact(SchemaExtension):
    """Middleware: every description reads "REDACTED"."""

    def resolve(self, _next, root, info, *args, **kwargs):
        value = _next(root, info, *args, **kwargs)
        return "REDACTED" if info.field_name == "description" else value


def test_an_extension_that_wraps_resolvers_is_never_skipped_by_a_plan(registry, store):
    app = create_app(Settings(database_url=store.url, local_user=LOCAL_ADMIN, webhook_dispatch=False), store=store)
    app.state.schema.extensions = (*app.state.schema.extensions, Redact)
    skipped = plans.COUNTS["fallback middleware"]
    with serving(app) as url:
        body = httpx.post(f"{url}/graphql", json={"query": "query Described { registeredModels(first: 2) "
                                                            "{ nodes { name description } } }"}).json()
    assert [model["description"] for model in body["data"]["registeredModels"]["nodes"]] == ["REDACTED"] * 2
    assert plans.COUNTS["fallback middleware"] == skipped + 1
