"""One registry change: who makes it, when, and the activity it leaves behind.

Every mutation runs as `apply(fn, actor, *args)` inside one transaction: `fn(change, ...)`
changes rows, stamping them with `change.at` (one instant for the whole change), and
records activities; they are appended last, in the same transaction.
"""
import json
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from resolvers import access
from resolvers.access import Viewer
from resolvers.errors import RegistryError
from resolvers.global_ids import to_global_id
from store import writes
from store.database import now_ms
from store.tables import ModelVersion, RegisteredModel

T = TypeVar("T")


@dataclass
class Change:
    viewer: Viewer
    at: int = field(default_factory=now_ms)
    activities: list[dict] = field(default_factory=list)

    @property
    def actor(self) -> str | None:
        return self.viewer.name

    def require_signed_in(self) -> None:
        if not self.viewer.name:
            raise RegistryError("UNAUTHENTICATED", "Sign in (Authorization: Bearer <token>) to change the registry.")

    def require(self, model: RegisteredModel, level: int, action: str, field: tuple = ("input", "name")) -> None:
        access.require(self.viewer, model, level, action, field)

    def record(self, type: str, model: RegisteredModel | None, version: ModelVersion | None = None, *,
               from_stage: str | None = None, to_stage: str | None = None, alias: str | None = None,
               comment: str | None = None, request_id: int | None = None, **details: Any) -> None:
        """An activity about `model` (None for one about accounts, such as a new token)."""
        payload = {
            "model": model and model.name, "modelId": model and to_global_id("RegisteredModel", model.id),
            "version": version.version if version else None,
            "versionId": to_global_id("ModelVersion", version.id) if version else None,
            "fromStage": from_stage, "toStage": to_stage, "alias": alias, "comment": comment,
            "transitionRequestId": to_global_id("TransitionRequest", request_id) if request_id else None,
            **details,
        }
        self.activities.append({
            "type": type, "actor": self.actor, "occurred_at": self.at, "model_id": model and model.id,
            "model_name": model.name if model else "", "version_id": version.id if version else None,
            "version": version.version if version else None, "from_stage": from_stage, "to_stage": to_stage,
            "alias": alias, "comment": comment, "transition_request_id": request_id,
            "payload": json.dumps({k: v for k, v in payload.items() if v is not None}, sort_keys=True),
        })

    def flush(self) -> None:
        if not self.activities:
            return
        writes.append_activities(self.activities)
        self.activities = []


def apply(fn: Callable[..., T], viewer: Viewer, *args) -> T:
    """Run `fn(change, *args)` and append its activities; call inside a transaction."""
    change = Change(viewer)
    result = fn(change, *args)
    change.flush()
    return result
