"""What every resolver gets for one request (or one WebSocket connection): the store, the
viewer and fresh loaders; the activity log's tail for live streams."""
from dataclasses import dataclass, field

from resolvers.access import CAN_READ, Viewer
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
    loaders: Loaders = field(init=False)

    def __post_init__(self):
        self.loaders = Loaders(self.store, self.viewer)

    def forget_loaded(self) -> None:
        """After a mutation: later fields of the same request must not see cached rows."""
        self.loaders = Loaders(self.store, self.viewer)

    def sign_in(self, viewer: Viewer) -> None:
        """A WebSocket's caller, known from its connection_init."""
        self.viewer = viewer
        self.forget_loaded()

    async def can_read(self, model_id: int) -> bool:
        if self.viewer.reads_everything:
            return True
        return await self.loaders.level_by_model_id.load(model_id) >= CAN_READ
