"""Settings from the command line and the environment (REGISTRY_*)."""
import dataclasses
import ipaddress
import os
from dataclasses import dataclass, field

from schema.limits import Limits
from store.database import DEFAULT_URL


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback IP address (127.0.0.0/8, ::1) — never a name that merely
    starts like one (127.evil.example)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


def _switch(name: str) -> bool:
    """On unless set to off, false or 0."""
    return os.environ.get(name, "on").lower() not in ("off", "false", "0")


# The environment variable that sets each field of Limits.
LIMIT_VARIABLES = {
    "max_page_size": "REGISTRY_MAX_PAGE_SIZE",
    "max_depth": "REGISTRY_MAX_DEPTH",
    "max_aliases": "REGISTRY_MAX_ALIASES",
    "max_tokens": "REGISTRY_MAX_TOKENS",
    "max_nodes": "REGISTRY_MAX_NODES",
    "max_body_bytes": "REGISTRY_MAX_BODY_BYTES",
    "body_timeout_seconds": "REGISTRY_BODY_TIMEOUT_SECONDS",
    "max_response_bytes": "REGISTRY_MAX_RESPONSE_BYTES",
    "max_node_ids": "REGISTRY_MAX_NODE_IDS",
    "max_mutation_fields": "REGISTRY_MAX_MUTATION_FIELDS",
    "max_write_bytes": "REGISTRY_MAX_WRITE_BYTES",
    "write_rate": "REGISTRY_WRITE_RATE",
    "write_burst": "REGISTRY_WRITE_BURST",
}


def limits_from_env() -> Limits:
    """Limits, each field from its variable when set (read as the type of its default)."""
    return Limits(**{field.name: type(field.default)(os.environ[LIMIT_VARIABLES[field.name]])
                     for field in dataclasses.fields(Limits) if LIMIT_VARIABLES[field.name] in os.environ})


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    # Threads (and pooled connections) for database work; None: the database's default
    # (store.database.default_pool_size).
    pool_size: int | None = None
    # "local": token-less requests from this machine act as the local admin;
    # "required": every request but GraphiQL's page and /healthz needs a valid token.
    auth: str = "local"
    # Who token-less requests act as in local mode (an admin).
    local_user: str = "local"
    # The level every signed-in user holds on every model (REFERENCE: Permissions).
    default_permission: str = "CAN_READ"
    limits: Limits = field(default_factory=Limits)
    cors_origins: tuple[str, ...] = ()
    websocket_origins: tuple[str, ...] = ()
    introspection: bool = True
    # Query plans (schema/plans.py): on unless REGISTRY_QUERY_PLANS=off, which leaves
    # every operation to graphql-core's executor.
    query_plans: bool = True

    @classmethod
    def from_env(cls, database_url: str | None = None, auth: str | None = None) -> "Settings":
        return cls(
            database_url=database_url or os.environ.get("REGISTRY_DATABASE_URL") or DEFAULT_URL,
            pool_size=_int("REGISTRY_POOL_SIZE", 0) or None,
            auth=auth or os.environ.get("REGISTRY_AUTH", cls.auth),
            local_user=os.environ.get("REGISTRY_LOCAL_USER", cls.local_user),
            default_permission=os.environ.get("REGISTRY_DEFAULT_PERMISSION", cls.default_permission),
            limits=limits_from_env(),
            cors_origins=_list("REGISTRY_CORS_ORIGINS"),
            websocket_origins=_list("REGISTRY_WEBSOCKET_ORIGINS"),
            introspection=_switch("REGISTRY_INTROSPECTION"),
            query_plans=_switch("REGISTRY_QUERY_PLANS"),
        )

    def check(self) -> None:
        """Refuse settings that cannot work, with a message that says what to change."""
        from resolvers.access import LEVELS
        from resolvers.validation import MAX_PAGE

        if self.auth not in ("local", "required"):
            raise ValueError(f"auth is 'local' or 'required', not {self.auth!r}")
        if not 0 < self.limits.max_page_size <= MAX_PAGE:
            raise ValueError(f"REGISTRY_MAX_PAGE_SIZE is from 1 to {MAX_PAGE}")
        if self.limits.write_rate < 0 or self.limits.write_burst < 1:
            raise ValueError("REGISTRY_WRITE_RATE is 0 (no limit) or more, REGISTRY_WRITE_BURST at least 1")
        if self.default_permission not in LEVELS:
            raise ValueError(f"REGISTRY_DEFAULT_PERMISSION is one of {', '.join(LEVELS)}")
