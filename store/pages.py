"""What a page, a count and a page per parent cost in SQL: the searches', the activity
log's and the review inbox's queries, each one statement.

Pages are keyset (cursor) pages in a total, stable order. A cursor holds the row's values
of every sort key, so the next page starts with a WHERE over those keys that an index
serves: page 1000 costs what page 1 costs, and a row inserted or deleted meanwhile never
shifts a page.
"""
import json
from dataclasses import dataclass
from typing import Callable

from peewee import SQL, fn

from store.filters import model_filter, version_filter
from store.permissions import Reach, within
from store.queries import read_models, read_versions, version_rows
from store.statements import any_of
from store.tables import Activity, ModelVersion, RegisteredModel, TransitionRequest

# The columns each sort key (by its name in the API) orders by.
MODEL_COLUMNS = {"NAME": RegisteredModel.name, "CREATED_AT": RegisteredModel.created_at,
                 "UPDATED_AT": RegisteredModel.updated_at}
VERSION_COLUMNS = {"NAME": RegisteredModel.name, "VERSION": ModelVersion.version,
                   "CREATED_AT": ModelVersion.created_at, "UPDATED_AT": ModelVersion.updated_at}
ACTIVITY_COLUMNS = {"ID": Activity.id}

Order = tuple[tuple[str, bool], ...]  # (sort key name, descending) from the first key to the last


@dataclass(frozen=True)
class PageRequest:
    """`limit` rows after (or, `backwards`, before) the row whose sort-key values are
    `cursor`; from the start (or the end) without one."""

    limit: int
    cursor: list | None
    backwards: bool
    has_cursor: bool

    @property
    def key(self) -> tuple:
        return (self.limit, json.dumps(self.cursor), self.backwards)


@dataclass
class Page:
    rows: list
    has_next: bool
    has_previous: bool


def cut_page(rows: list, request: PageRequest) -> Page:
    """`rows` were read in scan order, one more than wanted when there is more."""
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    if request.backwards:
        rows.reverse()
        return Page(rows, has_next=request.has_cursor, has_previous=more)
    return Page(rows, has_next=more, has_previous=request.has_cursor)


def _scan(columns: dict, order: Order, request: PageRequest) -> list[tuple]:
    """(column, descending) in the order rows are read: reversed when paging backwards."""
    return [(columns[name], descending != request.backwards) for name, descending in order]


def _orderings(scan: list[tuple]) -> list:
    return [column.desc() if descending else column.asc() for column, descending in scan]


def after_condition(scan: list[tuple], values: list):
    """Rows strictly after `values` in the order of `scan`."""
    alternatives = None
    for i, (column, descending) in enumerate(scan):
        clause = column < values[i] if descending else column > values[i]
        for (earlier, _), value in zip(scan[:i], values[:i]):
            clause = (earlier == value) & clause
        alternatives = clause if alternatives is None else alternatives | clause
    if alternatives is None:
        return SQL("1 = 1")
    # Implied by the alternatives, but in a form an index range scan can start from, so
    # a page deep into the order costs what the first one does.
    first, descending = scan[0]
    return (first <= values[0] if descending else first >= values[0]) & alternatives


def _after_cursor(scan: list[tuple], request: PageRequest):
    return SQL("1 = 1") if request.cursor is None else after_condition(scan, request.cursor)


def _page(query, condition, columns: dict, order: Order, request: PageRequest, read: Callable = list) -> Page:
    scan = _scan(columns, order, request)
    query = query.where(condition & _after_cursor(scan, request)).order_by(*_orderings(scan))
    return cut_page(read(query.limit(request.limit + 1)), request)


def _pages_by_parent(rows, row_id, parent_column, parent_of: Callable, parent_ids: list[int], condition,
                     columns: dict, order: Order, request: PageRequest, read: Callable = list) -> dict[int, Page]:
    """One page of rows for each of many parents, in one statement: the rows are numbered
    within each parent (a window) and the first `limit + 1` of each are kept."""
    scan = _scan(columns, order, request)
    position = fn.ROW_NUMBER().over(partition_by=[parent_column], order_by=_orderings(scan))
    ranked = (rows.select(row_id, position.alias("position"))
              .where(any_of(parent_column, parent_ids) & condition & _after_cursor(scan, request))
              .alias("ranked"))
    query = (rows.join(ranked, on=(row_id == ranked.c.id))
             .where(ranked.c.position <= request.limit + 1)
             .order_by(parent_column, ranked.c.position))
    grouped: dict[int, list] = {parent_id: [] for parent_id in parent_ids}
    for row in read(query):
        grouped[parent_of(row)].append(row)
    return {parent_id: cut_page(found, request) for parent_id, found in grouped.items()}


# ---- registered models and model versions ---------------------------------------------

def models_page(spec: dict, order: Order, request: PageRequest, reach: Reach) -> Page:
    condition = model_filter.compile(spec) & within(reach)
    return _page(RegisteredModel.select(), condition, MODEL_COLUMNS, order, request, read_models)


def count_models(spec: dict, reach: Reach) -> int:
    return RegisteredModel.select().where(model_filter.compile(spec) & within(reach)).count()


def versions_page(spec: dict, order: Order, request: PageRequest, reach: Reach) -> Page:
    condition = version_filter.compile(spec) & within(reach, ModelVersion.model)
    return _page(version_rows(), condition, VERSION_COLUMNS, order, request, read_versions)


def count_versions(spec: dict, reach: Reach) -> int:
    if not spec:
        # Every reachable version: a sum of the models' maintained counters, not a count of
        # every version row (1,000,000 versions: ~6 ms instead of ~130 ms on PostgreSQL).
        total = RegisteredModel.select(fn.SUM(RegisteredModel.version_count)).where(within(reach))
        return total.scalar() or 0
    return version_rows().where(version_filter.compile(spec) & within(reach, ModelVersion.model)).count()


def versions_pages(model_ids: list[int], spec: dict, order: Order, request: PageRequest) -> dict[int, Page]:
    """A page of versions for each model."""
    return _pages_by_parent(version_rows().switch(ModelVersion), ModelVersion.id, ModelVersion.model,
                            lambda v: v.model_id, model_ids, version_filter.compile(spec), VERSION_COLUMNS, order,
                            request, read_versions)


def count_versions_by_model(model_ids: list[int], spec: dict) -> dict[int, int]:
    if not spec:
        counted = RegisteredModel.select(RegisteredModel.id, RegisteredModel.version_count)
        return dict(counted.where(any_of(RegisteredModel.id, model_ids)).tuples())
    query = (version_rows().select(ModelVersion.model, fn.COUNT(ModelVersion.id))
             .where(any_of(ModelVersion.model, model_ids) & version_filter.compile(spec))
             .group_by(ModelVersion.model).tuples())
    return dict(query)


# ---- the activity log -------------------------------------------------------------------

NEWEST_FIRST: Order = (("ID", True),)


@dataclass(frozen=True)
class ActivityScope:
    """The activities a caller sees: those of models in `read` (a deleted model's only
    when `read` is every model), of which permission changes only on models in `manage`;
    and activities about accounts, all of them (`every_account`) or those `actor` made."""

    read: Reach
    manage: Reach
    every_account: bool
    actor: str | None


# The activities after which a name may stand for other models than before: what a
# stream following a model by name must look at again (see _called).
NAMING_TYPES = frozenset({"REGISTERED_MODEL_CREATED", "REGISTERED_MODEL_RENAMED", "REGISTERED_MODEL_DELETED"})


def _called(name: str):
    """Which models an activity filter by name means: the model now called so, under
    every name it had; or, when none is, each model that was ever called so (a deleted
    model's whole history). As queries: (the current model, the former ones)."""
    current = RegisteredModel.select(RegisteredModel.id).where(RegisteredModel.name == name)
    former = Activity.select(Activity.model_id).where(Activity.model_name == name)
    return current, former


def model_ids_called(name: str) -> frozenset[int]:
    """The ids of the models `name` means to an activity filter now (see _called). It
    changes only with an activity of NAMING_TYPES."""
    current, former = _called(name)
    model_id = current.scalar()
    if model_id is not None:
        return frozenset({model_id})
    return frozenset(i for (i,) in former.distinct().tuples() if i is not None)


def _activity_condition(spec: dict):
    condition = SQL("1 = 1")
    if spec.get("types"):
        condition &= Activity.type.in_(spec["types"])
    if "modelName" in spec:
        current, former = _called(spec["modelName"])
        condition &= (Activity.model_id.in_(current) | (~fn.EXISTS(current) & Activity.model_id.in_(former)))
    return condition


def _visible(scope: ActivityScope):
    about_accounts = Activity.model_id.is_null()
    if not scope.every_account:
        about_accounts &= Activity.actor == scope.actor
    about_models = Activity.model_id.is_null(False) & within(scope.read, Activity.model_id)
    about_models &= (Activity.type != "PERMISSION_CHANGED") | within(scope.manage, Activity.model_id)
    return about_models | about_accounts


def visible_activity_ids(activity_ids: list[int], scope: ActivityScope) -> dict[int, bool]:
    """Which of the activities are in scope (one statement)."""
    seen = {i for (i,) in Activity.select(Activity.id).where(
        any_of(Activity.id, activity_ids) & _visible(scope)).tuples()}
    return {i: i in seen for i in activity_ids}


def activities_page(spec: dict, request: PageRequest, scope: ActivityScope) -> Page:
    condition = _activity_condition(spec) & _visible(scope)
    return _page(Activity.select(), condition, ACTIVITY_COLUMNS, NEWEST_FIRST, request)


def newest_activity_id() -> int:
    """The highest committed activity id (0 for an empty log)."""
    return Activity.select(fn.MAX(Activity.id)).scalar() or 0


def activities_after(after_id: int, through_id: int, spec: dict, scope: ActivityScope, limit: int) -> list:
    """The activities in scope with ids in (after_id, through_id], oldest first, at most
    `limit`: a live stream's next batch."""
    query = (Activity.select()
             .where((Activity.id > after_id) & (Activity.id <= through_id) & _activity_condition(spec) & _visible(scope))
             .order_by(Activity.id).limit(limit))
    return list(query)


def count_activities(spec: dict, scope: ActivityScope) -> int:
    return Activity.select().where(_activity_condition(spec) & _visible(scope)).count()


# What a page of activities per parent is grouped by.
ACTIVITY_PARENTS = {"model": Activity.model_id, "version": Activity.version_id}


def activities_pages(parent: str, parent_ids: list[int], spec: dict, request: PageRequest,
                     scope: ActivityScope) -> dict[int, Page]:
    """A page of activities for each model or version (`parent`)."""
    column = ACTIVITY_PARENTS[parent]
    return _pages_by_parent(Activity.select(), Activity.id, column, lambda a: getattr(a, column.name), parent_ids,
                            _activity_condition(spec) & _visible(scope), ACTIVITY_COLUMNS, NEWEST_FIRST, request)


def count_activities_by(parent: str, parent_ids: list[int], spec: dict, scope: ActivityScope) -> dict[int, int]:
    column = ACTIVITY_PARENTS[parent]
    query = (Activity.select(column, fn.COUNT(Activity.id))
             .where(any_of(column, parent_ids) & _activity_condition(spec) & _visible(scope))
             .group_by(column).tuples())
    return dict(query)


# ---- the review inbox -------------------------------------------------------------------

def requests_page(status: str | None, before_id: int | None, limit: int, reach: Reach) -> list:
    """Transition requests on models in reach, newest first, older than `before_id`."""
    query = TransitionRequest.select().where(within(reach, TransitionRequest.model))
    if status is not None:
        query = query.where(TransitionRequest.status == status)
    if before_id is not None:
        query = query.where(TransitionRequest.id < before_id)
    return list(query.order_by(TransitionRequest.id.desc()).limit(limit))
