"""Unit tests for the MLflow filter-string parser (pure: no database)."""

import pytest

from resolvers.errors import RegistryError
from resolvers.filter_string import parse_model_filter, parse_version_filter


@pytest.mark.parametrize("parse", [parse_model_filter, parse_version_filter])
@pytest.mark.parametrize("text", [None, "", "   ", "\n\t "])
def test_empty_input_is_no_filter(parse, text):
    assert parse(text) == {}


@pytest.mark.parametrize("text, expected", [
    ("name = 'a'", {"name": {"eq": "a"}}),
    ('name = "a"', {"name": {"eq": "a"}}),
    ("name != 'a'", {"name": {"ne": "a"}}),
    ("name LIKE 'fraud%'", {"name": {"like": "fraud%"}}),
    ("name like 'fraud%'", {"name": {"like": "fraud%"}}),
    ("name ILIKE '%Fraud%'", {"name": {"ilike": "%Fraud%"}}),
    ("name iLike '%Fraud%'", {"name": {"ilike": "%Fraud%"}}),
    ("name IN ('a', \"b\")", {"name": {"in": ["a", "b"]}}),
    ("name in ('a')", {"name": {"in": ["a"]}}),
    ("name NOT IN ('a','b')", {"name": {"notIn": ["a", "b"]}}),
    ("name not  in('a')", {"name": {"notIn": ["a"]}}),
    ("name='a'", {"name": {"eq": "a"}}),
    ("  name   =   'with spaces and AND inside'  ", {"name": {"eq": "with spaces and AND inside"}}),
    ("name = ''", {"name": {"eq": ""}}),
    ("name = 'it\"s'", {"name": {"eq": 'it"s'}}),
    ("tags.team = 'risk'", {"tags": [{"key": "team", "value": {"eq": "risk"}}]}),
    ("tag.team != 'risk'", {"tags": [{"key": "team", "value": {"ne": "risk"}}]}),
    ("tags.team LIKE 'r%'", {"tags": [{"key": "team", "value": {"like": "r%"}}]}),
    ("tags.team ILIKE 'R%'", {"tags": [{"key": "team", "value": {"ilike": "R%"}}]}),
    ("tags.mlflow.source.type = 'NOTEBOOK'",
     {"tags": [{"key": "mlflow.source.type", "value": {"eq": "NOTEBOOK"}}]}),
    ("tags.a-b:c/d = 'x'", {"tags": [{"key": "a-b:c/d", "value": {"eq": "x"}}]}),
    ("tags.`my key` = 'x'", {"tags": [{"key": "my key", "value": {"eq": "x"}}]}),
    ('tag."my key" = \'x\'', {"tags": [{"key": "my key", "value": {"eq": "x"}}]}),
    ("name = 'a' AND tags.team = 'risk'",
     {"and": [{"name": {"eq": "a"}}, {"tags": [{"key": "team", "value": {"eq": "risk"}}]}]}),
    ("name LIKE 'a%' and name != 'ab' AnD tags.x = '1'",
     {"and": [{"name": {"like": "a%"}}, {"name": {"ne": "ab"}},
              {"tags": [{"key": "x", "value": {"eq": "1"}}]}]}),
])
def test_model_filter(text, expected):
    assert parse_model_filter(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("name = 'm'", {"name": {"eq": "m"}}),
    ("name IN ('m', 'n')", {"name": {"in": ["m", "n"]}}),
    ("name NOT IN ('m')", {"name": {"notIn": ["m"]}}),
    ("run_id = 'abc'", {"runId": {"eq": "abc"}}),
    ("run_id != 'abc'", {"runId": {"ne": "abc"}}),
    ("run_id LIKE 'ab%'", {"runId": {"like": "ab%"}}),
    ("run_id ILIKE 'AB%'", {"runId": {"ilike": "AB%"}}),
    ("run_id IN ('a', 'b')", {"runId": {"in": ["a", "b"]}}),
    ("run_id NOT IN ('a')", {"runId": {"notIn": ["a"]}}),
    ("source_path = 's3://b/k'", {"source": {"eq": "s3://b/k"}}),
    ("source_path != 's3://b/k'", {"source": {"ne": "s3://b/k"}}),
    ("source_path LIKE 's3://%'", {"source": {"like": "s3://%"}}),
    ("source_path ILIKE 'S3://%'", {"source": {"ilike": "S3://%"}}),
    ("version_number = 3", {"version": {"eq": 3}}),
    ("version_number != 3", {"version": {"ne": 3}}),
    ("version_number < 3", {"version": {"lt": 3}}),
    ("version_number <= 3", {"version": {"lte": 3}}),
    ("version_number > 3", {"version": {"gt": 3}}),
    ("version_number>=10", {"version": {"gte": 10}}),
    ("current_stage = 'Production'", {"stage": ["PRODUCTION"]}),
    ("current_stage = \"none\"", {"stage": ["NONE"]}),
    ("current_stage IN ('staging', 'ARCHIVED')", {"stage": ["STAGING", "ARCHIVED"]}),
    ("current_stage != 'Archived'", {"not": {"stage": ["ARCHIVED"]}}),
    ("current_stage NOT IN ('none')", {"not": {"stage": ["NONE"]}}),
    ("alias = 'champion'", {"alias": "champion"}),
    ("tags.team = 'risk'", {"tags": [{"key": "team", "value": {"eq": "risk"}}]}),
    ("tag.`k k` LIKE '%'", {"tags": [{"key": "k k", "value": {"like": "%"}}]}),
    ("name = 'm' AND version_number > 2 AND current_stage = 'staging'",
     {"and": [{"name": {"eq": "m"}}, {"version": {"gt": 2}}, {"stage": ["STAGING"]}]}),
])
def test_version_filter(text, expected):
    assert parse_version_filter(text) == expected


@pytest.mark.parametrize("parse, text, clause, detail", [
    # unknown attributes: names are case-sensitive and entity-specific
    (parse_model_filter, "run_id = 'x'", "run_id = 'x'", "unknown attribute 'run_id'"),
    (parse_model_filter, "NAME = 'x'", "NAME = 'x'", "expected one of name, tags.<key>"),
    (parse_version_filter, "description = 'x'", "description = 'x'", "current_stage"),
    (parse_version_filter, "tags = 'x'", "tags = 'x'", "unknown attribute 'tags'"),
    (parse_model_filter, "tags. = 'x'", "tags. = 'x'", "missing tag key"),
    (parse_model_filter, "tags.'k' = 'x'", "tags.'k' = 'x'", "missing tag key"),
    # bad operator for a field
    (parse_model_filter, "name ~ 'x'", "name ~ 'x'",
     "unsupported operator '~' for name (expected one of =, !=, LIKE, ILIKE, IN, NOT IN)"),
    (parse_model_filter, "name > 'x'", "name > 'x'", "unsupported operator '>'"),
    (parse_model_filter, "tags.k IN ('x')", "tags.k IN ('x')", "unsupported operator 'IN'"),
    (parse_model_filter, "name == 'x'", "name == 'x'", "unsupported operator '=='"),
    (parse_model_filter, "name", "name", "missing operator for name"),
    (parse_version_filter, "source_path IN ('x')", "source_path IN ('x')", "unsupported operator"),
    (parse_version_filter, "alias != 'x'", "alias != 'x'", "unsupported operator '!='"),
    (parse_version_filter, "current_stage LIKE 'P%'", "current_stage LIKE 'P%'",
     "unsupported operator 'LIKE'"),
    (parse_version_filter, "version_number LIKE '1%'", "version_number LIKE '1%'",
     "unsupported operator 'LIKE' for version_number"),
    (parse_version_filter, "version_number not in (1)", "version_number not in (1)",
     "unsupported operator 'not in'"),
    # bad values
    (parse_version_filter, "version_number = '3'", "version_number = '3'", "unquoted integer"),
    (parse_version_filter, "version_number = 3.5", "version_number = 3.5", "got '3.5'"),
    (parse_version_filter, "version_number = abc", "version_number = abc", "unquoted integer"),
    (parse_version_filter, "current_stage = 'prod'", "current_stage = 'prod'",
     "unknown stage 'prod' (expected one of NONE, STAGING, PRODUCTION, ARCHIVED)"),
    (parse_version_filter, "current_stage IN ('staging', 'live')",
     "current_stage IN ('staging', 'live')", "unknown stage 'live'"),
    (parse_model_filter, "name = x", "name = x", "expected a quoted string for name"),
    (parse_model_filter, "name = `x`", "name = `x`", "expected a quoted string"),
    (parse_model_filter, "name =", "name =", "got end of input"),
    # grammar: OR, grouping, unterminated strings, trailing tokens, dangling AND
    (parse_model_filter, "name = 'a' OR name = 'b'", "name = 'a' OR name = 'b'",
     "OR is not supported"),
    (parse_model_filter, "name = 'a' or name = 'b'", "name = 'a' or name = 'b'", "'or' at position 11"),
    (parse_model_filter, "(name = 'a')", "(name = 'a')", "parentheses"),
    (parse_model_filter, "name = 'a' AND (name = 'b')", "(name = 'b')", "position 15"),
    (parse_model_filter, "name = 'abc", "name = 'abc", "unterminated ' string starting at position 7"),
    (parse_model_filter, 'name = "abc', 'name = "abc', "unterminated \" string"),
    (parse_model_filter, "tags.`k = 'x'", "tags.`k = 'x'", "unterminated ` string"),
    (parse_model_filter, "name = 'a' AND name = 'b", "name = 'b", "at position 15"),
    (parse_model_filter, "name = 'a' extra", "name = 'a' extra", "unexpected 'extra' at position 11"),
    (parse_model_filter, "name = 'a' 'b'", "name = 'a' 'b'", "expected AND or end of input"),
    (parse_version_filter, "version_number = 3abc", "version_number = 3abc", "got '3abc'"),
    (parse_model_filter, "name = 'a' AND", "AND", "AND at position 11 is not followed"),
    (parse_model_filter, "name = 'a' and  ", "and", "is not followed by a comparison"),
    (parse_model_filter, "AND name = 'a'", "AND name = 'a'", "unknown attribute 'AND'"),
    (parse_model_filter, "name = 'a' AND AND name = 'b'", "AND name = 'b'", "unknown attribute"),
    # IN lists
    (parse_model_filter, "name IN ()", "name IN ()", "IN list is empty"),
    (parse_model_filter, "name NOT IN ( )", "name NOT IN ( )", "IN list is empty"),
    (parse_model_filter, "name IN 'a'", "name IN 'a'", "expected '(' to open the IN list"),
    (parse_model_filter, "name IN ('a',)", "name IN ('a',)", "expected a quoted string"),
    (parse_model_filter, "name IN ('a' 'b')", "name IN ('a' 'b')", "expected ',' or ')'"),
    (parse_model_filter, "name IN ('a'", "name IN ('a'", "got end of input"),
])
def test_invalid_filters(parse, text, clause, detail):
    with pytest.raises(RegistryError) as excinfo:
        parse(text)
    err = excinfo.value
    assert err.code == "INVALID_ARGUMENT"
    assert err.field == ("query",)
    assert f'"{clause}"' in err.message
    assert detail in err.message


def test_error_message_format():
    with pytest.raises(RegistryError) as excinfo:
        parse_model_filter("name ~ 'x'")
    assert excinfo.value.message == (
        "Invalid clause \"name ~ 'x'\" at position 0: unsupported operator '~' for name "
        "(expected one of =, !=, LIKE, ILIKE, IN, NOT IN)")


def test_error_names_the_offending_clause_not_the_first():
    with pytest.raises(RegistryError) as excinfo:
        parse_version_filter("name = 'm' AND version_number = 'x' AND alias = 'a'")
    assert excinfo.value.message.startswith(
        "Invalid clause \"version_number = 'x'\" at position 15:")
