"""Comments on versions: the review discussion."""
from resolvers import access, lookups, validation
from resolvers.changes import Change
from resolvers.errors import invalid, not_found
from resolvers.global_ids import to_global_id
from store.queries import versions_by_ids
from store.tables import Comment, ModelVersion

ID = ("input", "id")


def _body(body: str) -> str:
    if not body.strip():
        raise invalid("A comment must not be empty.", "input", "body")
    return validation.text(body, "comment", "input", "body")


def _own(change: Change, comment_id: int | None, action: str) -> tuple[Comment, ModelVersion]:
    """A comment its author (or a CAN_MANAGE holder) may change; NOT_FOUND when unreadable."""
    comment = Comment.get_or_none(Comment.id == comment_id) if comment_id else None
    version = comment and versions_by_ids([comment.version_id])[comment.version_id]
    if comment is None or access.level_on(change.viewer, version.model_id) < access.CAN_READ:
        raise not_found("Comment not found.", *ID)
    if comment.created_by != change.actor:
        change.require(version.model, access.CAN_MANAGE, f"{action} another's comment", ID)
    return comment, version


def create(change: Change, name: str, number: int, body: str) -> Comment:
    _body(body)
    version = lookups.version(name, number, viewer=change.viewer)
    comment = Comment.create(version=version.id, body=body, created_by=change.actor, created_at=change.at,
                             updated_at=change.at)
    change.record("COMMENT_CREATED", version.model, version, comment=body, commentId=to_global_id("Comment", comment.id))
    return comment


def update(change: Change, comment_id: int | None, body: str) -> Comment:
    _body(body)
    comment, version = _own(change, comment_id, "Editing")
    before = comment.body
    Comment.update(body=body, updated_at=change.at).where(Comment.id == comment.id).execute()
    comment.body, comment.updated_at = body, change.at
    change.record("COMMENT_UPDATED", version.model, version, comment=body, commentId=to_global_id("Comment", comment.id),
                  body={"before": before, "after": body})
    return comment


def delete(change: Change, comment_id: int | None) -> int:
    comment, version = _own(change, comment_id, "Deleting")
    Comment.delete().where(Comment.id == comment.id).execute()
    change.record("COMMENT_DELETED", version.model, version, commentId=to_global_id("Comment", comment.id),
                  body={"before": comment.body})
    return comment.id
