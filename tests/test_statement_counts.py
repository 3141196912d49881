"""DataLoaders keep a request's SQL statements bounded by its depth, not by its rows, and
let go of what they loaded when the request is answered."""
import gc
import random
import re

import peewee
import pytest

from gateway.seed import seed
from tests.conftest import ok, operation


def _template(sql: str) -> str:
    """The statement with its IN lists collapsed: the same template whatever the batch size."""
    return re.sub(r"IN \((?:\?|%s)(?:, (?:\?|%s))*\)", "IN (...)", sql)


@pytest.fixture
def hundred_models(store, gql):
    seed(store, models_count=100, versions_per_model=12, rng=random.Random(1))
    names = [e["node"]["name"] for e in gql.play("page_models", first=100)["edges"]]
    for name in names[::3]:  # a pending request on every third model of the page
        gql.play("request_transition", name=name, version=1, stage="STAGING", comment="please")


@pytest.mark.parametrize("page", ["models_page", "models_review_page"])
def test_what_a_page_loaded_goes_when_it_is_answered_not_when_the_collector_runs(gql, hundred_models, page):
    """Rows reachable only through a reference cycle wait for the garbage collector, whose
    passes then cost every request more, the more connections are open (a models page
    left 2 MB of them)."""
    gql.data(operation(page), first=100)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds is kept in gc.garbage, to look at
    try:
        gql.data(operation(page), first=100)
        gc.collect()
        stranded = [row for row in gc.garbage if isinstance(row, peewee.Model)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert stranded == []


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


# Every playground query, sized by its page: (operation, variables for `size` rows).
PLAYGROUND_QUERIES = {
    "models_page": lambda size: {"first": size},
    "models_review_page": lambda size: {"first": size},
    "page_models": lambda size: {"first": size},
    "search_models": lambda size: {"query": "name LIKE '%-0%'", "first": size},
    "search_versions": lambda size: {"filter": {"stage": ["NONE", "PRODUCTION", "STAGING"]}, "first": size},
    "model_history": lambda size: {"name": "risk.fraud-detector-00000", "first": size},
    "review_inbox": lambda size: {"first": size},
}


@pytest.fixture
def granted_reader(store, hundred_models, sign_in_secured):
    """A user who may read each of the hundred models through a grant of its own (on a
    server where nobody may read anything by default): the permission filter at work."""
    from resolvers import access
    from store.tables import RegisteredModel

    reader = sign_in_secured("granted")

    def grant_all():
        for model in RegisteredModel.select():
            access.grant(model, "granted", access.CAN_READ)

    store.write(grant_all)
    reader.data("{ viewer { user { name } } }")  # the token's lastUsedAt, kept to the minute, is set now
    return reader


@pytest.mark.parametrize("caller", ["admin", "granted reader"])
@pytest.mark.parametrize("name", PLAYGROUND_QUERIES)
def test_every_playground_query_costs_the_same_statements_for_10_and_100_rows(gql, granted_reader, count_statements,
                                                                              caller, name):
    client = gql if caller == "admin" else granted_reader
    costs = {}
    for size in (10, 100):
        with count_statements() as statements:
            client.data(operation(name), **PLAYGROUND_QUERIES[name](size))
        costs[size] = statements
    assert {_template(s) for s in costs[10]} == {_template(s) for s in costs[100]}, costs
    assert len(costs[100]) <= 16, costs[100]


# What finds who a token belongs to, before the request's own statements.
SIGNING_IN = re.compile(r'FROM "(access_tokens|group_members)"|UPDATE "access_tokens"')


@pytest.mark.parametrize("caller", ["admin", "granted reader"])
def test_a_version_by_alias_is_one_statement_and_one_for_its_aliases(gql, granted_reader, count_statements, caller):
    client = gql if caller == "admin" else granted_reader
    with count_statements() as statements:
        found = client.data(operation("version_by_alias"), name="risk.fraud-detector-00000", alias="champion")
    assert found["modelVersionByAlias"]["version"] == 12
    own = [_verb_and_table(s) for s in statements if not SIGNING_IN.search(s)]
    assert own == ["SELECT model_aliases",  # the version, by the model's name and the alias
                   *([] if caller == "admin" else ["SELECT model_permissions"]),  # may the reader see it
                   "SELECT model_aliases"], statements  # the version's aliases


def test_a_granted_reader_sees_what_the_admin_sees_at_the_same_cost(gql, granted_reader, count_statements):
    """As many statements, the page's own filtered by the grants, and those that find who the
    token belongs to: no per-row checks."""
    with count_statements() as as_admin:
        admin_page = gql.data(operation("models_page"), first=100)
    with count_statements() as as_reader:
        reader_page = granted_reader.data(operation("models_page"), first=100)
    assert reader_page == admin_page
    reading = {_template(s) for s in as_reader if not SIGNING_IN.search(s)}
    assert len(reading) == len({_template(s) for s in as_admin}), (as_admin, as_reader)


def _verb_and_table(sql: str) -> str:
    """'INSERT model_versions': what a statement does, to which table. On PostgreSQL the
    activity log's order lock travels in front of the insert, and the notification of the
    new ids behind it, in the same round trip."""
    last = sql.split("; ")[-1]
    if last.startswith("WITH made AS ("):  # the insert, then a notification of what it made
        last = last[len("WITH made AS ("):]
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', last).group(1)
    return f"{last.split()[0]} {table}"


@pytest.fixture
def registered(gql):
    gql.play("create_model", name="fraud")
    for number in (1, 2):
        gql.play("create_version", name="fraud", source=f"s3://models/fraud/{number}")
    gql.play("transition", name="fraud", version=1, stage="PRODUCTION")


# Each write's statements, in order: what it reads to check, what it changes, the activity
# it appends, and what the payload's selection reads afterwards (the playground's).
WRITES = {
    "create_version": (
        {"name": "fraud", "source": "s3://models/fraud/3", "tags": [{"key": "team", "value": "risk"}]},
        ["SELECT registered_models",  # the model, by name
         "UPDATE registered_models",  # the next number taken, RETURNING it: no read after
         "INSERT model_versions",  # RETURNING its id
         "INSERT model_version_tags",  # all tags in one statement
         "INSERT activities",
         "SELECT model_version_tags"]),  # the payload's tags
    "create_version_creating_the_model_if_missing": (
        {"name": "fraud", "source": "s3://models/fraud/3", "createModelIfMissing": True},
        ["SELECT registered_models",  # found: no insert of the model is tried
         "UPDATE registered_models", "INSERT model_versions", "INSERT activities", "SELECT model_version_tags"]),
    "set_version_tag": (
        {"name": "fraud", "version": 2, "key": "team", "value": "risk"},
        ["SELECT model_versions",  # the version, by name and number
         "SELECT model_version_tags",  # the value before, for the activity
         "INSERT model_version_tags",  # an upsert
         "UPDATE model_versions", "UPDATE registered_models",  # updatedAt of both
         "INSERT activities",
         "SELECT model_version_tags"]),
    "transition": (
        {"name": "fraud", "version": 2, "stage": "PRODUCTION", "archive": True},
        ["SELECT model_versions",
         "SELECT model_versions",  # the versions to archive
         "UPDATE model_versions", "UPDATE model_versions", "UPDATE registered_models",
         "SELECT model_versions",  # the moved and archived versions as they are now
         "INSERT activities"]),  # the transition and each archiving, in one statement
    "set_alias": (
        {"name": "fraud", "alias": "champion", "version": 2},
        ["SELECT model_versions",
         "SELECT model_aliases",  # where the alias pointed before
         "INSERT model_aliases",
         "UPDATE registered_models",
         "INSERT activities"]),
}


PLAYED_AS = {"create_version_creating_the_model_if_missing": "create_version"}  # else the key is the operation


@pytest.mark.parametrize("name", WRITES)
def test_each_write_runs_its_few_statements_and_reads_nothing_back(gql, store, registered, count_statements, name):
    variables, expected = WRITES[name]
    with count_statements() as statements:
        ok(gql.play(PLAYED_AS.get(name, name), **variables))
    assert [_verb_and_table(s) for s in statements] == expected, statements
    locks = [s for s in statements if "pg_advisory_xact_lock" in s]
    assert len(locks) == (0 if store.is_sqlite else 1) and all("INSERT" in s for s in locks)


def test_rows_beyond_a_statements_parameter_limit_are_inserted_in_several_statements(store):
    """SQLite builds before 3.32 allow 999 parameters a statement (and later ones 32,766):
    a version's 400 tags (1,200 values) and 100 activities (1,400) must still be written."""
    if not store.is_sqlite:
        pytest.skip("PostgreSQL's limit, 65,535, is the protocol's; the same chunking serves it")
    import sqlite3

    from resolvers import changes
    from resolvers.access import Viewer
    from store import writes
    from store.queries import model_by_name
    from store.tables import Activity, ModelVersionTag

    def write_many(change):
        model = models_create(change)
        version = writes.insert_version(model, {
            "model": model.id, "version": writes.take_version_number(model, change.at), "source": "s3://b/1",
            "download_uri": "s3://b/1", "status": "READY", "stage": "NONE", "created_at": change.at,
            "updated_at": change.at})
        writes.insert_many(ModelVersionTag, [{"version": version.id, "key": f"k{n}", "value": "v"} for n in range(400)])
        for n in range(100):
            change.record("MODEL_VERSION_TAG_SET", model, version, key=f"k{n}", value={"before": None, "after": "v"})

    def models_create(change):
        from resolvers import models
        models.create(change, "many", None, [])
        return model_by_name("many")

    with store.db.connection_context():
        connection = store.db.connection()
        before = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        try:
            with store.db.atomic():
                changes.apply(write_many, Viewer("tester", is_admin=True))
        finally:
            connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
        assert ModelVersionTag.select().count() == 400
        assert Activity.select().where(Activity.type == "MODEL_VERSION_TAG_SET").count() == 100
