"""GET /metrics: Prometheus text whose counters move with the requests served; for admins
only when tokens are required; operation names a client makes up cannot grow it."""
import httpx
from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics import MAX_OPERATION_NAMES
from resolvers import accounts


def _samples(url: str, headers: dict | None = None) -> dict:
    response = httpx.get(f"{url}/metrics", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def _value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_the_counters_move_with_the_requests_served(server_url, gql, executor):
    before = _samples(server_url)
    gql.play("create_model", name="measured")
    gql.play("models_page")
    gql.play("models_page")
    gql.error("query Bad { registeredModels(first: -1) { totalCount } }")
    after = _samples(server_url)

    def moved(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("registry_graphql_operations_total", operation="ModelsPage", type="query") == 2
    assert moved("registry_graphql_operations_total", operation="CreateModel", type="mutation") == 1
    assert moved("registry_graphql_operation_seconds_count", operation="ModelsPage", type="query") == 2
    assert moved("registry_graphql_errors_total", code="INVALID_ARGUMENT") == 1
    assert moved("registry_query_plans_total", outcome="ran") >= (2 if executor == "plans" else 0)
    assert moved("registry_sql_statements_per_operation_count") == 4
    assert moved("registry_sql_statements_per_operation_sum") >= 6  # a models page is a few statements
    assert ("registry_db_connections_in_use", ()) in after and ("registry_db_read_retries_total", ()) in after


def test_made_up_operation_names_are_counted_but_not_kept(server_url, gql):
    for n in range(MAX_OPERATION_NAMES + 20):
        gql.data(f"query Name{n} {{ __typename }}")
    gql.data(f"query {'x' * 65} {{ __typename }}")
    names = {dict(labels).get("operation") for (name, labels) in _samples(server_url)
             if name == "registry_graphql_operations_total"}
    assert len(names) <= MAX_OPERATION_NAMES + 2 and "other" in names  # + "anonymous" and "other"


def test_metrics_are_for_admins_when_tokens_are_required(secured_url, store):
    assert httpx.get(f"{secured_url}/metrics").status_code == 401
    _, reader = store.write(accounts.create_user, "reader", False, [])
    assert httpx.get(f"{secured_url}/metrics", headers={"authorization": f"Bearer {reader}"}).status_code == 403
    _, admin = store.write(accounts.create_user, "root", True, [])
    assert _samples(secured_url, {"authorization": f"Bearer {admin}"})
