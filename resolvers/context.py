"""What every resolver gets for one request (or one WebSocket connection): the store, the
viewer and fresh loaders; the activity log's tail for live streams."""
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from resolvers import changes
from resolvers.access import CAN_READ, Viewer
from resolvers.deliveries import Outbound
from resolvers.loaders import Loaders
from store.activity_tail import ActivityTail
from store.database import Store


@dataclass
class RequestContext:
    store: Store
    viewer: Viewer  # who is calling, as the gateway authenticated them
    request_id: str
    tail: ActivityTail | None = None
    over_websocket: bool = False
    # A WebSocket's connection_init payload (strawberry sets it), where a browser's token goes.
    connection_params: dict | None = None
    # How this process reaches webhooks (testWebhook sends through it).
    outbound: Outbound | None = None
    # A WebSocket's credentials (its Authorization value) and how to check them again:
    # a stream that outlives its token's revocation or expiry must end.
    authorization: str | None = None
    reauthenticate: Callable[[str], Awaitable[Viewer | None]] | None = None
    authenticated_at: float = field(default_factory=time.monotonic)
    loaders: Loaders = field(init=False)

    def __post_init__(self):
        self.loaders = Loaders(self.store, self.viewer)

    def forget_loaded(self) -> None:
        """After a mutation, so that later fields of the same request do not see cached rows;
        and once a request is answered, so that what it loaded goes at once."""
        self.loaders = Loaders(self.store, self.viewer)

    async def apply(self, change: Callable, *args):
        """`change(Change, *args)` as one transaction, as the viewer; what is read after it
        (the payload's fields, a later mutation's, an answer) sees the change."""
        try:
            return await self.store.run_write(changes.apply, change, self.viewer, *args)
        finally:
            self.forget_loaded()

    def sign_in(self, viewer: Viewer) -> None:
        """A WebSocket's caller, known from its connection_init."""
        self.viewer = viewer
        self.forget_loaded()

    async def can_read(self, model_id: int) -> bool:
        if self.viewer.reads_everything:
            return True
        return await self.loaders.level_by_model_id.load(model_id) >= CAN_READ
