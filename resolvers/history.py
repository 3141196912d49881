"""Reading the activity log: per model, per version and registry-wide, newest first."""
from peewee import SQL, fn

from resolvers.access import CAN_MANAGE, Viewer, models_at, readable_models
from resolvers.paging import (
    Page,
    SortKey,
    cursor_condition,
    cut_page,
    page_request,
    scan_keys,
)
from resolvers.search import Search, pages_by_parent
from store.statements import any_of
from store.tables import Activity, RegisteredModel

NEWEST_FIRST = (SortKey("ID", Activity.id, lambda a: a.id, int, descending=True),)


def activity_search(types, first: int | None, after: str | None, model_name: str | None = None) -> Search:
    spec = {"types": sorted(set(types))} if types else {}
    if model_name is not None:
        spec["modelName"] = model_name
    return Search(spec, NEWEST_FIRST, page_request(first, after, None, None, NEWEST_FIRST))


def _condition(spec: dict):
    condition = SQL("1 = 1")
    if spec.get("types"):
        condition &= Activity.type.in_(spec["types"])
    if "modelName" in spec:
        # The model now called so, under every name it had; or, when none is, the whole
        # history of each deleted model that was ever called so.
        name = spec["modelName"]
        current = RegisteredModel.select(RegisteredModel.id).where(RegisteredModel.name == name)
        former = Activity.select(Activity.model_id).where(Activity.model_name == name)
        condition &= (Activity.model_id.in_(current) | (~fn.EXISTS(current) & Activity.model_id.in_(former)))
    return condition


def visible_activities(viewer: Viewer):
    """Activities of models the viewer may read (a deleted model's, only where every model
    is readable) — but who was granted what only to those who manage the model, as
    `permissions` itself — and activities about accounts to their actor and admins."""
    about_accounts = Activity.model_id.is_null()
    if not viewer.is_admin:
        about_accounts &= Activity.actor == viewer.name
    about_models = Activity.model_id.is_null(False) & readable_models(viewer, Activity.model_id)
    about_models &= (Activity.type != "PERMISSION_CHANGED") | models_at(viewer, CAN_MANAGE, Activity.model_id)
    return about_models | about_accounts


def visible_ids(activity_ids: list[int], viewer: Viewer) -> dict[int, bool]:
    """Which of the activities the viewer may see (one statement)."""
    seen = {i for (i,) in Activity.select(Activity.id).where(
        any_of(Activity.id, activity_ids) & visible_activities(viewer)).tuples()}
    return {i: i in seen for i in activity_ids}


def _visible(search: Search, viewer: Viewer):
    return _condition(search.filter_spec) & visible_activities(viewer)


def activities_page(search: Search, viewer: Viewer) -> Page:
    keys = scan_keys(search.keys, search.request)
    query = (Activity.select()
             .where(_visible(search, viewer) & cursor_condition(search.keys, search.request))
             .order_by(*[k.ordering for k in keys]).limit(search.request.limit + 1))
    return cut_page(list(query), search.request)


def count_activities(search: Search, viewer: Viewer) -> int:
    return Activity.select().where(_visible(search, viewer)).count()


def activities_pages_by_model(model_ids: list[int], search: Search, viewer: Viewer) -> dict[int, Page]:
    return pages_by_parent(Activity.select(), Activity.id, Activity.model_id, lambda a: a.model_id, model_ids,
                           _visible(search, viewer), search)


def activities_pages_by_version(version_ids: list[int], search: Search, viewer: Viewer) -> dict[int, Page]:
    return pages_by_parent(Activity.select(), Activity.id, Activity.version_id, lambda a: a.version_id,
                           version_ids, _visible(search, viewer), search)


def _counts(parent_column, parent_ids: list[int], search: Search, viewer: Viewer) -> dict[int, int]:
    query = (Activity.select(parent_column, fn.COUNT(Activity.id))
             .where(any_of(parent_column, parent_ids) & _visible(search, viewer))
             .group_by(parent_column).tuples())
    return dict(query)


def count_activities_by_model(model_ids: list[int], search: Search, viewer: Viewer) -> dict[int, int]:
    return _counts(Activity.model_id, model_ids, search, viewer)


def count_activities_by_version(version_ids: list[int], search: Search, viewer: Viewer) -> dict[int, int]:
    return _counts(Activity.version_id, version_ids, search, viewer)
