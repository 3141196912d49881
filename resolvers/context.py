"""What every resolver gets for one request: the store, the viewer and fresh loaders."""
from dataclasses import dataclass, field

from resolvers.loaders import Loaders
from store.database import Store


@dataclass
class RequestContext:
    store: Store
    # The acting user's name: recorded as createdBy. Authentication will set it per request.
    viewer: str | None
    request_id: str
    loaders: Loaders = field(init=False)

    def __post_init__(self):
        self.loaders = Loaders(self.store)

    def forget_loaded(self) -> None:
        """After a mutation: later fields of the same request must not see cached rows."""
        self.loaders = Loaders(self.store)
