"""Reading the activity log: per model, per version and registry-wide, newest first.

Who sees what: activities of models the viewer may read (a deleted model's only where
every model is readable), but who was granted what only to those who manage the model,
as `permissions` itself; activities about accounts to their actor and admins. The SQL is
in store/pages.py.
"""
from resolvers.access import CAN_MANAGE, CAN_READ, Viewer, reach
from resolvers.paging import SortKey, page_request
from resolvers.search import Search
from store import pages
from store.pages import ActivityScope, Page

# The order of store/pages.py's activity pages, as cursors spell it.
NEWEST_FIRST = (SortKey("ID", lambda a: a.id, int, descending=True),)


def activity_spec(types, model_name: str | None = None) -> dict:
    """What activities are wanted: of some types, of the model called so."""
    spec: dict = {"types": sorted(set(types))} if types else {}
    if model_name is not None:
        spec["modelName"] = model_name
    return spec


def activity_search(types, first: int | None, after: str | None, model_name: str | None = None) -> Search:
    return Search(activity_spec(types, model_name), NEWEST_FIRST, page_request(first, after, None, None, NEWEST_FIRST))


def scope(viewer: Viewer) -> ActivityScope:
    return ActivityScope(read=reach(viewer, CAN_READ), manage=reach(viewer, CAN_MANAGE),
                         every_account=viewer.is_admin, actor=viewer.name)


def visible_ids(activity_ids: list[int], viewer: Viewer) -> dict[int, bool]:
    """Which of the activities the viewer may see (one statement)."""
    return pages.visible_activity_ids(activity_ids, scope(viewer))


def activities_page(search: Search, viewer: Viewer) -> Page:
    return pages.activities_page(search.filter_spec, search.request, scope(viewer))


def count_activities(search: Search, viewer: Viewer) -> int:
    return pages.count_activities(search.filter_spec, scope(viewer))


def activities_pages_by_model(model_ids: list[int], search: Search, viewer: Viewer) -> dict[int, Page]:
    return pages.activities_pages("model", model_ids, search.filter_spec, search.request, scope(viewer))


def activities_pages_by_version(version_ids: list[int], search: Search, viewer: Viewer) -> dict[int, Page]:
    return pages.activities_pages("version", version_ids, search.filter_spec, search.request,
                                  scope(viewer))


def count_activities_by_model(model_ids: list[int], search: Search, viewer: Viewer) -> dict[int, int]:
    return pages.count_activities_by("model", model_ids, search.filter_spec, scope(viewer))


def count_activities_by_version(version_ids: list[int], search: Search, viewer: Viewer) -> dict[int, int]:
    return pages.count_activities_by("version", version_ids, search.filter_spec, scope(viewer))
