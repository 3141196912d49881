"""The running service: Starlette with the GraphQL endpoint, the web app and GraphiQL with their
assets, and a health check."""
import contextlib
import gc
import logging
import re
import uuid

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from gateway.auth import Authentication
from gateway.dispatcher import Dispatcher
from gateway.http import RegistryGraphQL
from gateway.limits import BodyLimits
from gateway.mailer import SmtpSender, SmtpSettings
from gateway.metrics import Metrics
from gateway.mlflow_api import mlflow_routes
from gateway.outbound import HttpSender
from gateway.pages import APP_PATHS, StaticAssets, app_page
from gateway.settings import Settings
from gateway.slow_consumers import SlowConsumers
from resolvers import deliveries, idempotency
from resolvers.access import LEVELS
from resolvers.context import RequestContext
from resolvers.deliveries import Outbound
from resolvers.webhook_signing import SecretBox
from resolvers.webhook_targets import AddressPolicy, parse_networks
from resolvers.webhooks import WebhookRules
from schema.build import build_schema
from store.activity_tail import ActivityTail
from store.database import Store, StoreUnavailable, now_ms

log = logging.getLogger("registry.gateway")
PLAIN_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Operations one WebSocket may have running at once (each a stream with its own reads).
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20


def create_app(settings: Settings | None = None, store: Store | None = None) -> Starlette:
    """The ASGI app. Given no store, it opens one from the settings and migrates it at start."""
    settings = settings or Settings.from_env()
    settings.check()
    owns_store = store is None
    store = store or Store(settings.database_url, settings.pool_size)

    async def context(request, response) -> RequestContext:
        over_websocket = not isinstance(response, Response)
        made = request_context(request, over_websocket)
        if not over_websocket:  # a WebSocket's headers are the request's
            response.headers["x-request-id"] = made.request_id
        return made

    def request_context(request, over_websocket: bool = False) -> RequestContext:
        request_id = request.headers.get("x-request-id", "")
        if not PLAIN_REQUEST_ID.fullmatch(request_id):  # it reaches logs and error messages
            request_id = uuid.uuid4().hex
        return RequestContext(store=store, viewer=request.scope["state"]["viewer"], request_id=request_id, tail=tail,
                              over_websocket=over_websocket, outbound=outbound,
                              authorization=request.headers.get("authorization") if over_websocket else None,
                              reauthenticate=token_viewer)

    async def token_viewer(authorization: str):
        """The viewer a token names (the Authentication middleware is made with the app)."""
        return await authentication[0].token_viewer(authorization)

    policy = AddressPolicy(parse_networks(settings.webhook_allowed_networks))
    sender = HttpSender(policy, settings.webhook_timeout_seconds)
    smtp = SmtpSettings.from_url(settings.smtp_url) if settings.smtp_url else None
    outbound = Outbound(WebhookRules(policy, SecretBox(settings.load_secrets_key())), sender,
                        mailer=smtp and SmtpSender(smtp, settings.webhook_timeout_seconds),
                        mail_from=smtp.mail_from if smtp else Outbound.mail_from,
                        default_level=LEVELS.index(settings.default_permission),
                        retry_seconds=settings.webhook_retry_seconds or deliveries.RETRY_SECONDS)
    metrics = Metrics(store)
    schema = build_schema(settings.limits, introspection=settings.introspection, query_plans=settings.query_plans,
                          outermost=(metrics.extension(),))
    tail = ActivityTail(store.url)
    dispatcher = Dispatcher(store, outbound, tail, settings.webhook_timeout_seconds)
    graphql = RegistryGraphQL(schema, context, token_viewer=token_viewer, tokens_required=settings.auth == "required",
                              allowed_origins=settings.websocket_origins, max_subscriptions=MAX_SUBSCRIPTIONS_PER_CONNECTION)

    async def healthz(request: Request) -> JSONResponse:
        """The database answers; and the outboxes' backlogs: webhook deliveries and e-mails
        waiting, those due now, and how long the oldest due one has waited."""
        try:
            backlog = await store.run(deliveries.backlog)
        except StoreUnavailable:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", **backlog, "dispatching": settings.webhook_dispatch})

    async def web_app(request: Request) -> Response:
        return app_page(settings.auth == "required")

    async def scrape(request: Request) -> Response:
        return await metrics.endpoint(request, auth_required=settings.auth == "required")

    authentication: list[Authentication] = []

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if owns_store:
            applied = store.migrate()
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
        forgotten = store.write(idempotency.forget_expired, now_ms())
        if forgotten:
            log.info("forgot %d idempotency keys older than 24 hours", forgotten)
        if settings.auth == "local":
            authentication[0].start_local_mode()
        await tail.start()
        if settings.webhook_dispatch:
            dispatcher.start()
        # What start-up made (modules, the schema) lives as long as the process: out of the
        # collector's sight, a full collection no longer walks it (the mean models page on
        # SQLite: 13.4 -> 11.3 ms).
        gc.freeze()
        yield
        await dispatcher.stop()
        await sender.close()
        await tail.stop()
        if owns_store:
            store.close()

    def authenticated(app):
        guard = Authentication(app, store, settings)
        authentication.append(guard)
        return guard

    middleware = [Middleware(SlowConsumers, timeout=settings.websocket_send_timeout_seconds),
                  Middleware(BodyLimits, max_bytes=settings.limits.max_body_bytes,
                             timeout_seconds=settings.limits.body_timeout_seconds)]
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"]))
    middleware.append(Middleware(authenticated))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/metrics", scrape),
            *mlflow_routes(request_context),
            *(Route(path, web_app, methods=["GET"]) for path in APP_PATHS),
            # GraphiQL's script is 1 MB, 340 KB gzipped; the API's answers are not compressed here.
            Mount("/static", app=GZipMiddleware(StaticAssets(), minimum_size=1024), name="static"),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.schema = schema
    return app
