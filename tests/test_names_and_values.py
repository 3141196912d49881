"""REFERENCE.md, "Names and values": every rule, over HTTP.

Broken values are INVALID_ARGUMENT: in a mutation's `userErrors` (with the path of the
input field at fault), in a query's `errors[].extensions` (code and field).
"""
import pytest

from tests.conftest import mutation_document, ok, refused

MODEL = "registeredModel { name description tags { key value } }"
VERSION = "modelVersion { name version source downloadUri description stage tags { key value } }"


def query_error(gql, document: str, /, **variables) -> dict:
    """The extensions of the first error of a query that must fail."""
    error = gql.error(document, **variables)
    assert error["message"]
    return error.get("extensions") or {}


def create_model(gql, name: str = "m", **fields) -> dict:
    return ok(gql.mutate("createRegisteredModel", MODEL, name=name, **fields))["registeredModel"]


def create_version(gql, name: str = "m", source: str = "s3://bucket/model", **fields) -> dict:
    return ok(gql.mutate("createModelVersion", VERSION, name=name, source=source, createModelIfMissing=True,
                         **fields))["modelVersion"]


def model_names(gql) -> list[str]:
    return [m["name"] for m in gql.data("{ registeredModels(first: 1000) { nodes { name } } }")
            ["registeredModels"]["nodes"]]


def find_model(gql, name: str) -> dict | None:
    return gql.data("""query($name: String!) { registeredModel(name: $name) {
                         name description tags { key value } versions { totalCount }
                         aliases { alias versionNumber } } }""", name=name)["registeredModel"]


def find_version(gql, name: str = "m", version: int = 1) -> dict | None:
    return gql.data("""query($name: String!, $version: Int!) { modelVersion(name: $name, version: $version) {
                         version source downloadUri description stage tags { key value } aliases } }""",
                    name=name, version=version)["modelVersion"]


# ---- model names ----------------------------------------------------------------

BAD_NAMES = ["", " ", " \t\n ", "a/b", "team/iris", "a:b", "models:/iris", "..", "../iris", "./iris",
             "iris/..", "x" * 257]
# Names that pass for another: characters that do not show, and surrounding spaces.
LOOK_ALIKE_NAMES = ["iris\nprod", "iris\tprod", "iris\u202eprod", "iris\u200bprod", "iris\u200d", "\ufeffiris",
                    "iris\u00a0prod", "iris\u2028", " iris", "iris ", "\x7firis"]


@pytest.mark.parametrize("name", BAD_NAMES + LOOK_ALIKE_NAMES)
def test_model_name_breaking_a_rule_is_refused_and_creates_nothing(gql, name):
    refused(gql.mutate("createRegisteredModel", MODEL, name=name), "INVALID_ARGUMENT", ["input", "name"])
    assert model_names(gql) == []


@pytest.mark.parametrize("name", ["x" * 256, "prod.ml_team.iris", "fraud detector v2", "Iris-2024_final", "ünïcødé",
                                  "a.b.c"])
def test_model_name_within_the_rules_is_stored_as_given(gql, name):
    assert create_model(gql, name)["name"] == name
    assert find_model(gql, name)["name"] == name


@pytest.mark.parametrize("name", ["a/b", "a:b", "..", "./x", " ", "x" * 257, "m\u202e", " m2"])
@pytest.mark.parametrize("mutation, fields, field", [
    ("renameRegisteredModel", {"name": "m"}, ["input", "newName"]),
    ("createModelVersion", {"source": "s3://b/x", "createModelIfMissing": True}, ["input", "name"]),
    ("copyModelVersion", {"source": {"name": "m", "version": 1}}, ["input", "destinationName"]),
])
def test_model_name_rules_hold_wherever_a_model_gets_a_name(gql, name, mutation, fields, field):
    create_version(gql, "m")
    name_key = field[-1]
    refused(gql.mutate(mutation, **fields, **{name_key: name}), "INVALID_ARGUMENT", field)
    assert model_names(gql) == ["m"]
    assert find_model(gql, "m")["versions"]["totalCount"] == 1


def test_model_names_are_stored_composed_and_found_either_way(gql):
    """'é' as one character (NFC) or as 'e' and a combining accent (NFD) is one name."""
    assert create_model(gql, "caf\u0065\u0301")["name"] == "caf\u00e9"
    assert find_model(gql, "caf\u0065\u0301")["name"] == "caf\u00e9"
    refused(gql.mutate("createRegisteredModel", MODEL, name="caf\u00e9"), "ALREADY_EXISTS", ["input", "name"])
    assert model_names(gql) == ["caf\u00e9"]


def test_model_names_are_unique(gql):
    create_model(gql, "iris", description="first")
    refused(gql.mutate("createRegisteredModel", MODEL, name="iris", description="second",
                       tags=[{"key": "k", "value": "v"}]), "ALREADY_EXISTS", ["input", "name"])
    create_model(gql, "other")
    refused(gql.mutate("renameRegisteredModel", MODEL, name="other", newName="iris"),
            "ALREADY_EXISTS", ["input", "newName"])
    assert find_model(gql, "iris")["description"] == "first" and find_model(gql, "iris")["tags"] == []
    assert model_names(gql) == ["iris", "other"]


def test_model_names_are_case_sensitive(gql):
    create_model(gql, "Iris", description="upper")
    create_model(gql, "iris", description="lower")
    create_version(gql, "iris")
    assert sorted(model_names(gql)) == ["Iris", "iris"]
    assert find_model(gql, "Iris")["description"] == "upper"
    assert find_model(gql, "Iris")["versions"]["totalCount"] == 0
    assert find_model(gql, "iris")["versions"]["totalCount"] == 1
    assert find_model(gql, "IRIS") is None
    assert ok(gql.mutate("renameRegisteredModel", MODEL, name="Iris", newName="IRIS"))["registeredModel"]["name"] \
        == "IRIS"


# ---- tag keys and values ----------------------------------------------------------


def _tag_in_new_model(gql, key, value):
    payload = gql.mutate("createRegisteredModel", MODEL, name="n", tags=[{"key": key, "value": value}])
    return payload, ["input", "tags", "0"]


def _tag_on_model(gql, key, value):
    return gql.mutate("setRegisteredModelTag", MODEL, name="m", key=key, value=value), ["input"]


def _tag_in_new_version(gql, key, value):
    return gql.mutate("createModelVersion", VERSION, name="m", source="s3://b/2",
                      tags=[{"key": key, "value": value}]), ["input", "tags", "0"]


def _tag_on_version(gql, key, value):
    return gql.mutate("setModelVersionTag", VERSION, name="m", version=1, key=key, value=value), ["input"]


TAG_TARGETS = [_tag_in_new_model, _tag_on_model, _tag_in_new_version, _tag_on_version]


def _assert_no_tags_anywhere(gql):
    assert model_names(gql) == ["m"]
    model = find_model(gql, "m")
    assert model["tags"] == [] and model["versions"]["totalCount"] == 1
    assert find_version(gql, "m", 1)["tags"] == []


@pytest.mark.parametrize("target", TAG_TARGETS)
@pytest.mark.parametrize("key", ["", "a#b", "a,b", "a=b", "a$b", "new\nline", "trailing\n", "tab\tkey", "back\\slash",
                                 "k" * 251])
def test_tag_key_breaking_a_rule_is_refused(gql, target, key):
    create_version(gql, "m")
    payload, at = target(gql, key, "v")
    refused(payload, "INVALID_ARGUMENT", [*at, "key"])
    _assert_no_tags_anywhere(gql)


@pytest.mark.parametrize("target", TAG_TARGETS)
@pytest.mark.parametrize("key", ["k" * 250, "team", "mlflow.note.content", "a/b.c-d e:f", "ключ_1", "UPPER"])
def test_tag_key_within_the_rules_is_stored_as_given(gql, target, key):
    create_version(gql, "m")
    payload, _ = target(gql, key, "value")
    ok(payload)
    (stored,) = (payload.get("registeredModel") or payload["modelVersion"])["tags"]
    assert stored == {"key": key, "value": "value"}


@pytest.mark.parametrize("target", TAG_TARGETS)
@pytest.mark.parametrize("value", ["", "v" * 100_000])
def test_tag_value_may_be_empty_or_100000_characters(gql, target, value):
    create_version(gql, "m")
    payload, _ = target(gql, "k", value)
    ok(payload)
    assert (payload.get("registeredModel") or payload["modelVersion"])["tags"] == [{"key": "k", "value": value}]


@pytest.mark.parametrize("target", TAG_TARGETS)
def test_tag_value_over_100000_characters_is_refused(gql, target):
    create_version(gql, "m")
    payload, at = target(gql, "k", "v" * 100_001)
    refused(payload, "INVALID_ARGUMENT", [*at, "value"])
    _assert_no_tags_anywhere(gql)


def test_tag_keys_are_case_sensitive(gql):
    tags = [{"key": "team", "value": "lower"}, {"key": "Team", "value": "upper"}]
    create_model(gql, "m", tags=tags)
    create_version(gql, "m", tags=tags)
    ok(gql.mutate("setRegisteredModelTag", name="m", key="TEAM", value="caps"))
    ok(gql.mutate("setModelVersionTag", name="m", version=1, key="Team", value="changed"))
    data = gql.data("""{ registeredModel(name: "m") {
                           tags { key value } lower: tag(key: "team") upper: tag(key: "Team") caps: tag(key: "TEAM")
                           version(version: 1) {
                             tags { key value } lower: tag(key: "team") other: tag(key: "tEAM") } } }""")
    model = data["registeredModel"]
    assert sorted((t["key"], t["value"]) for t in model["tags"]) == [
        ("TEAM", "caps"), ("Team", "upper"), ("team", "lower")]
    assert (model["lower"], model["upper"], model["caps"]) == ("lower", "upper", "caps")
    version = model["version"]
    assert sorted((t["key"], t["value"]) for t in version["tags"]) == [("Team", "changed"), ("team", "lower")]
    assert (version["lower"], version["other"]) == ("lower", None)


@pytest.mark.parametrize("mutation, fields", [
    ("createRegisteredModel", {"name": "n"}),
    ("createModelVersion", {"name": "n", "source": "s3://b/x", "createModelIfMissing": True}),
])
def test_a_tag_key_repeated_in_one_input_is_refused(gql, mutation, fields):
    tags = [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]
    refused(gql.mutate(mutation, **fields, tags=tags), "INVALID_ARGUMENT", ["input", "tags", "1", "key"])
    assert model_names(gql) == []


# ---- descriptions and comments ------------------------------------------------------


def _describe_new_model(gql, text):
    return gql.mutate("createRegisteredModel", MODEL, name="n", description=text)


def _describe_model(gql, text):
    return gql.mutate("updateRegisteredModel", MODEL, name="m", description=text)


def _describe_new_version(gql, text):
    return gql.mutate("createModelVersion", VERSION, name="m", source="s3://b/2", description=text)


def _describe_version(gql, text):
    return gql.mutate("updateModelVersion", VERSION, name="m", version=1, description=text)


DESCRIBE = [_describe_new_model, _describe_model, _describe_new_version, _describe_version]


@pytest.mark.parametrize("describe", DESCRIBE)
def test_description_of_65535_characters_is_stored(gql, describe):
    create_version(gql, "m")
    payload = ok(describe(gql, "d" * 65_535))
    assert (payload.get("registeredModel") or payload["modelVersion"])["description"] == "d" * 65_535


@pytest.mark.parametrize("describe", DESCRIBE)
def test_description_over_65535_characters_is_refused_and_changes_nothing(gql, describe):
    create_version(gql, "m", description="before")
    refused(describe(gql, "d" * 65_536), "INVALID_ARGUMENT", ["input", "description"])
    assert model_names(gql) == ["m"]
    assert find_model(gql, "m")["description"] is None and find_model(gql, "m")["versions"]["totalCount"] == 1
    assert find_version(gql, "m", 1)["description"] == "before"


def test_transition_comment_at_most_65535_characters(gql):
    create_version(gql, "m")
    transition = "modelVersion { stage }"
    refused(gql.mutate("transitionModelVersionStage", transition, name="m", version=1, stage="STAGING",
                       comment="c" * 65_536), "INVALID_ARGUMENT", ["input", "comment"])
    assert find_version(gql, "m", 1)["stage"] == "NONE"
    done = ok(gql.mutate("transitionModelVersionStage", transition, name="m", version=1, stage="STAGING",
                         comment="c" * 65_535))
    assert done["modelVersion"]["stage"] == "STAGING"


@pytest.mark.parametrize("mutation, key, fields", [
    ("updateRegisteredModel", "registeredModel", {"name": "m"}),
    ("updateModelVersion", "modelVersion", {"name": "m", "version": 1}),
])
def test_null_description_clears_and_an_omitted_one_is_left_unchanged(gql, mutation, key, fields):
    create_version(gql, "m")
    selection = f"{key} {{ description }}"
    assert ok(gql.mutate(mutation, selection, **fields, description="set"))[key]["description"] == "set"
    assert ok(gql.mutate(mutation, selection, **fields))[key]["description"] == "set"
    stored = find_model(gql, "m") if key == "registeredModel" else find_version(gql, "m", 1)
    assert stored["description"] == "set"
    assert ok(gql.mutate(mutation, selection, **fields, description=None))[key]["description"] is None
    stored = find_model(gql, "m") if key == "registeredModel" else find_version(gql, "m", 1)
    assert stored["description"] is None


# ---- version numbers ------------------------------------------------------------------


@pytest.mark.parametrize("number", [0, -1])
@pytest.mark.parametrize("mutation, fields, field", [
    ("updateModelVersion", {"description": "d"}, ["input", "version"]),
    ("deleteModelVersion", {}, ["input", "version"]),
    ("setModelVersionTag", {"key": "k", "value": "v"}, ["input", "version"]),
    ("deleteModelVersionTag", {"key": "k"}, ["input", "version"]),
    ("setModelAlias", {"alias": "champion"}, ["input", "version"]),
    ("transitionModelVersionStage", {"stage": "STAGING"}, ["input", "version"]),
])
def test_version_number_below_one_is_refused_by_mutations(gql, number, mutation, fields, field):
    create_version(gql, "m")
    payload = gql.mutate(mutation, name="m", version=number, **fields)
    refused(payload, "INVALID_ARGUMENT", field)
    assert find_version(gql, "m", 1)["stage"] == "NONE"


@pytest.mark.parametrize("number", [0, -1])
def test_copy_of_version_below_one_is_refused(gql, number):
    create_version(gql, "m")
    payload = gql.mutate("copyModelVersion", source={"name": "m", "version": number}, destinationName="d")
    refused(payload, "INVALID_ARGUMENT", ["input", "source", "version"])
    assert model_names(gql) == ["m"]


@pytest.mark.parametrize("document", [
    'query($v: Int!) { modelVersion(name: "m", version: $v) { version } }',
    'query($v: Int!) { registeredModel(name: "m") { version(version: $v) { version } } }',
])
def test_version_number_below_one_is_refused_by_queries(gql, document):
    create_version(gql, "m")
    assert query_error(gql, document, v=0)["code"] == "INVALID_ARGUMENT"


# ---- sources --------------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "", "   ", "..", "../model", "s3://b/../x", "s3://b/x/..", "s3://b/%2e%2e/x", "s3://b/%2E%2E/x",
    "s3://b/%252e%252e/x", "s3://b/%25252e%25252e/x", "s3://b/..%2fx", "s3://b/.%2e/x", "C:\\models\\..\\x",
    # what a frontend would turn into a script or an unexpected link
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox", "s3://b/x\n", "s3://b/\u202ex",
])
def test_source_empty_or_with_a_dotdot_segment_is_refused(gql, source):
    create_model(gql, "m")
    refused(gql.mutate("createModelVersion", VERSION, name="m", source=source), "INVALID_ARGUMENT",
            ["input", "source"])
    assert find_model(gql, "m")["versions"]["totalCount"] == 0


@pytest.mark.parametrize("source", ["s3://b/a..b/x", "s3://b/.../x", "s3://b/x..", "s3://b/./x",
                                    "runs:/0123abcd/model", "file:///tmp/m%20odel", "dbfs:/a/b",
                                    "gs://b/m", "abfss://c@a.dfs.core.windows.net/m", "https://host/m.tar.gz",
                                    "mlflow-artifacts:/1/abc/artifacts/m", "/abs/path/model", "rel/path",
                                    "C:\\models\\m"])
def test_source_without_a_dotdot_segment_is_stored_as_given(gql, source):
    made = create_version(gql, "m", source=source)
    assert (made["source"], made["downloadUri"]) == (source, source)


def test_models_uri_with_an_alias_is_pinned_to_the_version_it_named(gql):
    create_version(gql, "m", source="s3://b/one")
    create_version(gql, "m", source="s3://b/two")
    ok(gql.mutate("setModelAlias", name="m", alias="champion", version=1))
    pinned = create_version(gql, "dest", source="models:/m@champion")
    assert (pinned["source"], pinned["downloadUri"]) == ("models:/m/1", "s3://b/one")
    by_number = create_version(gql, "dest", source="models:/m/2")
    assert (by_number["source"], by_number["downloadUri"]) == ("models:/m/2", "s3://b/two")
    ok(gql.mutate("setModelAlias", name="m", alias="champion", version=2))
    stored = find_version(gql, "dest", 1)
    assert (stored["source"], stored["downloadUri"]) == ("models:/m/1", "s3://b/one")


def test_models_uri_naming_a_missing_alias_is_not_found(gql):
    create_version(gql, "m")
    refused(gql.mutate("createModelVersion", VERSION, name="m", source="models:/m@nobody"), "NOT_FOUND",
            ["input", "source"])
    assert find_model(gql, "m")["versions"]["totalCount"] == 1


# ---- page sizes -----------------------------------------------------------------------


def test_model_pages_default_to_50(gql):
    for i in range(51):
        create_model(gql, f"m{i:02d}")
    page = gql.data("{ registeredModels { nodes { name } pageInfo { hasNextPage } } }")["registeredModels"]
    assert len(page["nodes"]) == 50 and page["pageInfo"]["hasNextPage"]
    everything = gql.data("{ registeredModels(first: 1000) { edges { cursor } } }")["registeredModels"]["edges"]
    before = gql.data("""query($c: String) {
                           registeredModels(before: $c) { nodes { name } pageInfo { hasPreviousPage } } }""",
                      c=everything[-1]["cursor"])["registeredModels"]
    assert [n["name"] for n in before["nodes"]] == [f"m{i:02d}" for i in range(50)]
    assert not before["pageInfo"]["hasPreviousPage"]


def test_version_pages_default_to_50(gql):
    for _ in range(51):
        create_version(gql, "m")
    data = gql.data("""{ modelVersions { nodes { version } pageInfo { hasNextPage } }
                         registeredModel(name: "m") { versions { nodes { version } pageInfo { hasNextPage } } } }""")
    for page in (data["modelVersions"], data["registeredModel"]["versions"]):
        assert len(page["nodes"]) == 50 and page["pageInfo"]["hasNextPage"]


PAGED = {
    "registeredModels": "query($n: Int) {{ registeredModels({arg}: $n) {{ nodes {{ name }} }} }}",
    "modelVersions": "query($n: Int) {{ modelVersions({arg}: $n) {{ nodes {{ version }} }} }}",
    "RegisteredModel.versions":
        'query($n: Int) {{ registeredModel(name: "m") {{ versions({arg}: $n) {{ nodes {{ version }} }} }} }}',
}


@pytest.mark.parametrize("connection", PAGED)
@pytest.mark.parametrize("arg", ["first", "last"])
def test_page_size_up_to_1000_is_accepted(gql, connection, arg):
    create_version(gql, "m")
    gql.data(PAGED[connection].format(arg=arg), n=1000)
    gql.data(PAGED[connection].format(arg=arg), n=0)


@pytest.mark.parametrize("connection", PAGED)
@pytest.mark.parametrize("arg", ["first", "last"])
@pytest.mark.parametrize("size", [1001, -1])
def test_page_size_over_1000_or_negative_is_invalid(gql, connection, arg, size):
    create_version(gql, "m")
    extensions = query_error(gql, PAGED[connection].format(arg=arg), n=size)
    assert extensions["code"] == "INVALID_ARGUMENT"
    assert extensions.get("field") == [arg]


# ---- NUL characters ------------------------------------------------------------------

NUL = "a\x00b"


@pytest.mark.parametrize("mutation, fields, field", [
    ("createRegisteredModel", {"name": NUL}, ["input", "name"]),
    ("createRegisteredModel", {"name": "n", "description": NUL}, ["input", "description"]),
    ("createRegisteredModel", {"name": "n", "tags": [{"key": "k", "value": NUL}]}, ["input", "tags", "0", "value"]),
    ("createRegisteredModel", {"name": "n", "tags": [{"key": NUL, "value": "v"}]}, ["input", "tags", "0", "key"]),
    ("updateRegisteredModel", {"name": "m", "description": NUL}, ["input", "description"]),
    ("renameRegisteredModel", {"name": "m", "newName": NUL}, ["input", "newName"]),
    ("deleteRegisteredModel", {"name": NUL}, ["input", "name"]),
    ("setRegisteredModelTag", {"name": "m", "key": "k", "value": NUL}, ["input", "value"]),
    ("deleteRegisteredModelTag", {"name": "m", "key": NUL}, ["input", "key"]),
    ("createModelVersion", {"name": "m", "source": "s3://b/" + NUL}, ["input", "source"]),
    ("createModelVersion", {"name": "m", "source": "s3://b/x", "runId": NUL}, ["input", "runId"]),
    ("createModelVersion", {"name": "m", "source": "s3://b/x", "runLink": NUL}, ["input", "runLink"]),
    ("createModelVersion", {"name": "m", "source": "s3://b/x", "idempotencyKey": NUL}, ["input", "idempotencyKey"]),
    ("updateModelVersion", {"name": "m", "version": 1, "description": NUL}, ["input", "description"]),
    ("setModelVersionTag", {"name": "m", "version": 1, "key": "k", "value": NUL}, ["input", "value"]),
    ("deleteModelVersionTag", {"name": "m", "version": 1, "key": NUL}, ["input", "key"]),
    ("setModelAlias", {"name": "m", "version": 1, "alias": NUL}, ["input", "alias"]),
    ("deleteModelAlias", {"name": "m", "alias": NUL}, ["input", "alias"]),
    ("transitionModelVersionStage", {"name": "m", "version": 1, "stage": "STAGING", "comment": NUL},
     ["input", "comment"]),
    ("copyModelVersion", {"source": {"name": "m", "version": 1}, "destinationName": NUL}, ["input", "destinationName"]),
    ("copyModelVersion", {"source": {"name": "m", "alias": NUL}, "destinationName": "d"}, ["input", "source", "alias"]),
    ("copyModelVersion", {"source": {"name": "m", "version": 1}, "destinationName": "d", "aliases": [NUL]},
     ["input", "aliases", "0"]),
])
def test_nul_character_in_a_mutation_input_is_invalid_and_changes_nothing(gql, mutation, fields, field):
    """Refused for the whole operation before any resolver runs, naming the variable path."""
    create_version(gql, "m")
    error = query_error(gql, mutation_document(mutation), input=fields)
    assert (error["code"], error["field"]) == ("INVALID_ARGUMENT", field)
    assert model_names(gql) == ["m"]
    assert find_model(gql, "m") == {"name": "m", "description": None, "tags": [], "versions": {"totalCount": 1},
                                    "aliases": []}
    version = find_version(gql, "m", 1)
    assert (version["description"], version["stage"], version["tags"]) == (None, "NONE", [])


@pytest.mark.parametrize("document", [
    "query($s: String!) { registeredModel(name: $s) { name } }",
    "query($s: String!) { modelVersion(name: $s, version: 1) { version } }",
    'query($s: String!) { modelVersionByAlias(name: "m", alias: $s) { version } }',
    "query($s: String!) { latestVersions(name: $s) { version } }",
    'query($s: String!) { registeredModel(name: "m") { tag(key: $s) } }',
    'query($s: String!) { registeredModel(name: "m") { versionByAlias(alias: $s) { version } } }',
    'query($s: String!) { modelVersion(name: "m", version: 1) { tag(key: $s) } }',
    "query($s: String!) { registeredModels(query: $s) { totalCount } }",
    "query($s: String!) { registeredModels(filter: {name: {eq: $s}}) { totalCount } }",
    "query($s: String!) { modelVersions(filter: {tags: [{key: $s}]}) { totalCount } }",
    "query($s: String!) { modelVersions(query: $s) { totalCount } }",
    "query($s: String) { registeredModels(after: $s) { totalCount } }",
    'query($s: String!) { registeredModel(name: "m") { versions(filter: {runId: {eq: $s}}) { totalCount } } }',
])
def test_nul_character_in_a_query_argument_is_invalid_not_an_internal_error(gql, document):
    create_version(gql, "m")
    assert query_error(gql, document, s=NUL)["code"] == "INVALID_ARGUMENT"
