"""Transition requests: ask for a stage change, then approve, reject or cancel it
(the Databricks workspace registry's review flow)."""
from resolvers import access, following, lookups, validation, versions
from resolvers.changes import Change
from resolvers.errors import RegistryError, not_found
from store import pages
from store.queries import versions_by_ids
from store.tables import ModelVersion, TransitionRequest

ID = ("input", "id")


def create(change: Change, name: str, number: int, stage: str, archive_existing: bool,
           comment: str | None) -> TransitionRequest:
    versions.check_transition(stage, archive_existing, comment)
    version = lookups.version(name, number, viewer=change.viewer)
    if version.stage == stage:
        raise RegistryError("FAILED_PRECONDITION", f"Version {number} of {name!r} is already in {stage}.",
                            ("input", "stage"))
    request = TransitionRequest.create(
        model=version.model_id, version=version.id, from_stage=version.stage, to_stage=stage,
        archive_existing_versions=archive_existing, status="PENDING", comment=comment,
        created_by=change.actor, created_at=change.at)
    following.follow(change.viewer.user_id, version.model)
    change.record("TRANSITION_REQUESTED", version.model, version, from_stage=version.stage, to_stage=stage,
                  comment=comment, request_id=request.id, archiveExistingVersions=archive_existing)
    return request


def _pending(change: Change, request_id: int | None) -> tuple[TransitionRequest, ModelVersion]:
    request = TransitionRequest.get_or_none(TransitionRequest.id == request_id) if request_id else None
    if request is None or access.level_on(change.viewer, request.model_id) < access.CAN_READ:
        raise not_found("Transition request not found.", *ID)
    if request.status != "PENDING":
        raise RegistryError("FAILED_PRECONDITION",
                            f"The request is {request.status}; only PENDING requests can be resolved.", ID)
    return request, versions_by_ids([request.version_id])[request.version_id]


def _require_approver(change: Change, request: TransitionRequest, version: ModelVersion, action: str) -> None:
    """Who may make the move may approve or reject a request for it."""
    level = access.transition_level(version.stage, request.to_stage)
    change.require(version.model, level, f"{action} a move from {version.stage} to {request.to_stage}", ID)


def _close(change: Change, request: TransitionRequest, status: str, comment: str | None) -> None:
    """PENDING -> `status`, once: of two concurrent resolutions, the one that waited finds
    the row no longer PENDING and fails instead of applying the request again."""
    validation.text(comment, "comment", "input", "comment")
    closed = (TransitionRequest
              .update(status=status, resolved_by=change.actor, resolved_at=change.at, resolution_comment=comment)
              .where((TransitionRequest.id == request.id) & (TransitionRequest.status == "PENDING"))
              .execute())
    if not closed:
        raise RegistryError("FAILED_PRECONDITION", "The request was resolved meanwhile; only PENDING requests "
                                                   "can be resolved.", ID)
    request.status, request.resolved_by, request.resolved_at = status, change.actor, change.at
    request.resolution_comment = comment


def approve(change: Change, request_id: int | None, comment: str | None) -> tuple[TransitionRequest, ModelVersion]:
    """Applies the requested transition, with its archive flag, in the same transaction."""
    request, version = _pending(change, request_id)
    _require_approver(change, request, version, "Approving")
    _close(change, request, "APPROVED", comment)
    change.record("TRANSITION_REQUEST_APPROVED", version.model, version, from_stage=request.from_stage,
                  to_stage=request.to_stage, comment=comment, request_id=request.id)
    moved, _ = versions.move(change, version, request.to_stage, request.archive_existing_versions, comment,
                             request.id)
    return request, moved


def reject(change: Change, request_id: int | None, comment: str | None) -> tuple[TransitionRequest, None]:
    request, version = _pending(change, request_id)
    _require_approver(change, request, version, "Rejecting")
    _close(change, request, "REJECTED", comment)
    change.record("TRANSITION_REQUEST_REJECTED", version.model, version, from_stage=request.from_stage,
                  to_stage=request.to_stage, comment=comment, request_id=request.id)
    return request, None


def cancel(change: Change, request_id: int | None, comment: str | None) -> tuple[TransitionRequest, None]:
    """Only the requester (or an admin) may cancel a request."""
    request, version = _pending(change, request_id)
    if request.created_by != change.actor and not change.viewer.is_admin:
        raise RegistryError("PERMISSION_DENIED", "Only the requester may cancel a transition request.", ID)
    _close(change, request, "CANCELLED", comment)
    change.record("TRANSITION_REQUEST_CANCELLED", version.model, version, from_stage=request.from_stage,
                  to_stage=request.to_stage, comment=comment, request_id=request.id)
    return request, None


def inbox(viewer: access.Viewer, status: str | None, before_id: int | None, limit: int) -> list[TransitionRequest]:
    """Requests across the models the viewer can read, newest first, after the one last seen."""
    return pages.requests_page(status, before_id, limit, access.readable(viewer))
