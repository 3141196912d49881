"""`registry-gateway seed --bulk`: a large registry in a few statements, readable through
the API like any other (for benchmarks at scale)."""
from store import bulk
from store.database import now_ms


def test_bulk_seed_loads_models_versions_tags_and_aliases(store, gql):
    # bulk.load alone: the ANALYZE that gateway.seed.bulk_seed runs after it would leave
    # this tiny registry's statistics to every later test's query plans.
    store.write(bulk.load, 30, 3, "bulk-model-", now_ms())
    models = gql.data('{ registeredModels(first: 1000) { totalCount nodes { name tags { key } } } '
                      'modelVersions { totalCount } '
                      'modelVersionByAlias(name: "bulk-model-000007", alias: "champion") { version stage '
                      'tags { key } } }')
    assert models["registeredModels"]["totalCount"] == 30 and models["modelVersions"]["totalCount"] == 90
    assert models["registeredModels"]["nodes"][0] == {"name": "bulk-model-000001", "tags": [{"key": "team"}]}
    champion = models["modelVersionByAlias"]
    assert (champion["version"], champion["stage"]) == (3, "PRODUCTION")
    assert sorted(t["key"] for t in champion["tags"]) == ["k0", "k1", "k2"]
