"""The MLflow REST door attacked: every endpoint with parameters of any JSON type and
shape, as a GET query string or a JSON body (including wrong methods and non-objects),
answers 200 or MLflow's error body with a 4xx code; never a 5xx, never an internal name
or a stack trace, and nothing half-applied (each call is one transaction, checked by the
write tests)."""
import json

import httpx
import pytest
from hypothesis import example, given
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
# Inputs that once reached a resolver unchecked (a review found them; generation rarely does).
@example(call=("POST", "registered-models/set-tag"), params={"name": "fraud", "key": "k"}, as_body=True)
@example(call=("POST", "model-versions/set-tag"), params={"name": "fraud", "version": "1", "key": "k", "value": 3},
         as_body=True)
@example(call=("POST", "registered-models/create"), params={"name": "new", "tags": [{"key": None}]}, as_body=True)
@example(call=("GET", "model-versions/get"), params={"name": "fraud", "version": "²"}, as_body=False)
@example(call=("GET", "registered-models/alias"), params={"name": "fraud", "alias": "v" + "9" * 20}, as_body=False)
@example(call=("GET", "registered-models/get"), params={"name": "fr\x00aud"}, as_body=False)
@example(call=("POST", "registered-models/create"), params={"name": "\ud800"}, as_body=True)
@example(call=("POST", "model-versions/transition-stage"),
         params={"name": "fraud", "version": "1", "stage": "\ud800"}, as_body=True)
@example(call=("POST", "model-versions/transition-stage"),
         params={"name": "fraud", "version": "1", "stage": "Staging", "archive_existing_versions": [1]}, as_body=True)
def test_any_parameters_get_200_or_mlflows_4xx_error_body(server_url, seeded, call, params, as_body):
    method, path = call
    url = f"{server_url}/api/2.0/mlflow/{path}"
    if method == "GET" and not as_body:
        query = [(k, _query_value(v)) for k, values in params.items()
                 for v in (values if isinstance(values, list) else [values])]
        answer = httpx.request(method, url, params=query)
    else:
        # Escaped JSON, so a lone surrogate travels as `\ud800`, as a client's JSON would send it.
        answer = httpx.request(method, url, content=json.dumps(params), headers={"content-type": "application/json"})
    assert answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/json"), answer.text
    body = answer.json()
    if answer.status_code != 200:
        assert set(body) == {"error_code", "message"} and body["error_code"].isupper(), body
    assert not any(marker in answer.text for marker in LEAK_MARKERS), answer.text
