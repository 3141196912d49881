"""The running service: Starlette with the GraphQL endpoint, GraphiQL and a health check."""
import contextlib
import logging
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

from gateway.settings import Settings
from resolvers.context import RequestContext
from schema.build import build_schema
from store.database import Store

log = logging.getLogger("registry.gateway")


class RegistryGraphQL(GraphQL):
    """POST and GET (queries only) on /graphql; GraphiQL for a browser."""

    def __init__(self, store: Store, settings: Settings):
        super().__init__(build_schema(), graphql_ide="graphiql", allow_queries_via_get=True)
        self.store = store
        self.settings = settings

    async def get_context(self, request, response) -> RequestContext:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        if hasattr(response, "headers"):
            response.headers["x-request-id"] = request_id
        return RequestContext(store=self.store, viewer=self.settings.local_user, request_id=request_id)


def create_app(settings: Settings | None = None, store: Store | None = None) -> Starlette:
    """The ASGI app. Given no store, it opens one from the settings and migrates it at start."""
    settings = settings or Settings.from_env()
    owns_store = store is None
    store = store or Store(settings.database_url, settings.pool_size)
    graphql = RegistryGraphQL(store, settings)

    async def healthz(request: Request) -> JSONResponse:
        await store.ping()
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if owns_store:
            applied = store.migrate()
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
        yield
        if owns_store:
            store.close()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
