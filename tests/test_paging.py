"""Ordering and cursor paging (REFERENCE.md "Search", "Names and values": page size) on
registeredModels, modelVersions and RegisteredModel.versions, over HTTP.

Rows with equal timestamps (to exercise the tie-breakers) are made by one mutation that
changes many rows at once (archiveExistingVersions) or, for models, by setting the
stored timestamps directly: the API has no way to give two models the same instant.
"""
import base64
import json
from datetime import datetime

import pytest

from store.tables import ModelVersion, RegisteredModel

MODELS = """
query($first: Int, $after: String, $last: Int, $before: String, $orderBy: [RegisteredModelOrder!],
      $filter: RegisteredModelFilter, $query: String) {
  registeredModels(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy,
                   filter: $filter, query: $query) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name createdAt updatedAt } }
  }
}"""

VERSIONS = """
query($first: Int, $after: String, $last: Int, $before: String, $orderBy: [ModelVersionOrder!],
      $filter: ModelVersionFilter, $query: String) {
  modelVersions(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy,
                filter: $filter, query: $query) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name version createdAt updatedAt } }
  }
}"""

MODEL_VERSIONS = """
query($name: String!, $first: Int, $after: String, $last: Int, $before: String,
      $orderBy: [ModelVersionOrder!], $filter: ModelVersionFilter) {
  registeredModel(name: $name) {
    versions(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { name version createdAt updatedAt } }
    }
  }
}"""

EVERY_MODEL_VERSIONS = """
query($first: Int, $last: Int, $orderBy: [ModelVersionOrder!], $filter: ModelVersionFilter) {
  registeredModels(first: 1000) {
    nodes {
      name
      versions(first: $first, last: $last, orderBy: $orderBy, filter: $filter) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage }
        nodes { name version }
      }
    }
  }
}"""


def create_models(gql, names):
    gql.batch("createRegisteredModel", "CreateRegisteredModelInput", [{"name": n} for n in names])


def create_versions(gql, name, count):
    gql.batch("createModelVersion", "CreateModelVersionInput",
              [{"name": name, "source": f"s3://b/{name}/{i}", "createModelIfMissing": True} for i in range(count)])


def connection(gql, document, **variables) -> dict:
    value = gql.payload(document, **variables)
    return value["versions"] if document is MODEL_VERSIONS else value


def key(node) -> tuple:
    return (node["name"], node["version"]) if "version" in node else node["name"]


def check_page(page, total):
    edges = page["edges"]
    info = page["pageInfo"]
    assert page["totalCount"] == total
    assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
    assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)


def walk_forward(gql, document, size, **variables) -> list:
    """Every row, page by page with first/after; checks pageInfo and totalCount on each page."""
    everything = connection(gql, document, first=1000, **variables)
    total = everything["totalCount"]
    seen, after, pages = [], None, 0
    while True:
        page = connection(gql, document, first=size, after=after, **variables)
        check_page(page, total)
        assert page["pageInfo"]["hasPreviousPage"] == (pages > 0 and total > 0)
        seen += [key(e["node"]) for e in page["edges"]]
        pages += 1
        assert pages <= total + 1, "paging does not end"
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert len(page["edges"]) == size
        after = page["pageInfo"]["endCursor"]
    assert seen == [key(e["node"]) for e in everything["edges"]]
    assert len(seen) == len(set(seen)) == total
    return seen


def walk_backward(gql, document, size, **variables) -> list:
    """Every row, page by page with last/before, returned in forward order."""
    total = connection(gql, document, first=1000, **variables)["totalCount"]
    pages_seen, before, pages = [], None, 0
    while True:
        page = connection(gql, document, last=size, before=before, **variables)
        check_page(page, total)
        assert page["pageInfo"]["hasNextPage"] == (pages > 0 and total > 0)
        pages_seen.insert(0, [key(e["node"]) for e in page["edges"]])
        pages += 1
        assert pages <= total + 1, "paging does not end"
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        assert len(page["edges"]) == size
        before = page["pageInfo"]["startCursor"]
    seen = [row for rows in pages_seen for row in rows]
    assert len(seen) == len(set(seen)) == total
    return seen


def ms(value: str) -> int:
    return round(datetime.fromisoformat(value).timestamp() * 1000)


def sort_value(node, field):
    return {"NAME": lambda: node["name"], "VERSION": lambda: node["version"],
            "CREATED_AT": lambda: ms(node["createdAt"]), "UPDATED_AT": lambda: ms(node["updatedAt"])}[field]()


def assert_total_order(nodes, field, descending):
    """Sorted on `field` in that direction; ties broken by name (ascending), then by version
    in one consistent direction."""
    version_directions = set()
    for a, b in zip(nodes, nodes[1:]):
        va, vb = sort_value(a, field), sort_value(b, field)
        if va != vb:
            assert (va > vb) if descending else (va < vb), (field, a, b)
            continue
        assert a["name"] <= b["name"], ("tie not broken by name", field, a, b)
        if a["name"] == b["name"]:
            assert a["version"] != b["version"]
            version_directions.add(a["version"] < b["version"])
    assert len(version_directions) <= 1, "ties broken by version in both directions"


def set_model_times(store, times: dict[str, tuple[int, int]]):
    with store.db.connection_context():
        for name, (created, updated) in times.items():
            RegisteredModel.update(created_at=created, updated_at=updated).where(RegisteredModel.name == name).execute()


# ---- ordering ---------------------------------------------------------------

BASE = 1_700_000_000_000
# name: (createdAt offset, updatedAt offset); many ties on both.
MODEL_TIMES = {"m-a": (3, 1), "m-b": (1, 5), "m-c": (2, 1), "m-d": (1, 2), "m-e": (3, 5),
               "m-f": (2, 1), "m-g": (1, 9), "m-h": (4, 2), "m-i": (2, 5)}


@pytest.fixture
def tied_models(gql, store):
    create_models(gql, list(MODEL_TIMES))
    set_model_times(store, {n: (BASE + c, BASE + 10 + u) for n, (c, u) in MODEL_TIMES.items()})


def expected_models(field, descending):
    position = {"NAME": lambda n: 0, "CREATED_AT": lambda n: MODEL_TIMES[n][0], "UPDATED_AT": lambda n: MODEL_TIMES[n][1]}
    sign = -1 if descending else 1
    if field == "NAME":
        return sorted(MODEL_TIMES, reverse=descending)
    return sorted(MODEL_TIMES, key=lambda n: (sign * position[field](n), n))


@pytest.mark.parametrize("field", ["NAME", "CREATED_AT", "UPDATED_AT"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_models_order_is_total_and_pages_visit_each_once(gql, tied_models, field, direction):
    """Sorted by the field, ties by name; forward and backward paging visit every model once."""
    order = [{"field": field, "direction": direction}]
    expected = expected_models(field, direction == "DESC")
    nodes = [e["node"] for e in connection(gql, MODELS, first=1000, orderBy=order)["edges"]]
    assert [n["name"] for n in nodes] == expected
    assert_total_order(nodes, field, direction == "DESC")
    for size in (1, 2, 4):
        assert walk_forward(gql, MODELS, size, orderBy=order) == expected
        assert walk_backward(gql, MODELS, size, orderBy=order) == expected


def test_models_default_order_is_by_name(gql):
    create_models(gql, ["m-c", "m-a", "m-b"])
    assert [e["node"]["name"] for e in connection(gql, MODELS)["edges"]] == ["m-a", "m-b", "m-c"]


def test_direction_defaults_to_ascending(gql, tied_models):
    nodes = connection(gql, MODELS, orderBy=[{"field": "CREATED_AT"}])["edges"]
    assert [e["node"]["name"] for e in nodes] == expected_models("CREATED_AT", False)


@pytest.fixture
def tied_versions(gql, store):
    """v-a 1..5, v-b 1..3, v-c 1..3. v-a 1-4 archived by one transition (one updatedAt);
    createdAt forced onto three instants shared across models."""
    for name, count in (("v-a", 5), ("v-b", 3), ("v-c", 3)):
        create_versions(gql, name, count)
    gql.batch("transitionModelVersionStage", "TransitionModelVersionStageInput",
              [{"name": "v-a", "version": v, "stage": "PRODUCTION"} for v in (1, 2, 3, 4)]
              + [{"name": "v-a", "version": 5, "stage": "PRODUCTION", "archiveExistingVersions": True},
                 {"name": "v-b", "version": 1, "stage": "STAGING"},
                 {"name": "v-b", "version": 3, "stage": "STAGING", "archiveExistingVersions": True}])
    with store.db.connection_context():
        for version in ModelVersion.select():
            ModelVersion.update(created_at=BASE + version.id % 3).where(ModelVersion.id == version.id).execute()
    archived = [e["node"] for e in connection(gql, VERSIONS, query="current_stage = 'archived'")["edges"]]
    assert len(archived) == 5 and len({n["updatedAt"] for n in archived if n["name"] == "v-a"}) == 1


@pytest.mark.parametrize("field", ["NAME", "VERSION", "CREATED_AT", "UPDATED_AT"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_versions_order_is_total_and_pages_visit_each_once(gql, tied_versions, field, direction):
    """Sorted by the field, ties by name then version; forward and backward paging agree
    with the one-page answer and visit every version once."""
    order = [{"field": field, "direction": direction}]
    nodes = [e["node"] for e in connection(gql, VERSIONS, first=1000, orderBy=order)["edges"]]
    assert len(nodes) == 11
    assert_total_order(nodes, field, direction == "DESC")
    expected = [key(n) for n in nodes]
    assert [key(e["node"]) for e in connection(gql, VERSIONS, first=1000, orderBy=order)["edges"]] == expected
    for size in (1, 3, 4):
        assert walk_forward(gql, VERSIONS, size, orderBy=order) == expected
        assert walk_backward(gql, VERSIONS, size, orderBy=order) == expected


def test_versions_order_by_several_keys(gql, tied_versions):
    order = [{"field": "NAME", "direction": "DESC"}, {"field": "VERSION", "direction": "ASC"}]
    nodes = [key(e["node"]) for e in connection(gql, VERSIONS, orderBy=order)["edges"]]
    assert nodes == sorted(sorted(nodes, key=lambda nv: nv[1]), key=lambda nv: nv[0], reverse=True)
    assert walk_forward(gql, VERSIONS, 2, orderBy=order) == nodes
    assert walk_backward(gql, VERSIONS, 2, orderBy=order) == nodes


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_nested_versions_order_and_paging_per_model(gql, tied_versions, direction):
    order = [{"field": "UPDATED_AT", "direction": direction}]
    for name, count in (("v-a", 5), ("v-b", 3), ("v-c", 3)):
        nodes = [e["node"] for e in connection(gql, MODEL_VERSIONS, name=name, orderBy=order)["edges"]]
        assert {n["name"] for n in nodes} == {name} and len(nodes) == count
        assert_total_order(nodes, "UPDATED_AT", direction == "DESC")
        expected = [key(n) for n in nodes]
        assert walk_forward(gql, MODEL_VERSIONS, 2, name=name, orderBy=order) == expected
        assert walk_backward(gql, MODEL_VERSIONS, 2, name=name, orderBy=order) == expected


def test_paging_a_filtered_search(gql, tied_versions):
    """Cursors page a filtered result; totalCount counts the filtered rows on every page."""
    query = "current_stage != 'archived'"
    everything = [key(e["node"]) for e in connection(gql, VERSIONS, query=query)["edges"]]
    assert len(everything) == 6
    assert walk_forward(gql, VERSIONS, 4, query=query) == everything
    assert walk_backward(gql, VERSIONS, 4, query=query) == everything


# ---- pageInfo ---------------------------------------------------------------

def names(page):
    return [e["node"]["name"] for e in page["edges"]]


def flags(page):
    return page["pageInfo"]["hasPreviousPage"], page["pageInfo"]["hasNextPage"]


def test_page_info_forward_and_backward(gql):
    create_models(gql, ["p-1", "p-2", "p-3", "p-4", "p-5"])
    cursor = {e["node"]["name"]: e["cursor"] for e in connection(gql, MODELS)["edges"]}
    cases = [
        (dict(first=2), ["p-1", "p-2"], (False, True)),
        (dict(first=2, after=cursor["p-2"]), ["p-3", "p-4"], (True, True)),
        (dict(first=2, after=cursor["p-4"]), ["p-5"], (True, False)),
        (dict(first=2, after=cursor["p-5"]), [], (True, False)),
        (dict(first=10), ["p-1", "p-2", "p-3", "p-4", "p-5"], (False, False)),
        (dict(last=2), ["p-4", "p-5"], (True, False)),
        (dict(last=2, before=cursor["p-4"]), ["p-2", "p-3"], (True, True)),
        (dict(last=10, before=cursor["p-2"]), ["p-1"], (False, True)),
        (dict(last=10), ["p-1", "p-2", "p-3", "p-4", "p-5"], (False, False)),
        (dict(after=cursor["p-3"]), ["p-4", "p-5"], (True, False)),
        (dict(before=cursor["p-3"]), ["p-1", "p-2"], (False, True)),
    ]
    for variables, expected, expected_flags in cases:
        page = connection(gql, MODELS, **variables)
        assert names(page) == expected, variables
        assert flags(page) == expected_flags, variables
        check_page(page, 5)


def test_edge_cursors_resume_after_their_own_row(gql):
    """Any edge's cursor (not only endCursor) continues right after that edge."""
    create_models(gql, [f"e-{i}" for i in range(6)])
    edges = connection(gql, MODELS, first=4)["edges"]
    for i, edge in enumerate(edges):
        following = [f"e-{j}" for j in range(i + 1, min(i + 3, 6))]
        assert names(connection(gql, MODELS, first=2, after=edge["cursor"])) == following
        assert names(connection(gql, MODELS, last=2, before=edge["cursor"])) == [f"e-{j}" for j in range(max(i - 2, 0), i)]


def test_empty_result_page_info(gql):
    create_models(gql, ["x-1"])
    for document in (MODELS, VERSIONS):
        page = connection(gql, document, query="name = 'nothing'")
        assert page["edges"] == [] and page["totalCount"] == 0
        assert page["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}


def test_total_count_does_not_depend_on_the_page(gql):
    create_models(gql, [f"t-{i}" for i in range(7)] + ["other"])
    first = connection(gql, MODELS, first=2, query="name LIKE 't-%'")
    for variables in (dict(first=1), dict(first=2, after=first["pageInfo"]["endCursor"]), dict(last=3),
                      dict(first=0), dict(first=1000)):
        assert connection(gql, MODELS, query="name LIKE 't-%'", **variables)["totalCount"] == 7, variables
        assert connection(gql, MODELS, **variables)["totalCount"] == 8, variables


def test_unfiltered_version_totals_follow_registrations_copies_and_deletions(gql):
    """Unfiltered totals read per-model counters the mutations keep: they must agree with
    a filtered count (which counts rows) after every kind of change."""
    totals = """query($name: String!) { all: modelVersions(first: 1) { totalCount }
        counted: modelVersions(first: 1, filter: {version: {gte: 1}}) { totalCount }
        registeredModel(name: $name) { versions(first: 1) { totalCount } } }"""

    def agree(name: str, expected: int, of_model: int) -> None:
        data = gql.data(totals, name=name)
        assert data["all"]["totalCount"] == data["counted"]["totalCount"] == expected
        assert data["registeredModel"]["versions"]["totalCount"] == of_model

    for n in range(3):
        gql.play("create_version", name="a", source=f"s3://a/{n}", createModelIfMissing=True)
    agree("a", 3, 3)
    gql.play("copy_version", source={"name": "a", "version": 2}, destination="b")
    agree("b", 4, 1)
    assert gql.mutate("deleteModelVersion", "deletedModelVersionId", name="a", version=1)["userErrors"] == []
    agree("a", 3, 2)
    assert gql.mutate("deleteRegisteredModel", "deletedRegisteredModelId", name="a")["userErrors"] == []
    agree("b", 1, 1)


# ---- bad paging arguments ---------------------------------------------------

ROOTS = {
    "models": (MODELS, {}),
    "versions": (VERSIONS, {}),
    "nested": (MODEL_VERSIONS, {"name": "bad"}),
}


def b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize("root", list(ROOTS))
@pytest.mark.parametrize("cursor", [
    "not-a-cursor", "%%%%", "!!", b64("hello"), b64([1, 2, 3]), b64({"a": 1}), b64(["NAME:A"]),
    b64(["NAME:A", "m-a"]), b64([]),
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
])
@pytest.mark.parametrize("direction", ["after", "before"])
def test_garbage_cursor_is_refused(gql, root, cursor, direction):
    document, variables = ROOTS[root]
    create_versions(gql, "bad", 2)
    gql.invalid(document, direction, **variables, **{direction: cursor})


def forge(cursor: str, values: list) -> str:
    """The cursor with its key values replaced (white box: today's cursor is base64 JSON
    [ordering, values])."""
    ordering, real = json.loads(base64.urlsafe_b64decode(cursor))
    assert len(real) == len(values)
    return b64([ordering, values])


@pytest.mark.parametrize("document, order, values", [
    (MODELS, None, [None]),
    (MODELS, [{"field": "CREATED_AT"}], ["yesterday", "bad"]),
    (MODELS, [{"field": "UPDATED_AT"}], [10 ** 20, "bad"]),
    (VERSIONS, [{"field": "VERSION"}], ["two", "bad"]),
    (VERSIONS, [{"field": "VERSION"}], [10 ** 20, "bad"]),
    (VERSIONS, [{"field": "NAME"}], ["bad", None]),
])
def test_cursor_with_forged_values_is_refused(gql, document, order, values):
    """A cursor whose values do not fit its ordering's keys is not one the API gave out:
    INVALID_ARGUMENT, not an internal error."""
    create_versions(gql, "bad", 2)
    cursor = connection(gql, document, first=1, orderBy=order)["pageInfo"]["endCursor"]
    gql.invalid(document, "after", first=1, orderBy=order, after=forge(cursor, values))


@pytest.mark.parametrize("made_with, used_with", [
    ([{"field": "NAME"}], [{"field": "CREATED_AT"}]),
    ([{"field": "NAME"}], [{"field": "NAME", "direction": "DESC"}]),
    ([{"field": "UPDATED_AT", "direction": "DESC"}], [{"field": "UPDATED_AT"}]),
    ([{"field": "CREATED_AT"}], [{"field": "UPDATED_AT"}]),
    (None, [{"field": "UPDATED_AT"}]),
])
def test_model_cursor_from_another_order_is_refused(gql, made_with, used_with):
    create_models(gql, ["o-1", "o-2", "o-3"])
    page = connection(gql, MODELS, first=1, orderBy=made_with)
    for direction, cursor in (("after", page["pageInfo"]["endCursor"]), ("before", page["pageInfo"]["startCursor"])):
        gql.invalid(MODELS, direction, orderBy=used_with, **{direction: cursor})


@pytest.mark.parametrize("made_with, used_with", [
    ([{"field": "VERSION"}], [{"field": "VERSION", "direction": "DESC"}]),
    ([{"field": "NAME"}], [{"field": "CREATED_AT"}]),
    ([{"field": "CREATED_AT"}], [{"field": "UPDATED_AT"}]),
    (None, [{"field": "UPDATED_AT", "direction": "DESC"}]),
])
def test_version_cursor_from_another_order_is_refused(gql, made_with, used_with):
    create_versions(gql, "bad", 3)
    for document, variables in (ROOTS["versions"], ROOTS["nested"]):
        page = connection(gql, document, first=1, orderBy=made_with, **variables)
        gql.invalid(document, "after", orderBy=used_with, after=page["pageInfo"]["endCursor"], **variables)
        gql.invalid(document, "before", orderBy=used_with, before=page["pageInfo"]["startCursor"], **variables)


def test_cursor_from_another_list_is_refused(gql):
    """A model cursor is no version cursor, and the other way round."""
    create_versions(gql, "bad", 2)
    model_cursor = connection(gql, MODELS, first=1)["pageInfo"]["endCursor"]
    version_cursor = connection(gql, VERSIONS, first=1, orderBy=[{"field": "NAME"}])["pageInfo"]["endCursor"]
    gql.invalid(VERSIONS, "after", after=model_cursor, orderBy=[{"field": "NAME"}])
    gql.invalid(MODEL_VERSIONS, "after", name="bad", after=model_cursor, orderBy=[{"field": "NAME"}])
    gql.invalid(MODELS, "after", after=version_cursor)


@pytest.mark.parametrize("root", list(ROOTS))
@pytest.mark.parametrize("variables, field", [
    (dict(first=2, last=2), None),
    (dict(first=-1), "first"),
    (dict(last=-1), "last"),
    (dict(first=1001), "first"),
    (dict(last=1001), "last"),
])
def test_bad_page_sizes_are_refused(gql, root, variables, field):
    document, extra = ROOTS[root]
    create_versions(gql, "bad", 1)
    gql.invalid(document, field, **extra, **variables)


# ---- page sizes -------------------------------------------------------------

def test_default_page_size_is_50_and_max_is_1000(gql):
    names_ = [f"d-{i:03d}" for i in range(55)]
    create_models(gql, names_)
    create_versions(gql, "d-000", 55)
    for document, variables in ((MODELS, {}), (VERSIONS, {}), (MODEL_VERSIONS, {"name": "d-000"})):
        page = connection(gql, document, **variables)
        assert len(page["edges"]) == 50 and flags(page) == (False, True) and page["totalCount"] == 55
        rest = connection(gql, document, after=page["pageInfo"]["endCursor"], **variables)
        assert len(rest["edges"]) == 5 and flags(rest) == (True, False)
        back = connection(gql, document, before=rest["pageInfo"]["endCursor"], **variables)
        assert len(back["edges"]) == 50 and flags(back) == (True, True)
        assert len(connection(gql, document, last=None, **variables)["edges"]) == 50
        assert len(connection(gql, document, first=1000, **variables)["edges"]) == 55
        assert len(connection(gql, document, last=1000, **variables)["edges"]) == 55


# ---- keyset: changes between pages ------------------------------------------

def delete_models(store, names_):
    with store.db.connection_context():
        RegisteredModel.delete().where(RegisteredModel.name.in_(names_)).execute()


def test_models_inserted_or_deleted_between_pages_forward(gql, store):
    """The next page starts after the cursor's values: rows added before it stay out, rows
    added after it come in, deleted rows (the cursor's own included) do not shift it."""
    create_models(gql, [f"k-{i:02d}" for i in range(1, 11)])
    page = connection(gql, MODELS, first=4)
    assert names(page) == ["k-01", "k-02", "k-03", "k-04"]
    delete_models(store, ["k-04", "k-06", "k-02"])
    create_models(gql, ["k-00", "k-03a", "k-05a", "k-99"])
    seen, after = [], page["pageInfo"]["endCursor"]
    while after:
        page = connection(gql, MODELS, first=4, after=after)
        seen += names(page)
        after = page["pageInfo"]["hasNextPage"] and page["pageInfo"]["endCursor"]
    assert seen == ["k-05", "k-05a", "k-07", "k-08", "k-09", "k-10", "k-99"]


def test_models_inserted_or_deleted_between_pages_backward(gql, store):
    create_models(gql, [f"k-{i:02d}" for i in range(1, 11)])
    page = connection(gql, MODELS, last=4)
    assert names(page) == ["k-07", "k-08", "k-09", "k-10"]
    delete_models(store, ["k-07", "k-05", "k-09"])
    create_models(gql, ["k-99", "k-03a", "k-07a", "k-00"])
    seen, before = [], page["pageInfo"]["startCursor"]
    while before:
        page = connection(gql, MODELS, last=4, before=before)
        seen = names(page) + seen
        before = page["pageInfo"]["hasPreviousPage"] and page["pageInfo"]["startCursor"]
    assert seen == ["k-00", "k-01", "k-02", "k-03", "k-03a", "k-04", "k-06"]


@pytest.mark.parametrize("document, variables", [(VERSIONS, {}), (MODEL_VERSIONS, {"name": "kv"})])
def test_versions_inserted_or_deleted_between_pages(gql, document, variables):
    create_versions(gql, "kv", 8)
    order = [{"field": "VERSION"}]
    page = connection(gql, document, first=3, orderBy=order, **variables)
    assert [e["node"]["version"] for e in page["edges"]] == [1, 2, 3]
    gql.batch("deleteModelVersion", "DeleteModelVersionInput",
              [{"name": "kv", "version": v} for v in (3, 5, 2)])
    create_versions(gql, "kv", 2)
    seen, after = [], page["pageInfo"]["endCursor"]
    while after:
        page = connection(gql, document, first=3, after=after, orderBy=order, **variables)
        seen += [e["node"]["version"] for e in page["edges"]]
        after = page["pageInfo"]["hasNextPage"] and page["pageInfo"]["endCursor"]
    assert seen == [4, 6, 7, 8, 9, 10]


# ---- nested versions --------------------------------------------------------

def test_nested_versions_page_and_count_per_model(gql):
    create_versions(gql, "n-a", 7)
    create_versions(gql, "n-b", 3)
    create_models(gql, ["n-c"])
    order = [{"field": "VERSION"}]

    def per_model(**variables):
        models = gql.data(EVERY_MODEL_VERSIONS, orderBy=order, **variables)["registeredModels"]["nodes"]
        return {m["name"]: ([v["version"] for v in m["versions"]["nodes"]], m["versions"]["totalCount"],
                            flags(m["versions"])) for m in models}

    assert per_model(first=2) == {"n-a": ([1, 2], 7, (False, True)), "n-b": ([1, 2], 3, (False, True)),
                                  "n-c": ([], 0, (False, False))}
    assert per_model(last=2) == {"n-a": ([6, 7], 7, (True, False)), "n-b": ([2, 3], 3, (True, False)),
                                 "n-c": ([], 0, (False, False))}
    assert per_model(first=5, filter={"version": {"gt": 1}}) == {
        "n-a": ([2, 3, 4, 5, 6], 6, (False, True)), "n-b": ([2, 3], 2, (False, False)), "n-c": ([], 0, (False, False))}
    for name, count in (("n-a", 7), ("n-b", 3), ("n-c", 0)):
        expected = [(name, v) for v in range(1, count + 1)]
        assert walk_forward(gql, MODEL_VERSIONS, 2, name=name, orderBy=order) == expected
        assert walk_backward(gql, MODEL_VERSIONS, 3, name=name, orderBy=order) == expected


# ---- keyset, not OFFSET -----------------------------------------------------

def test_paged_requests_use_no_offset(gql, count_statements):
    for name in ("s-a", "s-b", "s-c"):
        create_versions(gql, name, 5)
    model_page = connection(gql, MODELS, first=1)
    version_page = connection(gql, VERSIONS, first=2)
    nested_page = connection(gql, MODEL_VERSIONS, name="s-b", first=2)
    recent = [{"field": "UPDATED_AT", "direction": "DESC"}]
    recent_page = connection(gql, MODELS, first=1, orderBy=recent)
    with count_statements() as statements:
        connection(gql, MODELS, first=1, after=model_page["pageInfo"]["endCursor"])
        connection(gql, MODELS, last=1, before=model_page["pageInfo"]["endCursor"])
        connection(gql, VERSIONS, first=2, after=version_page["pageInfo"]["endCursor"])
        connection(gql, VERSIONS, last=2, before=version_page["pageInfo"]["endCursor"])
        connection(gql, MODEL_VERSIONS, name="s-b", first=2, after=nested_page["pageInfo"]["endCursor"])
        connection(gql, MODELS, first=1, after=recent_page["pageInfo"]["endCursor"], orderBy=recent)
        gql.data(EVERY_MODEL_VERSIONS, first=2)
    assert statements
    assert not [s for s in statements if "OFFSET" in s.upper()], statements
