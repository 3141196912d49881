"""Settings from the command line and the environment (REGISTRY_*)."""
import os
from dataclasses import dataclass

from store.database import DEFAULT_URL


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    # Threads (and pooled connections) for database work.
    pool_size: int = 8
    # Who acts for requests until authentication exists: recorded as createdBy.
    local_user: str = "local"

    @classmethod
    def from_env(cls, database_url: str | None = None) -> "Settings":
        return cls(
            database_url=database_url or os.environ.get("REGISTRY_DATABASE_URL") or DEFAULT_URL,
            pool_size=int(os.environ.get("REGISTRY_POOL_SIZE", cls.pool_size)),
            local_user=os.environ.get("REGISTRY_LOCAL_USER", cls.local_user),
        )
