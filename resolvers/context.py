"""What every resolver gets for one request: the store, the viewer and fresh loaders."""
from dataclasses import dataclass, field

from resolvers.access import CAN_READ, Viewer
from resolvers.loaders import Loaders
from store.database import Store


@dataclass
class RequestContext:
    store: Store
    viewer: Viewer  # who is calling, as the gateway authenticated them
    request_id: str
    loaders: Loaders = field(init=False)

    def __post_init__(self):
        self.loaders = Loaders(self.store, self.viewer)

    def forget_loaded(self) -> None:
        """After a mutation: later fields of the same request must not see cached rows."""
        self.loaders = Loaders(self.store, self.viewer)

    async def can_read(self, model_id: int) -> bool:
        if self.viewer.reads_everything:
            return True
        return await self.loaders.level_by_model_id.load(model_id) >= CAN_READ
