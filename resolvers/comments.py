"""Comments on versions: the review discussion."""
from resolvers import lookups, validation
from resolvers.changes import Change
from resolvers.errors import invalid, not_found
from resolvers.global_ids import to_global_id
from store.queries import versions_by_ids
from store.tables import Comment

ID = ("input", "id")


def _body(body: str) -> str:
    if not body.strip():
        raise invalid("A comment must not be empty.", "input", "body")
    return validation.text(body, "comment", "input", "body")


def _existing(comment_id: int | None) -> Comment:
    comment = Comment.get_or_none(Comment.id == comment_id) if comment_id else None
    if comment is None:
        raise not_found("Comment not found.", *ID)
    return comment


def create(change: Change, name: str, number: int, body: str) -> Comment:
    _body(body)
    version = lookups.version(name, number)
    comment = Comment.create(version=version.id, body=body, created_by=change.actor, created_at=change.at,
                             updated_at=change.at)
    change.record("COMMENT_CREATED", version.model, version, comment=body, commentId=to_global_id("Comment", comment.id))
    return comment


def update(change: Change, comment_id: int | None, body: str) -> Comment:
    _body(body)
    comment = _existing(comment_id)
    before = comment.body
    Comment.update(body=body, updated_at=change.at).where(Comment.id == comment.id).execute()
    comment.body, comment.updated_at = body, change.at
    version = versions_by_ids([comment.version_id])[comment.version_id]
    change.record("COMMENT_UPDATED", version.model, version, comment=body, commentId=to_global_id("Comment", comment.id),
                  body={"before": before, "after": body})
    return comment


def delete(change: Change, comment_id: int | None) -> int:
    comment = _existing(comment_id)
    Comment.delete().where(Comment.id == comment.id).execute()
    version = versions_by_ids([comment.version_id])[comment.version_id]
    change.record("COMMENT_DELETED", version.model, version, commentId=to_global_id("Comment", comment.id),
                  body={"before": comment.body})
    return comment.id
