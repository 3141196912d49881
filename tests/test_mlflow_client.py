"""MLflow's own client (mlflow-skinny) against the gateway's MLflow REST API: each registry
method it has, on both backends, answered through the same resolvers as the graph, with
MLflow's shapes and error codes; in --auth required mode with MLFLOW_TRACKING_TOKEN."""
import httpx
import pytest

mlflow = pytest.importorskip("mlflow")
# Stages are deprecated in MLflow 2.9+; the registry keeps them, and the client still calls them.
pytestmark = [pytest.mark.filterwarnings("ignore:.*is deprecated since:FutureWarning"),
              pytest.mark.usefixtures("quick_client")]
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import RestException  # noqa: E402

from resolvers import accounts  # noqa: E402
from tests.conftest import ok  # noqa: E402
from tests.mlflow_server import quick_client  # noqa: E402, F401 - a fixture


@pytest.fixture
def client(server_url) -> MlflowClient:
    return MlflowClient(tracking_uri=server_url, registry_uri=server_url)


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.error_code


def test_registered_models_are_created_read_changed_and_deleted(client, gql):
    made = client.create_registered_model("fraud", tags={"team": "risk"}, description="Scores payments.")
    assert (made.name, made.description, made.tags) == ("fraud", "Scores payments.", {"team": "risk"})
    assert client.update_registered_model("fraud", description="Scores card payments.").description \
        == "Scores card payments."
    client.set_registered_model_tag("fraud", "tier", "1")
    client.delete_registered_model_tag("fraud", "team")
    got = client.get_registered_model("fraud")
    assert got.tags == {"tier": "1"} and got.creation_timestamp <= got.last_updated_timestamp
    client.update_registered_model("fraud", description=None)  # MLflow: not sent, so left as it is
    assert client.get_registered_model("fraud").description == "Scores card payments."
    client.rename_registered_model("fraud", "fraud-v2")
    assert client.get_registered_model("fraud-v2").description == "Scores card payments."
    with pytest.raises(RestException) as missing:
        client.get_registered_model("fraud")
    assert _code(missing) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(RestException) as twice:
        client.create_registered_model("fraud-v2")
    assert _code(twice) == "RESOURCE_ALREADY_EXISTS"
    client.delete_registered_model("fraud-v2")
    assert gql.data('{ registeredModel(name: "fraud-v2") { id } }')["registeredModel"] is None
    history = gql.data('{ activities(first: 10) { nodes { type actor } } }')["activities"]["nodes"]
    assert [a["type"] for a in history][:2] == ["REGISTERED_MODEL_DELETED", "REGISTERED_MODEL_RENAMED"]
    assert {a["actor"] for a in history} == {"tester"}  # the same log and viewer as the graph's


def test_versions_stages_aliases_tags_and_download_uris(client):
    client.create_registered_model("churn")
    first = client.create_model_version("churn", "s3://models/churn/1", run_id="run-1", tags={"auc": "0.91"},
                                        description="first")
    assert (first.version, first.status, first.current_stage, first.run_id, first.tags) == \
        ("1", "READY", "None", "run-1", {"auc": "0.91"})
    client.create_model_version("churn", "s3://models/churn/2")
    client.transition_model_version_stage("churn", "1", "Production")
    moved = client.transition_model_version_stage("churn", "2", "Production", archive_existing_versions=True)
    assert moved.current_stage == "Production"
    assert client.get_model_version("churn", "1").current_stage == "Archived"
    latest = {v.current_stage: v.version for v in client.get_latest_versions("churn")}
    assert latest == {"Production": "2", "Archived": "1"}
    assert [v.version for v in client.get_latest_versions("churn", stages=["Production"])] == ["2"]
    client.set_registered_model_alias("churn", "champion", "2")
    assert client.get_model_version_by_alias("churn", "champion").version == "2"
    assert client.get_registered_model("churn").aliases == {"champion": "2"}
    client.set_model_version_tag("churn", "2", "validated", "yes")
    client.delete_model_version_tag("churn", "1", "auc")
    client.update_model_version("churn", "2", description="retrained")
    second = client.get_model_version("churn", "2")
    assert (second.tags, second.description, second.aliases) == ({"validated": "yes"}, "retrained", ["champion"])
    assert client.get_model_version_download_uri("churn", "2") == "s3://models/churn/2"
    client.delete_registered_model_alias("churn", "champion")
    client.delete_model_version("churn", "1")
    with pytest.raises(RestException) as gone:
        client.get_model_version("churn", "1")
    assert _code(gone) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(RestException) as bad_stage:
        client.transition_model_version_stage("churn", "2", "Testing")
    assert _code(bad_stage) == "INVALID_PARAMETER_VALUE"


def test_copies_and_models_uris_resolve_through_aliases_and_numbers(client, server_url, monkeypatch):
    client.create_registered_model("ranker")
    client.create_model_version("ranker", "s3://models/ranker/1")
    client.set_registered_model_alias("ranker", "champion", "1")
    copy = client.copy_model_version("models:/ranker@champion", "ranker-prod")
    assert (copy.name, copy.version, copy.source) == ("ranker-prod", "1", "models:/ranker/1")
    assert client.get_model_version_download_uri("ranker-prod", "1") == "s3://models/ranker/1"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server_url)  # what mlflow.register_model reaches
    registered = mlflow.register_model(model_uri="models:/ranker/1", name="ranker-staging")
    assert (registered.name, registered.version) == ("ranker-staging", "1")
    pinned = mlflow.register_model(model_uri="models:/ranker@champion", name="ranker-canary")  # the server resolves
    assert client.get_model_version("ranker-canary", pinned.version).source == "models:/ranker/1"
    assert client.get_model_version_download_uri("ranker-canary", "1") == "s3://models/ranker/1"


def test_searches_page_filter_and_order_as_mlflow_does(client):
    for number in range(25):
        client.create_registered_model(f"m-{number:02}", tags={"parity": "even" if number % 2 == 0 else "odd"})
    for number in range(1, 4):
        client.create_model_version("m-07", f"s3://b/m-07/{number}")
    seen, token = [], None
    while True:
        page = client.search_registered_models(max_results=10, page_token=token, order_by=["name DESC"])
        seen += [m.name for m in page]
        token = page.token
        if not token:
            break
    assert seen == [f"m-{n:02}" for n in reversed(range(25))]
    evens = client.search_registered_models(filter_string="tags.parity = 'even' AND name LIKE 'm-1%'")
    assert [m.name for m in evens] == ["m-10", "m-12", "m-14", "m-16", "m-18"]
    numbers = [v.version for v in client.search_model_versions("name = 'm-07'", order_by=["version_number ASC"])]
    assert numbers == ["1", "2", "3"]
    first = client.search_model_versions("name = 'm-07'", max_results=2, order_by=["version_number DESC"])
    rest = client.search_model_versions("name = 'm-07'", max_results=2, order_by=["version_number DESC"],
                                        page_token=first.token)
    assert [v.version for v in first] + [v.version for v in rest] == ["3", "2", "1"] and not rest.token
    with pytest.raises(RestException) as bad_filter:
        client.search_registered_models(filter_string="name LIKE")
    assert _code(bad_filter) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(RestException) as too_many:
        client.search_registered_models(max_results=1001)
    assert _code(too_many) == "INVALID_PARAMETER_VALUE"


def test_what_the_door_refuses_it_refuses_in_mlflows_json(server_url):
    for method, path in (("GET", "/api/2.0/mlflow/runs/get?run_id=1"), ("POST", "/api/2.0/mlflow/experiments/create"),
                         ("PUT", "/api/2.0/mlflow/registered-models/create")):
        answer = httpx.request(method, f"{server_url}{path}")
        assert answer.status_code == 404 and answer.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    broken = httpx.post(f"{server_url}/api/2.0/mlflow/registered-models/create", content=b"{not json",
                        headers={"content-type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error_code"] == "MALFORMED_REQUEST"
    huge = httpx.post(f"{server_url}/api/2.0/mlflow/registered-models/create", content=b" " * 3_000_000,
                      headers={"content-type": "application/json"})  # refused before the door, in its shape
    assert huge.status_code == 413 and huge.json()["error_code"] == "BAD_REQUEST"
    elsewhere = httpx.get(f"{server_url}/api/2.0/mlflow/registered-models/search", headers={"host": "evil.example"})
    assert elsewhere.status_code == 403 and elsewhere.json()["error_code"] == "PERMISSION_DENIED"


def test_required_mode_takes_mlflows_token_and_answers_its_error_codes(secured_url, store, sign_in_secured,
                                                                        monkeypatch):
    owner = sign_in_secured("owner", admin=True)
    ok(owner.play("create_model", name="secret"))
    ok(owner.play("create_version", name="secret", source="s3://b/secret/1"))
    ok(owner.play("set_alias", name="secret", alias="champion", version=1))
    _, token = store.write(accounts.create_user, "scripted", False, [])
    anonymous = MlflowClient(tracking_uri=secured_url, registry_uri=secured_url)
    with pytest.raises(RestException) as unauthenticated:
        anonymous.search_registered_models()
    assert _code(unauthenticated) == "UNAUTHENTICATED"
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    signed_in = MlflowClient(tracking_uri=secured_url, registry_uri=secured_url)
    assert [m.name for m in signed_in.search_registered_models()] == []  # NO_PERMISSIONS by default here
    for read in (lambda: signed_in.get_registered_model("secret"), lambda: signed_in.get_model_version("secret", "1"),
                 lambda: signed_in.get_model_version_by_alias("secret", "champion")):
        with pytest.raises(RestException) as hidden:
            read()
        assert _code(hidden) == "RESOURCE_DOES_NOT_EXIST"  # as if missing: it may not know it exists
    ok(owner.mutate("setModelPermission", "", name="secret", principal="scripted", level="CAN_READ"))
    assert signed_in.get_registered_model("secret").name == "secret"
    assert signed_in.get_model_version_by_alias("secret", "champion").version == "1"
    assert signed_in.get_model_version("secret", "1").source == "s3://b/secret/1"
    with pytest.raises(RestException) as denied:
        signed_in.update_registered_model("secret", description="mine now")
    assert _code(denied) == "PERMISSION_DENIED"
    with pytest.raises(RestException) as refused:
        signed_in.create_registered_model("x" * 300)  # a refused name is a client error, not a 5xx
    assert _code(refused) == "INVALID_PARAMETER_VALUE"


def test_a_page_of_models_costs_the_same_statements_for_10_and_60_models(client, server_url, count_statements):
    """Tags, aliases and latest versions of every model on the page are read in batches."""
    for number in range(60):
        client.create_registered_model(f"batch-{number:02}", tags={"n": str(number)})
        client.create_model_version(f"batch-{number:02}", f"s3://b/{number}", tags={"k": "v"})
        client.set_registered_model_alias(f"batch-{number:02}", "champion", "1")
    costs = []
    for size in (10, 60):
        with count_statements() as statements:
            page = client.search_registered_models(max_results=size)
        assert len(page) == size and all(m.aliases == {"champion": "1"} and m.latest_versions for m in page)
        costs.append(len(statements))
    assert costs[0] == costs[1] and costs[0] <= 8, costs
    assert httpx.get(f"{server_url}/ajax-api/2.0/mlflow/registered-models/search").status_code == 200


def test_a_registration_retried_with_its_idempotency_key_makes_one_version(server_url, gql):
    """MLflow's client sends a POST again when its answer was lost: with an Idempotency-Key
    header the retry answers the version the first call made, as the graph's key does."""
    create = f"{server_url}/api/2.0/mlflow/model-versions/create"
    body = {"name": "retried", "source": "s3://models/retried/1", "run_id": "r1"}
    httpx.post(f"{server_url}/api/2.0/mlflow/registered-models/create", json={"name": "retried"})
    first = httpx.post(create, json=body, headers={"Idempotency-Key": "ci-run-7"})
    again = httpx.post(create, json=body, headers={"Idempotency-Key": "ci-run-7"})
    assert first.status_code == again.status_code == 200
    assert again.json()["model_version"]["version"] == first.json()["model_version"]["version"] == "1"
    other = httpx.post(create, json={**body, "source": "s3://elsewhere"}, headers={"Idempotency-Key": "ci-run-7"})
    assert (other.status_code, other.json()["error_code"]) == (409, "RESOURCE_CONFLICT")
    # The key is the same one the graph's createModelVersion takes.
    replay = gql.mutate("createModelVersion", "modelVersion { version }", name="retried",
                        source="s3://models/retried/1", runId="r1", idempotencyKey="ci-run-7")
    assert replay["modelVersion"]["version"] == 1
    unkeyed = httpx.post(create, json=body)
    assert unkeyed.json()["model_version"]["version"] == "2"  # without a key, a new version each time


def test_small_calls_cost_what_the_graph_pays_for_them(server_url, count_statements):
    """A version by alias is one statement and its tags and aliases two more (its model
    comes joined); a registration's answer reads nothing back (what it made is known)."""
    api = f"{server_url}/api/2.0/mlflow"
    httpx.post(f"{api}/registered-models/create", json={"name": "small"})
    httpx.post(f"{api}/model-versions/create", json={"name": "small", "source": "s3://a"})
    httpx.post(f"{api}/registered-models/alias", json={"name": "small", "alias": "champion", "version": "1"})
    with count_statements() as statements:
        found = httpx.get(f"{api}/registered-models/alias", params={"name": "small", "alias": "champion"}).json()
    assert found["model_version"]["aliases"] == ["champion"] and len(statements) == 3, statements
    with count_statements() as statements:
        made = httpx.post(f"{api}/model-versions/create", json={
            "name": "small", "source": "s3://b", "tags": [{"key": "z", "value": "1"}, {"key": "a", "value": "2"}]})
    assert made.json()["model_version"]["tags"] == [{"key": "a", "value": "2"}, {"key": "z", "value": "1"}]
    # The model's name, its version counter, the version, its tags, the activity.
    assert len(statements) == 5, statements
    again = httpx.get(f"{api}/model-versions/get", params={"name": "small", "version": "2"}).json()
    assert again["model_version"] == made.json()["model_version"]  # the same answer as a read's
