"""What one request may write: at most 10 mutation fields, at most 2 MB of text across
their inputs, and (when the operator sets a rate) a token bucket per principal — each
refused before anything runs, with a code; 429 + Retry-After over HTTP for the rate."""
import os
from urllib.parse import urlparse

import httpx
import pytest

from resolvers import accounts
from schema.limits import Limits
from schema.write_limits import TokenBuckets

BIG_TAGS = [{"key": f"k{n}", "value": "v" * 100_000} for n in range(9)]  # 900 KB in one variable
CREATE = ("a{n}: createModelVersion(input: {{name: \"m\", source: \"s3://b/x\", createModelIfMissing: true, "
          "tags: $t}}) {{ modelVersion {{ version }} userErrors {{ code }} }}")


def _aliased(count: int) -> str:
    return "mutation($t: [TagInput!]) { " + " ".join(CREATE.format(n=n) for n in range(count)) + " }"


def _database_bytes(store) -> int:
    if store.is_sqlite:
        path = urlparse(store.url).path[1:]
        return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    with store.db.connection_context():
        return store.db.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]


def _versions(gql) -> int:
    return gql.data("{ modelVersions { totalCount } }")["modelVersions"]["totalCount"]


def _refused(body: dict, code: str) -> dict:
    assert "data" not in body, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, error
    return error


def test_a_reused_variable_in_aliased_mutations_writes_nothing(gql, store, count_statements):
    """One 900 KB variable in 100 aliased createModelVersion fields grew SQLite 6.5 -> 277 MB."""
    before = _database_bytes(store)
    with count_statements() as statements:
        body = gql.execute(_aliased(100), t=BIG_TAGS)
    error = _refused(body, "TOO_MANY_MUTATIONS")
    assert "10" in error["message"] and "100" in error["message"]
    assert statements == [] and _versions(gql) == 0
    assert _database_bytes(store) - before < 1_000_000


def test_mutation_fields_in_fragments_count_too(gql, count_statements):
    fields = " ".join(f'a{n}: createRegisteredModel(input: {{name: "f{n}"}}) {{ userErrors {{ code }} }}'
                      for n in range(11))
    with count_statements() as statements:
        body = gql.execute(f"mutation {{ ...F }} fragment F on Mutation {{ {fields} }}")
    _refused(body, "TOO_MANY_MUTATIONS")
    assert statements == []


def test_text_past_the_write_budget_is_refused(gql, store, count_statements):
    before = _database_bytes(store)
    with count_statements() as statements:
        body = gql.execute(_aliased(3), t=BIG_TAGS)  # 2.7 MB of tag values to write
    error = _refused(body, "WRITE_TOO_LARGE")
    assert "2000000" in error["message"] and "27000" in error["message"]
    assert statements == [] and _versions(gql) == 0
    assert _database_bytes(store) - before < 1_000_000


def test_writes_within_the_budget_run(gql):
    data = gql.data(_aliased(2), t=BIG_TAGS)
    assert sorted(v["modelVersion"]["version"] for v in data.values()) == [1, 2]


def test_ten_mutation_fields_run(gql):
    fields = " ".join(f'a{n}: createRegisteredModel(input: {{name: "t{n}"}}) {{ userErrors {{ code }} }}'
                      for n in range(10))
    assert all(not v["userErrors"] for v in gql.data(f"mutation {{ {fields} }}").values())


def test_the_write_limits_are_settings(serve_with):
    url = serve_with(limits=Limits(max_mutation_fields=1, max_write_bytes=10))
    two = "mutation { a: createRegisteredModel(input: {name: \"a\"}) { userErrors { code } } " \
          "b: createRegisteredModel(input: {name: \"b\"}) { userErrors { code } } }"
    _refused(httpx.post(f"{url}/graphql", json={"query": two}).json(), "TOO_MANY_MUTATIONS")
    long_name = "mutation { createRegisteredModel(input: {name: \"eleven-char\"}) { userErrors { code } } }"
    _refused(httpx.post(f"{url}/graphql", json={"query": long_name}).json(), "WRITE_TOO_LARGE")


# ---- the write rate --------------------------------------------------------------------------

def test_token_buckets_refill_at_their_rate():
    now = [0.0]
    buckets = TokenBuckets(rate=2, burst=3, clock=lambda: now[0])
    assert [buckets.take("a", 1) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a", 1) == pytest.approx(0.5)
    assert buckets.take("b", 3) == 0  # each principal its own bucket
    now[0] = 1.0  # two tokens back
    assert buckets.take("a", 2) == 0 and buckets.take("a", 1) == pytest.approx(0.5)
    now[0] = 100.0
    assert buckets.take("a", 10) == 0  # never more than the burst is asked for


def test_a_principal_over_its_write_rate_gets_429_and_others_do_not(serve_with, store, gql):
    url = serve_with(auth="required", limits=Limits(write_rate=0.01, write_burst=3))
    tokens = {name: store.write(accounts.create_user, name, True, [])[1] for name in ("ci", "other")}

    def create(name: str, user: str = "ci") -> httpx.Response:
        return httpx.post(f"{url}/graphql", headers={"authorization": f"Bearer {tokens[user]}"},
                          json={"query": f'mutation {{ createRegisteredModel(input: {{name: "{name}"}}) '
                                         "{ registeredModel { name } } }"})

    assert [create(f"r{n}").status_code for n in range(3)] == [200, 200, 200]
    throttled = create("r3")
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    error = _refused(throttled.json(), "RATE_LIMITED")
    assert error["extensions"]["retryAfter"] == int(throttled.headers["retry-after"])
    assert gql.data('{ registeredModel(name: "r3") { name } }')["registeredModel"] is None
    assert create("o0", user="other").json()["data"]["createRegisteredModel"]["registeredModel"] == {"name": "o0"}
    reads = httpx.post(f"{url}/graphql", headers={"authorization": f"Bearer {tokens['ci']}"},
                       json={"query": "{ registeredModels { totalCount } }"})
    assert reads.json() == {"data": {"registeredModels": {"totalCount": 4}}}


def test_the_write_rate_is_off_by_default(gql):
    for n in range(5):
        gql.batch("createRegisteredModel", "CreateRegisteredModelInput", [{"name": f"d{n}-{i}"} for i in range(10)])
    assert gql.data("{ registeredModels { totalCount } }")["registeredModels"]["totalCount"] == 50
