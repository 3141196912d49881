"""The MLflow REST door attacked: every endpoint with parameters of any JSON type and
shape, as a GET query string or a JSON body (including wrong methods and non-objects),
answers 200 or MLflow's error body with a 4xx code; never a 5xx, never an internal name
or a stack trace, and nothing half-applied (each call is one transaction, checked by the
write tests)."""
import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rest.registry import ENDPOINTS
from tests.conftest import ok
from tests.test_fuzz import LEAK_MARKERS, fuzz_settings

FIELDS = ["name", "new_name", "description", "version", "alias", "key", "value", "stage", "stages", "tags",
          "run_id", "run_link", "source", "filter", "max_results", "order_by", "page_token",
          "archive_existing_versions"]
NAMES = st.sampled_from(["fraud", "churn", "ghost", "", "a/b", "x" * 300, "ﬁ", "\x00", "' OR 1=1 --"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False, allow_infinity=False),
                    NAMES, st.text(max_size=40), st.sampled_from(["1", "2", "0", "-1", "99999999999", "Production",
                                                                  "name LIKE 'f%'", "name DESC", "tags.x = 'y'"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                             max_size=3), max_leaves=6)
PARAMS = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6)
CALLS = st.sampled_from(sorted({(m, p) for m, p in ENDPOINTS} | {("PUT", "registered-models/create"),
                                                                 ("GET", "runs/get")}))


@pytest.fixture
def seeded(gql):
    for name in ("fraud", "churn"):
        ok(gql.play("create_model", name=name, tags=[{"key": "team", "value": "risk"}]))
        ok(gql.play("create_version", name=name, source=f"s3://b/{name}/1"))
    ok(gql.play("set_alias", name="fraud", alias="champion", version=1))


def _query_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@fuzz_settings(share=0.1)
@given(call=CALLS, params=PARAMS, as_body=st.booleans())
def test_any_parameters_get_200_or_mlflows_4xx_error_body(server_url, seeded, call, params, as_body):
    method, path = call
    url = f"{server_url}/api/2.0/mlflow/{path}"
    if method == "GET" and not as_body:
        query = [(k, _query_value(v)) for k, values in params.items()
                 for v in (values if isinstance(values, list) else [values])]
        answer = httpx.request(method, url, params=query)
    else:
        answer = httpx.request(method, url, json=params)
    assert answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/json"), answer.text
    body = answer.json()
    if answer.status_code != 200:
        assert set(body) == {"error_code", "message"} and body["error_code"].isupper(), body
    assert not any(marker in answer.text for marker in LEAK_MARKERS), answer.text
