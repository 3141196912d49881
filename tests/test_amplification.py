"""A small request must not make a large response or a large process: `nodes(ids:)` is
capped, counted and batched, every list of objects counts in the cost estimate (on
variables with their defaults), responses have a byte budget enforced before they are
encoded, standard introspection passes while nested introspection does not, and the
document cache is bounded by bytes. Memory is the server process's own peak (VmHWM)."""
import httpx
import pytest
from graphql import get_introspection_query

from resolvers.global_ids import to_global_id
from schema.document_cache import DocumentCache
from schema.limits import Limits
from tests.conftest import ok, peak_memory_mb, reset_peak_memory

BIG_TAGS = [{"key": f"k{n}", "value": chr(ord("a") + n) * 100_000} for n in range(9)]  # 900 KB in all
TAGS_OF_IDS = "query($i: [ID!]!) { nodes(ids: $i) { ... on ModelVersion { tags { value } } } }"
# graphql-js 16's getIntrospectionQuery(), which GraphiQL sends: 13 fields deep.
GRAPHQL_JS_16_INTROSPECTION = """
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef }
                                    isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name } } } } } } }
}
"""


def _code(body: dict) -> str:
    (error,) = body["errors"]
    return error["extensions"]["code"]


def _big_version(gql) -> str:
    made = ok(gql.mutate("createModelVersion", "modelVersion { id }", name="big", source="s3://b/big",
                        createModelIfMissing=True, tags=BIG_TAGS))
    return made["modelVersion"]["id"]


# ---- nodes(ids:) ------------------------------------------------------------------------

def test_nodes_takes_at_most_100_ids_refused_before_any_sql(gql, count_statements):
    ids = [to_global_id("RegisteredModel", n) for n in range(101)]
    with count_statements() as statements:
        error = gql.invalid(TAGS_OF_IDS, "ids", i=ids)
    assert "100" in error["message"] and "101" in error["message"]
    assert statements == []


def test_nodes_limit_holds_for_a_default_variable(gql, count_statements):
    ids = ", ".join(f'"{to_global_id("RegisteredModel", n)}"' for n in range(101))
    with count_statements() as statements:
        gql.invalid(f"query($i: [ID!]! = [{ids}]) {{ nodes(ids: $i) {{ id }} }}", "ids")
    assert statements == []


def test_nodes_costs_a_statement_per_type_not_per_id(gql, count_statements):
    for n in range(60):
        ok(gql.mutate("createModelVersion", "", name=f"m{n}", source="s3://b/x", createModelIfMissing=True))
    nodes = gql.data("{ registeredModels(first: 60) { nodes { id versions { nodes { id } } } } }")
    models = [m["id"] for m in nodes["registeredModels"]["nodes"]]
    versions = [m["versions"]["nodes"][0]["id"] for m in nodes["registeredModels"]["nodes"]]
    document = ("query($i: [ID!]!) { nodes(ids: $i) { id ... on RegisteredModel { name } "
                "... on ModelVersion { version tags { key } } } }")
    counts = {}
    for size in (2, 100):
        ids = [i for pair in zip(models, versions) for i in pair][:size]
        with count_statements() as statements:
            found = gql.payload(document, i=ids)
        assert [n["id"] for n in found] == ids
        counts[size] = len(statements)
    assert counts[100] == counts[2] <= 3, counts


def test_nodes_asks_the_cost_model_for_what_is_below_each_id(gql):
    ids = [to_global_id("RegisteredModel", n) for n in range(100)]
    body = gql.execute("query($i: [ID!]!) { nodes(ids: $i) { ... on RegisteredModel { "
                       "versions(first: 1000) { nodes { version } } } } }", i=ids)
    assert _code(body) == "TOO_MANY_NODES" and "data" not in body


@pytest.mark.parametrize("document", [
    "query($n: Int = 5000) { registeredModels(first: $n) { nodes { name } } }",
    "query($n: Int = 1000) { registeredModels(first: $n) { nodes { versions(first: $n) { nodes { version } } } } }",
])
def test_limits_apply_to_variables_left_to_their_defaults(gql, count_statements, document):
    with count_statements() as statements:
        body = gql.execute(document)
    assert _code(body) in ("INVALID_ARGUMENT", "TOO_MANY_NODES") and statements == []


def test_lists_without_a_size_argument_count_too(gql):
    """Comments and tags of every version of a thousand models: estimated, and refused."""
    body = gql.execute("{ registeredModels(first: 1000) { nodes { versions(first: 100) { nodes { "
                       "comments { id } tags { key } } } } } }")
    assert _code(body) == "TOO_MANY_NODES"


# ---- the response budget ----------------------------------------------------------------------

def test_a_response_over_the_byte_budget_is_refused_with_its_code(gql, serve_with):
    version_id = _big_version(gql)
    url = serve_with(limits=Limits(max_response_bytes=2_000_000))
    document = "query($i: [ID!]!) { a: nodes(ids: $i) { ... on ModelVersion { tags { value } } } }"
    within = httpx.post(f"{url}/graphql", json={"query": document, "variables": {"i": [version_id]}}).json()
    assert [len(t["value"]) for t in within["data"]["a"][0]["tags"]] == [100_000] * 9
    over = httpx.post(f"{url}/graphql", json={"query": document, "variables": {"i": [version_id] * 3}}).json()
    (error,) = over["errors"]
    assert error["extensions"]["code"] == "RESPONSE_TOO_LARGE" and error["path"] == ["a"]
    assert "2000000" in error["message"] and over["data"] is None


def test_a_mutation_whose_response_is_over_the_budget_says_it_ran(gql, serve_with):
    url = serve_with(limits=Limits(max_response_bytes=500_000))
    document = ("mutation($t: [TagInput!]) { createModelVersion(input: {name: \"big\", source: \"s3://b/x\", "
                "createModelIfMissing: true, tags: $t}) { modelVersion { tags { value } } } }")
    body = httpx.post(f"{url}/graphql", json={"query": document, "variables": {"t": BIG_TAGS}}).json()
    assert _code(body) == "RESPONSE_TOO_LARGE" and "ran" in body["errors"][0]["message"]
    assert gql.data('{ modelVersion(name: "big", version: 1) { version } }')["modelVersion"] == {"version": 1}


@pytest.mark.parametrize("attack", ["repeated ids", "aliases"])
def test_amplified_responses_keep_the_server_small(gql, server_process, attack):
    """A 27 KB request once made a 900 MB response (RSS 286 -> 1,145 MB)."""
    version_id = _big_version(gql)
    url, pid = server_process()
    if attack == "repeated ids":  # 3 x 100 copies of 900 KB: 270 MB unchecked
        document = ("query($i: [ID!]!) { " + " ".join(
            f"a{n}: nodes(ids: $i) {{ ... on ModelVersion {{ tags {{ value }} }} }}" for n in range(3)) + " }")
        variables = {"i": [version_id] * 100}
    else:  # 200 aliases of the same tags: 180 MB unchecked
        document = "{ " + " ".join(
            f'a{n}: modelVersion(name: "big", version: 1) {{ tags {{ value }} }}' for n in range(200)) + " }"
        variables = {}
    httpx.post(f"{url}/graphql", json={"query": "{ __typename }"})
    reset_peak_memory(pid)
    before = peak_memory_mb(pid)
    body = httpx.post(f"{url}/graphql", json={"query": document, "variables": variables}, timeout=60).json()
    grew = peak_memory_mb(pid) - before
    assert _code(body) == "RESPONSE_TOO_LARGE"
    assert grew < 60, f"the server's peak memory grew by {grew:.0f} MB"


# ---- introspection ---------------------------------------------------------------------------

@pytest.mark.parametrize("document", [
    GRAPHQL_JS_16_INTROSPECTION,
    get_introspection_query(),
    get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                            schema_description=True, input_value_deprecation=True),
], ids=["graphql-js 16 (GraphiQL)", "graphql-core", "graphql-core, every option"])
def test_standard_introspection_passes_under_the_default_limits(gql, document):
    schema = gql.data(document)["__schema"]
    assert schema["queryType"]["name"] == "Query" and len(schema["types"]) > 50


@pytest.mark.parametrize("document, code", [
    # graphql-core's own validation refuses `fields` nested three times ...
    ("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
     "GRAPHQL_VALIDATION_FAILED"),
    # ... the estimate, what that rule lets through
    ("{ __schema { types { fields { args { type { enumValues { name } } } } } } }", "TOO_MANY_NODES"),
    ("{ " + " ".join(f"a{n}: __schema {{ types {{ fields {{ args {{ name }} }} }} }}" for n in range(20)) + " }",
     "TOO_MANY_NODES"),
    ("{ __schema { types { " + "ofType { " * 20 + "name" + " }" * 20 + " } } }", "QUERY_TOO_DEEP"),
])
def test_introspection_stays_bounded(gql, count_statements, document, code):
    body = gql.execute(document)
    assert _code(body) == code and "data" not in body


# ---- the document cache --------------------------------------------------------------------------

def test_the_document_cache_is_bounded_by_bytes_and_drops_what_it_derived():
    cache = DocumentCache(max_bytes=100_000, max_document_bytes=60_000)
    first = cache.parse("{ a }" + " " * 40_000)
    cache.remember(first, "fact", lambda: "derived")
    assert cache.remember(first, "fact", lambda: "made again") == "derived"
    cache.parse("{ b }" + " " * 40_000)
    cache.parse("{ c }" + " " * 40_000)  # over 100,000 bytes: the oldest goes, with its facts
    assert len(cache) == 2 and cache.used <= 100_000
    assert cache.remember(first, "fact", lambda: "made again") == "made again"
    heavy = cache.parse("{ d }" + " " * 70_000)  # heavier than one document may be: not kept
    assert len(cache) == 2 and cache.parse("{ d }" + " " * 70_000) is not heavy


def test_distinct_padded_documents_keep_the_server_small(server_process):
    """800 distinct 0.9 MB documents (comment padding costs no tokens) once kept 774 MB."""
    url, pid = server_process()
    with httpx.Client(base_url=url, timeout=30) as http:
        http.post("/graphql", json={"query": "{ __typename }"})
        reset_peak_memory(pid)
        before = peak_memory_mb(pid)
        for n in range(150):
            padded = f"{{ __typename }} # {n:04d}" + "x" * 900_000
            assert http.post("/graphql", json={"query": padded}).json() == {"data": {"__typename": "Query"}}
    grew = peak_memory_mb(pid) - before
    assert grew < 80, f"the server's peak memory grew by {grew:.0f} MB"
