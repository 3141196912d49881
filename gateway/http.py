"""The GraphQL endpoint over HTTP, per the GraphQL-over-HTTP specification.

POST takes JSON only: any other content type is 415, which also keeps browsers from
sending a mutation cross-site without a CORS preflight (a CSRF guard). GET runs queries
only; a mutation over GET is 405 with `Allow: POST`. A client that accepts
`application/graphql-response+json` gets 400 for a request that could not start (bad
document, bad variables, a limit); everyone gets every error as JSON with a code.
"""
import json

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from gateway.pages import graphiql_page
from store.database import StoreUnavailable

GRAPHQL_RESPONSE = "application/graphql-response+json"
# Where the request's context waits in the ASGI scope, for its loaders to be let go of.
ANSWERED_CONTEXT = "registry.context"
# Variables nest as deep as filters do (and/or/not); far beyond that is an attack on the stack.
MAX_JSON_DEPTH = 64


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    # ASCII-escaped JSON: a message may echo the client's text, lone surrogates included.
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _unreadable(text: str | bytes | None) -> str | None:
    """Why a JSON text the request carries cannot be a GraphQL request, or None."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except RecursionError:
        return "The JSON is nested too deeply."
    except (ValueError, UnicodeDecodeError):
        return "The body is not JSON (UTF-8)."
    if not isinstance(value, (dict, list)) or (isinstance(value, list) and not all(isinstance(v, dict) for v in value)):
        return "A GraphQL request is a JSON object with `query` (and `variables`, `operationName`)."
    if _depth(value) > MAX_JSON_DEPTH:
        return f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."
    return None


def _depth(value) -> int:
    """How deeply containers nest in `value`, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _is_mutation(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query)
    except GraphQLError:
        return False  # the executor reports the syntax error
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    return bool(chosen) and chosen[0].operation == OperationType.MUTATION


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go out as text frames, as the protocol says: the
    encoder gives bytes (orjson), which strawberry would send as binary frames, and a
    browser's graphql-ws client refuses those."""

    async def send_json(self, message) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class RegistryGraphQL(GraphQL):
    """POST and GET (queries only) on /graphql; GraphiQL for a browser; subscriptions over
    a WebSocket speaking graphql-transport-ws, whose token may come in connection_init as
    `{"Authorization": "Bearer <token>"}` (browsers cannot set a WebSocket's headers)."""

    websocket_adapter_class = TextFrames

    def __init__(self, schema, context, token_viewer, tokens_required: bool, allowed_origins=(),
                 max_subscriptions: int | None = None):
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True, allowed_origins=allowed_origins,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         max_subscriptions_per_connection=max_subscriptions)
        self._context = context
        self._token_viewer = token_viewer
        self._tokens_required = tokens_required

    async def render_graphql_ide(self, request):
        return graphiql_page(self._tokens_required)

    async def get_context(self, request, response):
        context = await self._context(request, response)
        if isinstance(request, Request):
            request.scope.setdefault("state", {})[ANSWERED_CONTEXT] = context
        return context

    async def on_ws_connect(self, context):
        """Refused (close 4403) for a bad token, or for none where tokens are required."""
        params = context.connection_params or {}
        authorization = params.get("Authorization", params.get("authorization"))
        if authorization is not None:
            try:
                viewer = await self._token_viewer(authorization) if isinstance(authorization, str) else None
            except StoreUnavailable:
                viewer = None
            if viewer is None:
                raise ConnectionRejectionError()
            context.sign_in(viewer)
            context.authorization = authorization
        elif context.viewer.name is None and self._tokens_required:
            raise ConnectionRejectionError()
        return UNSET  # a plain connection_ack

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope, receive)
        response = await self.refusal(request)
        if response is None:
            try:
                response = await self.run(request)
            except HTTPException as error:
                response = error_response(error.status_code, "BAD_REQUEST", error.reason)
            finally:
                context = request.scope.get("state", {}).pop(ANSWERED_CONTEXT, None)
                if context is not None:
                    # graphql-core's execution context refers to itself (and so to this
                    # one): what the request loaded would otherwise wait for the garbage
                    # collector, 2 MB a models page, whose passes then cost every request.
                    context.forget_loaded()
        await response(scope, receive, send)

    async def refusal(self, request: Request) -> Response | None:
        """What the request is refused with before strawberry reads it, if anything."""
        if request.method == "POST":
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != "application/json":
                return error_response(415, "UNSUPPORTED_MEDIA_TYPE",
                                      "POST a JSON body (Content-Type: application/json).")
            problem = _unreadable(await request.body())  # Starlette keeps the body for strawberry
            if problem:
                return error_response(400, "BAD_REQUEST", problem)
        elif request.method == "GET":
            problem = _unreadable(request.query_params.get("variables"))
            if problem:
                return error_response(400, "BAD_REQUEST", problem)
            query = request.query_params.get("query")
            if query and _is_mutation(query, request.query_params.get("operationName")):
                return error_response(405, "METHOD_NOT_ALLOWED", "Mutations go over POST.", {"allow": "POST"})
        return None

    def encode_json(self, data) -> bytes | str:
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:
            # UTF-8 cannot carry a lone surrogate echoed from the client's text; escaped
            # JSON can.
            return json.dumps(data, separators=(",", ":"))

    def decode_json(self, data):
        # JSON nested deeper than the stack allows, or bytes that are not UTF-8, are bad
        # JSON like any other (strawberry answers a JSONDecodeError with 400).
        try:
            return json.loads(data)
        except (RecursionError, UnicodeDecodeError) as error:
            raise json.JSONDecodeError(f"unreadable JSON: {type(error).__name__}", "", 0) from None

    async def get_sub_response(self, request):
        sub_response = await super().get_sub_response(request)
        sub_response.wants_graphql_response = GRAPHQL_RESPONSE in request.headers.get("accept", "")
        return sub_response

    def create_response(self, response_data, sub_response):
        never_started = isinstance(response_data, dict) and _never_started(response_data)
        if never_started:
            # GraphQL: when a request fails before execution, `data` is not present at all.
            response_data = {key: value for key, value in response_data.items() if key != "data"}
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "wants_graphql_response", False):
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if never_started:
                response.status_code = 400
        retry_after = never_started and _retry_after(response_data)
        if retry_after:
            response.status_code = 429
            response.headers["retry-after"] = str(retry_after)
        return response


def _retry_after(body: dict) -> int | None:
    """Seconds to wait, when the request was refused for its rate (RATE_LIMITED)."""
    for error in body.get("errors") or ():
        extensions = error.get("extensions") or {}
        if extensions.get("code") == "RATE_LIMITED":
            return extensions.get("retryAfter")
    return None


def _never_started(body: dict) -> bool:
    """No data, and errors with no path: the request failed before execution began."""
    errors = body.get("errors") or []
    return body.get("data") is None and bool(errors) and all(not e.get("path") for e in errors)
