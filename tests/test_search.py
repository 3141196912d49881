"""Search (REFERENCE.md "Search"): the MLflow filter string (`query:`) and the typed
`filter:` on registeredModels, modelVersions and RegisteredModel.versions, over HTTP.

Results are compared as sets of names (or (name, version) pairs): ordering is covered by
tests/test_paging.py.
"""
from datetime import datetime, timedelta, timezone

import pytest

MODELS = """
query($query: String, $filter: RegisteredModelFilter) {
  registeredModels(query: $query, filter: $filter, first: 1000) {
    totalCount
    nodes { name createdAt updatedAt }
  }
}"""

VERSIONS = """
query($query: String, $filter: ModelVersionFilter) {
  modelVersions(query: $query, filter: $filter, first: 1000) {
    totalCount
    nodes { name version createdAt updatedAt }
  }
}"""

NESTED_VERSIONS = """
query($name: String!, $filter: ModelVersionFilter) {
  registeredModel(name: $name) {
    versions(filter: $filter, first: 1000) { totalCount nodes { name version } }
  }
}"""


def tags(mapping: dict) -> list[dict]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


def model_names(gql, query=None, filter=None) -> list[str]:
    found = gql.data(MODELS, query=query, filter=filter)["registeredModels"]
    assert found["totalCount"] == len(found["nodes"])
    return sorted(m["name"] for m in found["nodes"])


def version_keys(gql, query=None, filter=None) -> list[tuple]:
    found = gql.data(VERSIONS, query=query, filter=filter)["modelVersions"]
    assert found["totalCount"] == len(found["nodes"])
    return sorted((v["name"], v["version"]) for v in found["nodes"])


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


# ---- registered models ------------------------------------------------------

MODEL_TAGS = {
    "fraud-a": {"team": "risk", "my key": "x y"},
    "Fraud-B": {"team": "Risk"},
    "fraud_c": {"team": "ops", "env": "prod"},
    "fraudXc": {},
    "other": {"env": "dev"},
}
ALL_MODELS = sorted(MODEL_TAGS)
FRAUDS = ["Fraud-B", "fraud-a", "fraudXc", "fraud_c"]


@pytest.fixture
def models(gql):
    gql.batch("createRegisteredModel", "CreateRegisteredModelInput",
              [{"name": name, "tags": tags(t)} for name, t in MODEL_TAGS.items()])
    gql.batch("createModelVersion", "CreateModelVersionInput",
              [{"name": "fraud-a", "source": "s3://b/fa/1"}, {"name": "other", "source": "s3://b/o/1"}])
    gql.batch("setModelAlias", "SetModelAliasInput",
              [{"name": "fraud-a", "alias": "champion", "version": 1},
               {"name": "other", "alias": "shadow", "version": 1}])


@pytest.mark.parametrize("query, expected", [
    ("", ALL_MODELS),
    ("name = 'fraud-a'", ["fraud-a"]),
    ('name = "fraud-a"', ["fraud-a"]),
    ("name='fraud-a'", ["fraud-a"]),
    ("name = 'fraud'", []),
    ("name != 'fraud-a'", ["Fraud-B", "fraudXc", "fraud_c", "other"]),
    ("name LIKE 'fraud%'", ["fraud-a", "fraudXc", "fraud_c"]),
    ("name LIKE 'Fraud%'", ["Fraud-B"]),
    ("name LIKE 'FRAUD%'", []),
    ("name LIKE 'fraud'", []),
    ("name LIKE '%'", ALL_MODELS),
    ("name LIKE '%c'", ["fraudXc", "fraud_c"]),
    ("name LIKE 'fraud_c'", ["fraudXc", "fraud_c"]),
    ("name LIKE 'fraud-_'", ["fraud-a"]),
    ("name ILIKE 'FRAUD%'", FRAUDS),
    ("name ILIKE 'fraud-b'", ["Fraud-B"]),
    ("name ILIKE '%X%'", ["fraudXc"]),
    ("name IN ('fraud-a', \"other\", 'missing')", ["fraud-a", "other"]),
    ("name IN ('fraud-A')", []),
    ("name NOT IN ('fraud-a', 'other')", ["Fraud-B", "fraudXc", "fraud_c"]),
    ("name in ('other')", ["other"]),
    ("name not in ('other')", FRAUDS),
    ("tags.team = 'risk'", ["fraud-a"]),
    ("tag.team = 'risk'", ["fraud-a"]),
    ('tags.team = "Risk"', ["Fraud-B"]),
    ("tags.team != 'risk'", ["Fraud-B", "fraud_c"]),
    ("tags.env != 'dev'", ["fraud_c"]),
    ("tags.team LIKE 'r%'", ["fraud-a"]),
    ("tags.team LIKE '_isk'", ["Fraud-B", "fraud-a"]),
    ("tags.team ILIKE 'RISK'", ["Fraud-B", "fraud-a"]),
    ("tag.team ilike 'r%'", ["Fraud-B", "fraud-a"]),
    ("tags.`my key` = 'x y'", ["fraud-a"]),
    ("tag.`my key` LIKE 'x%'", ["fraud-a"]),
    ("tags.missing = 'x'", []),
    ("name LIKE 'fraud%' AND tags.env = 'prod'", ["fraud_c"]),
    ("name ilike 'fraud%' and tags.team != 'ops' AnD tags.team LIKE '%isk'", ["Fraud-B", "fraud-a"]),
    ("name Like 'f%' aNd tag.team = 'ops'", ["fraud_c"]),
])
def test_model_query_filter_string(gql, models, query, expected):
    assert model_names(gql, query=query) == sorted(expected)


@pytest.mark.parametrize("filter, expected", [
    ({"name": {"eq": "fraud-a"}}, ["fraud-a"]),
    ({"name": {"ne": "fraud-a"}}, ["Fraud-B", "fraudXc", "fraud_c", "other"]),
    ({"name": {"in": ["fraud-a", "other", "nope"]}}, ["fraud-a", "other"]),
    ({"name": {"in": []}}, []),
    ({"name": {"notIn": ["fraud-a", "other"]}}, ["Fraud-B", "fraudXc", "fraud_c"]),
    ({"name": {"notIn": []}}, ALL_MODELS),
    ({"name": {"like": "fraud%"}}, ["fraud-a", "fraudXc", "fraud_c"]),
    ({"name": {"like": "fraud_c"}}, ["fraudXc", "fraud_c"]),
    ({"name": {"ilike": "FRAUD%"}}, FRAUDS),
    ({"name": {"like": "fraud%", "ne": "fraud-a"}}, ["fraudXc", "fraud_c"]),
    ({"tags": [{"key": "team"}]}, ["Fraud-B", "fraud-a", "fraud_c"]),
    ({"tags": [{"key": "team"}, {"key": "env"}]}, ["fraud_c"]),
    ({"tags": [{"key": "TEAM"}]}, []),
    ({"tags": [{"key": "team", "value": {"eq": "risk"}}]}, ["fraud-a"]),
    ({"tags": [{"key": "team", "value": {"ne": "risk"}}]}, ["Fraud-B", "fraud_c"]),
    ({"tags": [{"key": "team", "value": {"in": ["ops", "Risk"]}}]}, ["Fraud-B", "fraud_c"]),
    ({"tags": [{"key": "team", "value": {"notIn": ["ops"]}}]}, ["Fraud-B", "fraud-a"]),
    ({"tags": [{"key": "team", "value": {"like": "R%"}}]}, ["Fraud-B"]),
    ({"tags": [{"key": "team", "value": {"ilike": "r%"}}]}, ["Fraud-B", "fraud-a"]),
    ({"tags": [{"key": "my key", "value": {"eq": "x y"}}]}, ["fraud-a"]),
    ({"alias": "champion"}, ["fraud-a"]),
    ({"alias": "shadow"}, ["other"]),
    ({"alias": "nobody"}, []),
    ({"or": [{"name": {"eq": "other"}}, {"tags": [{"key": "team", "value": {"eq": "ops"}}]}]}, ["fraud_c", "other"]),
    ({"not": {"name": {"like": "fraud%"}}}, ["Fraud-B", "other"]),
    ({"and": [{"name": {"ilike": "fraud%"}}, {"not": {"tags": [{"key": "team"}]}}]}, ["fraudXc"]),
    ({"or": [{"and": [{"name": {"like": "F%"}}, {"tags": [{"key": "team"}]}]},
             {"not": {"or": [{"name": {"ilike": "fraud%"}}, {"alias": "shadow"}]}}]}, ["Fraud-B"]),
    ({"or": []}, []),
    ({"and": []}, ALL_MODELS),
])
def test_model_typed_filter(gql, models, filter, expected):
    assert model_names(gql, filter=filter) == sorted(expected)


@pytest.mark.parametrize("filter, query, expected", [
    ({"name": {"ilike": "fraud%"}}, "tags.team != 'ops'", ["Fraud-B", "fraud-a"]),
    ({"tags": [{"key": "env"}]}, "name LIKE 'o%'", ["other"]),
    ({"name": {"eq": "other"}}, "name = 'fraud-a'", []),
])
def test_model_filter_and_query_are_anded(gql, models, filter, query, expected):
    assert model_names(gql, query=query, filter=filter) == sorted(expected)


# ---- model versions ---------------------------------------------------------

# (model, run_id, source, tags); versions are numbered in order per model.
VERSION_ROWS = [
    ("churn", "run-a", "s3://bucket/churn/1", {"validated": "yes"}),
    ("churn", "RUN-B", "S3://Bucket/churn/2", {}),
    ("churn", "run-c", "gs://bucket/churn/3", {"validated": "no", "my key": "v"}),
    ("churn", "run-d", "s3://bucket/churn/4", {}),
    ("fraud", "run-a", "s3://bucket/fraud/1", {"validated": "YES"}),
    ("fraud", "run-e", "s3://bucket/fraud/2", {}),
]
C1, C2, C3, C4, F1, F2 = ("churn", 1), ("churn", 2), ("churn", 3), ("churn", 4), ("fraud", 1), ("fraud", 2)
ALL_VERSIONS = [C1, C2, C3, C4, F1, F2]


@pytest.fixture
def versions(gql):
    gql.batch("createModelVersion", "CreateModelVersionInput",
              [{"name": m, "runId": r, "source": s, "tags": tags(t), "createModelIfMissing": True}
               for m, r, s, t in VERSION_ROWS])
    gql.batch("transitionModelVersionStage", "TransitionModelVersionStageInput",
              [{"name": "churn", "version": 2, "stage": "STAGING"},
               {"name": "churn", "version": 3, "stage": "PRODUCTION"},
               {"name": "fraud", "version": 1, "stage": "ARCHIVED"}])
    gql.batch("setModelAlias", "SetModelAliasInput",
              [{"name": "churn", "alias": "champion", "version": 3},
               {"name": "churn", "alias": "challenger", "version": 2},
               {"name": "fraud", "alias": "champion", "version": 2}])


@pytest.mark.parametrize("query, expected", [
    ("", ALL_VERSIONS),
    ("name = 'churn'", [C1, C2, C3, C4]),
    ('name = "fraud"', [F1, F2]),
    ("name != 'churn'", [F1, F2]),
    ("name LIKE 'ch%'", [C1, C2, C3, C4]),
    ("name LIKE 'CH%'", []),
    ("name ILIKE 'CH%'", [C1, C2, C3, C4]),
    ("name IN ('fraud', 'x')", [F1, F2]),
    ("name NOT IN ('fraud')", [C1, C2, C3, C4]),
    ("run_id = 'run-a'", [C1, F1]),
    ("run_id != 'run-a'", [C2, C3, C4, F2]),
    ("run_id LIKE 'run-%'", [C1, C3, C4, F1, F2]),
    ("run_id LIKE 'run-_'", [C1, C3, C4, F1, F2]),
    ("run_id ILIKE 'run-b'", [C2]),
    ("run_id IN ('run-a', 'RUN-B')", [C1, C2, F1]),
    ("run_id NOT IN ('run-a', 'RUN-B')", [C3, C4, F2]),
    ("source_path = 's3://bucket/churn/1'", [C1]),
    ("source_path != 's3://bucket/churn/1'", [C2, C3, C4, F1, F2]),
    ("source_path LIKE 's3://%'", [C1, C4, F1, F2]),
    ("source_path ILIKE 's3://%'", [C1, C2, C4, F1, F2]),
    ("source_path LIKE '%/churn/_'", [C1, C2, C3, C4]),
    ("version_number = 2", [C2, F2]),
    ("version_number != 2", [C1, C3, C4, F1]),
    ("version_number < 2", [C1, F1]),
    ("version_number <= 2", [C1, C2, F1, F2]),
    ("version_number > 3", [C4]),
    ("version_number >= 3", [C3, C4]),
    ("version_number>=3", [C3, C4]),
    ("tags.validated = 'yes'", [C1]),
    ("tags.validated != 'yes'", [C3, F1]),
    ("tag.validated ILIKE 'yes'", [C1, F1]),
    ("tags.validated LIKE 'Y%'", [F1]),
    ("tags.validated like '%'", [C1, C3, F1]),
    ("tags.`my key` = 'v'", [C3]),
    ("current_stage = 'Production'", [C3]),
    ("current_stage = 'none'", [C1, C4, F2]),
    ('current_stage != "None"', [C2, C3, F1]),
    ("current_stage IN ('staging', \"ARCHIVED\")", [C2, F1]),
    ("current_stage in ('PRODUCTION')", [C3]),
    ("alias = 'champion'", [C3, F2]),
    ("alias = \"challenger\"", [C2]),
    ("alias = 'nobody'", []),
    ("name = 'churn' AND version_number >= 2 AND current_stage != 'staging'", [C3, C4]),
    ("run_id like 'run-%' and tags.validated ilike 'YES' AND version_number < 5", [C1, F1]),
    ("alias = 'champion' AND name = 'fraud'", [F2]),
])
def test_version_query_filter_string(gql, versions, query, expected):
    assert version_keys(gql, query=query) == sorted(expected)


@pytest.mark.parametrize("filter, expected", [
    ({"name": {"eq": "churn"}}, [C1, C2, C3, C4]),
    ({"name": {"like": "fr%"}}, [F1, F2]),
    ({"version": {"eq": 2}}, [C2, F2]),
    ({"version": {"ne": 2}}, [C1, C3, C4, F1]),
    ({"version": {"in": [1, 4]}}, [C1, C4, F1]),
    ({"version": {"lt": 2}}, [C1, F1]),
    ({"version": {"lte": 2}}, [C1, C2, F1, F2]),
    ({"version": {"gt": 3}}, [C4]),
    ({"version": {"gte": 2, "lt": 4}}, [C2, C3, F2]),
    ({"runId": {"in": ["run-a", "run-e"]}}, [C1, F1, F2]),
    ({"runId": {"notIn": ["run-a"]}}, [C2, C3, C4, F2]),
    ({"runId": {"like": "RUN%"}}, [C2]),
    ({"runId": {"ilike": "RUN%"}}, ALL_VERSIONS),
    ({"source": {"eq": "gs://bucket/churn/3"}}, [C3]),
    ({"source": {"ne": "gs://bucket/churn/3"}}, [C1, C2, C4, F1, F2]),
    ({"source": {"like": "S3://%"}}, [C2]),
    ({"source": {"ilike": "S3://%"}}, [C1, C2, C4, F1, F2]),
    ({"stage": ["STAGING", "ARCHIVED"]}, [C2, F1]),
    ({"stage": []}, []),
    ({"status": ["READY"]}, ALL_VERSIONS),
    ({"status": ["PENDING_REGISTRATION", "FAILED_REGISTRATION"]}, []),
    ({"tags": [{"key": "validated"}]}, [C1, C3, F1]),
    ({"tags": [{"key": "validated"}, {"key": "my key"}]}, [C3]),
    ({"tags": [{"key": "validated", "value": {"ne": "yes"}}]}, [C3, F1]),
    ({"tags": [{"key": "validated", "value": {"ilike": "yes"}}]}, [C1, F1]),
    ({"alias": "champion"}, [C3, F2]),
    ({"name": {"eq": "churn"}, "not": {"stage": ["NONE"]}}, [C2, C3]),
    ({"or": [{"alias": "champion"}, {"version": {"eq": 1}}]}, [C1, C3, F1, F2]),
    ({"and": [{"name": {"eq": "churn"}}, {"or": [{"stage": ["STAGING"]}, {"not": {"tags": [{"key": "validated"}]}}]}]},
     [C2, C4]),
])
def test_version_typed_filter(gql, versions, filter, expected):
    assert version_keys(gql, filter=filter) == sorted(expected)


@pytest.mark.parametrize("filter, query, expected", [
    ({"stage": ["NONE"]}, "name = 'churn'", [C1, C4]),
    ({"version": {"gte": 2}}, "run_id LIKE 'run-%'", [C3, C4, F2]),
    ({"alias": "champion"}, "current_stage = 'production'", [C3]),
])
def test_version_filter_and_query_are_anded(gql, versions, filter, query, expected):
    assert version_keys(gql, query=query, filter=filter) == sorted(expected)


@pytest.mark.parametrize("name, filter, expected", [
    ("churn", None, [1, 2, 3, 4]),
    ("churn", {"stage": ["NONE"]}, [1, 4]),
    ("churn", {"tags": [{"key": "validated", "value": {"eq": "yes"}}]}, [1]),
    ("fraud", {"alias": "champion"}, [2]),
    ("fraud", {"version": {"gt": 5}}, []),
])
def test_nested_versions_filter_is_per_model(gql, versions, name, filter, expected):
    found = gql.data(NESTED_VERSIONS, name=name, filter=filter)["registeredModel"]["versions"]
    assert sorted(v["version"] for v in found["nodes"]) == expected
    assert {v["name"] for v in found["nodes"]} <= {name}
    assert found["totalCount"] == len(expected)


# ---- case sensitivity beyond ASCII ------------------------------------------

def test_ilike_folds_case_beyond_ascii(gql):
    """ILIKE is case-insensitive for non-ASCII letters too, on every backend."""
    gql.batch("createRegisteredModel", "CreateRegisteredModelInput",
              [{"name": "Überwachung"}, {"name": "überblick"}, {"name": "ubahn"}])
    assert model_names(gql, query="name ILIKE 'über%'") == ["Überwachung", "überblick"]
    assert model_names(gql, query="name LIKE 'über%'") == ["überblick"]


# ---- createdAt / updatedAt ranges -------------------------------------------

OPS = {"lt": lambda a, b: a < b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b}


def check_ranges(gql, document, root, rows, key):
    """For each timestamp field, op, and each row's own value as the bound, the filter keeps
    exactly the rows Python says it should (a row's own timestamp round-trips exactly)."""
    for field in ("createdAt", "updatedAt"):
        for row in rows:
            bound = when(row[field])
            for op, holds in OPS.items():
                found = gql.data(document, filter={field: {op: row[field]}})[root]
                expected = sorted(key(r) for r in rows if holds(when(r[field]), bound))
                assert sorted(key(r) for r in found["nodes"]) == expected, (field, op, row)
                assert found["totalCount"] == len(expected)


def test_model_created_and_updated_ranges(gql):
    gql.batch("createRegisteredModel", "CreateRegisteredModelInput", [{"name": f"t-{i}"} for i in range(5)])
    # A new version changes its model's updatedAt.
    gql.batch("createModelVersion", "CreateModelVersionInput",
              [{"name": "t-1", "source": "s3://b/1"}, {"name": "t-3", "source": "s3://b/3"}])
    rows = gql.data(MODELS)["registeredModels"]["nodes"]
    check_ranges(gql, MODELS, "registeredModels", rows, lambda r: r["name"])


def test_version_created_and_updated_ranges(gql):
    gql.batch("createModelVersion", "CreateModelVersionInput",
              [{"name": m, "source": f"s3://b/{i}", "createModelIfMissing": True}
               for i, m in enumerate(["a", "a", "b", "a", "b"])])
    gql.batch("transitionModelVersionStage", "TransitionModelVersionStageInput",
              [{"name": "a", "version": 2, "stage": "STAGING"}, {"name": "b", "version": 1, "stage": "STAGING"}])
    rows = gql.data(VERSIONS)["modelVersions"]["nodes"]
    check_ranges(gql, VERSIONS, "modelVersions", rows, lambda r: (r["name"], r["version"]))


def test_datetime_bounds_accept_any_utc_offset(gql):
    """An ISO DateTime with an offset (or Z) means the same instant as its UTC form."""
    gql.batch("createRegisteredModel", "CreateRegisteredModelInput", [{"name": f"z-{i}"} for i in range(4)])
    rows = gql.data(MODELS)["registeredModels"]["nodes"]
    bound = when(rows[2]["createdAt"])
    expected = model_names(gql, filter={"createdAt": {"gte": bound.isoformat()}})
    plus_two = bound.astimezone(timezone(timedelta(hours=2))).isoformat()
    zulu = bound.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert model_names(gql, filter={"createdAt": {"gte": plus_two}}) == expected
    assert model_names(gql, filter={"createdAt": {"gte": zulu}}) == expected
    assert model_names(gql, filter={"createdAt": {"lt": "1970-01-02T00:00:00Z"}}) == []
    assert model_names(gql, filter={"createdAt": {"gt": "1970-01-02T00:00:00Z"}}) == sorted(r["name"] for r in rows)


# ---- errors -----------------------------------------------------------------

def assert_query_error(gql, document, query, clause):
    error = gql.invalid(document, "query", query=query)
    assert clause in error["message"], error["message"]


@pytest.mark.parametrize("query, clause", [
    ("nmae = 'a'", "nmae = 'a'"),
    ("name = 'a' AND nmae = 'b'", "nmae = 'b'"),
    ("name > 'a'", "name > 'a'"),
    ("name = a", "name = a"),
    ("name = 'a", "name = 'a"),
    ("name = 'a' AND tags.team IN ('a')", "tags.team IN ('a')"),
    ("name = 'a' OR name = 'b'", "OR"),
    ("(name = 'a')", "(name = 'a')"),
    ("name = 'a' AND", "AND"),
    ("name IN ()", "name IN ()"),
    ("name IN 'a'", "name IN 'a'"),
    ("name LIKE 'a' AND tags. = 'x'", "tags. = 'x'"),
    ("run_id = 'x'", "run_id = 'x'"),
    ("version_number = 1", "version_number = 1"),
    ("alias = 'x'", "alias = 'x'"),
    ("name", "name"),
])
def test_bad_model_query_is_invalid_argument_naming_the_clause(gql, query, clause):
    assert_query_error(gql, MODELS, query, clause)


@pytest.mark.parametrize("query, clause", [
    ("version_number = '2'", "version_number = '2'"),
    ("version_number > 2.5", "version_number > 2.5"),
    ("version_number LIKE '1%'", "version_number LIKE '1%'"),
    ("name = 'churn' AND current_stage = 'prod'", "current_stage = 'prod'"),
    ("current_stage LIKE 'P%'", "current_stage LIKE 'P%'"),
    ("alias != 'x'", "alias != 'x'"),
    ("alias IN ('x')", "alias IN ('x')"),
    ("source_path IN ('x')", "source_path IN ('x')"),
    ("tags.k IN ('a')", "tags.k IN ('a')"),
    ("run_id = 'a' AND stage = 'x'", "stage = 'x'"),
    ("name = 'a' or version_number = 1", "or"),
])
def test_bad_version_query_is_invalid_argument_naming_the_clause(gql, query, clause):
    assert_query_error(gql, VERSIONS, query, clause)
