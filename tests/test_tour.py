"""The README's tour, step by step, over HTTP with the playground's operations."""


def test_register_tag_alias_transition_copy_and_find(gql):
    created = gql.play("create_model", name="fraud-detector", description="Flags fraud.",
                       tags=[{"key": "team", "value": "risk"}])
    assert created["userErrors"] == [] and created["registeredModel"]["name"] == "fraud-detector"

    for run in ("r1", "r2", "r3"):
        made = gql.play("create_version", name="fraud-detector", source=f"s3://models/fraud/{run}", runId=run)
        assert made["userErrors"] == []
    assert made["modelVersion"]["version"] == 3 and made["modelVersion"]["stage"] == "NONE"

    tagged = gql.play("set_version_tag", name="fraud-detector", version=3, key="validated", value="yes")
    assert {"key": "validated", "value": "yes"} in tagged["modelVersion"]["tags"]

    gql.play("transition", name="fraud-detector", version=2, stage="PRODUCTION")
    moved = gql.play("transition", name="fraud-detector", version=3, stage="PRODUCTION", archive=True)
    assert moved["modelVersion"]["stage"] == "PRODUCTION"
    assert moved["archivedVersions"] == [{"version": 2, "stage": "ARCHIVED"}]

    aliased = gql.play("set_alias", name="fraud-detector", alias="champion", version=3)
    assert aliased["alias"]["versionNumber"] == 3 and aliased["previousVersion"] is None

    copied = gql.play("copy_version", source={"name": "fraud-detector", "alias": "champion"},
                      destination="prod.fraud-detector", aliases=["live"])
    assert copied["userErrors"] == []
    assert copied["modelVersion"]["source"] == "models:/fraud-detector/3"
    assert copied["modelVersion"]["downloadUri"] == "s3://models/fraud/r3"
    assert copied["modelVersion"]["copiedFrom"] == {"name": "fraud-detector", "version": 3}
    assert copied["modelVersion"]["aliases"] == ["live"]

    live = gql.play("version_by_alias", name="prod.fraud-detector", alias="live")
    assert live["version"] == 1 and live["source"] == "models:/fraud-detector/3"

    found = gql.play("search_models", query="name LIKE '%fraud%' AND tags.team = 'risk'")
    assert [m["name"] for m in found["nodes"]] == ["fraud-detector"]

    in_production = gql.play("search_versions", filter={"stage": ["PRODUCTION"], "tags": [{"key": "validated"}]})
    assert [(v["name"], v["version"]) for v in in_production["nodes"]] == [("fraud-detector", 3)]


def test_paging_with_cursors_visits_every_model_once(gql):
    names = [f"model-{i:02d}" for i in range(7)]
    for name in names:
        gql.play("create_model", name=name)
    seen, after = [], None
    while True:
        page = gql.play("page_models", first=3, after=after)
        assert page["totalCount"] == 7
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == names
