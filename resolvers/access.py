"""Who may do what: Databricks permission levels per model (REFERENCE.md, Permissions).

A viewer's level on a model is the highest of: the deployment's default level for
signed-in users, and the grants to the viewer's name or any of its groups. Admins hold
CAN_MANAGE everywhere. A model the viewer cannot read is indistinguishable from a
missing one: NOT_FOUND, never PERMISSION_DENIED.
"""
from dataclasses import dataclass

from resolvers.errors import RegistryError, not_found
from store import permissions
from store.permissions import EVERY_MODEL, Reach
from store.tables import RegisteredModel

LEVELS = ["NO_PERMISSIONS", "CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS",
          "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE"]
NO_PERMISSIONS, CAN_READ, CAN_EDIT, CAN_MANAGE_STAGING, CAN_MANAGE_PRODUCTION, CAN_MANAGE = range(len(LEVELS))
STAGING_STAGES = ("NONE", "STAGING", "ARCHIVED")


@dataclass(frozen=True)
class Viewer:
    """The caller. `name` None is nobody (no valid token where one is required)."""

    name: str | None
    is_admin: bool = False
    groups: tuple[str, ...] = ()
    user_id: int | None = None
    default_level: int = CAN_READ

    @property
    def principals(self) -> tuple[str, ...]:
        return (self.name, *self.groups) if self.name else ()

    @property
    def reads_everything(self) -> bool:
        # Nobody (no valid token) reads nothing, whatever the default for signed-in users.
        return self.is_admin or (self.name is not None and self.default_level >= CAN_READ)


def level_name(level: int) -> str:
    return LEVELS[level]


def levels_on(viewer: Viewer, model_ids: list[int]) -> dict[int, int]:
    """The viewer's level on each model (one statement, none for an admin)."""
    if viewer.is_admin:
        return dict.fromkeys(model_ids, CAN_MANAGE)
    levels = dict.fromkeys(model_ids, viewer.default_level if viewer.name else NO_PERMISSIONS)
    if viewer.principals:
        for model_id, level in permissions.highest_grants(model_ids, viewer.principals).items():
            levels[model_id] = max(levels[model_id], level)
    return levels


def level_on(viewer: Viewer, model_id: int) -> int:
    return levels_on(viewer, [model_id])[model_id]


def reach(viewer: Viewer, level: int) -> Reach:
    """The models on which the viewer holds `level`, for a query to keep to."""
    if not viewer.name:
        return EVERY_MODEL if viewer.is_admin else Reach(())
    if viewer.is_admin or viewer.default_level >= level:
        return EVERY_MODEL
    return Reach(viewer.principals, level)


def readable(viewer: Viewer) -> Reach:
    return reach(viewer, CAN_READ)


def require(viewer: Viewer, model: RegisteredModel, level: int, action: str, field: tuple = ("input", "name")) -> None:
    """PERMISSION_DENIED below `level`; NOT_FOUND when the viewer cannot even read the model."""
    held = level_on(viewer, model.id)
    if held < CAN_READ:
        raise not_found(f"Registered model {model.name!r} not found.", *field)
    if held < level:
        raise RegistryError("PERMISSION_DENIED",
                            f"{action} on {model.name!r} needs {LEVELS[level]}; you have {LEVELS[held]}.", field)


def transition_level(from_stage: str, to_stage: str) -> int:
    """Moves among NONE, STAGING and ARCHIVED are staging work; anything touching
    PRODUCTION is production work."""
    if from_stage in STAGING_STAGES and to_stage in STAGING_STAGES:
        return CAN_MANAGE_STAGING
    return CAN_MANAGE_PRODUCTION


def grant(model: RegisteredModel, principal: str, level: int) -> None:
    if level == NO_PERMISSIONS:
        permissions.revoke(model.id, principal)
    else:
        permissions.grant(model.id, principal, level)


REQUEST_ACTIONS = ("APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST", "CANCEL_TRANSITION_REQUEST")


def request_actions(viewer: Viewer, level: int, stage: str, request) -> list[str]:
    """What the viewer may do to one transition request of a version now in `stage`,
    holding `level` on its model: who may make the move approves or rejects it, its
    requester (or an admin) cancels it; nothing once it is resolved."""
    if request.status != "PENDING" or level < CAN_READ:
        return []
    actions = []
    if level >= transition_level(stage, request.to_stage):
        actions += ["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"]
    if request.created_by == viewer.name or viewer.is_admin:
        actions.append("CANCEL_TRANSITION_REQUEST")
    return actions


def available_actions(viewer: Viewer, level: int, stage: str, pending_requests) -> list[str]:
    """What the viewer may do to a version in `stage` now, holding `level` on its model;
    `pending_requests` are the version's PENDING transition requests."""
    if level < CAN_READ:
        return []
    actions = []
    if level >= CAN_EDIT:
        actions.append("EDIT")
    if level >= CAN_MANAGE and stage in ("NONE", "ARCHIVED"):
        actions.append("DELETE")
    for target in ("STAGING", "PRODUCTION", "ARCHIVED", "NONE"):
        if target != stage and level >= transition_level(stage, target):
            actions.append(f"TRANSITION_TO_{target}")
    actions.append("REQUEST_TRANSITION")
    on_some_request = {a for r in pending_requests for a in request_actions(viewer, level, stage, r)}
    actions += [a for a in REQUEST_ACTIONS if a in on_some_request]
    actions.append("COMMENT")
    if level >= CAN_MANAGE_PRODUCTION:
        actions.append("SET_ALIAS")
    return actions
