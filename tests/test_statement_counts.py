"""DataLoaders keep a request's SQL statements bounded by its depth, not by its rows."""
import random
import re

from gateway.seed import seed
from tests.conftest import operation

MAX_STATEMENTS = 10


def _template(sql: str) -> str:
    """The statement with its IN lists collapsed: the same template whatever the batch size."""
    return re.sub(r"IN \((?:\?|%s)(?:, (?:\?|%s))*\)", "IN (...)", sql)


def test_models_page_costs_the_same_few_statements_for_10_and_100_models(gql, store, count_statements):
    seed(store, models_count=100, versions_per_model=12, rng=random.Random(1))
    costs = {}
    for page_size in (10, 100):
        with count_statements() as statements:
            page = gql.data(operation("models_page"), first=page_size)["registeredModels"]
        assert len(page["nodes"]) == page_size
        assert all(len(m["versions"]["nodes"]) == 10 and m["versions"]["totalCount"] == 12 for m in page["nodes"])
        assert all(m["aliases"] and m["tags"] and m["latestVersions"] for m in page["nodes"])
        assert all(v["tags"] for m in page["nodes"] for v in m["latestVersions"])
        costs[page_size] = statements
    for page_size, statements in costs.items():
        assert len(statements) <= MAX_STATEMENTS, (page_size, statements)
    # Sibling lists may land in one batch or two (whichever parent arrives first), but
    # the statements run are the same for 10 models as for 100: nothing runs per row.
    assert {_template(s) for s in costs[10]} == {_template(s) for s in costs[100]}
