"""REFERENCE.md, "Aliases" (and the alias row of "Names and values"), and tags on models
and versions: set (an upsert), delete, and failed mutations that change nothing."""
import pytest

from tests.conftest import ok, refused

ALIAS = "alias { alias versionNumber modelVersion { version } } previousVersion { version }"


def versions(gql, name: str = "m", count: int = 1) -> None:
    """Register `count` versions of `name` (the model is created when missing)."""
    for i in range(count):
        ok(gql.mutate("createModelVersion", "modelVersion { version }", name=name, source=f"s3://b/{name}/{i}",
                      createModelIfMissing=True))


def set_alias(gql, alias: str, version: int, name: str = "m") -> dict:
    return gql.mutate("setModelAlias", ALIAS, name=name, alias=alias, version=version)


def aliases(gql, name: str = "m") -> dict:
    """{alias: version number} of the model, and {version: [aliases]} of its versions."""
    model = gql.data("""query($name: String!) { registeredModel(name: $name) {
                          aliases { alias versionNumber modelVersion { version } }
                          versions(first: 1000) { nodes { version aliases } } } }""", name=name)["registeredModel"]
    for entry in model["aliases"]:
        assert entry["modelVersion"]["version"] == entry["versionNumber"]
    by_alias = {entry["alias"]: entry["versionNumber"] for entry in model["aliases"]}
    by_version = {v["version"]: sorted(v["aliases"]) for v in model["versions"]["nodes"]}
    return {"model": by_alias, "versions": by_version}


def resolve(gql, alias: str, name: str = "m") -> tuple[int | None, int | None]:
    """The version number `alias` resolves to, by RegisteredModel.versionByAlias and by
    Query.modelVersionByAlias (None when it resolves to nothing)."""
    data = gql.data("""query($name: String!, $alias: String!) {
                         registeredModel(name: $name) { versionByAlias(alias: $alias) { version } }
                         modelVersionByAlias(name: $name, alias: $alias) { version } }""", name=name, alias=alias)
    nested, root = data["registeredModel"]["versionByAlias"], data["modelVersionByAlias"]
    return nested and nested["version"], root and root["version"]


# ---- alias names ------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["", "a.b", "a b", "a/b", "a:b", "a@b", "a+b", "x" * 256, " champion", "champion\n",
                                   "champ\u202eion", "champ\u200bion", "champion\u200d", "\ufeffchampion",
                                   "champion\t", "champ\u00a0ion", "champion\u0301"])
def test_alias_breaking_the_syntax_is_refused(gql, alias):
    versions(gql)
    refused(set_alias(gql, alias, 1), "INVALID_ARGUMENT", ["input", "alias"])
    assert aliases(gql) == {"model": {}, "versions": {1: []}}


@pytest.mark.parametrize("alias", ["latest", "LATEST", "Latest", "lAtEsT", "v1", "V12", "v0", "v007"])
def test_reserved_alias_is_refused_when_setting(gql, alias):
    versions(gql)
    refused(set_alias(gql, alias, 1), "INVALID_ARGUMENT", ["input", "alias"])
    refused(gql.mutate("copyModelVersion", "modelVersion { version }", source={"name": "m", "version": 1},
                       destinationName="d", aliases=["ok", alias]), "INVALID_ARGUMENT", ["input", "aliases", "1"])
    assert aliases(gql) == {"model": {}, "versions": {1: []}}
    assert gql.data('{ registeredModel(name: "d") { name } }')["registeredModel"] is None


@pytest.mark.parametrize("alias", ["champion", "x" * 255, "prod-2024_b", "A", "v", "v1a", "version2", "latest-prod",
                                   "_latest", "vv1", "9"])
def test_alias_within_the_rules_is_set_and_resolves(gql, alias):
    versions(gql, count=2)
    made = ok(set_alias(gql, alias, 2))
    assert made["alias"] == {"alias": alias, "versionNumber": 2, "modelVersion": {"version": 2}}
    assert made["previousVersion"] is None
    assert resolve(gql, alias) == (2, 2)
    assert aliases(gql) == {"model": {alias: 2}, "versions": {1: [], 2: [alias]}}


# ---- setting, moving and deleting ----------------------------------------------------


def test_setting_an_alias_moves_it_and_reports_where_from(gql):
    versions(gql, count=3)
    assert ok(set_alias(gql, "champion", 1))["previousVersion"] is None
    moved = ok(set_alias(gql, "champion", 3))
    assert moved["alias"]["versionNumber"] == 3 and moved["previousVersion"] == {"version": 1}
    assert ok(set_alias(gql, "champion", 3))["previousVersion"] is None  # already there: nothing moved
    assert aliases(gql) == {"model": {"champion": 3}, "versions": {1: [], 2: [], 3: ["champion"]}}
    assert resolve(gql, "champion") == (3, 3)


def test_a_version_may_carry_several_aliases(gql):
    versions(gql, count=2)
    for alias in ("champion", "prod", "blue"):
        ok(set_alias(gql, alias, 1))
    ok(set_alias(gql, "challenger", 2))
    assert aliases(gql) == {"model": {"blue": 1, "champion": 1, "prod": 1, "challenger": 2},
                            "versions": {1: ["blue", "champion", "prod"], 2: ["challenger"]}}


def test_the_same_alias_on_two_models_is_independent(gql):
    versions(gql, "a", count=2)
    versions(gql, "b", count=1)
    ok(set_alias(gql, "champion", 2, name="a"))
    assert ok(set_alias(gql, "champion", 1, name="b"))["previousVersion"] is None
    assert resolve(gql, "champion", "a") == (2, 2) and resolve(gql, "champion", "b") == (1, 1)


def test_alias_target_must_exist(gql):
    versions(gql)
    refused(set_alias(gql, "champion", 2), "NOT_FOUND", ["input", "version"])
    refused(set_alias(gql, "champion", 1, name="missing"), "NOT_FOUND", ["input", "name"])
    assert aliases(gql) == {"model": {}, "versions": {1: []}}


def test_unknown_alias_resolves_to_nothing(gql):
    versions(gql)
    assert resolve(gql, "nobody") == (None, None)
    assert gql.data('{ modelVersionByAlias(name: "missing", alias: "champion") { version } }') \
        == {"modelVersionByAlias": None}


def test_deleting_an_alias(gql):
    versions(gql)
    ok(set_alias(gql, "champion", 1))
    ok(set_alias(gql, "prod", 1))
    deleted = ok(gql.mutate("deleteModelAlias", "registeredModel { name aliases { alias } }", name="m",
                            alias="champion"))
    assert deleted["registeredModel"] == {"name": "m", "aliases": [{"alias": "prod"}]}
    assert resolve(gql, "champion") == (None, None)
    assert aliases(gql) == {"model": {"prod": 1}, "versions": {1: ["prod"]}}


def test_deleting_an_alias_that_does_not_exist_succeeds_on_an_existing_model(gql):
    versions(gql)
    ok(set_alias(gql, "prod", 1))
    deleted = ok(gql.mutate("deleteModelAlias", "registeredModel { name }", name="m", alias="nobody"))
    assert deleted["registeredModel"] == {"name": "m"}
    assert aliases(gql) == {"model": {"prod": 1}, "versions": {1: ["prod"]}}


def test_deleting_an_alias_of_a_missing_model_is_not_found(gql):
    refused(gql.mutate("deleteModelAlias", "registeredModel { name }", name="missing", alias="champion"),
            "NOT_FOUND", ["input", "name"])


def test_deleting_a_version_deletes_its_aliases(gql):
    versions(gql, count=2)
    ok(set_alias(gql, "champion", 1))
    ok(set_alias(gql, "prod", 1))
    ok(set_alias(gql, "challenger", 2))
    ok(gql.mutate("deleteModelVersion", name="m", version=1))
    assert aliases(gql) == {"model": {"challenger": 2}, "versions": {2: ["challenger"]}}
    assert resolve(gql, "champion") == (None, None)
    found = gql.data('{ registeredModels(filter: {alias: "champion"}) { totalCount } '
                     'modelVersions(filter: {alias: "prod"}) { totalCount } }')
    assert found == {"registeredModels": {"totalCount": 0}, "modelVersions": {"totalCount": 0}}
    # The name is free again: setting it is a fresh alias, not a move.
    assert ok(set_alias(gql, "champion", 2))["previousVersion"] is None


def test_latest_is_the_highest_live_version_in_any_case(gql):
    versions(gql, count=3)
    ok(gql.mutate("transitionModelVersionStage", name="m", version=3, stage="ARCHIVED"))
    for spelling in ("latest", "LATEST", "LaTeSt"):
        assert resolve(gql, spelling) == (3, 3)
    ok(gql.mutate("deleteModelVersion", name="m", version=3))
    assert resolve(gql, "latest") == (2, 2) and resolve(gql, "LaTeSt") == (2, 2)
    versions(gql)  # version 4: numbers are not reused
    assert resolve(gql, "Latest") == (4, 4)


def test_latest_of_a_model_without_versions_is_nothing(gql):
    ok(gql.mutate("createRegisteredModel", name="m"))
    assert resolve(gql, "latest") == (None, None)


# ---- tags on models and versions ----------------------------------------------------

MODEL_TAGS = "registeredModel { tags { key value } }"
VERSION_TAGS = "modelVersion { version tags { key value } }"


class ModelTags:
    def __init__(self, gql):
        self.gql = gql

    def set(self, key, value, name="m"):
        return self.gql.mutate("setRegisteredModelTag", MODEL_TAGS, name=name, key=key, value=value)

    def delete(self, key, name="m"):
        return self.gql.mutate("deleteRegisteredModelTag", MODEL_TAGS, name=name, key=key)

    def stored(self, name="m"):
        data = self.gql.data("query($name: String!) { registeredModel(name: $name) { tags { key value } } }",
                             name=name)
        return {t["key"]: t["value"] for t in data["registeredModel"]["tags"]}

    @staticmethod
    def returned(payload):
        return {t["key"]: t["value"] for t in payload["registeredModel"]["tags"]}


class VersionTags(ModelTags):
    def set(self, key, value, name="m", version=1):
        return self.gql.mutate("setModelVersionTag", VERSION_TAGS, name=name, version=version, key=key, value=value)

    def delete(self, key, name="m", version=1):
        return self.gql.mutate("deleteModelVersionTag", VERSION_TAGS, name=name, version=version, key=key)

    def stored(self, name="m", version=1):
        data = self.gql.data("""query($name: String!, $version: Int!) {
                                  modelVersion(name: $name, version: $version) { tags { key value } } }""",
                             name=name, version=version)
        return {t["key"]: t["value"] for t in data["modelVersion"]["tags"]}

    @staticmethod
    def returned(payload):
        return {t["key"]: t["value"] for t in payload["modelVersion"]["tags"]}


@pytest.fixture(params=[ModelTags, VersionTags], ids=["model", "version"])
def tags(request, gql):
    versions(gql, count=2)
    return request.param(gql)


def test_setting_a_tag_adds_it_and_setting_it_again_replaces_the_value(tags):
    assert tags.returned(ok(tags.set("team", "risk"))) == {"team": "risk"}
    assert tags.returned(ok(tags.set("stage", "beta"))) == {"team": "risk", "stage": "beta"}
    assert tags.returned(ok(tags.set("team", "fraud"))) == {"team": "fraud", "stage": "beta"}
    assert tags.stored() == {"team": "fraud", "stage": "beta"}


def test_deleting_a_tag_removes_only_that_key(tags):
    ok(tags.set("team", "risk"))
    ok(tags.set("Team", "other"))
    assert tags.returned(ok(tags.delete("team"))) == {"Team": "other"}
    assert tags.stored() == {"Team": "other"}


def test_deleting_a_missing_tag_key_succeeds_and_changes_nothing(tags):
    ok(tags.set("team", "risk"))
    assert tags.returned(ok(tags.delete("nobody"))) == {"team": "risk"}
    assert tags.stored() == {"team": "risk"}


def test_tags_of_a_missing_model_are_not_found(tags):
    refused(tags.set("team", "risk", name="missing"), "NOT_FOUND", ["input", "name"])
    refused(tags.delete("team", name="missing"), "NOT_FOUND", ["input", "name"])


def test_tags_of_a_missing_version_are_not_found(gql):
    versions(gql)
    version_tags = VersionTags(gql)
    refused(version_tags.set("team", "risk", version=9), "NOT_FOUND", ["input", "version"])
    refused(version_tags.delete("team", version=9), "NOT_FOUND", ["input", "version"])


def test_a_refused_tag_leaves_the_existing_tags_alone(tags):
    ok(tags.set("team", "risk"))
    refused(tags.set("team", "x" * 100_001), "INVALID_ARGUMENT", ["input", "value"])
    refused(tags.set("bad#key", "v"), "INVALID_ARGUMENT", ["input", "key"])
    assert tags.stored() == {"team": "risk"}


def test_model_and_version_tags_are_separate(gql):
    versions(gql, count=2)
    ok(ModelTags(gql).set("team", "model"))
    ok(VersionTags(gql).set("team", "v1", version=1))
    assert ModelTags(gql).stored() == {"team": "model"}
    assert VersionTags(gql).stored(version=1) == {"team": "v1"}
    assert VersionTags(gql).stored(version=2) == {}
    ok(VersionTags(gql).delete("team", version=1))
    assert ModelTags(gql).stored() == {"team": "model"}


def test_tags_given_at_creation_are_stored(gql):
    given = [{"key": "team", "value": "risk"}, {"key": "Team", "value": ""}]
    made = ok(gql.mutate("createRegisteredModel", MODEL_TAGS, name="m", tags=given))
    assert ModelTags.returned(made) == {"team": "risk", "Team": ""}
    version = ok(gql.mutate("createModelVersion", VERSION_TAGS, name="m", source="s3://b/x", tags=given))
    assert VersionTags.returned(version) == {"team": "risk", "Team": ""}
    assert ModelTags(gql).stored() == VersionTags(gql).stored() == {"team": "risk", "Team": ""}


# ---- a failed mutation changes nothing ---------------------------------------------------


def _model_names(gql) -> list[str]:
    return [m["name"] for m in gql.data("{ registeredModels { nodes { name } } }")["registeredModels"]["nodes"]]


def test_creating_a_model_with_one_bad_tag_creates_no_model(gql):
    bad = [{"key": "good", "value": "1"}, {"key": "also-good", "value": "2"}, {"key": "bad key!", "value": "3"}]
    refused(gql.mutate("createRegisteredModel", MODEL_TAGS, name="m", tags=bad), "INVALID_ARGUMENT",
            ["input", "tags", "2", "key"])
    assert _model_names(gql) == []
    # The name is still free.
    assert ModelTags.returned(ok(gql.mutate("createRegisteredModel", MODEL_TAGS, name="m"))) == {}


def test_registering_a_version_with_one_bad_tag_creates_neither_model_nor_version(gql):
    bad = [{"key": "good", "value": "1"}, {"key": "big", "value": "v" * 100_001}]
    refused(gql.mutate("createModelVersion", VERSION_TAGS, name="m", source="s3://b/x", createModelIfMissing=True,
                       tags=bad), "INVALID_ARGUMENT", ["input", "tags", "1", "value"])
    assert _model_names(gql) == []
    assert gql.data("{ modelVersions { totalCount } }") == {"modelVersions": {"totalCount": 0}}


def test_creating_an_existing_model_leaves_its_tags_and_description_alone(gql):
    ok(gql.mutate("createRegisteredModel", name="m", description="kept", tags=[{"key": "team", "value": "risk"}]))
    refused(gql.mutate("createRegisteredModel", MODEL_TAGS, name="m", description="new",
                       tags=[{"key": "team", "value": "other"}, {"key": "extra", "value": "x"}]),
            "ALREADY_EXISTS", ["input", "name"])
    model = gql.data('{ registeredModel(name: "m") { description tags { key value } } }')["registeredModel"]
    assert model == {"description": "kept", "tags": [{"key": "team", "value": "risk"}]}


def test_copying_with_one_reserved_alias_creates_nothing(gql):
    versions(gql)
    refused(gql.mutate("copyModelVersion", "modelVersion { version }", source={"name": "m", "version": 1},
                       destinationName="dest", aliases=["champion", "latest"]), "INVALID_ARGUMENT",
            ["input", "aliases", "1"])
    assert _model_names(gql) == ["m"]
    assert aliases(gql) == {"model": {}, "versions": {1: []}}
