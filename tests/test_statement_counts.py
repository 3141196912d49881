"""DataLoaders keep a request's SQL statements bounded by its depth, not by its rows."""
import random
import re

import pytest

from gateway.seed import seed
from tests.conftest import operation


def _template(sql: str) -> str:
    """The statement with its IN lists collapsed: the same template whatever the batch size."""
    return re.sub(r"IN \((?:\?|%s)(?:, (?:\?|%s))*\)", "IN (...)", sql)


@pytest.fixture
def hundred_models(store, gql):
    seed(store, models_count=100, versions_per_model=12, rng=random.Random(1))
    names = [e["node"]["name"] for e in gql.play("page_models", first=100)["edges"]]
    for name in names[::3]:  # a pending request on every third model of the page
        gql.play("request_transition", name=name, version=1, stage="STAGING", comment="please")


@pytest.mark.parametrize("page, most", [("models_page", 10), ("models_review_page", 14)])
def test_a_models_page_costs_the_same_few_statements_for_10_and_100_models(gql, hundred_models, count_statements,
                                                                            page, most):
    costs = {}
    for page_size in (10, 100):
        with count_statements() as statements:
            models = gql.data(operation(page), first=page_size)["registeredModels"]["nodes"]
        assert len(models) == page_size
        assert all(len(m["versions"]["nodes"]) == 10 and m["versions"]["totalCount"] == 12 for m in models)
        assert all(m["aliases"] and m["tags"] and m["latestVersions"] for m in models)
        assert all(v["tags"] for m in models for v in m["latestVersions"])
        if "activities" in models[0]:
            assert all(len(m["activities"]["nodes"]) == 5 for m in models)
            assert sum(len(m["transitionRequests"]) for m in models) == (4 if page_size == 10 else 34)
        costs[page_size] = statements
    for page_size, statements in costs.items():
        assert len(statements) <= most, (page_size, statements)
    # Sibling lists may land in one batch or two (whichever parent arrives first), but
    # the statements run are the same for 10 models as for 100: nothing runs per row.
    assert {_template(s) for s in costs[10]} == {_template(s) for s in costs[100]}
