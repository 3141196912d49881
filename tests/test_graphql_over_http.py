"""GraphQL over HTTP: status codes for clients that accept application/graphql-response+json,
JSON-only POST (a CSRF guard), queries only over GET."""
import httpx
import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"


def post(server_url, body, **headers):
    return httpx.post(f"{server_url}/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE, **headers})


@pytest.mark.parametrize("body, code", [
    ({"query": "{ registeredModels "}, "GRAPHQL_PARSE_FAILED"),
    ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
    ({"query": "query($n: Int!) { modelVersion(name: \"m\", version: $n) { version } }", "variables": {"n": "x"}},
     "GRAPHQL_VALIDATION_FAILED"),
])
def test_a_request_that_cannot_start_is_400_for_graphql_response_clients(server_url, body, code):
    response = post(server_url, body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["errors"][0]["extensions"]["code"] == code


def test_plain_json_clients_keep_getting_200_with_errors(server_url):
    response = httpx.post(f"{server_url}/graphql", json={"query": "{ nope }"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")


def test_an_error_during_execution_is_200_with_data(server_url):
    response = post(server_url, {"query": "{ registeredModels(first: -1) { totalCount } }"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


def test_a_mutation_over_get_is_405_with_allow_post(server_url, gql):
    mutation = 'mutation { createRegisteredModel(input: {name: "via-get"}) { registeredModel { name } } }'
    response = httpx.get(f"{server_url}/graphql", params={"query": mutation}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert gql.data('{ registeredModel(name: "via-get") { name } }') == {"registeredModel": None}


@pytest.mark.parametrize("content_type, content", [
    ("text/plain", b'{"query": "mutation { createRegisteredModel(input: {name: \\"csrf\\"}) { userErrors { code } } }"}'),
    ("application/x-www-form-urlencoded", b"query=mutation%20%7B%20x%20%7D"),
    ("multipart/form-data; boundary=x", b"--x--"),
    (None, b'{"query": "{ viewer { isAuthenticated } }"}'),
])
def test_only_json_is_accepted_over_post(server_url, gql, content_type, content):
    headers = {"content-type": content_type} if content_type else {}
    response = httpx.post(f"{server_url}/graphql", content=content, headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert gql.data('{ registeredModel(name: "csrf") { name } }') == {"registeredModel": None}


def test_an_unparsable_json_body_is_400_with_a_code(server_url):
    response = httpx.post(f"{server_url}/graphql", content=b'{"query":', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
