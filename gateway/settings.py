"""Settings from the command line and the environment (REGISTRY_*)."""
import dataclasses
import ipaddress
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from cryptography.fernet import Fernet

from gateway.mailer import SmtpSettings
from resolvers.webhook_targets import parse_networks
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
    # How long a message may wait for a WebSocket client to read before the connection ends.
    websocket_send_timeout_seconds: float = 30.0
    introspection: bool = True
    # Query plans (schema/plans.py): on unless REGISTRY_QUERY_PLANS=off, which leaves
    # every operation to graphql-core's executor.
    query_plans: bool = True
    # Webhooks: networks receivers may be in although not public (intranets, tests);
    # how long one attempt may take; the waits before retries (None: the default
    # schedule, about a day); whether this process sends deliveries.
    webhook_allowed_networks: tuple[str, ...] = ()
    webhook_timeout_seconds: float = 10.0
    webhook_retry_seconds: tuple[float, ...] | None = None
    webhook_dispatch: bool = True
    # The Fernet key that seals webhook secrets (REGISTRY_SECRETS_KEY); without one, a key
    # file made on first start: REGISTRY_SECRETS_KEY_FILE, or registry-secrets.key beside
    # the SQLite database (in the working directory for PostgreSQL).
    secrets_key: str | None = None
    secrets_key_file: str | None = None
    # Where e-mail to followers goes (gateway/mailer.py); none is sent without it.
    smtp_url: str | None = None

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
            websocket_send_timeout_seconds=float(os.environ.get("REGISTRY_WEBSOCKET_SEND_TIMEOUT_SECONDS",
                                                                cls.websocket_send_timeout_seconds)),
            introspection=_switch("REGISTRY_INTROSPECTION"),
            query_plans=_switch("REGISTRY_QUERY_PLANS"),
            webhook_allowed_networks=_list("REGISTRY_WEBHOOK_ALLOWED_NETWORKS"),
            webhook_timeout_seconds=float(os.environ.get("REGISTRY_WEBHOOK_TIMEOUT_SECONDS", cls.webhook_timeout_seconds)),
            webhook_retry_seconds=tuple(float(s) for s in _list("REGISTRY_WEBHOOK_RETRY_SECONDS")) or None,
            webhook_dispatch=_switch("REGISTRY_WEBHOOK_DISPATCH"),
            secrets_key=os.environ.get("REGISTRY_SECRETS_KEY") or None,
            secrets_key_file=os.environ.get("REGISTRY_SECRETS_KEY_FILE") or None,
            smtp_url=os.environ.get("REGISTRY_SMTP_URL") or None,
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
        if not 0 < self.webhook_timeout_seconds <= 60:
            raise ValueError("REGISTRY_WEBHOOK_TIMEOUT_SECONDS is more than 0 and at most 60")
        if self.webhook_retry_seconds is not None and any(not 0 <= s <= 86_400 for s in self.webhook_retry_seconds):
            raise ValueError("REGISTRY_WEBHOOK_RETRY_SECONDS is a list of waits from 0 to 86400 seconds")
        parse_networks(self.webhook_allowed_networks)
        if self.smtp_url:
            SmtpSettings.from_url(self.smtp_url)

    def load_secrets_key(self) -> bytes:
        """The key that seals webhook secrets: the one set, or the key file's (made now,
        readable by this user only, when missing; processes starting together agree on it)."""
        if self.secrets_key:
            return self.secrets_key.encode()
        path = Path(self.secrets_key_file or self._default_key_file())
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as made:
                made.write(Fernet.generate_key())
        except FileExistsError:
            pass
        for _ in range(50):  # another process may be writing it this instant
            key = path.read_bytes().strip()
            if key:
                return key
            time.sleep(0.02)
        raise ValueError(f"the secrets key file {path} is empty; delete it or set REGISTRY_SECRETS_KEY")

    def _default_key_file(self) -> str:
        parsed = urlparse(self.database_url)
        if parsed.scheme == "sqlite":
            database = Path(parsed.path[1:] if parsed.path.startswith("/") else parsed.path)
            return str(database.parent / "registry-secrets.key")
        return "registry-secrets.key"
