"""GET /metrics in Prometheus' text format: GraphQL operations and their latency by name
and type, errors by code, SQL statements per request, query-plan outcomes, database
connections in use and reads retried. Open in local mode (loopback only); with
`--auth required`, for admins' tokens only (its labels name the operations clients send).

Operation names are the client's to choose, so they are labels only while few: the
first MAX_OPERATION_NAMES plain names (at most 64 letters, digits or underscores) are
kept, any other is counted as "other"; a flood of names cannot grow the registry."""
import re
import time
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.extensions import SchemaExtension

from gateway import dispatcher, slow_consumers
from resolvers import live
from schema import plans
from store import activity_tail
from store.database import STATEMENT_COUNTER, Store

MAX_OPERATION_NAMES = 100
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class Metrics:
    def __init__(self, store: Store):
        self.registry = CollectorRegistry()
        self.requests = Counter("registry_graphql_operations", "GraphQL operations answered",
                                ["operation", "type"], registry=self.registry)
        self.latency = Histogram("registry_graphql_operation_seconds", "Time to answer a GraphQL operation",
                                 ["operation", "type"], registry=self.registry)
        self.errors = Counter("registry_graphql_errors", "GraphQL errors answered, by code", ["code"],
                              registry=self.registry)
        self.statements = Histogram("registry_sql_statements_per_operation", "SQL statements one operation ran",
                                    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89), registry=self.registry)
        self.registry.register(_StoreAndPlans(store))
        self.names: set[str] = set()

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self.names:
            return name
        if len(self.names) < MAX_OPERATION_NAMES and PLAIN_NAME.fullmatch(name):
            self.names.add(name)
            return name
        return "other"

    def extension(self) -> type[SchemaExtension]:
        metrics = self

        class Measured(SchemaExtension):
            def on_operation(self) -> Iterator[None]:
                started, counted = time.perf_counter(), [0]
                token = STATEMENT_COUNTER.set(counted)
                try:
                    yield
                finally:
                    STATEMENT_COUNTER.reset(token)
                metrics.observe(self.execution_context, time.perf_counter() - started, counted[0])

        return Measured

    def observe(self, context, seconds: float, statements: int) -> None:
        try:
            kind = context.operation_type.value
        except Exception:  # noqa: BLE001 - a document that does not parse has no type
            kind = "unknown"
        labels = (self.operation_label(context.operation_name), kind)
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)
        self.statements.observe(statements)
        for error in getattr(context.result, "errors", None) or ():
            self.errors.labels((error.extensions or {}).get("code", "NONE")).inc()

    async def endpoint(self, request: Request, auth_required: bool) -> Response:
        viewer = request.scope.get("state", {}).get("viewer")
        if auth_required and not (viewer and viewer.is_admin):
            return JSONResponse({"errors": [{"message": "Metrics are for admins.",
                                             "extensions": {"code": "PERMISSION_DENIED"}}]}, status_code=403)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class _StoreAndPlans:
    """Values kept elsewhere, read at each scrape."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self):
        in_use = GaugeMetricFamily("registry_db_connections_in_use", "Database connections checked out now")
        in_use.add_metric([], self.store.connections_in_use())
        retried = CounterMetricFamily("registry_db_read_retries", "Reads run again after their connection was lost")
        retried.add_metric([], self.store.read_retries)
        outcomes = CounterMetricFamily("registry_query_plans", "Query plans by outcome (ran, fallback or unexpected, "
                                                               "with the cause)", labels=["outcome"])
        for outcome, count in sorted(plans.COUNTS.items()):
            outcomes.add_metric([outcome], count)
        streams = GaugeMetricFamily("registry_activity_streams", "activities subscriptions being served now")
        streams.add_metric([], live.OPEN_STREAMS[0])
        reconnects = CounterMetricFamily("registry_activity_tail_reconnects",
                                         "Reconnections of the connection that listens for new activities")
        reconnects.add_metric([], activity_tail.RECONNECTS[0])
        delivered = CounterMetricFamily("registry_webhook_deliveries", "Webhook deliveries this process finished "
                                        "an attempt of, by the status it left them in", labels=["status"])
        emailed = CounterMetricFamily("registry_emails", "E-mails to followers this process finished an attempt of, "
                                      "by the status it left them in", labels=["status"])
        for (channel, status), count in sorted(dispatcher.DELIVERED.items()):
            (emailed if channel == "email" else delivered).add_metric([status], count)
        connections = GaugeMetricFamily("registry_websocket_connections", "WebSocket connections open now")
        connections.add_metric([], slow_consumers.OPEN[0])
        slow = CounterMetricFamily("registry_websocket_slow_consumers", "WebSocket connections closed because their "
                                   "client stopped reading", labels=["closed"])
        slow.add_metric(["yes"], slow_consumers.DISCONNECTED[0])
        slow.add_metric(["no"], slow_consumers.NOT_DISCONNECTED[0])
        failures = CounterMetricFamily("registry_webhook_dispatcher_failures",
                                       "Failures of the webhook dispatcher's own work (see the log)")
        failures.add_metric([], dispatcher.FAILURES[0])
        return [in_use, retried, outcomes, streams, reconnects, connections, slow, delivered, emailed, failures]
