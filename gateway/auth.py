"""Who is calling: bearer tokens, the local mode, and the DNS-rebinding guard.

An ASGI middleware in front of the app: it answers 401/403 itself, or puts the
authenticated `Viewer` in the request's state for the GraphQL context.
"""
import logging
from urllib.parse import parse_qs

from gateway.refusals import refusal_body
from gateway.settings import Settings, is_loopback
from resolvers import accounts
from resolvers.access import LEVELS, Viewer
from store.database import Store, StoreUnavailable

log = logging.getLogger("registry.auth")
OPEN_PATHS = ("/healthz", "/", "/reviews")
# The app's pages and the pages' scripts and styles: the same for everyone, no registry data.
OPEN_PREFIXES = ("/static/", "/models/")


def _error(scope, status: int, code: str, message: str, headers: dict | None = None):
    body = refusal_body(scope, code, message)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    return status, raw, body


def _host(headers: dict[bytes, bytes]) -> str:
    host = headers.get(b"host", b"").decode("latin-1")
    if host.startswith("["):  # [::1]:8000
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_graphiql_page(scope, headers) -> bool:
    """A browser's GET of the page itself: no operation in the (decoded) parameters."""
    if (scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/graphql"
            or b"text/html" not in headers.get(b"accept", b"")):
        return False
    return "query" not in parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _is_open(scope, headers) -> bool:
    """What anyone may fetch: the health check, the pages (which ask for a token before
    they send anything) and their assets."""
    path = scope["path"]
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or _is_graphiql_page(scope, headers)


class Authentication:
    def __init__(self, app, store: Store, settings: Settings):
        self.app = app
        self.store = store
        self.settings = settings
        self.default_level = LEVELS.index(settings.default_permission)
        self.local_viewer: Viewer | None = None  # set at start-up in local mode

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        refusal, viewer = await self.authenticate(scope, headers)
        if refusal is not None:
            return await self.refuse(scope, receive, send, *refusal)
        scope.setdefault("state", {})["viewer"] = viewer
        return await self.app(scope, receive, send)

    async def authenticate(self, scope, headers):
        """(refusal, None) or (None, viewer)."""
        local = self.settings.auth == "local"
        if local and not is_loopback(_host(headers)):
            # A page on another site may resolve its own name to 127.0.0.1 (DNS rebinding):
            # in local mode, only loopback names may address us.
            return _error(scope, 403, "PERMISSION_DENIED", "In local mode the registry answers only to a loopback "
                                                           "Host (localhost, 127.0.0.1, [::1])."), None
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization:
            try:
                viewer = await self.token_viewer(authorization)
            except StoreUnavailable:
                return _error(scope, 503, "UNAVAILABLE", "The registry's database is unavailable just now; retry.",
                              {"retry-after": "1"}), None
            if viewer is None:
                return self.unauthenticated(scope, "The access token is unknown, expired or revoked."), None
            return None, viewer
        if local:
            return None, self.local_viewer
        if _is_open(scope, headers) or scope["type"] == "websocket":
            # A browser cannot set headers on a WebSocket: its token comes in connection_init
            # (gateway/http.py), and until then the connection may do nothing.
            return None, Viewer(name=None, default_level=self.default_level)
        return self.unauthenticated(scope, "Send an access token: Authorization: Bearer <token>."), None

    async def token_viewer(self, authorization: str) -> Viewer | None:
        """The viewer an `Authorization` value (`Bearer <token>`) names; None for a bad one."""
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return await self.store.run(accounts.authenticate, secret.strip(), self.default_level)

    def unauthenticated(self, scope, message: str):
        return _error(scope, 401, "UNAUTHENTICATED", message, {"www-authenticate": 'Bearer realm="registry-gateway"'})

    async def refuse(self, scope, receive, send, status, headers, body):
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401 if status == 401 else 4403})
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def start_local_mode(self) -> None:
        """In local mode token-less requests act as the local admin: make sure it exists, and say so."""
        user = self.store.write(accounts.ensure_user, self.settings.local_user, True)
        self.local_viewer = Viewer(name=user.name, is_admin=True, user_id=user.id, default_level=self.default_level)
        log.warning("local mode: requests without a token act as the admin %r; only loopback Host names are "
                    "served. Use --auth required to serve others.", user.name)
