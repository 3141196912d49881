"""Filters a client writes reach SQL only within limits the database can take, with the
same meaning on every backend: long patterns, many clauses, deep nesting and huge
integers are INVALID_ARGUMENT (never INTERNAL), and LIKE escapes with a backslash
everywhere."""
import pytest

from store.filters import MAX_NESTING, MAX_PATTERN, MAX_TERMS

MODELS = "query($q: String, $f: RegisteredModelFilter) { registeredModels(query: $q, filter: $f) { nodes { name } } }"
VERSIONS = "query($q: String) { modelVersions(query: $q) { nodes { name version } } }"


def _names(gql, query=None, filter=None) -> list[str]:
    return [m["name"] for m in gql.payload(MODELS, q=query, f=filter)["nodes"]]


@pytest.fixture
def escapable(gql):
    for name in ("pct%model", "pctXmodel", "under_score", "underXscore", "back\\slash"):
        gql.mutate("createRegisteredModel", "registeredModel { id }", name=name)


@pytest.mark.parametrize("query, expected", [
    ("name LIKE 'pct\\%model'", ["pct%model"]),
    ("name LIKE 'pct%model'", ["pct%model", "pctXmodel"]),
    ("name LIKE 'under\\_score'", ["under_score"]),
    ("name ILIKE 'UNDER\\_SCORE'", ["under_score"]),
    ("name LIKE 'back\\\\slash'", ["back\\slash"]),
    ("name LIKE '%\\\\%'", ["back\\slash"]),
])
def test_like_escapes_with_a_backslash_on_every_backend(gql, escapable, query, expected):
    assert _names(gql, query) == expected


def test_typed_like_escapes_the_same_way(gql, escapable):
    assert _names(gql, filter={"name": {"like": "pct\\%model"}}) == ["pct%model"]


def test_pattern_ending_in_a_lone_escape_is_refused(gql, escapable):
    error = gql.invalid(MODELS, "query", q="name LIKE 'pct\\'")
    assert "escape" in error["message"]
    gql.invalid(MODELS, None, f={"name": {"like": "pct\\"}})


@pytest.mark.parametrize("length", [MAX_PATTERN + 1, 50_001])
def test_long_like_pattern_is_refused(gql, length):
    error = gql.invalid(MODELS, "query", q=f"name LIKE '{'a' * length}'")
    assert str(MAX_PATTERN) in error["message"]
    gql.invalid(MODELS, None, f={"tags": [{"key": "k", "value": {"ilike": "b" * length}}]})


def test_longest_pattern_allowed_runs(gql):
    gql.mutate("createRegisteredModel", "registeredModel { id }", name="p")
    assert _names(gql, f"name LIKE '{'%' * (MAX_PATTERN - 1)}p'") == ["p"]


@pytest.mark.parametrize("clauses", [MAX_TERMS + 1, 500, 2000])
def test_too_many_clauses_are_refused(gql, clauses):
    query = " AND ".join(f"name != 'n{i}'" for i in range(clauses))
    error = gql.invalid(MODELS, "query", q=query)
    assert str(MAX_TERMS) in error["message"]
    typed = {"and": [{"name": {"ne": f"n{i}"}} for i in range(clauses)]}
    gql.invalid(MODELS, "filter", f=typed)


def test_most_clauses_allowed_run_on_every_backend(gql):
    """A hundred ANDed clauses: SQLite's parser once overflowed on peewee's nested parentheses."""
    gql.mutate("createRegisteredModel", "registeredModel { id }", name="kept")
    query = " AND ".join(f"name != 'n{i}'" for i in range(MAX_TERMS))
    assert _names(gql, query) == ["kept"]
    ors = {"or": [{"name": {"eq": f"n{i}"}} for i in range(MAX_TERMS - 1)] + [{"name": {"eq": "kept"}}]}
    assert _names(gql, filter=ors) == ["kept"]


def test_deep_nesting_is_refused(gql):
    nested = {"name": {"eq": "x"}}
    for _ in range(MAX_NESTING + 1):
        nested = {"not": nested}
    gql.invalid(MODELS, "filter", f=nested)


@pytest.mark.parametrize("number", ["99999999999999999999999", "2147483648", "-2147483649"])
def test_out_of_range_version_number_is_refused(gql, number):
    error = gql.invalid(VERSIONS, "query", q=f"version_number = {number}")
    assert "2147483647" in error["message"]


def test_largest_version_number_runs(gql):
    assert gql.payload(VERSIONS, q="version_number <= 2147483647")["nodes"] == []
